<?php
/**
 * Restore: the backups back in place, siblings removed.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Puts an attachment back as it was uploaded, and cleans up after deleted attachments.
 */
class Pixpress_Restore {

	/**
	 * Copies each backup over its file, removes the WebP/AVIF siblings and the backups, and marks the
	 * attachment restored (the bulk run leaves it alone; "Optimize now" takes it again).
	 *
	 * @param int $attachment_id Attachment.
	 * @return int|WP_Error Files put back.
	 */
	public static function restore( $attachment_id ) {
		$files    = Pixpress_Attachment::files( $attachment_id );
		$before   = Pixpress_Status::get( $attachment_id );
		$restored = 0;
		foreach ( $files as $file ) {
			$backup = Pixpress_Backup::path( $file['rel'] );
			if ( '' !== $file['rel'] && is_file( $backup ) ) {
				if ( ! Pixpress_Backup::write( $file['path'], (string) file_get_contents( $backup ) ) ) {
					/* translators: %s: file name. */
					return new WP_Error( 'pixpress_restore_failed', sprintf( __( 'Could not write %s.', 'pixpress' ), wp_basename( $file['path'] ) ) );
				}
				Pixpress_Paths::delete( $backup, Pixpress_Paths::BACKUPS );
				++$restored;
			}
			self::remove_siblings( $file['path'] );
		}
		Pixpress_Queue::remove( $attachment_id );
		Pixpress_Status::save(
			$attachment_id,
			array(
				'status'      => 'restored',
				'reason'      => 'restored',
				'files'       => array(),
				'restored_at' => time(),
			)
		);
		Pixpress_Resize::restore_metadata( $attachment_id, $before );
		Pixpress_Optimizer::update_filesizes( $attachment_id, $files );
		return $restored;
	}

	/**
	 * The attachment is being deleted: its siblings and backups go with it.
	 *
	 * @param int $attachment_id Attachment.
	 */
	public static function on_delete( $attachment_id ) {
		foreach ( Pixpress_Attachment::files( $attachment_id ) as $file ) {
			self::remove_siblings( $file['path'] );
			$backup = Pixpress_Backup::path( $file['rel'] );
			if ( '' !== $file['rel'] && '' !== $backup ) {
				Pixpress_Paths::delete( $backup, Pixpress_Paths::BACKUPS );
			}
		}
		Pixpress_Queue::remove( $attachment_id );
	}

	/**
	 * Deletes name.ext.webp and name.ext.avif.
	 *
	 * @param string $path The file.
	 */
	private static function remove_siblings( $path ) {
		foreach ( array( 'webp', 'avif' ) as $format ) {
			Pixpress_Paths::delete( Pixpress_Attachment::sibling_path( $path, $format ) );
		}
	}
}
