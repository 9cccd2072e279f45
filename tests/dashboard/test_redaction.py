"""The settings table: every setting, no secret."""

from __future__ import annotations

from pixpress.config import Settings
from pixpress.dashboard.redaction import redact_url, settings_rows

SECRETS = {
    "admin_tokens": "first-admin-secret-123,second-admin-secret-456",
    "license_api_key": "licence-api-key-secret",
    "s3_access_key_id": "AKIASECRETKEYID",
    "s3_secret_access_key": "s3-secret-access-key",
    "dashboard_secret": "dashboard-secret-0123456789-abcdefghij",
    "database_url": "postgresql+psycopg://pixpress:db-password-secret@db.internal:5432/pixpress",
    "redis_url": "redis://:redis-password-secret@redis.internal:6379/0",
    "license_api_url": "https://licences.example.com/v1?api_key=query-key-secret&region=eu",
}


def test_no_secret_reaches_the_table(settings: Settings) -> None:
    rows = dict(settings_rows(settings.model_copy(update=SECRETS)))
    shown = "\n".join(rows.values())
    for secret in (
        "first-admin-secret-123",
        "second-admin-secret-456",
        "licence-api-key-secret",
        "AKIASECRETKEYID",
        "s3-secret-access-key",
        "dashboard-secret",
        "db-password-secret",
        "redis-password-secret",
        "query-key-secret",
    ):
        assert secret not in shown
    assert rows["PIXPRESS_ADMIN_TOKENS"] == "(hidden): 2 tokens"
    assert rows["PIXPRESS_LICENSE_API_KEY"] == "(hidden): set"
    assert rows["PIXPRESS_DATABASE_URL"] == "postgresql+psycopg://pixpress:***@db.internal:5432/pixpress"
    assert rows["PIXPRESS_REDIS_URL"] == "redis://:***@redis.internal:6379/0"
    assert rows["PIXPRESS_LICENSE_API_URL"] == "https://licences.example.com/v1?api_key=***&region=eu"
    assert rows["PIXPRESS_MAX_UPLOAD_MB"] == "25.0"  # the rest as it is


def test_every_setting_is_listed_and_unset_secrets_say_empty(settings: Settings) -> None:
    rows = dict(settings_rows(settings))
    assert len(rows) == len(Settings.model_fields)
    assert rows["PIXPRESS_LICENSE_API_KEY"] == "(empty)" and rows["PIXPRESS_DATABASE_URL"] == "(empty)"
    assert rows["PIXPRESS_QUOTA_CACHE_MAX_TOKENS"] == "10000"  # "tokens" in a number's name is no secret


def test_urls_keep_their_user_and_shape() -> None:
    assert redact_url("postgresql://user@host/db") == "postgresql://user@host/db"
    assert redact_url("s3://bucket/prefix") == "s3://bucket/prefix"
    assert redact_url("redis://u:p@h:1/0?password=x&db=1") == "redis://u:***@h:1/0?password=***&db=1"
    assert redact_url("http://[::1") == "(hidden)"
