<?php
/**
 * WebP/AVIF delivery by the web server: the Apache rules in uploads/.htaccess, the nginx snippet, and a
 * check that fetches a test image the way a browser would.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The rules serve photo.jpg.avif or photo.jpg.webp (the siblings the optimizer writes) in place of
 * photo.jpg when the request's Accept header allows it, with `Vary: Accept` so caches keep one copy per
 * kind of browser. They live between `# BEGIN pixpress` and `# END pixpress` in uploads/.htaccess, so
 * the site owner's own lines stay and removing ours leaves them as they were.
 */
class Pixpress_Delivery_Rules {

	const MARKER = 'pixpress';

	/** Where the check's test images are copied, under uploads. */
	const CHECK_DIR = 'pixpress-delivery-check';

	/** The check's result (an option, shown on the settings page). */
	const CHECK_OPTION = 'pixpress_delivery_check';

	/**
	 * The .htaccess of the uploads folder.
	 *
	 * @return string
	 */
	public static function htaccess_path() {
		return Pixpress_Attachment::uploads_dir() . '/.htaccess';
	}

	/**
	 * The Apache rules. The rewrite goes to %{REQUEST_URI}.avif (a URL path, mapped again by Apache), so
	 * it works whether uploads is under the document root or mapped by an Alias (Debian's WordPress).
	 *
	 * @return string[]
	 */
	public static function apache_rules() {
		return array(
			'<IfModule mod_mime.c>',
			'AddType image/webp .webp',
			'AddType image/avif .avif',
			'</IfModule>',
			'<IfModule mod_rewrite.c>',
			'RewriteEngine On',
			'RewriteCond %{HTTP_ACCEPT} image/avif',
			'RewriteCond %{REQUEST_FILENAME}.avif -f',
			'RewriteRule \.(jpe?g|png)$ %{REQUEST_URI}.avif [NC,E=pixpress_negotiated:1,L]',
			'RewriteCond %{HTTP_ACCEPT} image/webp',
			'RewriteCond %{REQUEST_FILENAME}.webp -f',
			'RewriteRule \.(jpe?g|png)$ %{REQUEST_URI}.webp [NC,E=pixpress_negotiated:1,L]',
			'</IfModule>',
			'<IfModule mod_headers.c>',
			'<FilesMatch "\.(jpe?g|png)$">',
			'Header merge Vary Accept',
			'</FilesMatch>',
			'Header merge Vary Accept env=REDIRECT_pixpress_negotiated',
			'</IfModule>',
		);
	}

	/**
	 * The nginx configuration to add by hand (nginx reads no .htaccess).
	 *
	 * @return string
	 */
	public static function nginx_snippet() {
		$path = wp_parse_url( wp_get_upload_dir()['baseurl'], PHP_URL_PATH );
		$path = is_string( $path ) && '' !== $path ? untrailingslashit( $path ) : '/wp-content/uploads';
		return "# In the http block:\n"
			. "map \$http_accept \$pixpress_avif { default \"\"; \"~*image/avif\" \".avif\"; }\n"
			. "map \$http_accept \$pixpress_webp { default \"\"; \"~*image/webp\" \".webp\"; }\n\n"
			. "# In the server block:\n"
			. 'location ~* ^' . str_replace( '\\-', '-', preg_quote( $path, '#' ) ) . "/.+\\.(jpe?g|png)\$ {\n"
			. "    add_header Vary Accept;\n"
			. "    try_files \$uri\$pixpress_avif \$uri\$pixpress_webp \$uri =404;\n"
			. "}\n";
	}

	/**
	 * Whether our block is in uploads/.htaccess.
	 *
	 * @return bool
	 */
	public static function installed() {
		$path = self::htaccess_path();
		if ( ! is_file( $path ) ) {
			return false;
		}
		return false !== strpos( (string) file_get_contents( $path ), '# BEGIN ' . self::MARKER );
	}

	/**
	 * Writes (or rewrites) our block into uploads/.htaccess, keeping every other line.
	 *
	 * @return bool
	 */
	public static function write() {
		$path = self::htaccess_path();
		if ( ! Pixpress_Paths::allowed( $path, 'write' ) ) {
			return false;
		}
		require_once ABSPATH . 'wp-admin/includes/misc.php';
		return insert_with_markers( $path, self::MARKER, self::apache_rules() );
	}

