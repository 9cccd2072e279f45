<?php

namespace Pixpress\Exception;

/** 422 invalid_option: an option value the server refuses (the field is in getDetails()). */
class InvalidOption extends InvalidRequest
{
}
