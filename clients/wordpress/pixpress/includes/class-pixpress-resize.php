<?php
/**
 * Resizing large originals: the full-size file stored no larger than a maximum width and height.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The server does the resize (max_width/max_height in the same submit that optimizes the file), so it
 * costs no extra upload. The backup keeps the uploaded bytes, so restore brings back the exact original,
 * and its dimensions go back into the attachment metadata.
 */
class Pixpress_Resize {

	/** The default maximum, the same as WordPress's own big-image threshold. */
	const DEFAULT_MAX_PX = 2560;

	/** The bounds of the setting: below 320 px a "full size" is a thumbnail; above, the server's limit. */
	const RANGE = array( 320, 16384 );

	/**
	 * The maximum (width, height) when resizing is on, null when it is off.
	 *
	 * @return int[]|null
	 */
	public static function limits() {
		if ( ! Pixpress_Settings::get( 'resize' ) ) {
			return null;
		}
		return array( (int) Pixpress_Settings::get( 'resize_width' ), (int) Pixpress_Settings::get( 'resize_height' ) );
	}

	/**
	 * The size a file of $width x $height is fitted to (aspect kept, never upscaled), the server's rule.
	 *
	 * @param int $width Width.
	 * @param int $height Height.
	 * @param int $max_width Maximum width.
	 * @param int $max_height Maximum height.
	 * @return int[]
	 */
	public static function fit( $width, $height, $max_width, $max_height ) {
		$scale = min( 1.0, $max_width / max( 1, $width ), $max_height / max( 1, $height ) );
		if ( $scale >= 1.0 ) {
			return array( (int) $width, (int) $height );
		}
		return array( max( 1, (int) round( $width * $scale ) ), max( 1, (int) round( $height * $scale ) ) );
	}

	/**
	 * The submit options for a file: max_width/max_height added for the full-size file when it is larger
	 * than the limits (as its metadata or, when it was resized before, its backup says).
	 *
	 * @param array<string, mixed> $options Submit options.
	 * @param array<string, mixed> $file The file (Pixpress_Attachment::files()).
	 * @return array<string, mixed>
	 */
	public static function submit_options( array $options, array $file ) {
		$limits = self::limits();
		if ( null === $limits || 'full' !== $file['name'] ) {
			return $options;
		}
		list( $width, $height ) = self::source_size( $file );
		if ( $width <= $limits[0] && $height <= $limits[1] ) {
			return $options;
		}
		$options['max_width']  = $limits[0];
		$options['max_height'] = $limits[1];
		return $options;
	}

	/**
	 * The file as the result is checked against: for a resized submit, the dimensions the server made
	 * (the task's width and height, when they fit the limits and keep the aspect ratio to a pixel, so a
	 * rounding of the server is taken, not refused), with `resized_from` set.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param array<string, mixed> $options The options the submit was sent with.
	 * @param int                  $width The task's width.
	 * @param int                  $height The task's height.
	 * @return array<string, mixed>
	 */
	public static function expected_file( array $file, array $options, $width, $height ) {
		if ( empty( $options['max_width'] ) || 'full' !== $file['name'] ) {
			return $file;
		}
		list( $from_w, $from_h ) = self::source_size( $file );
		list( $fit_w, $fit_h )   = self::fit( $from_w, $from_h, (int) $options['max_width'], (int) $options['max_height'] );
		if ( abs( $width - $fit_w ) > 1 || abs( $height - $fit_h ) > 1 || $width > $options['max_width'] || $height > $options['max_height'] ) {
			$width  = $fit_w; // Not what was asked: the result will not match and is refused.
			$height = $fit_h;
		}
		$file['resized_from'] = array( $from_w, $from_h );
		$file['width']        = (int) $width;
		$file['height']       = (int) $height;
		return $file;
	}

	/**
	 * Notes the resize in the file's record when the resized result was written.
	 *
	 * @param array<string, mixed> $entry The file's record after apply().
	 * @param array<string, mixed> $file The file as checked (expected_file()).
	 * @return array<string, mixed>
	 */
	public static function note( array $entry, array $file ) {
		if ( ! empty( $file['resized_from'] ) && 'optimized' === $entry['status'] ) {
			$entry['resized_from'] = $file['resized_from'];
			$entry['resized_to']   = array( $file['width'], $file['height'] );
		}
		return $entry;
	}

	/**
	 * After a run: the attachment metadata's width and height follow a resized full-size file (the
	 * `filesize` field is brought up to date by the optimizer).
	 *
	 * @param int                  $attachment_id Attachment.
	 * @param array<string, mixed> $record The `_pixpress` record.
	 */
	public static function sync_metadata( $attachment_id, array $record ) {
		if ( empty( $record['files']['full']['resized_to'] ) ) {
			return;
		}
		self::set_dimensions( $attachment_id, $record['files']['full']['resized_to'] );
	}

	/**
	 * After a restore (the uploaded bytes are back): the metadata gets the original dimensions again.
	 *
	 * @param int                  $attachment_id Attachment.
	 * @param array<string, mixed> $record The record before the restore.
	 */
	public static function restore_metadata( $attachment_id, array $record ) {
		if ( empty( $record['files']['full']['resized_from'] ) ) {
			return;
		}
		self::set_dimensions( $attachment_id, $record['files']['full']['resized_from'] );
	}

	/**
	 * Writes width and height into the attachment metadata when they differ.
	 *
	 * @param int   $attachment_id Attachment.
	 * @param int[] $size Width, height.
	 */
	private static function set_dimensions( $attachment_id, array $size ) {
		$meta = wp_get_attachment_metadata( $attachment_id );
		if ( ! is_array( $meta ) || ( (int) $meta['width'] === (int) $size[0] && (int) $meta['height'] === (int) $size[1] ) ) {
			return;
		}
		$meta['width']  = (int) $size[0];
		$meta['height'] = (int) $size[1];
		wp_update_attachment_metadata( $attachment_id, $meta );
	}

	/**
	 * The dimensions of what is sent for the file: its backup when there is one (the uploaded original,
	 * possibly larger than the file now), else the file.
	 *
	 * @param array<string, mixed> $file The file.
	 * @return int[]
	 */
	private static function source_size( array $file ) {
		$backup = Pixpress_Backup::path( $file['rel'] );
		if ( '' !== $backup && is_file( $backup ) ) {
			$info = @getimagesize( $backup ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			if ( $info ) {
				return array( (int) $info[0], (int) $info[1] );
			}
		}
		return array( (int) $file['width'], (int) $file['height'] );
	}
}
