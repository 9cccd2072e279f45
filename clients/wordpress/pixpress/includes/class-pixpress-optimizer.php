<?php
/**
 * Optimizes one attachment: its original and every selected size, with backups and siblings.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * One attachment at a time. Each file's outcome is saved as soon as it is known, so a stop half way
 * (quota used up, server away) keeps what was done and a later run sends only the rest.
 *
 * Errors of the whole service (quota_exceeded, authentication, connection, 5xx, time-outs) are
 * thrown to the caller, which decides to pause or retry; an error of one file (invalid image, too
 * large, a failed task) is recorded on that file and the others go on.
 */
class Pixpress_Optimizer {

	/** Errors of one file that a retry would not change. */
	const PERMANENT_ERRORS = array( 'invalid_image', 'unsupported_format', 'file_too_large', 'image_too_large', 'invalid_option', 'unexpected_result' );

	const SUBMIT_WAIT_S   = 10;
	const TASK_TIMEOUT_S  = 90.0;
	const SIZE_NAME_REGEX = '/^[a-z0-9_-]{1,40}$/';
	const MAX_SIZES       = 16;

	/**
	 * Optimizes what is left to do of the attachment.
	 *
	 * @param int  $attachment_id Attachment.
	 * @param bool $force Also retry files that failed for good before, and a restored attachment.
	 * @return array<string, mixed> The `_pixpress` record after the run.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	public static function optimize( $attachment_id, $force = false ) {
		$record = Pixpress_Status::get( $attachment_id );
		if ( ! Pixpress_Attachment::is_supported( $attachment_id ) ) {
			$record = array_merge(
				$record,
				array(
					'status' => 'skipped',
					'reason' => 'unsupported_type',
					'files'  => array(),
				)
			);
			Pixpress_Status::save( $attachment_id, $record );
			return $record;
		}
		if ( ! $force && isset( $record['status'] ) && 'restored' === $record['status'] ) {
			return $record;
		}
		if ( 'restored' === ( isset( $record['status'] ) ? $record['status'] : '' ) ) {
			$record = array();
		}
		$client = Pixpress_Service::client();
		if ( null === $client ) {
			throw new \Pixpress\Exception\AuthError( 'not_configured', __( 'pixpress has no server URL or token.', 'pixpress' ), 0 );
		}
		$record['files'] = isset( $record['files'] ) && is_array( $record['files'] ) ? $record['files'] : array();
		$files           = Pixpress_Attachment::files( $attachment_id );
		$todo            = array();
		foreach ( $files as $name => $file ) {
			if ( ! Pixpress_Settings::optimizes_size( $name ) ) {
				continue;
			}
			if ( ! is_file( $file['path'] ) ) {
				$record['files'][ $name ] = self::entry( $file, 'missing' );
				continue;
			}
			$entry = isset( $record['files'][ $name ] ) ? $record['files'][ $name ] : null;
			if ( ! self::needs_work( $entry, $file, $force ) ) {
				continue;
			}
			if ( self::replaced_since( $entry, $file ) ) {
				// A new file under the same name (thumbnails regenerated, e.g. another crop): the backup is
				// of the file it replaced, so it goes; this file is sent and becomes the backup.
				Pixpress_Paths::delete( Pixpress_Backup::path( $file['rel'] ), Pixpress_Paths::BACKUPS );
			}
			$todo[ $name ] = $file;
		}
		if ( $todo ) {
			// Until every file is done the attachment is 'pending': a stop half way (quota) leaves it so,
			// and the next run sends only the files not recorded yet.
			Pixpress_Status::save( $attachment_id, Pixpress_Status::pending( $record ) );
			$by_size = isset( $todo['full'] ) && count( $todo ) > 1 && Pixpress_Service::offers_sizes();
			if ( $by_size ) {
				$todo = self::optimize_with_sizes( $client, $attachment_id, $record, $todo );
			}
			foreach ( $todo as $name => $file ) {
				$record['files'][ $name ] = self::optimize_file( $client, $file );
				Pixpress_Status::save( $attachment_id, Pixpress_Status::pending( $record ) );
			}
		}
		$record = Pixpress_Status::summarize( $record );
		Pixpress_Status::save( $attachment_id, $record );
		Pixpress_Resize::sync_metadata( $attachment_id, $record );
		self::update_filesizes( $attachment_id, $files );
		return $record;
	}

	/**
	 * Whether a file still needs sending: never tried, changed since, siblings missing, or (forced)
	 * failed for good before.
	 *
	 * @param array<string, mixed>|null $entry The file's record.
	 * @param array<string, mixed>      $file The file.
	 * @param bool                      $force Retry permanent failures.
	 * @return bool
	 */
	private static function needs_work( $entry, array $file, $force ) {
		if ( ! is_array( $entry ) ) {
			return true;
		}
		if ( 'failed' === $entry['status'] ) {
			return $force || ! in_array( (string) $entry['error'], self::PERMANENT_ERRORS, true );
		}
		if ( ! in_array( $entry['status'], array( 'optimized', 'no_gain' ), true ) ) {
			return true;
		}
		clearstatcache( true, $file['path'] );
		if ( (int) filesize( $file['path'] ) !== (int) $entry['after'] ) {
			return true; // Replaced since (regenerated, edited): a new file.
		}
		$asked = isset( $entry['formats'] ) ? (array) $entry['formats'] : array();
		return (bool) array_diff( self::sibling_formats_for( $file ), $asked );
	}

