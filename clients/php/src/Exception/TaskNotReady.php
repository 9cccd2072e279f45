<?php

namespace Pixpress\Exception;

/** 409 task_not_ready: download before the task is done. */
class TaskNotReady extends InvalidRequest
{
}
