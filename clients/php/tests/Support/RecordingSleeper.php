<?php

namespace Pixpress\Tests\Support;

/** The client's `sleep` option: records each wait instead of sleeping; $then runs in place of the wait. */
final class RecordingSleeper
{
    /** @var list<float> */
    public array $waits = [];
    /** @var callable|null */
    private $then;

    public function __construct(?callable $then = null)
    {
        $this->then = $then;
    }

    public function __invoke(float $seconds): void
    {
        $this->waits[] = $seconds;
        if ($this->then !== null) {
            ($this->then)($seconds);
        }
    }
}
