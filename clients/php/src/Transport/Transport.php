<?php

namespace Pixpress\Transport;

use Pixpress\Exception\ConnectionError;

/**
 * Sends one request, once: retries are the Client's business, so every transport behaves the same.
 * Any HTTP answer (4xx and 5xx too) is a Response; only "no answer" is an exception.
 */
interface Transport
{
    /**
     * @throws ConnectionError with details['sent'] false when the request surely never left (no
     *         connection), true when it may have reached the server
     */
    public function send(Request $request): Response;
}
