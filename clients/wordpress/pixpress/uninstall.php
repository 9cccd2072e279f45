<?php
/**
 * Uninstall: the plugin's options, queue table, cron events and transients are removed. Files are
 * left as they are: optimized images, backups in uploads/pixpress-backup and the .webp/.avif
 * siblings (see readme.txt). The `_pixpress` post meta stays too, so a reinstall can still restore.
 *
 * @package pixpress
 */

if ( ! defined( 'WP_UNINSTALL_PLUGIN' ) ) {
	exit;
}

global $wpdb;

foreach ( array( 'pixpress_settings', 'pixpress_bulk', 'pixpress_paused', 'pixpress_db_version', 'pixpress_runner_key', 'pixpress_runner_slot_0', 'pixpress_runner_slot_1', 'pixpress_wizard' ) as $pixpress_option ) {
	delete_option( $pixpress_option );
}
foreach ( array( 'pixpress_quota', 'pixpress_features', 'pixpress_connection' ) as $pixpress_transient ) {
	delete_transient( $pixpress_transient );
}
// Per-user notices: pixpress_notice_<user id>.
// phpcs:ignore WordPress.DB.DirectDatabaseQuery
$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name LIKE %s OR option_name LIKE %s", $wpdb->esc_like( '_transient_pixpress_notice_' ) . '%', $wpdb->esc_like( '_transient_timeout_pixpress_notice_' ) . '%' ) );

wp_clear_scheduled_hook( 'pixpress_cron' );
wp_clear_scheduled_hook( 'pixpress_process_queue' );

// The delivery rules (uploads/.htaccess between the pixpress markers) and the check's result.
$pixpress_htaccess = trailingslashit( wp_get_upload_dir()['basedir'] ) . '.htaccess';
if ( is_file( $pixpress_htaccess ) ) {
	$pixpress_text = (string) file_get_contents( $pixpress_htaccess );
	$pixpress_kept = preg_replace( '/(?:^\R)?^# BEGIN pixpress\R.*?^# END pixpress\R?/ms', '', $pixpress_text );
	if ( is_string( $pixpress_kept ) && $pixpress_kept !== $pixpress_text ) {
		if ( '' === trim( $pixpress_kept ) ) {
			wp_delete_file( $pixpress_htaccess );
		} else {
			file_put_contents( $pixpress_htaccess, $pixpress_kept ); // phpcs:ignore WordPress.WP.AlternativeFunctions
		}
	}
}
delete_option( 'pixpress_delivery_check' );

// Custom folders: their list, their cron event and their table (backups of their files stay, as above).
delete_option( 'pixpress_folders' );
wp_clear_scheduled_hook( 'pixpress_folders_cron' );
$pixpress_files_table = $wpdb->prefix . 'pixpress_files';
// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery.SchemaChange
$wpdb->query( "DROP TABLE IF EXISTS {$pixpress_files_table}" );
delete_option( 'pixpress_files_db_version' );

$pixpress_table = $wpdb->prefix . 'pixpress_queue';
// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared, WordPress.DB.DirectDatabaseQuery.SchemaChange
$wpdb->query( "DROP TABLE IF EXISTS {$pixpress_table}" );
