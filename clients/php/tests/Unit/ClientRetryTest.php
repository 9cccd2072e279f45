<?php

namespace Pixpress\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Pixpress\Client;
use Pixpress\Exception;
use Pixpress\RetryPolicy;
use Pixpress\Tests\Support\RecordingSleeper;
use Pixpress\Tests\Support\ScriptedTransport;

/** The retry policy through the Client, over scripted answers a real server will not give on demand. */
final class ClientRetryTest extends TestCase
{
    private RecordingSleeper $sleeper;

    protected function setUp(): void
    {
        $this->sleeper = new RecordingSleeper();
    }

    private function client(ScriptedTransport $transport, ?RetryPolicy $retry = null): Client
    {
        $options = ['transport' => $transport, 'sleep' => $this->sleeper];
        return new Client('http://pixpress.test', 'tok', $retry ? $options + ['retry' => $retry] : $options);
    }

    public function testA503IsRetriedAfterItsRetryAfter(): void
    {
        $transport = new ScriptedTransport([
            ScriptedTransport::error(503, 'service_unavailable', ['Retry-After' => '2']),
            ScriptedTransport::ok(['task_id' => 't1', 'status' => 'queued']),
        ]);
        $task = $this->client($transport)->submit("\x89PNG bytes", ['mode' => 'lossy']);

        $this->assertSame('t1', $task->getId());
        $this->assertSame([2.0], $this->sleeper->waits);
        $this->assertCount(2, $transport->requests);
        // The very same request again: same key, same body, so the server charges it once.
        $this->assertEquals($transport->requests[0], $transport->requests[1]);
    }

    public function testA503WithAnHttpDateIsRetried(): void
    {
        $when = gmdate('D, d M Y H:i:s \G\M\T', time() + 3);
        $transport = new ScriptedTransport([
            ScriptedTransport::error(503, 'license_server_unavailable', ['Retry-After' => $when]),
            ScriptedTransport::ok(['used_mb' => 0]),
        ]);
        $this->client($transport)->quota();
        $this->assertCount(1, $this->sleeper->waits);
        $this->assertEqualsWithDelta(3.0, $this->sleeper->waits[0], 1.5);
    }

    public function testWithoutRetryAfterTheBackoffDoublesThenGivesUp(): void
    {
        $transport = new ScriptedTransport(array_fill(0, 5, ScriptedTransport::error(503, 'service_unavailable')));
        try {
            $this->client($transport)->quota();
            $this->fail('no exception after the retries');
        } catch (Exception\ServiceUnavailable $error) {
            $this->assertSame(503, $error->getHttpStatus());
        }
        $this->assertSame([0.5, 1.0, 2.0, 4.0], $this->sleeper->waits);
        $this->assertCount(5, $transport->requests);
    }

    public function testARetryAfterAboveTheMaximumGivesUpAtOnce(): void
    {
        $transport = new ScriptedTransport([ScriptedTransport::error(429, 'rate_limited', ['Retry-After' => '3600'])]);
        $this->expectException(Exception\RateLimited::class);
        try {
            $this->client($transport)->quota();
        } finally {
            $this->assertSame([], $this->sleeper->waits);
        }
    }

    public function testTotalWaitIsBounded(): void
    {
        $transport = new ScriptedTransport(array_fill(0, 3, ScriptedTransport::error(429, 'too_many_pending', ['Retry-After' => '5'])));
        $this->expectException(Exception\TooManyPending::class);
        try {
            $this->client($transport, new RetryPolicy(10, 60.0, 12.0))->quota();
        } finally {
            $this->assertSame([5.0, 5.0], $this->sleeper->waits); // a third 5 s would pass 12 s in all
        }
    }

    /** @dataProvider neverRetried */
    public function testNeverRetried(int $status, string $code): void
    {
        $transport = new ScriptedTransport([ScriptedTransport::error($status, $code, ['Retry-After' => '1'])]);
        try {
            $this->client($transport)->quota();
            $this->fail('no exception');
        } catch (Exception\PixpressException $error) {
            $this->assertSame($code, $error->getErrorCode());
        }
        $this->assertCount(1, $transport->requests);
        $this->assertSame([], $this->sleeper->waits);
    }

    /** @return array<string, array{int, string}> */
    public function neverRetried(): array
    {
        return [
            'quota_exceeded' => [429, 'quota_exceeded'],
            'invalid_token' => [401, 'invalid_token'],
            'invalid_image' => [422, 'invalid_image'],
            'internal_error' => [500, 'internal_error'],
        ];
    }

    public function testLostConnectionRetriesOnlyIdempotentCalls(): void
    {
        $lost = fn () => new Exception\ConnectionError('connection_failed', 'reset', 0, ['sent' => true]);
        $transport = new ScriptedTransport([$lost(), ScriptedTransport::ok(['used_mb' => 0])]);
        $this->client($transport)->quota();
        $this->assertCount(2, $transport->requests);

        // A second reset after a lost answer would report old_usage_mb 0 and hide the first one's figures.
        $transport = new ScriptedTransport([$lost()]);
        $this->expectException(Exception\ConnectionError::class);
        try {
            $this->client($transport)->resetUsage('customer');
        } finally {
            $this->assertCount(1, $transport->requests);
        }
    }

    public function testNotConnectedRetriesEvenANonIdempotentCall(): void
    {
        $refused = new Exception\ConnectionError('connection_failed', 'refused', 0, ['sent' => false]);
        $transport = new ScriptedTransport([$refused, ScriptedTransport::ok(['token' => 'customer', 'new_usage_mb' => 0])]);
        $this->assertSame('customer', $this->client($transport)->resetUsage('customer')['token']);
        $this->assertSame([0.5], $this->sleeper->waits);
    }

    public function testWaitForPollsWithGrowingDelays(): void
    {
        $transport = new ScriptedTransport([
            ScriptedTransport::ok(['status' => 'queued']),
            ScriptedTransport::ok(['status' => 'processing']),
            ScriptedTransport::ok(['status' => 'processing']),
            ScriptedTransport::ok(['status' => 'failed', 'error' => ['code' => 'invalid_image', 'message' => 'broken']]),
        ]);
        $task = $this->client($transport)->waitFor('t1', 60);
        $this->assertSame('failed', $task->getStatus());
        $this->assertEqualsWithDelta([0.2, 0.3, 0.45], $this->sleeper->waits, 1e-9);
    }

    public function testOptimizeRaisesTheFailedTasksCode(): void
    {
        $transport = new ScriptedTransport([
            ScriptedTransport::ok(['task_id' => 't1', 'status' => 'failed', 'error' => ['code' => 'invalid_image', 'message' => 'broken']]),
        ]);
        try {
            $this->client($transport)->optimize("GIF89a broken");
            $this->fail('no exception');
        } catch (Exception\TaskFailed $error) {
            $this->assertSame('invalid_image', $error->getErrorCode());
            $this->assertSame('t1', $error->getDetails()['task_id']);
        }
        $this->assertStringEndsWith('/submit?wait=10', $transport->requests[0]->url);
    }
}
