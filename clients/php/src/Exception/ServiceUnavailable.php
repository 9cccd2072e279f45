<?php

namespace Pixpress\Exception;

/** 502/503/504, service_unavailable: a backend is down; retried after Retry-After (nothing was kept or charged). */
class ServiceUnavailable extends ServerError
{
}
