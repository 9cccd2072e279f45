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
		// Read from the database each time: a tick works for seconds while the Pause button changes the
		// state in another request, and the tick's answer must not bring back the "running" it cached.
		wp_cache_delete( self::OPTION, 'options' );
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
		$candidates = self::candidates();
		Pixpress_Queue::add_many( $candidates, 'bulk' );
		// Candidates queued before (an upload or "Optimize" waiting) join the run: the run counts every
		// image it does, so its "N of M" never ends at "9 of 9" with 10 done.
		self::adopt( $candidates );
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
	 * Marks queued attachments as the run's.
	 *
	 * @param int[] $ids Attachments.
	 */
	private static function adopt( array $ids ) {
		global $wpdb;
		$table = Pixpress_Queue::table();
		foreach ( array_chunk( array_map( 'intval', $ids ), 500 ) as $chunk ) {
			// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
			$wpdb->query( "UPDATE {$table} SET source = 'bulk' WHERE source <> 'bulk' AND attachment_id IN (" . implode( ',', $chunk ) . ')' );
		}
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
		$state['savings']   = self::savings();
		$state['saved']     = self::savings_text( $state['savings'] );
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
	 * The library's images by status: total, optimized, skipped, failed, restored, pending (in the
	 * queue, whatever their record says: waiting or stopped half way), untouched (never processed and
	 * not queued), and the reasons of the skipped and failed ones (reason => count). Each image is
	 * counted once.
	 *
	 * @return array<string, mixed>
	 */
	public static function counts() {
		global $wpdb;
		$mimes = "'" . implode( "','", array_map( 'esc_sql', Pixpress_Attachment::MIME_TYPES ) ) . "'";
		$queue = Pixpress_Queue::table();
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery, WordPress.DB.PreparedSQL.InterpolatedNotPrepared
		$rows   = $wpdb->get_results(
			$wpdb->prepare(
				"SELECT IF(q.attachment_id IS NULL, COALESCE(s.meta_value, ''), 'queued') AS status, COALESCE(r.meta_value, '') AS reason, COUNT(*) AS n
				FROM {$wpdb->posts} p
				LEFT JOIN {$wpdb->postmeta} s ON s.post_id = p.ID AND s.meta_key = %s
				LEFT JOIN {$wpdb->postmeta} r ON r.post_id = p.ID AND r.meta_key = %s
				LEFT JOIN {$queue} q ON q.attachment_id = p.ID
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
			'pending'         => 0,
			'skipped_reasons' => array(),
			'failed_reasons'  => array(),
		);
		foreach ( $rows as $row ) {
			$n                = (int) $row['n'];
			$counts['total'] += $n;
			if ( 'queued' === $row['status'] ) {
				$counts['pending'] += $n;
				continue;
			}
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
	 * What the library saved: before and after (bytes, every optimized image's files added up), saved
	 * (bytes), percent and images (optimized images counted). One query over `_pixpress_bytes`; records
	 * saved before that meta existed get it first, a few hundred at a time.
	 *
	 * @return array<string, mixed>
	 */
	public static function savings() {
		global $wpdb;
		self::backfill_bytes( 500 );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$row    = $wpdb->get_row(
			$wpdb->prepare(
				"SELECT COUNT(*) AS images,
					COALESCE(SUM(CAST(SUBSTRING_INDEX(b.meta_value, ':', 1) AS UNSIGNED)), 0) AS before_bytes,
					COALESCE(SUM(CAST(SUBSTRING_INDEX(b.meta_value, ':', -1) AS UNSIGNED)), 0) AS after_bytes
				FROM {$wpdb->postmeta} b
				INNER JOIN {$wpdb->posts} p ON p.ID = b.post_id AND p.post_type = 'attachment'
				WHERE b.meta_key = %s AND b.meta_value LIKE %s",
				Pixpress_Status::BYTES_META,
				'%:%'
			),
			ARRAY_A
		);
		$before = (int) $row['before_bytes'];
		$after  = (int) $row['after_bytes'];
		return array(
			'images'  => (int) $row['images'],
			'before'  => $before,
			'after'   => $after,
			'saved'   => max( 0, $before - $after ),
			'percent' => $before > 0 ? round( 100 * ( $before - $after ) / $before, 1 ) : 0.0,
		);
	}

	/**
	 * Adds `_pixpress_bytes` to optimized records that lack it.
	 *
	 * @param int $limit At most this many.
	 */
	private static function backfill_bytes( $limit ) {
		global $wpdb;
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$ids = $wpdb->get_col(
			$wpdb->prepare(
				"SELECT s.post_id FROM {$wpdb->postmeta} s
				LEFT JOIN {$wpdb->postmeta} b ON b.post_id = s.post_id AND b.meta_key = %s
				WHERE s.meta_key = %s AND s.meta_value = 'optimized' AND b.meta_id IS NULL LIMIT %d",
				Pixpress_Status::BYTES_META,
				Pixpress_Status::STATUS_META,
				(int) $limit
			)
		);
		foreach ( $ids as $id ) {
			update_post_meta( (int) $id, Pixpress_Status::BYTES_META, Pixpress_Status::bytes_meta( Pixpress_Status::get( (int) $id ) ) );
		}
	}

	/**
	 * The savings as a sentence: "Saved 3.2 MB (41%) on 12 images."
	 *
	 * @param array<string, mixed> $savings What savings() said.
	 * @return string
	 */
	public static function savings_text( array $savings ) {
		if ( $savings['images'] < 1 ) {
			return __( 'Nothing saved yet: no image optimized.', 'pixpress' );
		}
		return sprintf(
			/* translators: 1: bytes saved, e.g. "3.2 MB", 2: percent, 3: number of images. */
			_n( 'Saved %1$s (%2$s%%) on %3$d image.', 'Saved %1$s (%2$s%%) on %3$d images.', $savings['images'], 'pixpress' ),
			size_format( $savings['saved'], 1 ),
			number_format_i18n( $savings['percent'], 1 ),
			$savings['images']
		);
	}

	/**
	 * Restores every image that has something to undo (backups or WebP/AVIF copies), within about
	 * $budget_s seconds; what is left is reported, and a second call goes on.
	 *
	 * @param float $budget_s Seconds.
	 * @return array<string, int> restored, failed, left.
	 */
	public static function restore_all( $budget_s = 20.0 ) {
		global $wpdb;
		$started = microtime( true );
		// phpcs:ignore WordPress.DB.DirectDatabaseQuery
		$ids    = array_map(
			'intval',
			$wpdb->get_col(
				$wpdb->prepare(
					"SELECT post_id FROM {$wpdb->postmeta} WHERE meta_key = %s AND meta_value IN ('optimized', 'skipped', 'failed', 'pending') ORDER BY post_id",
					Pixpress_Status::STATUS_META
				)
			)
		);
		$result = array(
			'restored' => 0,
			'failed'   => 0,
			'left'     => 0,
		);
		foreach ( $ids as $i => $id ) {
			if ( microtime( true ) - $started > $budget_s ) {
				$result['left'] = count( $ids ) - $i;
				break;
			}
			if ( ! current_user_can( 'edit_post', $id ) || ! Pixpress_Admin_Attachment_View::has_backup( Pixpress_Status::get( $id ) ) ) {
				continue;
			}
			if ( is_wp_error( Pixpress_Restore::restore( $id ) ) ) {
				++$result['failed'];
			} else {
				++$result['restored'];
			}
		}
		return $result;
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
