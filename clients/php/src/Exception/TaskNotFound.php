<?php

namespace Pixpress\Exception;

/** 404 task_not_found (also for another token's task, or one that expired). */
class TaskNotFound extends NotFound
{
}
