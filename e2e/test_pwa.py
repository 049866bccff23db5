"""The installable app: offline after the first visit, updates offered (never
forced mid-job), and Chromium's install criteria met.

Each test runs its own server (e2e/live_server.py) so it can take the network
away or swap in a new build. The stand-in model keeps these fast; the model's
own caching is covered by test_real_photo's second-visit test."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import httpx
import pytest
from PIL import Image

from buildlib import manifest, pwa
from buildlib.common import sha256_bytes

from .conftest import CHROMIUM, CHROMIUM_FLAGS, ROOT, WEB_ROOT, _free_port
from .helpers import BOOT_TIMEOUT_MS, STAND_IN, cut, download, open_app, rgba_of
from .live_server import linked_copy

QUERY = f"backend=wasm&{STAND_IN}"
SW_TIMEOUT_MS = 60_000
NEEDS_CONNECTION = "Account features need a connection."


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "photo.png"
    img = Image.new("RGB", (480, 360), (40, 120, 200))
    img.paste((230, 180, 60), (140, 90, 340, 270))
    img.save(path)
    return path


@pytest.fixture
def large_photo_file(tmp_path):
    """Over twice the working size (1024): its cutout needs graph-refine-large,
    which the first visit's small photo did not use."""
    path = tmp_path / "large.png"
    img = Image.new("RGB", (2100, 1400), (40, 120, 200))
    img.paste((230, 180, 60), (600, 350, 1500, 1050))
    img.save(path)
    return path


def wait_controlled(page):
    page.wait_for_selector("body[data-sw=controlled]", state="attached", timeout=SW_TIMEOUT_MS)


def wait_engine(page):
    page.wait_for_selector("body[data-engine]", state="attached", timeout=BOOT_TIMEOUT_MS)
    engine = page.get_attribute("body", "data-engine")
    assert engine == "ready", f"engine {engine}: {page.text_content('#error')}\n" + "\n".join(page.console_lines[-20:])


def cache_names(page) -> list[str]:
    return page.evaluate("() => caches.keys()")


def wait_graphs_cached(page, timeout_s: float = 60) -> None:
    """Wait until the engine has stored every graph of the build (it does once idle)."""
    urls = [a["url"] for a in page.evaluate("() => fetch('/asset-manifest.json').then((r) => r.json())")["assets"]
            if a["role"] == "graph"]
    deadline = time.monotonic() + timeout_s
    while True:
        cached = page.evaluate("""async () => (await (await caches.open("cutout-assets-v1")).keys())
                                    .map((r) => new URL(r.url).pathname)""")
        missing = sorted(set(urls) - set(cached))
        if not missing:
            return
        assert time.monotonic() < deadline, f"graphs never cached: {missing}"
        time.sleep(0.25)


def test_offline_reload_still_cuts_out(context, server, photo_file, large_photo_file, artifacts):
    page = open_app(context, server.url, QUERY)
    wait_controlled(page)
    assert cut(page, photo_file) == "done", page.text_content("#error")  # first visit: everything cached
    wait_graphs_cached(page)  # including those this photo did not need
    failed = []
    context.on("requestfailed", lambda r: failed.append(f"{r.method} {r.url}: {r.failure}"))
    context.set_offline(True)
    server.stop()  # really no network: the origin is gone too
    page.reload()
    wait_engine(page)
    # navigator.onLine may still say true after a reload under emulation: the
    # header then learns it is offline from its failed sync, so wait for that.
    page.wait_for_selector("#account[data-state=offline]", timeout=SW_TIMEOUT_MS)
    assert page.inner_text("#account") == f"Offline\n{NEEDS_CONNECTION}"  # never signed in: no balance to show
    assert cut(page, photo_file) == "done", page.text_content("#error")
    out = rgba_of(download(page, "#save-png"))
    assert out.shape[:2] == (360, 480)
    assert out[180, 240, 3] == 255 and out[5, 5, 3] == 0, "the stand-in ellipse keeps the middle, drops the corner"
    page.screenshot(path=str(artifacts / "pwa-offline-cutout.png"))
    assert cut(page, large_photo_file) == "done", page.text_content("#error")  # a graph first used offline
    page.screenshot(path=str(artifacts / "pwa-offline-large.png"))
    # its full-resolution export needs the server (a credit); the free preview works offline
    preview = rgba_of(download(page, "#save-preview"))
    assert preview.shape[:2] == (667, 1000) and preview[333, 500, 3] == 255 and preview[5, 5, 3] == 0
    # The account sync may try the network and fail (that is how it learns it is
    # offline); every app asset must come from the cache. ERR_CACHE_MISS is the
    # runtimes' WebAssembly asked of the HTTP cache alone (js/engine/wasm-compile.js):
    # not there, it comes from Cache Storage, and nothing went to the network.
    app_failures = [f for f in failed if f.split(" ", 2)[1].startswith(server.url) and "/api/" not in f
                    and not f.endswith("net::ERR_CACHE_MISS")]
    assert not app_failures, "app assets failed offline:\n" + "\n".join(app_failures)


