"""Browser benchmark: `python -m bench browser` (or `python -m bench.browser`).

In headless Chromium (Debian, flags of DESIGN.md) against the real server:
  1. per-stage timings for 1, 12 and 24 MP photos on WASM, cold (empty cache),
     on the second visit and warm (later visits), with the tab's peak memory;
     the warm-visit target on literal second visits, each in a new profile;
  2. the pre/post-processing stages on WebGPU (SwiftShader here), with the
     test stand-in in place of ISNet (ISNet itself needed 15+ min there);
  3. steady-state per-image time and quality on alphamatting27, ours and the
     IMG.LY peer (@imgly/background-removal@1.7.0, same ISNet weights: its fp16
     model, and its all-int8 one beside our mixed int8), same browser, same
     images; IMG.LY fp16 also on the sized photos.
Writes the `browser` section of BENCHMARKS.md."""

from __future__ import annotations

import argparse
import statistics
import time
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

from . import browser_peer
from .browser_run import ROOT, TabMemory, app_job, app_server, chromium, close_visit, first_result, open_app, peer_job
from .data import samples
from .metrics import metrics
from .report import write_section

SIZES = {"1 MP": (1224, 816), "12 MP": (4240, 2832), "24 MP": (6000, 4000)}
PHOTOS = ROOT / ".cache" / "bench-photos"
WARM_REPEATS = 5  # visits of the first photo for the warm-visit target, second and later ones (one swings ±10%)
# A person's second visit starts from the machine code Chrome cached for onnxruntime's and Pyodide's
# WebAssembly during the first (onnxruntime's: 1.4-1.6 MB, then 3.5 MB), and caches more during it (4.1-4.2 MB); its
# first job's inference and compose ran slower than the next job's (24 MP, 8 visits of one profile: +0.8 s
# and +0.35 s on the second visit, ~+0.1 s each on later ones). Chrome's trace (v8.wasm) shows why, on 2 cores:
# V8's background threads compiled on each visit what the cache lacked, beside the engine's boot and its
# first job (24 MP, visits 2 and 3: ~6300 functions by Liftoff, 0.66 and 0.54 s; 193 and 154 by TurboFan;
# only the second visit wrote the cache again). So it has a row of its own, before the warm visits, which all
# come after it and compare alike.
SECOND = "second visit"
HELPER_PIXELS = 4_000_000  # photos this large may get the tile helpers (web/static/js/engine/worker.js)
# the same warm visit with ?helpers=1: tile helpers forced on (by default only where each has a core of
# its own beside the engine's threads: backends.js wantsTileHelpers), measured in the same run
WITH_HELPERS = "warm, tile helpers"
# the same warm visit with ?reduce=0: the pre-process reads the photo in full, not the reduced decode
# of a large JPEG (worker.js photoFor); the same-run baseline of that route, inference figures included
READ_IN_FULL = "warm, read in full"
REDUCED_FROM = 2 * 1024  # a JPEG reduces (1/2 at least) where both sides stay >= ISNet's 1024 long side
EXTRA_QUERY = {WITH_HELPERS: "&helpers=1", READ_IN_FULL: "&reduce=0"}
STAND_IN = "test=1&model=stand-in-ellipse"


def sized_photos() -> dict[str, Path]:
    """JPEGs upscaled from alphamatting GT18 (the eval photos are all under 0.6 MP)."""
    PHOTOS.mkdir(parents=True, exist_ok=True)
    src = ROOT.parent / "shared" / "eval" / "alphamatting27" / "image" / "GT18.png"
    out = {}
    for label, (w, h) in SIZES.items():
        path = PHOTOS / f"gt18_{w}x{h}.jpg"
        if not path.exists():
            img = Image.open(src).convert("RGB").resize((w, h), Image.LANCZOS)
            noise = np.random.default_rng(0).normal(0, 2.0, (h, w, 3))
            Image.fromarray(np.clip(np.asarray(img) + noise, 0, 255).astype(np.uint8)).save(path, quality=92)
        out[label] = path
    return out


def stage_row(label: str, mode: str, boot: dict, job: dict, peak: int, first_result: float | None) -> list:
    post = job.get("refine", 0) + job.get("compose", 0)
    s = lambda ms: f"{ms / 1000:.2f}"
    return [label, mode, s(boot["ort"] + boot["python"]), s(boot["fetch"]), s(boot["session"]), s(job["decode"]),
            s(job.get("prepare", 0)), s(job.get("model", 0)), s(post), s(job["shown"]), s(job["encode"]),
            s(job["wall"]), s(first_result) if first_result else "", f"{peak / 2**20:.0f}" if peak else "",
            f"{job['png_bytes'] / 1e6:.1f}" if job.get("png_bytes") else ""]


