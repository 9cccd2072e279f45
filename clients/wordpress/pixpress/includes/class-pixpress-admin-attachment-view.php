<?php
/**
 * What the admin screens say about one attachment: the list view's column, the grid view's badge and
 * the attachment details modal all show the same words.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Turns the `_pixpress` record, the queue and the quota into a status, a label and a hint. The record
 * alone is not enough: an attachment stopped by the quota half way keeps the record 'pending', and a
 * new upload has no record at all while it waits in the queue.
 */
class Pixpress_Admin_Attachment_View {

	/** Below this share of the monthly limit left, the quota is "low" and waiting images say so. */
	const LOW_QUOTA_SHARE = 0.1;

	/**
	 * The attachment as the screens show it.
	 *
	 * @param int $attachment_id Attachment.
	 * @return array<string, mixed> status (optimized, skipped, failed, restored, queued, pending,
	 *                              quota, auth, stopped or ''), label, detail (savings or reason),
	 *                              hint, quota (ok, low, exhausted, unknown), before, after, savings,
	 *                              formats, has_backup.
	 */
	public static function describe( $attachment_id ) {
		$record = Pixpress_Status::get( $attachment_id );
		$status = isset( $record['status'] ) ? (string) $record['status'] : '';
		$queued = Pixpress_Queue::has( $attachment_id );
		$quota  = self::quota_state();
		$pause  = Pixpress_Processor::pause();
		$hint   = '';
		$detail = '';

		if ( '' === $status && $queued ) {
			$status = 'queued';
		}
		$waiting = in_array( $status, array( 'queued', 'pending' ), true );
		if ( $waiting && $pause && 'auth' === $pause['reason'] ) {
			$status = 'auth';
			$hint   = (string) $pause['message'];
		} elseif ( $waiting && ( ( $pause && 'quota' === $pause['reason'] ) || 'exhausted' === $quota['state'] ) ) {
			// Refused by the quota: a half-done image says so; a new upload still waits its turn.
			$status         = 'pending' === $status ? 'quota' : 'queued';
			$quota['state'] = 'exhausted';
			$hint   = __( 'This month\'s quota is used up: optimization goes on by itself after the monthly reset (or Resume on Media > Bulk pixpress).', 'pixpress' );
		} elseif ( 'pending' === $status && ! $queued ) {
			// Not in the queue and no run holds it: an "Optimize now" that stopped half way.
			$status = 'stopped';
			$hint   = __( 'Stopped half way: "Optimize now" finishes it.', 'pixpress' );
		} elseif ( $waiting && 'low' === $quota['state'] ) {
			/* translators: %s: megabytes left. */
			$hint = sprintf( __( 'The quota is running low: %s MB left this month.', 'pixpress' ), number_format_i18n( (float) $quota['remaining_mb'], 2 ) );
		}

		if ( 'optimized' === $status ) {
			$detail = sprintf(
				/* translators: 1: percent saved, 2: size before, 3: size after. */
				__( '%1$s%% smaller (%2$s → %3$s)', 'pixpress' ),
				number_format_i18n( (float) $record['savings'], 1 ),
				size_format( (int) $record['before'], 1 ),
				size_format( (int) $record['after'], 1 )
			);
		} elseif ( in_array( $status, array( 'skipped', 'failed' ), true ) && ! empty( $record['reason'] ) ) {
			$detail = Pixpress_Status::reason_label( (string) $record['reason'] );
		}

		return array(
			'status'     => $status,
			'label'      => self::label( $status ),
			'detail'     => $detail,
			'hint'       => $hint,
			'quota'      => $quota['state'],
			'before'     => isset( $record['before'] ) ? (int) $record['before'] : 0,
			'after'      => isset( $record['after'] ) ? (int) $record['after'] : 0,
			'savings'    => isset( $record['savings'] ) ? (float) $record['savings'] : 0.0,
			'formats'    => self::sibling_formats( $record ),
			'has_backup' => self::has_backup( $record ),
		);
	}

	/**
	 * The label of a shown status.
	 *
	 * @param string $status The status.
	 * @return string
	 */
	public static function label( $status ) {
		if ( 'stopped' === $status ) {
			return __( 'Not finished', 'pixpress' );
		}
		return Pixpress_Status::label( $status );
	}

	/**
	 * The quota as last known: state (ok, low, exhausted, unknown) and remaining_mb.
	 *
	 * @return array<string, mixed>
	 */
	public static function quota_state() {
		$quota = Pixpress_Service::quota();
		if ( ! is_array( $quota ) || null === $quota['remaining_mb'] ) {
			return array(
				'state'        => 'unknown',
				'remaining_mb' => null,
			);
		}
		$remaining = (float) $quota['remaining_mb'];
		$limit     = null === $quota['limit_mb'] ? 0.0 : (float) $quota['limit_mb'];
		$state     = 'ok';
		if ( $remaining <= 0.0 ) {
			$state = 'exhausted';
		} elseif ( $limit > 0.0 && $remaining < self::LOW_QUOTA_SHARE * $limit ) {
			$state = 'low';
		}
		return array(
			'state'        => $state,
			'remaining_mb' => $remaining,
		);
	}

	/**
	 * Prints the status block (the list view's column and the details modal): escaped HTML.
	 *
	 * @param int                  $attachment_id Attachment.
	 * @param array<string, mixed> $view What describe() said.
	 * @param string[]             $links Escaped action links.
	 * @param bool                 $with_id Whether the block carries its element id (once per page).
	 * @return string
	 */
	public static function html( $attachment_id, array $view, array $links, $with_id ) {
		$out = sprintf(
			'<div class="pixpress-status"%1$s data-status="%2$s" data-quota="%3$s"><strong>%4$s</strong>',
			$with_id ? ' id="pixpress-status-' . (int) $attachment_id . '"' : '',
			esc_attr( $view['status'] ),
			esc_attr( $view['quota'] ),
			esc_html( $view['label'] )
		);
		if ( '' !== $view['detail'] ) {
			$out .= '<br><span class="pixpress-detail">' . esc_html( $view['detail'] ) . '</span>';
		}
		if ( $view['formats'] ) {
			$out .= '<br>' . esc_html( strtoupper( implode( ' + ', $view['formats'] ) ) );
		}
		if ( '' !== $view['hint'] ) {
			$out .= '<br><em class="pixpress-hint">' . esc_html( $view['hint'] ) . '</em>';
		}
		if ( $links ) {
			$out .= '<br>' . implode( ' | ', $links );
		}
		return $out . '</div>';
	}

	/**
	 * Whether any file of the record has a backup or a sibling (something to undo).
	 *
	 * @param array<string, mixed> $record The record.
	 * @return bool
	 */
	public static function has_backup( array $record ) {
		foreach ( isset( $record['files'] ) ? (array) $record['files'] : array() as $entry ) {
			if ( ! empty( $entry['siblings'] ) || ( ! empty( $entry['file'] ) && is_file( Pixpress_Backup::path( $entry['file'] ) ) ) ) {
				return true;
			}
		}
		return false;
	}

	/**
	 * Sibling formats written for any file of the record.
	 *
	 * @param array<string, mixed> $record The record.
	 * @return string[]
	 */
	private static function sibling_formats( array $record ) {
		$formats = array();
		foreach ( isset( $record['files'] ) ? (array) $record['files'] : array() as $entry ) {
			$formats = array_merge( $formats, array_keys( isset( $entry['siblings'] ) ? (array) $entry['siblings'] : array() ) );
		}
		sort( $formats );
		return array_values( array_unique( $formats ) );
	}
}
