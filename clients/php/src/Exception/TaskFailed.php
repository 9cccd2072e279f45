<?php

namespace Pixpress\Exception;

/** The task ended 'failed'; the error code is the server's (e.g. invalid_image). */
class TaskFailed extends PixpressException
{
}
