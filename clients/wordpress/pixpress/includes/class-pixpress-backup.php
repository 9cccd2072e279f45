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
	 * Where the backup of a file (given relative to uploads) lives; '' when that is not inside the
	 * backup folder (a `..` in $rel).
	 *
	 * @param string $rel Path under uploads.
	 * @return string
	 */
	public static function path( $rel ) {
		$path = Pixpress_Attachment::uploads_dir() . '/' . self::DIR . '/' . ltrim( $rel, '/' );
		return Pixpress_Paths::allowed( $path, 'use', Pixpress_Paths::BACKUPS ) ? $path : '';
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
		if ( '' === $backup ) {
			return false;
		}
		if ( is_file( $backup ) ) {
			return true;
		}
		if ( ! wp_mkdir_p( dirname( $backup ) ) ) {
			return false;
		}
		return self::write( $backup, (string) file_get_contents( $path ), Pixpress_Paths::BACKUPS ) && filesize( $backup ) === filesize( $path );
	}

	/**
	 * Writes bytes through a temporary file renamed into place, keeping an existing file's mode; only
	 * inside the uploads folder (or the backup folder, for a backup).
	 *
	 * @param string $path Destination.
	 * @param string $bytes Contents.
	 * @param string $where Pixpress_Paths::UPLOADS or Pixpress_Paths::BACKUPS.
	 * @return bool
	 */
	public static function write( $path, $bytes, $where = Pixpress_Paths::UPLOADS ) {
		if ( ! Pixpress_Paths::allowed( $path, 'write', $where ) ) {
			return false;
		}
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