def make_build_b(root) -> str:
    """Change one app file and regenerate the asset manifest and service worker
    the way build.py does (buildlib.pwa), so the page sees a new build."""
    target = root / "js" / "ui" / "downloads.js"
    data = target.read_bytes() + b"\n// build B\n"
    target.unlink()  # a hard link to build/web: replace, never edit in place
    target.write_bytes(data)
    doc = json.loads((root / "asset-manifest.json").read_text())
    for a in doc["assets"]:
        if a["url"] == "/js/ui/downloads.js":
            a["sha256"], a["bytes"] = sha256_bytes(data), len(data)
    doc["build_id"] = manifest.build_id(doc["assets"])
    (root / "asset-manifest.json").unlink()
    (root / "asset-manifest.json").write_text(json.dumps(doc))
    (root / "sw.js").unlink()
    pwa.write(root, doc)
    return doc["build_id"]


def test_update_is_offered_waits_for_the_job_and_drops_the_old_cache(context, server, artifacts):
    page = open_app(context, server.url, QUERY)
    wait_controlled(page)
    old_shells = [n for n in cache_names(page) if n.startswith("cutout-shell-")]
    assert len(old_shells) == 1, old_shells
    build_b = make_build_b(server.web_root)
    page.evaluate("() => navigator.serviceWorker.getRegistration().then((r) => r.update())")
    page.wait_for_selector("body[data-update=available]", state="attached", timeout=SW_TIMEOUT_MS)
    assert page.is_visible("#pwa-update")
    page.screenshot(path=str(artifacts / "pwa-update-offer.png"))
    # A cutout is running: accepting must not reload until it ends.
    page.evaluate("() => { window.stillBuildA = true; document.body.dataset.job = 'running'; }")
    page.click("#pwa-reload")
    page.wait_for_selector("body[data-update=waiting-for-job]", state="attached")
    page.wait_for_timeout(1500)
    assert page.evaluate("() => window.stillBuildA === true"), "the page reloaded while a job was running"
    assert old_shells[0] in cache_names(page), "the old build's cache went away under a running job"
    with page.expect_navigation(timeout=SW_TIMEOUT_MS):
        page.evaluate("() => { document.body.dataset.job = 'done'; }")
    wait_engine(page)
    assert page.evaluate("() => window.stillBuildA") is None
    shells = [n for n in cache_names(page) if n.startswith("cutout-shell-")]
    assert old_shells[0] not in shells and len(shells) == 1, shells
    served = page.evaluate("() => fetch('/asset-manifest.json').then((r) => r.json()).then((d) => d.build_id)")
    assert served == build_b
    assert "// build B" in page.evaluate("() => fetch('/js/ui/downloads.js').then((r) => r.text())")


def test_chromium_install_criteria_met(browser, server, artifacts, tmp_path):
    # A persistent profile: Chromium never offers installation in an incognito
    # context, which is what browser.new_context() makes. The viewport is an
    # installed app's window: no browser toolbar, a typical desktop size.
    context = browser.browser_type.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True,
        viewport={"width": 960, "height": 640})
    try:
        page = open_app(context, server.url, QUERY)
        wait_controlled(page)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        assert errors == [], errors
        app_manifest = cdp.send("Page.getAppManifest")
        assert not app_manifest.get("errors"), app_manifest.get("errors")
        parsed = json.loads(app_manifest["data"])
        assert parsed["display"] == "standalone" and any(i.get("purpose") == "maskable" for i in parsed["icons"])
        page.screenshot(path=str(artifacts / "pwa-installed-window.png"))
    finally:
        context.close()


@pytest.fixture
def account_server(tmp_path):
    """A server that really sends mail (to an aiosmtpd inbox), so a test can activate an account."""
    from aiosmtpd.controller import Controller

    from tests.server.live import start_server
    from tests.server.support import Inbox

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    linked_copy(WEB_ROOT, tmp_path / "web")  # live.py serves <db folder>/web
    db, port = tmp_path / "pwa.sqlite3", _free_port()
    servers = [start_server(db, port, smtp.port)]
    restart = lambda: servers.append(start_server(db, port, smtp.port))  # noqa: E731  same database, same port
    try:
        yield servers[0], inbox, restart
    finally:
        for s in servers:
            s.stop()
        smtp.stop()