	/**
	 * Whether the file on disk is not the one pixpress left (optimized or found as small as it gets):
	 * another file was written under its name since.
	 *
	 * @param array<string, mixed>|null $entry The file's record.
	 * @param array<string, mixed>      $file The file.
	 * @return bool
	 */
	private static function replaced_since( $entry, array $file ) {
		if ( ! is_array( $entry ) || ! in_array( $entry['status'], array( 'optimized', 'no_gain' ), true ) ) {
			return false;
		}
		clearstatcache( true, $file['path'] );
		return (int) filesize( $file['path'] ) !== (int) $entry['after'];
	}

	/**
	 * The sibling formats this file gets: for JPEG and PNG only.
	 *
	 * @param array<string, mixed> $file The file.
	 * @return string[]
	 */
	private static function sibling_formats_for( array $file ) {
		if ( ! in_array( $file['mime'], array( 'image/jpeg', 'image/png' ), true ) ) {
			return array();
		}
		return Pixpress_Settings::sibling_formats();
	}

	/**
	 * The submit options from the settings.
	 *
	 * @param string[] $siblings Sibling formats wanted.
	 * @return array<string, mixed>
	 */
	private static function options( array $siblings ) {
		$options = array(
			'mode'          => (string) Pixpress_Settings::get( 'mode' ),
			'keep_metadata' => (string) Pixpress_Settings::get( 'keep_metadata' ),
			'wait'          => self::SUBMIT_WAIT_S,
		);
		if ( $siblings ) {
			// format=auto: the source format plus each accepted one, one upload; the file itself keeps
			// its format (downloaded as that variant), the others become siblings.
			$options['format'] = 'auto';
			$options['accept'] = $siblings;
		}
		return $options;
	}

