<?php
/**
 * Plugin Name:       pixpress
 * Plugin URI:        https://github.com/pixpress/pixpress
 * Description:       Optimizes the Media Library's images (the original and every size) through your pixpress server, in the background, with backups, restore, a bulk page and WebP/AVIF siblings served in &lt;picture&gt; elements.
 * Version:           0.1.0
 * Requires at least: 6.0
 * Requires PHP:      7.4
 * Author:            pixpress
 * License:           GPL-2.0-or-later
 * Text Domain:       pixpress
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'PIXPRESS_VERSION', '0.1.0' );
define( 'PIXPRESS_FILE', __FILE__ );
define( 'PIXPRESS_DIR', __DIR__ );

/*
 * The plugin's own classes: Pixpress_Foo_Bar lives in includes/class-pixpress-foo-bar.php.
 */
spl_autoload_register(
	static function ( $class_name ) {
		if ( strpos( $class_name, 'Pixpress_' ) !== 0 ) {
			return;
		}
		$file = PIXPRESS_DIR . '/includes/class-' . strtolower( str_replace( '_', '-', $class_name ) ) . '.php';
		if ( is_file( $file ) ) {
			require $file;
		}
	}
);

register_activation_hook( __FILE__, array( 'Pixpress_Plugin', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'Pixpress_Plugin', 'deactivate' ) );
// The custom folders' table; the delivery rules go with the plugin (a stale sibling would be served).
register_activation_hook( __FILE__, array( 'Pixpress_Folders', 'install' ) );
register_deactivation_hook( __FILE__, array( 'Pixpress_Delivery_Rules', 'remove' ) );

Pixpress_Plugin::boot();

/**
 * Process the optimization queue now, for up to $budget_s seconds (what WP-Cron and the bulk page's
 * ticks run). Returns what was done: array( 'processed' => int, 'stopped' => string|null ).
 *
 * @param float $budget_s Seconds to spend; at least one attachment is processed when one is waiting.
 * @return array<string, mixed>
 */
function pixpress_process_queue( $budget_s = 20.0 ) {
	return Pixpress_Processor::run( (float) $budget_s, true );
}
