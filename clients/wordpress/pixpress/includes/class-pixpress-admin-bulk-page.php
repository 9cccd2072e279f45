<?php
/**
 * Media > Bulk pixpress: the existing library, with a progress bar that survives reloads.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * A plain page whose buttons post to admin-post.php (works without JavaScript, WP-Cron then does
 * the work); assets/pixpress-bulk.js turns them into AJAX calls and drives ticks while the page is
 * open. Stable ids: pixpress-bulk-progress, pixpress-bulk-start, pixpress-bulk-pause,
 * pixpress-bulk-resume, pixpress-bulk-message, pixpress-bulk-state.
 */
class Pixpress_Admin_Bulk_Page {

	const SLUG          = 'pixpress-bulk';
	const NONCE         = 'pixpress_bulk';
	const RESTORE_NONCE = 'pixpress_bulk_restore';
	const TICK_BUDGET_S = 5.0;

	/**
	 * Hooks the page, its actions and its AJAX calls.
	 */
	public static function register() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_post_pixpress_bulk', array( __CLASS__, 'handle_post' ) );
		add_action( 'admin_post_' . self::RESTORE_NONCE, array( __CLASS__, 'handle_restore_all' ) );
		add_action( 'wp_ajax_pixpress_bulk_control', array( __CLASS__, 'ajax_control' ) );
		add_action( 'wp_ajax_pixpress_bulk_tick', array( __CLASS__, 'ajax_tick' ) );
		add_action( 'wp_ajax_pixpress_bulk_status', array( __CLASS__, 'ajax_status' ) );
		add_action( 'admin_enqueue_scripts', array( __CLASS__, 'assets' ) );
	}

	/**
	 * Adds the page under Media.
	 */
	public static function menu() {
		add_media_page(
			__( 'Bulk pixpress', 'pixpress' ),
			__( 'Bulk pixpress', 'pixpress' ),
			'manage_options',
			self::SLUG,
			array( __CLASS__, 'render' )
		);
	}

	/**
	 * The page's script, on the page only.
	 *
	 * @param string $hook_suffix The admin page.
	 */
	public static function assets( $hook_suffix ) {
		if ( 'media_page_' . self::SLUG !== $hook_suffix ) {
			return;
		}
		wp_enqueue_script( 'pixpress-bulk', plugins_url( 'assets/pixpress-bulk.js', PIXPRESS_FILE ), array(), PIXPRESS_VERSION, true );
		wp_localize_script(
			'pixpress-bulk',
			'pixpressBulk',
			array(
				'ajaxUrl' => admin_url( 'admin-ajax.php' ),
				'nonce'   => wp_create_nonce( self::NONCE ),
				'status'  => Pixpress_Bulk::status(),
				'i18n'    => array(
					'error'   => __( 'The last request failed; trying again in a few seconds.', 'pixpress' ),
					'confirm' => __( 'Put every optimized image back as it was uploaded and delete its WebP/AVIF copies?', 'pixpress' ),
					/* translators: 1: images processed, 2: images in the run. */
					'of'      => __( '%1$d of %2$d', 'pixpress' ),
					'states'  => self::state_labels(),
				),
			)
		);
	}

	/**
	 * Human names of the states.
	 *
	 * @return array<string, string>
	 */
	public static function state_labels() {
		return array(
			'idle'         => __( 'Not started', 'pixpress' ),
			'running'      => __( 'Running', 'pixpress' ),
			'paused'       => __( 'Paused', 'pixpress' ),
			'paused_quota' => __( 'Paused: quota used up', 'pixpress' ),
			'paused_error' => __( 'Paused: the server refused the token', 'pixpress' ),
			'done'         => __( 'Done', 'pixpress' ),
		);
	}

	/**
	 * Dies unless the current user may run the bulk optimization and the nonce is right.
	 *
	 * @param bool $ajax Whether this is an AJAX call (JSON answers).
	 */
	private static function check( $ajax ) {
		if ( $ajax ) {
			check_ajax_referer( self::NONCE, 'nonce' );
		} else {
			check_admin_referer( self::NONCE );
		}
		if ( ! current_user_can( 'manage_options' ) ) {
			if ( $ajax ) {
				wp_send_json_error( array( 'message' => __( 'You are not allowed to do this.', 'pixpress' ) ), 403 );
			}
			wp_die( esc_html__( 'You are not allowed to do this.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
	}

	/**
	 * Start, pause or resume.
	 *
	 * @param string $command The button.
	 * @return array<string, mixed>|null The state, null for an unknown command.
	 */
	private static function control( $command ) {
		switch ( $command ) {
			case 'start':
				return Pixpress_Bulk::start();
			case 'pause':
				return Pixpress_Bulk::pause();
			case 'resume':
				return Pixpress_Bulk::resume();
		}
		return null;
	}

	/**
	 * The buttons without JavaScript.
	 */
	public static function handle_post() {
		self::check( false );
		$command = isset( $_POST['command'] ) ? sanitize_key( wp_unslash( $_POST['command'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification -- checked above.
		$state   = self::control( $command );
		if ( null !== $state ) {
			Pixpress_Queue::schedule();
			Pixpress_Admin_Notices::add( 'info', (string) $state['message'] );
		}
		wp_safe_redirect( admin_url( 'upload.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * "Restore all originals": every image with a backup, within a time budget (the notice says how
	 * many are left; the button goes on).
	 */
	public static function handle_restore_all() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::RESTORE_NONCE );
		Pixpress_Bulk::pause(); // A running bulk would optimize the images again.
		$result = Pixpress_Bulk::restore_all();
		$message = sprintf(
			/* translators: %d: number of images. */
			_n( 'Restored %d image to its original.', 'Restored %d images to their originals.', $result['restored'], 'pixpress' ),
			$result['restored']
		);
		if ( $result['left'] > 0 ) {
			/* translators: %d: number of images. */
			$message .= ' ' . sprintf( _n( '%d more to check: click the button again.', '%d more to check: click the button again.', $result['left'], 'pixpress' ), $result['left'] );
		}
		if ( $result['failed'] > 0 ) {
			/* translators: %d: number of images. */
			$message .= ' ' . sprintf( _n( '%d image could not be restored.', '%d images could not be restored.', $result['failed'], 'pixpress' ), $result['failed'] );
		}
		Pixpress_Admin_Notices::add( $result['failed'] > 0 ? 'warning' : 'success', $message );
		wp_safe_redirect( admin_url( 'upload.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * The buttons with JavaScript: answers the status.
	 */
	public static function ajax_control() {
		self::check( true );
		$command = isset( $_POST['command'] ) ? sanitize_key( wp_unslash( $_POST['command'] ) ) : ''; // phpcs:ignore WordPress.Security.NonceVerification -- checked above.
		if ( null === self::control( $command ) ) {
			wp_send_json_error( array( 'message' => __( 'Unknown command.', 'pixpress' ) ), 400 );
		}
		Pixpress_Queue::schedule();
		wp_send_json_success( Pixpress_Bulk::status() );
	}

	/**
	 * One tick of the open page: a few attachments within the time budget, then the status.
	 */
	public static function ajax_tick() {
		self::check( true );
		$tick = null;
		if ( Pixpress_Bulk::is_running() ) {
			$tick = Pixpress_Processor::run( (float) apply_filters( 'pixpress_tick_budget_s', self::TICK_BUDGET_S ) );
		}
		$status         = Pixpress_Bulk::status();
		$status['tick'] = $tick;
		wp_send_json_success( $status );
	}

	/**
	 * The status alone.
	 */
	public static function ajax_status() {
		self::check( true );
		wp_send_json_success( Pixpress_Bulk::status() );
	}

	/**
	 * The page.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to see this page.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		$status = Pixpress_Bulk::status();
		$state  = (string) $status['state'];
		$labels = self::state_labels();
		$counts = $status['counts'];
		?>
		<div class="wrap" id="pixpress-bulk" data-state="<?php echo esc_attr( $state ); ?>">
			<h1><?php esc_html_e( 'Bulk pixpress', 'pixpress' ); ?></h1>
			<?php if ( ! Pixpress_Settings::is_configured() ) : ?>
				<div class="notice notice-warning"><p>
					<?php
					printf(
						/* translators: %s: link to the settings page. */
						esc_html__( 'Set the server URL and the token in %s first.', 'pixpress' ),
						'<a href="' . esc_url( admin_url( 'options-general.php?page=' . Pixpress_Admin_Settings_Page::SLUG ) ) . '">' . esc_html__( 'Settings > pixpress', 'pixpress' ) . '</a>'
					);
					?>
				</p></div>
			<?php endif; ?>
			<p><?php esc_html_e( 'Optimizes the images already in the Media Library: the original and each size, with a backup of every file replaced. Images done before are skipped. Processing goes on through WP-Cron when this page is closed.', 'pixpress' ); ?></p>

			<h2><?php esc_html_e( 'Progress', 'pixpress' ); ?></h2>
			<p>
				<strong id="pixpress-bulk-state" data-state="<?php echo esc_attr( $state ); ?>"><?php echo esc_html( isset( $labels[ $state ] ) ? $labels[ $state ] : $state ); ?></strong>
			</p>
			<progress id="pixpress-bulk-progress" max="100" value="<?php echo (int) $status['percent']; ?>" style="width:100%;max-width:40em;height:1.5em"><?php echo (int) $status['percent']; ?>%</progress>
			<p id="pixpress-bulk-progress-text">
				<?php
				/* translators: 1: images processed, 2: images in the run, 3: percent. */
				echo esc_html( sprintf( __( '%1$d of %2$d (%3$d%%)', 'pixpress' ), $status['done'], $status['total'], $status['percent'] ) );
				?>
			</p>
			<p id="pixpress-bulk-message" role="status" aria-live="polite"><?php echo esc_html( (string) $status['message'] ); ?></p>

			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" id="pixpress-bulk-form">
				<input type="hidden" name="action" value="pixpress_bulk">
				<?php wp_nonce_field( self::NONCE ); ?>
				<button type="submit" class="button button-primary" name="command" value="start" id="pixpress-bulk-start"<?php disabled( in_array( $state, array( 'running', 'paused', 'paused_quota', 'paused_error' ), true ) ); ?>><?php esc_html_e( 'Start', 'pixpress' ); ?></button>
				<button type="submit" class="button" name="command" value="pause" id="pixpress-bulk-pause"<?php disabled( 'running' !== $state ); ?>><?php esc_html_e( 'Pause', 'pixpress' ); ?></button>
				<button type="submit" class="button" name="command" value="resume" id="pixpress-bulk-resume"<?php disabled( ! in_array( $state, array( 'paused', 'paused_quota', 'paused_error' ), true ) ); ?>><?php esc_html_e( 'Resume', 'pixpress' ); ?></button>
			</form>

			<h2><?php esc_html_e( 'Library', 'pixpress' ); ?></h2>
			<table class="widefat striped" id="pixpress-bulk-counts" style="max-width:40em">
				<tbody>
				<?php
				$rows = array(
					'total'     => __( 'Images', 'pixpress' ),
					'optimized' => __( 'Optimized', 'pixpress' ),
					'pending'   => __( 'Waiting in the queue', 'pixpress' ),
					'untouched' => __( 'Not processed yet', 'pixpress' ),
					'skipped'   => __( 'Skipped', 'pixpress' ),
					'failed'    => __( 'Failed', 'pixpress' ),
					'restored'  => __( 'Restored by a user', 'pixpress' ),
				);
				foreach ( $rows as $key => $label ) {
					printf( '<tr><th scope="row">%1$s</th><td id="pixpress-count-%2$s">%3$d</td></tr>', esc_html( $label ), esc_attr( $key ), (int) $counts[ $key ] );
				}
				?>
				</tbody>
			</table>
			<p id="pixpress-bulk-saved"><strong><?php echo esc_html( (string) $status['saved'] ); ?></strong></p>
			<div id="pixpress-bulk-reasons"><?php self::render_reasons( $counts ); ?></div>

			<h2><?php esc_html_e( 'Restore', 'pixpress' ); ?></h2>
			<p><?php esc_html_e( 'Puts every optimized image back as it was uploaded (from the backups) and deletes the WebP/AVIF copies. A running bulk is paused first.', 'pixpress' ); ?></p>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" id="pixpress-bulk-restore-form">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::RESTORE_NONCE ); ?>">
				<?php wp_nonce_field( self::RESTORE_NONCE ); ?>
				<button type="submit" class="button" id="pixpress-bulk-restore"<?php disabled( 0 === (int) $counts['optimized'] ); ?>><?php esc_html_e( 'Restore all originals', 'pixpress' ); ?></button>
			</form>

			<h2><?php esc_html_e( 'Quota', 'pixpress' ); ?></h2>
			<?php Pixpress_Quota_View::render( Pixpress_Service::quota() ); ?>
		</div>
		<?php
	}

	/**
	 * Why images were skipped or failed.
	 *
	 * @param array<string, mixed> $counts The counts.
	 */
	private static function render_reasons( array $counts ) {
		foreach ( array( 'skipped_reasons' => __( 'Skipped', 'pixpress' ), 'failed_reasons' => __( 'Failed', 'pixpress' ) ) as $key => $title ) {
			if ( empty( $counts[ $key ] ) ) {
				continue;
			}
			echo '<h3>' . esc_html( $title ) . '</h3><ul class="pixpress-reasons" id="pixpress-' . esc_attr( str_replace( '_', '-', $key ) ) . '">';
			foreach ( $counts[ $key ] as $reason => $n ) {
				printf( '<li>%1$s: %2$d</li>', esc_html( Pixpress_Status::reason_label( (string) $reason ) ), (int) $n );
			}
			echo '</ul>';
		}
	}
}
