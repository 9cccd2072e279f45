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
    /** CURLE_FILESIZE_EXCEEDED: the Content-Length announced more than CURLOPT_MAXFILESIZE. */
    private const FILESIZE_EXCEEDED = 63;

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
        // The body goes to a temporary stream (in memory up to 1 MB, then a file) and the transfer stops
        // once it passes the cap, so a huge answer never sits in PHP's memory.
        $sink = fopen('php://temp/maxmemory:1048576', 'w+b');
        $received = 0;
        $overflow = false;
        curl_setopt_array($handle, [
            CURLOPT_CUSTOMREQUEST => $request->method,
            CURLOPT_HTTPHEADER => $lines,
            CURLOPT_FOLLOWLOCATION => false,
            CURLOPT_CONNECTTIMEOUT_MS => (int) ($this->connectTimeoutS * 1000),
            CURLOPT_TIMEOUT_MS => (int) ($request->timeoutS * 1000),
            CURLOPT_MAXFILESIZE => $request->maxResponseBytes, // a Content-Length past it: refused at once
            CURLOPT_HEADERFUNCTION => function ($handle, string $line) use (&$headers): int {
                $parts = explode(':', $line, 2);
                if (count($parts) === 2) {
                    $headers[strtolower(trim($parts[0]))] = trim($parts[1]);
                } elseif (stripos($line, 'HTTP/') === 0) {
                    $headers = []; // a new status line (after a 100 Continue): start over
                }
                return strlen($line);
            },
            CURLOPT_WRITEFUNCTION => function ($handle, string $data) use ($sink, $request, &$received, &$overflow): int {
                $received += strlen($data);
                if ($received > $request->maxResponseBytes) {
                    $overflow = true;
                    return 0; // fewer bytes than given: curl aborts the transfer
                }
                return (int) fwrite($sink, $data);
            },
        ]);
        if ($request->body !== null) {
            curl_setopt($handle, CURLOPT_POSTFIELDS, $request->body);
        }
        $ok = curl_exec($handle);
        $errno = curl_errno($handle);
        $status = (int) curl_getinfo($handle, CURLINFO_RESPONSE_CODE);
        if ($overflow || $errno === self::FILESIZE_EXCEEDED) {
            curl_close($handle);
            fclose($sink);
            throw $request->tooLarge($status, $overflow ? 'longer' : 'announced larger');
        }
        if ($ok === false || $errno !== 0) {
            fclose($sink);
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
        curl_close($handle);
        rewind($sink);
        $body = (string) stream_get_contents($sink);
        fclose($sink);
        return new Response($status, $headers, $body);
    }
}
