<?php

namespace Pixpress\Exception;

/** 401 invalid_token: the licence server does not know this token. */
class InvalidToken extends AuthError
{
}
