<?php
/**
 * The dashboard widget: quota and library counts.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Shown to users who can manage options.
 */
class Pixpress_Dashboard_Widget {

	/**
	 * Hooks the widget.
	 */
	public static function register() {
		add_action( 'wp_dashboard_setup', array( __CLASS__, 'add' ) );
	}

	/**
	 * Adds the widget for administrators.
	 */
	public static function add() {
		if ( current_user_can( 'manage_options' ) ) {
			wp_add_dashboard_widget( 'pixpress_dashboard', esc_html__( 'pixpress', 'pixpress' ), array( __CLASS__, 'render' ) );
		}
	}

	/**
	 * The widget's content.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			return;
		}
		Pixpress_Quota_View::render( Pixpress_Quota_View::quota() );
		$counts = Pixpress_Bulk::counts();
		printf(
			'<p id="pixpress-dashboard-counts">%s</p>',
			esc_html(
				sprintf(
					/* translators: 1: optimized images, 2: all images, 3: queued images. */
					__( '%1$d of %2$d images optimized, %3$d waiting.', 'pixpress' ),
					$counts['optimized'],
					$counts['total'],
					$counts['pending']
				)
			)
		);
		printf( '<p id="pixpress-dashboard-saved"><strong>%s</strong></p>', esc_html( Pixpress_Bulk::savings_text( Pixpress_Bulk::savings() ) ) );
		printf(
			'<p><a href="%1$s">%2$s</a> | <a href="%3$s">%4$s</a></p>',
			esc_url( admin_url( 'upload.php?page=' . Pixpress_Admin_Bulk_Page::SLUG ) ),
			esc_html__( 'Bulk pixpress', 'pixpress' ),
			esc_url( admin_url( 'options-general.php?page=' . Pixpress_Admin_Settings_Page::SLUG ) ),
			esc_html__( 'Settings', 'pixpress' )
		);
	}
}
