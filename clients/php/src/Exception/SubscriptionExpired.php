<?php

namespace Pixpress\Exception;

/** 403 subscription_expired. */
class SubscriptionExpired extends AuthError
{
}
