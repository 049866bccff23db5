"""The web bundle in build/web/, plus its generated `asset-manifest.json`.

  <web/static/**>                       app files, as they are
  vendor/pyodide.<hash8>/, vendor/ort.<hash8>/
                                        runtimes from the pinned npm packages; the folder's name
                                        carries a hash of its files (runtime_folder)
  vendor/wheels/<wheel>                 Python wheels for Pyodide (real wheel names)
  vendor/fflate/fflate.mjs              fflate's ES module (the PNG encoder's deflate), fixed path
  py/engine.<hash8>.zip                 web/py/cutout (+ cutout_wire), deterministic zip
  models/<name>.<hash8>.onnx, models/graphs/...; models/manifest.json pointing at them
  icons/*.png                           app icons drawn by buildlib/pwa.py
  NOTICE, asset-manifest.json
  sw.js                                 service worker, generated from the asset manifest (buildlib/pwa.py)

build/web is owned by the build: files are only rewritten when their content
changed (mtimes stay stable) and anything not planned is deleted.
"""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from . import manifest, pins, pwa
from .common import ROOT, WEB_OUT, BuildError, HashCache, json_bytes, log, sha256_bytes, write_if_changed

STATIC = ROOT / "web" / "static"
PY_ROOT = ROOT / "web" / "py"
ENGINE_PACKAGES = ("cutout", "cutout_wire")
ENGINE_EXCLUDE = {"backend_cpython.py", "cli.py", "files.py", "graphs", "__pycache__"}  # CPython-only (onnxruntime, Pillow, onnx) or junk
ASSET_MANIFEST = "asset-manifest.json"
FFLATE_REL = "vendor/fflate/fflate.mjs"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
LINK_MIN_BYTES = 1 << 20  # big read-only files are hard-linked, not copied


@dataclass
class Planned:
    rel: str                 # path under build/web
    source: Path | bytes     # file to copy/link, or content
    name: str
    role: str
    meta: dict


def _hashed(rel: str, sha256: str) -> str:
    p = PurePosixPath(rel)
    return str(p.with_name(f"{p.stem}.{sha256[:8]}{p.suffix}"))


