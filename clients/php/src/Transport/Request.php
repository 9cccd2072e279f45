<?php

namespace Pixpress\Transport;

/** One HTTP request as it goes on the wire: what a Transport sends, and what a test can look at. */
final class Request
{
    public string $method;
    public string $url;
    /** @var array<string, string> header name => value */
    public array $headers;
    public ?string $body;
    public float $timeoutS;
    /** The largest answer body accepted: a transport cuts the transfer off past it (ResponseTooLarge). */
    public int $maxResponseBytes;

    /** @param array<string, string> $headers */
    public function __construct(
        string $method,
        string $url,
        array $headers = [],
        ?string $body = null,
        float $timeoutS = 60.0,
        int $maxResponseBytes = 1048576
    ) {
        $this->method = $method;
        $this->url = $url;
        $this->headers = $headers;
        $this->body = $body;
        $this->timeoutS = $timeoutS;
        $this->maxResponseBytes = $maxResponseBytes;
    }

    /** The error of an answer past maxResponseBytes. */
    public function tooLarge(int $status, string $seen): \Pixpress\Exception\ResponseTooLarge
    {
        return new \Pixpress\Exception\ResponseTooLarge(
            'response_too_large',
            sprintf('the answer of %s is %s, more than the %d bytes this client accepts', $this->url, $seen, $this->maxResponseBytes),
            $status,
            ['max_response_bytes' => $this->maxResponseBytes]
        );
    }
}