def sized_runs(browser, url: str, photos: dict, backend: str, query: str = "", modes=("cold", "warm"),
               first_results: dict | None = None, again: dict | None = None) -> list[list]:
    """One stage row per photo and mode (each a visit that waits for the engine,
    then gives it the photo); on WASM a SECOND visit comes before the warm one.
    With `first_results`, the first photo also gets WARM_REPEATS later visits
    that give it the photo as soon as the page has loaded
    (browser_run.first_result): their marks go into first_results[label].
    With `again`, the warm visit cuts the photo out a second time, in the same
    page (no first-run costs): that job goes into again[label]. Photos with tile
    helpers (WASM, HELPER_PIXELS) get one more warm visit with them forced on, for
    comparison in the same run (WITH_HELPERS; its second job in again[(label, WITH_HELPERS)]); photos that
    reduce (REDUCED_FROM) one more with the photo read in full (READ_IN_FULL, likewise)."""
    rows = []
    for n, (label, photo) in enumerate(photos.items()):
        size = SIZES[label][0] * SIZES[label][1]
        visits = list(modes)
        if backend == "wasm" and "warm" in modes:
            visits.insert(visits.index("warm"), SECOND)
            visits += [WITH_HELPERS] * (size >= HELPER_PIXELS) + [READ_IN_FULL] * (max(SIZES[label]) >= REDUCED_FROM)
        with browser.profile() as context:  # a new on-disk profile: the first visit is cold
            for mode in visits:
                extra = EXTRA_QUERY.get(mode, "")
                with TabMemory(browser.tag) as mem:
                    page, boot = open_app(context, url, f"backend={backend}&{query}{extra}")
                    job = app_job(page, photo)
                rows.append(stage_row(label, f"{backend} {mode}", boot, job, mem.peak, job["since_page_load"]))
                print("  ", rows[-1], _helpers(job), flush=True)
                if mode not in ("cold", SECOND) and again is not None:
                    again[label if mode == "warm" else (label, mode)] = {**app_job(page, photo), "first_tiles": job["tiles"]}
                close_visit(page, browser.tag)
            if n == 0 and first_results is not None and "warm" in modes:
                for _ in range(WARM_REPEATS):
                    first_results.setdefault(label, []).append(first_result(context, url, f"backend={backend}&{query}", photo, browser.tag))
                    print("   first result:", first_results[label][-1], flush=True)
    return rows


def second_visits(browser, url: str, photo: Path, repeats: int = WARM_REPEATS) -> list[dict]:
    """The warm-visit target as a person meets it: `repeats` times, a new
    profile, a first visit that cuts out `photo` (as a person's first visit
    would), then the second visit, given the photo as its page loads
    (browser_run.first_result). Returns those second visits' marks."""
    out = []
    for _ in range(repeats):
        with browser.profile() as context:
            page, _boot = open_app(context, url, "backend=wasm")
            app_job(page, photo)
            close_visit(page, browser.tag)
            out.append(first_result(context, url, "backend=wasm", photo, browser.tag))
        print("   second visit, first result:", out[-1], flush=True)
    return out


WARM_UP_DELAY_S = 3.0  # the warm-up comparison's later photo: chosen this long after "ready"
WARM_UP_REPEATS = 4


# where the warm-up is compared: a browser with an on-disk profile (onnxruntime's
# WebAssembly comes from the HTTP cache) and an in-memory context, like a private
# window (from Cache Storage through the service worker); "auto" skips it in both
WARM_UP_PLACES = {"on-disk profile": "profile", "in-memory context (like a private window)": "memory"}


@contextmanager
def _context(browser, place: str):
    if place == "profile":
        with browser.profile() as context:
            yield context
        return
    context = browser.new_context()
    try:
        yield context
    finally:
        context.close()


