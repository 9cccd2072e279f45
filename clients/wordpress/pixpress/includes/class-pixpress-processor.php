<?php
/**
 * Works through the queue within a time budget: the loopback runner, WP-Cron events and the bulk page's
 * ticks run it.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Takes attachments from the queue and optimizes them, several in flight (each submitted without
 * waiting, then their tasks polled together); stops everything (a pause kept in an option) when the
 * quota is used up or the token is refused, leaving the waiting attachments queued.
 */
class Pixpress_Processor {

	const PAUSE_OPTION   = 'pixpress_paused';
	const RECHECK_S      = HOUR_IN_SECONDS;
	const CRON_BUDGET_S  = 40.0;
	const RETRY_DELAY_S  = 120;
	const TRANSIENT_CODE = array( 'connection_failed', 'service_unavailable', 'task_timeout' );
	/** Attachments in flight at once: the server works on them side by side. */
	const IN_FLIGHT = 4;

	/**
	 * Processes queued attachments: takes new ones for about $budget_s seconds (at least one when one
	 * is waiting), then finishes those in flight.
	 *
	 * The bulk page's ticks and WP-Cron keep one attachment in flight (the page shows one image a
	 * tick); the loopback runner keeps IN_FLIGHT.
	 *
	 * @param float     $budget_s Seconds.
	 * @param bool      $may_unpause Whether an hourly check may lift a pause (WP-Cron).
	 * @param int       $in_flight Attachments in flight at once.
	 * @param bool|null $include_bulk Whether rows of the bulk run may be taken (null: while it runs).
	 * @return array<string, mixed> processed (attachments finished), stopped (null, 'paused', 'error',
	 *                              'not_configured'), pause (the pause, when stopped by one).
	 */
	public static function run( $budget_s, $may_unpause = false, $in_flight = 1, $include_bulk = null ) {
		$started = microtime( true );
		$result  = array(
			'processed' => 0,
			'stopped'   => null,
			'pause'     => null,
		);
		if ( $may_unpause ) {
			self::maybe_unpause();
		}
		$pause = self::pause();
		if ( $pause ) {
			$result['stopped'] = 'paused';
			$result['pause']   = $pause;
			return $result;
		}
		if ( ! Pixpress_Settings::is_configured() ) {
			$result['stopped'] = 'not_configured';
			return $result;
		}
		// Uploads are waited for here, not in a visitor's request: no PHP time limit cuts a poll short.
		if ( function_exists( 'set_time_limit' ) ) {
			@set_time_limit( (int) ( $budget_s + Pixpress_Optimizer::TASK_TIMEOUT_S + 60 ) ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		}
		$include_bulk = null === $include_bulk ? Pixpress_Bulk::is_running() : ( $include_bulk && Pixpress_Bulk::is_running() );
		$in_flight    = max( 1, (int) $in_flight );
		$jobs         = array();
		$taking       = true;
		while ( true ) {
			while ( $taking && count( $jobs ) < $in_flight && self::has_room( $started, $budget_s, $in_flight, $result['processed'], count( $jobs ) ) ) {
				$id = Pixpress_Queue::claim( $include_bulk );
				if ( ! $id ) {
					$taking = false;
					break;
				}
				// Alone in flight: the server may hold the answer a while, which often spares every poll.
				$alone   = ! $jobs && ( 1 === $in_flight || ! self::more_waiting( $include_bulk ) );
				$outcome = self::start( $id, $jobs, $alone ? Pixpress_Optimizer::SUBMIT_WAIT_S : 0.0 );
				if ( 'done' === $outcome ) {
					++$result['processed'];
				} elseif ( null !== $outcome ) {
					$result['stopped'] = $outcome;
					$taking            = false;
				}
			}
			if ( ! $jobs ) {
				break;
			}
			$result['processed'] += self::advance( $jobs, $result );
			if ( $taking && microtime( true ) - $started >= $budget_s ) {
				$taking = false;
			}
		}
		if ( 'paused' === $result['stopped'] ) {
			$result['pause'] = self::pause();
		}
		Pixpress_Bulk::maybe_finish();
		if ( null === $result['stopped'] && Pixpress_Queue::count( $include_bulk ? null : 'upload' ) > 0 ) {
			Pixpress_Queue::schedule();
		} elseif ( 'error' === $result['stopped'] ) {
			Pixpress_Queue::schedule( self::RETRY_DELAY_S );
		}
		return $result;
	}

	/**
	 * Whether the run may take another attachment: none with a zero budget; else always the first; then
	 * while the budget lasts, and one at a time only when the next, as long as those before, would end
	 * within it.
	 *
	 * @param float $started Microtime the run started.
	 * @param float $budget_s Seconds.
	 * @param int   $in_flight Attachments in flight at once.
	 * @param int   $processed Attachments finished.
	 * @param int   $running Attachments in flight now.
	 * @return bool
	 */
	private static function has_room( $started, $budget_s, $in_flight, $processed, $running ) {
		if ( $budget_s <= 0 ) {
			return false; // A zero budget (a filter's way to keep a run from working) takes nothing.
		}
		if ( 0 === $processed + $running ) {
			return true;
		}
		$spent  = microtime( true ) - $started;
		$next_s = 1 === $in_flight && $processed > 0 ? $spent / $processed : 0.0;
		return $spent + $next_s < $budget_s;
	}

	/**
	 * Whether more attachments wait besides those being taken.
	 *
	 * @param bool $include_bulk Bulk rows count.
	 * @return bool
	 */
	private static function more_waiting( $include_bulk ) {
		return Pixpress_Queue::count_free( $include_bulk ) > 0;
	}

	/**
	 * Submits a claimed attachment; its job joins $jobs when it has tasks to wait for.
	 *
	 * @param int                              $id Attachment.
	 * @param array<int, array<string, mixed>> $jobs Jobs in flight, by attachment.
	 * @param float                            $wait_s The server's wait on the last submit.
	 * @return string|null null (in flight), 'done', 'paused' or 'error'.
	 */
	private static function start( $id, array &$jobs, $wait_s ) {
		if ( ! get_post( $id ) ) {
			Pixpress_Queue::remove( $id );
			return 'done';
		}
		try {
			$job = Pixpress_Optimizer::start( $id, false, $wait_s );
			if ( Pixpress_Optimizer::unfinished( array( $job ) ) ) {
				$jobs[ $id ] = $job;
				return null;
			}
			Pixpress_Optimizer::finish( $job, array() );
			Pixpress_Queue::remove( $id );
			return 'done';
		} catch ( \Throwable $e ) {
			return self::failed( $id, $e );
		}
	}

	/**
	 * One round of polls for every task in flight, then finishes the attachments whose tasks are all
	 * done (or past the time-out).
	 *
	 * @param array<int, array<string, mixed>> $jobs Jobs in flight, updated.
	 * @param array<string, mixed>             $result The run's result, updated on a stop.
	 * @return int Attachments finished.
	 */
	private static function advance( array &$jobs, array &$result ) {
		$finished = 0;
		$waiting  = Pixpress_Optimizer::unfinished( $jobs );
		$client   = reset( $jobs )['client'];
		try {
			$tasks = Pixpress_Optimizer::await_round( $client, $waiting );
		} catch ( \Throwable $e ) {
			// The server is away or refuses: every attachment in flight goes back to the queue.
			foreach ( array_keys( $jobs ) as $id ) {
				$result['stopped'] = self::failed( $id, $e );
			}
			$jobs = array();
			return 0;
		}
		foreach ( $jobs as $id => $job ) {
			foreach ( $job['uploads'] as $i => $upload ) {
				$task_id = $upload['task'] ? $upload['task']->getId() : '';
				if ( isset( $tasks[ $task_id ] ) ) {
					$jobs[ $id ]['uploads'][ $i ]['task'] = $tasks[ $task_id ];
				}
			}
			$left = Pixpress_Optimizer::unfinished( array( $jobs[ $id ] ) );
			if ( $left && min( $left ) + Pixpress_Optimizer::TASK_TIMEOUT_S > microtime( true ) ) {
				continue;
			}
			try {
				Pixpress_Optimizer::finish( $jobs[ $id ], array() );
				Pixpress_Queue::remove( $id );
				++$finished;
			} catch ( \Throwable $e ) {
				$outcome           = self::failed( $id, $e );
				$result['stopped'] = 'done' === $outcome ? $result['stopped'] : $outcome;
				$finished         += 'done' === $outcome ? 1 : 0;
			}
			unset( $jobs[ $id ] );
		}
		return $finished;
	}

	/**
	 * The WP-Cron event: a run with the cron budget; lifts a pause when the quota came back.
	 */
	public static function cron() {
		// One in flight, as the bulk page's ticks (WP-Cron carries the bulk on when the page is closed);
		// new uploads have the loopback runner.
		self::run( (float) apply_filters( 'pixpress_cron_budget_s', self::CRON_BUDGET_S ), true );
	}

	/**
	 * Optimizes one claimed attachment from start to end.
	 *
	 * @param int $id Attachment.
	 * @return string 'done', 'paused' (quota or token: everything stops) or 'error' (try later).
	 */
	public static function process( $id ) {
		if ( ! get_post( $id ) ) {
			Pixpress_Queue::remove( $id );
			return 'done';
		}
		try {
			Pixpress_Optimizer::optimize( $id, false );
			Pixpress_Queue::remove( $id );
			return 'done';
		} catch ( \Throwable $e ) {
			return self::failed( $id, $e );
		}
	}

	/**
	 * What an error means for a claimed attachment and for the run.
	 *
	 * @param int        $id Attachment.
	 * @param \Throwable $e The error.
	 * @return string 'paused', 'error' or 'done' (failed for good).
	 */
	private static function failed( $id, $e ) {
		if ( self::pause_on( $e ) ) {
			Pixpress_Queue::release( $id, $e->getErrorCode(), false );
			return 'paused';
		}
		if ( $e instanceof \Pixpress\Exception\PixpressException ) {
			return self::give_up_or_retry( $id, $e->getErrorCode() );
		}
		if ( defined( 'WP_DEBUG' ) && WP_DEBUG ) {
			error_log( 'pixpress: attachment ' . $id . ': ' . $e ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
		}
		return self::give_up_or_retry( $id, 'internal_error' );
	}

	/**
	 * A passing trouble (server away, time-out): back in the queue, or failed after MAX_ATTEMPTS.
	 *
	 * @param int    $id Attachment.
	 * @param string $code The error.
	 * @return string 'error' or 'done'.
	 */
	private static function give_up_or_retry( $id, $code ) {
		if ( Pixpress_Queue::attempts( $id ) >= Pixpress_Queue::MAX_ATTEMPTS ) {
			$record           = Pixpress_Status::get( $id );
			$record['status'] = 'failed';
			$record['reason'] = 'too_many_attempts';
			$record['error']  = $code;
			Pixpress_Status::save( $id, $record );
			Pixpress_Queue::remove( $id );
			return 'done';
		}
		Pixpress_Queue::release( $id, $code, true );
		return 'error';
	}

	/**
	 * The pause in force: reason ('quota' or 'auth'), code, message, since, checked_at; null if none.
	 *
	 * @return array<string, mixed>|null
	 */
	public static function pause() {
		$pause = get_option( self::PAUSE_OPTION );
		return is_array( $pause ) ? $pause : null;
	}

	/**
	 * Stops all processing (the Media Library's queue and the other folders alike) until resume() or
	 * the hourly check finds the quota back, when $e is a quota refusal or a refused token.
	 *
	 * @param \Throwable $e What the server said.
	 * @return bool Whether it paused.
	 */
	public static function pause_on( $e ) {
		if ( $e instanceof \Pixpress\Exception\QuotaExceeded ) {
			$details = $e->getDetails();
			if ( isset( $details['quota_info'] ) && is_array( $details['quota_info'] ) ) {
				Pixpress_Service::remember_quota( $details['quota_info'] );
			}
			self::set_pause( 'quota', $e );
			return true;
		}
		if ( $e instanceof \Pixpress\Exception\AuthError ) {
			self::set_pause( 'auth', $e );
			return true;
		}
		return false;
	}

	/**
	 * Keeps the pause in an option and tells the bulk run.
	 *
	 * @param string     $reason 'quota' or 'auth'.
	 * @param \Throwable $e The error.
	 */
	private static function set_pause( $reason, $e ) {
		$now = time();
		update_option(
			self::PAUSE_OPTION,
			array(
				'reason'     => $reason,
				'code'       => $e->getErrorCode(),
				'message'    => Pixpress_Service::describe_error( $e ),
				'since'      => $now,
				'checked_at' => $now,
			),
			false
		);
		Pixpress_Bulk::on_pause( $reason, Pixpress_Service::describe_error( $e ) );
	}

	/**
	 * Lifts the pause (the resume button; the quota came back).
	 */
	public static function resume() {
		delete_option( self::PAUSE_OPTION );
		Pixpress_Queue::schedule();
		Pixpress_Runner::request();
	}

	/**
	 * At most hourly while paused: asks the server for the quota; lifts the pause when some is left.
	 */
	private static function maybe_unpause() {
		$pause = self::pause();
		if ( ! $pause || time() - (int) $pause['checked_at'] < self::RECHECK_S ) {
			return;
		}
		$pause['checked_at'] = time();
		update_option( self::PAUSE_OPTION, $pause, false );
		try {
			$client = Pixpress_Service::client( 10.0 );
			if ( null === $client ) {
				return;
			}
			$data = $client->refreshQuota();
			Pixpress_Service::remember_quota(
				array(
					'used_mb'      => isset( $data['used_mb'] ) ? $data['used_mb'] : null,
					'remaining_mb' => isset( $data['remaining_mb'] ) ? $data['remaining_mb'] : null,
					'limit_mb'     => isset( $data['quota_mb'] ) ? $data['quota_mb'] : null,
				)
			);
			if ( isset( $data['remaining_mb'] ) && (float) $data['remaining_mb'] > 0 ) {
				self::resume();
				Pixpress_Bulk::on_unpause();
			}
		} catch ( \Pixpress\Exception\PixpressException $e ) {
			return; // Still refused or away: checked again in an hour.
		}
	}
}
