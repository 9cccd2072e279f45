<?php

namespace Pixpress\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Pixpress\Client;
use Pixpress\Exception\ConnectionError;
use Pixpress\Tests\Support\RecordingSleeper;
use Pixpress\Transport\CurlTransport;
use Pixpress\Transport\Request;

/** The real curl transport against a loopback port nobody listens on. */
final class CurlTransportTest extends TestCase
{
    private static function closedPort(): int
    {
        $socket = stream_socket_server('tcp://127.0.0.1:0');
        $name = stream_socket_get_name($socket, false);
        fclose($socket); // nobody listens there any more: connection refused
        return (int) substr($name, strrpos($name, ':') + 1);
    }

    public function testRefusedIsConnectionErrorNotSent(): void
    {
        try {
            (new CurlTransport())->send(new Request('GET', 'http://127.0.0.1:' . self::closedPort() . '/health'));
            $this->fail('no exception');
        } catch (ConnectionError $error) {
            $this->assertSame('connection_failed', $error->getErrorCode());
            $this->assertSame(0, $error->getHttpStatus());
            $this->assertFalse($error->getDetails()['sent']);
        }
    }

    public function testTheClientRetriesARefusedConnectionThenGivesUp(): void
    {
        $sleeper = new RecordingSleeper();
        $client = new Client('http://127.0.0.1:' . self::closedPort(), 'tok', ['sleep' => $sleeper, 'transport' => new CurlTransport()]);
        $this->expectException(ConnectionError::class);
        try {
            $client->resetUsage('customer'); // not idempotent, but nothing left: safe to repeat
        } finally {
            $this->assertSame([0.5, 1.0, 2.0, 4.0], $sleeper->waits);
        }
    }
}
