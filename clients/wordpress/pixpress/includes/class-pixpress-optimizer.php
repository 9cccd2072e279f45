<?php
/**
 * Optimizes one attachment: its original and every selected size, with backups and siblings.
 *
 * @package pixpress
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * One attachment at a time. Each file's outcome is saved as soon as it is known, so a stop half way
 * (quota used up, server away) keeps what was done and a later run sends only the rest.
 *
 * Errors of the whole service (quota_exceeded, authentication, connection, 5xx, time-outs) are
 * thrown to the caller, which decides to pause or retry; an error of one file (invalid image, too
 * large, a failed task) is recorded on that file and the others go on.
 */
class Pixpress_Optimizer {

	/** Errors of one file that a retry would not change. */
	const PERMANENT_ERRORS = array( 'invalid_image', 'unsupported_format', 'file_too_large', 'image_too_large', 'invalid_option', 'unexpected_result' );

	/** The server's own wait on submit (the runner is a background request: blocking it costs no visitor). */
	const SUBMIT_WAIT_S   = 20;
	const TASK_TIMEOUT_S  = 600.0;
	const SIZE_NAME_REGEX = '/^[a-z0-9_-]{1,40}$/';
	const MAX_SIZES       = 16;
	/** A fitted size may differ from what WordPress made by rounding: up to 2 px or 1 %. */
	const FIT_SLACK_PX = 2;
	/** Between status polls: this share of the time waited so far, within the bounds below. */
	const POLL_SHARE   = 0.5;
	const POLL_MIN_S   = 1.0;
	const POLL_MAX_S   = 30.0;

