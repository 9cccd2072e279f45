<?php
/**
 * Originals kept before a file is replaced: uploads/pixpress-backup/<same relative path>.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Backups and atomic file writes.
 */
class Pixpress_Backup {

	const DIR = 'pixpress-backup';

	/**
	 * Where the backup of a file (given relative to uploads) lives.
	 *
	 * @param string $rel Path under uploads.
	 * @return string
	 */
	public static function path( $rel ) {
		return Pixpress_Attachment::uploads_dir() . '/' . self::DIR . '/' . ltrim( $rel, '/' );
	}

	/**
	 * Copies the file to its backup unless a backup is there already (the first one is the original).
	 *
	 * @param string $path The file.
	 * @param string $rel Its path under uploads.
	 * @return bool Whether a backup exists now.
	 */
	public static function save( $path, $rel ) {
		if ( '' === $rel ) {
			return false;
		}
		$backup = self::path( $rel );
		if ( is_file( $backup ) ) {
			return true;
		}
		if ( ! wp_mkdir_p( dirname( $backup ) ) ) {
			return false;
		}
		return self::write( $backup, (string) file_get_contents( $path ) ) && filesize( $backup ) === filesize( $path );
	}

	/**
	 * Writes bytes through a temporary file renamed into place, keeping an existing file's mode.
	 *
	 * @param string $path Destination.
	 * @param string $bytes Contents.
	 * @return bool
	 */
	public static function write( $path, $bytes ) {
		$tmp = $path . '.pixpress-tmp';
		if ( false === file_put_contents( $tmp, $bytes ) ) {
			return false;
		}
		if ( is_file( $path ) ) {
			chmod( $tmp, fileperms( $path ) & 0777 );
		}
		if ( ! rename( $tmp, $path ) ) {
			wp_delete_file( $tmp );
			return false;
		}
		clearstatcache( true, $path );
		return true;
	}
}
