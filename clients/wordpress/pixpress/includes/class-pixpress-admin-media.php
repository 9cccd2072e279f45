<?php
/**
 * Media Library: the pixpress column and the per-image actions.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * "Optimize now" and "Restore original" go through admin-post.php with a nonce per image and need
 * upload_files plus the right to edit that attachment.
 */
class Pixpress_Admin_Media {

	/**
	 * Hooks the column, the row actions and the action handlers.
	 */
	public static function register() {
		add_filter( 'manage_media_columns', array( __CLASS__, 'columns' ) );
		add_action( 'manage_media_custom_column', array( __CLASS__, 'column' ), 10, 2 );
		add_filter( 'media_row_actions', array( __CLASS__, 'row_actions' ), 10, 2 );
		add_action( 'admin_post_pixpress_optimize', array( __CLASS__, 'handle_optimize' ) );
		add_action( 'admin_post_pixpress_restore', array( __CLASS__, 'handle_restore' ) );
	}

	/**
	 * Adds the column to the list view.
	 *
	 * @param array<string, string> $columns Columns.
	 * @return array<string, string>
	 */
	public static function columns( $columns ) {
		if ( current_user_can( 'upload_files' ) ) {
			$columns['pixpress'] = esc_html__( 'pixpress', 'pixpress' );
		}
		return $columns;
	}

	/**
	 * The column's cell: status, savings, and the buttons.
	 *
	 * @param string $column Column.
	 * @param int    $attachment_id Attachment.
	 */
	public static function column( $column, $attachment_id ) {
		if ( 'pixpress' !== $column || ! Pixpress_Attachment::is_supported( $attachment_id ) ) {
			return;
		}
		$view = Pixpress_Admin_Attachment_View::describe( $attachment_id );
		echo Pixpress_Admin_Attachment_View::html( $attachment_id, $view, self::action_links( $attachment_id, $view, 'pixpress' ), true ); // phpcs:ignore WordPress.Security.EscapeOutput -- built escaped.
	}

	/**
	 * The same actions in the row's hover links (without element ids: the column has them, and an id
	 * is once per page).
	 *
	 * @param array<string, string> $actions Actions.
	 * @param WP_Post               $post The attachment.
	 * @return array<string, string>
	 */
	public static function row_actions( $actions, $post ) {
		if ( Pixpress_Attachment::is_supported( $post->ID ) ) {
			$view    = Pixpress_Admin_Attachment_View::describe( $post->ID );
			$actions = array_merge( $actions, self::action_links( $post->ID, $view, '' ) );
		}
		return $actions;
	}

	/**
	 * The links the current user may use on this attachment.
	 *
	 * @param int                  $attachment_id Attachment.
	 * @param array<string, mixed> $view What Pixpress_Admin_Attachment_View::describe() said.
	 * @param string               $id_prefix Element ids as PREFIX-optimize-ID ('' for none).
	 * @return array<string, string> Escaped HTML.
	 */
	public static function action_links( $attachment_id, array $view, $id_prefix ) {
		if ( ! current_user_can( 'upload_files' ) || ! current_user_can( 'edit_post', $attachment_id ) ) {
			return array();
		}
		$links = array();
		$id    = static function ( $what ) use ( $id_prefix, $attachment_id ) {
			return '' === $id_prefix ? '' : sprintf( ' id="%s-%s-%d"', esc_attr( $id_prefix ), esc_attr( $what ), (int) $attachment_id );
		};
		if ( Pixpress_Settings::is_configured() ) {
			$links['pixpress_optimize'] = sprintf(
				'<a href="%1$s" class="pixpress-optimize"%2$s>%3$s</a>',
				esc_url( self::action_url( 'pixpress_optimize', $attachment_id ) ),
				$id( 'optimize' ),
				esc_html__( 'Optimize now', 'pixpress' )
			);
		}
		if ( $view['has_backup'] ) {
			$links['pixpress_restore'] = sprintf(
				'<a href="%1$s" class="pixpress-restore"%2$s>%3$s</a>',
				esc_url( self::action_url( 'pixpress_restore', $attachment_id ) ),
				$id( 'restore' ),
				esc_html__( 'Restore original', 'pixpress' )
			);
		}
		if ( Pixpress_Admin_Compare::available( $attachment_id ) ) {
			$links['pixpress_compare'] = sprintf(
				'<a href="%1$s" class="pixpress-compare"%2$s>%3$s</a>',
				esc_url( Pixpress_Admin_Compare::url( $attachment_id ) ),
				$id( 'compare' ),
				esc_html__( 'Compare', 'pixpress' )
			);
		}
		return $links;
	}

