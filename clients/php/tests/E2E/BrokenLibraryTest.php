<?php

namespace Pixpress\Tests\E2E;

use Pixpress\Client;
use Pixpress\Exception\InvalidImage;
use Pixpress\Exception\TaskFailed;
use Pixpress\Tests\Support\Library;
use Pixpress\Tests\Support\ServerTestCase;

/**
 * A bulk run over an old library, as a WordPress site does it: one file after the other through optimize().
 * 500 tiny files, 1 in 10 broken (alternately refused at submit and undecodable in the worker). Every good
 * file comes back optimized (the server never refuses a token for its earlier failures), and within the
 * default free allowance the broken files cost nothing.
 */
final class BrokenLibraryTest extends ServerTestCase
{
    private const MB = 1048576;
    private const FILES = 500;
    private const BROKEN_EVERY = 10;

    public function testALibraryWithBrokenFilesFinishesWithEveryGoodFileDone(): void
    {
        $client = new Client($this->server->url, 'php-library'); // 500 files: no recording transport
        $done = $refused = $failed = 0;
        $goodBytes = 0;
        for ($n = 0; $n < self::FILES; $n++) {
            [$kind, $bytes] = self::file($n);
            try {
                $result = $client->optimize($bytes, ['filename' => "$n.png", 'keep_metadata' => 'none']);
                $this->assertSame('good', $kind, "file $n came back done");
                $this->assertStringStartsWith("\x89PNG", $result['bytes']);
                $this->assertLessThanOrEqual(strlen($bytes), strlen($result['bytes']));
                $done++;
                $goodBytes += strlen($bytes);
            } catch (InvalidImage $error) {
                $this->assertSame('submit', $kind, "file $n refused at submit: " . $error->getMessage());
                $refused++;
            } catch (TaskFailed $error) {
                $this->assertSame(['worker', 'invalid_image', false], [$kind, $error->getErrorCode(), $error->getDetails()['charged']]);
                $failed++;
            }
        }
        $this->assertSame([450, 25, 25], [$done, $refused, $failed]);
        // Refused files were never charged and the undecodable ones were refunded: only the good files count.
        $this->assertEquals(round($goodBytes / self::MB, 2), $client->quota()['used_mb']);
    }

    public function testTheSameImageAgainIsTheEarlierResultUncharged(): void
    {
        $client = $this->client('php-reuse');
        $image = Library::image(7);
        $first = $client->optimize($image, ['idempotency_key' => 'first-install']);
        // After a reinstall the plugin sends the file again under another key: the same task answers.
        $again = $client->submit($image, ['idempotency_key' => 'after-reinstall']);
        $this->assertTrue($again->isReused());
        $this->assertFalse($again->isReplay());
        $this->assertSame($first['task']->getId(), $again->getId());
        $this->assertSame($first['bytes'], $client->download($again->getId()));
        $this->assertEquals(round(strlen($image) / self::MB, 2), $client->quota()['used_mb']);
    }

    /** @return array{0: string, 1: string} the kind of file (good, submit, worker) and its bytes */
    private static function file(int $n): array
    {
        if ($n % self::BROKEN_EVERY !== self::BROKEN_EVERY - 1) {
            return ['good', Library::image($n)];
        }
        return intdiv($n, self::BROKEN_EVERY) % 2 === 1
            ? ['submit', Library::refusedAtSubmit($n)]
            : ['worker', Library::undecodable($n)];
    }
}
