<?php
/**
 * The quota as a small table (settings page and dashboard widget).
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Renders the cached quota; asks the server only when nothing is cached.
 */
class Pixpress_Quota_View {

	/**
	 * The cached quota, fetched (10 s at most) when there is none yet.
	 *
	 * @return array<string, mixed>|null
	 */
	public static function quota() {
		$quota = Pixpress_Service::quota();
		if ( null === $quota && Pixpress_Settings::is_configured() ) {
			try {
				$quota = Pixpress_Service::quota( true );
			} catch ( \Pixpress\Exception\PixpressException $e ) {
				$quota = null;
			}
		}
		return $quota;
	}

	/**
	 * Prints the quota table.
	 *
	 * @param array<string, mixed>|null $quota The quota.
	 */
	public static function render( $quota ) {
		if ( ! is_array( $quota ) ) {
			echo '<p id="pixpress-quota-unknown">' . esc_html__( 'The quota is not known yet: test the connection.', 'pixpress' ) . '</p>';
			return;
		}
		$rows = array(
			'used'      => array( __( 'Used this month', 'pixpress' ), $quota['used_mb'] ),
			'remaining' => array( __( 'Remaining', 'pixpress' ), $quota['remaining_mb'] ),
			'limit'     => array( __( 'Monthly limit', 'pixpress' ), $quota['limit_mb'] ),
		);
		echo '<table class="widefat striped pixpress-quota" id="pixpress-quota"><tbody>';
		foreach ( $rows as $key => $row ) {
			printf(
				'<tr><th scope="row">%1$s</th><td id="pixpress-quota-%2$s">%3$s</td></tr>',
				esc_html( $row[0] ),
				esc_attr( $key ),
				null === $row[1] ? '&mdash;' : esc_html( sprintf( '%s MB', number_format_i18n( (float) $row[1], 2 ) ) )
			);
		}
		printf(
			'<tr><th scope="row">%1$s</th><td id="pixpress-quota-checked">%2$s</td></tr>',
			esc_html__( 'Checked', 'pixpress' ),
			/* translators: %s: time difference, e.g. "5 mins". */
			esc_html( sprintf( __( '%s ago', 'pixpress' ), human_time_diff( (int) $quota['checked_at'] ) ) )
		);
		echo '</tbody></table>';
		$pause = Pixpress_Processor::pause();
		if ( $pause ) {
			echo '<p class="pixpress-paused" id="pixpress-paused"><strong>' . esc_html__( 'Optimization is paused:', 'pixpress' ) . '</strong> ' . esc_html( $pause['message'] ) . '</p>';
		}
	}
}