def header_shot(page, artifacts, name):
    page.locator("header").screenshot(path=str(artifacts / name))


def test_offline_shows_the_last_synced_account_state(context, account_server, photo_file, artifacts):
    from tests.server.support import PASSWORD, Browser, buy, signed_up

    server, inbox, restart = account_server
    email = "offline@example.org"
    signed_up(Browser(httpx.Client(base_url=server.url)), inbox, email)  # activated: 3 free credits
    page = open_app(context, server.url, QUERY)
    wait_controlled(page)
    status = page.locator("#account")
    status.locator("a", has_text="Sign in").wait_for()
    assert status.get_attribute("role") == "status"
    assert cut(page, photo_file) == "done", page.text_content("#error")  # first visit: everything cached

    page.goto(server.url + "/account/")
    page.locator("#login input[name=email]").fill(email)
    page.locator("#login input[name=password]").fill(PASSWORD)
    page.locator("#login button[type=submit]").click()
    page.locator("#balance", has_text="3 credits").wait_for()
    person = Browser(httpx.Client(base_url=server.url))
    person.post("/api/sessions", json={"email": email, "password": PASSWORD})
    buy(person)  # a bought lot next to the free one: 13 credits
    page.goto(f"{server.url}/?{QUERY}")
    wait_engine(page)
    page.wait_for_selector("#account[data-state=signed-in]:has-text('13 credits')", state="attached")
    # an HD export's spend (the same call downloads.js makes) updates the header
    page.evaluate("""async () => {
        const api = await import('/account/api.js');
        await api.spendForHdExport(new Uint8Array([1, 2, 3]), 'offline-test-spend-1');
    }""")
    page.wait_for_selector("#account:has-text('12 credits')", state="attached")
    published = subprocess.run([sys.executable, "-m", "server.admin", "--db", str(server.db), "publish-agreement", "terms",
                                "--title", "Terms v2", "--file", str(ROOT / "server" / "README.md")],
                               cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert published.returncode == 0, published.stderr
    page.reload()
    wait_engine(page)
    page.wait_for_selector("#account:has-text('New terms to accept')", state="attached")
    header_shot(page, artifacts, "pwa-account-online.png")
    online_height = page.locator("header").bounding_box()["height"]

    context.set_offline(True)
    server.stop()
    page.reload()
    wait_engine(page)
    assert cut(page, photo_file) == "done", page.text_content("#error")
    page.wait_for_selector("#account[data-state=offline]", state="attached")
    text = status.inner_text()
    assert re.fullmatch(rf"Offline · 12 credits as of \S.*\n{re.escape(NEEDS_CONNECTION)}", text), text
    assert status.locator("a").get_attribute("href") == "/account/"
    assert page.locator("header").bounding_box()["height"] == online_height, "the header changed height offline"
    header_shot(page, artifacts, "pwa-account-offline.png")
    page.set_viewport_size({"width": 390, "height": 844})
    header_shot(page, artifacts, "pwa-account-offline-phone.png")
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"page scrolls sideways at phone width: {width}"
    page.set_viewport_size({"width": 1200, "height": 900})

    page.goto(server.url + "/account/")  # from the service worker's cache
    page.locator("#balance", has_text="12 credits").wait_for()
    assert page.locator("#offline").is_visible() and "You are offline" in page.inner_text("#offline")
    assert page.locator("#lots tbody tr").count() == 2
    assert page.locator("#who").inner_text() == f"Signed in as {email}."
    assert page.locator("#to-accept-list").inner_text() == "Terms of service, version 2"
    for button in ("#logout", "#password button", "#password input[name=new_password]", "#cancel button", "#resend"):
        assert page.locator(button).is_disabled(), button
    assert "needs a connection" in page.inner_text("#packs")
    page.screenshot(path=str(artifacts / "pwa-account-page-offline.png"), full_page=True)

    restart()  # back online: the page re-enables its forms and asks the server again
    context.set_offline(False)
    page.locator("#offline").wait_for(state="hidden")
    page.get_by_role("button", name="10 credits for").wait_for()
    assert page.locator("#logout").is_enabled() and page.locator("#password button").is_enabled()
    page.locator("#sessions li", has_text="This device").wait_for()
