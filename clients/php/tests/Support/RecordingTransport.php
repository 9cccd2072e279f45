<?php

namespace Pixpress\Tests\Support;

use Pixpress\Transport\Request;
use Pixpress\Transport\Response;
use Pixpress\Transport\Transport;

/** Passes every request to a real transport and keeps the requests and statuses, to count attempts. */
final class RecordingTransport implements Transport
{
    private Transport $inner;
    /** @var list<Request> */
    public array $requests = [];
    /** @var list<int> status of each answer, 0 when none came */
    public array $statuses = [];

    public function __construct(Transport $inner)
    {
        $this->inner = $inner;
    }

    public function send(Request $request): Response
    {
        $this->requests[] = $request;
        $this->statuses[] = 0;
        $response = $this->inner->send($request);
        $this->statuses[count($this->statuses) - 1] = $response->status;
        return $response;
    }

    /** @return list<Request> the requests whose URL path contains $fragment */
    public function to(string $fragment): array
    {
        return array_values(array_filter($this->requests, fn (Request $r) => strpos($r->url, $fragment) !== false));
    }
}
