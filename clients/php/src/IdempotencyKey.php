<?php

namespace Pixpress;

/**
 * The Idempotency-Key of a submit, derived from what is sent: the sha256 of the image bytes and the
 * options as sent. The same upload (a retry after a lost answer, a rerun of a crashed import) carries the
 * same key, and the server charges one key once (for PIXPRESS_IDEMPOTENCY_TTL_S, 24 h by default).
 * Other options make another key on purpose: they are another job.
 */
final class IdempotencyKey
{
    /** @param array<string, string> $fields the form fields as they go on the wire */
    public static function derive(string $data, array $fields): string
    {
        ksort($fields);
        $canonical = hash('sha256', $data) . "\n" . json_encode($fields, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
        return 'sha256-' . hash('sha256', $canonical);
    }
}
