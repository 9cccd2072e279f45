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
	 * The table's cells as text: used, remaining, limit (e.g. "0.34 MB"), checked ("5 mins ago"); the
	 * bulk page's script updates the table with them.
	 *
	 * @param array<string, mixed> $quota The quota.
	 * @return array<string, string>
	 */
	public static function cells( array $quota ) {
		$cells = array();
		foreach ( array( 'used' => 'used_mb', 'remaining' => 'remaining_mb', 'limit' => 'limit_mb' ) as $key => $field ) {
			$mb            = isset( $quota[ $field ] ) ? $quota[ $field ] : null;
			$cells[ $key ] = null === $mb ? "\u{2014}" : sprintf( '%s MB', number_format_i18n( (float) $mb, 2 ) );
		}
		/* translators: %s: time difference, e.g. "5 mins". */
		$cells['checked'] = sprintf( __( '%s ago', 'pixpress' ), human_time_diff( (int) $quota['checked_at'] ) );
		return $cells;
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
		$labels = array(
			'used'      => __( 'Used this month', 'pixpress' ),
			'remaining' => __( 'Remaining', 'pixpress' ),
			'limit'     => __( 'Monthly limit', 'pixpress' ),
			'checked'   => __( 'Checked', 'pixpress' ),
		);
		echo '<table class="widefat striped pixpress-quota" id="pixpress-quota"><tbody>';
		foreach ( self::cells( $quota ) as $key => $text ) {
			printf(
				'<tr><th scope="row">%1$s</th><td id="pixpress-quota-%2$s">%3$s</td></tr>',
				esc_html( $labels[ $key ] ),
				esc_attr( $key ),
				esc_html( $text )
			);
		}
		echo '</tbody></table>';
		$pause = Pixpress_Processor::pause();
		if ( $pause ) {
			echo '<p class="pixpress-paused" id="pixpress-paused"><strong>' . esc_html__( 'Optimization is paused:', 'pixpress' ) . '</strong> ' . esc_html( $pause['message'] ) . '</p>';
		}
	}
}
