<?php

namespace Pixpress\Exception;

/** 409/413/415/422: the request or the upload is at fault; sending it again fails again. */
class InvalidRequest extends PixpressException
{
}