def warm_up_gain(browser, url: str, photo: Path, place: str) -> dict:
    """Warm visits with the model's warm-up run (ort-bridge.js #warmUp, forced:
    ?warmup=1) and without it (?warmup=0), alternating, in a context of `place`
    (WARM_UP_PLACES): one gives the photo as the page loads
    (browser_run.first_result), one WARM_UP_DELAY_S after the engine is ready,
    as a person would. Returns {"on"|"off": {"load": [ms], "later": [ms]}}:
    page load -> result shown, and file chosen -> result shown."""
    runs = {k: {"load": [], "later": []} for k in ("on", "off")}
    with _context(browser, place) as context:
        close_visit(open_app(context, url, "backend=wasm")[0], browser.tag)  # fills the caches
        for i in range(WARM_UP_REPEATS):
            for key in (("on", "off") if i % 2 == 0 else ("off", "on")):
                query = "backend=wasm&warmup=" + ("1" if key == "on" else "0")
                runs[key]["load"].append(first_result(context, url, query, photo, browser.tag)["shown"])
                page, _ = open_app(context, url, query)
                time.sleep(WARM_UP_DELAY_S)
                runs[key]["later"].append(app_job(page, photo)["shown"])
                close_visit(page, browser.tag)
                print(f"   warm-up {key} ({place}): photo at page load {runs[key]['load'][-1]:.0f} ms, "
                      f"{WARM_UP_DELAY_S:.0f} s after ready {runs[key]['later'][-1]:.0f} ms", flush=True)
    return runs


def quality(alpha: np.ndarray, sample) -> dict:
    if alpha.shape != sample.gt.shape:
        raise RuntimeError(f"{sample.name}: output {alpha.shape} != input {sample.gt.shape}")
    return metrics(alpha / 255.0, sample.gt, sample.scored, sample.binary)


def _record(name, job, sample, i, times, scores):
    scores.append(quality(job["alpha"], sample))
    if i:  # the first image pays for warm-up
        times.append(job["wall"])
    print(f"   {name} {sample.name}: {job['wall'] / 1000:.1f} s", flush=True)


# IMG.LY's model keys: fp16 is the issue's peer (the weights our fp16 model
# comes from); quint8 is its all-int8 model, the same precision family as ours.
PEER_MODELS = ("isnet_fp16", "isnet_quint8")


@contextmanager
def peer_pages(browser, items, models):
    """One tab per IMG.LY model (it keeps one session per config)."""
    if not models:
        yield {}
        return
    web = browser_peer.prepare()
    url, server = browser_peer.serve(web, {"/photos/eval": items[0].image.parent, "/photos/sized": PHOTOS})
    context = browser.new_context()
    try:
        tabs = {}
        for model in models:
            tabs[model] = context.new_page()
            tabs[model].goto(f"{url}/peer/index.html?model={model}")
            tabs[model].wait_for_selector("body[data-ready]", state="attached")
        yield tabs
    finally:
        context.close()
        server.shutdown()


def steady_state(browser, url: str, items, photos: dict, peer_models):
    """Ours and IMG.LY alternate photo by photo, so load drifts on the shared
    machine hit all alike. Returns (ours, peers): ours = (times, scores, model),
    peers = {IMG.LY model: (times, scores, sized)}; sized only for the first."""
    context = browser.new_context(accept_downloads=True)
    ours, peers = ([], []), {m: ([], []) for m in peer_models}
    try:
        page, _ = open_app(context, url, "backend=wasm")
        model = page.get_attribute("body", "data-model")
        with peer_pages(browser, items, peer_models) as tabs:
            for i, sample in enumerate(items):
                _record("ours", app_job(page, sample.image, keep=True), sample, i, *ours)
                for m, tab in tabs.items():
                    _record(f"IMG.LY {m}", peer_job(tab, f"/photos/eval/{sample.image.name}", keep=True), sample, i, *peers[m])
            sized = {m: _peer_sized(tab, photos) if m == peer_models[0] else {} for m, tab in tabs.items()}
    finally:
        context.close()
    return (*ours, model), {m: (*peers[m], sized[m]) for m in peer_models}


def _peer_sized(page, photos: dict) -> dict:
    sized = {}
    for label, photo in photos.items():
        try:
            sized[label] = peer_job(page, f"/photos/sized/{photo.name}")["wall"]
        except Exception as exc:  # the peer may run out of memory on big photos: report it
            sized[label] = f"failed: {str(exc).splitlines()[0][:80]}"
        print(f"   IMG.LY {label}: {sized[label]}", flush=True)
    return sized


def table(header: list[str], rows: list[list]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]) + "\n"


def mean_scores(scores: list[dict]) -> dict:
    return {k: statistics.fmean(s[k] for s in scores) for k in scores[0]}


STAGE_HEADER = ["photo", "backend, visit", "runtime boot", "model fetch+verify", "sessions", "decode", "pre-process",
                "inference", "post-process", "result shown", "PNG encode", "PNG ready", "page load → result shown",
                "tab peak RSS (MiB)", "PNG (MB)"]


