<?php
/**
 * One-shot admin notices after an admin-post action and its redirect.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Keeps a message for the current user until the next admin page shows it.
 */
class Pixpress_Admin_Notices {

	/**
	 * Hooks the display.
	 */
	public static function register() {
		add_action( 'admin_notices', array( __CLASS__, 'render' ) );
	}

	/**
	 * Keeps a message for the next page.
	 *
	 * @param string $type 'success', 'warning', 'error' or 'info'.
	 * @param string $message Plain text.
	 */
	public static function add( $type, $message ) {
		set_transient( self::key(), array( 'type' => $type, 'message' => $message ), 5 * MINUTE_IN_SECONDS );
	}

	/**
	 * Shows and forgets the kept message.
	 */
	public static function render() {
		$notice = get_transient( self::key() );
		if ( ! is_array( $notice ) ) {
			return;
		}
		delete_transient( self::key() );
		$type = in_array( $notice['type'], array( 'success', 'warning', 'error', 'info' ), true ) ? $notice['type'] : 'info';
		printf(
			'<div class="notice notice-%1$s is-dismissible" id="pixpress-notice"><p>%2$s</p></div>',
			esc_attr( $type ),
			esc_html( $notice['message'] )
		);
	}

	/**
	 * The transient of the current user.
	 *
	 * @return string
	 */
	private static function key() {
		return 'pixpress_notice_' . get_current_user_id();
	}
}
