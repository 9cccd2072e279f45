<?php

namespace Pixpress\Tests\Support;

/**
 * A media library made in the test: tiny valid PNGs (32-64 px, each different), PNGs refused at submit (the
 * header cut short) and PNGs that pass the submit checks but whose image data is garbage throughout, so
 * that only the worker's full decode finds them (and no browser shows anything either).
 */
final class Library
{
    private const SIGNATURE = "\x89PNG\r\n\x1a\n";

    /** A valid RGB PNG, a flat colour with a checker of another, distinct for each $seed. */
    public static function image(int $seed): string
    {
        mt_srand($seed);
        $side = 32 + $seed % 33;
        $base = [mt_rand(0, 255), mt_rand(0, 255), mt_rand(0, 255)];
        $accent = [mt_rand(0, 255), mt_rand(0, 255), mt_rand(0, 255)];
        $raw = '';
        for ($y = 0; $y < $side; $y++) {
            $raw .= "\0"; // filter: none
            for ($x = 0; $x < $side; $x++) {
                $colour = (intdiv($x, 8) + intdiv($y, 8) + $seed) % 3 === 0 ? $accent : $base;
                $raw .= pack('C3', ...$colour);
            }
        }
        return self::SIGNATURE . self::chunk('IHDR', self::header($side)) . self::chunk('IDAT', (string) gzcompress($raw, 9))
            . self::chunk('IEND', '');
    }

    /** The signature and a header cut short: refused at submit (invalid_image), never charged. */
    public static function refusedAtSubmit(int $seed): string
    {
        mt_srand($seed);
        return self::SIGNATURE . substr(self::chunk('IHDR', self::header(48)), 0, 15) . pack('N', mt_rand());
    }

    /** A sound header and chunk layout around an IDAT of random bytes: fails in the worker (invalid_image). */
    public static function undecodable(int $seed): string
    {
        mt_srand($seed);
        $garbage = '';
        for ($i = 0; $i < 200 + $seed % 100; $i++) {
            $garbage .= chr(mt_rand(0, 255));
        }
        return self::SIGNATURE . self::chunk('IHDR', self::header(48)) . self::chunk('IDAT', $garbage) . self::chunk('IEND', '');
    }

    private static function header(int $side): string
    {
        return pack('NNC5', $side, $side, 8, 2, 0, 0, 0);
    }

    private static function chunk(string $type, string $data): string
    {
        return pack('N', strlen($data)) . $type . $data . pack('N', crc32($type . $data));
    }
}
