<?php

namespace Pixpress;

/** One API call, before the client adds its base URL and token: what Calls builds and Client sends. */
final class Call
{
    public string $method;
    public string $path;
    /** @var array<string, string|int|float> */
    public array $query;
    /** @var array<string, string> */
    public array $headers;
    public ?string $body;
    /** Safe to send again when the connection broke after the request went out. */
    public bool $idempotent;
    /** The answer is the bytes themselves (download), not a JSON envelope. */
    public bool $raw;

    /**
     * @param array<string, string|int|float> $query
     * @param array<string, string> $headers
     */
    public function __construct(
        string $method,
        string $path,
        bool $idempotent,
        array $query = [],
        array $headers = [],
        ?string $body = null,
        bool $raw = false
    ) {
        $this->method = $method;
        $this->path = $path;
        $this->idempotent = $idempotent;
        $this->query = $query;
        $this->headers = $headers;
        $this->body = $body;
        $this->raw = $raw;
    }

    public function url(string $baseUrl): string
    {
        $url = $baseUrl . $this->path;
        return $this->query ? $url . '?' . http_build_query($this->query, '', '&', PHP_QUERY_RFC3986) : $url;
    }
}
