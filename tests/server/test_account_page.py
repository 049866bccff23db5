"""The account page (web/static/account/) in headless Chromium against a real
server: sign up, activate from the mail, buy a test pack, spend a credit the
way the app's HD export does, accept a new terms version, see why the account
cannot be cancelled yet. No CSP violations, no request to another origin."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic"]

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")


@pytest.fixture
def page_server(live_server, tmp_path):
    web = tmp_path / "web"
    shutil.copytree(REPO / "web" / "static" / "account", web / "account")
    shutil.copy(REPO / "web" / "static" / "favicon.svg", web / "favicon.svg")
    return live_server(tmp_path / "live.sqlite3")


@pytest.fixture
def page(page_server):
    problems: list[str] = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        page = browser.new_page()
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: problems.append(f"foreign request {r.url}")
                if not r.url.startswith((page_server.url, "data:", "blob:")) else None)
        page.set_default_timeout(15_000)
        yield page, page_server, problems
        browser.close()


def test_account_page_end_to_end(page, inbox):
    page, server, problems = page
    page.goto(server.url + "/account/")
    assert page.locator("#signed-in").is_hidden()
    signup = page.locator("#signup")
    signup.get_by_label("Email").fill("page@example.org")
    signup.get_by_label("Password (at least 10 characters)").fill("correct horse battery")
    signup.get_by_label("Date of birth").fill("1990-04-01")
    for box in ("adult", "terms", "privacy"):
        signup.locator(f"input[name={box}]").check()
    signup.get_by_role("button", name="Create account").click()
    page.get_by_text("Account created").wait_for()
    # the notice is said before the page refreshes its account panels: wait, do not race
    page.locator("#activation").wait_for(state="visible")

    token = inbox.token("page@example.org", "activate", "/links/activate")
    page.goto(f"{server.url}/links/activate?token={token}")
    page.get_by_role("button", name="Activate").click()
    page.get_by_text("Account activated").wait_for()

    page.goto(server.url + "/account/")
    page.locator("#balance", has_text="3 credits").wait_for()
    assert page.locator("#signed-out").is_hidden()
    assert page.locator("#activation").is_hidden()
    # Packs and the provider label render after the balance (separate requests): wait, do not race.
    page.locator("#test-provider").wait_for(state="visible")
    page.get_by_role("button", name="10 credits for").click()
    page.get_by_text("TEST PAYMENT PROVIDER").wait_for()
    page.get_by_role("button", name="Pay (test)").click()
    page.get_by_role("link", name="Back to your account").click()
    page.locator("#balance", has_text="13 credits").wait_for()

    grant = page.evaluate("""async () => {
        const api = await import('/account/api.js');
        return api.spendForHdExport(new Uint8Array([1, 2, 3]), 'page-hd-export-1');
    }""")
    assert grant["fingerprint"] == "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81"  # sha256(01 02 03)
    assert grant["balance"] == 12

    published = subprocess.run(
        [sys.executable, "-m", "server.admin", "--db", str(server.db), "publish-agreement", "terms",
         "--title", "Terms v2", "--file", str(REPO / "server" / "README.md")],
        cwd=REPO, capture_output=True, text=True, timeout=60)
    assert published.returncode == 0, published.stderr
    page.reload()
    dialog = page.locator("#agreements")
    dialog.get_by_text("Terms v2 (version 2").wait_for()
    dialog.get_by_role("button", name="I accept").click()
    page.get_by_text("You can spend and buy credits again").wait_for()
    assert dialog.is_hidden()
    assert page.get_by_role("button", name="10 credits for").is_enabled()

    assert page.locator("#blockers").inner_text() == "Accounts can be cancelled once they are 7 days old."
    assert page.locator("#cancel button").is_disabled()
    assert page.locator("#forfeit-row").is_visible()
    page.screenshot(path=str(Path(server.db).parent / "account-page.png"), full_page=True)
    assert problems == []