	/**
	 * Optimizes what is left to do of the attachment, waiting for the server (Optimize now, tests).
	 *
	 * @param int  $attachment_id Attachment.
	 * @param bool $force Also retry files that failed for good before, and a restored attachment.
	 * @return array<string, mixed> The `_pixpress` record after the run.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	public static function optimize( $attachment_id, $force = false ) {
		$job = self::start( $attachment_id, $force, self::SUBMIT_WAIT_S );
		if ( ! $job['uploads'] ) {
			return self::finish( $job, array() );
		}
		$tasks = self::await( $job['client'], self::unfinished( array( $job ) ), microtime( true ) + self::TASK_TIMEOUT_S );
		return self::finish( $job, $tasks );
	}

	/**
	 * First half of a run: works out the files to send and submits them (one upload for the source and
	 * its sizes when the server offers `sizes`, else one per file) without waiting for the results,
	 * so several attachments can be in flight. The source is the real original when WordPress kept
	 * one beside a `-scaled` copy (that copy is then one of the sizes).
	 *
	 * @param int   $attachment_id Attachment.
	 * @param bool  $force Retry permanent failures, and a restored attachment.
	 * @param float $wait_s Seconds the server may hold the last submit's answer.
	 * @return array<string, mixed> The job: id, client, record, files, uploads (each: task, names, via, source).
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	public static function start( $attachment_id, $force = false, $wait_s = 0.0 ) {
		$job    = array(
			'id'      => (int) $attachment_id,
			'client'  => null,
			'record'  => Pixpress_Status::get( $attachment_id ),
			'files'   => array(),
			'uploads' => array(),
		);
		$record = $job['record'];
		if ( ! Pixpress_Attachment::is_supported( $attachment_id ) ) {
			$job['record'] = array_merge(
				$record,
				array(
					'status' => 'skipped',
					'reason' => 'unsupported_type',
					'files'  => array(),
				)
			);
			$job['skip']   = true;
			return $job;
		}
		if ( ! $force && isset( $record['status'] ) && 'restored' === $record['status'] ) {
			$job['skip'] = true;
			return $job;
		}
		if ( 'restored' === ( isset( $record['status'] ) ? $record['status'] : '' ) ) {
			$record = array();
		}
		$client = Pixpress_Service::client();
		if ( null === $client ) {
			throw new \Pixpress\Exception\AuthError( 'not_configured', __( 'pixpress has no server URL or token.', 'pixpress' ), 0 );
		}
		$job['client']   = $client;
		$record['files'] = isset( $record['files'] ) && is_array( $record['files'] ) ? $record['files'] : array();
		$files           = Pixpress_Attachment::files( $attachment_id );
		$job['files']    = $files;
		$todo            = array();
		foreach ( $files as $name => $file ) {
			if ( ! Pixpress_Settings::optimizes_size( Pixpress_Attachment::ORIGINAL === $name ? 'full' : $name ) ) {
				continue;
			}
			if ( ! is_file( $file['path'] ) ) {
				$record['files'][ $name ] = self::entry( $file, 'missing' );
				continue;
			}
			$entry = isset( $record['files'][ $name ] ) ? $record['files'][ $name ] : null;
			if ( ! self::needs_work( $entry, $file, $force ) ) {
				continue;
			}
			if ( self::replaced_since( $entry, $file ) ) {
				// A new file under the same name (thumbnails regenerated, e.g. another crop): the backup is
				// of the file it replaced, so it goes; this file is sent and becomes the backup.
				Pixpress_Paths::delete( Pixpress_Backup::path( $file['rel'] ), Pixpress_Paths::BACKUPS );
			}
			$todo[ $name ] = $file;
		}
		$job['record'] = $record;
		if ( ! $todo ) {
			return $job;
		}
		// Until every file is done the attachment is 'pending': a stop half way (quota) leaves it so,
		// and the next run sends only the files not recorded yet.
		Pixpress_Status::save( $attachment_id, Pixpress_Status::pending( $record ) );
		$plan = self::plan( $todo );
		while ( $plan ) {
			$upload         = array_shift( $plan );
			$upload['task'] = self::submit( $client, $upload, $plan ? 0.0 : $wait_s );
			if ( null === $upload['task'] && 'sizes' === $upload['via'] ) {
				// The whole upload refused (not charged): each file on its own, so one bad size costs only itself.
				foreach ( $upload['files'] as $name => $file ) {
					$plan[] = self::single( $name, $file );
				}
				continue;
			}
			$job['uploads'][] = $upload;
		}
		return $job;
	}

	/**
	 * The uploads for the files to do: the source (the real original, or the full size) with every
	 * size the server can make from it in one upload; each other file on its own.
	 *
	 * @param array<string, array<string, mixed>> $todo Files to do.
	 * @return array<int, array<string, mixed>> Each: via ('sizes' or 'file'), source (a name), names (name => spec or '').
	 */
	private static function plan( array $todo ) {
		$plan   = array();
		$source = isset( $todo[ Pixpress_Attachment::ORIGINAL ] ) ? Pixpress_Attachment::ORIGINAL : 'full';
		if ( isset( $todo[ $source ] ) && count( $todo ) > 1 && Pixpress_Service::offers_sizes() ) {
			$specs = self::size_specs( $todo, $source );
			if ( $specs ) {
				$plan[] = array(
					'via'    => 'sizes',
					'source' => $source,
					'files'  => array_intersect_key( $todo, $specs + array( $source => true ) ),
					'specs'  => $specs,
				);
				$todo   = array_diff_key( $todo, $specs + array( $source => true ) );
			}
		}
		foreach ( $todo as $name => $file ) {
			$plan[] = self::single( $name, $file );
		}
		return $plan;
	}

	/**
	 * An upload of one file on its own.
	 *
	 * @param string               $name Its name.
	 * @param array<string, mixed> $file The file.
	 * @return array<string, mixed>
	 */
	private static function single( $name, array $file ) {
		return array(
			'via'    => 'file',
			'source' => $name,
			'files'  => array( $name => $file ),
			'specs'  => array(),
		);
	}

