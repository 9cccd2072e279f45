"""Session cookies: signed, expiring, bound to an admin token that is still configured."""

from __future__ import annotations

from pixpress.dashboard.csrf import csrf_ok
from pixpress.dashboard.session import Session, SessionSigner


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def signer(clock: Clock, secret: bytes = b"s" * 32) -> SessionSigner:
    return SessionSigner(secret=secret, ttl_s=3600, clock=clock)


def test_a_signed_session_reads_back() -> None:
    clock = Clock()
    session = signer(clock).new(admin_token="admin-token")
    loaded = signer(clock).loads(signer(clock).dumps(session))
    assert loaded is not None and loaded.signed_in
    assert loaded.admin == session.admin and loaded.csrf == session.csrf
    assert loaded.expires_at == int(clock.now + 3600)
    assert "admin-token" not in signer(clock).dumps(session)  # a keyed fingerprint, never the token


def test_tampered_malformed_or_foreign_cookies_are_refused() -> None:
    clock = Clock()
    value = signer(clock).dumps(signer(clock).new(admin_token="admin-token"))
    body, mac = value.split(".")
    forged = signer(clock).dumps(Session(admin=None, csrf="x", expires_at=clock.now + 10)).split(".")[0]
    for bad in (
        None,
        "",
        "garbage",
        f"{forged}.{mac}",  # another body under this signature
        f"{body}.{mac[:-2]}AA",
        f"{body}.{mac}.extra",
        "é.é",
        signer(clock, secret=b"another secret of 32 characters!").dumps(signer(clock).new()),
    ):
        assert signer(clock).loads(bad) is None, bad


def test_a_session_expires() -> None:
    clock = Clock()
    value = signer(clock).dumps(signer(clock).new(admin_token="admin-token"))
    clock.now += 3599
    assert signer(clock).loads(value) is not None
    clock.now += 2
    assert signer(clock).loads(value) is None


def test_a_session_dies_with_its_admin_token() -> None:
    clock = Clock()
    session = signer(clock).new(admin_token="old-admin-token")
    assert signer(clock).admin_still_valid(session, ["other", "old-admin-token"])
    assert not signer(clock).admin_still_valid(session, ["new-admin-token"])
    assert not signer(clock).admin_still_valid(signer(clock).new(), ["old-admin-token"])  # the form's


def test_csrf_needs_the_session_s_own_token() -> None:
    session = signer(Clock()).new(admin_token="admin-token")
    assert csrf_ok(session, session.csrf)
    for wrong in (None, "", "x", session.csrf + "x", ["list"]):
        assert not csrf_ok(session, wrong)
    assert not csrf_ok(None, session.csrf)
    assert signer(Clock()).new().csrf != session.csrf  # fresh per session
