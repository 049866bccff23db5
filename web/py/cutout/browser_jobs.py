"""Named entry points the engine worker calls (web/static/js/engine/worker.js).

The worker never sends Python source: it imports this module and calls
`configure` once per engine boot and `run_job` (via `callPromising`, so the
backend may block on promises) once per image."""

from __future__ import annotations

from dataclasses import replace

from .browser import BrowserBackend, coded_error
from .errors import CutoutError
from .graphs_meta import MODEL_SIZE
from .manifest import Asset, Manifest
from .pipeline import Options, Stats, cutout, graph_names, reduced_need

STAND_IN = "stand-in-ellipse"  # test-only model (web/static/js/engine/stand-in.js)
_state: dict = {}


def configure(manifest_json: str, allow_stand_in: bool = False) -> list[str]:
    """Parse the engine manifest; returns the asset names it offers."""
    manifest = Manifest.from_json(manifest_json)
    if allow_stand_in:
        stand_in = Asset(STAND_IN, "", 0, "", "test", {"note": "tests only"})
        manifest = replace(manifest, assets={**manifest.assets, STAND_IN: stand_in})
    _state["manifest"] = manifest
    return sorted(manifest.assets)


def _options(opts) -> Options:
    o = opts.to_py() if hasattr(opts, "to_py") else dict(opts)
    fields = {"output": o.get("output", "cutout"), "refine": bool(o.get("refine", True)), "model": o["model"],
              "tta": bool(o.get("best", False))}
    if o.get("maxPixels"):
        fields["max_pixels"] = int(o["maxPixels"])
    if o.get("block"):
        fields["block"] = int(o["block"])
    return Options(**fields)


def run_job(bridge, rgba, opts, progress, cancelled, reduced=None) -> dict:
    """Cut out one image. Returns {"out": tensor, "timings", "tiles", "backend",
    "reduced": [h, w] or None} or {"error": {"code", "sentence", "detail"}};
    never raises for coded errors. `reduced`: as for pipeline.cutout (the
    photo's pixels may then still be decoding: OrtBridge.laterImage)."""
    if "manifest" not in _state:
        raise RuntimeError("configure() must be called before run_job()")
    backend = BrowserBackend(bridge)
    stats = Stats()
    try:
        out = cutout(backend, _state["manifest"], rgba, _options(opts),
                     progress=lambda stage, fraction: progress(stage, fraction),
                     cancelled=lambda: bool(cancelled()), stats=stats, reduced=reduced)
    except CutoutError as exc:
        return {"error": {"code": exc.code, "sentence": exc.sentence, "detail": exc.detail}}
    except MemoryError as exc:
        err = CutoutError("out_of_memory", str(exc))
        return {"error": {"code": err.code, "sentence": err.sentence, "detail": err.detail}}
    except Exception as exc:  # a JS error outside the bridge's coded ones: report, never swallow
        err = coded_error(exc)
        return {"error": {"code": err.code, "sentence": err.sentence, "detail": f"{type(exc).__name__}: {err.detail}"}}
    timings = {k: round(v * 1000, 1) for k, v in stats.timings.items()}
    return {"out": out, "timings": timings, "tiles": dict(stats.tiles), "backend": backend.name,
            "reduced": list(stats.reduced) if stats.reduced else None}


def preload(bridge, model: str) -> dict:
    """Create the sessions a job will need (fetching and verifying their bytes)
    so the first image does not wait for them. Returns {"loaded": names} or
    {"error": {...}} like run_job."""
    backend = BrowserBackend(bridge)
    manifest = _state["manifest"]
    names = graph_names((MODEL_SIZE, MODEL_SIZE), Options(model=model))
    try:
        for name in names:
            backend.load(manifest.get(name))
    except CutoutError as exc:
        return {"error": {"code": exc.code, "sentence": exc.sentence, "detail": exc.detail}}
    return {"loaded": names}


def open_for(bridge, height: int, width: int, opts) -> list[str]:
    """Start creating the sessions a job on a height x width photo will use and
    preload did not make (a large photo's refine graph, the mask graph, flip
    TTA's), without waiting: the worker calls this while the browser decodes
    the photo (on WASM only: OrtBridge.openSoon). A creation that fails is
    met again, and reported, by the job. Returns the names started."""
    manifest, backend = _state["manifest"], BrowserBackend(bridge)
    names = [n for n in graph_names((int(height), int(width)), _options(opts)) if n in manifest.assets]
    return [n for n in names if backend.open_soon(manifest.get(n))]


def reduced_size(height: int, width: int, opts) -> list[int]:
    """[h, w]: the smallest reduced copy of a height x width photo that the job
    can read instead of the photo in its pre-process (pipeline.reduced_need)."""
    return list(reduced_need((int(height), int(width)), _options(opts)))
