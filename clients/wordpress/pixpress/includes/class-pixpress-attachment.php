<?php
/**
 * The files of an attachment: the uploaded file and each generated size.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Lists an attachment's files from its metadata, with paths relative to the uploads folder.
 */
class Pixpress_Attachment {

	const MIME_TYPES = array( 'image/jpeg', 'image/png', 'image/gif', 'image/webp' );

	/** The name of the real original, when WordPress keeps one beside a `-scaled` (or `-rotated`) copy. */
	const ORIGINAL = 'original_image';

	/**
	 * Whether pixpress can optimize this attachment's type.
	 *
	 * @param int $attachment_id Attachment.
	 * @return bool
	 */
	public static function is_supported( $attachment_id ) {
		return in_array( get_post_mime_type( $attachment_id ), self::MIME_TYPES, true );
	}

	/**
	 * The uploads folder's path, without a trailing slash.
	 *
	 * @return string
	 */
	public static function uploads_dir() {
		$uploads = wp_get_upload_dir();
		return untrailingslashit( $uploads['basedir'] );
	}

	/**
	 * The attachment's files: the real original when WordPress kept one (ORIGINAL), 'full' (the
	 * `-scaled` copy then), then each size of the metadata; a file shared by several
	 * sizes is listed once, under its first name. Each: name, path, rel (under uploads), width,
	 * height, crop (as the size is registered), mime. A file whose real location is not inside the
	 * uploads folder (`..` in the metadata, a symbolic link out) is left out, and logged.
	 *
	 * @param int $attachment_id Attachment.
	 * @return array<string, array<string, mixed>>
	 */
	public static function files( $attachment_id ) {
		$main = get_attached_file( $attachment_id, true );
		$meta = wp_get_attachment_metadata( $attachment_id );
		if ( ! $main || ! is_array( $meta ) || ! Pixpress_Paths::allowed( $main, 'use' ) ) {
			return array();
		}
		$base       = self::uploads_dir();
		$registered = wp_get_registered_image_subsizes();
		$files      = array(
			'full' => array(
				'name'   => 'full',
				'path'   => $main,
				'rel'    => self::relative( $main, $base ),
				'width'  => isset( $meta['width'] ) ? (int) $meta['width'] : 0,
				'height' => isset( $meta['height'] ) ? (int) $meta['height'] : 0,
				'crop'   => false,
				'mime'   => get_post_mime_type( $attachment_id ),
			),
		);
		$seen       = array( $main => true );
		$dir        = dirname( $main );
		$original   = self::original( $attachment_id, $meta, $main );
		if ( null !== $original ) {
			// First, as the source of the others: the upload itself, which the site still links to.
			$files        = array( self::ORIGINAL => $original + array( 'rel' => self::relative( $original['path'], $base ) ) ) + $files;
			$seen[ $original['path'] ] = true;
		}
		$sizes      = isset( $meta['sizes'] ) && is_array( $meta['sizes'] ) ? $meta['sizes'] : array();
		foreach ( $sizes as $name => $size ) {
			if ( empty( $size['file'] ) ) {
				continue;
			}
			$path = $dir . '/' . wp_basename( $size['file'] );
			if ( isset( $seen[ $path ] ) || ! Pixpress_Paths::allowed( $path, 'use' ) ) {
				continue;
			}
			$seen[ $path ]  = true;
			$files[ $name ] = array(
				'name'   => (string) $name,
				'path'   => $path,
				'rel'    => self::relative( $path, $base ),
				'width'  => isset( $size['width'] ) ? (int) $size['width'] : 0,
				'height' => isset( $size['height'] ) ? (int) $size['height'] : 0,
				'crop'   => ! empty( $registered[ $name ]['crop'] ),
				'mime'   => isset( $size['mime-type'] ) ? (string) $size['mime-type'] : get_post_mime_type( $attachment_id ),
			);
		}
		return $files;
	}

	/**
	 * The real original beside a `-scaled` or `-rotated` copy (metadata `original_image`), with its
	 * dimensions read from the file; null when there is none or it is gone.
	 *
	 * @param int                  $attachment_id Attachment.
	 * @param array<string, mixed> $meta Its metadata.
	 * @param string               $main The attached file.
	 * @return array<string, mixed>|null
	 */
	private static function original( $attachment_id, array $meta, $main ) {
		if ( empty( $meta['original_image'] ) ) {
			return null;
		}
		$path = wp_get_original_image_path( $attachment_id, true );
		if ( ! $path || $path === $main || ! is_file( $path ) || ! Pixpress_Paths::allowed( $path, 'use' ) ) {
			return null;
		}
		$dims = @getimagesize( $path ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		return array(
			'name'   => self::ORIGINAL,
			'path'   => $path,
			'width'  => $dims ? (int) $dims[0] : 0,
			'height' => $dims ? (int) $dims[1] : 0,
			'crop'   => false,
			'mime'   => $dims ? (string) $dims['mime'] : get_post_mime_type( $attachment_id ),
		);
	}

	/**
	 * The path relative to the uploads folder ('' when it is outside).
	 *
	 * @param string $path Absolute path.
	 * @param string $base Uploads folder.
	 * @return string
	 */
	public static function relative( $path, $base ) {
		$base = trailingslashit( $base );
		return strpos( $path, $base ) === 0 ? substr( $path, strlen( $base ) ) : '';
	}

	/**
	 * The sibling of a file in a format: photo.jpg -> photo.jpg.webp.
	 *
	 * @param string $path The file.
	 * @param string $format 'webp' or 'avif'.
	 * @return string
	 */
	public static function sibling_path( $path, $format ) {
		return $path . '.' . $format;
	}
}
