<?php

namespace Pixpress\Exception;

/** 429 other than quota_exceeded: retried after the server's Retry-After. */
class Throttled extends PixpressException
{
}
