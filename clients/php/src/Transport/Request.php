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

    /** @param array<string, string> $headers */
    public function __construct(string $method, string $url, array $headers = [], ?string $body = null, float $timeoutS = 60.0)
    {
        $this->method = $method;
        $this->url = $url;
        $this->headers = $headers;
        $this->body = $body;
        $this->timeoutS = $timeoutS;
    }
}
