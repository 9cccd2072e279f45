<?php
/**
 * Settings > pixpress.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * The settings form (through options.php and the Settings API), the connection test and the quota.
 * The token is never printed: the field is empty with a masked hint, for administrators only.
 */
class Pixpress_Admin_Settings_Page {

	const SLUG = 'pixpress';

	/**
	 * Hooks the page and its actions.
	 */
	public static function register() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_post_pixpress_test_connection', array( __CLASS__, 'test_connection' ) );
		add_filter( 'plugin_action_links_' . plugin_basename( PIXPRESS_FILE ), array( __CLASS__, 'action_links' ) );
	}

	/**
	 * Adds the page under Settings.
	 */
	public static function menu() {
		add_options_page(
			__( 'pixpress settings', 'pixpress' ),
			__( 'pixpress', 'pixpress' ),
			'manage_options',
			self::SLUG,
			array( __CLASS__, 'render' )
		);
	}

	/**
	 * A "Settings" link on the Plugins screen.
	 *
	 * @param string[] $links Links.
	 * @return string[]
	 */
	public static function action_links( $links ) {
		$links[] = '<a href="' . esc_url( admin_url( 'options-general.php?page=' . self::SLUG ) ) . '">' . esc_html__( 'Settings', 'pixpress' ) . '</a>';
		return $links;
	}

	/**
	 * The connection test button's action.
	 */
	public static function test_connection() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( 'pixpress_test_connection' );
		$result = Pixpress_Service::test_connection();
		Pixpress_Admin_Notices::add( $result['ok'] ? 'success' : 'error', $result['message'] );
		wp_safe_redirect( admin_url( 'options-general.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * The page.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to see this page.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		$settings = Pixpress_Settings::all();
		$name     = Pixpress_Settings::OPTION;
		?>
		<div class="wrap" id="pixpress-settings">
			<h1><?php esc_html_e( 'pixpress', 'pixpress' ); ?></h1>
			<?php if ( ! Pixpress_Client_Loader::load() ) : ?>
				<div class="notice notice-error"><p><?php esc_html_e( 'The pixpress PHP client is missing from the plugin folder (vendor/pixpress-client). Reinstall the plugin.', 'pixpress' ); ?></p></div>
			<?php endif; ?>
			<form method="post" action="<?php echo esc_url( admin_url( 'options.php' ) ); ?>" id="pixpress-settings-form">
				<?php settings_fields( 'pixpress' ); ?>
				<input type="hidden" name="<?php echo esc_attr( $name ); ?>[sizes_shown]" value="1">
				<table class="form-table" role="presentation">
					<tr>
						<th scope="row"><label for="pixpress-server-url"><?php esc_html_e( 'Server URL', 'pixpress' ); ?></label></th>
						<td>
							<input type="url" class="regular-text code" id="pixpress-server-url" name="<?php echo esc_attr( $name ); ?>[server_url]" value="<?php echo esc_attr( $settings['server_url'] ); ?>" placeholder="https://img.example.com">
							<p class="description"><?php esc_html_e( 'The address of your pixpress server (from your theme vendor).', 'pixpress' ); ?></p>
							<?php self::checkbox( $name, 'allow_private', $settings, __( 'Allow a private address (a pixpress server on this site\'s own network: localhost, 10.x, 192.168.x, or an unusual port)', 'pixpress' ) ); ?>
							<p class="description"><?php esc_html_e( 'Leave it off otherwise: WordPress then refuses local and private addresses, so a changed URL cannot reach into your network.', 'pixpress' ); ?></p>
						</td>
					</tr>
					<tr>
						<th scope="row"><label for="pixpress-token"><?php esc_html_e( 'Licence token', 'pixpress' ); ?></label></th>
						<td><?php self::render_token_field( $name ); ?></td>
					</tr>
					<tr>
						<th scope="row"><?php esc_html_e( 'Compression', 'pixpress' ); ?></th>
						<td>
							<fieldset id="pixpress-mode">
							<?php
							$modes = array(
								'lossy'    => __( 'Lossy: smallest files, high quality', 'pixpress' ),
								'glossy'   => __( 'Glossy: indistinguishable from the original', 'pixpress' ),
								'lossless' => __( 'Lossless: pixel-exact', 'pixpress' ),
							);
							foreach ( $modes as $mode => $label ) {
								printf(
									'<label><input type="radio" name="%1$s[mode]" value="%2$s"%3$s> %4$s</label><br>',
									esc_attr( $name ),
									esc_attr( $mode ),
									checked( $settings['mode'], $mode, false ),
									esc_html( $label )
								);
							}
							?>
							</fieldset>
						</td>
					</tr>
					<tr>
						<th scope="row"><label for="pixpress-keep-metadata"><?php esc_html_e( 'Metadata', 'pixpress' ); ?></label></th>
						<td>
							<select id="pixpress-keep-metadata" name="<?php echo esc_attr( $name ); ?>[keep_metadata]">
								<option value="none"<?php selected( $settings['keep_metadata'], 'none' ); ?>><?php esc_html_e( 'Remove all (EXIF, XMP, colour profile)', 'pixpress' ); ?></option>
								<option value="icc"<?php selected( $settings['keep_metadata'], 'icc' ); ?>><?php esc_html_e( 'Keep the colour profile only (recommended)', 'pixpress' ); ?></option>
								<option value="all"<?php selected( $settings['keep_metadata'], 'all' ); ?>><?php esc_html_e( 'Keep everything', 'pixpress' ); ?></option>
							</select>
						</td>
					</tr>
					<tr>
						<th scope="row"><?php esc_html_e( 'Sizes to optimize', 'pixpress' ); ?></th>
						<td><fieldset id="pixpress-sizes"><?php self::render_sizes( $name, $settings ); ?></fieldset></td>
					</tr>
					<tr>
						<th scope="row"><?php esc_html_e( 'Large originals', 'pixpress' ); ?></th>
						<td><?php self::render_resize( $name, $settings ); ?></td>
					</tr>
					<tr>
						<th scope="row"><?php esc_html_e( 'WebP and AVIF', 'pixpress' ); ?></th>
						<td>
							<fieldset>
								<?php
								self::checkbox( $name, 'webp', $settings, __( 'Make a WebP copy of each image (name.jpg.webp)', 'pixpress' ) );
								self::checkbox( $name, 'avif', $settings, __( 'Make an AVIF copy of each image (name.jpg.avif)', 'pixpress' ) );
								self::checkbox( $name, 'picture', $settings, __( 'Serve them with &lt;picture&gt; elements (turn off when your web server rewrites on Accept instead; see the readme)', 'pixpress' ) );
								?>
								<p class="description"><?php esc_html_e( 'The JPEG or PNG itself is kept for browsers that do not read WebP or AVIF. Copies larger than the image are not kept.', 'pixpress' ); ?></p>
							</fieldset>
						</td>
					</tr>
					<tr>
						<th scope="row"><label for="pixpress-max-download-mb"><?php esc_html_e( 'Largest download', 'pixpress' ); ?></label></th>
						<td>
							<input type="number" class="small-text" id="pixpress-max-download-mb" name="<?php echo esc_attr( $name ); ?>[max_download_mb]" value="<?php echo esc_attr( (string) $settings['max_download_mb'] ); ?>" min="<?php echo esc_attr( (string) Pixpress_Settings::MAX_DOWNLOAD_MB_RANGE[0] ); ?>" max="<?php echo esc_attr( (string) Pixpress_Settings::MAX_DOWNLOAD_MB_RANGE[1] ); ?>"> <?php esc_html_e( 'MB', 'pixpress' ); ?>
							<p class="description"><?php esc_html_e( 'A larger answer from the server is cut off and nothing of it is kept. It is read into memory once it fits, so keep it below PHP\'s memory limit.', 'pixpress' ); ?></p>
						</td>
					</tr>
					<tr>
						<th scope="row"><?php esc_html_e( 'New uploads', 'pixpress' ); ?></th>
						<td><?php self::checkbox( $name, 'auto_optimize', $settings, __( 'Optimize new uploads in the background', 'pixpress' ) ); ?></td>
					</tr>
				</table>
				<?php submit_button(); ?>
			</form>

			<h2><?php esc_html_e( 'Connection and quota', 'pixpress' ); ?></h2>
			<?php Pixpress_Quota_View::render( Pixpress_Service::quota() ); ?>
			<?php
			$connection = get_transient( Pixpress_Service::CONNECTION_TRANSIENT );
			if ( is_array( $connection ) ) {
				printf(
					'<p id="pixpress-connection" class="%1$s">%2$s</p>',
					esc_attr( $connection['ok'] ? 'pixpress-ok' : 'pixpress-error' ),
					esc_html( $connection['message'] )
				);
			}
			?>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
				<input type="hidden" name="action" value="pixpress_test_connection">
				<?php wp_nonce_field( 'pixpress_test_connection' ); ?>
				<?php submit_button( __( 'Test the connection', 'pixpress' ), 'secondary', 'pixpress-test-connection', false, array( 'id' => 'pixpress-test-connection' ) ); ?>
			</form>
			<?php Pixpress_Admin_Delivery::render(); ?>
		</div>
		<?php
	}

	/**
	 * The token field: empty (the saved token is never printed), with its masked form as a hint.
	 *
	 * @param string $name The option's field name.
	 */
	private static function render_token_field( $name ) {
		$source = Pixpress_Settings::token_source();
		$masked = Pixpress_Settings::masked_token();
		if ( 'filter' === $source ) {
			printf(
				'<p id="pixpress-token-source">%1$s <code>%2$s</code></p>',
				esc_html__( 'Supplied by your theme\'s licence:', 'pixpress' ),
				esc_html( $masked )
			);
			return;
		}
		printf(
			'<input type="password" class="regular-text code" id="pixpress-token" name="%1$s[token]" value="" autocomplete="off" placeholder="%2$s">',
			esc_attr( $name ),
			esc_attr( '' !== $masked ? $masked : __( 'your licence token', 'pixpress' ) )
		);
		if ( '' !== $masked ) {
			echo '<p class="description">' . esc_html__( 'Saved. Leave empty to keep it, or type a new one.', 'pixpress' ) . '</p>';
			printf(
				'<label><input type="checkbox" name="%1$s[forget_token]" value="1"> %2$s</label>',
				esc_attr( $name ),
				esc_html__( 'Forget the saved token', 'pixpress' )
			);
		}
	}

	/**
	 * One checkbox per size: 'full' (the uploaded file) and each registered size.
	 *
	 * @param string               $name The option's field name.
	 * @param array<string, mixed> $settings Settings.
	 */
	private static function render_sizes( $name, array $settings ) {
		$sizes = array( 'full' => null ) + Pixpress_Settings::registered_sizes();
		foreach ( $sizes as $size => $spec ) {
			if ( null === $spec ) {
				$label = __( 'Original (the uploaded file)', 'pixpress' );
			} else {
				/* translators: 1: size name, 2: width, 3: height, 4: ", cropped" or nothing. */
				$label = sprintf( __( '%1$s (%2$d &times; %3$d%4$s)', 'pixpress' ), $size, $spec['width'], $spec['height'], $spec['crop'] ? __( ', cropped', 'pixpress' ) : '' );
			}
			printf(
				'<label><input type="checkbox" name="%1$s[sizes][]" value="%2$s"%3$s> %4$s</label><br>',
				esc_attr( $name ),
				esc_attr( $size ),
				checked( ! in_array( $size, (array) $settings['skip_sizes'], true ), true, false ),
				wp_kses( $label, array() )
			);
		}
	}

	/**
	 * Resizing large originals: the box and its maximum width and height.
	 *
	 * @param string               $name The option's field name.
	 * @param array<string, mixed> $settings Settings.
	 */
	private static function render_resize( $name, array $settings ) {
		self::checkbox( $name, 'resize', $settings, __( 'Resize the full-size image when it is larger than:', 'pixpress' ) );
		foreach ( array( 'resize_width' => __( 'Width', 'pixpress' ), 'resize_height' => __( 'Height', 'pixpress' ) ) as $key => $label ) {
			printf(
				'<label>%1$s <input type="number" class="small-text" id="pixpress-%2$s" name="%3$s[%2$s]" value="%4$s" min="%5$d" max="%6$d"> px</label> ',
				esc_html( $label ),
				esc_attr( $key ),
				esc_attr( $name ),
				esc_attr( (string) $settings[ $key ] ),
				(int) Pixpress_Resize::RANGE[0],
				(int) Pixpress_Resize::RANGE[1]
			);
		}
		echo '<p class="description">' . esc_html__( 'Done by the server in the same upload that optimizes the image (no extra charge); the aspect ratio is kept and nothing is enlarged. The uploaded file is kept in the backup, and restoring brings it back as it was.', 'pixpress' ) . '</p>';
	}

	/**
	 * A checkbox for a boolean setting.
	 *
	 * @param string               $name The option's field name.
	 * @param string               $key Setting.
	 * @param array<string, mixed> $settings Settings.
	 * @param string               $label Label (may hold entities).
	 */
	private static function checkbox( $name, $key, array $settings, $label ) {
		printf(
			'<label><input type="checkbox" id="pixpress-%2$s" name="%1$s[%2$s]" value="1"%3$s> %4$s</label><br>',
			esc_attr( $name ),
			esc_attr( $key ),
			checked( ! empty( $settings[ $key ] ), true, false ),
			wp_kses( $label, array() )
		);
	}
}
