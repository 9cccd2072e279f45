<?php

namespace Pixpress\Exception;

/** 500 and other 5xx: not retried, the same request would fail again. */
class ServerError extends PixpressException
{
}
