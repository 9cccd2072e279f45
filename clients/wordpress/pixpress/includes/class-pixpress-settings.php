<?php
/**
 * The plugin's settings (one option) and the licence token.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Reads, sanitizes and describes the `pixpress_settings` option.
 */
class Pixpress_Settings {

	const OPTION = 'pixpress_settings';

	const MODES = array( 'lossy', 'glossy', 'lossless' );

	const METADATA = array( 'none', 'icc', 'all' );

	/** The largest download accepted by default: four times the server's default upload limit (25 MB). */
	const MAX_DOWNLOAD_MB = 100;

	/** The bounds of that setting. */
	const MAX_DOWNLOAD_MB_RANGE = array( 1, 1024 );

	/**
	 * Values used when a setting was never saved.
	 *
	 * @return array<string, mixed>
	 */
	public static function defaults() {
		return array(
			'server_url'      => '',
			'allow_private'   => false,
			'token'           => '',
			'mode'            => 'lossy',
			'keep_metadata'   => 'icc',
			'skip_sizes'      => array(),
			// On, so that a site set up as the docs say serves <picture> with WebP/AVIF from the start.
			'webp'            => true,
			'avif'            => true,
			'picture'         => true,
			'auto_optimize'   => true,
			'max_download_mb' => self::MAX_DOWNLOAD_MB,
			'resize'          => false,
			'resize_width'    => Pixpress_Resize::DEFAULT_MAX_PX,
			'resize_height'   => Pixpress_Resize::DEFAULT_MAX_PX,
		);
	}

	/**
	 * Every setting, saved values over defaults.
	 *
	 * @return array<string, mixed>
	 */
	public static function all() {
		$saved = get_option( self::OPTION, array() );
		return array_merge( self::defaults(), is_array( $saved ) ? $saved : array() );
	}

	/**
	 * One setting.
	 *
	 * @param string $name Setting name.
	 * @return mixed
	 */
	public static function get( $name ) {
		$all = self::all();
		return isset( $all[ $name ] ) ? $all[ $name ] : null;
	}

	/**
	 * The server's base URL without a trailing slash.
	 *
	 * @return string
	 */
	public static function server_url() {
		return untrailingslashit( (string) self::get( 'server_url' ) );
	}

	/**
	 * The licence token: the saved one, or what a theme supplies through the `pixpress_token` filter
	 * (the filter gets the saved token and may return its own).
	 *
	 * @return string
	 */
	public static function token() {
		$saved = (string) self::get( 'token' );
		return trim( (string) apply_filters( 'pixpress_token', $saved ) );
	}

	/**
	 * Where the token in use comes from: 'filter' (the theme), 'settings', or '' (none).
	 *
	 * @return string
	 */
	public static function token_source() {
		$token = self::token();
		if ( '' === $token ) {
			return '';
		}
		return ( (string) self::get( 'token' ) === $token ) ? 'settings' : 'filter';
	}

	/**
	 * The token as it may be shown to a user who can manage options: its last four characters.
	 *
	 * @return string
	 */
	public static function masked_token() {
		$token = self::token();
		if ( '' === $token ) {
			return '';
		}
		$tail = strlen( $token ) > 8 ? substr( $token, -4 ) : '';
		return str_repeat( '•', 8 ) . $tail;
	}

	/**
	 * Both a server and a token are known.
	 *
	 * @return bool
	 */
	public static function is_configured() {
		return '' !== self::server_url() && '' !== self::token();
	}

	/**
	 * WordPress's registered sizes: name => array( width, height, crop ).
	 *
	 * @return array<string, array<string, mixed>>
	 */
	public static function registered_sizes() {
		return wp_get_registered_image_subsizes();
	}

	/**
	 * Whether the size $name (or 'full', the uploaded file) is to be optimized.
	 *
	 * @param string $name Size name.
	 * @return bool
	 */
	public static function optimizes_size( $name ) {
		if ( 'full' === $name ) {
			return ! in_array( 'full', (array) self::get( 'skip_sizes' ), true );
		}
		return ! in_array( $name, (array) self::get( 'skip_sizes' ), true );
	}

