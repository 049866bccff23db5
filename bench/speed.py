"""Speed and memory of the CPython engine.

    python -m bench speed [--repeat N] [--no-write]

- 12 MP photo: end-to-end engine time (pre + ISNet + refine + tiled compose)
  against ISNet inference alone, measured in the same run, as a ratio;
  decode and encode are timed apart (they are the CLI's, not the engine's).
- 50 MP photo: peak resident memory of a fresh process, split into the
  interpreter, the engine (sessions and ISNet's working memory, the same for
  any photo of that aspect) and what the photo's size adds, against the output
  RGBA buffer.
The photos are eval photos upscaled (Lanczos) to the target size: content
stays photographic, edges stay where a real subject's are.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from cutout.backend_cpython import CPythonBackend
from cutout.graphs_meta import MODEL_MULTIPLE, MODEL_SIZE
from cutout.pipeline import Options, Stats, cutout
from cutout.tiling import model_size

from .data import EVAL, scaled_size
from .engine import load_manifest
from .report import write_section

SOURCE = EVAL / "alphamatting27" / "image" / "GT04.png"


def upscaled(megapixels: float) -> np.ndarray:
    img = Image.open(SOURCE).convert("RGBA")
    return np.asarray(img.resize(scaled_size(img.width, img.height, megapixels), Image.LANCZOS))


def best_of(fn, repeat: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), times


def time_12mp(repeat: int, model: str) -> dict:
    manifest = load_manifest()
    backend = CPythonBackend(manifest)
    rgba = upscaled(12)
    opts = Options(model=model)
    cutout(backend, manifest, rgba, opts)  # warm: sessions created, caches hot
    # ISNet alone on the input the engine gives it for this photo (aspect kept)
    isnet_hw = model_size(*rgba.shape[:2], MODEL_SIZE, MODEL_MULTIPLE)
    x = np.random.default_rng(0).random((1, 3, *isnet_hw), dtype=np.float32) - 0.5
    # and on the 1024x1024 square every photo is squashed into by IMG.LY and rembg
    square = np.random.default_rng(0).random((1, 3, MODEL_SIZE, MODEL_SIZE), dtype=np.float32) - 0.5
    isnet = backend.load(manifest.get(model))
    stats = Stats()
    # interleave so all see the same machine load
    e2e, model_only, square_only, stages = [], [], [], []
    for _ in range(repeat):
        model_only.append(best_of(lambda: isnet.run(["output"], {"input": x}), 1)[0])
        square_only.append(best_of(lambda: isnet.run(["output"], {"input": square}), 1)[0])
        stats = Stats()
        e2e.append(best_of(lambda: cutout(backend, manifest, rgba, opts, stats=stats), 1)[0])
        stages.append(stats.timings)
    best = Options(model=model, tta=True)
    cutout(backend, manifest, rgba, best)
    tta = [best_of(lambda: cutout(backend, manifest, rgba, best), 1)[0] for _ in range(max(1, repeat // 2))]
    out = cutout(backend, manifest, rgba, opts)
    buf = io.BytesIO()
    enc = best_of(lambda: Image.fromarray(out).save(buf, "PNG", compress_level=3), 1)[0]
    stage_medians = {k: statistics.median(run[k] for run in stages) for k in stages[-1]}
    return {"size": f"{rgba.shape[1]}x{rgba.shape[0]}", "e2e": statistics.median(e2e),
            "isnet": statistics.median(model_only), "e2e_all": e2e, "isnet_all": model_only,
            "isnet_square": statistics.median(square_only),
            "isnet_hw": isnet_hw, "stages": stage_medians, "tta": statistics.median(tta), "tiles": stats.tiles, "encode_png": enc}


# A fresh process that holds only the decoded photo (made by the parent, so
# the resampling's own memory does not count) and the engine. Memory is read
# from /proc/self/status: ru_maxrss would report the parent's peak, which
# Linux carries into a child across exec.
PEAK_SCRIPT = """
import json, sys
import numpy as np
sys.path.insert(0, {root!r})
from bench.engine import load_manifest
from cutout.backend_cpython import CPythonBackend
from cutout.pipeline import Options, cutout
def status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
m = load_manifest(); b = CPythonBackend(m)
base = status("VmRSS")
rgba = np.load({photo!r})
# warm-up on a small copy of the same shape: every session created and ISNet's
# working memory grown to its size for this photo (its input depends only on the
# aspect). A quarter of each side: still over LARGE_SCALE x the working size, so
# it takes the same refine graph (whose arena holds working-size maps). Twice:
# onnxruntime plans its memory pattern on the first run and allocates that block
# on the second, keeping the first run's chunks too
small = np.ascontiguousarray(rgba[::4, ::4])
for _ in range(2):
    cutout(b, m, small, Options())
