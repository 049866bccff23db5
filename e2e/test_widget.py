"""The embeddable widget in third-party pages: hosts on other loopback origins
(127.0.0.2 is another site than 127.0.0.1) include /cutout-widget.js, mount
/widget/ and get cutouts back through the postMessage API.

  - allowlisted hosts, cross-origin isolated (threads) and plain (single thread)
  - a host that is not on the allowlist: no frame, no answers
  - malformed and oversized messages: coded errors, and the widget keeps working
  - no image bytes leave the browser (every request is a GET to the two origins)
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from PIL import Image

from .conftest import WEB_ROOT
from .helpers import BOOT_TIMEOUT_MS, iou
from .live_server import AppServer, static_host

ISOLATION = {"Cross-Origin-Opener-Policy": "same-origin", "Cross-Origin-Embedder-Policy": "require-corp"}
STAND_IN = {"backend": "wasm", "test": "1", "model": "stand-in-ellipse"}

HOST_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Partner shop</title>
<script src="{app}/cutout-widget.js"></script>
<script>
  // test harness: bytes in and out as base64
  window.toBlob = (b64, type) => new Blob([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], {{ type }});
  window.toB64 = (blob) => new Promise((ok) => {{ const r = new FileReader(); r.onload = () => ok(r.result.split(",")[1]); r.readAsDataURL(blob); }});
</script>
<style>body {{ font: 16px system-ui; margin: 2rem; background: #fbf7ef; }} #slot {{ width: 560px; }}</style>
</head><body>
<h1>Partner shop: product photos</h1>
<p>Cut out your product photo below. It is processed on your device by the Cutout Studio widget.</p>
<div id="slot"></div>
</body></html>
"""


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """Host pages on three origins and an app server that allowlists two of them."""
    base = tmp_path_factory.mktemp("widget")
    dirs = {name: base / name for name in ("isolated", "plain", "stranger")}
    for d in dirs.values():
        d.mkdir()
    with static_host("127.0.0.2", dirs["isolated"], ISOLATION) as isolated, \
            static_host("127.0.0.2", dirs["plain"]) as plain, \
            static_host("127.0.0.3", dirs["stranger"]) as stranger:
        app = AppServer(base, WEB_ROOT, widget_origins=(isolated, plain)).start()
        try:
            for d in dirs.values():
                (d / "index.html").write_text(HOST_PAGE.format(app=app.url))
            yield {"app": app.url, "isolated": isolated, "plain": plain, "stranger": stranger}
        finally:
            app.stop()


@pytest.fixture(scope="module")
def widget_context(browser):
    """One context for the module: the widget's runtime, cached in the frame's
    (partitioned) Cache Storage by the first test, serves the later ones."""
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    yield ctx
    ctx.close()


@pytest.fixture
def host_page(widget_context):
    pages = []
    def opener(host, app, params, timeout_ms=BOOT_TIMEOUT_MS):
        page, opened = open_host(widget_context, host, app, params, timeout_ms)
        pages.append(page)
        return page, opened
    yield opener
    for page in pages:
        page.close()


@pytest.fixture(scope="module")
def small_photo(tmp_path_factory) -> bytes:
    img = Image.new("RGB", (400, 300), (40, 120, 200))
    img.paste((230, 180, 60), (120, 80, 280, 220))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def open_host(context, host: str, app: str, params: dict, timeout_ms: int = BOOT_TIMEOUT_MS):
    page = context.new_page()
    page.console_lines = []
    page.on("console", lambda m: page.console_lines.append(f"{m.type}: {m.text}"))
    page.goto(host + "/")
    opened = page.evaluate("""async ({ app, params, timeout }) => {
        window.events = [];
        window.widget = new CutoutWidget({ origin: app, container: document.getElementById("slot"), params,
                                           readyTimeoutMs: timeout, height: "380px" });
        for (const t of ["ready", "progress", "done", "error", "cancel"]) widget.on(t, (d) => events.push({ t, id: d.id, code: d.code }));
        try { await widget.open(); return "open"; } catch (e) { return e.code; }
    }""", {"app": app, "params": params, "timeout": timeout_ms})
    return page, opened


def cutout(page, image: bytes, options: dict | None = None, timeout_ms: int = 300_000) -> tuple[str, bytes | str]:
    page.set_default_timeout(timeout_ms)
    result = page.evaluate("""async ({ b64, options }) => {
        try { return ["done", await toB64(await widget.cutout(toBlob(b64, "image/png"), options))]; }
        catch (e) { return ["error", e.code]; }
    }""", {"b64": base64.b64encode(image).decode(), "options": options or {}})
    return result[0], base64.b64decode(result[1]) if result[0] == "done" else result[1]


