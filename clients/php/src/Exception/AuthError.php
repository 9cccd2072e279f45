<?php

namespace Pixpress\Exception;

/** 401/403: the token is missing, unknown, expired, or not an admin token. */
class AuthError extends PixpressException
{
}
