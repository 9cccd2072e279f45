"""Settings: read once from the environment; names carry their unit, old names are still read."""

from __future__ import annotations

import pytest

from pixpress.config import Settings


@pytest.mark.parametrize(
    ("variable", "field"),
    [
        ("PIXPRESS_QUOTA_CACHE_TTL_S", "quota_cache_ttl_s"),
        ("PIXPRESS_QUOTA_CACHE_TTL", "quota_cache_ttl_s"),  # before the unit was in the name
        ("PIXPRESS_QUOTA_REFRESH_INTERVAL_S", "quota_refresh_interval_s"),
        ("PIXPRESS_QUOTA_REFRESH_INTERVAL", "quota_refresh_interval_s"),
    ],
)
def test_old_and_new_names_of_the_quota_timings(
    monkeypatch: pytest.MonkeyPatch, variable: str, field: str
) -> None:
    monkeypatch.setenv(variable, "42")
    assert getattr(Settings(_env_file=None), field) == 42.0  # type: ignore[call-arg]
