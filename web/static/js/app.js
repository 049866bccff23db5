// Cutout Studio page: wires the input, the engine client, the viewer and downloads.

import { EngineClient } from "./engine/client.js";
import { acceptImages } from "./ui/input.js";
import { Status, overall } from "./ui/status.js";
import { Viewer } from "./ui/viewer.js";
import { download, priceNote, showProblem } from "./ui/downloads.js";
import { AccountStatus } from "./ui/account-status.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const BACKEND_KEY = "cutout.backend";

function bootOptions() {
  const backend = params.get("backend") || localStorage.getItem(BACKEND_KEY) || "auto";
  return {
    backend: ["auto", "webgpu", "wasm"].includes(backend) ? backend : "auto",
    test: params.get("test") === "1", // enables the stand-in model used by end-to-end tests
    // "webgpu-create" | "webgpu-run" | "tile-helper" | "decoder-worker": simulated failures, for tests
    fault: params.get("fault") || "",
    // compose tiles in tile helpers: "0" never, "1" always (tests, bench); else "auto" (backends.js wantsTileHelpers)
    tileHelpers: { 0: false, 1: true }[params.get("helpers")] ?? "auto",
    // the model's warm-up run as the engine starts (ort-bridge.js #warmUp): "0" never, "1" always
    // (tests, bench); else "auto": only when onnxruntime's code comes without Chrome's code cache
    warmUp: { 0: "off", 1: "on" }[params.get("warmup")] || "auto",
    model: params.get("model") || undefined, // a manifest model name; default: the backend's choice
  };
}

const state = { client: null, file: null, result: null, busy: false, jobs: 0 };
const status = new Status({ stage: $("stage"), progress: $("progress"), error: $("error"), cancel: $("cancel") });
const viewer = new Viewer({
  viewer: $("viewer"), canvas: $("canvas"), placeholder: $("placeholder"), before: $("before"), after: $("after"),
  compare: $("compare"), zoomIn: $("zoom-in"), zoomOut: $("zoom-out"), zoomFit: $("zoom-fit"), zoomLevel: $("zoom-level"),
});
const saveButtons = { preview: $("save-preview"), png: $("save-png"), webp: $("save-webp"), mask: $("save-mask") };

function showPrice() {
  $("price").textContent = priceNote(state.result);
}

function showBackend(info) {
  const badge = $("backend");
  badge.textContent = info.fallbackFrom ? `${info.label} (after ${info.fallbackFrom} failed)` : info.label;
  badge.title = info.model ? `${info.reason || ""} (model ${info.model})`.trim() : info.reason || "";
  document.body.dataset.backend = info.name;
  document.body.dataset.model = info.model || "";
}

async function startEngine() {
  const options = bootOptions();
  $("backend-choice").value = options.backend;
  state.client = new EngineClient(options);
  state.client.onBootProgress = (p) => { // a photo chosen meanwhile waits for this too: show it either way
    status.busy(p.stage, p.fraction, p.bytes ? ` ${Math.round((p.bytes * p.fraction) / 1e6)} of ${Math.round(p.bytes / 1e6)} MB` : "");
    if (!state.busy) status.cancelEl.disabled = true; // nothing to cancel while the engine starts
  };
  status.busy("boot", null);
  status.cancelEl.disabled = true;
  try {
    const ready = await state.client.ready;
    showBackend(ready.backend);
    document.body.dataset.bootTimings = JSON.stringify({ ...ready.timings, cache: ready.cache }); // read by bench/browser.py
    document.body.dataset.engine = "ready";
    if (!state.busy) status.idle("Ready. Drop, paste or choose a photo.");
  } catch (e) {
    document.body.dataset.engine = "failed";
    $("backend").textContent = "unavailable";
    status.idle("The engine could not start.");
    status.error(e.sentence || String(e));
  }
}

function jobOptions() {
  const options = { refine: $("refine").checked, best: $("best").checked };
  const maxMp = Number(params.get("max_mp"));
  if (maxMp > 0) options.maxPixels = Math.round(maxMp * 1e6);
  const block = Number(params.get("block")); // compose block side, for benchmarks; default: the engine's
  if (block > 0) options.block = block;
  const model = params.get("model");
  if (model) options.model = model;
  if (params.get("reduce") === "0") options.reduce = false; // a large JPEG read in full by the pre-process (benchmarks, tests)
  return options;
}

