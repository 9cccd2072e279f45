<?php

namespace Pixpress\Tests\E2E;

use Pixpress\Client;
use Pixpress\Tests\Support\RecordingSleeper;
use Pixpress\Tests\Support\Server;
use Pixpress\Tests\Support\ServerTestCase;

final class RetryAndChargingTest extends ServerTestCase
{
    private const MB = 1048576;

    /**
     * The server allows Server::MAX_PENDING (1) unfinished task per token: a second upload while the first
     * runs gets a real 429 too_many_pending with Retry-After. The sleeper records the wait the client asks
     * for and, instead of sleeping those seconds, waits for the first task to finish; the retry then passes.
     */
    public function testTooManyPendingIsWaitedOutPerRetryAfter(): void
    {
        $observer = new Client($this->server->url, 'php-pending');
        $first = $observer->submit(self::photo('kodim03.png'), ['mode' => 'glossy']);
        $sleeper = new RecordingSleeper(function () use ($observer, $first): void {
            $observer->waitFor($first->getId(), 120);
        });
        $client = $this->client('php-pending', ['sleep' => $sleeper]);

        $second = $client->submit(self::photo('rocket.jpg'));

        $this->assertSame([5.0], $sleeper->waits, 'the client did not wait as the server asked');
        $this->assertSame([429, 200], $this->transport->statuses);
        $submits = $this->transport->to('/submit');
        $this->assertSame($submits[0]->headers['Idempotency-Key'], $submits[1]->headers['Idempotency-Key']);
        $this->assertNotSame($first->getId(), $second->getId());
        $this->assertSame('done', $client->waitFor($second->getId(), 120)->getStatus());
    }

    public function testSameContentTwiceIsOneTaskChargedOnce(): void
    {
        $path = self::photo('kodim03.png');
        $client = $this->client('php-idem');

        $first = $client->submit($path, ['mode' => 'lossy', 'keep_metadata' => 'none']);
        $again = $client->submit(file_get_contents($path), ['keep_metadata' => 'none', 'mode' => 'lossy', 'filename' => 'other-name.png']);

        $this->assertSame($first->getId(), $again->getId());
        $this->assertFalse($first->isReplay());
        $this->assertTrue($again->isReplay());
        $keys = array_map(fn ($r) => $r->headers['Idempotency-Key'], $this->transport->to('/submit'));
        $this->assertCount(2, $keys);
        $this->assertSame($keys[0], $keys[1]);
        $this->assertStringStartsWith('sha256-', $keys[0]);
        $this->assertEquals(round(filesize($path) / self::MB, 2), $client->quota()['used_mb']);
        $client->waitFor($first->getId(), 120);
    }

    public function testAdminResetsUsage(): void
    {
        $path = self::photo('rocket.jpg');
        $customer = $this->client('php-reset');
        $customer->waitFor($customer->submit($path)->getId(), 120);
        $used = $customer->quota()['used_mb'];
        $this->assertEquals(round(filesize($path) / self::MB, 2), $used);

        $admin = $this->client(Server::ADMIN_TOKEN);
        $reset = $admin->resetUsage('php-reset');

        $this->assertSame('php-reset', $reset['token']);
        $this->assertEquals($used, $reset['old_usage_mb']);
        $this->assertEquals(0, $reset['new_usage_mb']);
        $this->assertEquals(1000, $reset['remaining_mb']);
        $this->assertEquals(0, $customer->quota()['used_mb']);
        $this->assertEquals(0, $customer->refreshQuota()['used_mb']);
    }
}
