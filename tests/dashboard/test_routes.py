"""The dashboard over HTTP (in process): off by default, sign-in, cookies, CSRF, limits, reset, headers."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

from pixpress.config import Settings
from pixpress.quota import hash_token
from tests.dashboard.conftest import ADMIN_TOKEN, SECRET, SITE_TOKEN, csrf_of, sign_in

SITE = {"X-Token": SITE_TOKEN}


def test_off_unless_enabled_and_admin_tokens_exist(
    settings: Settings, dash_settings: Settings, make_client: Callable[..., TestClient]
) -> None:
    off = make_client(settings.model_copy(update={"admin_tokens": ADMIN_TOKEN}))
    no_admins = make_client(dash_settings.model_copy(update={"admin_tokens": ""}))
    for client in (off, no_admins):
        for path in ("/admin", "/admin/login", "/admin/tokens", "/admin/static/dashboard.css"):
            assert client.get(path, follow_redirects=False).status_code == 404, path


def test_pages_need_a_session(client: TestClient) -> None:
    for path in ("/admin", "/admin/tokens", f"/admin/tokens/{'a' * 64}", f"/admin/tokens/{'a' * 64}/reset"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/login", path
    refused = client.post(f"/admin/tokens/{'a' * 64}/reset", data={"csrf_token": "x"}, follow_redirects=False)
    assert refused.status_code == 303 and refused.headers["location"] == "/admin/login"


def test_sign_in_sets_a_signed_httponly_strict_cookie_with_an_expiry(client: TestClient) -> None:
    form = client.get("/admin/login")
    assert form.status_code == 200 and 'name="token"' in form.text
    answer = client.post(
        "/admin/login", data={"csrf_token": csrf_of(form.text), "token": ADMIN_TOKEN}, follow_redirects=False
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/admin"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("pixpress_admin=")
    for attribute in ("HttpOnly", "Max-Age=28800", "Path=/admin", "SameSite=strict"):
        assert attribute in cookie, attribute
    assert "Secure" not in cookie  # plain http here
    assert ADMIN_TOKEN not in cookie and SECRET not in cookie
    page = client.get("/admin")
    assert page.status_code == 200 and "Overview" in page.text
    assert csrf_of(page.text) != csrf_of(form.text)  # a new CSRF token once signed in


def test_the_cookie_is_secure_over_https_or_when_told(
    dash_settings: Settings, make_client: Callable[..., TestClient]
) -> None:
    https = make_client(dash_settings)
    https.base_url = https.base_url.copy_with(scheme="https")
    assert "Secure" in https.get("/admin/login").headers["set-cookie"]
    told = make_client(dash_settings.model_copy(update={"dashboard_secure_cookie": True}))
    assert "Secure" in told.get("/admin/login").headers["set-cookie"]


def test_a_wrong_token_is_refused_and_counted_then_limited(client: TestClient) -> None:
    for attempt in range(3):
        form = client.get("/admin/login")
        answer = client.post(
            "/admin/login", data={"csrf_token": csrf_of(form.text), "token": f"guess-{attempt}"}
        )
        assert answer.status_code == 401 and "not an admin token" in answer.text
        assert client.get("/admin", follow_redirects=False).status_code == 303  # not signed in
    form = client.get("/admin/login")
    limited = client.post("/admin/login", data={"csrf_token": csrf_of(form.text), "token": "guess-4"})
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "Too many attempts" in limited.text
    # The limit is the API's: the same address is limited there too.
    assert (
        client.post("/api/admin/usage", json={"token": SITE_TOKEN}, headers={"X-Token": "x"}).status_code
        == 429
    )
    # Over the limit nothing is compared: the real token gets the same 429 and no session.
    form = client.get("/admin/login")
    real = client.post(
        "/admin/login",
        data={"csrf_token": csrf_of(form.text), "token": ADMIN_TOKEN},
        follow_redirects=False,
    )
    assert real.status_code == 429 and "pixpress_admin" not in real.headers.get("set-cookie", "")
    assert client.get("/admin", follow_redirects=False).status_code == 303  # still not signed in


def test_sign_in_without_the_form_s_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/admin/login")
    for data in ({"token": ADMIN_TOKEN}, {"token": ADMIN_TOKEN, "csrf_token": "forged"}):
        answer = client.post("/admin/login", data=data, follow_redirects=False)
        assert answer.status_code == 403 and "expired" in answer.text
    fresh = TestClient(client.app, client=("203.0.113.9", 50000))  # no cookie at all
    assert fresh.post("/admin/login", data={"token": ADMIN_TOKEN, "csrf_token": "x"}).status_code == 403


def test_posts_without_the_session_s_csrf_token_change_nothing(client: TestClient) -> None:
    assert client.post("/api/optimize/submit", headers=SITE).status_code == 422  # licence row created
    client.get("/api/optimize/quota", headers=SITE)
    token_hash = hash_token(SITE_TOKEN)
    sign_in(client)
    for data in ({}, {"csrf_token": "forged"}):
        refused = client.post(f"/admin/tokens/{token_hash}/reset", data=data, follow_redirects=False)
        assert refused.status_code == 403
        assert client.post("/admin/logout", data=data, follow_redirects=False).status_code == 403
    assert client.get("/admin").status_code == 200  # still signed in


def test_reset_from_the_dashboard_closes_the_period_like_the_api(client: TestClient) -> None:
    png = _tiny_png()
    submitted = client.post("/api/optimize/submit", headers=SITE, files={"file": ("a.png", png, "image/png")})
    assert submitted.status_code == 200, submitted.text
    token_hash = hash_token(SITE_TOKEN)
    sign_in(client)
    listed = client.get("/admin/tokens", params={"q": token_hash[:6]})
    assert f"/admin/tokens/{token_hash}" in listed.text
    page = client.get(f"/admin/tokens/{token_hash}")
    assert page.status_code == 200 and "premium" in page.text and "charge" in page.text
    confirm = client.get(f"/admin/tokens/{token_hash}/reset")
    assert confirm.status_code == 200 and "Reset usage of" in confirm.text
    done = client.post(
        f"/admin/tokens/{token_hash}/reset",
        data={"csrf_token": csrf_of(confirm.text)},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == f"/admin/tokens/{token_hash}?reset=1"
    after = client.get(done.headers["location"])
    assert "Usage reset" in after.text and re.search(r">\s*reset\s*<", after.text)
    usage = client.post("/api/admin/usage", json={"token": SITE_TOKEN}, headers={"X-Token": ADMIN_TOKEN})
    data = usage.json()["data"]
    assert data["used_mb"] == 0 and len(data["past_periods"]) == 1
    assert data["past_periods"][0]["used_bytes"] == len(png) and data["past_periods"][0]["ended_at"]
    [statement] = data["statements"]
    assert statement["used_bytes"] == len(png) and statement["closed_by"] == "dashboard"
    assert re.search(r"<h2>Statements</h2>.*dashboard", after.text, re.DOTALL)
    assert "ends when the vendor resets it" in after.text  # no schedule in these settings


def test_unknown_or_malformed_token_hashes_are_404_pages(client: TestClient) -> None:
    csrf = sign_in(client)
    for path in (f"/admin/tokens/{'f' * 64}", "/admin/tokens/not-a-hash", f"/admin/tokens/{'f' * 64}/reset"):
        answer = client.get(path)
        assert answer.status_code == 404 and "text/html" in answer.headers["content-type"], path
    assert client.post(f"/admin/tokens/{'f' * 64}/reset", data={"csrf_token": csrf}).status_code == 404


def test_search_takes_hex_prefixes_only(client: TestClient) -> None:
    client.get("/api/optimize/quota", headers=SITE)
    sign_in(client)
    assert hash_token(SITE_TOKEN) in client.get("/admin/tokens").text
    for q in ("%", "_", "zz", "' or 1=1 --"):
        answer = client.get("/admin/tokens", params={"q": q})
        assert answer.status_code == 200 and "No token matches" in answer.text, q


def test_sign_out_clears_the_session(client: TestClient) -> None:
    csrf = sign_in(client)
    answer = client.post("/admin/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/admin/login?signed_out=1"
    assert 'pixpress_admin=""' in answer.headers["set-cookie"] and "Max-Age=0" in answer.headers["set-cookie"]
    assert client.get("/admin", follow_redirects=False).status_code == 303
    assert "You are signed out" in client.get("/admin/login?signed_out=1").text


def test_a_session_from_another_secret_or_a_removed_admin_token_is_not_accepted(
    dash_settings: Settings, make_client: Callable[..., TestClient]
) -> None:
    # Copies first: model_copy would carry over the admin-token list once a client has read it.
    rotated_settings = dash_settings.model_copy(update={"dashboard_secret": "another-secret-" * 3})
    removed_settings = dash_settings.model_copy(update={"admin_tokens": "a-new-admin-token-0123"})
    first = make_client(dash_settings)
    sign_in(first)
    cookie = first.cookies["pixpress_admin"]
    for other in (make_client(rotated_settings), make_client(removed_settings)):
        other.cookies.set("pixpress_admin", cookie, path="/admin")
        assert other.get("/admin", follow_redirects=False).status_code == 303


def test_pages_carry_strict_security_headers(client: TestClient) -> None:
    login = client.get("/admin/login")
    sign_in(client)
    for answer in (login, client.get("/admin"), client.get("/admin/tokens")):
        headers = answer.headers
        assert "script-src" not in headers["content-security-policy"]  # default-src 'none': no script
        assert "default-src 'none'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["cache-control"] == "no-store"
        assert '<meta name="viewport"' in answer.text
    css = client.get("/admin/static/dashboard.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")


def test_the_overview_shows_no_secret(
    dash_settings: Settings, make_client: Callable[..., TestClient]
) -> None:
    secrets = {"license_api_key": "licence-key-never-shown", "s3_secret_access_key": "s3-never-shown"}
    client = make_client(dash_settings.model_copy(update=secrets))
    sign_in(client)
    page = client.get("/admin").text
    for secret in (ADMIN_TOKEN, SECRET, *secrets.values()):
        assert secret not in page
    assert "PIXPRESS_ADMIN_TOKENS" in page and "(hidden): 1 token" in page


def test_production_refuses_a_missing_or_short_dashboard_secret(dash_settings: Settings) -> None:
    production = {
        "environment": "production",
        "admin_tokens": "admin-token-0123456789",
        "tokens_file": dash_settings.tokens_file,
        "dashboard_enabled": True,
    }
    for secret in ("", "short"):
        with pytest.raises(ValueError, match="PIXPRESS_DASHBOARD_SECRET"):
            Settings(**production, dashboard_secret=secret, _env_file=None)  # type: ignore[call-arg,arg-type]
    Settings(**production, dashboard_secret="x" * 32, _env_file=None)  # type: ignore[call-arg,arg-type]
    Settings(**{**production, "dashboard_enabled": False}, _env_file=None)  # type: ignore[call-arg,arg-type]


def _tiny_png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_the_token_page_shows_the_next_scheduled_reset(
    dash_settings: Settings, make_client: Callable[..., TestClient]
) -> None:
    client = make_client(dash_settings.model_copy(update={"reset_schedule": "monthly", "reset_day": "last"}))
    assert client.get("/api/optimize/quota", headers=SITE).status_code == 200
    sign_in(client)
    page = client.get(f"/admin/tokens/{hash_token(SITE_TOKEN)}")
    assert re.search(r"next reset \d{4}-\d\d-\d\d 00:00 UTC \(monthly\)", page.text)
    assert "No period closed yet." in page.text
