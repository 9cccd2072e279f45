<?php
/**
 * Media > Other folders: images outside the Media Library.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Lists the custom folders with their figures, adds one (a suggestion or a path under wp-content),
 * and optimizes, restores or removes one. Every action needs manage_options and its nonce.
 */
class Pixpress_Admin_Folders_Page {

	const SLUG   = 'pixpress-folders';
	const ACTION = 'pixpress_folders';

	/** Seconds an "Optimize" click works before handing the rest to WP-Cron. */
	const REQUEST_BUDGET_S = 20.0;

	/**
	 * Hooks the page and its action.
	 */
	public static function register() {
		add_action( 'admin_menu', array( __CLASS__, 'menu' ) );
		add_action( 'admin_post_' . self::ACTION, array( __CLASS__, 'handle' ) );
	}

	/**
	 * Adds the page under Media.
	 */
	public static function menu() {
		add_media_page(
			__( 'pixpress: other folders', 'pixpress' ),
			__( 'Other folders', 'pixpress' ),
			'manage_options',
			self::SLUG,
			array( __CLASS__, 'render' )
		);
	}

	/**
	 * Add, optimize, restore or remove; then back to the page with a notice.
	 */
	public static function handle() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to do this.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		check_admin_referer( self::ACTION );
		// phpcs:disable WordPress.Security.NonceVerification.Missing -- checked just above.
		$do     = isset( $_POST['pixpress_do'] ) ? sanitize_key( wp_unslash( $_POST['pixpress_do'] ) ) : '';
		$folder = isset( $_POST['pixpress_folder'] ) ? sanitize_text_field( wp_unslash( $_POST['pixpress_folder'] ) ) : '';
		if ( 'add' === $do && isset( $_POST['pixpress_path'] ) && '' !== trim( sanitize_text_field( wp_unslash( $_POST['pixpress_path'] ) ) ) ) {
			$folder = sanitize_text_field( wp_unslash( $_POST['pixpress_path'] ) );
		}
		// phpcs:enable
		if ( 'add' === $do ) {
			$added = Pixpress_Folders::add( $folder );
			if ( is_wp_error( $added ) ) {
				Pixpress_Admin_Notices::add( 'error', $added->get_error_message() );
			} else {
				$counts = Pixpress_Folders::scan( $added );
				/* translators: 1: folder, 2: number of images. */
				Pixpress_Admin_Notices::add( 'success', sprintf( __( 'Added %1$s: %2$d images found.', 'pixpress' ), $added, $counts['found'] ) );
			}
		} elseif ( ! in_array( $folder, Pixpress_Folders::all(), true ) ) {
			Pixpress_Admin_Notices::add( 'error', __( 'This folder is not in the list.', 'pixpress' ) );
		} elseif ( 'optimize' === $do ) {
			Pixpress_Folders::requeue( $folder );
			$counts = Pixpress_Folders::scan( $folder );
			$run    = Pixpress_Folders::process( self::REQUEST_BUDGET_S, $folder );
			$left   = Pixpress_Folders::stats( $folder )['pending'];
			/* translators: 1: images optimized now, 2: images left, 3: images found. */
			$message = sprintf( __( '%1$d images done now, %2$d left (they go on in the background); %3$d images in the folder.', 'pixpress' ), $run['processed'], $left, $counts['found'] );
			Pixpress_Admin_Notices::add( '' === $run['message'] ? 'success' : 'warning', trim( $message . ' ' . $run['message'] ) );
		} elseif ( 'restore' === $do ) {
			/* translators: %d: number of images. */
			Pixpress_Admin_Notices::add( 'success', sprintf( __( '%d images restored.', 'pixpress' ), Pixpress_Folders::restore( $folder ) ) );
		} elseif ( 'remove' === $do ) {
			Pixpress_Folders::remove( $folder );
			Pixpress_Admin_Notices::add( 'success', __( 'The folder was removed from the list; its images stay as they are.', 'pixpress' ) );
		}
		wp_safe_redirect( admin_url( 'upload.php?page=' . self::SLUG ) );
		exit;
	}

	/**
	 * The page.
	 */
	public static function render() {
		if ( ! current_user_can( 'manage_options' ) ) {
			wp_die( esc_html__( 'You are not allowed to see this page.', 'pixpress' ), '', array( 'response' => 403 ) );
		}
		$folders = Pixpress_Folders::all();
		?>
		<div class="wrap" id="pixpress-folders">
			<h1><?php esc_html_e( 'Other folders', 'pixpress' ); ?></h1>
			<p><?php esc_html_e( 'Images outside the Media Library (a theme\'s or a plugin\'s own images, any folder under wp-content) are optimized in place; each original is kept under uploads/pixpress-backup-folders, and Restore puts it back byte for byte. A theme or plugin update brings its own files back; optimize the folder again afterwards.', 'pixpress' ); ?></p>
			<?php if ( $folders ) : ?>
			<table class="widefat striped" id="pixpress-folders-table">
				<thead><tr>
					<th><?php esc_html_e( 'Folder (under wp-content)', 'pixpress' ); ?></th>
					<th><?php esc_html_e( 'Images', 'pixpress' ); ?></th>
					<th><?php esc_html_e( 'Optimized', 'pixpress' ); ?></th>
					<th><?php esc_html_e( 'Waiting', 'pixpress' ); ?></th>
					<th><?php esc_html_e( 'Saved', 'pixpress' ); ?></th>
					<th></th>
				</tr></thead>
				<tbody>
				<?php foreach ( $folders as $folder ) : ?>
					<?php $stats = Pixpress_Folders::stats( $folder ); ?>
					<tr data-folder="<?php echo esc_attr( $folder ); ?>">
						<td><code><?php echo esc_html( $folder ); ?></code></td>
						<td><?php echo esc_html( number_format_i18n( $stats['files'] ) ); ?></td>
						<td><?php echo esc_html( number_format_i18n( $stats['optimized'] ) ); ?></td>
						<td><?php echo esc_html( number_format_i18n( $stats['pending'] ) ); ?></td>
						<td><?php echo esc_html( size_format( max( 0, $stats['before'] - $stats['after'] ), 1 ) ); ?></td>
						<td>
							<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>">
								<input type="hidden" name="action" value="<?php echo esc_attr( self::ACTION ); ?>">
								<input type="hidden" name="pixpress_folder" value="<?php echo esc_attr( $folder ); ?>">
								<?php wp_nonce_field( self::ACTION ); ?>
								<button type="submit" class="button button-primary" name="pixpress_do" value="optimize"><?php esc_html_e( 'Optimize', 'pixpress' ); ?></button>
								<button type="submit" class="button" name="pixpress_do" value="restore"><?php esc_html_e( 'Restore', 'pixpress' ); ?></button>
								<button type="submit" class="button-link" name="pixpress_do" value="remove"><?php esc_html_e( 'Remove from the list', 'pixpress' ); ?></button>
							</form>
						</td>
					</tr>
				<?php endforeach; ?>
				</tbody>
			</table>
			<?php endif; ?>

			<h2><?php esc_html_e( 'Add a folder', 'pixpress' ); ?></h2>
			<form method="post" action="<?php echo esc_url( admin_url( 'admin-post.php' ) ); ?>" id="pixpress-folders-add">
				<input type="hidden" name="action" value="<?php echo esc_attr( self::ACTION ); ?>">
				<input type="hidden" name="pixpress_do" value="add">
				<?php wp_nonce_field( self::ACTION ); ?>
				<p>
					<label for="pixpress-folder-suggestion"><?php esc_html_e( 'A folder of this site:', 'pixpress' ); ?></label>
					<select id="pixpress-folder-suggestion" name="pixpress_folder">
						<option value=""><?php esc_html_e( 'Choose…', 'pixpress' ); ?></option>
						<?php foreach ( Pixpress_Folders::suggestions() as $rel => $label ) : ?>
							<option value="<?php echo esc_attr( $rel ); ?>"><?php echo esc_html( $label . ' (' . $rel . ')' ); ?></option>
						<?php endforeach; ?>
					</select>
				</p>
				<p>
					<label for="pixpress-folder-path"><?php esc_html_e( 'Or a path under wp-content:', 'pixpress' ); ?></label>
					<code><?php echo esc_html( trailingslashit( WP_CONTENT_DIR ) ); ?></code><input type="text" class="regular-text code" id="pixpress-folder-path" name="pixpress_path" placeholder="themes/my-theme/assets/images">
				</p>
				<p class="description"><?php esc_html_e( 'The folder must be inside wp-content once its links are followed, and must not be the uploads folder (the Media Library\'s images are optimized as attachments).', 'pixpress' ); ?></p>
				<?php submit_button( __( 'Add the folder', 'pixpress' ), 'secondary', 'pixpress-folders-add-submit', false ); ?>
			</form>
		</div>
		<?php
	}
}
