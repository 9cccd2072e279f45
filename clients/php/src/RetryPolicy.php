<?php

namespace Pixpress;

use Pixpress\Exception\ConnectionError;
use Pixpress\Exception\PixpressException;
use Pixpress\Exception\ServiceUnavailable;
use Pixpress\Exception\Throttled;

/**
 * Bounded retries, as the Python SDK: at most $maxRetries more attempts and $maxTotalS of waiting in all.
 *
 * Retried: 429 too_many_pending / rate_limited (Throttled) and 502/503/504 (ServiceUnavailable), after the
 * server's Retry-After when it sends one, never sooner; a Retry-After above $maxDelayS gives up at once
 * rather than blocking a PHP request that long. Without one: $baseDelayS doubled each time.
 * A connection that could not be opened is retried for every call; one lost after the request went out
 * only for idempotent calls. Never retried: quota_exceeded (waiting brings no quota back), auth, bad input, 500.
 */
final class RetryPolicy
{
    public int $maxRetries;
    public float $maxDelayS;
    public float $maxTotalS;
    public float $baseDelayS;

    public function __construct(int $maxRetries = 4, float $maxDelayS = 60.0, float $maxTotalS = 180.0, float $baseDelayS = 0.5)
    {
        $this->maxRetries = $maxRetries;
        $this->maxDelayS = $maxDelayS;
        $this->maxTotalS = $maxTotalS;
        $this->baseDelayS = $baseDelayS;
    }

    /** Seconds to wait before the next attempt, or null to give up and raise $error. */
    public function delayS(PixpressException $error, int $retriesDone, float $waitedS, bool $idempotent): ?float
    {
        if ($retriesDone >= $this->maxRetries || !self::retryable($error, $idempotent)) {
            return null;
        }
        $retryAfter = $error->getRetryAfter();
        if ($retryAfter !== null) {
            if ($retryAfter > $this->maxDelayS) {
                return null;
            }
            $delay = $retryAfter;
        } else {
            $delay = min($this->baseDelayS * (2 ** $retriesDone), $this->maxDelayS);
        }
        if ($waitedS + $delay > $this->maxTotalS) {
            return null;
        }
        return (float) $delay;
    }

    public static function retryable(PixpressException $error, bool $idempotent): bool
    {
        if ($error instanceof Throttled || $error instanceof ServiceUnavailable) {
            return true;
        }
        if ($error instanceof ConnectionError) {
            return $idempotent || ($error->getDetails()['sent'] ?? true) === false;
        }
        return false;
    }
}
