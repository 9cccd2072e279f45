<?php

namespace Pixpress\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Pixpress\Calls;
use Pixpress\Client;
use Pixpress\Tests\Support\ScriptedTransport;

final class CallsTest extends TestCase
{
    private const IMAGE = "\x89PNG\r\n\x1a\n\0\0\0 not really";

    public function testKeyComesFromContentAndOptionsNotTheirOrderOrName(): void
    {
        $a = Calls::submit(self::IMAGE, ['mode' => 'lossy', 'max_width' => 800]);
        $b = Calls::submit(self::IMAGE, ['max_width' => '800', 'mode' => 'lossy', 'filename' => 'x.png']);
        $this->assertSame($a->headers['Idempotency-Key'], $b->headers['Idempotency-Key']);
        $this->assertMatchesRegularExpression('/^sha256-[0-9a-f]{64}$/', $a->headers['Idempotency-Key']);

        $otherOptions = Calls::submit(self::IMAGE, ['mode' => 'glossy', 'max_width' => 800]);
        $otherContent = Calls::submit(self::IMAGE . '!', ['mode' => 'lossy', 'max_width' => 800]);
        $this->assertNotSame($a->headers['Idempotency-Key'], $otherOptions->headers['Idempotency-Key']);
        $this->assertNotSame($a->headers['Idempotency-Key'], $otherContent->headers['Idempotency-Key']);
    }

    public function testAGivenKeyWins(): void
    {
        $call = Calls::submit(self::IMAGE, ['idempotency_key' => 'mine-1']);
        $this->assertSame('mine-1', $call->headers['Idempotency-Key']);
    }

    public function testFormFieldsOnTheWire(): void
    {
        $call = Calls::submit(self::IMAGE, [
            'accept' => ['webp', 'avif'],
            'keep_metadata' => 'none',
            'quality' => 80,
            'sizes' => 'thumb:150x150:crop,large:1024x1024',
            'format' => null,
            'filename' => 'a "b".png',
            'wait' => 10,
        ]);
        $this->assertSame('POST', $call->method);
        $this->assertSame('http://h/api/optimize/submit?wait=10', $call->url('http://h'));
        $this->assertStringContainsString("name=\"accept\"\r\n\r\nwebp,avif\r\n", $call->body);
        $this->assertStringContainsString("name=\"quality\"\r\n\r\n80\r\n", $call->body);
        $this->assertStringContainsString("name=\"sizes\"\r\n\r\nthumb:150x150:crop,large:1024x1024\r\n", $call->body);
        $this->assertStringNotContainsString('name="format"', $call->body);
        $this->assertStringNotContainsString('name="wait"', $call->body);
        $this->assertStringContainsString('name="file"; filename="a %22b%22.png"', $call->body);
        $this->assertStringContainsString(self::IMAGE, $call->body);
        preg_match('/boundary=(\S+)/', $call->headers['Content-Type'], $boundary);
        $this->assertStringEndsWith('--' . $boundary[1] . "--\r\n", $call->body);
    }

    public function testUnknownOptionIsRefusedBeforeSending(): void
    {
        $this->expectException(\InvalidArgumentException::class);
        $this->expectExceptionMessage('unknown option colour');
        Calls::submit(self::IMAGE, ['colour' => 'red']);
    }

    public function testAPathIsRead(): void
    {
        $path = tempnam(sys_get_temp_dir(), 'pixpress');
        file_put_contents($path, self::IMAGE);
        try {
            $call = Calls::submit($path, []);
        } finally {
            unlink($path);
        }
        $this->assertStringContainsString('filename="' . basename($path) . '"', $call->body);
        $this->assertStringContainsString(self::IMAGE, $call->body);
    }

    public function testDownloadVariantAndSize(): void
    {
        $this->assertSame('http://h/api/optimize/download/t1', Calls::download('t1')->url('http://h'));
        $this->assertSame('http://h/api/optimize/download/t1?variant=webp', Calls::download('t1', 'webp')->url('http://h'));
        $this->assertSame('http://h/api/optimize/download/t1?size=thumb', Calls::download('t1', null, 'thumb')->url('http://h'));
    }

    public function testSizesResultsStayInTheTaskData(): void
    {
        // A newer server's status fields reach the caller without a client update.
        $sizes = [['name' => 'thumb', 'width' => 150, 'height' => 150, 'size' => 4242]];
        $transport = new ScriptedTransport([ScriptedTransport::ok(['task_id' => 't1', 'status' => 'done', 'sizes' => $sizes])]);
        $task = (new Client('http://h', 'tok', ['transport' => $transport]))->status('t1');
        $this->assertSame($sizes, $task['sizes']);
        $this->assertSame($sizes, $task->get('sizes'));
        $this->assertTrue($task->isDone());
        $this->assertSame('tok', $transport->requests[0]->headers['X-Token']);
    }
}
