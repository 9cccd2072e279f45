"""QuotaService against a real licence server on loopback and a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pixpress.config import Settings
from pixpress.db.session import Database
from pixpress.errors import (
    AdminRequired,
    InvalidToken,
    LicenseServerUnavailable,
    QuotaExceeded,
    RateLimited,
    SubscriptionExpired,
)
from pixpress.quota import MB, QuotaService, hash_token
from tests.quota.conftest import TOKENS, LicenceServer

ADDR = "10.0.0.1"
MakeService = Callable[[Settings], QuotaService]


def test_first_check_asks_the_licence_server_then_the_cache_answers(
    service: QuotaService, licence_server: LicenceServer
) -> None:
    first = service.authenticate("premium-token", client_address=ADDR)
    assert first.source == "license_api" and first.quota_mb == 5000 and first.subscription_type == "premium"
    for _ in range(50):
        assert service.authenticate("premium-token", client_address=ADDR).source == "cache"
    assert licence_server.calls("premium-token") == 1


def test_fresh_database_row_serves_a_new_process(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    make_service(quota_settings).authenticate("premium-token", client_address=ADDR)
    other_process = make_service(quota_settings)
    assert other_process.authenticate("premium-token", client_address=ADDR).quota_mb == 5000
    assert licence_server.calls("premium-token") == 1


def test_concurrent_first_requests_share_one_upstream_call(
    service: QuotaService, licence_server: LicenceServer
) -> None:
    licence_server.faults.mode, licence_server.faults.delay_s = "slow", 0.3
    barrier = threading.Barrier(50)

    def check(_: int) -> float:
        barrier.wait()
        return service.authenticate("premium-token", client_address=ADDR).quota_mb

    with ThreadPoolExecutor(max_workers=50) as pool:
        assert set(pool.map(check, range(50))) == {5000}
    assert licence_server.calls("premium-token") == 1


def test_invalid_expired_and_unknown_tokens(service: QuotaService) -> None:
    with pytest.raises(InvalidToken):
        service.authenticate("revoked-token", client_address=ADDR)
    with pytest.raises(InvalidToken):
        service.authenticate("nobody", client_address=ADDR)
    with pytest.raises(SubscriptionExpired):
        service.authenticate("expired-token", client_address=ADDR)


def test_upgrade_applies_from_the_next_check(service: QuotaService, licence_server: LicenceServer) -> None:
    assert service.authenticate("small-token", client_address=ADDR).quota_mb == 50
    licence_server.write_tokens(TOKENS.replace("quota_mb = 50", "quota_mb = 500"))
    assert service.authenticate("small-token", client_address=ADDR).quota_mb == 50  # cached
    assert service.refresh("small-token", client_address=ADDR).quota_mb == 500


def test_revoked_after_verification_is_refused(service: QuotaService, licence_server: LicenceServer) -> None:
    service.authenticate("small-token", client_address=ADDR)
    licence_server.write_tokens(
        TOKENS.replace('[tokens."small-token"]', '[tokens."small-token"]\nvalid = false')
    )
    with pytest.raises(InvalidToken):
        service.refresh("small-token", client_address=ADDR)


@pytest.mark.parametrize("mode", ["error", "nonsense", "down", "slow", "stopped"])
def test_failing_licence_server_known_token_falls_back_unknown_gets_503(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer, mode: str
) -> None:
    fresh = quota_settings.model_copy(update={"quota_cache_ttl_s": 0, "quota_refresh_interval_s": 0})
    service = make_service(fresh)
    service.authenticate("premium-token", client_address=ADDR)
    if mode == "stopped":
        licence_server.stop()
    else:
        licence_server.faults.mode, licence_server.faults.delay_s = mode, 10
    started = time.monotonic()
    known = service.authenticate("premium-token", client_address=ADDR)
    assert time.monotonic() - started < 3.0  # bounded even when the server hangs
    assert known.source == "database_fallback" and known.quota_mb == 5000
    with pytest.raises(LicenseServerUnavailable):
        service.authenticate("small-token", client_address=ADDR)


def test_circuit_opens_and_recovers_by_itself(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    fresh = quota_settings.model_copy(update={"quota_cache_ttl_s": 0, "quota_refresh_interval_s": 0})
    service = make_service(fresh)
    service.authenticate("premium-token", client_address=ADDR)
    licence_server.faults.mode = "error"
    for _ in range(20):
        service.authenticate("premium-token", client_address=ADDR)
    calls_while_down = licence_server.calls("premium-token")
    assert calls_while_down <= 1 + fresh.license_failure_threshold + 1  # the breaker stopped the hammering
    licence_server.faults.mode = "ok"
    deadline = time.monotonic() + 10
    while service.authenticate("premium-token", client_address=ADDR).source != "license_api":
        assert time.monotonic() < deadline, "never recovered"
        time.sleep(0.1)


def test_failed_checks_are_rate_limited_per_address(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    limited = quota_settings.model_copy(update={"failed_token_checks_per_minute": 5})
    service = make_service(limited)
    for i in range(5):
        with pytest.raises(InvalidToken):
            service.authenticate(f"guess-{i}", client_address="198.51.100.7")
    calls = licence_server.calls()
    # A token this deployment has never seen gets 429 whatever it is: no answer to learn from.
    with pytest.raises(RateLimited) as refused:
        service.authenticate("premium-token", client_address="198.51.100.7")
    assert int(refused.value.headers["Retry-After"]) >= 1
    assert licence_server.calls() == calls  # not even asked upstream
    assert service.authenticate("premium-token", client_address="198.51.100.8").quota_mb == 5000


def test_a_known_valid_token_passes_from_an_address_over_the_failure_limit(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    """Failing checks in a customer's name (same address) must not lock the customer out."""
    limited = quota_settings.model_copy(update={"failed_token_checks_per_minute": 3})
    service = make_service(limited)
    assert service.authenticate("premium-token", client_address=ADDR).quota_mb == 5000
    for i in range(3):
        with pytest.raises(InvalidToken):
            service.authenticate(f"guess-{i}", client_address=ADDR)
    assert service.authenticate("premium-token", client_address=ADDR).quota_mb == 5000
    # Known from the database too: another process whose cache has never seen it.
    assert make_service(limited).authenticate("premium-token", client_address=ADDR).quota_mb == 5000
    calls = licence_server.calls()
    for token in ("guess-0", "guess-new", "revoked-token"):
        with pytest.raises(RateLimited):
            service.authenticate(token, client_address=ADDR)
    assert licence_server.calls() == calls