def report(args, stage_rows, webgpu_rows, ours, peers, first_results, second, again, warm_up, elapsed) -> str:
    parts = ["Seconds unless stated, on the page's own clock (ours and IMG.LY's alike). *result shown*: file chosen "
             "→ cutout on screen (drawn from the engine's raw pixels); *PNG encode*: after that, until the PNG file is "
             "ready (the download buttons wait for it; compressed in parts by one worker per core: js/engine/png.js); "
             "*PNG (MB)*: that file's size; *PNG ready*: file chosen → PNG ready; steady-state times below "
             "use it; *page load → result shown*: from the page's navigation start. "
             "*runtime boot*: onnxruntime-web + Pyodide + engine package; *model fetch+verify*: download (cold) or "
             "Cache Storage read (warm) plus sha256 of every model/graph; *post-process*: refine + full-resolution "
             "compose; *decode*: until the job could start plus any wait of its compose stage for the photo (a JPEG "
             "2048 px or more across is also decoded reduced, 1/2 to 1/8, for the pre-process, while its full decode "
             "goes on beside the inference: web/static/js/engine/worker.js photoFor). Sized photos are alphamatting GT18 upscaled (the eval photos are all under 0.6 MP). "
             "The machine is shared: timings swing ±50% between runs; compare within one run. "
             "Each visit's renderer process has exited before the next visit starts (bench/browser_run.py "
             "close_visit): a process still running would give the next page its compiled, already optimised "
             "WebAssembly, which a person's later visit does not have. Each photo's visits run in a browser with a "
             "new profile of its own on disk, as a person's browser has: the first visit is cold; Chrome caches "
             "the machine code it compiled from onnxruntime's and Pyodide's WebAssembly (its code cache, only on "
             "disk; js/engine/wasm-compile.js) during the first visit and adds to it during the second, whose "
             "first job ran slower than later visits' (bench/browser.py SECOND). The *second visit* rows are "
             "that visit; the *warm* rows come after it.\n",
             "### Stages, WASM (2 threads) and WebGPU\n", table(STAGE_HEADER, stage_rows + webgpu_rows)]
    if webgpu_rows:
        parts.append("WebGPU rows use SwiftShader (software) with the test stand-in instead of ISNet: pre/post "
                     "graphs only. ISNet on SwiftShader was not run (one inference took over 15 min here, DESIGN.md). "
                     "`graph-pre` and `graph-refine` (`graph-refine-large`) run on WASM inside a WebGPU session: "
                     "ORT web's WebGPU Resize has no `antialias`.\n")
    if ours:
        o_t, o_s, model = ours
        row = lambda name, t, s: [name, f"{statistics.fmean(t) / 1000:.2f}", f"{statistics.median(t) / 1000:.2f}"] + \
            [f"{v:.3f}" for v in mean_scores(s).values()]
        rows = [row(f"Cutout Studio (WASM, {model}, refine)", o_t, o_s)]
        rows += [row(f"IMG.LY 1.7.0 (WASM, {m})", p_t, p_s) for m, (p_t, p_s, _) in peers.items()]
        header = ["engine", "mean s/image", "median s/image"] + list(mean_scores(o_s))
        parts += [f"\n### Steady state, alphamatting27 ({len(o_s)} photos, first image excluded from timing; "
                  "ours and IMG.LY alternate photo by photo, one tab each, one browser)\n",
                  table(header, rows)]
        for i, (m, (p_t, _, sized)) in enumerate(peers.items()):
            ratio = statistics.fmean(o_t) / statistics.fmean(p_t)
            goal = " (target ≤ 0.7×)" if i == 0 else ""
            parts.append(f"Ours / IMG.LY {m} steady-state time: **{ratio:.2f}×**{goal}.\n")
            if sized:
                parts.append(f"\nIMG.LY {m} on the sized photos (warm, s): " +
                             ", ".join(f"{k}: {v / 1000:.1f}" if isinstance(v, float) else f"{k}: {v}" for k, v in sized.items()) + "\n")
    parts.append(targets(stage_rows, ours, first_results, second, again))
    if warm_up:
        parts.append(f"\n### The model's warm-up run\n\nWarm visits, 1 MP photo, with the warm-up run as the model's "
                     f"session is created (`?warmup=1`) and without it (`?warmup=0`), alternating; median of "
                     f"{WARM_UP_REPEATS}. By default (\"auto\") the app runs it only when onnxruntime's WebAssembly was "
                     f"downloaded or read as bytes, without Chrome's code cache (ort-bridge.js): both contexts "
                     f"here compile it from an HTTP response (HTTP cache; Cache Storage through the service "
                     f"worker) and skip it.\n")
        for name, runs in warm_up.items():
            med = {k: {w: statistics.median(v[w]) / 1000 for w in v} for k, v in runs.items()}
            parts.append(f"- {name}: photo given as the page loads, page load → result shown: {med['on']['load']:.2f} s "
                         f"against {med['off']['load']:.2f} s, **{med['on']['load'] / med['off']['load']:.2f}×**; photo "
                         f"chosen {WARM_UP_DELAY_S:.0f} s after the engine is ready, file chosen → result shown: "
                         f"{med['on']['later']:.2f} s against {med['off']['later']:.2f} s, "
                         f"**{med['on']['later'] / med['off']['later']:.2f}×**")
        parts.append("")
    parts.append(f"\nBenchmark wall time: {elapsed / 60:.1f} min.\n")
    return "\n".join(parts)