def rgba(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


@pytest.fixture
def requests(widget_context):
    seen = []
    def listener(request):
        seen.append(request)
    widget_context.on("request", listener)
    yield seen
    widget_context.remove_listener("request", listener)


def assert_private(requests, *origins: str) -> None:
    """What the app's privacy test asserts, for the widget: only GETs, only to the app and the host."""
    assert requests, "no requests recorded"
    local = tuple(f"blob:{o}/" for o in origins)  # object URLs of in-memory results: never leave the browser
    for r in requests:
        if r.url.startswith(local):
            continue
        assert r.url.startswith(origins), f"request to another origin: {r.url[:120]}"
        assert r.method == "GET" and not r.post_data_buffer, f"{r.method} {r.url} carries a body"
        assert len(r.url) < 2048, f"suspiciously long URL: {r.url[:200]}"


@pytest.mark.parametrize("kind", ["isolated", "plain"])
def test_allowlisted_host_gets_a_cutout(host_page, requests, sites, small_photo, artifacts, kind):
    page, opened = host_page(sites[kind], sites["app"], STAND_IN)
    assert opened == "open", "\n".join(page.console_lines[-20:])
    assert page.evaluate("() => crossOriginIsolated") is (kind == "isolated")
    status, png = cutout(page, small_photo)
    assert status == "done", png
    out = rgba(png)
    assert out.shape == (300, 400, 4)
    assert out[150, 200, 3] == 255 and out[3, 3, 3] == 0, "the stand-in ellipse keeps the middle, drops the corners"
    assert np.abs(out[150, 200, :3].astype(int) - (230, 180, 60)).max() <= 3, "colours of the kept pixels survive"
    kinds = [e["t"] for e in page.evaluate("() => events")]
    assert "progress" in kinds and kinds[-1] == "done", kinds
    backend = page.frame_locator("iframe").locator("#backend").text_content()
    assert ("threads" in backend) is (kind == "isolated"), f"{kind} host: widget ran on {backend}"
    page.screenshot(path=str(artifacts / f"widget-in-{kind}-host.png"))
    assert_private(requests, sites["app"], sites[kind])


def test_host_not_on_the_allowlist_gets_no_frame_and_no_answers(host_page, sites):
    page, opened = host_page(sites["stranger"], sites["app"], STAND_IN, timeout_ms=6000)
    assert opened == "widget_unavailable"
    widget_frames = [f for f in page.frames if f.url.startswith(sites["app"])]
    assert all(not f.query_selector("body[data-widget]") for f in widget_frames), "the widget rendered for a stranger"
    answers = page.evaluate("""async (app) => {
        const got = [];
        addEventListener("message", (e) => got.push(e.data));
        const target = document.querySelector("iframe").contentWindow;
        target.postMessage({ protocol: "cutout-widget", v: 1, type: "widget:hello" }, "*");
        target.postMessage({ protocol: "cutout-widget", v: 1, type: "cutout:start", id: "x", image: new ArrayBuffer(8) }, "*");
        await new Promise((r) => setTimeout(r, 2000));
        return got.length;
    }""", sites["app"])
    assert answers == 0


BAD_MESSAGES = """async ({ app, max }) => {
    const frame = widget.frame.contentWindow, got = [];
    addEventListener("message", (e) => { if (e.source === frame && e.data && e.data.type === "cutout:error") got.push(e.data); });
    const base = { protocol: "cutout-widget", v: 1 };
    const send = (m, t) => frame.postMessage(m, app, t || []);
    send("just a string");
    send({ ...base, v: 2, type: "cutout:start", id: "v2" });
    send({ ...base, type: "cutout:explode", id: "boom" });
    send({ ...base, type: "cutout:start" });
    send({ ...base, type: "cutout:start", id: "text", image: "not bytes" });
    const big = new ArrayBuffer(max + 1);
    send({ ...base, type: "cutout:start", id: "big", image: big }, [big]);
    send({ ...base, type: "cutout:start", id: "opt", image: new ArrayBuffer(4), options: { output: "gif" } });
    send({ ...base, type: "cutout:start", id: "extra", image: new ArrayBuffer(4), script: "alert(1)" });
    send({ ...base, type: "cutout:start", id: "junk", image: new TextEncoder().encode("not an image at all").buffer });
    for (let i = 0; i < 1200 && got.length < 9; i++) await new Promise((r) => setTimeout(r, 100));
    return got.map((m) => [m.id, m.code]);
}"""


def test_malformed_and_oversized_messages_get_coded_errors(host_page, sites, small_photo):
    page, opened = host_page(sites["plain"], sites["app"], STAND_IN)
    assert opened == "open"
    max_bytes = page.evaluate("() => widget.maxImageBytes")
    assert max_bytes >= 16 << 20
    page.set_default_timeout(120_000)
    replies = page.evaluate(BAD_MESSAGES, {"app": sites["app"], "max": max_bytes})
    junk = [code for id_, code in replies if id_ == "junk"]
    assert junk and junk[0] in ("not_an_image", "decode_failed"), replies
    coded = sorted((str(id_), code) for id_, code in replies if id_ != "junk")
    assert coded == sorted([("None", "bad_message"), ("v2", "unsupported_version"), ("boom", "unknown_type"),
                            ("None", "bad_id"), ("text", "bad_image"), ("big", "too_large"), ("opt", "bad_option"),
                            ("extra", "bad_message")]), coded
    status, png = cutout(page, small_photo)  # still working
    assert status == "done", png
    assert rgba(png).shape == (300, 400, 4)


def test_widget_real_model_cutout(host_page, sites, photo):
    """The real ISNet on WASM inside a plain host's frame (slow: model download into the frame's cache + ~15 s)."""
    page, opened = host_page(sites["plain"], sites["app"], {"backend": "wasm"})
    assert opened == "open"
    status, png = cutout(page, photo[0].read_bytes(), timeout_ms=600_000)
    assert status == "done", png
    out = rgba(png)
    gt = np.asarray(Image.open(photo[1]).convert("L"))
    assert out.shape[:2] == gt.shape
    score = iou(out[..., 3], gt)
    assert score >= 0.95, f"IoU {score:.3f}"
