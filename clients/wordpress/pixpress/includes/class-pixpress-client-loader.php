<?php
/**
 * Finds the pixpress PHP client (namespace Pixpress\).
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The bundled copy (vendor/pixpress-client, made by `make wordpress-plugin`) first, then the
 * repository's clients/php (development: the plugin folder is clients/wordpress/pixpress).
 */
class Pixpress_Client_Loader {

	/**
	 * Loads the client once; false when no copy is found.
	 *
	 * @return bool
	 */
	public static function load() {
		if ( class_exists( '\Pixpress\Client' ) ) {
			return true;
		}
		foreach ( self::candidates() as $autoload ) {
			if ( is_file( $autoload ) ) {
				require_once $autoload;
				return class_exists( '\Pixpress\Client' );
			}
		}
		return false;
	}

	/**
	 * Where the client's autoload.php may be, in order.
	 *
	 * @return string[]
	 */
	public static function candidates() {
		return array(
			PIXPRESS_DIR . '/vendor/pixpress-client/autoload.php',
			dirname( PIXPRESS_DIR, 2 ) . '/php/autoload.php',
		);
	}
}
