"""Only a well-formed JSON answer saying valid=false makes a token invalid. An HTML 404, a wrong content
type, JSON without the fields or a 5xx is the licence server failing: known tokens fall back to the
database, unknown ones get 503, the circuit breaker counts it. And a token refused by mistake is not
locked out once the server answers right again. All against a real licence server on loopback."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from pixpress.config import Settings
from pixpress.errors import InvalidToken, LicenseServerUnavailable
from pixpress.quota import QuotaService, hash_token
from pixpress.quota.records import Verified
from tests.quota.conftest import TOKENS, LicenceServer

ADDR = "10.0.0.1"
MakeService = Callable[[Settings], QuotaService]
NOT_AN_ANSWER = ["not_found_html", "not_found_json", "wrong_type", "no_fields", "error", "down"]


def uncached(settings: Settings) -> Settings:
    return settings.model_copy(update={"quota_cache_ttl_s": 0, "quota_refresh_interval_s": 0})


@pytest.mark.parametrize("mode", NOT_AN_ANSWER)
def test_a_malformed_answer_is_the_server_failing_not_an_invalid_token(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer, mode: str
) -> None:
    service = make_service(uncached(quota_settings))
    service.authenticate("premium-token", client_address=ADDR)
    licence_server.faults.mode = mode
    known = service.authenticate("premium-token", client_address=ADDR)
    assert known.source == "database_fallback" and known.quota_mb == 5000
    with pytest.raises(LicenseServerUnavailable):
        service.authenticate("small-token", client_address=ADDR)
    licence = service.records.get(hash_token("premium-token"))
    assert licence is not None and licence.valid  # nothing stored as invalid


@pytest.mark.parametrize("mode", ["not_found_html", "wrong_type"])
def test_the_circuit_breaker_counts_malformed_answers(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer, mode: str
) -> None:
    service = make_service(uncached(quota_settings))
    service.authenticate("premium-token", client_address=ADDR)
    licence_server.faults.mode = mode
    for _ in range(20):
        assert service.authenticate("premium-token", client_address=ADDR).source == "database_fallback"
    assert licence_server.calls("premium-token") <= 1 + quota_settings.license_failure_threshold + 1


def test_a_404_with_valid_false_in_json_is_still_an_answer(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    service = make_service(quota_settings)
    with pytest.raises(InvalidToken):
        service.authenticate("revoked-token", client_address=ADDR)


def test_a_token_refused_by_mistake_works_again_once_the_server_is_right(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    settings = quota_settings.model_copy(update={"invalid_token_cache_s": 0.3})
    service = make_service(settings)
    assert service.authenticate("small-token", client_address=ADDR).quota_mb == 50
    refused = TOKENS.replace('[tokens."small-token"]', '[tokens."small-token"]\nvalid = false')
    licence_server.write_tokens(refused)  # the vendor's server says valid=false by mistake...
    with pytest.raises(InvalidToken):
        service.refresh("small-token", client_address=ADDR)
    licence_server.write_tokens(TOKENS)  # ...and is put right
    time.sleep(0.4)
    # Neither the process's cache nor the stored invalid row keep it out past invalid_token_cache_s.
    assert service.authenticate("small-token", client_address=ADDR).quota_mb == 50
    other_process = make_service(settings)
    assert other_process.authenticate("small-token", client_address=ADDR).quota_mb == 50


def test_a_row_stored_invalid_earlier_is_asked_about_again(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    """Rows the old client stored invalid from an HTML 404 are re-checked, not trusted for 15 minutes."""
    settings = quota_settings.model_copy(update={"invalid_token_cache_s": 0.2})
    service = make_service(settings)
    service.authenticate("premium-token", client_address=ADDR)
    wrong = Verified(
        quota_bytes=0, subscription_type=None, expires_at=None, source="license_api", valid=False
    )
    service.records.save_verified(hash_token("premium-token"), "abcdef", wrong)
    time.sleep(0.3)
    restarted = make_service(settings)
    answer = restarted.authenticate("premium-token", client_address=ADDR)
    assert answer.source == "license_api" and answer.quota_mb == 5000
