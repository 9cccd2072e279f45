<?php

namespace Pixpress\Transport;

use Pixpress\Exception\ConnectionError;
use Pixpress\Exception\UrlNotAllowed;

/**
 * The transport inside WordPress: the WordPress HTTP API, so the site's proxy settings, CA bundle and the
 * `http_request_args` / `pre_http_request` filters apply as for any other plugin request.
 *
 * By default through wp_safe_remote_request: a URL on a loopback or private address (or a port other than
 * 80, 443 and 8080) is refused before anything is sent (UrlNotAllowed), so whoever can change the server
 * URL cannot aim the site at its own network. `new WordPressTransport(true)` allows such an address, for a
 * pixpress server on the site's own network.
 */
final class WordPressTransport implements Transport
{
    private bool $allowPrivate;

    public function __construct(bool $allowPrivate = false)
    {
        $this->allowPrivate = $allowPrivate;
    }

    public function send(Request $request): Response
    {
        if (!$this->allowPrivate && !\wp_http_validate_url($request->url)) {
            throw new UrlNotAllowed(
                'url_not_allowed',
                sprintf(
                    'WordPress does not send to %s: a loopback or private address, a name that does not resolve, or a port other than 80, 443 and 8080 (allow private addresses to use it)',
                    $request->url
                ),
                0,
                ['sent' => false]
            );
        }
        // The body is streamed to a temporary file, WordPress keeping at most one byte past the cap, so an
        // answer larger than the cap is known without ever holding it in memory.
        $file = tempnam(function_exists('get_temp_dir') ? \get_temp_dir() : sys_get_temp_dir(), 'pixpress-');
        if ($file === false) {
            throw new ConnectionError('connection_failed', 'no temporary file for the answer', 0, ['sent' => false]);
        }
        try {
            $args = [
                'method' => $request->method,
                'headers' => $request->headers,
                'body' => $request->body,
                'timeout' => $request->timeoutS,
                'redirection' => 0,
                'stream' => true,
                'filename' => $file,
                'limit_response_size' => $request->maxResponseBytes + 1,
            ];
            $answer = $this->allowPrivate
                ? \wp_remote_request($request->url, $args)
                : \wp_safe_remote_request($request->url, $args);
            if (\is_wp_error($answer)) {
                $message = $answer->get_error_message();
                throw new ConnectionError(
                    'connection_failed',
                    sprintf('cannot reach pixpress at %s (%s)', $request->url, $message),
                    0,
                    ['sent' => self::maybeSent($message)]
                );
            }
            $status = (int) \wp_remote_retrieve_response_code($answer);
            clearstatcache(true, $file);
            if ((int) filesize($file) > $request->maxResponseBytes) {
                throw $request->tooLarge($status, 'longer');
            }
            $headers = [];
            foreach (\wp_remote_retrieve_headers($answer) as $name => $value) {
                // A repeated header comes as an array: the last one counts, like curl's header callback.
                $headers[strtolower((string) $name)] = is_array($value) ? (string) end($value) : (string) $value;
            }
            return new Response($status, $headers, (string) file_get_contents($file));
        } finally {
            @unlink($file); // phpcs:ignore WordPress.PHP.NoSilencedErrors
        }
    }

    /** WordPress reports curl's errors as "cURL error N: ...": 5, 6 and 7 mean no connection was made. */
    private static function maybeSent(string $message): bool
    {
        if (preg_match('/cURL error (\d+)/', $message, $match)) {
            return !in_array((int) $match[1], [5, 6, 7], true);
        }
        return true;
    }
}
