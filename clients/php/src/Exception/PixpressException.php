<?php

namespace Pixpress\Exception;

/**
 * Every error the client raises, carrying the server's stable error code.
 *
 * PixpressException (getErrorCode, getHttpStatus, getDetails, getRetryAfter)
 * ├── AuthError                 401/403
 * │   ├── TokenMissing, InvalidToken, SubscriptionExpired, AdminRequired
 * ├── NotFound                  404
 * │   └── TaskNotFound
 * ├── InvalidRequest            409/413/415/422 and other 4xx
 * │   ├── TaskNotReady, FileTooLarge, ImageTooLarge, UnsupportedFormat, InvalidImage, InvalidOption
 * ├── QuotaExceeded             429 quota_exceeded (never retried)
 * ├── Throttled                 429 otherwise (retried after Retry-After)
 * │   ├── TooManyPending, RateLimited, TooManyFailures
 * ├── ServerError               500 and other 5xx (not retried: the same request fails again)
 * │   └── ServiceUnavailable    502/503/504, service_unavailable (retried after Retry-After)
 * │       └── LicenseServerUnavailable
 * ├── ConnectionError           no answer: refused, reset, timed out (HTTP status 0)
 * ├── ResponseTooLarge          the answer was larger than the client accepts (cut off, not retried)
 * ├── UrlNotAllowed             WordPress: a private or loopback server URL not allowed (nothing sent)
 * ├── TaskFailed                the task ended `failed` (the code is the server's, e.g. invalid_image)
 * └── TaskTimeout               the task did not finish within waitFor()'s timeout
 *
 * getCode() (PHP's own integer code) is the HTTP status too, since PHP reserves it for integers.
 */
class PixpressException extends \RuntimeException
{
    private string $errorCode;
    private int $httpStatus;
    /** @var array<string, mixed> */
    private array $details;

    /**
     * @param array<string, mixed> $details the other fields of the server's error object
     */
    public function __construct(
        string $errorCode,
        string $message,
        int $httpStatus = 0,
        array $details = [],
        ?\Throwable $previous = null
    ) {
        parent::__construct($errorCode . ': ' . $message, $httpStatus, $previous);
        $this->errorCode = $errorCode;
        $this->httpStatus = $httpStatus;
        $this->details = $details;
    }

    /** The server's snake_case code, e.g. "quota_exceeded". */
    public function getErrorCode(): string
    {
        return $this->errorCode;
    }

    /** The HTTP status of the answer; 0 when no answer came. */
    public function getHttpStatus(): int
    {
        return $this->httpStatus;
    }

    /** @return array<string, mixed> */
    public function getDetails(): array
    {
        return $this->details;
    }

    /** Seconds the server asked to wait (its Retry-After header), or null. */
    public function getRetryAfter(): ?float
    {
        $value = $this->details['retry_after_s'] ?? null;
        return is_int($value) || is_float($value) ? (float) $value : null;
    }
}
