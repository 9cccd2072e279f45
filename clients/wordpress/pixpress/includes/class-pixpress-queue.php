<?php
/**
 * The plugin's own queue of attachments to optimize: a small table, one row per attachment.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Rows are claimed with a conditional UPDATE (a lease), so WP-Cron and the bulk page's ticks running
 * at the same time never optimize one attachment twice.
 */
class Pixpress_Queue {

	const DB_VERSION        = '1';
	const DB_VERSION_OPTION = 'pixpress_db_version';
	const CRON_HOOK         = 'pixpress_process_queue';
	const LEASE_S           = 600;
	const MAX_ATTEMPTS      = 5;

	/**
	 * The table's name with the site's prefix.
	 *
	 * @return string
	 */
	public static function table() {
		global $wpdb;
		return $wpdb->prefix . 'pixpress_queue';
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
  attachment_id bigint(20) unsigned NOT NULL,
  source varchar(10) NOT NULL DEFAULT 'upload',
  queued_at int(10) unsigned NOT NULL DEFAULT 0,
  attempts smallint(5) unsigned NOT NULL DEFAULT 0,
  locked_until int(10) unsigned NOT NULL DEFAULT 0,
  last_error varchar(64) NOT NULL DEFAULT '',
  PRIMARY KEY  (attachment_id),
  KEY queued_at (queued_at)
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
	 * Adds an attachment (a no-op when it is queued already).
	 *
	 * @param int    $attachment_id Attachment.
	 * @param string $source 'upload', 'bulk' or 'manual'.
	 * @return bool Whether a row was added.
	 */
	public static function add( $attachment_id, $source = 'upload' ) {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$added = $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$table} (attachment_id, source, queued_at) VALUES (%d, %s, %d)", $attachment_id, $source, time() ) );
		return 1 === (int) $added;
	}

	/**
	 * Adds many attachments at once.
	 *
	 * @param int[]  $ids Attachments.
	 * @param string $source Why they are queued.
	 * @return int Rows added.
	 */
	public static function add_many( array $ids, $source ) {
		global $wpdb;
		$table = self::table();
		$added = 0;
		$now   = time();
		foreach ( array_chunk( array_map( 'intval', $ids ), 500 ) as $chunk ) {
			$values = array();
			foreach ( $chunk as $id ) {
				$values[] = $wpdb->prepare( '(%d, %s, %d)', $id, $source, $now );
			}
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.NotPrepared
			$added += (int) $wpdb->query( "INSERT IGNORE INTO {$table} (attachment_id, source, queued_at) VALUES " . implode( ',', $values ) );
		}
		return $added;
	}

	/**
	 * Takes the next attachment that no one else holds, for LEASE_S seconds.
	 *
	 * @param bool $include_bulk Whether rows queued by the bulk run may be taken (not while it is paused).
	 * @return int The attachment, or 0 when nothing is waiting.
	 */
	public static function claim( $include_bulk ) {
		global $wpdb;
		$table = self::table();
		$now   = time();
		$where = $include_bulk ? '' : " AND source <> 'bulk'";
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$ids = $wpdb->get_col( $wpdb->prepare( "SELECT attachment_id FROM {$table} WHERE locked_until < %d{$where} ORDER BY queued_at, attachment_id LIMIT 10", $now ) );
		foreach ( $ids as $id ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			$taken = $wpdb->query( $wpdb->prepare( "UPDATE {$table} SET locked_until = %d, attempts = attempts + 1 WHERE attachment_id = %d AND locked_until < %d", $now + self::LEASE_S, $id, $now ) );
			if ( 1 === (int) $taken ) {
				return (int) $id;
			}
		}
		return 0;
	}

	/**
	 * Puts a claimed attachment back, to be taken again later.
	 *
	 * @param int    $attachment_id Attachment.
	 * @param string $error Why it was not finished ('' when it simply was not its turn).
	 * @param bool   $count_attempt Whether this try counts towards MAX_ATTEMPTS.
	 */
	public static function release( $attachment_id, $error = '', $count_attempt = true ) {
		global $wpdb;
		$table    = self::table();
		$attempts = $count_attempt ? 'attempts' : 'GREATEST(attempts, 1) - 1';
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( $wpdb->prepare( "UPDATE {$table} SET locked_until = 0, attempts = {$attempts}, last_error = %s WHERE attachment_id = %d", $error, $attachment_id ) );
	}

	/**
	 * Attempts made so far for a queued attachment.
	 *
	 * @param int $attachment_id Attachment.
	 * @return int
	 */
	public static function attempts( $attachment_id ) {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT attempts FROM {$table} WHERE attachment_id = %d", $attachment_id ) );
	}

	/**
	 * Removes an attachment from the queue (finished, deleted, restored).
	 *
	 * @param int $attachment_id Attachment.
	 */
	public static function remove( $attachment_id ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->delete( self::table(), array( 'attachment_id' => (int) $attachment_id ), array( '%d' ) );
	}

	/**
	 * Whether the attachment is waiting.
	 *
	 * @param int $attachment_id Attachment.
	 * @return bool
	 */
	public static function has( $attachment_id ) {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return (bool) $wpdb->get_var( $wpdb->prepare( "SELECT 1 FROM {$table} WHERE attachment_id = %d", $attachment_id ) );
	}

	/**
	 * Rows waiting, all or from one source.
	 *
	 * @param string|null $source 'bulk', 'upload', 'manual', or null for all.
	 * @return int
	 */
	public static function count( $source = null ) {
		global $wpdb;
		$table = self::table();
		if ( null === $source ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			return (int) $wpdb->get_var( "SELECT COUNT(*) FROM {$table}" );
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$table} WHERE source = %s", $source ) );
	}

	/**
	 * Rows waiting that no run holds now.
	 *
	 * @param bool $include_bulk Whether rows queued by the bulk run count.
	 * @return int
	 */
	public static function count_free( $include_bulk ) {
		global $wpdb;
		$table = self::table();
		$where = $include_bulk ? '' : " AND source <> 'bulk'";
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		return (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$table} WHERE locked_until < %d{$where}", time() ) );
	}

	/**
	 * Asks WP-Cron to process the queue soon (once; a page view or wp-cron.php runs it).
	 *
	 * @param int $delay_s Seconds from now.
	 */
	public static function schedule( $delay_s = 0 ) {
		if ( ! wp_next_scheduled( self::CRON_HOOK ) ) {
			wp_schedule_single_event( time() + (int) $delay_s, self::CRON_HOOK );
		}
	}

	/**
	 * Drops the table (uninstall).
	 */
	public static function drop() {
		global $wpdb;
		$table = self::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$wpdb->query( "DROP TABLE IF EXISTS {$table}" );
		delete_option( self::DB_VERSION_OPTION );
	}
}
