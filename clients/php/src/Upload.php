<?php

namespace Pixpress;

/** What submit() was given, as (file name, bytes). */
final class Upload
{
    /**
     * A string is a path when it names an existing file, otherwise the image bytes themselves (image
     * bytes hold NUL bytes or are far longer than a path, so the two cannot be confused in practice).
     *
     * @param string|\SplFileInfo $file
     * @return array{0: string, 1: string}
     */
    public static function read($file, ?string $filename = null): array
    {
        if ($file instanceof \SplFileInfo) {
            $file = $file->getPathname();
        } elseif (!is_string($file)) {
            throw new \InvalidArgumentException('submit() takes a file path or the image bytes as a string');
        }
        if (self::isPath($file)) {
            $data = file_get_contents($file);
            if ($data === false) {
                throw new \RuntimeException('cannot read ' . $file);
            }
            return [$filename ?? basename($file), $data];
        }
        if ($file === '') {
            throw new \InvalidArgumentException('submit() was given an empty string: neither a file nor an image');
        }
        return [$filename ?? 'image', $file];
    }

    private static function isPath(string $file): bool
    {
        return strlen($file) < 4096 && strpos($file, "\0") === false && is_file($file);
    }
}
