<?php
/**
 * Works through the queue within a time budget: WP-Cron events and the bulk page's ticks run it.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Takes attachments from the queue and optimizes them; stops everything (a pause kept in an option)
 * when the quota is used up or the token is refused, leaving the waiting attachments queued.
 */
class Pixpress_Processor {

	const PAUSE_OPTION   = 'pixpress_paused';
	const RECHECK_S      = HOUR_IN_SECONDS;
	const CRON_BUDGET_S  = 40.0;
	const RETRY_DELAY_S  = 120;
	const TRANSIENT_CODE = array( 'connection_failed', 'service_unavailable', 'task_timeout' );

	/**
	 * Processes queued attachments for about $budget_s seconds (at least one when one is waiting).
	 *
	 * @param float $budget_s Seconds.
	 * @param bool  $may_unpause Whether an hourly check may lift a pause (WP-Cron).
	 * @return array<string, mixed> processed (attachments finished), stopped (null, 'paused', 'error',
	 *                              'not_configured'), pause (the pause, when stopped by one).
	 */
	public static function run( $budget_s, $may_unpause = false ) {
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
		$include_bulk = Pixpress_Bulk::is_running();
		while ( microtime( true ) - $started < $budget_s ) {
			$id = Pixpress_Queue::claim( $include_bulk );
			if ( ! $id ) {
				break;
			}
			$outcome = self::process( $id );
			if ( 'done' === $outcome ) {
				++$result['processed'];
				continue;
			}
			$result['stopped'] = $outcome;
			$result['pause']   = self::pause();
			break;
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
	 * The WP-Cron event: a run with the cron budget; lifts a pause when the quota came back.
	 */
	public static function cron() {
		self::run( (float) apply_filters( 'pixpress_cron_budget_s', self::CRON_BUDGET_S ), true );
	}

	/**
	 * Optimizes one claimed attachment.
	 *
	 * @param int $id Attachment.
	 * @return string 'done', 'paused' (quota or token: everything stops) or 'error' (try later).
	 */
	private static function process( $id ) {
		if ( ! get_post( $id ) ) {
			Pixpress_Queue::remove( $id );
			return 'done';
		}
		try {
			Pixpress_Optimizer::optimize( $id, false );
			Pixpress_Queue::remove( $id );
			return 'done';
		} catch ( \Pixpress\Exception\QuotaExceeded $e ) {
			Pixpress_Queue::release( $id, 'quota_exceeded', false );
			$details = $e->getDetails();
			if ( isset( $details['quota_info'] ) && is_array( $details['quota_info'] ) ) {
				Pixpress_Service::remember_quota( $details['quota_info'] );
			}
			self::set_pause( 'quota', $e );
			return 'paused';
		} catch ( \Pixpress\Exception\AuthError $e ) {
			Pixpress_Queue::release( $id, $e->getErrorCode(), false );
			self::set_pause( 'auth', $e );
			return 'paused';
		} catch ( \Pixpress\Exception\PixpressException $e ) {
			return self::give_up_or_retry( $id, $e->getErrorCode() );
		} catch ( \Throwable $e ) {
			if ( defined( 'WP_DEBUG' ) && WP_DEBUG ) {
				error_log( 'pixpress: attachment ' . $id . ': ' . $e ); // phpcs:ignore WordPress.PHP.DevelopmentFunctions
			}
			return self::give_up_or_retry( $id, 'internal_error' );
		}
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
	 * Stops all processing until resume() or the hourly check finds the quota back.
	 *
	 * @param string                                $reason 'quota' or 'auth'.
	 * @param \Pixpress\Exception\PixpressException $e What the server said.
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
