<?php

namespace Pixpress\Exception;

/** 413 file_too_large: the upload is over PIXPRESS_MAX_UPLOAD_MB. */
class FileTooLarge extends InvalidRequest
{
}
