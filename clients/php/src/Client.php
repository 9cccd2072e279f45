<?php

namespace Pixpress;

use Pixpress\Exception\PixpressException;
use Pixpress\Exception\TaskFailed;
use Pixpress\Exception\TaskTimeout;
use Pixpress\Transport\Request;
use Pixpress\Transport\Transport;
use Pixpress\Transport\Transports;

/**
 * pixpress over HTTP.
 *
 *     $client = new Pixpress\Client('https://img.example.com', $token);
 *     $task = $client->waitFor($client->submit('photo.jpg', ['mode' => 'glossy'])->getId());
 *     file_put_contents('photo.min.jpg', $client->download($task->getId()));
 *
 * Options: timeout_s (60, per request), max_retries (4), retry (a RetryPolicy, for the whole policy),
 * transport (a Transport; WordPress HTTP API inside WordPress, else curl), sleep (callable taking seconds:
 * tests pass one that records instead of sleeping), user_agent, max_download_mb (100: a larger download
 * is cut off, ResponseTooLarge), max_json_kb (1024: the same for the JSON answers of the other calls).
 */
final class Client
{
    public const VERSION = '0.1.0';
    public const POLL_START_S = 0.2;
    public const POLL_MAX_S = 2.0;
    private const POLL_FACTOR = 1.5;
    /** Four times the server's default upload limit (25 MB): a result is never near that. */
    public const MAX_DOWNLOAD_MB = 100;
    /** A status or quota answer is a few KB. */
    public const MAX_JSON_KB = 1024;

    private string $baseUrl;
    private string $token;
    private float $timeoutS;
    private RetryPolicy $retry;
    private Transport $transport;
    /** @var callable(float): void */
    private $sleep;
    private string $userAgent;
    private int $maxDownloadBytes;
    private int $maxJsonBytes;

    /** @param array<string, mixed> $options */
    public function __construct(string $baseUrl, string $token, array $options = [])
    {
        $known = ['timeout_s', 'max_retries', 'retry', 'transport', 'sleep', 'user_agent', 'max_download_mb', 'max_json_kb'];
        $unknown = array_diff(array_keys($options), $known);
        if ($unknown) {
            throw new \InvalidArgumentException('unknown client option ' . implode(', ', $unknown) . ' (known: ' . implode(', ', $known) . ')');
        }
        $this->baseUrl = rtrim($baseUrl, '/');
        $this->token = $token;
        $this->timeoutS = (float) ($options['timeout_s'] ?? 60.0);
        $this->retry = $options['retry'] ?? new RetryPolicy((int) ($options['max_retries'] ?? 4));
        $this->transport = $options['transport'] ?? Transports::detect();
        $this->sleep = $options['sleep'] ?? static function (float $seconds): void {
            usleep((int) round($seconds * 1e6));
        };
        $this->userAgent = (string) ($options['user_agent'] ?? 'pixpress-php/' . self::VERSION);
        $this->maxDownloadBytes = (int) round((float) ($options['max_download_mb'] ?? self::MAX_DOWNLOAD_MB) * 1048576);
        $this->maxJsonBytes = (int) round((float) ($options['max_json_kb'] ?? self::MAX_JSON_KB) * 1024);
    }

    /**
     * Upload one image.
     *
     * @param string|\SplFileInfo $file a path to the image, or its bytes
     * @param array<string, mixed> $options mode, quality, format, max_width, max_height, keep_metadata,
     *        accept (list or comma string), sizes ("name:WxH[:crop],..."), accept_for (all|sizes); and for
     *        the call itself:
     *        filename, idempotency_key (default: derived from the bytes and the options), wait (seconds
     *        the server may hold the answer until the task is finished, at most 30)
     */
    public function submit($file, array $options = []): Task
    {
        $data = $this->send(Calls::submit($file, $options));
        return new Task((string) ($data['task_id'] ?? ''), $data);
    }

    public function status(string $taskId): Task
    {
        return new Task($taskId, $this->send(Calls::status($taskId)));
    }

