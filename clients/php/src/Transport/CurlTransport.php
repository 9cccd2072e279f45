<?php

namespace Pixpress\Transport;

use Pixpress\Exception\ConnectionError;

/** The transport outside WordPress: ext-curl, one handle per request. */
final class CurlTransport implements Transport
{
    /** curl errors raised before a connection existed: the request never left, so any call may be retried. */
    private const NOT_SENT = [
        6, // CURLE_COULDNT_RESOLVE_HOST
        7, // CURLE_COULDNT_CONNECT
        5, // CURLE_COULDNT_RESOLVE_PROXY
    ];

    private float $connectTimeoutS;

    public function __construct(float $connectTimeoutS = 10.0)
    {
        if (!function_exists('curl_init')) {
            throw new \LogicException('pixpress: ext-curl is missing (install php-curl) and WordPress is not loaded');
        }
        $this->connectTimeoutS = $connectTimeoutS;
    }

    public function send(Request $request): Response
    {
        $headers = [];
        $handle = curl_init($request->url);
        $lines = [];
        foreach ($request->headers as $name => $value) {
            $lines[] = $name . ': ' . $value;
        }
        $lines[] = 'Expect:'; // no "100 Continue" round trip before an upload
        curl_setopt_array($handle, [
            CURLOPT_CUSTOMREQUEST => $request->method,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_RETURNTRANSFER => true,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_CONNECTTIMEOUT_MS => (int) ($this->connectTimeoutS * 1000),
            CURLOPT_TIMEOUT_MS => (int) ($request->timeoutS * 1000),
            CURLOPT_HEADERFUNCTION => function ($handle, string $line) use (&$headers): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $headers[strtolower(trim($parts[0]))] = trim($parts[1]);
                } elseif (stripos($line, 'HTTP/') === 0) {
                    $headers = []; // a new status line (after a 100 Continue): start over
                }
                return strlen($line);
            },
        ]);
        if ($request->body !== null) {
            curl_setopt($handle, CURLOPT_POSTFIELDS, $request->body);
        }
        $body = curl_exec($handle);
        $errno = curl_errno($handle);
        if ($body === false || $errno !== 0) {
            $error = curl_error($handle);
            // A connect timeout (28 with no connection made) also means nothing was sent.
            $connected = curl_getinfo($handle, CURLINFO_CONNECT_TIME) > 0;
            $sent = !in_array($errno, self::NOT_SENT, true) && !($errno === 28 && !$connected);
            curl_close($handle);
            throw new ConnectionError(
                'connection_failed',
                sprintf('cannot reach pixpress at %s (curl error %d: %s)', $request->url, $errno, $error),
                0,
                ['sent' => $sent, 'curl_errno' => $errno]
            );
        }
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        curl_close($handle);
        return new Response($status, $headers, (string) $body);
    }
}
