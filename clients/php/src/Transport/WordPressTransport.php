<?php

namespace Pixpress\Transport;

use Pixpress\Exception\ConnectionError;

/**
 * The transport inside WordPress: wp_remote_request, so the site's proxy settings, CA bundle and the
 * `http_request_args` / `pre_http_request` filters apply as for any other plugin request.
 */
final class WordPressTransport implements Transport
{
    public function send(Request $request): Response
    {
        $answer = \wp_remote_request($request->url, [
            'method' => $request->method,
            'headers' => $request->headers,
            'body' => $request->body,
            'timeout' => $request->timeoutS,
            'redirection' => 0,
        ]);
        if (\is_wp_error($answer)) {
            $message = $answer->get_error_message();
            throw new ConnectionError(
                'connection_failed',
                sprintf('cannot reach pixpress at %s (%s)', $request->url, $message),
                0,
                ['sent' => self::maybeSent($message)]
            );
        }
        $headers = [];
        foreach (\wp_remote_retrieve_headers($answer) as $name => $value) {
            // A repeated header comes as an array: the last one counts, like curl's header callback.
            $headers[strtolower((string) $name)] = is_array($value) ? (string) end($value) : (string) $value;
        }
        return new Response(
            (int) \wp_remote_retrieve_response_code($answer),
            $headers,
            (string) \wp_remote_retrieve_body($answer)
        );
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
