<?php

namespace Pixpress\Transport;

/** Picks the transport for where the code runs. */
final class Transports
{
    public static function detect(): Transport
    {
        if (function_exists('wp_remote_request')) {
            return new WordPressTransport();
        }
        return new CurlTransport();
    }
}