	/**
	 * The sibling formats asked for: a subset of array( 'avif', 'webp' ).
	 *
	 * @return string[]
	 */
	public static function sibling_formats() {
		$formats = array();
		if ( self::get( 'avif' ) ) {
			$formats[] = 'avif';
		}
		if ( self::get( 'webp' ) ) {
			$formats[] = 'webp';
		}
		return $formats;
	}

	/**
	 * The sanitize_callback of register_setting(): the form's fields into a clean option. An empty
	 * token field keeps the saved token (the page never prints it); the "forget" box clears it.
	 *
	 * @param mixed $input What the settings form posted.
	 * @return array<string, mixed>
	 */
	public static function sanitize( $input ) {
		$input = is_array( $input ) ? $input : array();
		$old   = self::all();
		$clean = self::defaults();
		if ( ! isset( $input['sizes_shown'] ) ) {
			// Not the settings form (update_option() from code): what is not given stays as it was.
			$input = array_merge( $old, $input );
		}

		$url = isset( $input['server_url'] ) ? esc_url_raw( trim( (string) $input['server_url'] ), array( 'http', 'https' ) ) : '';
		$clean['server_url'] = untrailingslashit( $url );

		$token = isset( $input['token'] ) ? trim( sanitize_text_field( (string) $input['token'] ) ) : '';
		if ( ! empty( $input['forget_token'] ) ) {
			$clean['token'] = '';
		} elseif ( '' !== $token ) {
			$clean['token'] = $token;
		} else {
			$clean['token'] = (string) $old['token'];
		}

		$mode                   = isset( $input['mode'] ) ? sanitize_key( $input['mode'] ) : '';
		$clean['mode']          = in_array( $mode, self::MODES, true ) ? $mode : 'lossy';
		$metadata               = isset( $input['keep_metadata'] ) ? sanitize_key( $input['keep_metadata'] ) : '';
		$clean['keep_metadata'] = in_array( $metadata, self::METADATA, true ) ? $metadata : 'icc';

		// Stored as the sizes left out, so a size registered later is optimized by default. The form
		// posts the sizes ticked (`sizes`, with `sizes_shown` telling that the boxes were there);
		// update_option() from code may pass `skip_sizes` itself.
		if ( isset( $input['sizes_shown'] ) ) {
			$wanted              = isset( $input['sizes'] ) && is_array( $input['sizes'] ) ? array_map( 'sanitize_key', $input['sizes'] ) : array();
			$names               = array_merge( array( 'full' ), array_keys( self::registered_sizes() ) );
			$clean['skip_sizes'] = array_values( array_diff( $names, $wanted ) );
		} elseif ( isset( $input['skip_sizes'] ) && is_array( $input['skip_sizes'] ) ) {
			$clean['skip_sizes'] = array_values( array_map( 'sanitize_key', $input['skip_sizes'] ) );
		} else {
			$clean['skip_sizes'] = (array) $old['skip_sizes'];
		}

		foreach ( array( 'allow_private', 'webp', 'avif', 'picture', 'auto_optimize', 'resize' ) as $flag ) {
			$clean[ $flag ] = ! empty( $input[ $flag ] );
		}

		foreach ( array( 'resize_width', 'resize_height' ) as $side ) {
			$px             = isset( $input[ $side ] ) ? absint( $input[ $side ] ) : 0;
			$clean[ $side ] = $px > 0 ? min( max( $px, Pixpress_Resize::RANGE[0] ), Pixpress_Resize::RANGE[1] ) : Pixpress_Resize::DEFAULT_MAX_PX;
		}

		$max_mb                   = isset( $input['max_download_mb'] ) ? absint( $input['max_download_mb'] ) : 0;
		$clean['max_download_mb'] = $max_mb > 0 ? min( max( $max_mb, self::MAX_DOWNLOAD_MB_RANGE[0] ), self::MAX_DOWNLOAD_MB_RANGE[1] ) : self::MAX_DOWNLOAD_MB;

		if ( $clean['server_url'] !== $old['server_url'] || $clean['token'] !== $old['token'] || $clean['allow_private'] !== (bool) $old['allow_private'] ) {
			Pixpress_Service::forget_cached();
		}
		return $clean;
	}
}