	/**
	 * One file, one upload: the original (its backup when it was replaced before) is sent, the result
	 * replaces the file when smaller, siblings are written next to it.
	 *
	 * @param \Pixpress\Client     $client Client.
	 * @param array<string, mixed> $file The file.
	 * @return array<string, mixed> The file's record.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	private static function optimize_file( $client, array $file ) {
		$siblings = self::sibling_formats_for( $file );
		$backup   = Pixpress_Backup::path( $file['rel'] );
		$source   = is_file( $backup ) ? $backup : $file['path'];
		$bytes    = (string) file_get_contents( $source );
		$entry    = self::entry( $file, 'failed' );

		$entry['before']     = strlen( $bytes );
		$entry['formats']    = $siblings;
		$entry['sent_bytes'] = 0;
		$options             = Pixpress_Resize::submit_options( self::options( $siblings ), $file );
		try {
			$task = self::run_task( $client, $bytes, wp_basename( $file['path'] ), $options );
		} catch ( \Pixpress\Exception\InvalidRequest $e ) {
			$entry['error'] = $e->getErrorCode();
			return $entry;
		}
		$entry['task_id']    = $task->getId();
		$entry['sent_bytes'] = $task->isReplay() ? 0 : strlen( $bytes );
		if ( ! $task->isDone() ) {
			$error          = $task->get( 'error' );
			$entry['error'] = is_array( $error ) && isset( $error['code'] ) ? (string) $error['code'] : 'task_failed';
			return $entry;
		}
		$variants = self::variant_formats( $task );
		$input    = (string) $task->get( 'input_format', '' );
		$main     = in_array( $input, $variants, true )
			? $client->download( $task->getId(), $input )
			: $client->download( $task->getId() );
		$file     = Pixpress_Resize::expected_file( $file, $options, (int) $task->get( 'width', 0 ), (int) $task->get( 'height', 0 ) );
		$entry    = Pixpress_Resize::note( self::apply( $file, $main, $entry ), $file );
		if ( 'failed' !== $entry['status'] ) {
			foreach ( $siblings as $format ) {
				if ( in_array( $format, $variants, true ) ) {
					$entry = self::write_sibling( $file, $format, $client->download( $task->getId(), $format ), $entry );
				} else {
					self::remove_sibling( $file, $format );
				}
			}
		}
		return $entry;
	}

	/**
	 * The original and its sizes in one upload (the server's `sizes` option): the server makes each
	 * size from the full-size pixels and charges the upload once. Files it cannot do this way are
	 * returned, for one upload each.
	 *
	 * @param \Pixpress\Client                    $client Client.
	 * @param int                                 $attachment_id Attachment.
	 * @param array<string, mixed>                $record The record, updated in place.
	 * @param array<string, array<string, mixed>> $todo Files to do, 'full' among them.
	 * @return array<string, array<string, mixed>> What is left to do file by file.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	private static function optimize_with_sizes( $client, $attachment_id, array &$record, array $todo ) {
		$full  = $todo['full'];
		$specs = self::size_specs( $todo );
		$sized = array_intersect_key( $todo, $specs );
		if ( ! $sized ) {
			return $todo;
		}
		$siblings = self::sibling_formats_for( $full );
		$backup   = Pixpress_Backup::path( $full['rel'] );
		$source   = is_file( $backup ) ? $backup : $full['path'];
		$bytes    = (string) file_get_contents( $source );
		$options  = Pixpress_Resize::submit_options( self::options( $siblings ), $full );

		$options['sizes'] = implode( ',', $specs );
		try {
			$task = self::run_task( $client, $bytes, wp_basename( $full['path'] ), $options );
		} catch ( \Pixpress\Exception\InvalidRequest $e ) {
			return $todo; // A size refused (e.g. not smaller than the upload): file by file instead.
		}
		if ( ! $task->isDone() ) {
			return $todo;
		}
		$input = (string) $task->get( 'input_format', '' );
		foreach ( array_merge( array( 'full' => $full ), $sized ) as $name => $file ) {
			$size  = 'full' === $name ? null : $name;
			$file  = 'full' === $name ? Pixpress_Resize::expected_file( $file, $options, (int) $task->get( 'width', 0 ), (int) $task->get( 'height', 0 ) ) : $file;
			$entry = self::entry( $file, 'failed' );

			$entry['via']        = 'sizes';
			$entry['before']     = 'full' === $name ? strlen( $bytes ) : (int) filesize( $file['path'] );
			$entry['formats']    = $siblings;
			$entry['task_id']    = $task->getId();
			$entry['sent_bytes'] = ( 'full' === $name && ! $task->isReplay() ) ? strlen( $bytes ) : 0;

			$main  = self::download_optional( $client, $task->getId(), $siblings ? $input : null, $size );
			$main  = null === $main ? self::download_optional( $client, $task->getId(), null, $size ) : $main;
			$entry = null === $main ? $entry : Pixpress_Resize::note( self::apply( $file, $main, $entry ), $file );
			if ( 'failed' === $entry['status'] ) {
				continue; // Not what was asked for (type, dimensions): this file goes file by file.
			}
			foreach ( $siblings as $format ) {
				$sibling = self::download_optional( $client, $task->getId(), $format, $size );
				$entry   = null === $sibling ? $entry : self::write_sibling( $file, $format, $sibling, $entry );
			}
			$record['files'][ $name ] = $entry;
			unset( $todo[ $name ] );
			Pixpress_Status::save( $attachment_id, Pixpress_Status::pending( $record ) );
		}
		return $todo;
	}

	/**
	 * The server's `sizes` entries for the files of $files other than 'full': name => "name:WxH" or
	 * "name:WxH:crop", with the dimensions of the file WordPress made and crop as the size is
	 * registered. Left out (done file by file): names the server does not take, files of another type
	 * than the original, sizes past the server's limit of 16, and sizes not smaller than the original
	 * on either side (the server refuses the whole upload for one of those: sizes never upscale).
	 *
	 * @param array<string, array<string, mixed>> $files Files, 'full' among them.
	 * @return array<string, string>
	 */
	public static function size_specs( array $files ) {
		$specs  = array();
		$mime   = isset( $files['full']['mime'] ) ? $files['full']['mime'] : '';
		$width  = isset( $files['full']['width'] ) ? (int) $files['full']['width'] : 0;
		$height = isset( $files['full']['height'] ) ? (int) $files['full']['height'] : 0;
		if ( $width < 1 || $height < 1 ) {
			return $specs; // Dimensions unknown: the server's rule cannot be checked, file by file.
		}
		foreach ( $files as $name => $file ) {
			if ( 'full' === $name || count( $specs ) >= self::MAX_SIZES ) {
				continue;
			}
			if ( ! preg_match( self::SIZE_NAME_REGEX, (string) $name ) || $file['width'] < 1 || $file['height'] < 1 || $file['mime'] !== $mime ) {
				continue;
			}
			if ( $file['width'] >= $width && $file['height'] >= $height ) {
				continue; // As large as the original: the server would refuse the upload.
			}
			$specs[ $name ] = sprintf( '%s:%dx%d%s', $name, $file['width'], $file['height'], $file['crop'] ? ':crop' : '' );
		}
		return $specs;
	}

