"""Serving the built web app from settings.web_root.

Content-hashed files (name.<8+ hex>.ext) never change, so browsers keep them
for a year; everything else (index.html, asset-manifest.json, sw.js) is
revalidated on each use with an ETag, so a new build is picked up at once."""

from __future__ import annotations

import mimetypes
import re
from pathlib import Path
from urllib.parse import unquote

from litestar import HttpMethod, Request, Response, route
from litestar.params import FromPath
from litestar.response import File, Redirect

from server.auth import Ctx
from server.errors import DomainError
from server.web.pages import html_page

HASHED_NAME = re.compile(r"^.+\.[0-9a-f]{8,}\.[A-Za-z0-9]+$")
HASHED_FOLDER = re.compile(r"^[A-Za-z0-9_-]+\.[0-9a-f]{8,}$")
IMMUTABLE = "public, max-age=31536000, immutable"

MEDIA_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
    ".zip": "application/octet-stream",
    ".whl": "application/octet-stream",
    ".bin": "application/octet-stream",
    ".data": "application/octet-stream",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".txt": "text/plain",
    ".md": "text/plain",
    ".woff2": "font/woff2",
}

NOT_BUILT = (
    "<p>The web app has not been built yet. Run <code>./dev setup</code> "
    "(or <code>.venv/bin/python build.py</code>) and reload this page.</p>"
    "<p>The API is running: see <a href=\"/schema/openapi.json\">/schema/openapi.json</a>.</p>"
)


def media_type(path: Path) -> str:
    return MEDIA_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"


def cache_control(path: Path) -> str:
    """Immutable when the file's name or its folder's carries a content hash
    (buildlib/bundle.py: models/x.<hash8>.onnx, vendor/ort.<hash8>/...)."""
    return IMMUTABLE if HASHED_NAME.match(path.name) or HASHED_FOLDER.match(path.parent.name) else "no-cache"


def resolve(root: Path, url_path: str) -> Path | None:
    """The file for a URL path, or None. Refuses anything that would leave
    the web root and hidden files (dot-names)."""
    parts = [p for p in url_path.split("/") if p]
    if any(p.startswith(".") or "\\" in p or "\x00" in p for p in parts):
        return None
    root = root.resolve()
    candidate = root.joinpath(*parts).resolve()
    if candidate != root and root not in candidate.parents:
        return None
    if candidate.is_dir():
        candidate = candidate / "index.html"
    return candidate if candidate.is_file() else None


def _etag(path: Path) -> str:
    stat = path.stat()
    return f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'


def _request_path(request: Request) -> str:
    """The path as sent: Litestar drops a trailing slash from scope["path"]."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode()
    return unquote(raw.decode("latin-1").split("?", 1)[0])


@route(["/", "/{file_path:path}"], http_method=[HttpMethod.GET, HttpMethod.HEAD], include_in_schema=False)
async def serve_static(ctx: Ctx, request: Request, file_path: FromPath[str] = "/") -> Response:
    url_path = _request_path(request)
    if url_path.lstrip("/").split("/")[0] in ("api", "schema"):
        raise DomainError("not_found", "There is no such API endpoint.")
    root = ctx.settings.web_root
    if not root.is_dir():
        if url_path == "/":
            return html_page("Cutout Studio: build needed", NOT_BUILT)
        raise DomainError("not_found", "Not found (the web app is not built).")
    path = resolve(root, url_path)
    if path is None:
        raise DomainError("not_found", "Not found.")
    if path.name == "index.html" and not url_path.endswith(("/", ".html")):
        # /account -> /account/ so the page's relative URLs resolve.
        return Redirect(url_path + "/", status_code=308)
    etag = _etag(path)
    headers = {"Cache-Control": cache_control(path), "ETag": etag}
    if etag in request.headers.get("if-none-match", ""):
        return Response(None, status_code=304, headers=headers)
    return File(path, media_type=media_type(path), headers=headers, content_disposition_type="inline", filename=path.name)
