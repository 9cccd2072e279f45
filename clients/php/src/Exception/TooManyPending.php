<?php

namespace Pixpress\Exception;

/** 429 too_many_pending: the token has PIXPRESS_MAX_PENDING_PER_TOKEN unfinished tasks. */
class TooManyPending extends Throttled
{
}
