<?php
/**
 * Front end: <picture> elements offering the WebP/AVIF siblings.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Wraps attachment images (in content, and from wp_get_attachment_image) in a <picture> with an
 * AVIF and a WebP <source> when siblings exist on disk. The <img> stays as it was, so browsers that
 * read neither format get the JPEG or PNG. The same HTML goes to every browser (page caches keep
 * working); the browser picks.
 */
class Pixpress_Picture {

	const MARK = 'data-pixpress-picture';

	/**
	 * Hooks the filters.
	 */
	public static function register() {
		add_filter( 'wp_content_img_tag', array( __CLASS__, 'filter_content_img' ), 20, 3 );
		add_filter( 'wp_get_attachment_image', array( __CLASS__, 'filter_attachment_image' ), 20, 2 );
	}

	/**
	 * An <img> of post content (wp_filter_content_tags).
	 *
	 * @param string $image The <img> tag.
	 * @param string $context Where (the_content, ...).
	 * @param int    $attachment_id Attachment, 0 when unknown.
	 * @return string
	 */
	public static function filter_content_img( $image, $context, $attachment_id ) {
		return self::wrap( $image );
	}

	/**
	 * The HTML of wp_get_attachment_image() (featured images, galleries, themes).
	 *
	 * @param string $html The <img> tag.
	 * @param int    $attachment_id Attachment.
	 * @return string
	 */
	public static function filter_attachment_image( $html, $attachment_id ) {
		return self::wrap( $html );
	}

	/**
	 * The <img> inside a <picture> with a <source> per sibling format found; unchanged when there is
	 * none, in the admin, in feeds, or when the setting is off.
	 *
	 * @param string $image The <img> tag.
	 * @return string
	 */
	public static function wrap( $image ) {
		if ( ! is_string( $image ) || '' === $image || false !== strpos( $image, self::MARK ) ) {
			return $image; // Wrapped already (block themes filter the whole template again).
		}
		if ( is_admin() || is_feed() || ! Pixpress_Settings::get( 'picture' ) || ! preg_match( '/^\s*<img\b/i', $image ) ) {
			return $image;
		}
		$src    = self::attribute( $image, 'src' );
		$srcset = self::attribute( $image, 'srcset' );
		$sizes  = self::attribute( $image, 'sizes' );
		if ( '' === $src ) {
			return $image;
		}
		$candidates = '' !== $srcset ? self::parse_srcset( $srcset ) : array( array( $src, '' ) );
		$sources    = '';
		foreach ( array( 'avif', 'webp' ) as $format ) {
			$parts = array();
			$found = false;
			foreach ( $candidates as $candidate ) {
				list( $url, $descriptor ) = $candidate;
				$path                     = self::url_to_path( $url );
				if ( null !== $path && is_file( Pixpress_Attachment::sibling_path( $path, $format ) ) ) {
					$url   = self::sibling_url( $url, $format );
					$found = true;
				}
				// A size without a sibling keeps its JPEG/PNG: every browser reads those.
				$parts[] = trim( $url . ' ' . $descriptor );
			}
			if ( $found ) {
				$sources .= sprintf(
					'<source type="image/%1$s" srcset="%2$s"%3$s>',
					esc_attr( $format ),
					esc_attr( implode( ', ', $parts ) ),
					'' !== $sizes ? ' sizes="' . esc_attr( $sizes ) . '"' : ''
				);
			}
		}
		if ( '' === $sources ) {
			return $image;
		}
		$marked = preg_replace( '/^(\s*<img)\b/i', '$1 ' . self::MARK . '="1"', $image, 1 );
		return '<picture class="pixpress-picture">' . $sources . $marked . '</picture>';
	}

	/**
	 * An attribute's value, decoded ('' when absent).
	 *
	 * @param string $tag The tag.
	 * @param string $name Attribute.
	 * @return string
	 */
	private static function attribute( $tag, $name ) {
		if ( preg_match( '/\s' . preg_quote( $name, '/' ) . '\s*=\s*("([^"]*)"|\'([^\']*)\')/i', $tag, $match ) ) {
			$value = isset( $match[3] ) && '' !== $match[3] ? $match[3] : $match[2];
			return html_entity_decode( $value, ENT_QUOTES );
		}
		return '';
	}

	/**
	 * A srcset as array( url, descriptor ) pairs.
	 *
	 * @param string $srcset The attribute's value.
	 * @return array<int, array{0: string, 1: string}>
	 */
	private static function parse_srcset( $srcset ) {
		$candidates = array();
		foreach ( explode( ',', $srcset ) as $item ) {
			$item = trim( $item );
			if ( '' === $item ) {
				continue;
			}
			$pieces       = preg_split( '/\s+/', $item, 2 );
			$candidates[] = array( $pieces[0], isset( $pieces[1] ) ? $pieces[1] : '' );
		}
		return $candidates;
	}

	/**
	 * The file of an uploads URL, or null for a URL elsewhere.
	 *
	 * @param string $url The image URL.
	 * @return string|null
	 */
	private static function url_to_path( $url ) {
		$uploads = wp_get_upload_dir();
		$base    = preg_replace( '#^https?:#i', '', untrailingslashit( $uploads['baseurl'] ) );
		$url     = preg_replace( '#^https?:#i', '', strtok( $url, '?#' ) );
		if ( 0 !== strpos( $url, $base . '/' ) ) {
			return null;
		}
		$rel = rawurldecode( substr( $url, strlen( $base ) + 1 ) );
		if ( false !== strpos( $rel, '..' ) || false !== strpos( $rel, "\0" ) ) {
			return null;
		}
		return untrailingslashit( $uploads['basedir'] ) . '/' . $rel;
	}

	/**
	 * The URL of a sibling: photo.jpg?ver=1 -> photo.jpg.webp?ver=1.
	 *
	 * @param string $url The image URL.
	 * @param string $format 'webp' or 'avif'.
	 * @return string
	 */
	private static function sibling_url( $url, $format ) {
		$cut = strcspn( $url, '?#' );
		return substr( $url, 0, $cut ) . '.' . $format . substr( $url, $cut );
	}
}
