<?php

namespace Pixpress;

use Pixpress\Transport\Response;

/**
 * The server's JSON envelope: `{"success": true, "data": {...}}` becomes the data array, anything else the
 * typed exception for its error code (or, for a code this version does not know, for its HTTP status).
 */
final class Envelope
{
    /** Known codes; a new server code still lands in the right family through familyOf(). */
    private const CLASSES = [
        'token_missing' => Exception\TokenMissing::class,
        'invalid_token' => Exception\InvalidToken::class,
        'subscription_expired' => Exception\SubscriptionExpired::class,
        'admin_required' => Exception\AdminRequired::class,
        'task_not_found' => Exception\TaskNotFound::class,
        'task_not_ready' => Exception\TaskNotReady::class,
        'file_too_large' => Exception\FileTooLarge::class,
        'image_too_large' => Exception\ImageTooLarge::class,
        'unsupported_format' => Exception\UnsupportedFormat::class,
        'invalid_image' => Exception\InvalidImage::class,
        'invalid_option' => Exception\InvalidOption::class,
        'quota_exceeded' => Exception\QuotaExceeded::class,
        'too_many_pending' => Exception\TooManyPending::class,
        'rate_limited' => Exception\RateLimited::class,
        'too_many_failures' => Exception\TooManyFailures::class,
        'service_unavailable' => Exception\ServiceUnavailable::class,
        'license_server_unavailable' => Exception\LicenseServerUnavailable::class,
    ];

    /**
     * @return array<string, mixed> the `data` of a success envelope
     * @throws Exception\PixpressException
     */
    public static function read(Response $response): array
    {
        $body = json_decode($response->body, true);
        if ($response->status === 200 && is_array($body) && ($body['success'] ?? null) === true) {
            $data = $body['data'] ?? [];
            return is_array($data) ? $data : ['value' => $data];
        }
        throw self::error($response, $body);
    }

    /** @param mixed $body the decoded JSON, or null when the answer was not JSON (a proxy's HTML page) */
    public static function error(Response $response, $body): Exception\PixpressException
    {
        $status = $response->status;
        $error = is_array($body) && is_array($body['error'] ?? null) ? $body['error'] : [];
        $code = isset($error['code']) && is_string($error['code']) ? $error['code'] : 'http_' . $status;
        $message = isset($error['message']) && is_string($error['message']) ? $error['message'] : 'HTTP ' . $status;
        unset($error['code'], $error['message']);
        $retryAfter = RetryAfter::parse($response->header('retry-after'));
        if ($retryAfter !== null) {
            $error['retry_after_s'] = $retryAfter;
        }
        $class = self::CLASSES[$code] ?? self::familyOf($status);
        return new $class($code, $message, $status, $error);
    }

    private static function familyOf(int $status): string
    {
        if ($status === 429) {
            return Exception\Throttled::class;
        }
        if ($status === 401 || $status === 403) {
            return Exception\AuthError::class;
        }
        if ($status === 404) {
            return Exception\NotFound::class;
        }
        if ($status === 502 || $status === 503 || $status === 504) {
            return Exception\ServiceUnavailable::class;
        }
        if ($status >= 500) {
            return Exception\ServerError::class;
        }
        return Exception\InvalidRequest::class;
    }
}
