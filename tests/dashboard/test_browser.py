"""The dashboard in headless Chromium against a real `pixpress serve` with real uploads done first.

Debian's chromium (apt-get install chromium) driven by playwright; no browser is downloaded. Skipped
with the reason when chromium is missing, unless PIXPRESS_REQUIRE_BROWSER=1. Screenshots go to the test's
temporary folder, or to docs/dashboard/ with PIXPRESS_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pixpress.quota import MB, hash_token
from tests.browser import chromium, require_chromium
from tests.conftest import REPO_ROOT
from tests.e2e.server import ServerProcess, serve

pytestmark = pytest.mark.slow

ADMIN_TOKEN = "admin-secret-token-0123"  # what tests/e2e/server.py's serve() configures
SITE_TOKENS = ("site-token-browser-1", "site-token-browser-2")
UPLOADS = ("graphic/hopper.png", "photo/paris_exif_xmp_icc.jpg", "graphic/transparent.png")
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, corpus: Path) -> Iterator[ServerProcess]:
    require_chromium()
    process = serve(
        tmp_path_factory.mktemp("dashboard"),
        env={
            "PIXPRESS_DASHBOARD_ENABLED": "true",
            "PIXPRESS_DASHBOARD_SECRET": "browser-test-secret-0123456789abcdef",
        },
    )
    try:
        for token, name in zip((*SITE_TOKENS, SITE_TOKENS[0]), UPLOADS, strict=True):
            answer = httpx.post(
                f"{process.url}/api/optimize/submit",
                params={"wait": 30},
                headers={"X-Token": token},
                files={"file": (Path(name).name, (corpus / name).read_bytes())},
                timeout=90,
            )
            assert answer.status_code == 200 and answer.json()["data"]["status"] == "done", answer.text
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if os.environ.get("PIXPRESS_UPDATE_SCREENSHOTS") == "1":
        folder = REPO_ROOT / "docs" / "dashboard"
        folder.mkdir(parents=True, exist_ok=True)
        return folder
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def browser(server: ServerProcess) -> Iterator[object]:
    with chromium() as launched:
        yield launched


class ConsoleErrors(list[str]):
    """Every console error and uncaught page error of a page (CSP violations and failed loads included)."""

    def watch(self, page: object) -> None:
        page.on("console", lambda message: message.type == "error" and self.append(message.text))  # type: ignore[attr-defined]
        page.on("pageerror", lambda error: self.append(str(error)))  # type: ignore[attr-defined]


def test_sign_in_by_keyboard_look_at_a_token_reset_it_and_sign_out(
    browser: object, server: ServerProcess, screenshots: Path, corpus: Path
) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)

    page.goto(f"{server.url}/admin")
    expect(page).to_have_url(f"{server.url}/admin/login")
    page.screenshot(path=screenshots / "sign-in.png")

    # Keyboard only: the first Tab reaches the token field, Enter sends the form.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "token"
    page.keyboard.type(ADMIN_TOKEN)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{server.url}/admin")
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart rect.bar").count() == 30
    expect(page.locator(".stat .value").first).to_have_text("3")  # three images today
    assert ADMIN_TOKEN not in page.content()
    page.screenshot(path=screenshots / "overview.png", full_page=True)

    token_hash = hash_token(SITE_TOKENS[0])
    page.get_by_role("link", name="Tokens").click()
    page.get_by_label("Shown prefix").fill(token_hash[:6])
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name=token_hash[:6]).click()
    expect(page).to_have_url(f"{server.url}/admin/tokens/{token_hash}")
    used = sum((corpus / name).stat().st_size for name in (UPLOADS[0], UPLOADS[2]))  # this token's two
    expect(page.locator(".stat .value").first).to_have_text(f"{used / MB:,.2f} MB")
    assert page.locator("table .tag.charge").count() == 2

    page.get_by_role("link", name="Reset usage…").click()
    expect(page.get_by_role("heading", name=f"Reset usage of {token_hash[:6]}?")).to_be_visible()
    page.get_by_role("button", name="Reset usage").click()
    expect(page.get_by_role("status")).to_contain_text("Usage reset")
    expect(page.locator(".stat .value").first).to_have_text("0.00 MB")
    assert page.locator("table .tag.reset").count() == 1
    page.screenshot(path=screenshots / "token.png", full_page=True)  # a closed period and the new one
    quota = httpx.get(f"{server.url}/api/optimize/quota", headers={"X-Token": SITE_TOKENS[0]}).json()
    assert quota["data"]["used_mb"] == 0

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out")
    page.goto(f"{server.url}/admin")
    expect(page).to_have_url(f"{server.url}/admin/login")
    # Only the sign-in form's own session is left: not signed in.
    assert page.get_by_role("button", name="Sign out").count() == 0
    context.close()
    assert errors == [], errors


def test_phone_width_fits_the_screen(browser: object, server: ServerProcess, screenshots: Path) -> None:
    from playwright.sync_api import Browser, expect

    assert isinstance(browser, Browser)
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = context.new_page()
    errors = ConsoleErrors()
    errors.watch(page)
    page.goto(f"{server.url}/admin/login")
    page.get_by_label("Admin token").fill(ADMIN_TOKEN)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()
    # Nothing wider than the screen: wide tables scroll inside their own box.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=screenshots / "phone.png")  # the first screen, as a phone shows it
    page.goto(f"{server.url}/admin/tokens/{hash_token(SITE_TOKENS[1])}")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
    assert errors == [], errors
