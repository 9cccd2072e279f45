<?php
/**
 * The bulk run over the existing Media Library: its state, kept in an option so it survives page
 * reloads, and the library's counts.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * States: idle, running, paused (by a user), paused_quota (the month's quota is used up),
 * paused_error (the token was refused), done. The attachments of a run wait in the queue with the
 * source 'bulk'; the bulk page's ticks and WP-Cron process them.
 */
class Pixpress_Bulk {

	const OPTION = 'pixpress_bulk';

	/**
	 * The run's state.
	 *
	 * @return array<string, mixed> state, total, started_at, finished_at, updated_at, message
	 */
	public static function state() {
		$saved = get_option( self::OPTION, array() );
		return array_merge(
			array(
				'state'       => 'idle',
				'total'       => 0,
				'started_at'  => 0,
				'finished_at' => 0,
				'updated_at'  => 0,
				'message'     => '',
			),
			is_array( $saved ) ? $saved : array()
		);
	}

	/**
	 * Saves changes to the state.
	 *
	 * @param array<string, mixed> $changes Fields to change.
	 * @return array<string, mixed>
	 */
	private static function update( array $changes ) {
		$state               = array_merge( self::state(), $changes );
		$state['updated_at'] = time();
		update_option( self::OPTION, $state, false );
		return $state;
	}

	/**
	 * Whether the run is going (its queued attachments may be processed).
	 *
	 * @return bool
	 */
	public static function is_running() {
		$state = self::state();
		return 'running' === $state['state'];
	}

	/**
	 * Queues every image that is not done yet and starts. Attachments done before (optimized,
	 * skipped, restored) are left out from their `_pixpress` record, so nothing is sent twice.
	 *
	 * @return array<string, mixed> The state.
	 */
	public static function start() {
		Pixpress_Queue::add_many( self::candidates(), 'bulk' );
		$total = Pixpress_Queue::count( 'bulk' );
		if ( 0 === $total ) {
			return self::update(
				array(
					'state'       => 'done',
					'total'       => 0,
					'started_at'  => time(),
					'finished_at' => time(),
					'message'     => __( 'Nothing to optimize: every image is done.', 'pixpress' ),
				)
			);
		}
		Pixpress_Processor::resume(); // Starting is trying again, even after a quota stop.
		return self::update(
			array(
				'state'       => 'running',
				'total'       => $total,
				'started_at'  => time(),
				'finished_at' => 0,
				/* translators: %d: number of images. */
				'message'     => sprintf( _n( 'Optimizing %d image.', 'Optimizing %d images.', $total, 'pixpress' ), $total ),
			)
		);
	}

	/**
	 * Pauses the run (new uploads are still optimized).
	 *
	 * @return array<string, mixed>
	 */
	public static function pause() {
		$state = self::state();
		if ( 'running' !== $state['state'] ) {
			return $state;
		}
		return self::update(
			array(
				'state'   => 'paused',
				'message' => __( 'Paused. Resume to go on where it stopped.', 'pixpress' ),
			)
		);
	}

	/**
	 * Resumes a paused run (after the monthly reset too): lifts a quota pause and goes on.
	 *
	 * @return array<string, mixed>
	 */
	public static function resume() {
		$state = self::state();
		Pixpress_Processor::resume();
		if ( ! in_array( $state['state'], array( 'paused', 'paused_quota', 'paused_error' ), true ) ) {
			return $state;
		}
		return self::update(
			array(
				'state'   => 'running',
				'message' => __( 'Resumed.', 'pixpress' ),
			)
		);
	}

	/**
	 * Processing stopped for the whole site: the run waits too, its images still queued.
	 *
	 * @param string $reason 'quota' or 'auth'.
	 * @param string $message What to tell the user.
	 */
	public static function on_pause( $reason, $message ) {
		$state = self::state();
		if ( ! in_array( $state['state'], array( 'running', 'paused_quota', 'paused_error' ), true ) ) {
			return;
		}
		self::update(
			array(
				'state'   => 'quota' === $reason ? 'paused_quota' : 'paused_error',
				'message' => $message,
			)
		);
	}

	/**
	 * The pause was lifted by the hourly quota check: the run goes on by itself.
	 */
	public static function on_unpause() {
		$state = self::state();
		if ( in_array( $state['state'], array( 'paused_quota', 'paused_error' ), true ) ) {
			self::update(
				array(
					'state'   => 'running',
					'message' => __( 'The quota is back: resumed.', 'pixpress' ),
				)
			);
		}
	}