def _helpers(job: dict) -> str:
    """Who ran the compose stage's mixed tiles (tile helpers: worker.js HELPER_PIXELS)."""
    t = job.get("tiles") or {}
    if not t.get("helpers"):
        return "; compose tiles run by the engine worker"
    return f"; compose tiles run by {t['helpers']} tile helpers ({t.get('helped', 0)} of {t.get('runs', 0)})"


def _stages(job: dict) -> str:
    """A job's time besides inference, by stage (s): where the ratio's overhead goes."""
    parts = {"decode": job["decode"], "pre-process": job.get("prepare", 0),
             "post-process": job.get("refine", 0) + job.get("compose", 0)}
    # the file's hand-over to the engine worker, any wait for it, the bitmap and the page's drawing
    parts["the rest"] = job["shown"] - job.get("model", 0) - sum(parts.values())
    text = "besides inference: " + ", ".join(f"{k} {v / 1000:.2f}" for k, v in parts.items()) + " s"
    if job.get("reduced"):
        h, w = job["reduced"]
        text += (f" (pre-process from a {w}×{h} decode in {job['reducedDecode'] / 1000:.2f} s; the full decode, "
                 f"{job['fullDecode'] / 1000:.2f} s on its own clock, ran beside the inference)")
    return text


def _undisturbed(row, stage_rows) -> str:
    """For a visit whose photo was decoded beside its inference (a reduced JPEG:
    the full decode then shares the cores with the model and could slow it), the
    ratio against the smaller of its inference and that of the same photo's
    read-in-full visit, in which nothing ran beside the model. (Where the
    read-in-full visit came later than the warm one, after Chrome had cached
    more optimised code, most of the gap between them was that.)"""
    if row[1] == f"wasm {READ_IN_FULL}":
        return ""
    full = next((r for r in stage_rows if r[0] == row[0] and r[1] == f"wasm {READ_IN_FULL}"), None)
    return _against(float(row[9]), float(row[7]), float(full[7])) if full else ""


def _against(shown: float, inference: float, baseline: float) -> str:
    inference = min(inference, baseline)
    return f"; against the read-in-full visit's inference if smaller ({inference:.2f} s): {shown / inference:.2f}×"


def _next_undisturbed(row, mode: str, job: dict, again: dict) -> str:
    """_undisturbed for the next photo in the same page."""
    full = again.get((row[0], READ_IN_FULL))
    if mode == READ_IN_FULL or not full:
        return ""
    return _against(job["shown"] / 1000, job["model"] / 1000, full["model"] / 1000)


