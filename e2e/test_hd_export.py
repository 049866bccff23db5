"""Downloads and credits (issue 4, "What credits buy"): the preview (longest side
<= 1000 px) is free and needs no account; the full-resolution export of a larger
image costs 1 credit after confirmation, charged once per result; the server only
ever sees a SHA-256 fingerprint, never image bytes.

One real server (test settings: SMTP to an aiosmtpd inbox, test payment provider)
serving build/web, and the app with the stand-in model."""

from __future__ import annotations

import hashlib
import io

import httpx
import pytest
from PIL import Image

from e2e.conftest import WEB_ROOT, _free_port
from e2e.helpers import STAND_IN, cut, download, open_app

CONFIRM = "Spend 1 credit for the full-resolution export?"
RULE = "Preview (up to 1000 px) is free; full resolution costs 1 credit."
EMAIL = "hd-export@example.org"


@pytest.fixture(scope="module")
def hd_server(tmp_path_factory):
    from aiosmtpd.controller import Controller

    from tests.server.live import start_server
    from tests.server.support import Inbox

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    root = tmp_path_factory.mktemp("hd-server")
    (root / "web").symlink_to(WEB_ROOT, target_is_directory=True)  # live.py serves <db folder>/web
    server = start_server(root / "hd.sqlite3", _free_port(), smtp.port, free_credits=3)
    try:
        yield server, inbox
    finally:
        server.stop()
        smtp.stop()


def _size(data: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(data)).size


def test_preview_free_hd_costs_one_credit_once(hd_server, context, tmp_path):
    from tests.server.support import Browser, balance, signed_up

    server, inbox = hd_server
    big, small = tmp_path / "big.png", tmp_path / "small.png"
    Image.new("RGB", (1600, 1200), (40, 120, 200)).save(big)
    Image.new("RGB", (800, 600), (200, 120, 40)).save(small)

    page = open_app(context, server.url, STAND_IN)
    api_posts: list[tuple[str, bytes]] = []
    page.on("request", lambda r: api_posts.append((r.url, r.post_data_buffer or b""))
            if "/api/" in r.url and r.method != "GET" else None)
    dialogs: list[str] = []

    def on_dialog(dialog):
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", on_dialog)
    assert page.locator("header a[href='/account/']").is_visible()
    assert cut(page, big) == "done", page.text_content("#error")
    assert page.text_content("#price").strip() == RULE

    # anonymous: the preview downloads, longest side 1000 px
    assert _size(download(page, "#save-preview")) == (1000, 750)
    assert dialogs == []

    # anonymous: HD asks, then says to sign in (with a link to the account page); nothing saved
    page.click("#save-png")
    page.wait_for_selector("body[data-download='png:refused']", state="attached")
    assert dialogs == [CONFIRM]
    problem = page.locator("#hd-problem")
    assert problem.is_visible() and "Sign in" in problem.inner_text(), problem.inner_text()
    assert problem.get_attribute("data-code") == "not_signed_in"
    assert problem.locator("a").get_attribute("href") == "/account/"

    # a person with an activated account (3 free credits) signs in, in this tab
    person = signed_up(Browser(httpx.Client(base_url=server.url)), inbox, EMAIL)
    assert balance(person) == 3
    signed_in = page.evaluate("""async (email) => {
        const api = await import('/account/api.js');
        await api.api('POST', '/api/sessions', { email, password: 'correct horse battery' });
        return (await api.api('GET', '/api/sync')).account !== null;
    }""", EMAIL)
    assert signed_in

    # the same result: confirm, 1 credit spent, the full-resolution PNG saved
    hd = download(page, "#save-png")
    assert _size(hd) == (1600, 1200)
    assert dialogs == [CONFIRM, CONFIRM]
    assert balance(person) == 2
    assert problem.is_hidden()
    assert "paid for" in page.text_content("#price")

    # downloading the same result again (PNG or WebP) asks nothing and charges nothing
    assert download(page, "#save-png") == hd
    assert _size(download(page, "#save-webp")) == (1600, 1200)
    assert dialogs == [CONFIRM, CONFIRM]
    assert balance(person) == 2

    # a small image: full resolution is free, said so, no confirmation, no spend
    assert cut(page, small) == "done", page.text_content("#error")
    assert "full resolution is free too" in page.text_content("#price")
    assert _size(download(page, "#save-png")) == (800, 600)
    assert dialogs == [CONFIRM, CONFIRM]
    assert balance(person) == 2

    # the server saw fingerprints, never image bytes
    spends = [body for url, body in api_posts if url.endswith("/api/credits/spend")]
    assert len(spends) == 2, api_posts  # the anonymous refusal and the one paid export
    fingerprint = hashlib.sha256(hd).hexdigest()
    for url, body in api_posts:
        assert len(body) < 512, f"{url}: {len(body)} bytes"
        assert b"\x89PNG" not in body and b"RIFF" not in body, url
    for body in spends:
        assert fingerprint.encode() in body
