<?php

namespace Pixpress\Exception;

/** The task did not finish within waitFor()'s timeout (it may still finish: poll again later). */
class TaskTimeout extends PixpressException
{
}