def test_a_token_revoked_upstream_is_limited_again(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    limited = quota_settings.model_copy(update={"failed_token_checks_per_minute": 1})
    service = make_service(limited)
    service.authenticate("small-token", client_address=ADDR)
    licence_server.write_tokens(TOKENS.replace('quota_mb = 50\nsubscription_type = "basic"', "valid = false"))
    with pytest.raises(InvalidToken):
        service.refresh("small-token", client_address=ADDR)
    with pytest.raises(InvalidToken):  # no longer known valid: it counts...
        service.authenticate("small-token", client_address=ADDR)
    with pytest.raises(RateLimited):  # ...and is limited like any other
        service.authenticate("small-token", client_address=ADDR)


def test_concurrent_charges_never_overshoot(service: QuotaService) -> None:
    token_hash = service.authenticate("small-token", client_address=ADDR).token_hash

    def charge(_: int) -> bool:
        try:
            service.charge(token_hash=token_hash, size_bytes=MB, task_id=str(uuid.uuid4()))
        except QuotaExceeded as exc:
            assert exc.details["quota_info"]["limit_mb"] == 50
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        accepted = list(pool.map(charge, range(200)))
    assert accepted.count(True) == 50
    info = service.authenticate("small-token", client_address=ADDR)
    assert info.used_mb == 50.0 and info.remaining_mb == 0 and info.used_bytes == 50 * MB


def test_refund_is_once_and_not_across_a_reset(service: QuotaService) -> None:
    token_hash = service.authenticate("premium-token", client_address=ADDR).token_hash
    service.charge(token_hash=token_hash, size_bytes=1000, task_id="t-1")
    service.charge(token_hash=token_hash, size_bytes=500, task_id="t-2")
    service.refund(token_hash=token_hash, task_id="t-1", size_bytes=1000, reason="task_timeout")
    service.refund(token_hash=token_hash, task_id="t-1", size_bytes=1000, reason="task_timeout")
    assert service.authenticate("premium-token", client_address=ADDR).used_bytes == 500
    service.reset_usage("premium-token")
    # Charged in the new period first: a refund crossing the reset would show (0 would hide it at the floor).
    service.charge(token_hash=token_hash, size_bytes=700, task_id="t-3")
    service.refund(token_hash=token_hash, task_id="t-2", size_bytes=500, reason="worker_lost")
    assert service.authenticate("premium-token", client_address=ADDR).used_bytes == 700
    [note] = [e for e in service.records.ledger(token_hash) if e.task_id == "t-2" and e.kind == "refund"]
    assert note.size_bytes == 0 and "closed period" in (note.note or "")
    service.refund(token_hash=token_hash, task_id="never-charged", size_bytes=10, reason="x")


def test_reset_returns_old_and_new_usage_and_keeps_the_ledger(service: QuotaService) -> None:
    token_hash = service.authenticate("premium-token", client_address=ADDR).token_hash
    service.charge(token_hash=token_hash, size_bytes=MB, task_id="a")
    result = service.reset_usage("premium-token").as_public().model_dump()
    assert result == {
        "token": "premium-token",
        "old_usage_mb": 1,
        "new_usage_mb": 0,
        "quota_mb": 5000,
        "remaining_mb": 5000,
    }
    service.charge(token_hash=token_hash, size_bytes=2 * MB, task_id="b")
    history = service.usage_history("premium-token").model_dump()
    assert history["current_period"]["used_mb"] == 2.0
    assert [p["used_mb"] for p in history["past_periods"]] == [1.0]
    assert history["past_periods"][0]["ended_at"] is not None


def test_tokens_are_stored_hashed(service: QuotaService, database: Database) -> None:
    service.authenticate("premium-token", client_address=ADDR)
    with database.engine.connect() as conn:
        for table in ("licences", "usage_ledger", "rate_counters"):
            rows = conn.exec_driver_sql(f"SELECT * FROM {table}").all()
            assert "premium-token" not in repr(rows)
    assert service.records.get(hash_token("premium-token")) is not None


def test_admin_tokens(service: QuotaService) -> None:
    assert service.is_admin("admin-token-0123456789")
    assert not service.is_admin("admin-token-012345678")
    assert not service.is_admin("premium-token")


def test_background_refresh_rechecks_recent_tokens_once(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    settings = quota_settings.model_copy(update={"quota_refresh_interval_s": 0.2})
    first, second = make_service(settings), make_service(settings)
    first.authenticate("premium-token", client_address=ADDR)
    second.authenticate("premium-token", client_address=ADDR)
    calls = licence_server.calls("premium-token")
    time.sleep(0.3)
    assert first.refresh_stale_tokens() + second.refresh_stale_tokens() == 1  # once per deployment
    assert licence_server.calls("premium-token") == calls + 1


def test_only_tokens_that_validated_are_kept_for_re_checks(
    quota_settings: Settings, make_service: MakeService
) -> None:
    service = make_service(quota_settings.model_copy(update={"failed_token_checks_per_minute": 0}))
    for i in range(20):
        with pytest.raises(InvalidToken):
            service.authenticate(f"guess-{i}-" + "x" * 400, client_address=ADDR)
    with pytest.raises(SubscriptionExpired):
        service.authenticate("expired-token", client_address=ADDR)
    service.authenticate("premium-token", client_address=ADDR)
    assert set(service._recent.snapshot()) == {hash_token("expired-token"), hash_token("premium-token")}


def test_the_licence_cache_and_the_re_check_list_are_bounded(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    licence_server.write_tokens(TOKENS + "".join(f'[tokens."site-{i}"]\nquota_mb = 10\n' for i in range(6)))
    bounded = quota_settings.model_copy(
        update={
            "quota_cache_max_tokens": 3,
            "quota_refresh_max_tokens": 2,
            "failed_token_checks_per_minute": 0,
        }
    )
    service = make_service(bounded)
    for i in range(6):
        service.authenticate(f"site-{i}", client_address=ADDR)
        with pytest.raises(InvalidToken):
            service.authenticate(f"guess-{i}", client_address=ADDR)
    assert len(service._cache) == 3
    assert set(service._recent.snapshot()) == {hash_token("site-4"), hash_token("site-5")}
    # An evicted token is still served (from its database row), and is remembered again.
    assert service.authenticate("site-0", client_address=ADDR).quota_mb == 10
    assert hash_token("site-0") in service._recent


def test_an_overlong_token_is_invalid_without_asking_the_licence_server(
    service: QuotaService, licence_server: LicenceServer
) -> None:
    with pytest.raises(InvalidToken):
        service.authenticate("x" * 513, client_address=ADDR)
    assert licence_server.calls() == 0
    assert len(service._cache) == 0
    with pytest.raises(InvalidToken):  # 512 characters are still asked about
        service.authenticate("x" * 512, client_address=ADDR)
    assert licence_server.calls() == 1


def test_default_quota_without_a_licence_server(settings: Settings, make_service: MakeService) -> None:
    service = make_service(settings)
    info = service.authenticate("any-token", client_address=ADDR)
    assert info.source == "default" and info.quota_mb == settings.default_quota_mb


def test_tokens_file_without_a_licence_server(
    settings: Settings, make_service: MakeService, tmp_path: Path
) -> None:
    tokens = tmp_path / "vendor.toml"
    tokens.write_text(TOKENS)
    service = make_service(settings.model_copy(update={"tokens_file": tokens}))
    assert service.authenticate("small-token", client_address=ADDR).source == "tokens_file"
    with pytest.raises(InvalidToken):
        service.authenticate("unknown", client_address=ADDR)


@pytest.mark.redis
def test_processes_share_one_licence_call_through_redis(
    quota_settings: Settings, database: Database, licence_server: LicenceServer, redis_url: str
) -> None:
    import redis

    from pixpress.coordination.leases import RedisLeases

    client = redis.Redis.from_url(redis_url)
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    processes = [
        QuotaService(
            settings=quota_settings, database=database, shared_flights=RedisLeases(client, prefix=prefix)
        )
        for _ in range(4)
    ]
    licence_server.faults.mode, licence_server.faults.delay_s = "slow", 0.3
    barrier = threading.Barrier(20)

    def check(i: int) -> float:
        barrier.wait()
        return processes[i % 4].authenticate("premium-token", client_address=ADDR).quota_mb

    try:
        with ThreadPoolExecutor(max_workers=20) as pool:
            assert set(pool.map(check, range(20))) == {5000}
        assert licence_server.calls("premium-token") == 1
    finally:
        for process in processes:
            process.close()
        client.close()


def test_stopped_licence_server_then_restarted_recovers(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    from tests.quota.conftest import start_licence_server

    fresh = quota_settings.model_copy(update={"quota_cache_ttl_s": 0, "quota_refresh_interval_s": 0})
    service = make_service(fresh)
    service.authenticate("premium-token", client_address=ADDR)
    licence_server.stop()
    assert service.authenticate("premium-token", client_address=ADDR).source == "database_fallback"
    with pytest.raises(LicenseServerUnavailable):
        service.authenticate("small-token", client_address=ADDR)
    port = int(licence_server.url.rsplit(":", 1)[1])
    restarted = start_licence_server(licence_server.tokens_file, port=port)
    try:
        deadline = time.monotonic() + 10
        while service.authenticate("premium-token", client_address=ADDR).source != "license_api":
            assert time.monotonic() < deadline, "did not recover"
            time.sleep(0.1)
        assert service.authenticate("small-token", client_address=ADDR).quota_mb == 50
    finally:
        restarted.stop()


def test_forced_refreshes_ask_upstream_once_per_interval_per_token(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    """Any customer can call refresh-quota, and every deployment shares the vendor's licence server."""
    limited = quota_settings.model_copy(update={"quota_forced_refresh_interval_s": 60})
    service = make_service(limited)
    first = service.authenticate("small-token", client_address=ADDR)
    assert licence_server.calls("small-token") == 1
    for _ in range(200):
        answer = service.refresh("small-token", client_address=ADDR)
        assert answer.quota_mb == 50 and answer.last_checked_at == first.last_checked_at
    other_process = make_service(limited)
    assert other_process.refresh("small-token", client_address=ADDR).source == "cache"
    assert licence_server.calls("small-token") == 1  # the deployment asked once in all
    assert service.refresh("premium-token", client_address=ADDR).quota_mb == 5000  # its own interval
    assert licence_server.calls("premium-token") == 1


def test_a_forced_refresh_asks_again_once_the_interval_is_over(
    quota_settings: Settings, make_service: MakeService, licence_server: LicenceServer
) -> None:
    limited = quota_settings.model_copy(update={"quota_forced_refresh_interval_s": 0.5})
    service = make_service(limited)
    service.authenticate("small-token", client_address=ADDR)
    licence_server.write_tokens(TOKENS.replace("quota_mb = 50", "quota_mb = 500"))
    assert service.refresh("small-token", client_address=ADDR).quota_mb == 50  # checked just now
    time.sleep(0.6)
    with ThreadPoolExecutor(max_workers=20) as pool:  # concurrent calls share the one that asks
        answers = list(pool.map(lambda _: service.refresh("small-token", client_address=ADDR), range(40)))
    assert licence_server.calls("small-token") == 2
    assert service.authenticate("small-token", client_address=ADDR).quota_mb == 500
    assert {a.quota_mb for a in answers} <= {50, 500}


def test_over_the_failure_limit_not_even_the_admin_token_is_compared(
    quota_settings: Settings, make_service: MakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    limited = quota_settings.model_copy(update={"failed_token_checks_per_minute": 3})
    service = make_service(limited)
    service.authorize_admin("admin-token-0123456789", client_address=ADDR)  # under the limit: in
    for attempt in range(3):
        with pytest.raises(AdminRequired):
            service.authorize_admin(f"guess-{attempt}", client_address=ADDR)
    compared: list[str] = []
    monkeypatch.setattr(service, "is_admin", lambda token: compared.append(token) or True)
    with pytest.raises(RateLimited):
        service.authorize_admin("admin-token-0123456789", client_address=ADDR)
    assert compared == []  # a 429 tells a guesser nothing: the right token is refused the same
    service.authorize_admin("admin-token-0123456789", client_address="10.0.0.2")  # other addresses: in
