<?php

namespace Pixpress;

/**
 * A multipart/form-data body built as a string, so that curl and wp_remote_request send the very same
 * bytes (WordPress has no file-upload helper; CURLStringFile needs PHP 8.1).
 */
final class Multipart
{
    private string $boundary;
    private string $body = '';

    public function __construct(?string $boundary = null)
    {
        $this->boundary = $boundary ?? 'pixpress-' . bin2hex(random_bytes(12));
    }

    public function field(string $name, string $value): self
    {
        $this->body .= '--' . $this->boundary . "\r\n"
            . 'Content-Disposition: form-data; name="' . self::quote($name) . '"' . "\r\n\r\n"
            . $value . "\r\n";
        return $this;
    }

    public function file(string $name, string $filename, string $data, string $type = 'application/octet-stream'): self
    {
        $this->body .= '--' . $this->boundary . "\r\n"
            . 'Content-Disposition: form-data; name="' . self::quote($name) . '"; filename="' . self::quote($filename) . '"' . "\r\n"
            . 'Content-Type: ' . $type . "\r\n\r\n"
            . $data . "\r\n";
        return $this;
    }

    public function contentType(): string
    {
        return 'multipart/form-data; boundary=' . $this->boundary;
    }

    public function body(): string
    {
        return $this->body . '--' . $this->boundary . "--\r\n";
    }

    /** Quotes and line breaks would end the header early (the WHATWG form encoding escapes them so). */
    private static function quote(string $text): string
    {
        return str_replace(['"', "\r", "\n"], ['%22', '%0D', '%0A'], $text);
    }
}
