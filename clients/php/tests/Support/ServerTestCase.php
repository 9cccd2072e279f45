<?php

namespace Pixpress\Tests\Support;

use PHPUnit\Framework\TestCase;
use Pixpress\Client;
use Pixpress\Transport\CurlTransport;

/** Tests against the real server: clients for its tokens, each with a recording transport. */
abstract class ServerTestCase extends TestCase
{
    protected Server $server;
    protected RecordingTransport $transport;

    protected function setUp(): void
    {
        $this->server = Server::get();
        $this->transport = new RecordingTransport(new CurlTransport());
    }

    /** @param array<string, mixed> $options */
    protected function client(string $token, array $options = []): Client
    {
        return new Client($this->server->url, $token, $options + ['transport' => $this->transport]);
    }

    protected static function photo(string $name): string
    {
        $path = Server::corpus($name);
        if (!is_file($path)) {
            self::fail("corpus image $path missing (set PIXPRESS_CORPUS)");
        }
        return $path;
    }

    protected function onNotSuccessfulTest(\Throwable $t): void
    {
        // The server's own account of what went wrong, next to the failure.
        fwrite(STDERR, "\n--- pixpress serve log (tail) ---\n" . $this->server->log() . "\n");
        parent::onNotSuccessfulTest($t);
    }
}
