<?php
/**
 * "Optimize with pixpress" and "Restore originals" in the Media Library's Bulk actions menu.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * upload.php checks its own nonce (bulk-media) before handle_bulk_actions-upload runs; each image is
 * checked for edit_post here. Optimizing queues the images (WP-Cron does them); restoring is done at
 * once (local copies only).
 */
class Pixpress_Admin_Media_Bulk_Actions {

	const OPTIMIZE = 'pixpress_bulk_optimize';
	const RESTORE  = 'pixpress_bulk_restore';

	/**
	 * Hooks the menu, the handler and its notice.
	 */
	public static function register() {
		add_filter( 'bulk_actions-upload', array( __CLASS__, 'actions' ) );
		add_filter( 'handle_bulk_actions-upload', array( __CLASS__, 'handle' ), 10, 3 );
		add_action( 'admin_notices', array( __CLASS__, 'notice' ) );
	}

	/**
	 * Adds the two actions.
	 *
	 * @param array<string, string> $actions Actions.
	 * @return array<string, string>
	 */
	public static function actions( $actions ) {
		if ( current_user_can( 'upload_files' ) ) {
			if ( Pixpress_Settings::is_configured() ) {
				$actions[ self::OPTIMIZE ] = __( 'Optimize with pixpress', 'pixpress' );
			}
			$actions[ self::RESTORE ] = __( 'Restore originals (pixpress)', 'pixpress' );
		}
		return $actions;
	}

	/**
	 * Runs the chosen action on the selected images.
	 *
	 * @param string $redirect Where upload.php goes next.
	 * @param string $action The action.
	 * @param int[]  $ids The selected attachments.
	 * @return string
	 */
	public static function handle( $redirect, $action, $ids ) {
		if ( ! in_array( $action, array( self::OPTIMIZE, self::RESTORE ), true ) || ! current_user_can( 'upload_files' ) ) {
			return $redirect;
		}
		$done = 0;
		foreach ( array_map( 'intval', (array) $ids ) as $id ) {
			if ( ! current_user_can( 'edit_post', $id ) || ! Pixpress_Attachment::is_supported( $id ) ) {
				continue;
			}
			if ( self::OPTIMIZE === $action ) {
				// "Optimize" means again: a restored image is taken too (the queue's run forces nothing else).
				$record = Pixpress_Status::get( $id );
				if ( isset( $record['status'] ) && 'restored' === $record['status'] ) {
					Pixpress_Status::clear( $id );
				}
				Pixpress_Queue::add( $id, 'manual' );
				++$done;
			} elseif ( Pixpress_Admin_Attachment_View::has_backup( Pixpress_Status::get( $id ) ) && ! is_wp_error( Pixpress_Restore::restore( $id ) ) ) {
				++$done;
			}
		}
		if ( self::OPTIMIZE === $action && $done ) {
			Pixpress_Queue::schedule();
		}
		return add_query_arg( array( 'pixpress_bulk' => $action, 'pixpress_count' => $done ), remove_query_arg( array( 'pixpress_bulk', 'pixpress_count' ), $redirect ) );
	}

	/**
	 * What was done, on the page the action comes back to.
	 */
	public static function notice() {
		// phpcs:disable WordPress.Security.NonceVerification -- a message only, nothing is changed.
		if ( empty( $_GET['pixpress_bulk'] ) || ! isset( $_GET['pixpress_count'] ) ) {
			return;
		}
		$action = sanitize_key( wp_unslash( $_GET['pixpress_bulk'] ) );
		$count  = absint( $_GET['pixpress_count'] );
		// phpcs:enable
		if ( self::OPTIMIZE === $action ) {
			/* translators: %d: number of images. */
			$message = sprintf( _n( '%d image queued for pixpress.', '%d images queued for pixpress.', $count, 'pixpress' ), $count );
		} elseif ( self::RESTORE === $action ) {
			/* translators: %d: number of images. */
			$message = sprintf( _n( '%d image restored to its original.', '%d images restored to their originals.', $count, 'pixpress' ), $count );
		} else {
			return;
		}
		printf( '<div class="notice notice-success is-dismissible" id="pixpress-bulk-action-notice"><p>%s</p></div>', esc_html( $message ) );
	}
}
