"""Serving the built web app: security headers, MIME types, cache policy, safety."""

from __future__ import annotations

import pytest

CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; img-src 'self' blob: data:; "
       "style-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

FILES = {
    "index.html": b"<!doctype html><title>Cutout</title>",
    "sw.js": b"self.addEventListener('fetch', () => {});",
    "asset-manifest.json": b"{}",
    "app.webmanifest": b"{}",
    "js/app.3f2a9c1d.js": b"export {};",
    "js/engine.mjs": b"export {};",
    "vendor/ort-wasm-simd-threaded.0123abcd89.wasm": b"\x00asm\x01\x00\x00\x00",
    "vendor/ort.8bdab443/ort-wasm-simd-threaded.wasm": b"\x00asm\x01\x00\x00\x00",
    "vendor/ort/ort-wasm-simd-threaded.wasm": b"\x00asm\x01\x00\x00\x00",
    "vendor/ort.notahash/ort.wasm.min.mjs": b"export {};",
    "models/isnet.deadbeef.onnx": b"onnx",
    "py/stdlib.cafebabe.zip": b"PK",
    "css/app.css": b"body{}",
    "account/index.html": b"<!doctype html><title>Account</title>",
    ".secret": b"nope",
}


@pytest.fixture
def web(settings, client):
    root = settings.web_root
    for name, content in FILES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return client


def assert_security_headers(response, frame_ancestors="'none'"):
    h = response.headers
    assert h["cross-origin-opener-policy"] == "same-origin"
    assert h["cross-origin-embedder-policy"] == "require-corp"
    assert h["content-security-policy"] == CSP.replace("frame-ancestors 'none'", f"frame-ancestors {frame_ancestors}")
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/", "/api/sync", "/api/nope", "/missing.js", "/schema/openapi.json"])
def test_every_response_carries_the_security_headers(web, path):
    response = web.get(path)
    assert_security_headers(response)
    assert response.headers["cross-origin-resource-policy"] == "same-origin"


def test_root_serves_index_html_revalidated(web):
    response = web.get("/")
    assert response.text == FILES["index.html"].decode()
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path,media_type,cache", [
    ("/js/app.3f2a9c1d.js", "text/javascript", "public, max-age=31536000, immutable"),
    ("/js/engine.mjs", "text/javascript", "no-cache"),
    ("/vendor/ort-wasm-simd-threaded.0123abcd89.wasm", "application/wasm", "public, max-age=31536000, immutable"),
    ("/vendor/ort.8bdab443/ort-wasm-simd-threaded.wasm", "application/wasm", "public, max-age=31536000, immutable"),
    ("/vendor/ort/ort-wasm-simd-threaded.wasm", "application/wasm", "no-cache"),
    ("/vendor/ort.notahash/ort.wasm.min.mjs", "text/javascript", "no-cache"),
    ("/models/isnet.deadbeef.onnx", "application/octet-stream", "public, max-age=31536000, immutable"),
    ("/py/stdlib.cafebabe.zip", "application/octet-stream", "public, max-age=31536000, immutable"),
    ("/app.webmanifest", "application/manifest+json", "no-cache"),
    ("/sw.js", "text/javascript", "no-cache"),
    ("/asset-manifest.json", "application/json", "no-cache"),
    ("/css/app.css", "text/css", "no-cache"),
])
def test_mime_types_and_cache_policy(web, path, media_type, cache):
    response = web.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["cache-control"] == cache


def test_unchanged_files_revalidate_with_304(web):
    etag = web.get("/sw.js").headers["etag"]
    again = web.get("/sw.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_head_requests_work(web):
    response = web.head("/js/app.3f2a9c1d.js")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/javascript")


def test_directories_serve_their_index(web):
    assert web.get("/account", follow_redirects=False).status_code == 308
    assert web.get("/account/").text == FILES["account/index.html"].decode()


@pytest.mark.parametrize("path", ["/.secret", "/../cutout.sqlite3", "/%2e%2e/cutout.sqlite3", "/js/../../cutout.sqlite3",
                                  "/nothing-here.js"])
def test_no_escape_from_the_web_root_and_no_hidden_files(web, path):
    response = web.get(path)
    assert response.status_code == 404
    assert b"SQLite" not in response.content


def test_unknown_api_paths_answer_json_404(web):
    response = web.get("/api/does-not-exist")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_without_a_build_the_root_says_how_to_build(client):
    response = client.get("/")
    assert response.status_code == 200 and "build.py" in response.text
    assert_security_headers(response)
    assert client.get("/js/app.js").status_code == 404


def test_widget_may_be_framed_only_by_allowlisted_origins(make_client, settings):
    client = make_client(widget_origins=("https://partner.example",))
    (settings.web_root / "widget").mkdir(parents=True)
    (settings.web_root / "widget" / "index.html").write_text("<!doctype html><title>Widget</title>")
    widget = client.get("/widget/")
    assert_security_headers(widget, frame_ancestors="'self' https://partner.example")
    assert widget.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "frame-ancestors 'none'" in client.get("/").headers["content-security-policy"]
    config = client.get("/widget/config.json").json()
    assert config == {"v": 1, "origins": ["http://testserver.local", "https://partner.example"],
                      "max_image_bytes": 64 * 1024 * 1024}
    assert client.get("/cutout-widget.js").headers["cross-origin-resource-policy"] == "cross-origin"
    assert client.get("/").headers["cross-origin-resource-policy"] == "same-origin"


def test_without_an_allowlist_the_widget_is_same_origin_only(client):
    assert client.get("/widget/config.json").json()["origins"] == ["http://testserver.local"]
    assert client.get("/cutout-widget.js").headers["cross-origin-resource-policy"] == "same-origin"


def test_server_pages_pass_the_same_csp(client):
    page = client.get("/links/activate?token=abc")
    assert_security_headers(page)
    assert "<script" not in page.text and "style=" not in page.text
    assert client.get("/links/style.css").headers["content-type"].startswith("text/css")


def test_openapi_schema_is_served(client):
    schema = client.get("/schema/openapi.json").json()
    assert schema["info"]["title"] == "Cutout Studio sync API"
    assert "/api/sync" in schema["paths"] and "/api/credits/spend" in schema["paths"]
