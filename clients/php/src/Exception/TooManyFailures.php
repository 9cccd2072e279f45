<?php

namespace Pixpress\Exception;

/**
 * 429 too_many_failures: sent by older servers once too many of a token's tasks failed in an hour. Current
 * servers never refuse a token for its failures (past a free allowance a failed file is charged instead);
 * the class stays so the code keeps its meaning against any server.
 */
class TooManyFailures extends Throttled
{
}
