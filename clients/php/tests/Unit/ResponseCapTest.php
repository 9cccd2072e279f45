<?php

namespace Pixpress\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Pixpress\Client;
use Pixpress\Exception\ResponseTooLarge;
use Pixpress\Tests\Support\HostileServer;
use Pixpress\Tests\Support\RecordingSleeper;
use Pixpress\Transport\CurlTransport;

/**
 * A server that answers too much (tests/Support/hostile_router.php on loopback): the curl transport
 * streams the body to a temporary file and stops at the cap, so the client raises ResponseTooLarge
 * instead of dying of PHP's memory limit. Each test runs in its own process under a host-like 256 MB
 * memory limit, so a client that held the body would end in a fatal error here.
 *
 * @runTestsInSeparateProcesses
 * @preserveGlobalState disabled
 */
final class ResponseCapTest extends TestCase
{
    private const MEMORY_LIMIT = '256M';
    private RecordingSleeper $sleeper;

    protected function setUp(): void
    {
        ini_set('memory_limit', self::MEMORY_LIMIT);
        $this->sleeper = new RecordingSleeper();
    }

    /** @param array<string, mixed> $options */
    private function client(string $mode, array $options = []): Client
    {
        return new Client(HostileServer::get()->url . '/' . $mode, 'tok', $options + [
            'transport' => new CurlTransport(),
            'sleep' => $this->sleeper,
        ]);
    }

    private function assertTooLarge(callable $call, int $capBytes): ResponseTooLarge
    {
        try {
            $call();
        } catch (ResponseTooLarge $error) {
            $this->assertSame('response_too_large', $error->getErrorCode());
            $this->assertSame($capBytes, $error->getDetails()['max_response_bytes']);
            $this->assertSame([], $this->sleeper->waits); // not retried: the same answer would come again
            $this->assertLessThan(64 * 1048576, memory_get_peak_usage(true));
            return $error;
        }
        $this->fail('no ResponseTooLarge');
    }

    public function testA700MbDownloadIsRefusedWithTheDefaultCap(): void
    {
        $error = $this->assertTooLarge(fn () => $this->client('announced')->download('t1'), 100 * 1048576);
        $this->assertSame(200, $error->getHttpStatus());
    }

    public function testADownloadWithoutLengthIsCutOffAtTheCap(): void
    {
        $this->assertTooLarge(fn () => $this->client('endless', ['max_download_mb' => 2])->download('t1'), 2 * 1048576);
    }

    public function testJsonAnswersAreCappedSmall(): void
    {
        $this->assertTooLarge(fn () => $this->client('json')->status('t1'), 1048576);
        // The cap is the client's option: a larger one takes the same answer.
        $this->assertSame('done', $this->client('json', ['max_json_kb' => 4096])->status('t1')->getStatus());
    }

    public function testAnswersUnderTheCapArriveWhole(): void
    {
        $this->assertSame(str_repeat('p', 1024), $this->client('small', ['max_download_mb' => 0.001])->download('t1'));
    }
}