	/**
	 * Submits one upload: the source file's original bytes (its backup when it was replaced before).
	 * A refused upload (invalid image, too large) comes back as null with the refusal kept in
	 * $upload['refused'].
	 *
	 * @param \Pixpress\Client     $client Client.
	 * @param array<string, mixed> $upload The upload, updated in place with sent_bytes or refused.
	 * @param float                $wait_s Seconds the server may hold the answer.
	 * @return \Pixpress\Task|null
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	private static function submit( $client, array &$upload, $wait_s ) {
		$file     = $upload['files'][ $upload['source'] ];
		$backup   = Pixpress_Backup::path( $file['rel'] );
		$bytes    = (string) file_get_contents( is_file( $backup ) ? $backup : $file['path'] );
		$options  = Pixpress_Resize::submit_options( self::options( self::formats_for_mime( $file['mime'] ) ), $file );
		$upload['bytes']   = strlen( $bytes );
		$upload['options'] = $options;
		if ( $upload['specs'] ) {
			$options['sizes'] = implode( ',', $upload['specs'] );
		}
		if ( isset( $options['accept'] ) && Pixpress_Attachment::ORIGINAL === $upload['source'] && Pixpress_Service::offers_accept_for() ) {
			// WordPress never serves the real original: its WebP/AVIF would be made and thrown away.
			$options['accept_for'] = 'sizes';
		}
		if ( $wait_s > 0 ) {
			$options['wait'] = (int) ceil( $wait_s );
		}
		// The polls' pace counts from here: a submit the server held for its wait has been waited on too.
		$upload['sent_at'] = microtime( true );
		try {
			$task = $client->submit( $bytes, $options + array( 'filename' => wp_basename( $file['path'] ) ) );
		} catch ( \Pixpress\Exception\InvalidRequest $e ) {
			$upload['refused'] = $e->getErrorCode();
			return null;
		}
		$info = $task->getQuotaInfo();
		if ( $info ) {
			Pixpress_Service::remember_quota( $info );
		}
		$upload['sent_bytes'] = $task->isReplay() ? 0 : strlen( $bytes );
		return $task;
	}

	/**
	 * The tasks of $jobs still running: task id => when it was submitted.
	 *
	 * @param array<int, array<string, mixed>> $jobs Jobs from start().
	 * @return array<string, float>
	 */
	public static function unfinished( array $jobs ) {
		$ids = array();
		foreach ( $jobs as $job ) {
			foreach ( $job['uploads'] as $upload ) {
				if ( $upload['task'] && ! $upload['task']->isFinished() ) {
					$ids[ $upload['task']->getId() ] = $upload['sent_at'];
				}
			}
		}
		return $ids;
	}

	/**
	 * Waits for tasks until all are finished or $deadline passes.
	 *
	 * @param \Pixpress\Client|null $client Client.
	 * @param array<string, float>   $ids Task id => submitted at (microtime).
	 * @param float                  $deadline Microtime after which the unfinished are left.
	 * @return array<string, \Pixpress\Task> The finished ones.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	public static function await( $client, array $ids, $deadline ) {
		$done = array();
		while ( $ids && microtime( true ) + self::poll_pause( $ids ) <= $deadline ) {
			$done += self::await_round( $client, $ids );
			$ids   = array_diff_key( $ids, $done );
		}
		return $done;
	}

	/**
	 * One round for several tasks at once: a pause, then one status call per running task. The
	 * pause is a share of the time waited so far, so a long job costs few calls and a short one
	 * little delay.
	 *
	 * @param \Pixpress\Client|null $client Client.
	 * @param array<string, float>   $ids Task id => submitted at (microtime).
	 * @return array<string, \Pixpress\Task> The finished ones.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	public static function await_round( $client, array $ids ) {
		$done = array();
		if ( ! $ids || null === $client ) {
			return $done;
		}
		usleep( (int) ( self::poll_pause( $ids ) * 1e6 ) );
		foreach ( array_keys( $ids ) as $id ) {
			$task = $client->status( (string) $id );
			if ( $task->isFinished() ) {
				$done[ $id ] = $task;
			}
		}
		return $done;
	}

	/**
	 * Seconds before the next round of polls.
	 *
	 * @param array<string, float> $ids Task id => submitted at (microtime).
	 * @return float
	 */
	private static function poll_pause( array $ids ) {
		return min( self::POLL_MAX_S, max( self::POLL_MIN_S, self::POLL_SHARE * ( microtime( true ) - min( $ids ) ) ) );
	}

