<?php

namespace Pixpress;

/** The Retry-After header (RFC 9110): a number of seconds, or an HTTP date. */
final class RetryAfter
{
    /**
     * @param float|null $now Unix time to measure a date against (tests); the clock when null
     * @return float|null seconds to wait (never negative), or null when absent or unreadable
     */
    public static function parse(?string $value, ?float $now = null): ?float
    {
        if ($value === null) {
            return null;
        }
        $value = trim($value);
        if ($value === '') {
            return null;
        }
        if (ctype_digit($value)) {
            return (float) $value;
        }
        $when = self::date($value);
        if ($when === null) {
            return null;
        }
        return max(0.0, $when - ($now ?? microtime(true)));
    }

    /** IMF-fixdate first (what servers send); strtotime also reads the obsolete RFC 850 and asctime forms. */
    private static function date(string $value): ?float
    {
        $utc = new \DateTimeZone('UTC');
        $parsed = \DateTimeImmutable::createFromFormat('D, d M Y H:i:s \G\M\T', $value, $utc);
        if ($parsed !== false) {
            return (float) $parsed->getTimestamp();
        }
        // Only date-looking text: strtotime would also accept "tomorrow" or "+1 week", which no server sends.
        if (!preg_match('/^[A-Za-z]{3,9},? [0-9A-Za-z :-]+$/', $value)) {
            return null;
        }
        $timestamp = strtotime($value . (stripos($value, 'GMT') === false ? ' GMT' : ''));
        return $timestamp === false ? null : (float) $timestamp;
    }
}