	/**
	 * Removes our block, markers included; the file goes when nothing else is left in it.
	 *
	 * @return bool Whether the file no longer holds the block.
	 */
	public static function remove() {
		$path = self::htaccess_path();
		if ( ! is_file( $path ) ) {
			return true;
		}
		if ( ! Pixpress_Paths::allowed( $path, 'write' ) ) {
			return false;
		}
		$text = (string) file_get_contents( $path );
		$kept = preg_replace( '/(?:^\R)?^# BEGIN ' . self::MARKER . '\R.*?^# END ' . self::MARKER . '\R?/ms', '', $text );
		if ( null === $kept || $kept === $text ) {
			return ! self::installed();
		}
		if ( '' === trim( $kept ) ) {
			wp_delete_file( $path );
			return ! is_file( $path );
		}
		return Pixpress_Backup::write( $path, $kept );
	}

	/**
	 * Fetches a test image (check.jpg with its .webp and .avif siblings, copied into uploads) three
	 * times, as a browser taking AVIF, one taking WebP and one taking neither would, and records what
	 * came back: which file, its Content-Type, and whether the answer varies on Accept.
	 *
	 * @return array<string, mixed> results (accept => served, content_type, status), vary, ok, checked_at.
	 */
	public static function check() {
		$dir    = Pixpress_Attachment::uploads_dir() . '/' . self::CHECK_DIR;
		$source = PIXPRESS_DIR . '/assets/delivery-check';
		$files  = array(
			'jpeg' => 'check.jpg',
			'webp' => 'check.jpg.webp',
			'avif' => 'check.jpg.avif',
		);
		$bytes  = array();
		$result = array(
			'results'    => array(),
			'vary'       => false,
			'ok'         => false,
			'error'      => '',
			'checked_at' => time(),
		);
		wp_mkdir_p( $dir );
		foreach ( $files as $format => $name ) {
			$bytes[ $format ] = (string) file_get_contents( $source . '/' . $name );
			if ( ! Pixpress_Backup::write( $dir . '/' . $name, $bytes[ $format ] ) ) {
				$result['error'] = 'write_failed';
				update_option( self::CHECK_OPTION, $result, false );
				return $result;
			}
		}
		$url    = wp_get_upload_dir()['baseurl'] . '/' . self::CHECK_DIR . '/check.jpg?nocache=' . wp_rand();
		$accept = array(
			'avif' => 'image/avif,image/webp,image/apng,image/*,*/*;q=0.8',
			'webp' => 'image/webp,image/*,*/*;q=0.8',
			'jpeg' => 'image/png,image/*;q=0.8,*/*;q=0.5',
		);
		foreach ( $accept as $browser => $header ) {
			// The site asking itself (a loopback request, as Site Health does): not wp_safe_remote_get,
			// which refuses the site's own private address.
			$response = wp_remote_get(
				$url,
				array(
					'headers'   => array( 'Accept' => $header ),
					'timeout'   => 10,
					'sslverify' => false,
				)
			);
			if ( is_wp_error( $response ) ) {
				$result['results'][ $browser ] = array(
					'served'       => '',
					'content_type' => '',
					'status'       => 0,
					'error'        => $response->get_error_message(),
				);
				continue;
			}
			$body   = wp_remote_retrieve_body( $response );
			$served = array_search( $body, $bytes, true );
			$vary   = (string) wp_remote_retrieve_header( $response, 'vary' );

			$result['results'][ $browser ] = array(
				'served'       => false === $served ? 'other' : $served,
				'content_type' => (string) wp_remote_retrieve_header( $response, 'content-type' ),
				'status'       => (int) wp_remote_retrieve_response_code( $response ),
				'error'        => '',
			);
			if ( false !== stripos( $vary, 'accept' ) ) {
				$result['vary'] = true;
			}
		}
		foreach ( $files as $name ) {
			Pixpress_Paths::delete( $dir . '/' . $name );
		}
		@rmdir( $dir ); // phpcs:ignore WordPress.PHP.NoSilencedErrors, WordPress.WP.AlternativeFunctions
		$result['ok'] = true;
		foreach ( $accept as $browser => $header ) {
			$got = $result['results'][ $browser ];
			if ( $got['served'] !== $browser || 0 !== stripos( $got['content_type'], 'image/' . $browser ) ) {
				$result['ok'] = false;
			}
		}
		update_option( self::CHECK_OPTION, $result, false );
		return $result;
	}

	/**
	 * The last check's result, null when none was made.
	 *
	 * @return array<string, mixed>|null
	 */
	public static function last_check() {
		$check = get_option( self::CHECK_OPTION );
		return is_array( $check ) ? $check : null;
	}
}
