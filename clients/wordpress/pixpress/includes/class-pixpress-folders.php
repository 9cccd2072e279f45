<?php
/**
 * Custom folders ("Other folders"): images outside the Media Library, e.g. a theme's or a plugin's own
 * images, optimized in place with a backup each.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The folders the administrator chose (an option, paths relative to wp-content) and their files (the
 * plugin's table `pixpress_files`, one row per file). A folder must resolve (realpath) inside wp-content,
 * must not be or hold the uploads folder (the Media Library's files are optimized as attachments) nor be
 * a backup folder; each file must resolve inside its folder. Anything else is refused and logged.
 */
class Pixpress_Folders {

	const OPTION            = 'pixpress_folders';
	const DB_VERSION        = '1';
	const DB_VERSION_OPTION = 'pixpress_files_db_version';
	const CRON_HOOK         = 'pixpress_folders_cron';
	const EXTENSIONS        = array( 'jpg', 'jpeg', 'png', 'gif', 'webp' );
	const MAX_FILES         = 5000;
	const MAX_DEPTH         = 8;
	const LEASE_S           = 300;
	const TASK_TIMEOUT_S    = 90.0;
	const SUBMIT_WAIT_S     = 10;

	/**
	 * Hooks the folders' cron event (and the plugin's recurring one) to the processing.
	 */
	public static function register() {
		self::maybe_install();
		add_action( self::CRON_HOOK, array( __CLASS__, 'cron' ) );
		add_action( Pixpress_Plugin::RECURRING_HOOK, array( __CLASS__, 'cron' ) );
	}

