<?php

namespace Pixpress\Tests\E2E;

use Pixpress\Exception\AdminRequired;
use Pixpress\Exception\InvalidToken;
use Pixpress\Exception\QuotaExceeded;
use Pixpress\Exception\UnsupportedFormat;
use Pixpress\Tests\Support\RecordingSleeper;
use Pixpress\Tests\Support\ServerTestCase;

final class ErrorsTest extends ServerTestCase
{
    public function testUnknownTokenIsInvalidTokenWithoutRetry(): void
    {
        $sleeper = new RecordingSleeper();
        try {
            $this->client('php-nobody-knows-me', ['sleep' => $sleeper])->quota();
            $this->fail('an unknown token was accepted');
        } catch (InvalidToken $error) {
            $this->assertSame('invalid_token', $error->getErrorCode());
            $this->assertSame(401, $error->getHttpStatus());
        }
        $this->assertCount(1, $this->transport->requests);
        $this->assertSame([], $sleeper->waits);
    }

    public function testQuotaExceededIsNeverRetried(): void
    {
        $sleeper = new RecordingSleeper();
        $client = $this->client('php-tiny', ['sleep' => $sleeper]);
        try {
            $client->submit(self::photo('rocket.jpg'));
            $this->fail('an upload above the quota was accepted');
        } catch (QuotaExceeded $error) {
            $this->assertSame('quota_exceeded', $error->getErrorCode());
            $this->assertSame(429, $error->getHttpStatus());
            $this->assertEquals(0.05, $error->getDetails()['quota_info']['limit_mb']);
        }
        $this->assertCount(1, $this->transport->to('/submit'), 'quota_exceeded was retried');
        $this->assertSame([], $sleeper->waits);
        $this->assertEquals(0, $client->quota()['used_mb'], 'a refused upload was charged');
    }

    public function testNotAnImageIsUnsupportedFormat(): void
    {
        $this->expectException(UnsupportedFormat::class);
        $this->client('php-e2e')->submit("<html>not an image</html>\n", ['filename' => 'fake.png']);
    }

    public function testCustomerTokenCannotResetUsage(): void
    {
        $this->expectException(AdminRequired::class);
        $this->client('php-e2e')->resetUsage('php-e2e');
    }
}
