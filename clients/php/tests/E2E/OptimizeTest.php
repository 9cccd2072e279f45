<?php

namespace Pixpress\Tests\E2E;

use Pixpress\Exception\TaskNotFound;
use Pixpress\Tests\Support\ServerTestCase;

final class OptimizeTest extends ServerTestCase
{
    public function testPngIsOptimizedEndToEnd(): void
    {
        $path = self::photo('kodim03.png');
        $client = $this->client('php-e2e');

        $task = $client->submit($path, ['mode' => 'lossy']);
        $this->assertNotSame('', $task->getId());
        $this->assertContains($task->getStatus(), ['queued', 'processing', 'done']);
        $this->assertGreaterThan(0, $task->getQuotaInfo()['used_mb']);

        $done = $client->waitFor($task->getId(), 120);
        $this->assertSame('done', $done->getStatus(), json_encode($done->toArray()));
        $bytes = $client->download($task->getId());

        $this->assertSame($done['optimized_size'], strlen($bytes));
        $this->assertLessThan(filesize($path), strlen($bytes));
        $info = getimagesizefromstring($bytes);
        $this->assertNotFalse($info, 'the download is not an image');
        $this->assertSame(IMAGETYPE_PNG, $info[2]);
        $original = getimagesize($path);
        $this->assertSame([$original[0], $original[1]], [$info[0], $info[1]]);
    }

    public function testJpegBytesToWebpVariantThenDelete(): void
    {
        $path = self::photo('rocket.jpg');
        $client = $this->client('php-auto');

        $result = $client->optimize(file_get_contents($path), ['format' => 'auto', 'accept' => ['webp'], 'max_width' => 400, 'filename' => 'rocket.jpg']);
        $variants = array_column($result['task']->get('variants', []), 'format');
        $this->assertContains('webp', $variants, json_encode($result['task']->toArray()));

        $webp = $client->download($result['task']->getId(), 'webp');
        $info = getimagesizefromstring($webp);
        $this->assertNotFalse($info, 'the webp variant is not an image');
        $this->assertSame(IMAGETYPE_WEBP, $info[2]);
        $this->assertLessThanOrEqual(400, $info[0]);
        $this->assertLessThan(filesize($path), strlen($webp));

        $client->delete($result['task']->getId());
        $this->expectException(TaskNotFound::class);
        $client->status($result['task']->getId());
    }
}