ready = status("VmRSS")
out = cutout(b, m, rgba, Options())
print(json.dumps({{"size": f"{{rgba.shape[1]}}x{{rgba.shape[0]}}", "base": base, "ready": ready,
                  "peak": status("VmHWM"), "output_bytes": out.nbytes, "input_bytes": rgba.nbytes}}))
"""


def peak_50mp() -> dict:
    root = str(Path(__file__).resolve().parents[1])
    with tempfile.TemporaryDirectory() as tmp:
        photo = str(Path(tmp) / "photo.npy")
        np.save(photo, upscaled(50))
        res = subprocess.run([sys.executable, "-c", PEAK_SCRIPT.format(root=root, photo=photo)],
                             capture_output=True, text=True, check=True)
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench speed")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--model", default="isnet-fp16")
    p.add_argument("--no-write", action="store_true")
    args = p.parse_args(argv)
    t = time_12mp(args.repeat, args.model)
    mem = peak_50mp()
    model_bytes = load_manifest().get(args.model).bytes
    mb = 2**20
    engine = mem["ready"] - mem["input_bytes"] - mem["base"]
    image = mem["peak"] - engine - mem["base"]
    ratio = t["e2e"] / t["isnet"]
    stages = ", ".join(f"{k} {v:.2f}s" for k, v in t["stages"].items())
    body = (
        f"| measure | value |\n|---|---|\n"
        f"| photo | {t['size']} (12 MP), {args.model} |\n"
        f"| ISNet inference alone, {t['isnet_hw'][1]}x{t['isnet_hw'][0]} input (median of {args.repeat}) "
        f"| {t['isnet']:.2f} s |\n"
        f"| engine end-to-end (median of {args.repeat}, interleaved) | {t['e2e']:.2f} s |\n"
        f"| **end-to-end / inference** | **{ratio:.3f}** |\n"
        f"| ISNet inference alone, {MODEL_SIZE}x{MODEL_SIZE} input (as IMG.LY and rembg run it) "
        f"| {t['isnet_square']:.2f} s |\n"
        f"| end-to-end / {MODEL_SIZE}² inference | {t['e2e'] / t['isnet_square']:.3f} |\n"
        f"| `--best` (flip TTA: two ISNet passes) end-to-end / inference | {t['tta'] / t['isnet']:.3f} |\n"
        f"| stages (median of the runs) | {stages} |\n"
        f"| compose blocks ({CPythonBackend.block}²) by class; runs: tiles the graph ran on | {t['tiles']} |\n"
        f"| PNG encode (CLI, not engine) | {t['encode_png']:.2f} s |\n"
        f"| 50 MP photo | {mem['size']} |\n"
        f"| interpreter and libraries (before the photo) | {mem['base'] / mb:.0f} MiB |\n"
        f"| engine: sessions and ISNet's working memory (after two warm-up cutouts, photo excluded) "
        f"| {engine / mb:.0f} MiB |\n"
        f"| peak RSS of the 50 MP cutout | {mem['peak'] / mb:.0f} MiB |\n"
        f"| image-dependent: peak - engine - interpreter (photo, output, tiles in flight) | {image / mb:.0f} MiB |\n"
        f"| output RGBA buffer / model file | {mem['output_bytes'] / mb:.0f} MiB / {model_bytes / mb:.0f} MiB |\n"
        f"| **image-dependent / output buffer** | **{image / mem['output_bytes']:.2f}** |\n"
        f"| peak / (4 × output + model file) | {mem['peak'] / (4 * mem['output_bytes'] + model_bytes):.2f} |\n"
        f"\nAll runs: ISNet {', '.join(f'{v:.2f}' for v in t['isnet_all'])} s; "
        f"end-to-end {', '.join(f'{v:.2f}' for v in t['e2e_all'])} s.\n"
        "\nThe engine's share is onnxruntime's: the fp16 model's session at optimisation level 'all' "
        "holds ~500 MiB (weights cast to fp32 and re-laid out for its NCHWc kernels) and its arena keeps "
        "~700 MiB of working memory after two runs (~300 MiB less without the memory pattern, which ran ISNet "
        "~4% slower; level 'basic' needs ~180 MiB for the session but ran ISNet 25-30% slower); the refine "
        "graphs' arenas keep ~80 MiB of working-size maps (refine ran ~2x slower without them: backend_cpython.py). "
        "The image-dependent part: the photo and the output (1x each), tiles in flight.\n")
    print(body)
    if not args.no_write:
        write_section("speed", "Engine speed and memory (CPython, onnxruntime CPU)", "python -m bench speed", body)
