<?php

namespace Pixpress\Exception;

/** 429 too_many_failures: too many failed tasks for this token lately. */
class TooManyFailures extends Throttled
{
}
