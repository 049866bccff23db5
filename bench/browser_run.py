"""Measurement helpers for the browser benchmark: the app server, Chromium,
the tab's memory, and one visit of the app or the IMG.LY peer page."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
FLAGS = ["--headless=new", "--no-sandbox", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run", "--disable-quic", "--enable-unsafe-webgpu"]
JOB_TIMEOUT_MS = 900_000


@contextmanager
def app_server(port: int = 0):
    import socket
    if not port:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
    db = ROOT / "var" / "bench-browser.sqlite3"
    db.parent.mkdir(exist_ok=True)
    proc = subprocess.Popen([sys.executable, "-m", "server", "--host", "127.0.0.1", "--port", str(port), "--db", str(db),
                             "--web-root", str(ROOT / "build" / "web")], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright
    tag = f"--cutout-bench-tag={os.getpid()}"  # lets the memory sampler find this browser's processes
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS + [tag], headless=True)
        browser.tag = tag
        browser.profile = lambda: _profile(p, tag)
        try:
            yield browser
        finally:
            browser.close()


@contextmanager
def _profile(p, tag: str):
    """A browser with a new profile of its own on disk, as a person's browser
    has: Chrome keeps large HTTP responses and the machine code it compiled
    from WebAssembly (its code cache) only on disk. A context of chromium()'s
    browser lives in memory, like a private window, and its later visits lack
    both (the engine was ready ~1 s later there). Same flags and tag."""
    with tempfile.TemporaryDirectory(prefix="cutout-bench-profile-") as folder:
        context = p.chromium.launch_persistent_context(folder, executable_path="/usr/bin/chromium", args=FLAGS + [tag],
                                                       headless=True, accept_downloads=True)
        try:
            yield context
        finally:
            context.close()


class TabMemory:
    """Peak resident memory of this browser's renderer processes (the tab and its workers)."""

    def __init__(self, tag: str):
        self.tag, self.peak, self._stop = tag, 0, threading.Event()

    def _renderers(self) -> list[int]:
        procs = {}
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                # renderers rewrite their title: one space-separated string, not NUL-separated args
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
                ppid = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            procs[int(pid)] = (ppid, cmd)
        roots = {pid for pid, (_, cmd) in procs.items() if self.tag.encode() in cmd and b"--type=" not in cmd}
        def under(pid):
            seen = 0
            while pid in procs and seen < 20:
                if pid in roots:
                    return True
                pid, seen = procs[pid][0], seen + 1
            return False
        return [pid for pid, (_, cmd) in procs.items() if b"--type=renderer" in cmd and under(pid)]

    def _rss(self, pids) -> int:
        total = 0
        for pid in pids:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
            except OSError:
                pass
        return total

    def largest(self) -> int:
        """Resident bytes of the browser's largest renderer process now (0 if none)."""
        return max((self._rss([pid]) for pid in self._renderers()), default=0)

    def __enter__(self):
        self.peak = 0
        def loop():
            while not self._stop.is_set():
                self.peak = max(self.peak, self._rss(self._renderers()))
                self._stop.wait(0.25)
        self._stop.clear()
        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


VISIT_EXIT_TIMEOUT_S = 10.0
ENGINE_GONE_BYTES = 250 * 2**20  # a renderer holding the engine's workers: ~0.5-1.5 GiB; without them: <200 MiB


def close_visit(page, tag: str) -> None:
    """Close a visit's page and wait (bounded) until its engine workers are
    torn down: no renderer process of the browser (`tag`: chromium()'s) holds
    more than ENGINE_GONE_BYTES. The site's process can outlive the page (its
    service worker runs there), and V8 shares compiled WebAssembly, already
    optimised, between the pages of a process: a visit right after another
    skipped most of onnxruntime's compilation (first inference ~1 s faster),
    which a person's later visit does not."""
    mem = TabMemory(tag)
    page.close()
    deadline = time.monotonic() + VISIT_EXIT_TIMEOUT_S
    while time.monotonic() < deadline and mem.largest() > ENGINE_GONE_BYTES:
        time.sleep(0.1)


