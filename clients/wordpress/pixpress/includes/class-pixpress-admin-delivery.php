<?php
/**
 * The "Delivery by the web server" section of Settings > pixpress.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Buttons to write or remove the Apache rules and to check delivery, the nginx snippet, and the last
 * check's result. Every action needs manage_options and its nonce.
 */
class Pixpress_Admin_Delivery {

	const ACTION = 'pixpress_delivery';

	/**
	 * Hooks the form's action.
	 */
	public static function register() {
		add_action( 'admin_post_' . self::ACTION, array( __CLASS__, 'handle' ) );
	}

	/**
	 * Write, remove or check, then back to the settings page with a notice.
	 */
	public static function handle() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::ACTION );
		$do = isset( $_POST['pixpress_do'] ) ? sanitize_key( wp_unslash( $_POST['pixpress_do'] ) ) : '';
		if ( 'write' === $do ) {
			$ok = Pixpress_Delivery_Rules::write();
			Pixpress_Admin_Notices::add( $ok ? 'success' : 'error', $ok ? __( 'The rules are in uploads/.htaccess.', 'pixpress' ) : __( 'Could not write uploads/.htaccess (is it writable?).', 'pixpress' ) );
		} elseif ( 'remove' === $do ) {
			$ok = Pixpress_Delivery_Rules::remove();
			Pixpress_Admin_Notices::add( $ok ? 'success' : 'error', $ok ? __( 'The rules were removed from uploads/.htaccess.', 'pixpress' ) : __( 'Could not change uploads/.htaccess (is it writable?).', 'pixpress' ) );
		} elseif ( 'check' === $do ) {
			$check = Pixpress_Delivery_Rules::check();
			Pixpress_Admin_Notices::add( $check['ok'] ? 'success' : 'warning', self::summary( $check ) );
		}
		wp_safe_redirect( admin_url( 'options-general.php?page=' . Pixpress_Admin_Settings_Page::SLUG . '#pixpress-delivery' ) );
		exit;
	}

	/**
	 * One sentence about a check.
	 *
	 * @param array<string, mixed> $check Pixpress_Delivery_Rules::check()'s result.
	 * @return string
	 */
	public static function summary( array $check ) {
		if ( '' !== $check['error'] ) {
			return __( 'The check could not write its test image into the uploads folder.', 'pixpress' );
		}
		if ( $check['ok'] ) {
			return $check['vary']
				? __( 'Delivery works: AVIF and WebP are served to the browsers that accept them, the JPEG to the others, with Vary: Accept.', 'pixpress' )
				: __( 'Delivery works, but the answers lack "Vary: Accept" (mod_headers): a cache in front may give one browser another\'s format.', 'pixpress' );
		}
		return __( 'The web server does not serve the AVIF or WebP copies on the Accept header: the rules are not active (nginx needs the snippet; Apache needs mod_rewrite and AllowOverride), or keep serving them with <picture>.', 'pixpress' );
	}

	/**
	 * The section (inside the settings page, outside its options form).
	 */
	public static function render() {
		$installed = Pixpress_Delivery_Rules::installed();
		$check     = Pixpress_Delivery_Rules::last_check();
		?>
		<h2 id="pixpress-delivery"><?php esc_html_e( 'WebP and AVIF by the web server', 'pixpress' ); ?></h2>
		<p><?php esc_html_e( 'Instead of (or besides) <picture>, the web server can answer a request for photo.jpg with photo.jpg.avif or photo.jpg.webp when the browser accepts them: images in CSS and in themes printing their own <img> get them too.', 'pixpress' ); ?></p>
		<p id="pixpress-delivery-state">
			<?php
			echo esc_html(
				$installed
					? __( 'Apache: the rules are in uploads/.htaccess.', 'pixpress' )
					: __( 'Apache: the rules are not in uploads/.htaccess.', 'pixpress' )
			);
			?>
		</p>
		<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
			<input type="hidden" name="action" value="<?php echo esc_attr( self::ACTION ); ?>">
			<?php wp_nonce_field( self::ACTION ); ?>
			<button type="submit" class="button" name="pixpress_do" value="write" id="pixpress-delivery-write"><?php echo esc_html( $installed ? __( 'Write the Apache rules again', 'pixpress' ) : __( 'Write the Apache rules', 'pixpress' ) ); ?></button>
			<?php if ( $installed ) : ?>
				<button type="submit" class="button" name="pixpress_do" value="remove" id="pixpress-delivery-remove"><?php esc_html_e( 'Remove the Apache rules', 'pixpress' ); ?></button>
			<?php endif; ?>
			<button type="submit" class="button" name="pixpress_do" value="check" id="pixpress-delivery-check"><?php esc_html_e( 'Check delivery', 'pixpress' ); ?></button>
		</form>
		<?php if ( null !== $check ) : ?>
			<div id="pixpress-delivery-result" class="<?php echo esc_attr( $check['ok'] ? 'pixpress-ok' : 'pixpress-error' ); ?>">
				<p><?php echo esc_html( self::summary( $check ) ); ?></p>
				<ul>
				<?php
				$labels = array(
					'avif' => __( 'A browser accepting AVIF', 'pixpress' ),
					'webp' => __( 'A browser accepting WebP', 'pixpress' ),
					'jpeg' => __( 'A browser accepting neither', 'pixpress' ),
				);
				foreach ( $check['results'] as $browser => $got ) {
					printf(
						'<li data-browser="%1$s" data-served="%2$s">%3$s: %4$s</li>',
						esc_attr( $browser ),
						esc_attr( $got['served'] ),
						esc_html( isset( $labels[ $browser ] ) ? $labels[ $browser ] : $browser ),
						esc_html(
							'' !== $got['error']
								? $got['error']
								/* translators: 1: format served, 2: HTTP status, 3: content type. */
								: sprintf( __( 'got %1$s (HTTP %2$d, %3$s)', 'pixpress' ), strtoupper( $got['served'] ), $got['status'], $got['content_type'] )
						)
					);
				}
				?>
				</ul>
				<p class="description">
				<?php
				/* translators: %s: date and time. */
				echo esc_html( sprintf( __( 'Checked %s.', 'pixpress' ), wp_date( get_option( 'date_format' ) . ' ' . get_option( 'time_format' ), (int) $check['checked_at'] ) ) );
				?>
				</p>
			</div>
		<?php endif; ?>
		<details>
			<summary><?php esc_html_e( 'The Apache rules', 'pixpress' ); ?></summary>
			<pre id="pixpress-apache-rules"><?php echo esc_html( implode( "\n", Pixpress_Delivery_Rules::apache_rules() ) ); ?></pre>
		</details>
		<p><?php esc_html_e( 'nginx reads no .htaccess: add this to its configuration, reload it, then check delivery.', 'pixpress' ); ?></p>
		<pre id="pixpress-nginx-snippet"><?php echo esc_html( Pixpress_Delivery_Rules::nginx_snippet() ); ?></pre>
		<?php
	}
}
