<?php

namespace Pixpress\Exception;

/**
 * The answer was larger than the client accepts (option max_download_mb for downloads, max_json_kb for
 * JSON answers): the transfer was cut off, nothing of it is returned. Not retried: the server would send
 * the same again.
 */
class ResponseTooLarge extends PixpressException
{
}