async function cutout(file) {
  if (state.busy) await state.client.cancel();
  state.busy = true;
  state.file = file;
  const job = ++state.jobs;
  status.clearError();
  status.busy("decode", 0.02);
  for (const b of Object.values(saveButtons)) b.disabled = true;
  document.body.dataset.job = "running";
  delete document.body.dataset.encoded;
  delete document.body.dataset.pngBytes;
  try {
    const result = await state.client.cutout(file, jobOptions(), (p) => {
      if (job === state.jobs) status.busy(p.stage, overall(p.stage, p.fraction));
    });
    if (job !== state.jobs) return;
    state.result = result;
    showProblem($("hd-problem"), null);
    showPrice();
    await viewer.show(file, result);
    if (job !== state.jobs) return;
    result.png.then((png) => { // read by tests and bench/browser.py
      if (result !== state.result) return;
      document.body.dataset.pngBytes = String(png.size);
      document.body.dataset.encoded = "png";
    }, () => {});
    showBackend(result.backend);
    const secs = (result.timings.total / 1000).toFixed(1);
    status.idle(`Done in ${secs} s: ${result.width} × ${result.height} pixels.`, 1);
    $("details").textContent = `Ran on ${result.backend.label}. Nothing was uploaded.`;
    document.body.dataset.timings = JSON.stringify({ ...result.timings, reduced: result.reduced }); // read by bench/browser.py
    document.body.dataset.tiles = JSON.stringify(result.tiles || {}); // compose tiles and who ran them: tests, bench
    for (const b of Object.values(saveButtons)) b.disabled = false;
    document.body.dataset.job = "done";
  } catch (e) {
    if (job !== state.jobs) return;
    status.idle(e.code === "cancelled" ? "Cancelled. Drop, paste or choose another photo." : "That image could not be cut out.");
    const specific = ["image_too_large", "image_too_small"].includes(e.code) && e.detail ? ` (${e.detail})` : "";
    if (e.code !== "cancelled") status.error((e.sentence || String(e)) + specific);
    document.body.dataset.job = e.code === "cancelled" ? "cancelled" : "error";
    document.body.dataset.errorCode = e.code || "internal";
    if (state.result) for (const b of Object.values(saveButtons)) b.disabled = false;
  } finally {
    if (job === state.jobs) state.busy = false;
  }
}

function wire() {
  acceptImages({ drop: $("drop"), fileInput: $("file") }, (file) => cutout(file));
  $("cancel").addEventListener("click", async () => {
    status.busy("Cancelling…", null);
    state.jobs += 1; // results of the cancelled job are ignored
    const restarts = state.client.restarts;
    await state.client.cancel();
    state.busy = false;
    document.body.dataset.job = "cancelled";
    if (state.client.restarts === restarts) {
      status.idle("Cancelled. Drop, paste or choose another photo.");
      return;
    }
    status.idle("Cancelled. Restarting the engine…");
    document.body.dataset.engine = "restarting";
    await state.client.ready.catch(() => {});
    document.body.dataset.engine = "ready";
    if (!state.busy) status.idle("Cancelled. Ready for another photo.");
  });
  for (const [kind, button] of Object.entries(saveButtons)) {
    button.addEventListener("click", async () => {
      const result = state.result;
      if (!result) return;
      const ui = { confirm: (text) => window.confirm(text), show: (problem) => showProblem($("hd-problem"), problem) };
      const saved = await download(kind, result, state.file, ui);
      if (result === state.result) showPrice();
      document.body.dataset.download = saved ? `${kind}:saved` : `${kind}:refused`; // read by e2e tests
    });
  }
  $("backend-choice").addEventListener("change", (e) => {
    localStorage.setItem(BACKEND_KEY, e.target.value);
    params.set("backend", e.target.value);
    location.search = params.toString();
  });
}

wire();
new AccountStatus($("account")).refresh();
startEngine();
