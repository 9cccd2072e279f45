<?php

namespace Pixpress\Exception;

/** 429 quota_exceeded: never retried, waiting does not bring quota back (details: quota_info, requested_mb). */
class QuotaExceeded extends PixpressException
{
}
