"""What a starting API process tells the operator: where quotas come from, loudly when from nowhere."""

from __future__ import annotations

import logging

from pixpress.config import Settings

log = logging.getLogger("pixpress")


def announce_quota_source(*, settings: Settings) -> None:
    if settings.license_api_url:
        log.info("quotas come from the licence server at %s", settings.license_api_url)
    elif settings.tokens_file:
        log.info("quotas come from the tokens file %s", settings.tokens_file)
    else:
        log.warning(
            "NO LICENCE SERVER CONFIGURED: every token gets the development default quota of %.0f MB. "
            "Set PIXPRESS_LICENSE_API_URL (or PIXPRESS_TOKENS_FILE) before serving customers.",
            settings.default_quota_mb,
        )
