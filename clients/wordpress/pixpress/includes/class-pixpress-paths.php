<?php
/**
 * Where the plugin may read, write and delete: the uploads folder and its own backup folder, and for the
 * custom folders ("Other folders") wp-content and the custom folders' backup folder.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Path checks by real location, not by string prefix: attachment metadata is data (an importer, another
 * plugin or a compromised account can write `2026/12/../../../../victim.txt` into `_wp_attached_file`),
 * so every path is resolved (realpath, symbolic links followed) and must lie inside the folder the action
 * belongs to. A refused path is logged and left alone.
 */
class Pixpress_Paths {

	/** Attachment files: inside uploads, outside the backup folders. */
	const UPLOADS = 'uploads';

	/** Backups: inside uploads/pixpress-backup. */
	const BACKUPS = 'backups';

	/** Files of custom folders: inside wp-content, outside the backup folders. */
	const CONTENT = 'content';

	/** Backups of custom folders' files: inside uploads/pixpress-backup-folders. */
	const FOLDER_BACKUPS = 'folder_backups';

	/** The custom folders' backups, under uploads. */
	const FOLDER_BACKUP_DIR = 'pixpress-backup-folders';

	/**
	 * Whether $action on $path is allowed in $where; logs and returns false otherwise.
	 *
	 * @param string $path The file.
	 * @param string $action What is about to happen ('read', 'write', 'delete'), for the log.
	 * @param string $where self::UPLOADS, self::BACKUPS, self::CONTENT or self::FOLDER_BACKUPS.
	 * @return bool
	 */
	public static function allowed( $path, $action, $where = self::UPLOADS ) {
		$uploads        = Pixpress_Attachment::uploads_dir();
		$backups        = $uploads . '/' . Pixpress_Backup::DIR;
		$folder_backups = $uploads . '/' . self::FOLDER_BACKUP_DIR;
		switch ( $where ) {
			case self::BACKUPS:
				$ok   = self::is_inside( $path, $backups ) && self::is_inside( $path, $uploads );
				$name = 'backup';
				break;
			case self::FOLDER_BACKUPS:
				$ok   = self::is_inside( $path, $folder_backups ) && self::is_inside( $path, $uploads );
				$name = 'custom folders\' backup';
				break;
			case self::CONTENT:
				$ok   = self::is_inside( $path, WP_CONTENT_DIR ) && ! self::is_inside( $path, $backups ) && ! self::is_inside( $path, $folder_backups );
				$name = 'wp-content';
				break;
			default:
				$ok   = self::is_inside( $path, $uploads ) && ! self::is_inside( $path, $backups ) && ! self::is_inside( $path, $folder_backups );
				$name = 'uploads';
		}
		if ( ! $ok ) {
			// phpcs:ignore WordPress.PHP.DevelopmentFunctions
			error_log( sprintf( 'pixpress: refused to %s %s: it is not inside the %s folder', $action, $path, $name ) );
		}
		return $ok;
	}

	/**
	 * Deletes the file when allowed($path, 'delete', $where).
	 *
	 * @param string $path The file.
	 * @param string $where self::UPLOADS or self::BACKUPS.
	 */
	public static function delete( $path, $where = self::UPLOADS ) {
		if ( is_file( $path ) && self::allowed( $path, 'delete', $where ) ) {
			wp_delete_file( $path );
		}
	}

	/**
	 * Whether $path lies inside $dir once resolved. A '.' or '..' segment is refused outright (WordPress
	 * never writes one); a path that does not exist yet (a backup about to be made) is judged by its
	 * nearest existing folder.
	 *
	 * @param string $path The path.
	 * @param string $dir The folder.
	 * @return bool
	 */
	public static function is_inside( $path, $dir ) {
		$path = wp_normalize_path( (string) $path );
		if ( '' === $path || preg_match( '#(^|/)\.\.?(/|$)#', $path ) ) {
			return false;
		}
		$real     = self::resolve( $path );
		$real_dir = self::resolve( wp_normalize_path( (string) $dir ) );
		return '' !== $real && '' !== $real_dir && 0 === strpos( $real . '/', untrailingslashit( $real_dir ) . '/' );
	}

	/**
	 * The real path of the nearest existing part of $path, with the rest appended; '' when nothing of it
	 * exists.
	 *
	 * @param string $path The path (no '.' or '..' segments).
	 * @return string
	 */
	private static function resolve( $path ) {
		$rest = '';
		while ( ! file_exists( $path ) ) {
			$parent = dirname( $path );
			if ( $parent === $path ) {
				return '';
			}
			$rest = '/' . basename( $path ) . $rest;
			$path = $parent;
		}
		$real = realpath( $path );
		return false === $real ? '' : untrailingslashit( wp_normalize_path( $real ) ) . $rest;
	}
}