	/**
	 * An admin-post.php link with its nonce.
	 *
	 * @param string $action pixpress_optimize or pixpress_restore.
	 * @param int    $attachment_id Attachment.
	 * @return string
	 */
	public static function action_url( $action, $attachment_id ) {
		return wp_nonce_url(
			add_query_arg(
				array(
					'action'        => $action,
					'attachment_id' => (int) $attachment_id,
				),
				admin_url( 'admin-post.php' )
			),
			$action . '_' . (int) $attachment_id
		);
	}

	/**
	 * "Optimize now": at once, in this request.
	 */
	public static function handle_optimize() {
		$id = self::checked_request( 'pixpress_optimize' );
		try {
			$record = Pixpress_Optimizer::optimize( $id, true );
			Pixpress_Queue::remove( $id );
			if ( 'optimized' === $record['status'] ) {
				/* translators: %s: percent saved. */
				Pixpress_Admin_Notices::add( 'success', sprintf( __( 'Optimized: %s%% smaller.', 'pixpress' ), number_format_i18n( (float) $record['savings'], 1 ) ) );
			} else {
				/* translators: 1: status, 2: reason. */
				Pixpress_Admin_Notices::add( 'failed' === $record['status'] ? 'error' : 'info', sprintf( __( '%1$s: %2$s', 'pixpress' ), Pixpress_Status::label( $record['status'] ), Pixpress_Status::reason_label( (string) $record['reason'] ) ) );
			}
		} catch ( \Pixpress\Exception\QuotaExceeded $e ) {
			// Remember the empty quota (the row then says why it stopped) and finish after the reset.
			$details = $e->getDetails();
			if ( isset( $details['quota_info'] ) && is_array( $details['quota_info'] ) ) {
				Pixpress_Service::remember_quota( $details['quota_info'] );
			}
			Pixpress_Queue::add( $id, 'manual' );
			Pixpress_Admin_Notices::add( 'error', Pixpress_Service::describe_error( $e ) );
		} catch ( \Pixpress\Exception\PixpressException $e ) {
			Pixpress_Admin_Notices::add( 'error', Pixpress_Service::describe_error( $e ) );
		}
		self::back();
	}

	/**
	 * "Restore original".
	 */
	public static function handle_restore() {
		$id     = self::checked_request( 'pixpress_restore' );
		$result = Pixpress_Restore::restore( $id );
		if ( is_wp_error( $result ) ) {
			Pixpress_Admin_Notices::add( 'error', $result->get_error_message() );
		} else {
			/* translators: %d: number of files. */
			Pixpress_Admin_Notices::add( 'success', sprintf( _n( 'Restored %d file to its original.', 'Restored %d files to their originals.', $result, 'pixpress' ), $result ) );
		}
		self::back();
	}

	/**
	 * The attachment of the request, after the capability and nonce checks (dies otherwise).
	 *
	 * @param string $action The action.
	 * @return int
	 */
	private static function checked_request( $action ) {
		$id = isset( $_REQUEST['attachment_id'] ) ? absint( $_REQUEST['attachment_id'] ) : 0; // phpcs:ignore WordPress.Security.NonceVerification -- checked below.
		check_admin_referer( $action . '_' . $id );
		if ( ! $id || 'attachment' !== get_post_type( $id ) ) {
			wp_die( esc_html__( 'No such image.', 'pixpress' ), '', array( 'response' => 404 ) );
		}
		if ( ! current_user_can( 'upload_files' ) || ! current_user_can( 'edit_post', $id ) ) {
			wp_die( esc_html__( 'You are not allowed to change this image.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		return $id;
	}

	/**
	 * Back to where the user came from (the Media Library by default).
	 */
	private static function back() {
		wp_safe_redirect( wp_get_referer() ? wp_get_referer() : admin_url( 'upload.php?mode=list' ) );
		exit;
	}
}