def engine_zip() -> bytes:
    """web/py engine packages as a zip whose bytes depend only on file names and contents."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for pkg in ENGINE_PACKAGES:
            base = PY_ROOT / pkg
            if not base.is_dir():
                continue
            for f in sorted(base.rglob("*")):
                rel = f.relative_to(PY_ROOT)
                if not f.is_file() or ENGINE_EXCLUDE & set(rel.parts) or f.suffix == ".pyc":
                    continue
                info = zipfile.ZipInfo(rel.as_posix(), ZIP_DATE)
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                zf.writestr(info, f.read_bytes(), compresslevel=9)
    return buf.getvalue()


def _plan_static() -> list[Planned]:
    out = []
    if STATIC.is_dir():
        for f in sorted(STATIC.rglob("*")):
            rel = f.relative_to(STATIC).as_posix()
            if f.is_file() and "__pycache__" not in f.parts and rel not in pwa.TEMPLATES:
                out.append(Planned(rel, f, rel, "app", {}))
    return out


def runtime_folder(name: str, files: list[tuple[str, Path]], hashes: HashCache) -> str:
    """`vendor/<name>.<hash8>`: the hash covers every file's name and content.
    onnxruntime and Pyodide load their other files relative to their own
    (wasm, glue modules), so only a folder name can carry the hash. It lets the
    server mark them immutable: Chrome then keeps the machine code it compiles
    from their WebAssembly (its code cache) for the next visits, which a copy
    revalidated on every visit loses (js/engine/wasm-compile.js)."""
    listing = "".join(f"{fname}\0{hashes.sha256(path)}\n" for fname, path in sorted(files))
    return f"vendor/{name}.{sha256_bytes(listing.encode())[:8]}"


def _plan_runtime(pyodide_dir: Path, ort_dir: Path, wheels: list[tuple[pins.WheelPin, Path]],
                  hashes: HashCache) -> list[Planned]:
    runtimes = (("pyodide", pins.PYODIDE, [(f, pyodide_dir / f) for f in pins.PYODIDE_FILES]),
                ("ort", pins.ORT_WEB, [(f, ort_dir / "dist" / f) for f in pins.ORT_FILES]))
    for path in [path for *_, files in runtimes for _f, path in files] + [path for _pin, path in wheels]:
        if not path.is_file():
            raise BuildError(f"{path} is missing from its package (pins.py lists it)")
    out = []
    for name, pin, files in runtimes:
        folder = runtime_folder(name, files, hashes)
        meta = {"package": pin.name, "version": pin.version}
        out += [Planned(f"{folder}/{fname}", path, f"vendor/{name}/{fname}", "runtime", meta) for fname, path in files]
    for pin, path in wheels:
        meta = {"package": pin.name, "version": pin.version, "platform": pin.platform}
        out.append(Planned(f"vendor/wheels/{pin.filename}", path, f"wheel-{pin.name}", "python", meta))
    return out


def _plan_models(assets: list[dict], models_dir: Path, build_id: str) -> list[Planned]:
    """Hashed copies of models/graphs, and a models manifest pointing at them."""
    out, hashed_assets = [], []
    for a in assets:
        rel = _hashed(a["file"], a["sha256"])
        out.append(Planned(f"models/{rel}", models_dir / a["file"], a["name"], a["role"], a["meta"]))
        hashed_assets.append(dict(a, file=rel))
    doc = {"build_id": build_id, "assets": hashed_assets}
    out.append(Planned("models/manifest.json", json_bytes(doc), "models-manifest", "model",
                       {"build_id": build_id, "format": "web/py/cutout/manifest.py"}))
    return out


def _sync(plan: list[Planned], out: Path, hashes: HashCache) -> tuple[int, list[dict]]:
    """Make out/ hold exactly the planned files; returns (files written, entries)."""
    written, entries = 0, []
    for p in plan:
        dst = out / p.rel
        if isinstance(p.source, bytes):
            written += write_if_changed(dst, p.source)
            sha, size = sha256_bytes(p.source), len(p.source)
        else:
            sha, size = hashes.sha256(p.source), p.source.stat().st_size
            if not (dst.exists() and dst.stat().st_size == size and hashes.sha256(dst) == sha):
                _copy(p.source, dst)
                written += 1
        entries.append({"name": p.name, "file": p.rel, "url": "/" + p.rel, "bytes": size, "sha256": sha,
                        "role": p.role, "meta": p.meta})
    return written, entries


def _copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        if src.stat().st_size >= LINK_MIN_BYTES:
            os.link(src, tmp)
        else:
            shutil.copyfile(src, tmp)
    except OSError:
        shutil.copyfile(src, tmp)
    os.replace(tmp, dst)


def _remove_stale(out: Path, keep: set[str]) -> int:
    removed = 0
    for f in sorted(out.rglob("*"), reverse=True):
        rel = f.relative_to(out).as_posix()
        if f.is_dir():
            if not any(f.iterdir()):
                f.rmdir()
        elif rel not in keep:
            f.unlink()
            removed += 1
    return removed


def _plan_fflate(fflate_dir: Path) -> Planned:
    """fflate's ES module at a fixed path: the PNG encoder's workers import it
    (js/engine/deflate-worker.js). Part of the app shell, for offline use."""
    path = fflate_dir / pins.FFLATE_FILE
    if not path.is_file():
        raise BuildError(f"{path} is missing from its package (pins.py lists it)")
    return Planned(FFLATE_REL, path, FFLATE_REL, "app", {"package": pins.FFLATE.name, "version": pins.FFLATE.version})


def build(*, pyodide_dir: Path, ort_dir: Path, fflate_dir: Path, wheels, assets: list[dict], build_id: str,
          hashes: HashCache, models_dir: Path, out: Path = WEB_OUT) -> dict:
    """Write the bundle; returns the asset-manifest document."""
    zip_bytes = engine_zip()
    zip_rel = f"py/engine.{sha256_bytes(zip_bytes)[:8]}.zip"
    plan = _plan_static()
    plan += [Planned(rel, data, rel, "app", {"generated": "buildlib/pwa.py"}) for rel, data in pwa.icons()]
    plan += _plan_runtime(pyodide_dir, ort_dir, wheels, hashes)
    plan.append(_plan_fflate(fflate_dir))
    plan.append(Planned(zip_rel, zip_bytes, "engine", "python", {"packages": list(ENGINE_PACKAGES)}))
    plan += _plan_models(assets, models_dir, build_id)
    plan.append(Planned("NOTICE", ROOT / "NOTICE", "notice", "app", {}))
    rels = [p.rel for p in plan]
    clash = {r for r in rels if rels.count(r) > 1} | ({ASSET_MANIFEST} & set(rels))
    if clash:
        raise BuildError(f"two bundle files want the same path: {sorted(clash)} (check web/static/)")
    written, entries = _sync(plan, out, hashes)
    doc = {"autogenerated": "autogenerated by build.py, do not edit",
           "build_id": manifest.build_id(entries), "models_build_id": build_id, "assets": entries}
    written += write_if_changed(out / ASSET_MANIFEST, json_bytes(doc))
    written += pwa.write(out, doc)
    removed = _remove_stale(out, set(rels) | {ASSET_MANIFEST} | pwa.OUTPUTS)
    log(f"web bundle: {len(entries)} files in {out.relative_to(ROOT)}/ ({written} written, {removed} stale removed)")
    return doc