	/**
	 * Second half of a run: takes the results the server finished (downloading only what is kept),
	 * records each file and brings the attachment metadata up to date. An upload whose task is not
	 * finished throws task_timeout (the attachment is tried again later: the same bytes and options
	 * make the same idempotency key, so the server answers with the same task and charges nothing).
	 *
	 * @param array<string, mixed>           $job From start().
	 * @param array<string, \Pixpress\Task> $tasks Finished tasks by id (from await()).
	 * @return array<string, mixed> The `_pixpress` record.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	public static function finish( array $job, array $tasks ) {
		$attachment_id = $job['id'];
		$record        = $job['record'];
		if ( ! empty( $job['skip'] ) ) {
			if ( isset( $record['status'] ) && 'skipped' === $record['status'] ) {
				Pixpress_Status::save( $attachment_id, $record );
			}
			return $record;
		}
		foreach ( $job['uploads'] as $upload ) {
			$task = $upload['task'];
			if ( $task && ! $task->isFinished() ) {
				if ( ! isset( $tasks[ $task->getId() ] ) ) {
					throw new \Pixpress\Exception\TaskTimeout( 'task_timeout', 'task ' . $task->getId() . ' not finished', 0, array( 'task_id' => $task->getId() ) );
				}
				$task = $tasks[ $task->getId() ];
			}
			foreach ( self::take( $job['client'], $upload, $task ) as $name => $entry ) {
				$record['files'][ $name ] = $entry;
			}
			Pixpress_Status::save( $attachment_id, Pixpress_Status::pending( $record ) );
		}
		$record = Pixpress_Status::summarize( $record );
		Pixpress_Status::save( $attachment_id, $record );
		Pixpress_Resize::sync_metadata( $attachment_id, $record );
		self::update_filesizes( $attachment_id, $job['files'] );
		return $record;
	}

	/**
	 * The records of an upload's files from its finished task.
	 *
	 * @param \Pixpress\Client     $client Client.
	 * @param array<string, mixed> $upload The upload.
	 * @param \Pixpress\Task|null $task Its task (null: refused at submit).
	 * @return array<string, array<string, mixed>> name => entry.
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	private static function take( $client, array $upload, $task ) {
		$entries = array();
		foreach ( $upload['files'] as $name => $file ) {
			$is_source = $name === $upload['source'];
			$entry     = self::entry( $file, 'failed' );

			$entry['via']        = $upload['via'];
			$entry['formats']    = self::sibling_formats_for( $file );
			$entry['sent_bytes'] = $is_source && isset( $upload['sent_bytes'] ) ? $upload['sent_bytes'] : 0;
			$entry['before']     = $is_source ? (int) $upload['bytes'] : (int) filesize( $file['path'] );
			if ( null === $task ) {
				$entry['error']    = isset( $upload['refused'] ) ? $upload['refused'] : 'invalid_request';
				$entries[ $name ] = $entry;
				continue;
			}
			$entry['task_id'] = $task->getId();
			if ( ! $task->isDone() ) {
				$error            = $task->get( 'error' );
				$entry['error']   = is_array( $error ) && isset( $error['code'] ) ? (string) $error['code'] : 'task_failed';
				$entries[ $name ] = $entry;
				continue;
			}
			$result = $is_source ? $task->toArray() : self::size_result( $task, $name );
			if ( null === $result ) {
				$entries[ $name ] = array_merge( $entry, array( 'error' => 'unexpected_result' ) );
				continue;
			}
			if ( $is_source ) {
				// A resized submit (large originals): the file is checked against what the server fitted.
				$file = Pixpress_Resize::expected_file( $file, $upload['options'], (int) $task->get( 'width', 0 ), (int) $task->get( 'height', 0 ) );
			}
			$entries[ $name ] = Pixpress_Resize::note( self::take_file( $client, $task, $is_source ? null : $name, $file, $result, $entry ), $file );
		}
		return $entries;
	}

	/**
	 * The entry of the task's `sizes` for $name, null when the server did not list it.
	 *
	 * @param \Pixpress\Task $task Task.
	 * @param string         $name Size name.
	 * @return array<string, mixed>|null
	 */
	private static function size_result( $task, $name ) {
		$sizes = $task->get( 'sizes' );
		foreach ( is_array( $sizes ) ? $sizes : array() as $size ) {
			if ( is_array( $size ) && isset( $size['name'] ) && $name === $size['name'] ) {
				return $size;
			}
		}
		return null;
	}

