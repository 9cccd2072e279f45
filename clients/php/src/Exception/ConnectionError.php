<?php

namespace Pixpress\Exception;

/** No answer came: refused, reset, timed out. getDetails()['sent'] says whether the request may have reached the server. */
class ConnectionError extends PixpressException
{
}
