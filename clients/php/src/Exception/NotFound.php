<?php

namespace Pixpress\Exception;

/** 404: nothing under that id for this token. */
class NotFound extends PixpressException
{
}