	/**
	 * One file from its result (the task itself, or one of its `sizes`): the variant in the file's
	 * own format replaces it when smaller, each wanted sibling the server made and that is smaller is
	 * written. What the status says is too big or missing is not downloaded at all; a variant the
	 * server dropped (larger than the plain save) simply has no sibling, which is not an error.
	 *
	 * @param \Pixpress\Client     $client Client.
	 * @param \Pixpress\Task       $task Task.
	 * @param string|null          $size Size name, null for the upload itself.
	 * @param array<string, mixed> $file The file.
	 * @param array<string, mixed> $result The result's description.
	 * @param array<string, mixed> $entry The file's record so far.
	 * @return array<string, mixed>
	 * @throws \Pixpress\Exception\PixpressException An error of the whole service.
	 */
	private static function take_file( $client, $task, $size, array $file, array $result, array $entry ) {
		$own      = self::format_of( $file['mime'] );
		$variants = self::variants( $result );
		if ( $variants ) {
			$main    = isset( $variants[ $own ] ) ? $variants[ $own ] : null;
			$variant = $own;
		} else {
			$main    = ( ! isset( $result['format'] ) || $own === $result['format'] ) ? $result : null;
			$variant = null;
		}
		if ( null === $main ) {
			$entry['error'] = 'unexpected_result'; // Not the file's format: WordPress serves it by its name.
			return $entry;
		}
		$expect = self::expected_size( $file, $main, null !== $size );
		if ( null === $expect ) {
			$entry['error'] = 'unexpected_result';
			return $entry;
		}
		clearstatcache( true, $file['path'] );
		$current = (int) filesize( $file['path'] );
		if ( isset( $main['size'] ) && (int) $main['size'] >= $current ) {
			$entry = self::keep( $entry, $current ); // Not smaller than the file: nothing to fetch.
		} else {
			$entry = self::apply( $file, $client->download( $task->getId(), $variant, $size ), $entry, $expect );
		}
		if ( 'failed' === $entry['status'] ) {
			return $entry;
		}
		foreach ( $entry['formats'] as $format ) {
			$sibling = isset( $variants[ $format ] ) ? $variants[ $format ] : null;
			if ( null === $sibling || ( isset( $sibling['size'] ) && (int) $sibling['size'] >= (int) $entry['after'] ) ) {
				self::remove_sibling( $file, $format ); // Dropped by the server or not smaller: no <source>.
				continue;
			}
			$entry = self::write_sibling( $file, $format, $client->download( $task->getId(), $format, $size ), $entry );
		}
		return $entry;
	}

	/**
	 * The dimensions the file will have: its own, or for a size the server fitted (it rounds its
	 * own way: `medium:300x202` of a 741x500 upload is 299x202) those the server made, when within
	 * FIT_SLACK_PX or 1 %. Null when the result is another picture. Unknown dimensions (a server
	 * that does not list them) are checked on the downloaded bytes against the file's own.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param array<string, mixed> $main The result in the file's format.
	 * @param bool                 $is_size Whether it is a `sizes` entry.
	 * @return int[]|null array( width, height ).
	 */
	private static function expected_size( array $file, array $main, $is_size ) {
		$want = array( (int) $file['width'], (int) $file['height'] );
		if ( ! isset( $main['width'], $main['height'] ) || ! $want[0] ) {
			return $want;
		}
		$got = array( (int) $main['width'], (int) $main['height'] );
		if ( $got === $want ) {
			return $want;
		}
		if ( ! $is_size && array( $want[1], $want[0] ) === $got && self::turned_by_exif( $file ) ) {
			return $got; // A phone photo stored sideways: the server applied its EXIF orientation.
		}
		foreach ( array( 0, 1 ) as $i ) {
			if ( ! $is_size || abs( $got[ $i ] - $want[ $i ] ) > max( self::FIT_SLACK_PX, 0.01 * $want[ $i ] ) ) {
				return null;
			}
		}
		return $got;
	}