	/**
	 * Marks the run done when none of its attachments is left in the queue.
	 */
	public static function maybe_finish() {
		$state = self::state();
		if ( 'running' === $state['state'] && 0 === Pixpress_Queue::count( 'bulk' ) ) {
			self::update(
				array(
					'state'       => 'done',
					'finished_at' => time(),
					'message'     => __( 'Done: every image of the library has been through pixpress.', 'pixpress' ),
				)
			);
		}
	}

	/**
	 * The state with its progress and the library's counts, as the bulk page and its ticks show them.
	 *
	 * @return array<string, mixed>
	 */
	public static function status() {
		$state     = self::state();
		$remaining = Pixpress_Queue::count( 'bulk' );
		$done      = max( 0, (int) $state['total'] - $remaining );

		$state['remaining'] = $remaining;
		$state['done']      = $done;
		$state['percent']   = $state['total'] > 0 ? (int) floor( 100 * $done / $state['total'] ) : ( 'done' === $state['state'] ? 100 : 0 );
		$state['counts']    = self::counts();
		$pause              = Pixpress_Processor::pause();
		$state['pause']     = $pause ? array(
			'reason'  => $pause['reason'],
			'message' => $pause['message'],
		) : null;
		$quota              = Pixpress_Service::quota();
		$state['quota']     = is_array( $quota ) ? Pixpress_Quota_View::cells( $quota ) : null;
		return $state;
	}

	/**
	 * The library's images by status: total, optimized, skipped, failed, restored, pending (queued),
	 * untouched, and the reasons of the skipped and failed ones (reason => count).
	 *
	 * @return array<string, mixed>
	 */
	public static function counts() {
		global $wpdb;
		$mimes = "'" . implode( "','", array_map( 'esc_sql', Pixpress_Attachment::MIME_TYPES ) ) . "'";
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows   = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT COALESCE(s.meta_value, '') AS status, COALESCE(r.meta_value, '') AS reason, COUNT(*) AS n
				FROM {$wpdb->posts} p
				LEFT JOIN {$wpdb->postmeta} s ON s.post_id = p.ID AND s.meta_key = %s
				LEFT JOIN {$wpdb->postmeta} r ON r.post_id = p.ID AND r.meta_key = %s
				WHERE p.post_type = 'attachment' AND p.post_mime_type IN ({$mimes})
				GROUP BY status, reason",
				Pixpress_Status::STATUS_META,
				Pixpress_Status::REASON_META
			),
			ARRAY_A
		);
		$counts = array(
			'total'           => 0,
			'optimized'       => 0,
			'skipped'         => 0,
			'failed'          => 0,
			'restored'        => 0,
			'untouched'       => 0,
			'pending'         => Pixpress_Queue::count(),
			'skipped_reasons' => array(),
			'failed_reasons'  => array(),
		);
		foreach ( $rows as $row ) {
			$n                 = (int) $row['n'];
			$counts['total']  += $n;
			$status            = in_array( $row['status'], array( 'optimized', 'skipped', 'failed', 'restored' ), true ) ? $row['status'] : 'untouched';
			$counts[ $status ] += $n;
			if ( in_array( $status, array( 'skipped', 'failed' ), true ) && '' !== $row['reason'] ) {
				$key                              = $status . '_reasons';
				$counts[ $key ][ $row['reason'] ] = ( isset( $counts[ $key ][ $row['reason'] ] ) ? $counts[ $key ][ $row['reason'] ] : 0 ) + $n;
			}
		}
		return $counts;
	}

	/**
	 * The images a run takes: never done, stopped half way, or failed (files that failed for good, and
	 * files done before, are not sent again).
	 *
	 * @return int[]
	 */
	public static function candidates() {
		global $wpdb;
		$mimes = "'" . implode( "','", array_map( 'esc_sql', Pixpress_Attachment::MIME_TYPES ) ) . "'";
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$ids = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT p.ID FROM {$wpdb->posts} p
				LEFT JOIN {$wpdb->postmeta} s ON s.post_id = p.ID AND s.meta_key = %s
				WHERE p.post_type = 'attachment' AND p.post_mime_type IN ({$mimes})
				AND (s.meta_value IS NULL OR s.meta_value IN ('', 'failed', 'pending'))
				ORDER BY p.ID",
				Pixpress_Status::STATUS_META
			)
		);
		return array_map( 'intval', $ids );
	}

	/**
	 * Forgets the run (uninstall).
	 */
	public static function forget() {
		delete_option( self::OPTION );
	}
}
