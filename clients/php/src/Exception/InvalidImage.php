<?php

namespace Pixpress\Exception;

/** 422 invalid_image: the bytes claim an image format but do not decode. */
class InvalidImage extends InvalidRequest
{
}
