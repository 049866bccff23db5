"""Cache Storage holds verified copies: files of an older build are deleted,
a damaged cached copy is refused (sha256) and fetched again, and Pyodide's
memory snapshot is reused, or replaced when it is damaged or refused."""

from __future__ import annotations

import json

from .conftest import WEB_ROOT
from .helpers import STAND_IN, cut, open_app

CACHE = "cutout-assets-v1"  # web/static/js/engine/assets.js


def _cache_keys(page) -> list[str]:
    return page.evaluate(f"async () => (await (await caches.open('{CACHE}')).keys()).map((r) => r.url)")


def test_old_build_entries_are_removed_and_damaged_copies_refetched(context, app_url, photo):
    first = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
    graph = next(a["url"] for a in json.loads((WEB_ROOT / "asset-manifest.json").read_text())["assets"]
                 if a["name"] == "graph-compose")
    assert f"{app_url}{graph}" in _cache_keys(first)
    first.evaluate(f"""async () => {{
        const cache = await caches.open('{CACHE}');
        await cache.put('/models/isnet_fp16.0ldbu1ld.onnx', new Response('from an older build'));
        await cache.put('{graph}', new Response('damaged copy'));
    }}""")
    first.close()
    fetched = []
    context.on("request", lambda r: fetched.append(r.url))
    second = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
    assert f"{app_url}{graph}" in fetched, "the damaged cached graph was used instead of fetched again"
    second.wait_for_timeout(500)  # pruning runs after boot
    keys = _cache_keys(second)
    assert not any("0ldbu1ld" in k for k in keys), keys
    assert cut(second, photo[0]) == "done", second.text_content("#error")


def _snapshot(page) -> str:
    return json.loads(page.get_attribute("body", "data-boot-timings"))["snapshot"]


def _wait_snapshot_stored(page) -> None:
    page.wait_for_function(f"""async () => (await (await caches.open('{CACHE}')).keys())
        .some((r) => r.url.includes('/__derived/pyodide-snapshot-'))""", polling=200, timeout=30_000)


def _put_snapshot(page, body_js: str, sha_js: str) -> str:
    """Replace the cached Pyodide snapshot; returns its cache key."""
    return page.evaluate(f"""async () => {{
        const cache = await caches.open('{CACHE}');
        const key = (await cache.keys()).map((r) => r.url).find((u) => u.includes('/__derived/pyodide-snapshot-'));
        const body = {body_js};
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', body));
        const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
        const headers = {{ 'X-Sha256': {sha_js}, 'Content-Length': String(body.byteLength) }};
        await cache.put(key, new Response(body, {{ headers }}));
        return key;
    }}""")


def test_pyodide_snapshot_is_restored_and_a_bad_one_replaced(context, app_url, photo):
    """The first visit stores a memory snapshot of the interpreter with the engine imported; the next
    restores it and still cuts out. A damaged copy (sha256) or a snapshot Pyodide
    refuses is dropped: that visit boots normally and stores a new one."""
    first = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
    assert _snapshot(first) == "made"
    _wait_snapshot_stored(first)
    first.close()
    second = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
    assert _snapshot(second) == "restored"
    assert cut(second, photo[0]) == "done", second.text_content("#error")
    _put_snapshot(second, "new Uint8Array(4096).fill(7)", "'0'.repeat(64)")  # sha256 does not match
    second.close()
    third = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
    assert _snapshot(third) == "made"
    _wait_snapshot_stored(third)  # stored in the background
    _put_snapshot(third, "new Uint8Array(4096).fill(7)", "hex")  # intact, but not a snapshot
    third.close()
    fourth = open_app(context, app_url, f"backend=wasm&{STAND_IN}")
    assert _snapshot(fourth) == "made", fourth.console_lines[-5:]
    assert any("snapshot not usable" in line for line in fourth.console_lines), fourth.console_lines[-5:]
    assert cut(fourth, photo[0]) == "done", fourth.text_content("#error")
