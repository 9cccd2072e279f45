<?php

namespace Pixpress\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Pixpress\Envelope;
use Pixpress\Exception;
use Pixpress\Tests\Support\ScriptedTransport;
use Pixpress\Transport\Response;

final class EnvelopeTest extends TestCase
{
    public function testSuccessIsTheData(): void
    {
        $this->assertSame(['used_mb' => 1.5], Envelope::read(ScriptedTransport::ok(['used_mb' => 1.5])));
    }

    /** @dataProvider codes */
    public function testEachCodeHasItsClassAndFamily(int $status, string $code, string $class, string $family): void
    {
        try {
            Envelope::read(ScriptedTransport::error($status, $code));
            $this->fail('no exception');
        } catch (Exception\PixpressException $error) {
            $this->assertInstanceOf($class, $error);
            $this->assertInstanceOf($family, $error);
            $this->assertSame($code, $error->getErrorCode());
            $this->assertSame($status, $error->getHttpStatus());
            $this->assertSame($status, $error->getCode());
        }
    }

    /** @return array<string, array{int, string, class-string, class-string}> */
    public function codes(): array
    {
        return [
            'token_missing' => [401, 'token_missing', Exception\TokenMissing::class, Exception\AuthError::class],
            'invalid_token' => [401, 'invalid_token', Exception\InvalidToken::class, Exception\AuthError::class],
            'subscription_expired' => [403, 'subscription_expired', Exception\SubscriptionExpired::class, Exception\AuthError::class],
            'admin_required' => [403, 'admin_required', Exception\AdminRequired::class, Exception\AuthError::class],
            'task_not_found' => [404, 'task_not_found', Exception\TaskNotFound::class, Exception\NotFound::class],
            'task_not_ready' => [409, 'task_not_ready', Exception\TaskNotReady::class, Exception\InvalidRequest::class],
            'file_too_large' => [413, 'file_too_large', Exception\FileTooLarge::class, Exception\InvalidRequest::class],
            'image_too_large' => [413, 'image_too_large', Exception\ImageTooLarge::class, Exception\InvalidRequest::class],
            'unsupported_format' => [415, 'unsupported_format', Exception\UnsupportedFormat::class, Exception\InvalidRequest::class],
            'invalid_image' => [422, 'invalid_image', Exception\InvalidImage::class, Exception\InvalidRequest::class],
            'invalid_option' => [422, 'invalid_option', Exception\InvalidOption::class, Exception\InvalidRequest::class],
            'quota_exceeded' => [429, 'quota_exceeded', Exception\QuotaExceeded::class, Exception\PixpressException::class],
            'too_many_pending' => [429, 'too_many_pending', Exception\TooManyPending::class, Exception\Throttled::class],
            'rate_limited' => [429, 'rate_limited', Exception\RateLimited::class, Exception\Throttled::class],
            'too_many_failures' => [429, 'too_many_failures', Exception\TooManyFailures::class, Exception\Throttled::class],
            'service_unavailable' => [503, 'service_unavailable', Exception\ServiceUnavailable::class, Exception\ServerError::class],
            'license_server_unavailable' => [503, 'license_server_unavailable', Exception\LicenseServerUnavailable::class, Exception\ServiceUnavailable::class],
            'internal_error' => [500, 'internal_error', Exception\ServerError::class, Exception\PixpressException::class],
            'a future 429 code' => [429, 'slow_down_please', Exception\Throttled::class, Exception\PixpressException::class],
            'a future 422 code' => [422, 'bad_crop', Exception\InvalidRequest::class, Exception\PixpressException::class],
        ];
    }

    public function testDetailsAndRetryAfterAreKept(): void
    {
        $response = ScriptedTransport::json(
            429,
            ['success' => false, 'error' => ['code' => 'too_many_pending', 'message' => 'wait', 'max_pending' => 1]],
            ['Retry-After' => '7']
        );
        $error = Envelope::error($response, json_decode($response->body, true));
        $this->assertSame(['max_pending' => 1, 'retry_after_s' => 7.0], $error->getDetails());
        $this->assertSame(7.0, $error->getRetryAfter());
        $this->assertSame('too_many_pending: wait', $error->getMessage());
    }

    public function testAProxyPageIsTypedByItsStatus(): void
    {
        try {
            Envelope::read(new Response(502, ['Content-Type' => 'text/html'], '<html>Bad Gateway</html>'));
            $this->fail('no exception');
        } catch (Exception\ServiceUnavailable $error) {
            $this->assertSame('http_502', $error->getErrorCode());
        }
    }

    public function testA200WithoutEnvelopeIsAnError(): void
    {
        $this->expectException(Exception\InvalidRequest::class);
        Envelope::read(new Response(200, [], 'OK'));
    }
}