def targets(stage_rows, ours, first_results: dict, second: list, again: dict) -> str:
    """The issue's ratios, from this run's rows (columns as in STAGE_HEADER)."""
    lines = []
    for r in stage_rows:
        mode = r[1].removeprefix("wasm ")
        if r[1] == f"wasm {SECOND}":
            lines.append(f"- {r[0]} second visit: result shown / inference = {float(r[9]) / float(r[7]):.2f}× "
                         f"({r[9]} s / {r[7]} s)")
        if r[1].startswith("wasm") and mode in ("warm", WITH_HELPERS, READ_IN_FULL):
            job = again.get(r[0] if mode == "warm" else (r[0], mode))
            label = {"warm": f"- {r[0]} warm", WITH_HELPERS: "  - the same visit with tile helpers forced on (?helpers=1)",
                     READ_IN_FULL: "  - the same visit with the photo read in full by the pre-process (?reduce=0)"}[mode]
            lines.append(f"{label}: result shown / inference = {float(r[9]) / float(r[7]):.2f}×, "
                         f"PNG ready / inference = {float(r[11]) / float(r[7]):.2f}× "
                         f"(target ≤ 1.3× at 24 MP){_undisturbed(r, stage_rows)}; tab peak RSS {r[13]} MiB"
                         f"{_helpers({'tiles': job['first_tiles']}) if job else ''}")
            if job:
                lines.append(f"{'  ' if mode == 'warm' else '    '}- the next photo in the same page: result shown / inference = "
                             f"{job['shown'] / job['model']:.2f}× ({job['shown'] / 1000:.2f} s / {job['model'] / 1000:.2f} s), "
                             f"PNG ready / inference = {job['wall'] / job['model']:.2f}×{_next_undisturbed(r, mode, job, again)}"
                             f"{_helpers(job)}; {_stages(job)}")
    first = first_results.get("1 MP") if first_results else None
    if ours and (second or first):
        steady = statistics.fmean(ours[0]) / 1000

        def visits(marks):
            shown = [v["shown"] / 1000 for v in marks]
            ready = statistics.median(v["ready"] for v in marks) / 1000
            return (f"median of {len(marks)} visits: {', '.join(f'{v:.2f}' for v in shown)} s; engine ready at "
                    f"{ready:.2f} s) / steady-state s/image (alphamatting27): {statistics.median(shown) / steady:.2f}×")
        if second:
            lines.append(f"- warm second visit, page load → first result shown (1 MP photo given as the page loads; "
                         f"each a new profile's second visit, after a first one that cut out the photo; "
                         f"{visits(second)} (target ≤ 1.3×; different photo sizes, same run)")
        if first:
            lines.append(f"- the same on later visits (one profile, after its cold, second and warm visits; "
                         f"{visits(first)}")
        by_driver = next((float(r[12]) for r in stage_rows if r[0] == "1 MP" and r[1] == f"wasm {SECOND}"), None)
        if by_driver:
            lines.append(f"- a second visit with the photo given by the driver once the page says ready (the stage "
                         f"table's 1 MP second-visit row; adds Playwright's reaction, its polling and two round "
                         f"trips): {by_driver:.2f} s, {by_driver / steady:.2f}×")
    return "\n### Targets\n\n" + "\n".join(lines) + "\n" if lines else ""


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench browser", description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="only the first N alphamatting27 photos (0: all)")
    ap.add_argument("--sizes", default="1 MP,12 MP,24 MP", help="comma-separated subset of: " + ", ".join(SIZES))
    ap.add_argument("--no-peer", action="store_true", help="skip IMG.LY")
    ap.add_argument("--no-webgpu", action="store_true", help="skip the WebGPU (SwiftShader) stage run")
    ap.add_argument("--no-write", action="store_true", help="print the table, do not touch BENCHMARKS.md")
    args = ap.parse_args(argv)
    started = time.perf_counter()
    photos = {k: v for k, v in sized_photos().items() if k in args.sizes.split(",")}
    items = samples("alphamatting27")
    items = items[: args.limit] if args.limit else items
    if not items:
        raise SystemExit("../shared/eval/alphamatting27 not found: the steady-state run needs it")
    with app_server() as url, chromium() as browser:
        print("sized photos, WASM:", flush=True)
        first_results: dict = {}
        again: dict = {}
        stage_rows = sized_runs(browser, url, photos, "wasm", first_results=first_results, again=again)
        second = second_visits(browser, url, photos["1 MP"]) if "1 MP" in photos else []
        webgpu_rows = [] if args.no_webgpu else sized_runs(browser, url, dict(list(photos.items())[:1]), "webgpu", STAND_IN, ("cold",))
        print("steady state, ours and IMG.LY alternating:", flush=True)
        ours, peers = steady_state(browser, url, items, photos, () if args.no_peer else PEER_MODELS)
        warm_up = {}
        if "1 MP" in photos:
            print("the model's warm-up run, on and off:", flush=True)
            warm_up = {name: warm_up_gain(browser, url, photos["1 MP"], place) for name, place in WARM_UP_PLACES.items()}
    body = report(args, stage_rows, webgpu_rows, ours, peers, first_results, second, again, warm_up, time.perf_counter() - started)
    print(body)
    if not args.no_write:
        argv_text = " ".join(argv or [])
        write_section("browser", "Browser app (headless Chromium)", f"python -m bench browser {argv_text}".strip(), body)


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