	/**
	 * The files table's name with the site's prefix.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'pixpress_files';
	}

	/**
	 * Creates or upgrades the table (activation, and on load when the version changed).
	 */
	public static function install() {
		global $wpdb;
		require_once ABSPATH . 'wp-admin/includes/upgrade.php';
		$table   = self::table();
		$charset = $wpdb->get_charset_collate();
		dbDelta(
			"CREATE TABLE {$table} (
  id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  folder varchar(255) NOT NULL DEFAULT '',
  path varchar(700) NOT NULL DEFAULT '',
  path_hash char(40) NOT NULL DEFAULT '',
  status varchar(20) NOT NULL DEFAULT 'pending',
  before_bytes bigint(20) unsigned NOT NULL DEFAULT 0,
  after_bytes bigint(20) unsigned NOT NULL DEFAULT 0,
  sent_bytes bigint(20) unsigned NOT NULL DEFAULT 0,
  task_id varchar(64) NOT NULL DEFAULT '',
  error varchar(64) NOT NULL DEFAULT '',
  locked_until int(10) unsigned NOT NULL DEFAULT 0,
  updated_at int(10) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY  (id),
  UNIQUE KEY path_hash (path_hash),
  KEY folder_status (folder(191), status)
) {$charset};"
		);
		update_option( self::DB_VERSION_OPTION, self::DB_VERSION, false );
	}

	/**
	 * Creates the table when this version has not yet (a plugin updated without reactivation).
	 */
	public static function maybe_install() {
		if ( get_option( self::DB_VERSION_OPTION ) !== self::DB_VERSION ) {
			self::install();
		}
	}

	/**
	 * wp-content's real path.
	 *
	 * @return string
	 */
	public static function content_dir() {
		$real = realpath( WP_CONTENT_DIR );
		return untrailingslashit( wp_normalize_path( false === $real ? WP_CONTENT_DIR : $real ) );
	}

	/**
	 * The folders chosen, relative to wp-content.
	 *
	 * @return string[]
	 */
	public static function all() {
		$folders = get_option( self::OPTION, array() );
		return is_array( $folders ) ? array_values( array_map( 'strval', $folders ) ) : array();
	}

	/**
	 * Folders an administrator will likely want: the active theme (and its parent), each plugin, and
	 * wp-content's other folders. Each: rel => label. Those that would be refused are left out.
	 *
	 * @return array<string, string>
	 */
	public static function suggestions() {
		$found = array();
		foreach ( array_unique( array( get_stylesheet_directory(), get_template_directory() ) ) as $dir ) {
			/* translators: %s: theme folder name. */
			$found[ $dir ] = sprintf( __( 'Theme: %s', 'pixpress' ), wp_basename( $dir ) );
		}
		foreach ( (array) glob( WP_PLUGIN_DIR . '/*', GLOB_ONLYDIR ) as $dir ) {
			/* translators: %s: plugin folder name. */
			$found[ $dir ] = sprintf( __( 'Plugin: %s', 'pixpress' ), wp_basename( $dir ) );
		}
		foreach ( (array) glob( WP_CONTENT_DIR . '/*', GLOB_ONLYDIR ) as $dir ) {
			if ( ! in_array( wp_basename( $dir ), array( 'plugins', 'themes', 'mu-plugins', 'upgrade', 'languages' ), true ) ) {
				$found[ $dir ] = wp_basename( $dir );
			}
		}
		$suggestions = array();
		foreach ( $found as $dir => $label ) {
			$rel = self::check_folder( self::relative_to_content( $dir ), false );
			if ( ! is_wp_error( $rel ) && ! in_array( $rel, self::all(), true ) ) {
				$suggestions[ $rel ] = $label;
			}
		}
		return $suggestions;
	}

	/**
	 * Adds a folder (given relative to wp-content, or as an absolute path inside it).
	 *
	 * @param string $folder The folder.
	 * @return string|WP_Error Its path relative to wp-content as stored, or why it was refused.
	 */
	public static function add( $folder ) {
		$folder = trim( wp_normalize_path( (string) $folder ) );
		$rel    = self::check_folder( self::relative_to_content( $folder ), true );
		if ( is_wp_error( $rel ) ) {
			return $rel;
		}
		$folders = self::all();
		if ( ! in_array( $rel, $folders, true ) ) {
			$folders[] = $rel;
			update_option( self::OPTION, $folders, false );
		}
		return $rel;
	}

	/**
	 * Forgets a folder and its rows (its files stay as they are; restore them first to get the
	 * originals back).
	 *
	 * @param string $rel The folder as stored.
	 */
	public static function remove( $rel ) {
		global $wpdb;
		update_option( self::OPTION, array_values( array_diff( self::all(), array( $rel ) ) ), false );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->delete( self::table(), array( 'folder' => $rel ), array( '%s' ) );
	}

	/**
	 * Whether a folder may be optimized: it exists, resolves inside wp-content, is not the uploads
	 * folder nor holds it, is not inside a backup folder nor one of the Media Library's year folders.
	 *
	 * @param string $rel Path relative to wp-content (as typed: it is resolved here).
	 * @param bool   $log Whether to log a refusal.
	 * @return string|WP_Error The real path relative to wp-content.
	 */
	public static function check_folder( $rel, $log ) {
		$rel     = trim( (string) $rel, '/' );
		$content = self::content_dir();
		$path    = $content . '/' . $rel;
		if ( '' === $rel || ! is_dir( $path ) ) {
			return new WP_Error( 'pixpress_folder_missing', __( 'There is no such folder under wp-content.', 'pixpress' ) );
		}
		if ( ! ( $log ? Pixpress_Paths::allowed( $path, 'add the folder', Pixpress_Paths::CONTENT ) : self::inside_content( $path ) ) ) {
			return new WP_Error( 'pixpress_folder_outside', __( 'This folder is not inside wp-content once its links are followed (a theme or plugin installed elsewhere, e.g. by the system\'s package manager, is left alone).', 'pixpress' ) );
		}
		$real    = untrailingslashit( wp_normalize_path( (string) realpath( $path ) ) );
		$uploads = untrailingslashit( wp_normalize_path( (string) realpath( Pixpress_Attachment::uploads_dir() ) ) );
		$reason  = '';
		if ( Pixpress_Paths::is_inside( $uploads, $real ) ) {
			$reason = __( 'This folder is or holds the uploads folder: the Media Library\'s images are optimized as attachments, not here.', 'pixpress' );
		} elseif ( Pixpress_Paths::is_inside( $real, $uploads ) && preg_match( '#^(\d{4}|' . Pixpress_Backup::DIR . '|' . Pixpress_Paths::FOLDER_BACKUP_DIR . ')(/|$)#', substr( $real, strlen( $uploads ) + 1 ) ) ) {
			$reason = __( 'This folder belongs to the Media Library or to pixpress\'s backups.', 'pixpress' );
		}
		if ( '' !== $reason ) {
			if ( $log ) {
				// phpcs:ignore WordPress.PHP.DevelopmentFunctions
				error_log( sprintf( 'pixpress: refused to add the folder %s: %s', $path, $reason ) );
			}
			return new WP_Error( 'pixpress_folder_refused', $reason );
		}
		return self::relative_to_content( $real );
	}

	/**
	 * Looks for the images of a folder (recursively, links to folders not followed) and records new or
	 * changed ones as pending. A file whose real path is not inside the folder is refused and logged.
	 *
	 * @param string $rel The folder as stored.
	 * @return array<string, int> found, added (new or changed), refused.
	 */
	public static function scan( $rel ) {
		global $wpdb;
		$counts = array(
			'found'   => 0,
			'added'   => 0,
			'refused' => 0,
		);
		if ( ! in_array( $rel, self::all(), true ) || is_wp_error( self::check_folder( $rel, true ) ) ) {
			return $counts;
		}
		$dir   = self::content_dir() . '/' . $rel;
		$table = self::table();
		$items = new RecursiveIteratorIterator(
			new RecursiveDirectoryIterator( $dir, FilesystemIterator::SKIP_DOTS | FilesystemIterator::CURRENT_AS_FILEINFO ),
			RecursiveIteratorIterator::LEAVES_ONLY,
			RecursiveIteratorIterator::CATCH_GET_CHILD
		);
		$items->setMaxDepth( self::MAX_DEPTH );
		foreach ( $items as $item ) {
			if ( $counts['found'] >= self::MAX_FILES ) {
				break;
			}
			$ext = strtolower( pathinfo( $item->getFilename(), PATHINFO_EXTENSION ) );
			if ( ! in_array( $ext, self::EXTENSIONS, true ) || ! $item->isFile() ) {
				continue;
			}
			$path = wp_normalize_path( $item->getPathname() );
			if ( ! self::file_allowed( $path, $rel, 'read' ) ) {
				++$counts['refused'];
				continue;
			}
			++$counts['found'];
			$file_rel = self::relative_to_content( $path );
			$size     = (int) $item->getSize();
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$row = $wpdb->get_row( $wpdb->prepare( "SELECT id, status, after_bytes FROM {$table} WHERE path_hash = %s", sha1( $file_rel ) ), ARRAY_A );
			if ( ! $row ) {
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery
				$wpdb->insert(
					$table,
					array(
						'folder'       => $rel,
						'path'         => $file_rel,
						'path_hash'    => sha1( $file_rel ),
						'status'       => 'pending',
						'before_bytes' => $size,
						'updated_at'   => time(),
					)
				);
				++$counts['added'];
			} elseif ( in_array( $row['status'], array( 'optimized', 'no_gain' ), true ) && (int) $row['after_bytes'] !== $size ) {
				// Changed since (a theme update): a new original, sent again.
				// phpcs:ignore WordPress.DB.DirectDatabaseQuery
				$wpdb->update( $table, array( 'status' => 'pending', 'before_bytes' => $size, 'error' => '', 'updated_at' => time() ), array( 'id' => $row['id'] ) );
				++$counts['added'];
			}
		}
		return $counts;
	}

	/**
	 * Optimizes pending files for about $budget_s seconds (at least one when one is waiting). Stops on
	 * an error of the whole service (quota, token, server away), leaving the rest pending.
	 *
	 * @param float       $budget_s Seconds.
	 * @param string|null $folder Only this folder's files.
	 * @return array<string, mixed> processed, stopped (null, 'paused', 'not_configured', 'error'), message.
	 */
	public static function process( $budget_s, $folder = null ) {
		$started = microtime( true );
		$result  = array(
			'processed' => 0,
			'stopped'   => null,
			'message'   => '',
		);
		if ( Pixpress_Processor::pause() ) {
			$result['stopped'] = 'paused';
			return $result;
		}
		$client = Pixpress_Service::client();
		if ( null === $client ) {
			$result['stopped'] = 'not_configured';
			return $result;
		}
		while ( microtime( true ) - $started < $budget_s ) {
			$row = self::claim( $folder );
			if ( ! $row ) {
				break;
			}
			try {
				self::save_row( $row['id'], self::optimize_file( $client, $row ) );
				++$result['processed'];
			} catch ( \Pixpress\Exception\PixpressException $e ) {
				self::save_row(
					$row['id'],
					array(
						'status' => 'pending',
						'error'  => $e->getErrorCode(),
					)
				);
				$result['stopped'] = Pixpress_Processor::pause_on( $e ) ? 'paused' : 'error';
				$result['message'] = Pixpress_Service::describe_error( $e );
				break;
			}
		}
		if ( null === $result['stopped'] && self::count( 'pending' ) > 0 ) {
			self::schedule();
		}
		return $result;
	}

	/**
	 * The cron event: a run within the cron budget.
	 */
	public static function cron() {
		self::process( (float) apply_filters( 'pixpress_cron_budget_s', Pixpress_Processor::CRON_BUDGET_S ) );
	}

	/**
	 * Asks WP-Cron to go on with the pending files soon.
	 */
	public static function schedule() {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_single_event( time(), self::CRON_HOOK );
		}
	}

	/**
	 * Optimizes one file: its backup (the original) or itself is sent, the result replaces it when it is
	 * one whole image of its type and dimensions, and smaller; the original goes to the backup first.
	 *
	 * @param \Pixpress\Client     $client Client.
	 * @param array<string, mixed> $row The file's row.
	 * @return array<string, mixed> The row's new values.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	private static function optimize_file( $client, array $row ) {
		$path   = self::content_dir() . '/' . $row['path'];
		$backup = self::backup_path( $row['path'] );
		if ( ! self::file_allowed( $path, $row['folder'], 'optimize' ) || '' === $backup ) {
			return array(
				'status' => 'failed',
				'error'  => 'refused_path',
			);
		}
		if ( ! is_file( $path ) ) {
			return array(
				'status' => 'missing',
				'error'  => 'missing_file',
			);
		}
		$source = is_file( $backup ) ? $backup : $path;
		$bytes  = (string) file_get_contents( $source );
		$info   = @getimagesizefromstring( $bytes ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		$mime   = $info ? $info['mime'] : '';
		if ( ! in_array( $mime, Pixpress_Attachment::MIME_TYPES, true ) || wp_check_filetype( $path )['type'] !== $mime ) {
			return array(
				'status' => 'failed',
				'error'  => 'unsupported_type',
			);
		}
		if ( ! wp_is_writable( $path ) ) {
			return array(
				'status' => 'failed',
				'error'  => 'not_writable',
			);
		}
		$values = array(
			'before_bytes' => strlen( $bytes ),
			'sent_bytes'   => 0,
			'error'        => '',
		);
		try {
			$task = $client->submit(
				$bytes,
				array(
					'mode'          => (string) Pixpress_Settings::get( 'mode' ),
					'keep_metadata' => (string) Pixpress_Settings::get( 'keep_metadata' ),
					'wait'          => self::SUBMIT_WAIT_S,
					'filename'      => wp_basename( $path ),
				)
			);
			$quota = $task->getQuotaInfo();
			if ( $quota ) {
				Pixpress_Service::remember_quota( $quota );
			}
			$task = $task->isFinished() ? $task : $client->waitFor( $task->getId(), self::TASK_TIMEOUT_S );
		} catch ( \Pixpress\Exception\InvalidRequest $e ) {
			return $values + array(
				'status' => 'failed',
				'error'  => $e->getErrorCode(),
			);
		}
		$values['task_id']    = $task->getId();
		$values['sent_bytes'] = $task->isReplay() ? 0 : strlen( $bytes );
		if ( ! $task->isDone() ) {
			$error = $task->get( 'error' );
			return array_merge(
				$values,
				array(
					'status' => 'failed',
					'error'  => is_array( $error ) && isset( $error['code'] ) ? (string) $error['code'] : 'task_failed',
				)
			);
		}
		$result = $client->download( $task->getId() );
		$got    = @getimagesizefromstring( $result ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		if ( ! $got || $got['mime'] !== $mime || (int) $got[0] !== (int) $info[0] || (int) $got[1] !== (int) $info[1] || ! Pixpress_Image_Check::is_whole( $result, $mime ) ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions
			error_log( sprintf( 'pixpress: refused the server\'s result for %s: not one whole %s of its dimensions', $path, $mime ) );
			return array_merge(
				$values,
				array(
					'status' => 'failed',
					'error'  => 'unexpected_result',
				)
			);
		}
		clearstatcache( true, $path );
		$current = (int) filesize( $path );
		if ( strlen( $result ) < $current ) {
			$saved = is_file( $backup ) || ( wp_mkdir_p( dirname( $backup ) ) && Pixpress_Backup::write( $backup, (string) file_get_contents( $path ), Pixpress_Paths::FOLDER_BACKUPS ) );
			if ( ! $saved || ! Pixpress_Backup::write( $path, $result, Pixpress_Paths::CONTENT ) ) {
				return array_merge(
					$values,
					array(
						'status' => 'failed',
						'error'  => 'write_failed',
					)
				);
			}
			$current = strlen( $result );
		}
		$values['after_bytes'] = $current;
		$values['status']      = $current < $values['before_bytes'] ? 'optimized' : 'no_gain';
		return $values;
	}

	/**
	 * Puts the backups of a folder's files (or of one file) back, byte for byte.
	 *
	 * @param string   $rel The folder as stored.
	 * @param int|null $file_id Only this file.
	 * @return int Files restored.
	 */
	public static function restore( $rel, $file_id = null ) {
		global $wpdb;
		$table = self::table();
		$sql   = $wpdb->prepare( "SELECT id, folder, path FROM {$table} WHERE folder = %s", $rel ); // phpcs:ignore WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		if ( null !== $file_id ) {
			$sql .= $wpdb->prepare( ' AND id = %d', $file_id );
		}
		$restored = 0;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared
		foreach ( (array) $wpdb->get_results( $sql, ARRAY_A ) as $row ) {
			$path   = self::content_dir() . '/' . $row['path'];
			$backup = self::backup_path( $row['path'] );
			if ( '' === $backup || ! is_file( $backup ) || ! self::file_allowed( $path, $row['folder'], 'restore' ) ) {
				continue;
			}
			if ( Pixpress_Backup::write( $path, (string) file_get_contents( $backup ), Pixpress_Paths::CONTENT ) ) {
				Pixpress_Paths::delete( $backup, Pixpress_Paths::FOLDER_BACKUPS );
				clearstatcache( true, $path );
				self::save_row(
					(int) $row['id'],
					array(
						'status'      => 'restored',
						'after_bytes' => (int) filesize( $path ),
						'error'       => '',
					)
				);
				++$restored;
			}
		}
		return $restored;
	}

	/**
	 * Sets every restored or failed file of a folder pending again ("Optimize again").
	 *
	 * @param string $rel The folder as stored.
	 */
	public static function requeue( $rel ) {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET status = 'pending', error = '' WHERE folder = %s AND status IN ('restored', 'failed')", $rel ) );
	}

	/**
	 * A folder's figures: files by status, bytes before and after of the optimized ones.
	 *
	 * @param string $rel The folder as stored.
	 * @return array<string, int>
	 */
	public static function stats( $rel ) {
		global $wpdb;
		$table = self::table();
		$stats = array(
			'files'     => 0,
			'pending'   => 0,
			'optimized' => 0,
			'no_gain'   => 0,
			'failed'    => 0,
			'restored'  => 0,
			'missing'   => 0,
			'before'    => 0,
			'after'     => 0,
		);
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT status, COUNT(*) AS n, SUM(before_bytes) AS b, SUM(after_bytes) AS a FROM {$table} WHERE folder = %s GROUP BY status", $rel ), ARRAY_A );
		foreach ( (array) $rows as $row ) {
			$stats['files'] += (int) $row['n'];
			if ( isset( $stats[ $row['status'] ] ) ) {
				$stats[ $row['status'] ] = (int) $row['n'];
			}
			if ( 'optimized' === $row['status'] ) {
				$stats['before'] = (int) $row['b'];
				$stats['after']  = (int) $row['a'];
			}
		}
		return $stats;
	}

	/**
	 * Rows with a status, all folders.
	 *
	 * @param string $status The status.
	 * @return int
	 */
	public static function count( $status ) {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$table} WHERE status = %s", $status ) );
	}

	/**
	 * Where the backup of a file (relative to wp-content) lives: uploads/pixpress-backup-folders/<same
	 * path>; '' when that is not inside that folder.
	 *
	 * @param string $file_rel Path relative to wp-content.
	 * @return string
	 */
	public static function backup_path( $file_rel ) {
		$path = Pixpress_Attachment::uploads_dir() . '/' . Pixpress_Paths::FOLDER_BACKUP_DIR . '/' . ltrim( $file_rel, '/' );
		return Pixpress_Paths::allowed( $path, 'use', Pixpress_Paths::FOLDER_BACKUPS ) ? $path : '';
	}

	/**
	 * Whether a file may be touched: inside wp-content (Pixpress_Paths) and, resolved, inside its folder.
	 *
	 * @param string $path The file.
	 * @param string $folder Its folder as stored.
	 * @param string $action For the log.
	 * @return bool
	 */
	private static function file_allowed( $path, $folder, $action ) {
		if ( ! Pixpress_Paths::allowed( $path, $action, Pixpress_Paths::CONTENT ) ) {
			return false;
		}
		if ( Pixpress_Paths::is_inside( $path, self::content_dir() . '/' . $folder ) ) {
			return true;
		}
		// phpcs:ignore WordPress.PHP.DevelopmentFunctions
		error_log( sprintf( 'pixpress: refused to %s %s: it is not inside the folder %s', $action, $path, $folder ) );
		return false;
	}

	/**
	 * Whether a path resolves inside wp-content, without logging (for the suggestions).
	 *
	 * @param string $path The path.
	 * @return bool
	 */
	private static function inside_content( $path ) {
		return Pixpress_Paths::is_inside( $path, self::content_dir() );
	}

	/**
	 * A path relative to wp-content (absolute paths inside it lose the prefix; others are kept as given,
	 * to be judged by check_folder()).
	 *
	 * @param string $path The path.
	 * @return string
	 */
	private static function relative_to_content( $path ) {
		$path = wp_normalize_path( (string) $path );
		foreach ( array( self::content_dir(), untrailingslashit( wp_normalize_path( WP_CONTENT_DIR ) ) ) as $base ) {
			if ( 0 === strpos( $path, $base . '/' ) ) {
				return substr( $path, strlen( $base ) + 1 );
			}
		}
		return ltrim( $path, '/' );
	}

	/**
	 * Takes the next pending file no one else holds.
	 *
	 * @param string|null $folder Only this folder.
	 * @return array<string, mixed>|null
	 */
	private static function claim( $folder ) {
		global $wpdb;
		$table = self::table();
		$now   = time();
		$where = null === $folder ? '' : $wpdb->prepare( ' AND folder = %s', $folder );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.PreparedSQL.NotPrepared
		$rows = $wpdb->get_results( $wpdb->prepare( "SELECT id, folder, path FROM {$table} WHERE status = 'pending' AND locked_until < %d{$where} ORDER BY id LIMIT 10", $now ), ARRAY_A );
		foreach ( (array) $rows as $row ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$taken = $wpdb->query( $wpdb->prepare( "UPDATE {$table} SET locked_until = %d WHERE id = %d AND locked_until < %d", $now + self::LEASE_S, $row['id'], $now ) );
			if ( 1 === (int) $taken ) {
				return $row;
			}
		}
		return null;
	}

	/**
	 * Saves a file's new values and releases it.
	 *
	 * @param int                  $id The row.
	 * @param array<string, mixed> $values Columns.
	 */
	private static function save_row( $id, array $values ) {
		global $wpdb;
		$values['locked_until'] = 0;
		$values['updated_at']   = time();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->update( self::table(), $values, array( 'id' => (int) $id ) );
	}
}
