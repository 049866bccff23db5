"""Runtime and model bytes on later visits: nothing is asked of the server
again, and WebAssembly compiled from the HTTP cache (for Chrome's code cache,
js/engine/wasm-compile.js) is still verified against the asset manifest."""

from __future__ import annotations

import json

from .conftest import CHROMIUM, CHROMIUM_FLAGS
from .helpers import BOOT_TIMEOUT_MS, STAND_IN, open_app

BIG = (".onnx", ".wasm", ".zip", ".whl")
ORT_WASM = "ort-wasm-simd-threaded.wasm"


def _cache_stats(page) -> dict:
    return json.loads(page.get_attribute("body", "data-boot-timings"))["cache"]


def test_second_visit_asks_the_server_for_no_model_or_runtime_bytes(context, server):
    """The first visit keeps verified copies (Cache Storage) and the runtimes'
    WebAssembly sits in the HTTP cache (content-hashed folders: immutable); the
    second visit's requests, as the server logged them, fetch none of those bytes."""
    first = open_app(context, server.url, "backend=wasm")
    assert _cache_stats(first)["networkBytes"] > 0
    first.close()
    mark = server.log_mark()
    second = open_app(context, server.url, "backend=wasm")
    asked = server.requests_since(mark)
    assert asked, "the access log shows no request at all: is it being written?"
    big = [p for p in asked if p.endswith(BIG)]
    assert not big, f"the second visit downloaded {big}"
    stats = _cache_stats(second)
    assert stats["networkBytes"] == 0, stats
    # onnxruntime's and Pyodide's WebAssembly came as HTTP responses and were verified as they compiled:
    # here from Cache Storage through the service worker (this context's HTTP cache is in memory, too small)
    assert stats["streamedBytes"] > 10_000_000, stats
    assert stats["wasm"][ORT_WASM] == "service-worker", stats


def _boot(page) -> dict:
    return json.loads(page.get_attribute("body", "data-boot-timings"))


def test_a_later_visit_compiles_from_the_http_cache_and_skips_the_warm_up(browser, server, tmp_path):
    """A browser with an on-disk profile, as a person's: the first visit
    downloads onnxruntime's WebAssembly and warms the model up; the next
    compiles it from the HTTP cache (Chrome's code cache comes with it) and
    skips the warm-up; ?warmup=1 runs it all the same."""
    ctx = browser.browser_type.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                         args=CHROMIUM_FLAGS, headless=True)
    try:
        seen = []
        for query in ("backend=wasm", "backend=wasm", "backend=wasm&warmup=1"):
            page = open_app(ctx, server.url, query)
            boot = _boot(page)
            seen.append((boot["cache"]["wasm"][ORT_WASM], boot["warmUp"] > 0))
            page.close()
        assert seen == [("network", True), ("http-cache", False), ("http-cache", True)], seen
    finally:
        ctx.close()


def _tamper(wasm) -> None:
    """Append a custom section: still a valid module that works as before,
    but its bytes no longer match the manifest. Replaced, not written in place
    (the copy's files are hard links to the build's)."""
    name, payload = b"tampered", b"\x00" * 16
    body = bytes([len(name)]) + name + payload
    data = wasm.read_bytes() + b"\x00" + bytes([len(body)]) + body  # section id 0, size < 128
    wasm.unlink()
    wasm.write_bytes(data)


def test_runtime_webassembly_that_does_not_match_the_manifest_is_refused(context, server, artifacts):
    """A module that would run is refused all the same: the engine does not
    start and says its download was damaged."""
    [wasm] = (server.web_root / "vendor").glob("ort.*/ort-wasm-simd-threaded.wasm")
    _tamper(wasm)
    page = context.new_page()
    page.goto(f"{server.url}/?backend=wasm&{STAND_IN}")
    page.wait_for_selector("body[data-engine]", state="attached", timeout=BOOT_TIMEOUT_MS)
    page.screenshot(path=str(artifacts / "error-runtime-damaged.png"))
    assert page.get_attribute("body", "data-engine") == "failed"
    assert "damaged" in page.text_content("#error"), page.text_content("#error")


def test_a_damaged_copy_in_the_http_cache_is_downloaded_again(browser, server, tmp_path, artifacts):
    """The HTTP cache keeps an immutable file until it is evicted: a copy there
    that fails its check is downloaded afresh (and replaces it), and the engine
    starts. Here the first visit's server sends a tampered module, which the
    disk cache keeps; the server then has the right one again."""
    [wasm] = (server.web_root / "vendor").glob("ort.*/ort-wasm-simd-threaded.wasm")
    good = wasm.read_bytes()
    _tamper(wasm)
    ctx = browser.browser_type.launch_persistent_context(str(tmp_path / "profile"), executable_path=CHROMIUM,
                                                         args=CHROMIUM_FLAGS, headless=True)
    try:
        page = ctx.new_page()
        page.goto(f"{server.url}/?backend=wasm&{STAND_IN}")
        page.wait_for_selector("body[data-engine]", state="attached", timeout=BOOT_TIMEOUT_MS)
        assert page.get_attribute("body", "data-engine") == "failed"
        page.close()
        wasm.unlink()
        wasm.write_bytes(good)
        mark = server.log_mark()
        page = open_app(ctx, server.url, f"backend=wasm&{STAND_IN}")
        assert any("does not match the build manifest" in line for line in page.console_lines), \
            "the HTTP cache did not hand back the damaged copy: nothing was tested"
        assert any(p.endswith(ORT_WASM) for p in server.requests_since(mark)), "the damaged copy was not fetched again"
        page.close()
        mark = server.log_mark()
        page = open_app(ctx, server.url, f"backend=wasm&{STAND_IN}")  # the fresh copy replaced the damaged one
        assert not [p for p in server.requests_since(mark) if p.endswith(ORT_WASM)]
        assert _boot(page)["cache"]["wasm"][ORT_WASM] == "http-cache"
        page.screenshot(path=str(artifacts / "runtime-refetched.png"))
    finally:
        ctx.close()