    /**
     * Poll until the task is done or failed (0.2 s between polls, growing to 2 s). A failed task is
     * returned, not thrown: its `error` says why; optimize() throws TaskFailed instead.
     *
     * @throws TaskTimeout when it is not finished after $timeoutS
     */
    public function waitFor(string $taskId, float $timeoutS = 300.0): Task
    {
        $deadline = self::now() + $timeoutS;
        $delay = self::POLL_START_S;
        while (true) {
            $task = $this->status($taskId);
            if ($task->isFinished()) {
                return $task;
            }
            if (self::now() + $delay > $deadline) {
                throw new TaskTimeout('task_timeout', sprintf('task %s not finished after %.0f s', $taskId, $timeoutS), 0, ['task_id' => $taskId]);
            }
            ($this->sleep)($delay);
            $delay = min($delay * self::POLL_FACTOR, self::POLL_MAX_S);
        }
    }

    /** The optimized bytes; $variant for one made with format=auto (`webp`), $size for a name of `sizes`. */
    public function download(string $taskId, ?string $variant = null, ?string $size = null): string
    {
        return $this->send(Calls::download($taskId, $variant, $size));
    }

    /**
     * Submit (the server holding the answer up to 10 s), wait, download.
     *
     * @param string|\SplFileInfo $file
     * @param array<string, mixed> $options as submit()
     * @return array{task: Task, bytes: string}
     * @throws TaskFailed with the server's code (invalid_image...) when the task failed
     */
    public function optimize($file, array $options = [], ?string $variant = null, float $timeoutS = 300.0): array
    {
        $task = $this->submit($file, $options + ['wait' => 10]);
        if (!$task->isFinished()) {
            $task = $this->waitFor($task->getId(), $timeoutS);
        }
        if (!$task->isDone()) {
            $error = $task->get('error');
            $error = is_array($error) ? $error : [];
            throw new TaskFailed(
                (string) ($error['code'] ?? 'task_failed'),
                (string) ($error['message'] ?? 'the task failed'),
                200,
                ['task_id' => $task->getId(), 'charged' => $task->isFailureCharged()]
            );
        }
        return ['task' => $task, 'bytes' => $this->download($task->getId(), $variant)];
    }

    /** Forget the task and its files now (otherwise they expire after PIXPRESS_RESULT_TTL_S). */
    public function delete(string $taskId): void
    {
        $this->send(Calls::delete($taskId));
    }

    /** @return array<string, mixed> token, quota_mb, used_mb, remaining_mb, last_used_at, ... */
    public function quota(): array
    {
        return $this->send(Calls::quota());
    }

    /** @return array<string, mixed> the quota after asking the licence server again */
    public function refreshQuota(): array
    {
        return $this->send(Calls::refreshQuota());
    }

    /**
     * Admin (this client's token is in PIXPRESS_ADMIN_TOKENS): close $customerToken's usage period.
     *
     * @return array<string, mixed> token, old_usage_mb, new_usage_mb, quota_mb, remaining_mb
     */
    public function resetUsage(string $customerToken): array
    {
        return $this->send(Calls::resetUsage($customerToken));
    }

    /**
     * One call under the retry policy.
     *
     * @return mixed the `data` array of the envelope, or the bytes of a raw call
     * @throws PixpressException
     */
    public function send(Call $call)
    {
        $headers = ['X-Token' => $this->token, 'User-Agent' => $this->userAgent] + $call->headers;
        $request = new Request(
            $call->method,
            $call->url($this->baseUrl),
            $headers,
            $call->body,
            $this->timeoutS,
            $call->raw ? $this->maxDownloadBytes : $this->maxJsonBytes
        );
        $retries = 0;
        $waitedS = 0.0;
        while (true) {
            try {
                $response = $this->transport->send($request);
                if ($call->raw && $response->status === 200) {
                    return $response->body;
                }
                return Envelope::read($response);
            } catch (PixpressException $error) {
                $delay = $this->retry->delayS($error, $retries, $waitedS, $call->idempotent);
                if ($delay === null) {
                    throw $error;
                }
            }
            ($this->sleep)($delay);
            $retries++;
            $waitedS += $delay;
        }
    }

    private static function now(): float
    {
        return hrtime(true) / 1e9;
    }
}
