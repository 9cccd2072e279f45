<?php

namespace Pixpress\Exception;

/** 403 admin_required: the call needs a token listed in PIXPRESS_ADMIN_TOKENS. */
class AdminRequired extends AuthError
{
}
