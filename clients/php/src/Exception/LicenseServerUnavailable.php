<?php

namespace Pixpress\Exception;

/** 503 license_server_unavailable: the vendor's licence server did not answer. */
class LicenseServerUnavailable extends ServiceUnavailable
{
}
