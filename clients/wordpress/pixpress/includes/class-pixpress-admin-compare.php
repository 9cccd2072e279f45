<?php
/**
 * Before and after: the original (its backup) and the optimized image, one over the other with a
 * slider, in the attachment details modal and on the attachment's edit screen.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The backup of the full-size file lives in uploads/pixpress-backup/<same path>, so both images
 * have public URLs; assets/pixpress-media.js moves the slider.
 */
class Pixpress_Admin_Compare {

	const META_BOX = 'pixpress-compare';

	/**
	 * Hooks the meta box of the attachment edit screen.
	 */
	public static function register() {
		add_action( 'add_meta_boxes_attachment', array( __CLASS__, 'add_meta_box' ) );
	}

	/**
	 * Adds the box to images that have an optimized full-size file.
	 *
	 * @param WP_Post $post The attachment.
	 */
	public static function add_meta_box( $post ) {
		if ( self::available( $post->ID ) && current_user_can( 'upload_files' ) ) {
			add_meta_box( self::META_BOX, __( 'pixpress: before and after', 'pixpress' ), array( __CLASS__, 'meta_box' ), 'attachment', 'normal' );
		}
	}

	/**
	 * The meta box's content.
	 *
	 * @param WP_Post $post The attachment.
	 */
	public static function meta_box( $post ) {
		echo self::html( $post->ID ); // phpcs:ignore WordPress.Security.EscapeOutput -- built escaped.
	}

	/**
	 * Where "Compare" leads: the attachment's edit screen, at the box.
	 *
	 * @param int $attachment_id Attachment.
	 * @return string
	 */
	public static function url( $attachment_id ) {
		return admin_url( 'post.php?post=' . (int) $attachment_id . '&action=edit#' . self::META_BOX );
	}

	/**
	 * The two images: before (the backup) and after (the file now), with their sizes; null when the
	 * full-size file was not replaced (no backup) or is gone.
	 *
	 * @param int $attachment_id Attachment.
	 * @return array<string, mixed>|null before_url, after_url, before, after.
	 */
	public static function images( $attachment_id ) {
		$record = Pixpress_Status::get( $attachment_id );
		if ( empty( $record['status'] ) || 'optimized' !== $record['status'] || empty( $record['files']['full']['file'] ) ) {
			return null;
		}
		$rel    = (string) $record['files']['full']['file'];
		$backup = Pixpress_Backup::path( $rel );
		$file   = Pixpress_Attachment::uploads_dir() . '/' . $rel;
		if ( '' === $backup || ! is_file( $backup ) || ! is_file( $file ) ) {
			return null;
		}
		$base    = untrailingslashit( wp_get_upload_dir()['baseurl'] );
		$version = isset( $record['updated_at'] ) ? (int) $record['updated_at'] : 0;
		$path    = implode( '/', array_map( 'rawurlencode', explode( '/', $rel ) ) );
		return array(
			'before_url' => $base . '/' . Pixpress_Backup::DIR . '/' . $path,
			'after_url'  => add_query_arg( 'v', $version, $base . '/' . $path ),
			'before'     => (int) filesize( $backup ),
			'after'      => (int) filesize( $file ),
		);
	}

	/**
	 * Whether there is something to compare.
	 *
	 * @param int $attachment_id Attachment.
	 * @return bool
	 */
	public static function available( $attachment_id ) {
		return null !== self::images( $attachment_id );
	}

	/**
	 * The slider: the optimized image, the original over it clipped at the handle. Escaped HTML ('' when
	 * there is nothing to compare).
	 *
	 * @param int $attachment_id Attachment.
	 * @return string
	 */
	public static function html( $attachment_id ) {
		$images = self::images( $attachment_id );
		if ( null === $images ) {
			return '';
		}
		return sprintf(
			'<div class="pixpress-compare" data-attachment="%1$d">'
			. '<div class="pixpress-compare-frame">'
			. '<img class="pixpress-compare-after" src="%2$s" alt="%3$s">'
			. '<img class="pixpress-compare-before" src="%4$s" alt="%5$s" style="clip-path:inset(0 50%% 0 0)">'
			. '</div>'
			. '<input type="range" class="pixpress-compare-range" min="0" max="100" value="50" aria-label="%6$s">'
			. '<p class="pixpress-compare-legend"><span>%7$s</span> <span>%8$s</span></p>'
			. '</div>',
			(int) $attachment_id,
			esc_url( $images['after_url'] ),
			esc_attr__( 'Optimized', 'pixpress' ),
			esc_url( $images['before_url'] ),
			esc_attr__( 'Original', 'pixpress' ),
			esc_attr__( 'Move to compare the original (left) with the optimized image (right)', 'pixpress' ),
			/* translators: %s: file size. */
			esc_html( sprintf( __( 'Left: original, %s', 'pixpress' ), size_format( $images['before'], 1 ) ) ),
			/* translators: %s: file size. */
			esc_html( sprintf( __( 'right: optimized, %s', 'pixpress' ), size_format( $images['after'], 1 ) ) )
		);
	}
}
