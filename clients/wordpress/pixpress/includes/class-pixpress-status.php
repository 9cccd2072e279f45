<?php
/**
 * What the plugin knows about an attachment: the `_pixpress` post meta.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * `_pixpress` holds: status (optimized, skipped, failed, restored; pending while its files are
 * being done), reason, before, after, savings
 * (percent), updated_at, and files: name => file, status (optimized, no_gain, failed, missing), before,
 * after, savings, sent_bytes, task_id, error, siblings (format => bytes), via (file or sizes).
 * `_pixpress_status` and `_pixpress_reason` repeat the status and reason so the bulk page can count
 * with one query; `_pixpress_bytes` ("before:after" of an optimized attachment, "" otherwise) lets
 * it add up the library's savings with one query too.
 */
class Pixpress_Status {

	const META        = '_pixpress';
	const STATUS_META = '_pixpress_status';
	const REASON_META = '_pixpress_reason';
	const BYTES_META  = '_pixpress_bytes';

	/**
	 * The record, an empty array when there is none.
	 *
	 * @param int $attachment_id Attachment.
	 * @return array<string, mixed>
	 */
	public static function get( $attachment_id ) {
		$record = get_post_meta( $attachment_id, self::META, true );
		return is_array( $record ) ? $record : array();
	}

	/**
	 * Saves the record (and its status for counting).
	 *
	 * @param int                  $attachment_id Attachment.
	 * @param array<string, mixed> $record The record.
	 */
	public static function save( $attachment_id, array $record ) {
		$record['updated_at'] = time();
		update_post_meta( $attachment_id, self::META, $record );
		update_post_meta( $attachment_id, self::STATUS_META, isset( $record['status'] ) ? (string) $record['status'] : '' );
		update_post_meta( $attachment_id, self::REASON_META, isset( $record['reason'] ) ? (string) $record['reason'] : '' );
		update_post_meta( $attachment_id, self::BYTES_META, self::bytes_meta( $record ) );
	}

	/**
	 * "before:after" of an optimized record (what the library total adds up), '' for any other.
	 *
	 * @param array<string, mixed> $record The record.
	 * @return string
	 */
	public static function bytes_meta( array $record ) {
		if ( ! isset( $record['status'] ) || 'optimized' !== $record['status'] || empty( $record['before'] ) ) {
			return '';
		}
		return (int) $record['before'] . ':' . (int) ( isset( $record['after'] ) ? $record['after'] : 0 );
	}

	/**
	 * Forgets the attachment.
	 *
	 * @param int $attachment_id Attachment.
	 */
	public static function clear( $attachment_id ) {
		delete_post_meta( $attachment_id, self::META );
		delete_post_meta( $attachment_id, self::STATUS_META );
		delete_post_meta( $attachment_id, self::REASON_META );
		delete_post_meta( $attachment_id, self::BYTES_META );
	}

	/**
	 * The record while its files are being done: status 'pending', totals so far.
	 *
	 * @param array<string, mixed> $record The record.
	 * @return array<string, mixed>
	 */
	public static function pending( array $record ) {
		$record           = self::summarize( $record );
		$record['status'] = 'pending';
		$record['reason'] = '';
		return $record;
	}

	/**
	 * The record's status with its totals worked out from its files.
	 *
	 * @param array<string, mixed> $record The record, files filled in.
	 * @return array<string, mixed>
	 */
	public static function summarize( array $record ) {
		$files  = isset( $record['files'] ) && is_array( $record['files'] ) ? $record['files'] : array();
		$before = 0;
		$after  = 0;
		$status = '';
		$reason = '';
		foreach ( $files as $file ) {
			if ( in_array( $file['status'], array( 'optimized', 'no_gain' ), true ) ) {
				$before += (int) $file['before'];
				$after  += (int) $file['after'];
			}
			if ( 'failed' === $file['status'] && 'failed' !== $status ) {
				$status = 'failed';
				$reason = (string) $file['error'];
			} elseif ( 'optimized' === $file['status'] && '' === $status ) {
				$status = 'optimized';
			}
		}
		if ( '' === $status ) {
			$status = 'skipped';
			if ( ! $files ) {
				$reason = 'no_files';
			} else {
				$missing = array_filter(
					$files,
					static function ( $file ) {
						return 'missing' === $file['status'];
					}
				);
				$reason  = count( $missing ) === count( $files ) ? 'missing_file' : 'no_gain';
			}
		}
		$record['status']  = $status;
		$record['reason']  = $reason;
		$record['before']  = $before;
		$record['after']   = $after;
		$record['savings'] = $before > 0 ? round( 100 * ( $before - $after ) / $before, 2 ) : 0.0;
		return $record;
	}

	/**
	 * A short human label for a status.
	 *
	 * @param string $status The status.
	 * @return string
	 */
	public static function label( $status ) {
		$labels = array(
			'optimized' => __( 'Optimized', 'pixpress' ),
			'skipped'   => __( 'Skipped', 'pixpress' ),
			'failed'    => __( 'Failed', 'pixpress' ),
			'restored'  => __( 'Restored', 'pixpress' ),
			'queued'    => __( 'Queued', 'pixpress' ),
			'pending'   => __( 'In progress', 'pixpress' ),
			'quota'     => __( 'Stopped: quota used up', 'pixpress' ),
			'auth'      => __( 'Stopped: token refused', 'pixpress' ),
			''          => __( 'Not optimized', 'pixpress' ),
		);
		return isset( $labels[ $status ] ) ? $labels[ $status ] : $status;
	}

	/**
	 * A human sentence for a skip or failure reason.
	 *
	 * @param string $reason The reason code.
	 * @return string
	 */
	public static function reason_label( $reason ) {
		$labels = array(
			'no_gain'            => __( 'already as small as it gets', 'pixpress' ),
			'missing_file'       => __( 'file missing on disk', 'pixpress' ),
			'no_files'           => __( 'no sizes selected to optimize', 'pixpress' ),
			'unsupported_type'   => __( 'not a JPEG, PNG, GIF or WebP image', 'pixpress' ),
			'restored'           => __( 'restored to its original by a user', 'pixpress' ),
			'file_too_large'     => __( 'the file is larger than the server accepts', 'pixpress' ),
			'image_too_large'    => __( 'the image has more pixels than the server accepts', 'pixpress' ),
			'unsupported_format' => __( 'the server does not read this format', 'pixpress' ),
			'invalid_image'      => __( 'the image is damaged', 'pixpress' ),
			'too_many_attempts'  => __( 'gave up after several attempts', 'pixpress' ),
		);
		return isset( $labels[ $reason ] ) ? $labels[ $reason ] : $reason;
	}
}