	/**
	 * Whether the bytes sent for $file (its backup once replaced) carry an EXIF orientation that turns
	 * the picture a quarter (5 to 8). Read for JPEG when PHP has exif; for other types, or without
	 * exif, the server's swapped sides are taken as they are: its orientation step is the only one that
	 * swaps them.
	 *
	 * @param array<string, mixed> $file The file.
	 * @return bool
	 */
	private static function turned_by_exif( array $file ) {
		if ( 'image/jpeg' !== $file['mime'] || ! function_exists( 'exif_read_data' ) ) {
			return true;
		}
		$backup = Pixpress_Backup::path( $file['rel'] );
		$exif   = @exif_read_data( is_file( $backup ) ? $backup : $file['path'] ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		return is_array( $exif ) && isset( $exif['Orientation'] ) && in_array( (int) $exif['Orientation'], array( 5, 6, 7, 8 ), true );
	}

	/**
	 * The variants of a result by format (format=auto made them); empty when it has none.
	 *
	 * @param array<string, mixed> $result The result.
	 * @return array<string, array<string, mixed>>
	 */
	private static function variants( array $result ) {
		$found = array();
		$list  = isset( $result['variants'] ) && is_array( $result['variants'] ) ? $result['variants'] : array();
		foreach ( $list as $variant ) {
			if ( is_array( $variant ) && isset( $variant['format'] ) ) {
				$found[ (string) $variant['format'] ] = $variant;
			}
		}
		return $found;
	}

	/**
	 * The server's format name for a MIME type: image/jpeg -> jpeg.
	 *
	 * @param string $mime MIME type.
	 * @return string
	 */
	private static function format_of( $mime ) {
		return substr( (string) $mime, strlen( 'image/' ) );
	}

	/**
	 * The entry of a file left as it is (nothing smaller came back).
	 *
	 * @param array<string, mixed> $entry The entry.
	 * @param int                  $current The file's size now.
	 * @return array<string, mixed>
	 */
	private static function keep( array $entry, $current ) {
		$entry['after']   = $current;
		$entry['status']  = $current < $entry['before'] ? 'optimized' : 'no_gain';
		$entry['error']   = '';
		$entry['savings'] = $entry['before'] > 0 ? round( 100 * ( $entry['before'] - $current ) / $entry['before'], 2 ) : 0.0;
		return $entry;
	}

	/**
	 * Whether a file still needs sending: never tried, changed since, siblings missing, or (forced)
	 * failed for good before.
	 *
	 * @param array<string, mixed>|null $entry The file's record.
	 * @param array<string, mixed>      $file The file.
	 * @param bool                      $force Retry permanent failures.
	 * @return bool
	 */
	private static function needs_work( $entry, array $file, $force ) {
		if ( ! is_array( $entry ) ) {
			return true;
		}
		if ( 'failed' === $entry['status'] ) {
			return $force || ! in_array( (string) $entry['error'], self::PERMANENT_ERRORS, true );
		}
		if ( ! in_array( $entry['status'], array( 'optimized', 'no_gain' ), true ) ) {
			return true;
		}
		clearstatcache( true, $file['path'] );
		if ( (int) filesize( $file['path'] ) !== (int) $entry['after'] ) {
			return true; // Replaced since (regenerated, edited): a new file.
		}
		$asked = isset( $entry['formats'] ) ? (array) $entry['formats'] : array();
		return (bool) array_diff( self::sibling_formats_for( $file ), $asked );
	}

	/**
	 * Whether the file on disk is not the one pixpress left (optimized or found as small as it gets):
	 * another file was written under its name since.
	 *
	 * @param array<string, mixed>|null $entry The file's record.
	 * @param array<string, mixed>      $file The file.
	 * @return bool
	 */
	private static function replaced_since( $entry, array $file ) {
		if ( ! is_array( $entry ) || ! in_array( $entry['status'], array( 'optimized', 'no_gain' ), true ) ) {
			return false;
		}
		clearstatcache( true, $file['path'] );
		return (int) filesize( $file['path'] ) !== (int) $entry['after'];
	}

	/**
	 * The sibling formats this file gets: for JPEG and PNG only, and not for the real original (the
	 * site serves its `-scaled` copy, which gets them).
	 *
	 * @param array<string, mixed> $file The file.
	 * @return string[]
	 */
	private static function sibling_formats_for( array $file ) {
		return Pixpress_Attachment::ORIGINAL === $file['name'] ? array() : self::formats_for_mime( $file['mime'] );
	}

	/**
	 * The sibling formats asked for an upload of this type: for JPEG and PNG only.
	 *
	 * @param string $mime MIME type.
	 * @return string[]
	 */
	private static function formats_for_mime( $mime ) {
		return in_array( $mime, array( 'image/jpeg', 'image/png' ), true ) ? Pixpress_Settings::sibling_formats() : array();
	}

	/**
	 * The submit options from the settings.
	 *
	 * @param string[] $siblings Sibling formats wanted.
	 * @return array<string, mixed>
	 */
	private static function options( array $siblings ) {
		$options = array(
			'mode'          => (string) Pixpress_Settings::get( 'mode' ),
			'keep_metadata' => (string) Pixpress_Settings::get( 'keep_metadata' ),
		);
		if ( $siblings ) {
			// format=auto: the source format plus each accepted one, one upload; the file itself keeps
			// its format (downloaded as that variant), the others become siblings.
			$options['format'] = 'auto';
			$options['accept'] = $siblings;
		}
		return $options;
	}

	/**
	 * The server's `sizes` entries for the files of $files other than the source: name => "name:WxH"
	 * or "name:WxH:crop", with the dimensions of the file WordPress made and crop as the size is
	 * registered. Left out (done file by file): names the server does not take, files of another type
	 * than the source, sizes past the server's limit of 16, and sizes not smaller than the source on
	 * either side (the server refuses the whole upload for one of those: sizes never upscale).
	 *
	 * @param array<string, array<string, mixed>> $files Files, the source among them.
	 * @param string                              $source The source's name: 'full', or the real original.
	 * @return array<string, string>
	 */
	public static function size_specs( array $files, $source = 'full' ) {
		$specs  = array();
		$mime   = isset( $files[ $source ]['mime'] ) ? $files[ $source ]['mime'] : '';
		$width  = isset( $files[ $source ]['width'] ) ? (int) $files[ $source ]['width'] : 0;
		$height = isset( $files[ $source ]['height'] ) ? (int) $files[ $source ]['height'] : 0;
		if ( $width < 1 || $height < 1 ) {
			return $specs; // Dimensions unknown: the server's rule cannot be checked, file by file.
		}
		foreach ( $files as $name => $file ) {
			if ( $source === $name || count( $specs ) >= self::MAX_SIZES ) {
				continue;
			}
			if ( ! preg_match( self::SIZE_NAME_REGEX, (string) $name ) || $file['width'] < 1 || $file['height'] < 1 || $file['mime'] !== $mime ) {
				continue;
			}
			if ( $file['width'] >= $width && $file['height'] >= $height ) {
				continue; // As large as the source: the server would refuse the upload.
			}
			$specs[ $name ] = sprintf( '%s:%dx%d%s', $name, $file['width'], $file['height'], $file['crop'] ? ':crop' : '' );
		}
		return $specs;
	}

	/**
	 * Replaces the file with $bytes when they are one whole image (nothing after its end) of the
	 * file's type, which its extension names too, of its dimensions, and smaller than what is on disk
	 * now; the original goes to the backup folder first.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param string               $bytes The optimized image.
	 * @param array<string, mixed> $entry Its record so far.
	 * @param int[]                $expect Width and height it must have (a fitted size's may differ from the file's).
	 * @return array<string, mixed>
	 */
	private static function apply( array $file, $bytes, array $entry, array $expect ) {
		$info = @getimagesizefromstring( $bytes ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		if ( ! $info || $info['mime'] !== $file['mime'] || ( $expect[0] && ( (int) $info[0] !== $expect[0] || (int) $info[1] !== $expect[1] ) ) ) {
			$entry['error'] = 'unexpected_result';
			return $entry;
		}
		if ( wp_check_filetype( $file['path'] )['type'] !== $info['mime'] || ! Pixpress_Image_Check::is_whole( $bytes, $info['mime'] ) ) {
			self::log_refused( $file['path'], $info['mime'] );
			$entry['error'] = 'unexpected_result';
			return $entry;
		}
		clearstatcache( true, $file['path'] );
		$current = (int) filesize( $file['path'] );
		if ( strlen( $bytes ) < $current ) {
			if ( ! Pixpress_Backup::save( $file['path'], $file['rel'] ) || ! Pixpress_Backup::write( $file['path'], $bytes ) ) {
				$entry['error'] = 'write_failed';
				return $entry;
			}
			$current = strlen( $bytes );
		}
		return self::keep( $entry, $current );
	}

	/**
	 * Writes name.jpg.webp (or .avif) when it is one whole image of that format and smaller than the
	 * file itself; removes a stale one otherwise.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param string               $format 'webp' or 'avif'.
	 * @param string               $bytes The sibling.
	 * @param array<string, mixed> $entry The file's record.
	 * @return array<string, mixed>
	 */
	private static function write_sibling( array $file, $format, $bytes, array $entry ) {
		$info = @getimagesizefromstring( $bytes ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
		$ok   = $info && 'image/' . $format === $info['mime'] && strlen( $bytes ) < (int) $entry['after'];
		if ( $ok && ! Pixpress_Image_Check::is_whole( $bytes, $info['mime'] ) ) {
			self::log_refused( Pixpress_Attachment::sibling_path( $file['path'], $format ), $info['mime'] );
			$ok = false;
		}
		if ( $ok && Pixpress_Backup::write( Pixpress_Attachment::sibling_path( $file['path'], $format ), $bytes ) ) {
			$entry['siblings'][ $format ] = strlen( $bytes );
		} else {
			self::remove_sibling( $file, $format );
		}
		return $entry;
	}

	/**
	 * Logs a result from the server that was not written.
	 *
	 * @param string $path Where it would have gone.
	 * @param string $mime The type its header claims.
	 */
	private static function log_refused( $path, $mime ) {
		// phpcs:ignore WordPress.PHP.DevelopmentFunctions
		error_log( sprintf( 'pixpress: refused the server\'s result for %s: not one whole %s, or not the type its extension names', $path, $mime ) );
	}

	/**
	 * Deletes a file's sibling in a format, if any.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param string               $format 'webp' or 'avif'.
	 */
	private static function remove_sibling( array $file, $format ) {
		Pixpress_Paths::delete( Pixpress_Attachment::sibling_path( $file['path'], $format ) );
	}

	/**
	 * A file's record before anything is known.
	 *
	 * @param array<string, mixed> $file The file.
	 * @param string               $status Starting status.
	 * @return array<string, mixed>
	 */
	private static function entry( array $file, $status ) {
		return array(
			'file'       => $file['rel'],
			'status'     => $status,
			'before'     => 0,
			'after'      => 0,
			'savings'    => 0.0,
			'sent_bytes' => 0,
			'task_id'    => '',
			'error'      => 'missing' === $status ? 'missing_file' : '',
			'siblings'   => array(),
			'formats'    => array(),
			'via'        => 'file',
			'at'         => time(),
		);
	}

	/**
	 * Brings the attachment metadata up to date with the files on disk: `filesize` (WordPress 6.0+),
	 * and the width and height of a size the server fitted a pixel differently (or that a restore
	 * put back), so srcset and the img attributes describe the file served.
	 *
	 * @param int                                 $attachment_id Attachment.
	 * @param array<string, array<string, mixed>> $files Its files.
	 */
	public static function update_filesizes( $attachment_id, array $files ) {
		$meta = wp_get_attachment_metadata( $attachment_id );
		if ( ! is_array( $meta ) ) {
			return;
		}
		$changed = false;
		foreach ( $files as $name => $file ) {
			clearstatcache( true, $file['path'] );
			if ( Pixpress_Attachment::ORIGINAL === $name || ! is_file( $file['path'] ) ) {
				continue; // WordPress keeps no size or dimensions for the original beside -scaled.
			}
			$found = array( 'filesize' => (int) filesize( $file['path'] ) );
			$dims  = @getimagesize( $file['path'] ); // phpcs:ignore WordPress.PHP.NoSilencedErrors
			if ( $dims ) {
				$found['width']  = (int) $dims[0];
				$found['height'] = (int) $dims[1];
			}
			if ( 'full' === $name ) {
				$changed = self::sync( $meta, $found ) || $changed;
				continue;
			}
			foreach ( isset( $meta['sizes'] ) && is_array( $meta['sizes'] ) ? $meta['sizes'] : array() as $size_name => $size_meta ) {
				if ( isset( $size_meta['file'] ) && wp_basename( $size_meta['file'] ) === wp_basename( $file['path'] ) ) {
					$changed = self::sync( $meta['sizes'][ $size_name ], $found ) || $changed;
				}
			}
		}
		if ( $changed ) {
			wp_update_attachment_metadata( $attachment_id, $meta );
		}
	}

	/**
	 * Sets the fields of $meta that it has and that differ from $found.
	 *
	 * @param array<string, mixed> $meta Metadata (of the attachment or of one size), changed in place.
	 * @param array<string, int>   $found What the file on disk says.
	 * @return bool Whether anything changed.
	 */
	private static function sync( array &$meta, array $found ) {
		$changed = false;
		foreach ( $found as $key => $value ) {
			if ( isset( $meta[ $key ] ) && (int) $meta[ $key ] !== $value ) {
				$meta[ $key ] = $value;
				$changed      = true;
			}
		}
		return $changed;
	}
}
