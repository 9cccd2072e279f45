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
		add_action( 'admin_head-upload.php', array( __CLASS__, 'column_style' ) );
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
	 * Keeps the column narrow.
	 */
	public static function column_style() {
		echo '<style>.fixed .column-pixpress{width:14em}</style>';
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
		$record = Pixpress_Status::get( $attachment_id );
		$status = isset( $record['status'] ) ? (string) $record['status'] : '';
		if ( '' === $status && Pixpress_Queue::has( $attachment_id ) ) {
			$status = 'queued';
		}
		echo '<div class="pixpress-status" id="pixpress-status-' . (int) $attachment_id . '" data-status="' . esc_attr( $status ) . '">';
		echo '<strong>' . esc_html( Pixpress_Status::label( $status ) ) . '</strong>';
		if ( 'optimized' === $status ) {
			printf(
				'<br>%s',
				esc_html(
					sprintf(
						/* translators: 1: percent saved, 2: size before, 3: size after. */
						__( '%1$s%% smaller (%2$s → %3$s)', 'pixpress' ),
						number_format_i18n( (float) $record['savings'], 1 ),
						size_format( (int) $record['before'], 1 ),
						size_format( (int) $record['after'], 1 )
					)
				)
			);
			$siblings = self::sibling_formats( $record );
			if ( $siblings ) {
				echo '<br>' . esc_html( strtoupper( implode( ' + ', $siblings ) ) );
			}
		} elseif ( in_array( $status, array( 'skipped', 'failed' ), true ) && ! empty( $record['reason'] ) ) {
			echo '<br>' . esc_html( Pixpress_Status::reason_label( (string) $record['reason'] ) );
		}
		$links = self::action_links( $attachment_id, $record );
		if ( $links ) {
			echo '<br>' . implode( ' | ', $links ); // phpcs:ignore WordPress.Security.EscapeOutput -- built escaped.
		}
		echo '</div>';
	}

	/**
	 * The same actions in the row's hover links.
	 *
	 * @param array<string, string> $actions Actions.
	 * @param WP_Post               $post The attachment.
	 * @return array<string, string>
	 */
	public static function row_actions( $actions, $post ) {
		if ( Pixpress_Attachment::is_supported( $post->ID ) ) {
			$actions = array_merge( $actions, self::action_links( $post->ID, Pixpress_Status::get( $post->ID ) ) );
		}
		return $actions;
	}

	/**
	 * The links the current user may use on this attachment.
	 *
	 * @param int                  $attachment_id Attachment.
	 * @param array<string, mixed> $record Its record.
	 * @return array<string, string> Escaped HTML.
	 */
	private static function action_links( $attachment_id, array $record ) {
		if ( ! current_user_can( 'upload_files' ) || ! current_user_can( 'edit_post', $attachment_id ) ) {
			return array();
		}
		$links = array();
		if ( Pixpress_Settings::is_configured() ) {
			$links['pixpress_optimize'] = sprintf(
				'<a href="%1$s" class="pixpress-optimize" id="pixpress-optimize-%2$d">%3$s</a>',
				esc_url( self::action_url( 'pixpress_optimize', $attachment_id ) ),
				(int) $attachment_id,
				esc_html__( 'Optimize now', 'pixpress' )
			);
		}
		if ( self::has_backup( $attachment_id, $record ) ) {
			$links['pixpress_restore'] = sprintf(
				'<a href="%1$s" class="pixpress-restore" id="pixpress-restore-%2$d">%3$s</a>',
				esc_url( self::action_url( 'pixpress_restore', $attachment_id ) ),
				(int) $attachment_id,
				esc_html__( 'Restore original', 'pixpress' )
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

	/**
	 * Whether any file of the attachment has a backup or a sibling (something to undo).
	 *
	 * @param int                  $attachment_id Attachment.
	 * @param array<string, mixed> $record Its record.
	 * @return bool
	 */
	private static function has_backup( $attachment_id, array $record ) {
		if ( empty( $record['files'] ) ) {
			return false;
		}
		foreach ( $record['files'] as $entry ) {
			if ( ! empty( $entry['siblings'] ) || ( ! empty( $entry['file'] ) && is_file( Pixpress_Backup::path( $entry['file'] ) ) ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Sibling formats written for any file of the record.
	 *
	 * @param array<string, mixed> $record The record.
	 * @return string[]
	 */
	private static function sibling_formats( array $record ) {
		$formats = array();
		foreach ( isset( $record['files'] ) ? $record['files'] : array() as $entry ) {
			$formats = array_merge( $formats, array_keys( isset( $entry['siblings'] ) ? (array) $entry['siblings'] : array() ) );
		}
		return array_values( array_unique( $formats ) );
	}
}
