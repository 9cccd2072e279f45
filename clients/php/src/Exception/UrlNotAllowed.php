<?php

namespace Pixpress\Exception;

/**
 * Inside WordPress, the server URL is one wp_safe_remote_request refuses (a loopback or private address,
 * a port other than 80, 443 and 8080): nothing was sent. new WordPressTransport(true) allows it.
 */
class UrlNotAllowed extends PixpressException
{
}
