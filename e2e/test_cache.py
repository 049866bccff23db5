"""Cache Storage holds verified copies: files of an older build are deleted,
and a damaged cached copy is refused (sha256) and fetched again."""

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
