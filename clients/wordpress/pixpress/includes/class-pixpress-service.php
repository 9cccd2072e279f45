<?php
/**
 * The pixpress server as the plugin sees it: a configured client, its features, the quota.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Builds the PHP client from the settings and caches what the server says about itself.
 */
class Pixpress_Service {

	const QUOTA_TRANSIENT      = 'pixpress_quota';
	const FEATURES_TRANSIENT   = 'pixpress_features';
	const CONNECTION_TRANSIENT = 'pixpress_connection';
	const QUOTA_TTL_S          = HOUR_IN_SECONDS;
	const FEATURES_TTL_S       = 6 * HOUR_IN_SECONDS;

	/**
	 * A client for the configured server and token, or null when either is missing or the PHP
	 * client library cannot be found. It sends through wp_safe_remote_request (a loopback or private
	 * address is refused) unless the site owner allowed private addresses, and accepts downloads up
	 * to the `max_download_mb` setting.
	 *
	 * @param float $timeout_s Per-request timeout.
	 * @return \Pixpress\Client|null
	 */
	public static function client( $timeout_s = 30.0 ) {
		if ( ! Pixpress_Settings::is_configured() || ! Pixpress_Client_Loader::load() ) {
			return null;
		}
		return new \Pixpress\Client(
			Pixpress_Settings::server_url(),
			Pixpress_Settings::token(),
			array(
				'timeout_s'       => (float) $timeout_s,
				// A WordPress request or cron run must not hang on retries: 2 more tries, 20 s in all.
				'retry'           => new \Pixpress\RetryPolicy( 2, 10.0, 20.0 ),
				'user_agent'      => 'pixpress-wordpress/' . PIXPRESS_VERSION . ' WordPress/' . get_bloginfo( 'version' ),
				'transport'       => new \Pixpress\Transport\WordPressTransport( (bool) Pixpress_Settings::get( 'allow_private' ) ),
				'max_download_mb' => (int) Pixpress_Settings::get( 'max_download_mb' ),
			)
		);
	}

	/**
	 * The `data.features` of GET /health (e.g. array( 'sizes' )); empty when the server lists none.
	 * Cached for a few hours; $refresh asks again.
	 *
	 * @param bool $refresh Ask the server even if cached.
	 * @return string[]
	 */
	public static function features( $refresh = false ) {
		$cached = get_transient( self::FEATURES_TRANSIENT );
		if ( ! $refresh && is_array( $cached ) ) {
			return $cached;
		}
		$client = self::client( 10.0 );
		if ( null === $client ) {
			return array();
		}
		try {
			$health = $client->send( new \Pixpress\Call( 'GET', '/health', true ) );
		} catch ( \Pixpress\Exception\PixpressException $e ) {
			return is_array( $cached ) ? $cached : array();
		}
		return self::remember_features( $health );
	}

	/**
	 * Keeps the features listed in a GET /health answer (so one call serves the connection test too).
	 *
	 * @param mixed $health The answer's data.
	 * @return string[]
	 */
	public static function remember_features( $health ) {
		$features = ( is_array( $health ) && isset( $health['features'] ) && is_array( $health['features'] ) )
			? array_values( array_filter( array_map( 'strval', $health['features'] ) ) )
			: array();
		set_transient( self::FEATURES_TRANSIENT, $features, self::FEATURES_TTL_S );
		return $features;
	}

	/**
	 * Whether the original and its sizes go in one upload (the server's `sizes` option, charged once):
	 * when the server lists the feature. The filter `pixpress_use_sizes` (bool) can turn it off, to
	 * send every file on its own.
	 *
	 * @return bool
	 */
	public static function offers_sizes() {
		return (bool) apply_filters( 'pixpress_use_sizes', in_array( 'sizes', self::features(), true ) );
	}

	/**
	 * Whether the server can make format=auto's other formats for the sizes only (`accept_for`), so
	 * the real original is not encoded to WebP and AVIF nobody serves.
	 *
	 * @return bool
	 */
	public static function offers_accept_for() {
		return in_array( 'accept_for', self::features(), true );
	}

	/**
	 * The quota as last known: used_mb, remaining_mb, limit_mb, checked_at (a timestamp); null when
	 * never checked. $refresh asks the server (GET /api/optimize/quota).
	 *
	 * @param bool $refresh Ask the server now.
	 * @return array<string, mixed>|null
	 * @throws \Pixpress\Exception\PixpressException When $refresh and the server refuses or is away.
	 */
	public static function quota( $refresh = false ) {
		$cached = get_transient( self::QUOTA_TRANSIENT );
		if ( ! $refresh ) {
			return is_array( $cached ) ? $cached : null;
		}
		$client = self::client( 10.0 );
		if ( null === $client ) {
			return null;
		}
		$data = $client->quota();
		return self::remember_quota(
			array(
				'used_mb'      => isset( $data['used_mb'] ) ? (float) $data['used_mb'] : null,
				'remaining_mb' => isset( $data['remaining_mb'] ) ? (float) $data['remaining_mb'] : null,
				'limit_mb'     => isset( $data['quota_mb'] ) ? (float) $data['quota_mb'] : null,
			)
		);
	}

