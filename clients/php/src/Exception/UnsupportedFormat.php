<?php

namespace Pixpress\Exception;

/** 415 unsupported_format: not JPEG, PNG, WebP, GIF or AVIF (judged from the bytes). */
class UnsupportedFormat extends InvalidRequest
{
}
