<?php

namespace Pixpress\Tests\Support;

use Pixpress\Transport\Request;
use Pixpress\Transport\Response;
use Pixpress\Transport\Transport;

/** Answers from a script (Responses, or Throwables to throw), for edge cases a real server will not produce on demand. */
final class ScriptedTransport implements Transport
{
    /** @var list<Response|\Throwable> */
    private array $script;
    /** @var list<Request> */
    public array $requests = [];

    /** @param list<Response|\Throwable> $script */
    public function __construct(array $script)
    {
        $this->script = $script;
    }

    public function send(Request $request): Response
    {
        $this->requests[] = $request;
        if (!$this->script) {
            throw new \LogicException('the client sent more requests than the test scripted');
        }
        $next = array_shift($this->script);
        if ($next instanceof \Throwable) {
            throw $next;
        }
        return $next;
    }

    /** @param array<string, mixed> $body */
    public static function json(int $status, array $body, array $headers = []): Response
    {
        return new Response($status, $headers + ['content-type' => 'application/json'], json_encode($body));
    }

    public static function error(int $status, string $code, array $headers = []): Response
    {
        return self::json($status, ['success' => false, 'error' => ['code' => $code, 'message' => "scripted $code"]], $headers);
    }

    /** @param array<string, mixed> $data */
    public static function ok(array $data): Response
    {
        return self::json(200, ['success' => true, 'data' => $data]);
    }
}