	/**
	 * Keeps the `quota_info` a submit (or a quota_exceeded error) carried, so the page shows the
	 * quota without asking the server.
	 *
	 * @param array<string, mixed> $info used_mb, remaining_mb, limit_mb.
	 * @return array<string, mixed>
	 */
	public static function remember_quota( array $info ) {
		$quota = array(
			'used_mb'      => isset( $info['used_mb'] ) ? (float) $info['used_mb'] : null,
			'remaining_mb' => isset( $info['remaining_mb'] ) ? (float) $info['remaining_mb'] : null,
			'limit_mb'     => isset( $info['limit_mb'] ) ? (float) $info['limit_mb'] : null,
			'checked_at'   => time(),
		);
		set_transient( self::QUOTA_TRANSIENT, $quota, self::QUOTA_TTL_S );
		return $quota;
	}

	/**
	 * The connection test of the settings page: /health and the quota, kept for the page to show.
	 *
	 * @return array<string, mixed> ok, message, version, features, checked_at
	 */
	public static function test_connection() {
		$result = array(
			'ok'         => false,
			'message'    => '',
			'version'    => '',
			'features'   => array(),
			'checked_at' => time(),
		);
		if ( ! Pixpress_Client_Loader::load() ) {
			$result['message'] = __( 'The pixpress PHP client is missing from the plugin (vendor/pixpress-client).', 'pixpress' );
		} elseif ( ! Pixpress_Settings::is_configured() ) {
			$result['message'] = __( 'Enter the server URL and the token first.', 'pixpress' );
		} else {
			try {
				$health             = self::client( 10.0 )->send( new \Pixpress\Call( 'GET', '/health', true ) );
				$result['version']  = isset( $health['version'] ) ? (string) $health['version'] : '';
				$result['features'] = self::remember_features( $health ); // The same answer: /health once.
				$quota              = self::quota( true );
				$result['ok']       = true;
				if ( Pixpress_Processor::pause() && (float) $quota['remaining_mb'] > 0 ) {
					// The token works and the quota is back: lift a pause instead of waiting for the hourly check.
					Pixpress_Processor::resume();
					Pixpress_Bulk::on_unpause();
				}
				/* translators: 1: server version, 2: megabytes remaining. */
				$result['message'] = sprintf( __( 'Connected to pixpress %1$s; %2$s MB left this month.', 'pixpress' ), $result['version'], number_format_i18n( (float) $quota['remaining_mb'], 2 ) );
			} catch ( \Pixpress\Exception\PixpressException $e ) {
				$result['message'] = self::describe_error( $e );
			}
		}
		set_transient( self::CONNECTION_TRANSIENT, $result, DAY_IN_SECONDS );
		return $result;
	}

	/**
	 * A sentence for an administrator about a client error.
	 *
	 * @param \Pixpress\Exception\PixpressException $e The error.
	 * @return string
	 */
	public static function describe_error( $e ) {
		$code = $e->getErrorCode();
		switch ( $code ) {
			case 'invalid_token':
			case 'token_missing':
				return __( 'The server does not know this token. Check the token (or your theme licence).', 'pixpress' );
			case 'subscription_expired':
				return __( 'The licence has expired. Renew it to optimize images again.', 'pixpress' );
			case 'quota_exceeded':
				return __( 'This month\'s quota is used up. Optimization resumes after the monthly reset.', 'pixpress' );
			case 'url_not_allowed':
				return __( 'WordPress refuses to send to this server URL: it is a local or private address, a name that does not resolve, or a port other than 80, 443 and 8080. If your pixpress server is on your own network, tick "Allow a private address" under the URL.', 'pixpress' );
			case 'response_too_large':
				/* translators: %d: the setting in megabytes. */
				return sprintf( __( 'The server sent a larger answer than the %d MB allowed ("Largest download" in the settings); nothing of it was kept.', 'pixpress' ), (int) Pixpress_Settings::get( 'max_download_mb' ) );
		}
		if ( $e instanceof \Pixpress\Exception\ConnectionError ) {
			/* translators: %s: the error message. */
			return sprintf( __( 'The server cannot be reached: %s', 'pixpress' ), $e->getMessage() );
		}
		/* translators: 1: error code, 2: HTTP status, 3: message. */
		return sprintf( __( 'The server answered %1$s (HTTP %2$d): %3$s', 'pixpress' ), $code, $e->getHttpStatus(), $e->getMessage() );
	}

	/**
	 * Drops what was cached about the server (the URL or the token changed).
	 */
	public static function forget_cached() {
		delete_transient( self::QUOTA_TRANSIENT );
		delete_transient( self::FEATURES_TRANSIENT );
		delete_transient( self::CONNECTION_TRANSIENT );
	}
}
