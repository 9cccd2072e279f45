<?php
/**
 * The first-run wizard: right after activation, three short steps (the server and the token with a
 * connection test, then WebP/AVIF and the compression, then what to do next).
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Shown once, on the first admin page after the plugin is activated while it has no server or token
 * (plugins.php?activate=true); afterwards a notice links to it until the plugin is set up. Its forms
 * post to admin-post.php with a nonce and need manage_options; the values go through the settings'
 * sanitizer.
 */
class Pixpress_Admin_Wizard {

	const SLUG   = 'pixpress-setup';
	const NONCE  = 'pixpress_wizard';
	const OPTION = 'pixpress_wizard';

	/**
	 * Hooks the page, its actions, the redirect after activation and the notice.
	 */
	public static function register() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_head', array( __CLASS__, 'hide_menu_entry' ) );
		add_action( 'admin_init', array( __CLASS__, 'maybe_redirect' ) );
		add_action( 'admin_post_' . self::NONCE, array( __CLASS__, 'handle' ) );
		add_action( 'admin_notices', array( __CLASS__, 'notice' ) );
	}

	/**
	 * The page, under Dashboard (its menu entry is hidden: it is reached by the redirect and the notice).
	 */
	public static function menu() {
		add_dashboard_page( __( 'Set up pixpress', 'pixpress' ), __( 'Set up pixpress', 'pixpress' ), 'manage_options', self::SLUG, array( __CLASS__, 'render' ) );
	}

	/**
	 * Removes the menu entry once the page's access was checked.
	 */
	public static function hide_menu_entry() {
		remove_submenu_page( 'index.php', self::SLUG );
	}

	/**
	 * The wizard's URL at a step.
	 *
	 * @param string $step connect, formats or done.
	 * @return string
	 */
	public static function url( $step = 'connect' ) {
		return admin_url( 'index.php?page=' . self::SLUG . '&step=' . rawurlencode( $step ) );
	}

	/**
	 * After activating the plugin (WordPress lands on plugins.php?activate=true), the first time and
	 * while it is not set up: to the wizard.
	 */
	public static function maybe_redirect() {
		global $pagenow;
		// phpcs:ignore WordPress.Security.NonceVerification -- only reads WordPress's own flag.
		$activated = 'plugins.php' === $pagenow && isset( $_GET['activate'] ) && ! isset( $_GET['activate-multi'] );
		if ( ! $activated || wp_doing_ajax() || get_option( self::OPTION ) || Pixpress_Settings::is_configured() || ! current_user_can( 'manage_options' ) ) {
			return;
		}
		update_option( self::OPTION, array( 'shown_at' => time() ), false );
		wp_safe_redirect( self::url() );
		exit;
	}

	/**
	 * Until the plugin has a server and a token: a notice with the way to the wizard.
	 */
	public static function notice() {
		$screen = get_current_screen();
		if ( Pixpress_Settings::is_configured() || ! current_user_can( 'manage_options' ) || ( $screen && 'dashboard_page_' . self::SLUG === $screen->id ) ) {
			return;
		}
		printf(
			'<div class="notice notice-info" id="pixpress-setup-notice"><p>%1$s <a class="button button-primary" href="%2$s">%3$s</a></p></div>',
			esc_html__( 'pixpress needs its server and your licence token before it can optimize images.', 'pixpress' ),
			esc_url( self::url() ),
			esc_html__( 'Set up pixpress', 'pixpress' )
		);
	}

	/**
	 * The forms' action: saves the step and goes on (or back, with the error).
	 */
	public static function handle() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::NONCE );
		// phpcs:disable WordPress.Security.NonceVerification -- checked above.
		$step  = isset( $_POST['step'] ) ? sanitize_key( wp_unslash( $_POST['step'] ) ) : '';
		$input = isset( $_POST['pixpress'] ) && is_array( $_POST['pixpress'] ) ? wp_unslash( $_POST['pixpress'] ) : array(); // phpcs:ignore WordPress.Security.ValidatedSanitizedInput -- through Pixpress_Settings::sanitize.
		// phpcs:enable
		if ( 'connect' === $step ) {
			update_option(
				Pixpress_Settings::OPTION,
				array(
					'server_url'    => isset( $input['server_url'] ) ? (string) $input['server_url'] : '',
					'token'         => isset( $input['token'] ) ? (string) $input['token'] : '',
					'allow_private' => ! empty( $input['allow_private'] ),
				)
			);
			$result = Pixpress_Service::test_connection();
			wp_safe_redirect( self::url( $result['ok'] ? 'formats' : 'connect' ) );
			exit;
		}
		if ( 'formats' === $step ) {
			update_option(
				Pixpress_Settings::OPTION,
				array(
					'webp'          => ! empty( $input['webp'] ),
					'avif'          => ! empty( $input['avif'] ),
					'picture'       => true,
					'auto_optimize' => ! empty( $input['auto_optimize'] ),
					'mode'          => isset( $input['mode'] ) ? (string) $input['mode'] : 'lossy',
				)
			);
			update_option( self::OPTION, array( 'done_at' => time() ), false );
			wp_safe_redirect( self::url( 'done' ) );
			exit;
		}
		wp_safe_redirect( self::url() );
		exit;
	}

	/**
	 * The page.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to see this page.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		// phpcs:ignore WordPress.Security.NonceVerification -- which step to show.
		$step  = isset( $_GET['step'] ) ? sanitize_key( wp_unslash( $_GET['step'] ) ) : 'connect';
		$step  = in_array( $step, array( 'connect', 'formats', 'done' ), true ) ? $step : 'connect';
		$steps = array(
			'connect' => __( '1. Connect', 'pixpress' ),
			'formats' => __( '2. Formats', 'pixpress' ),
			'done'    => __( '3. Done', 'pixpress' ),
		);
		if ( 'connect' !== $step && ! Pixpress_Settings::is_configured() ) {
			$step = 'connect';
		}
		echo '<div class="wrap" id="pixpress-wizard" data-step="' . esc_attr( $step ) . '">';
		echo '<h1>' . esc_html__( 'Set up pixpress', 'pixpress' ) . '</h1><p class="pixpress-wizard-steps">';
		foreach ( $steps as $key => $label ) {
			echo $key === $step ? '<strong>' . esc_html( $label ) . '</strong> ' : '<span>' . esc_html( $label ) . '</span> ';
		}
		echo '</p>';
		if ( 'connect' === $step ) {
			self::render_connect();
		} elseif ( 'formats' === $step ) {
			self::render_formats();
		} else {
			self::render_done();
		}
		echo '</div>';
	}

	/**
	 * Opens a step's form.
	 *
	 * @param string $step The step.
	 */
	private static function form_start( $step ) {
		printf( '<form method="post" action="%1$s" id="pixpress-wizard-%2$s">', esc_url( admin_url( 'admin-post.php' ) ), esc_attr( $step ) );
		echo '<input type="hidden" name="action" value="' . esc_attr( self::NONCE ) . '"><input type="hidden" name="step" value="' . esc_attr( $step ) . '">';
		wp_nonce_field( self::NONCE );
	}

	/**
	 * Step 1: server URL, token, the connection test.
	 */
	private static function render_connect() {
		$settings   = Pixpress_Settings::all();
		$connection = get_transient( Pixpress_Service::CONNECTION_TRANSIENT );
		if ( is_array( $connection ) && ! $connection['ok'] ) {
			printf( '<div class="notice notice-error inline" id="pixpress-wizard-error"><p>%s</p></div>', esc_html( $connection['message'] ) );
		}
		echo '<p>' . esc_html__( 'Enter the address of your pixpress server and your licence token (from your theme or your pixpress vendor). The next button tests the connection.', 'pixpress' ) . '</p>';
		self::form_start( 'connect' );
		?>
		<table class="form-table" role="presentation">
			<tr>
				<th scope="row"><label for="pixpress-wizard-url"><?php esc_html_e( 'Server URL', 'pixpress' ); ?></label></th>
				<td><input type="url" class="regular-text code" id="pixpress-wizard-url" name="pixpress[server_url]" value="<?php echo esc_attr( $settings['server_url'] ); ?>" placeholder="https://img.example.com" required>
				<br><label><input type="checkbox" id="pixpress-wizard-allow-private" name="pixpress[allow_private]" value="1"<?php checked( ! empty( $settings['allow_private'] ) ); ?>> <?php esc_html_e( 'The server is on this site\'s own network (localhost, 10.x, 192.168.x, or an unusual port)', 'pixpress' ); ?></label></td>
			</tr>
			<tr>
				<th scope="row"><label for="pixpress-wizard-token"><?php esc_html_e( 'Licence token', 'pixpress' ); ?></label></th>
				<td><input type="password" class="regular-text code" id="pixpress-wizard-token" name="pixpress[token]" value="" autocomplete="off" placeholder="<?php echo esc_attr( '' !== Pixpress_Settings::masked_token() ? Pixpress_Settings::masked_token() : __( 'your licence token', 'pixpress' ) ); ?>"></td>
			</tr>
		</table>
		<?php
		submit_button( __( 'Test the connection and continue', 'pixpress' ), 'primary', 'submit', true, array( 'id' => 'pixpress-wizard-connect-submit' ) );
		echo '</form>';
	}

	/**
	 * Step 2: WebP, AVIF (on), the compression (lossy), new uploads (on).
	 */
	private static function render_formats() {
		$settings   = Pixpress_Settings::all();
		$connection = get_transient( Pixpress_Service::CONNECTION_TRANSIENT );
		if ( is_array( $connection ) && $connection['ok'] ) {
			printf( '<div class="notice notice-success inline" id="pixpress-wizard-connected"><p>%s</p></div>', esc_html( $connection['message'] ) );
		}
		self::form_start( 'formats' );
		$modes = array(
			'lossy'    => __( 'Lossy: smallest files, high quality (recommended)', 'pixpress' ),
			'glossy'   => __( 'Glossy: indistinguishable from the original', 'pixpress' ),
			'lossless' => __( 'Lossless: pixel-exact', 'pixpress' ),
		);
		?>
		<table class="form-table" role="presentation">
			<tr>
				<th scope="row"><?php esc_html_e( 'Modern formats', 'pixpress' ); ?></th>
				<td>
					<label><input type="checkbox" id="pixpress-wizard-webp" name="pixpress[webp]" value="1"<?php checked( ! empty( $settings['webp'] ) ); ?>> <?php esc_html_e( 'WebP copies', 'pixpress' ); ?></label><br>
					<label><input type="checkbox" id="pixpress-wizard-avif" name="pixpress[avif]" value="1"<?php checked( ! empty( $settings['avif'] ) ); ?>> <?php esc_html_e( 'AVIF copies', 'pixpress' ); ?></label>
					<p class="description"><?php esc_html_e( 'Served to the browsers that read them with <picture> elements; the JPEG or PNG stays for the others.', 'pixpress' ); ?></p>
				</td>
			</tr>
			<tr>
				<th scope="row"><?php esc_html_e( 'Compression', 'pixpress' ); ?></th>
				<td>
				<?php
				foreach ( $modes as $mode => $label ) {
					printf( '<label><input type="radio" name="pixpress[mode]" value="%1$s"%2$s> %3$s</label><br>', esc_attr( $mode ), checked( $settings['mode'], $mode, false ), esc_html( $label ) );
				}
				?>
				</td>
			</tr>
			<tr>
				<th scope="row"><?php esc_html_e( 'New uploads', 'pixpress' ); ?></th>
				<td><label><input type="checkbox" id="pixpress-wizard-auto" name="pixpress[auto_optimize]" value="1"<?php checked( ! empty( $settings['auto_optimize'] ) ); ?>> <?php esc_html_e( 'Optimize new uploads in the background', 'pixpress' ); ?></label></td>
			</tr>
		</table>
		<?php
		submit_button( __( 'Save and finish', 'pixpress' ), 'primary', 'submit', true, array( 'id' => 'pixpress-wizard-formats-submit' ) );
		echo '</form>';
	}

	/**
	 * Step 3: what is next.
	 */
	private static function render_done() {
		$counts = Pixpress_Bulk::counts();
		echo '<div class="notice notice-success inline" id="pixpress-wizard-done"><p>' . esc_html__( 'pixpress is set up: new uploads are optimized in the background.', 'pixpress' ) . '</p></div>';
		printf(
			'<p>%1$s</p><p><a class="button button-primary" id="pixpress-wizard-bulk" href="%2$s">%3$s</a> <a class="button" href="%4$s">%5$s</a></p>',
			esc_html(
				sprintf(
					/* translators: %d: number of images. */
					_n( 'Your library has %d image not optimized yet.', 'Your library has %d images not optimized yet.', $counts['untouched'], 'pixpress' ),
					$counts['untouched']
				)
			),
			esc_url( admin_url( 'upload.php?page=' . Pixpress_Admin_Bulk_Page::SLUG ) ),
			esc_html__( 'Optimize the library (Bulk pixpress)', 'pixpress' ),
			esc_url( admin_url( 'options-general.php?page=' . Pixpress_Admin_Settings_Page::SLUG ) ),
			esc_html__( 'All settings', 'pixpress' )
		);
	}
}
