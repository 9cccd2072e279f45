<?php

namespace Pixpress;

/**
 * A task as the server last described it. The server's data is kept whole as an array, so fields a newer
 * server adds (`sizes`, `variants`, scores) are there without a client update: `$task->get('sizes')`,
 * `$task['optimized_size']`, `$task->toArray()`.
 *
 * @implements \ArrayAccess<string, mixed>
 */
final class Task implements \ArrayAccess
{
    public const FINISHED = ['done', 'failed'];

    private string $id;
    /** @var array<string, mixed> */
    private array $data;

    /** @param array<string, mixed> $data the `data` of a submit or status answer */
    public function __construct(string $id, array $data)
    {
        $this->id = $id;
        $this->data = $data;
    }

    public function getId(): string
    {
        return $this->id;
    }

    /** queued, processing, done or failed. */
    public function getStatus(): string
    {
        return (string) ($this->data['status'] ?? '');
    }

    public function isFinished(): bool
    {
        return in_array($this->getStatus(), self::FINISHED, true);
    }

    public function isDone(): bool
    {
        return $this->getStatus() === 'done';
    }

    /** @return array<string, mixed> used_mb, remaining_mb, limit_mb after a submit (empty on a status) */
    public function getQuotaInfo(): array
    {
        $info = $this->data['quota_info'] ?? [];
        return is_array($info) ? $info : [];
    }

    /** True when the server answered a repeat of an Idempotency-Key with the task it already had. */
    public function isReplay(): bool
    {
        return ($this->data['idempotent_replay'] ?? false) === true;
    }

    /**
     * True when the server answered a submit with the task of an identical earlier upload (same bytes, same
     * options, same token, result still kept): not charged again. The task id is the earlier one's.
     */
    public function isReused(): bool
    {
        return ($this->data['reused'] ?? false) === true;
    }

    /** True for a failed task whose upload stays charged (past the token's free failures of the period). */
    public function isFailureCharged(): bool
    {
        $error = $this->data['error'] ?? null;
        return is_array($error) && ($error['charged'] ?? false) === true;
    }

    /**
     * @param mixed $default
     * @return mixed
     */
    public function get(string $field, $default = null)
    {
        return array_key_exists($field, $this->data) ? $this->data[$field] : $default;
    }

    /** @return array<string, mixed> */
    public function toArray(): array
    {
        return $this->data;
    }

    /** @param mixed $offset */
    public function offsetExists($offset): bool
    {
        return isset($this->data[$offset]);
    }

    /**
     * @param mixed $offset
     * @return mixed
     */
    #[\ReturnTypeWillChange]
    public function offsetGet($offset)
    {
        return $this->data[$offset] ?? null;
    }

    /**
     * @param mixed $offset
     * @param mixed $value
     */
    public function offsetSet($offset, $value): void
    {
        throw new \LogicException('a Task is what the server said: read-only');
    }

    /** @param mixed $offset */
    public function offsetUnset($offset): void
    {
        throw new \LogicException('a Task is what the server said: read-only');
    }
}
