<?php

namespace Pixpress\Tests\Unit;

use PHPUnit\Framework\TestCase;
use Pixpress\RetryAfter;

final class RetryAfterTest extends TestCase
{
    private const NOW = 784111777.0; // Sun, 06 Nov 1994 08:49:37 GMT, RFC 9110's example date

    public function testSeconds(): void
    {
        $this->assertSame(5.0, RetryAfter::parse('5'));
        $this->assertSame(0.0, RetryAfter::parse('0'));
        $this->assertSame(120.0, RetryAfter::parse(" 120 \t"));
    }

    public function testImfFixdateIsSecondsFromNow(): void
    {
        $this->assertSame(30.0, RetryAfter::parse('Sun, 06 Nov 1994 08:50:07 GMT', self::NOW));
    }

    public function testObsoleteDateForms(): void
    {
        $this->assertSame(30.0, RetryAfter::parse('Sunday, 06-Nov-94 08:50:07 GMT', self::NOW));
        $this->assertSame(30.0, RetryAfter::parse('Sun Nov  6 08:50:07 1994', self::NOW));
    }

    public function testDateInThePastIsNoWait(): void
    {
        $this->assertSame(0.0, RetryAfter::parse('Sun, 06 Nov 1994 08:00:00 GMT', self::NOW));
    }

    public function testDateAgainstTheClock(): void
    {
        $in = gmdate('D, d M Y H:i:s \G\M\T', time() + 60);
        $seconds = RetryAfter::parse($in);
        $this->assertNotNull($seconds);
        $this->assertEqualsWithDelta(60.0, $seconds, 2.0);
    }

    /** @dataProvider unreadable */
    public function testUnreadableIsNull(?string $value): void
    {
        $this->assertNull(RetryAfter::parse($value, self::NOW));
    }

    /** @return array<string, array{0: ?string}> */
    public function unreadable(): array
    {
        return [
            'absent' => [null],
            'empty' => [''],
            'negative' => ['-5'],
            'fraction (not delay-seconds)' => ['1.5'],
            'words' => ['soon'],
            'relative strtotime text' => ['tomorrow'],
            'relative with a comma' => ['next, monday'],
        ];
    }
}
