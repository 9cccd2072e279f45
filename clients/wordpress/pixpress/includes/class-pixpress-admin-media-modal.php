<?php
/**
 * The Media Library's grid view and the attachment details modal: the same status as the list view.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The grid is drawn in the browser from wp.media's models: the status rides along in each model
 * (wp_prepare_attachment_for_js) and assets/pixpress-media.js puts it on the tile. The modal shows
 * the attachment's fields (attachment_fields_to_edit): the status block, the actions and the
 * before/after slider.
 */
class Pixpress_Admin_Media_Modal {

	/**
	 * Hooks the model data, the modal field and the script.
	 */
	public static function register() {
		add_filter( 'wp_prepare_attachment_for_js', array( __CLASS__, 'prepare' ), 10, 2 );
		add_filter( 'attachment_fields_to_edit', array( __CLASS__, 'fields' ), 10, 2 );
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'assets' ) );
	}

	/**
	 * Adds `pixpress` (status, label, detail, hint, quota) to the attachment's model.
	 *
	 * @param array<string, mixed> $response The model's data.
	 * @param WP_Post              $attachment The attachment.
	 * @return array<string, mixed>
	 */
	public static function prepare( $response, $attachment ) {
		if ( ! is_array( $response ) || ! current_user_can( 'upload_files' ) || ! Pixpress_Attachment::is_supported( $attachment->ID ) ) {
			return $response;
		}
		$view                 = Pixpress_Admin_Attachment_View::describe( $attachment->ID );
		$response['pixpress'] = array(
			'status' => $view['status'],
			'label'  => $view['label'],
			'detail' => $view['detail'],
			'hint'   => $view['hint'],
			'quota'  => $view['quota'],
		);
		return $response;
	}

	/**
	 * The modal's pixpress field.
	 *
	 * @param array<string, array<string, mixed>> $fields Fields.
	 * @param WP_Post                             $post The attachment.
	 * @return array<string, array<string, mixed>>
	 */
	public static function fields( $fields, $post ) {
		if ( ! current_user_can( 'upload_files' ) || ! Pixpress_Attachment::is_supported( $post->ID ) ) {
			return $fields;
		}
		$view               = Pixpress_Admin_Attachment_View::describe( $post->ID );
		$links              = Pixpress_Admin_Media::action_links( $post->ID, $view, '' );
		$fields['pixpress'] = array(
			'label' => __( 'pixpress', 'pixpress' ),
			'input' => 'html',
			'html'  => Pixpress_Admin_Attachment_View::html( $post->ID, $view, $links, false ) . Pixpress_Admin_Compare::html( $post->ID ),
		);
		return $fields;
	}

	/**
	 * The script and style on the Media Library and the attachment edit screen.
	 *
	 * @param string $hook_suffix The admin page.
	 */
	public static function assets( $hook_suffix ) {
		if ( ! in_array( $hook_suffix, array( 'upload.php', 'post.php' ), true ) ) {
			return;
		}
		wp_enqueue_style( 'pixpress-admin', plugins_url( 'assets/pixpress-admin.css', PIXPRESS_FILE ), array(), PIXPRESS_VERSION );
		$deps = 'upload.php' === $hook_suffix ? array( 'media-views' ) : array();
		wp_enqueue_script( 'pixpress-media', plugins_url( 'assets/pixpress-media.js', PIXPRESS_FILE ), $deps, PIXPRESS_VERSION, true );
	}
}