def open_app(context, url: str, query: str):
    page = context.new_page()
    started = time.perf_counter()
    page.goto(f"{url}/?{query}")
    page.wait_for_selector("body[data-engine]", state="attached", timeout=JOB_TIMEOUT_MS)
    if page.get_attribute("body", "data-engine") != "ready":
        raise RuntimeError(f"engine failed: {page.text_content('#error')}")
    boot = json.loads(page.get_attribute("body", "data-boot-timings"))
    boot["page_to_ready_ms"] = (time.perf_counter() - started) * 1000
    return page, boot


# Marks taken in the page, on its own clock: the file input's change event, and
# the moments body[data-engine] turns ready, body[data-job] turns done/error and
# body[data-encoded] appears. (Waiting in the driver alone would add
# Playwright's polling, up to 0.5 s.)
_MARK = """() => {
  const body = document.body, marks = (window.__benchMarks = {});
  if (window.__benchObserver) window.__benchObserver.disconnect();
  document.getElementById("file").addEventListener("change", () => { marks.chosen = performance.now(); }, { once: true });
  window.__benchObserver = new MutationObserver(() => {
    if (!marks.ready && body.dataset.engine === "ready") marks.ready = performance.now();
    if (!marks.done && ["done", "error"].includes(body.dataset.job)) marks.done = performance.now();
    if (marks.done && !marks.encoded && body.dataset.encoded) marks.encoded = performance.now();
  });
  window.__benchObserver.observe(body, { attributes: true });
  body.dataset.job = "submitted";
}"""


def app_job(page, photo: Path, keep: bool = False) -> dict:
    """Cut out one photo through the UI; timings in ms (worker stages + the page's marks)."""
    page.evaluate(_MARK)
    page.set_input_files("#file", str(photo))
    page.wait_for_selector("body[data-job=done], body[data-job=error]", state="attached", timeout=JOB_TIMEOUT_MS)
    if page.get_attribute("body", "data-job") != "done":
        raise RuntimeError(f"{photo.name}: {page.text_content('#error')}")
    page.wait_for_selector("body[data-encoded]", state="attached", timeout=JOB_TIMEOUT_MS)
    marks = page.evaluate("() => window.__benchMarks")
    # shown: the cutout is on screen (drawn from raw pixels); wall: its PNG is ready too;
    # since_page_load: navigation start (the page's time origin) -> shown
    shown, wall = marks["done"] - marks["chosen"], marks["encoded"] - marks["chosen"]
    out = {**json.loads(page.get_attribute("body", "data-timings")), "shown": shown, "wall": wall,
           "encode": wall - shown, "since_page_load": marks["done"], "png_bytes": int(page.get_attribute("body", "data-png-bytes") or 0),
           "tiles": json.loads(page.get_attribute("body", "data-tiles") or "{}")}
    if keep:
        with page.expect_download() as info:
            page.click("#save-png")
        out["alpha"] = np.asarray(Image.open(info.value.path()).convert("RGBA"))[..., 3]
    return out


def first_result(context, url: str, query: str, photo: Path, tag: str) -> dict:
    """A visit that gives the app `photo` as soon as its page has loaded, while
    the engine starts (as a photo dropped at once, or opened with the installed
    app): page load -> result shown measures the app, with no wait in the
    driver between the engine's ready and the file. Times in ms from the
    page's navigation start. The page is closed with close_visit(tag)."""
    page = context.new_page()
    try:
        page.goto(f"{url}/?{query}", wait_until="domcontentloaded")
        page.evaluate(_MARK)
        page.set_input_files("#file", str(photo))
        page.wait_for_selector("body[data-job=done], body[data-job=error]", state="attached", timeout=JOB_TIMEOUT_MS)
        if page.get_attribute("body", "data-job") != "done":
            raise RuntimeError(f"{photo.name}: {page.text_content('#error')}")
        marks = page.evaluate("() => window.__benchMarks")
        return {"chosen": marks["chosen"], "ready": marks.get("ready", 0.0), "shown": marks["done"]}
    finally:
        close_visit(page, tag)


def peer_job(page, photo_url: str, keep: bool = False) -> dict:
    r = page.evaluate("([u, k]) => runPeer(u, k)", [photo_url, keep])
    out = {"wall": r["ms"]}
    if keep:
        out["alpha"] = np.asarray(Image.open(io.BytesIO(base64.b64decode(r["png"]))).convert("RGBA"))[..., 3]
    return out