	/**
	 * Submit and wait until the task is finished.
	 *
	 * @param \Pixpress\Client     $client Client.
	 * @param string               $bytes The image.
	 * @param string               $filename Its name.
	 * @param array<string, mixed> $options Submit options.
	 * @return \Pixpress\Task
	 * @throws \Pixpress\Exception\PixpressException Refused or away.
	 */
	private static function run_task( $client, $bytes, $filename, array $options ) {
		$task = $client->submit( $bytes, $options + array( 'filename' => $filename ) );
		$info = $task->getQuotaInfo();
		if ( $info ) {
			Pixpress_Service::remember_quota( $info );
		}
		return $task->isFinished() ? $task : $client->waitFor( $task->getId(), self::TASK_TIMEOUT_S );
	}

	/**
	 * A download that may not exist (a variant or size the server did not make): null then.
	 *
	 * @param \Pixpress\Client $client Client.
	 * @param string           $task_id Task.
	 * @param string|null      $variant Format.
	 * @param string|null      $size Size name.
	 * @return string|null
	 * @throws \Pixpress\Exception\PixpressException Other errors.
	 */
	private static function download_optional( $client, $task_id, $variant, $size ) {
		try {
			return $client->download( $task_id, $variant, $size );
		} catch ( \Pixpress\Exception\NotFound $e ) {
			return null;
		} catch ( \Pixpress\Exception\InvalidRequest $e ) {
			return null;
		}
	}

	/**
	 * The formats of the task's variants (format=auto made more than one).
	 *
	 * @param \Pixpress\Task $task Task.
	 * @return string[]
	 */
	private static function variant_formats( $task ) {
		$variants = $task->get( 'variants' );
		$formats  = array();
		foreach ( is_array( $variants ) ? $variants : array() as $variant ) {
			if ( is_array( $variant ) && isset( $variant['format'] ) ) {
				$formats[] = (string) $variant['format'];
			}
		}
		return $formats;
	}

