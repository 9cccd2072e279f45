<?php

namespace Pixpress\Exception;

/** 413 image_too_large: too many pixels, frames or too long a side. */
class ImageTooLarge extends InvalidRequest
{
}
