<?php

namespace Pixpress\Exception;

/** 429 rate_limited: too many failed token checks from this address. */
class RateLimited extends Throttled
{
}
