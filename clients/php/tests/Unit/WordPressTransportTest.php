<?php

namespace Pixpress\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Pixpress\Client;
use Pixpress\Exception\ConnectionError;
use Pixpress\Exception\InvalidToken;
use Pixpress\Tests\Support\RecordingSleeper;
use Pixpress\Transport\CurlTransport;
use Pixpress\Transport\Transports;
use Pixpress\Transport\WordPressTransport;

/**
 * WordPress is chosen inside WordPress, and its answers (arrays, WP_Error) become the same Responses and
 * exceptions as curl's. The WordPress functions are shims with WordPress's shapes (tests/Support/wordpress_shim.php).
 *
 * @runTestsInSeparateProcesses
 * @preserveGlobalState disabled
 */
final class WordPressTransportTest extends TestCase
{
    public function testCurlOutsideWordPress(): void
    {
        $this->assertInstanceOf(CurlTransport::class, Transports::detect());
    }

    public function testWordPressInsideWordPressWithRetryAfterHonoured(): void
    {
        require __DIR__ . '/../Support/wordpress_shim.php';
        $GLOBALS['wp_script'] = [
            [
                'headers' => ['Retry-After' => '5', 'content-type' => 'application/json'],
                'body' => json_encode(['success' => false, 'error' => ['code' => 'too_many_pending', 'message' => 'wait']]),
                'response' => ['code' => 429, 'message' => 'Too Many Requests'],
            ],
            [
                'headers' => ['content-type' => 'image/webp'],
                'body' => 'RIFF....WEBP',
                'response' => ['code' => 200, 'message' => 'OK'],
            ],
        ];
        $this->assertInstanceOf(WordPressTransport::class, Transports::detect());
        $sleeper = new RecordingSleeper();
        $client = new Client('https://img.example.com/', 'site-token', ['sleep' => $sleeper, 'timeout_s' => 15]);

        $this->assertSame('RIFF....WEBP', $client->download('t1', 'webp'));

        $this->assertSame([5.0], $sleeper->waits);
        $sent = $GLOBALS['wp_requests'][0];
        $this->assertSame('https://img.example.com/api/optimize/download/t1?variant=webp', $sent['url']);
        $this->assertSame('GET', $sent['args']['method']);
        $this->assertSame('site-token', $sent['args']['headers']['X-Token']);
        $this->assertSame(15.0, $sent['args']['timeout']);
        $this->assertSame(0, $sent['args']['redirection']);
    }

    public function testErrorEnvelopeThroughWordPress(): void
    {
        require __DIR__ . '/../Support/wordpress_shim.php';
        $GLOBALS['wp_script'] = [[
            'headers' => [],
            'body' => json_encode(['success' => false, 'error' => ['code' => 'invalid_token', 'message' => 'no']]),
            'response' => ['code' => 401, 'message' => 'Unauthorized'],
        ]];
        $this->expectException(InvalidToken::class);
        (new Client('https://img.example.com', 'bad'))->quota();
    }

    public function testWpErrorIsConnectionError(): void
    {
        require __DIR__ . '/../Support/wordpress_shim.php';
        $GLOBALS['wp_script'] = [
            new \WP_Error('http_request_failed', 'cURL error 7: Failed to connect to img.example.com port 443'),
            new \WP_Error('http_request_failed', 'cURL error 28: Operation timed out after 15001 milliseconds'),
        ];
        $transport = new WordPressTransport();
        $request = new \Pixpress\Transport\Request('GET', 'https://img.example.com/api/optimize/quota');
        $sent = [];
        foreach ([1, 2] as $_) {
            try {
                $transport->send($request);
                $this->fail('no exception');
            } catch (ConnectionError $error) {
                $sent[] = $error->getDetails()['sent'];
            }
        }
        $this->assertSame([false, true], $sent);
    }
}
