"""The IMG.LY peer for the browser benchmark, served from a bench-only web root.

`@imgly/background-removal@1.7.0` loads ORT 1.21 and its model by resource key
through `<publicPath>/resources.json`. We map its keys to the same ISNet
weights the app uses (`@imgly/background-removal-data@1.4.5` chunks:
isnet_fp16 -> /models/medium, isnet_quint8 -> /models/small) and to the
onnxruntime-web@1.21.0 wasm files it expects. None of this enters the app
bundle; packages come from npm with pinned versions and sha256."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import subprocess
import tarfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / ".cache" / "npm"
WORK = ROOT / ".cache" / "bench-peer"
PACKAGES = {  # npm spec -> (tarball, its sha256)
    "@imgly/background-removal@1.7.0": ("imgly-background-removal-1.7.0.tgz",
                                        "0e7b6813978296b23bb9c5fa3d86a8f8e618b88174e08d6c61f230b0e18d13e6"),
    "onnxruntime-web@1.21.0": ("onnxruntime-web-1.21.0.tgz",
                               "9c6b3e0955aa8bc61b69f62873bb3bdb021010a6d1550b6a638a74af353f445c"),
    "@imgly/background-removal-data@1.4.5": ("imgly-background-removal-data-1.4.5.tgz",
                                             "ca7789abb39370727c9a098310b53bce41518d200000423c7107f8c01bbce946"),
}
MODEL_KEYS = {"/models/isnet_fp16": "/models/medium", "/models/isnet_quint8": "/models/small"}
ORT_FILES = ["ort-wasm-simd-threaded.wasm", "ort-wasm-simd-threaded.mjs",
             "ort-wasm-simd-threaded.jsep.wasm", "ort-wasm-simd-threaded.jsep.mjs"]


def _tarball(spec: str) -> Path:
    name, sha256 = PACKAGES[spec]
    path = CACHE / name
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "pack", spec, "--silent", "--pack-destination", str(CACHE)], check=True)
    if hashlib.sha256(path.read_bytes()).hexdigest() != sha256:
        raise SystemExit(f"{path} does not match its pinned sha256; delete it and retry")
    return path


def _unpack(spec: str) -> Path:
    tgz = _tarball(spec)
    dest = WORK / "pkgs" / f"{tgz.stem}-{PACKAGES[spec][1][:16]}"
    if not dest.exists():
        tmp = dest.with_suffix(".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        with tarfile.open(tgz) as tar:
            tar.extractall(tmp, filter="data")
        tmp.rename(dest)
    return dest / "package"


def _resources(data_dist: Path, ort_dist: Path, web: Path) -> dict:
    shipped = json.loads((data_dist / "resources.json").read_text())
    out = {}
    for key, source in MODEL_KEYS.items():
        entry = shipped[source]
        out[key] = {**entry, "chunks": [{"name": c["hash"], "offsets": c["offsets"]} for c in entry["chunks"]]}
    for name in ORT_FILES:
        size = (ort_dist / name).stat().st_size
        mime = "application/wasm" if name.endswith(".wasm") else "text/javascript"
        out[f"/onnxruntime-web/{name}"] = {"size": size, "mime": mime, "chunks": [{"name": f"ort/{name}", "offsets": [0, size]}]}
    return out


def prepare() -> Path:
    """A web root with /peer/ (page, patched IMG.LY module, ORT 1.21, data chunks)."""
    imgly, ort, data = (_unpack(s) for s in PACKAGES)
    web = WORK / "web"
    peer = web / "peer"
    shutil.rmtree(web, ignore_errors=True)
    (peer / "imgly").mkdir(parents=True)
    for f in (ROOT / "bench" / "peer").iterdir():
        shutil.copy(f, peer / f.name)
    ort_dir = peer / "ort"
    ort_dir.mkdir()
    for name in ORT_FILES + ["ort.wasm.min.mjs", "ort.webgpu.min.mjs"]:
        shutil.copy(ort / "dist" / name, ort_dir / name)
    source = (imgly / "dist" / "index.mjs").read_text()
    # the package imports ORT by bare name; point it at our copy of 1.21
    source = source.replace('import("onnxruntime-web/webgpu")', 'import("../ort/ort.webgpu.min.mjs")')
    source = source.replace('import("onnxruntime-web")', 'import("../ort/ort.wasm.min.mjs")')
    (peer / "imgly" / "index.mjs").write_text(source)
    data_dir = peer / "data"
    data_dir.mkdir()
    for chunk in (data / "dist").iterdir():
        if len(chunk.name) == 64:
            (data_dir / chunk.name).symlink_to(chunk)
    (data_dir / "ort").symlink_to(ort_dir)
    (data_dir / "resources.json").write_text(json.dumps(_resources(data / "dist", ort / "dist", web)))
    return web


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".mjs": "text/javascript", ".js": "text/javascript", ".wasm": "application/wasm"}

    def end_headers(self):
        self.send_header("Cross-Origin-Opener-Policy", "same-origin")
        self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        self.send_header("Cross-Origin-Resource-Policy", "same-origin")
        # IMG.LY needs what the app's CSP forbids: ORT's module imported from a blob: URL,
        # and 'unsafe-eval' (ndarray compiles its constructors with new Function)
        self.send_header("Content-Security-Policy",
                         "default-src 'self' blob: data:; script-src 'self' blob: 'unsafe-eval' 'wasm-unsafe-eval'")
        super().end_headers()

    def log_message(self, *args):
        pass


def serve(web: Path, extra: dict[str, Path]) -> tuple[str, http.server.ThreadingHTTPServer]:
    """Serve the peer root (plus `extra` URL prefix -> folder, e.g. the photos)."""
    for prefix, folder in extra.items():
        link = web / prefix.strip("/")
        link.parent.mkdir(parents=True, exist_ok=True)
        if not link.exists():
            link.symlink_to(folder)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Handler, directory=str(web)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}", server
