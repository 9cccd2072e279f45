<?php
/**
 * The loopback runner: processing starts right after an upload, without waiting for a visitor.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * When something is queued, the request that queued it ends with a non-blocking POST to the site's own
 * admin-ajax.php (as WordPress's spawn_cron() does for WP-Cron), carrying a secret key kept in an
 * option and never shown. That background request works through the queue, with several attachments
 * in flight. At most MAX_RUNNERS run at once, each holding a slot (an option added atomically). WP-Cron
 * stays as the fallback for a site whose loopback requests fail.
 */
class Pixpress_Runner {

	const ACTION      = 'pixpress_run';
	const KEY_OPTION  = 'pixpress_runner_key';
	const SLOT_OPTION = 'pixpress_runner_slot_';
	const MAX_RUNNERS = 2;
	const BUDGET_S    = 60.0;

	/** Whether this request already asked for a runner at its end. */
	private static $requested = false;

	/**
	 * Hooks the runner's endpoint (anonymous: the key is the credential, as for wp-cron.php's doing_wp_cron).
	 */
	public static function register() {
		add_action( 'wp_ajax_' . self::ACTION, array( __CLASS__, 'handle' ) );
		add_action( 'wp_ajax_nopriv_' . self::ACTION, array( __CLASS__, 'handle' ) );
	}

	/**
	 * Starts a runner when this request ends (once per request, after the metadata is saved).
	 */
	public static function request() {
		if ( self::$requested || wp_doing_cron() || ( defined( 'WP_INSTALLING' ) && WP_INSTALLING ) ) {
			return;
		}
		// A site that runs the queue from a system cron (or only from the bulk page) can turn it off.
		if ( ! apply_filters( 'pixpress_loopback_runner', true ) ) {
			return;
		}
		self::$requested = true;
		add_action( 'shutdown', array( __CLASS__, 'spawn' ) );
	}

	/**
	 * The non-blocking loopback request, when a runner slot is free.
	 */
	public static function spawn() {
		if ( Pixpress_Processor::pause() || ! self::free_slot_exists() ) {
			return; // The runners at work pick up what was just queued.
		}
		wp_remote_post(
			add_query_arg( 'action', self::ACTION, admin_url( 'admin-ajax.php' ) ),
			array(
				'timeout'   => 0.01,
				'blocking'  => false,
				'sslverify' => apply_filters( 'https_local_ssl_verify', false ), // As spawn_cron(): the site's own certificate.
				'body'      => array( 'key' => self::key() ),
			)
		);
	}

	/**
	 * The runner itself: checks the key, takes a slot, processes the queue, and asks for another
	 * runner when work is left that no one holds.
	 */
	public static function handle() {
		// phpcs:ignore WordPress.Security.NonceVerification.Missing -- the secret key stands for a nonce: no user session here.
		$key = isset( $_POST['key'] ) ? sanitize_text_field( wp_unslash( $_POST['key'] ) ) : '';
		if ( '' === $key || ! hash_equals( self::key(), $key ) ) {
			wp_die( '', '', array( 'response' => 403 ) );
		}
		ignore_user_abort( true ); // The caller hangs up at once.
		$slot = self::take_slot();
		if ( null === $slot ) {
			wp_die( '', '', array( 'response' => 200 ) );
		}
		try {
			// New uploads only: the bulk run moves with its page's ticks (and WP-Cron when the page is closed).
			$result = Pixpress_Processor::run( (float) apply_filters( 'pixpress_runner_budget_s', self::BUDGET_S ), false, Pixpress_Processor::IN_FLIGHT, false );
		} finally {
			self::release_slot( $slot );
		}
		if ( null === $result['stopped'] && $result['processed'] > 0 && Pixpress_Queue::count_free( false ) > 0 ) {
			self::spawn();
		}
		wp_die( '', '', array( 'response' => 200 ) );
	}

	/**
	 * The secret of the loopback requests, made on first use.
	 *
	 * @return string
	 */
	private static function key() {
		$key = (string) get_option( self::KEY_OPTION, '' );
		if ( strlen( $key ) < 32 ) {
			$key = wp_generate_password( 40, false, false );
			update_option( self::KEY_OPTION, $key, true );
		}
		return $key;
	}

	/**
	 * Takes a free runner slot: a row of the options table inserted only when absent (INSERT IGNORE,
	 * atomic in the database, where add_option() would overwrite). A slot past its time (its runner
	 * died: PHP killed, a fatal error) is free again.
	 *
	 * @return string|null The slot's option name, or null when all are taken.
	 */
	private static function take_slot() {
		global $wpdb;
		$until = time() + (int) ( self::BUDGET_S + Pixpress_Optimizer::TASK_TIMEOUT_S + 60 );
		for ( $i = 0; $i < self::MAX_RUNNERS; $i++ ) {
			$name = self::SLOT_OPTION . $i;
			self::drop_stale( $name );
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery
			if ( 1 === (int) $wpdb->query( $wpdb->prepare( "INSERT IGNORE INTO {$wpdb->options} (option_name, option_value, autoload) VALUES (%s, %s, 'no')", $name, (string) $until ) ) ) {
				wp_cache_delete( $name, 'options' );
				return $name;
			}
		}
		return null;
	}

	/**
	 * Whether a runner could start now.
	 *
	 * @return bool
	 */
	private static function free_slot_exists() {
		global $wpdb;
		for ( $i = 0; $i < self::MAX_RUNNERS; $i++ ) {
			self::drop_stale( self::SLOT_OPTION . $i );
		}
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$taken = (int) $wpdb->get_var( $wpdb->prepare( "SELECT COUNT(*) FROM {$wpdb->options} WHERE option_name LIKE %s", $wpdb->esc_like( self::SLOT_OPTION ) . '%' ) );
		return $taken < self::MAX_RUNNERS;
	}

	/**
	 * Frees a slot past its time.
	 *
	 * @param string $name The slot's option name.
	 */
	private static function drop_stale( $name ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->query( $wpdb->prepare( "DELETE FROM {$wpdb->options} WHERE option_name = %s AND CAST(option_value AS UNSIGNED) < %d", $name, time() ) );
	}

	/**
	 * Frees a slot when its runner ends.
	 *
	 * @param string $name The slot's option name.
	 */
	private static function release_slot( $name ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$wpdb->delete( $wpdb->options, array( 'option_name' => $name ), array( '%s' ) );
	}

	/**
	 * Forgets the key and the slots (uninstall).
	 */
	public static function forget() {
		delete_option( self::KEY_OPTION );
		for ( $i = 0; $i < self::MAX_RUNNERS; $i++ ) {
			self::release_slot( self::SLOT_OPTION . $i );
		}
	}
}
