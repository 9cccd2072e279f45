<?php
/**
 * Wires the plugin into WordPress.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Hooks, activation and deactivation.
 */
class Pixpress_Plugin {

	const RECURRING_HOOK = 'pixpress_cron';
	const SCHEDULE       = 'pixpress_five_minutes';

	/**
	 * Called once from pixpress.php.
	 */
	public static function boot() {
		add_action( 'plugins_loaded', array( __CLASS__, 'loaded' ) );
		add_filter( 'cron_schedules', array( __CLASS__, 'cron_schedules' ) ); // phpcs:ignore WordPress.WP.CronInterval
	}

	/**
	 * Everything else, once WordPress has loaded the plugins.
	 */
	public static function loaded() {
		load_plugin_textdomain( 'pixpress', false, dirname( plugin_basename( PIXPRESS_FILE ) ) . '/languages' );
		Pixpress_Queue::maybe_install();

		add_action( 'init', array( __CLASS__, 'register_setting' ) );
		add_action( Pixpress_Queue::CRON_HOOK, array( 'Pixpress_Processor', 'cron' ) );
		add_action( self::RECURRING_HOOK, array( 'Pixpress_Processor', 'cron' ) );
		add_filter( 'wp_generate_attachment_metadata', array( __CLASS__, 'on_new_metadata' ), 20, 2 );
		add_filter( 'wp_update_attachment_metadata', array( __CLASS__, 'on_updated_metadata' ), 20, 2 );
		add_action( 'delete_attachment', array( 'Pixpress_Restore', 'on_delete' ) );
		Pixpress_Picture::register();
		Pixpress_Runner::register();

		if ( is_admin() ) {
			Pixpress_Admin_Notices::register();
			Pixpress_Admin_Settings_Page::register();
			Pixpress_Admin_Media::register();
			Pixpress_Admin_Media_Modal::register();
			Pixpress_Admin_Media_Bulk_Actions::register();
			Pixpress_Admin_Compare::register();
			Pixpress_Admin_Wizard::register();
			Pixpress_Admin_Bulk_Page::register();
			Pixpress_Dashboard_Widget::register();
			Pixpress_Admin_Delivery::register();
			Pixpress_Admin_Folders_Page::register();
		}
		Pixpress_Folders::register();
		if ( ! wp_next_scheduled( self::RECURRING_HOOK ) ) {
			wp_schedule_event( time() + 300, self::SCHEDULE, self::RECURRING_HOOK );
		}
	}

	/**
	 * The option and its sanitizer (on init, so update_option() from code is sanitized too).
	 */
	public static function register_setting() {
		register_setting(
			'pixpress',
			Pixpress_Settings::OPTION,
			array(
				'type'              => 'array',
				'sanitize_callback' => array( 'Pixpress_Settings', 'sanitize' ),
				'default'           => Pixpress_Settings::defaults(),
				'show_in_rest'      => false,
			)
		);
	}

	/**
	 * Adds the five-minute schedule of the recurring queue check.
	 *
	 * @param array<string, array<string, mixed>> $schedules Schedules.
	 * @return array<string, array<string, mixed>>
	 */
	public static function cron_schedules( $schedules ) {
		$schedules[ self::SCHEDULE ] = array(
			'interval' => 5 * MINUTE_IN_SECONDS,
			'display'  => __( 'Every five minutes (pixpress)', 'pixpress' ),
		);
		return $schedules;
	}

	/**
	 * A new upload (or regenerated sizes): queue it; a loopback runner starts on it when this request
	 * ends (WP-Cron as the fallback). The upload request itself sends nothing to pixpress.
	 *
	 * @param array<string, mixed> $metadata The attachment metadata being saved.
	 * @param int                  $attachment_id Attachment.
	 * @return array<string, mixed>
	 */
	public static function on_new_metadata( $metadata, $attachment_id ) {
		if ( Pixpress_Settings::get( 'auto_optimize' ) && Pixpress_Settings::is_configured() && Pixpress_Attachment::is_supported( $attachment_id ) ) {
			Pixpress_Queue::add( (int) $attachment_id, 'upload' );
			Pixpress_Queue::schedule();
			Pixpress_Runner::request();
		}
		return $metadata;
	}

	/**
	 * Metadata saved without being generated, e.g. by the image editor (crop, rotate: new files with
	 * an -e<timestamp> suffix): an image optimized before whose file changed is queued again; its
	 * files done before are recognised and not sent twice.
	 *
	 * @param array<string, mixed> $metadata The attachment metadata being saved.
	 * @param int                  $attachment_id Attachment.
	 * @return array<string, mixed>
	 */
	public static function on_updated_metadata( $metadata, $attachment_id ) {
		$record = Pixpress_Status::get( $attachment_id );
		if ( empty( $record['files']['full']['file'] ) || ! is_array( $metadata ) || empty( $metadata['file'] ) ) {
			return $metadata;
		}
		if ( $record['files']['full']['file'] !== $metadata['file'] ) {
			self::on_new_metadata( $metadata, $attachment_id );
		}
		return $metadata;
	}

	/**
	 * Activation: the queue table and the recurring event.
	 */
	public static function activate() {
		Pixpress_Queue::install();
		add_option( Pixpress_Settings::OPTION, Pixpress_Settings::defaults() );
		if ( ! wp_next_scheduled( self::RECURRING_HOOK ) ) {
			wp_schedule_event( time() + 300, self::SCHEDULE, self::RECURRING_HOOK );
		}
	}

	/**
	 * Deactivation: no more cron events (the queue and the settings stay for a reactivation).
	 */
	public static function deactivate() {
		wp_clear_scheduled_hook( self::RECURRING_HOOK );
		wp_clear_scheduled_hook( Pixpress_Queue::CRON_HOOK );
	}
}
