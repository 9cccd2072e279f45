<?php

namespace Pixpress\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Pixpress\Client;
use Pixpress\Exception\ConnectionError;
use Pixpress\Exception\InvalidToken;
use Pixpress\Exception\ResponseTooLarge;
use Pixpress\Exception\UrlNotAllowed;
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
        $this->assertSame('wp_safe_remote_request', $sent['function']);
        $this->assertTrue($sent['args']['stream']);
        $this->assertSame(100 * 1048576 + 1, $sent['args']['limit_response_size']);
        $this->assertFileDoesNotExist($sent['args']['filename']); // the temporary file is gone
    }

    public function testAPrivateAddressIsRefusedUnlessAllowed(): void
    {
        require __DIR__ . '/../Support/wordpress_shim.php';
        $ok = [
            'headers' => [],
            'body' => json_encode(['success' => true, 'data' => ['quota_mb' => 5]]),
            'response' => ['code' => 200, 'message' => 'OK'],
        ];
        $GLOBALS['wp_script'] = [$ok, $ok];
        $sleeper = new RecordingSleeper();
        foreach (['http://127.0.0.1:8080', 'http://10.0.0.5', 'http://192.168.1.20:8000'] as $url) {
            try {
                (new Client($url, 'tok', ['sleep' => $sleeper]))->quota();
                $this->fail("no UrlNotAllowed for $url");
            } catch (UrlNotAllowed $error) {
                $this->assertSame('url_not_allowed', $error->getErrorCode());
                $this->assertStringContainsString($url, $error->getMessage());
                $this->assertStringContainsString('private', $error->getMessage());
            }
        }
        $this->assertSame([], $GLOBALS['wp_requests'] ?? []); // nothing sent
        $this->assertSame([], $sleeper->waits); // nor retried

        $allowed = new Client('http://10.0.0.5', 'tok', ['transport' => new WordPressTransport(true)]);
        $this->assertSame(['quota_mb' => 5], $allowed->quota());
        $this->assertSame('wp_remote_request', $GLOBALS['wp_requests'][0]['function']);
        $this->assertSame(['quota_mb' => 5], (new Client('https://img.example.com', 'tok'))->quota());
        $this->assertSame('wp_safe_remote_request', $GLOBALS['wp_requests'][1]['function']);
    }

    public function testAnAnswerPastTheCapIsResponseTooLarge(): void
    {
        require __DIR__ . '/../Support/wordpress_shim.php';
        $GLOBALS['wp_script'] = [[
            'headers' => ['content-type' => 'image/jpeg'],
            'body' => str_repeat('j', 3000),
            'response' => ['code' => 200, 'message' => 'OK'],
        ]];
        $client = new Client('https://img.example.com', 'tok', ['max_download_mb' => 2000 / 1048576]);
        try {
            $client->download('t1');
            $this->fail('no ResponseTooLarge');
        } catch (ResponseTooLarge $error) {
            $this->assertSame('response_too_large', $error->getErrorCode());
            $this->assertSame(200, $error->getHttpStatus());
        }
        $this->assertSame(2001, $GLOBALS['wp_requests'][0]['args']['limit_response_size']);
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
