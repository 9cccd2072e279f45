<?php

namespace Pixpress\Exception;

/** 401 token_missing. */
class TokenMissing extends AuthError
{
}