	/**
	 * Replaces the file with $bytes when they are one whole image (nothing after its end) of the
	 * file's type, which its extension names too, of its dimensions, and smaller than what is on disk
	 * now; the original goes to the backup folder first.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param string               $bytes The optimized image.
	 * @param array<string, mixed> $entry Its record so far.
	 * @return array<string, mixed>
	 */
	private static function apply( array $file, $bytes, array $entry ) {
		$info = @getimagesizefromstring( $bytes ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		if ( ! $info || $info['mime'] !== $file['mime'] || ( $file['width'] && ( (int) $info[0] !== $file['width'] || (int) $info[1] !== $file['height'] ) ) ) {
			$entry['error'] = 'unexpected_result';
			return $entry;
		}
		if ( wp_check_filetype( $file['path'] )['type'] !== $info['mime'] || ! Pixpress_Image_Check::is_whole( $bytes, $info['mime'] ) ) {
			self::log_refused( $file['path'], $info['mime'] );
			$entry['error'] = 'unexpected_result';
			return $entry;
		}
		clearstatcache( true, $file['path'] );
		$current = (int) filesize( $file['path'] );
		if ( strlen( $bytes ) < $current ) {
			if ( ! Pixpress_Backup::save( $file['path'], $file['rel'] ) || ! Pixpress_Backup::write( $file['path'], $bytes ) ) {
				$entry['error'] = 'write_failed';
				return $entry;
			}
			$current = strlen( $bytes );
		}
		$entry['after']   = $current;
		$entry['status']  = $current < $entry['before'] ? 'optimized' : 'no_gain';
		$entry['error']   = '';
		$entry['savings'] = $entry['before'] > 0 ? round( 100 * ( $entry['before'] - $current ) / $entry['before'], 2 ) : 0.0;
		return $entry;
	}

	/**
	 * Writes name.jpg.webp (or .avif) when it is one whole image of that format and smaller than the
	 * file itself; removes a stale one otherwise.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param string               $format 'webp' or 'avif'.
	 * @param string               $bytes The sibling.
	 * @param array<string, mixed> $entry The file's record.
	 * @return array<string, mixed>
	 */
	private static function write_sibling( array $file, $format, $bytes, array $entry ) {
		$info = @getimagesizefromstring( $bytes ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		$ok   = $info && 'image/' . $format === $info['mime'] && strlen( $bytes ) < (int) $entry['after'];
		if ( $ok && ! Pixpress_Image_Check::is_whole( $bytes, $info['mime'] ) ) {
			self::log_refused( Pixpress_Attachment::sibling_path( $file['path'], $format ), $info['mime'] );
			$ok = false;
		}
		if ( $ok && Pixpress_Backup::write( Pixpress_Attachment::sibling_path( $file['path'], $format ), $bytes ) ) {
			$entry['siblings'][ $format ] = strlen( $bytes );
		} else {
			self::remove_sibling( $file, $format );
		}
		return $entry;
	}

	/**
	 * Logs a result from the server that was not written.
	 *
	 * @param string $path Where it would have gone.
	 * @param string $mime The type its header claims.
	 */
	private static function log_refused( $path, $mime ) {
		// phpcs:ignore WordPress.PHP.DevelopmentFunctions
		error_log( sprintf( 'pixpress: refused the server\'s result for %s: not one whole %s, or not the type its extension names', $path, $mime ) );
	}

	/**
	 * Deletes a file's sibling in a format, if any.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param string               $format 'webp' or 'avif'.
	 */
	private static function remove_sibling( array $file, $format ) {
		Pixpress_Paths::delete( Pixpress_Attachment::sibling_path( $file['path'], $format ) );
	}

	/**
	 * A file's record before anything is known.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param string               $status Starting status.
	 * @return array<string, mixed>
	 */
	private static function entry( array $file, $status ) {
		return array(
			'file'       => $file['rel'],
			'status'     => $status,
			'before'     => 0,
			'after'      => 0,
			'savings'    => 0.0,
			'sent_bytes' => 0,
			'task_id'    => '',
			'error'      => 'missing' === $status ? 'missing_file' : '',
			'siblings'   => array(),
			'formats'    => array(),
			'via'        => 'file',
			'at'         => time(),
		);
	}

	/**
	 * Brings the `filesize` fields of the attachment metadata (WordPress 6.0+) up to date.
	 *
	 * @param int                                 $attachment_id Attachment.
	 * @param array<string, array<string, mixed>> $files Its files.
	 */
	public static function update_filesizes( $attachment_id, array $files ) {
		$meta = wp_get_attachment_metadata( $attachment_id );
		if ( ! is_array( $meta ) ) {
			return;
		}
		$changed = false;
		foreach ( $files as $name => $file ) {
			clearstatcache( true, $file['path'] );
			if ( ! is_file( $file['path'] ) ) {
				continue;
			}
			$size = (int) filesize( $file['path'] );
			if ( 'full' === $name && isset( $meta['filesize'] ) && (int) $meta['filesize'] !== $size ) {
				$meta['filesize'] = $size;
				$changed          = true;
			}
			if ( isset( $meta['sizes'] ) && is_array( $meta['sizes'] ) ) {
				foreach ( $meta['sizes'] as $size_name => $size_meta ) {
					if ( isset( $size_meta['file'], $size_meta['filesize'] ) && wp_basename( $size_meta['file'] ) === wp_basename( $file['path'] ) && (int) $size_meta['filesize'] !== $size ) {
						$meta['sizes'][ $size_name ]['filesize'] = $size;
						$changed                                 = true;
					}
				}
			}
		}
		if ( $changed ) {
			wp_update_attachment_metadata( $attachment_id, $meta );
		}
	}
}
