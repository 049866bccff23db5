// The engine worker: Pyodide + onnxruntime-web behind the message protocol in
// protocol.js. One job at a time; a cancel sets a flag the pipeline checks
// between stages (the page terminates the worker if it does not stop in time).

import { KIND, PROTOCOL_VERSION, checkRequest, codeIn, sentenceFor } from "./protocol.js";
import { chooseBackend, shouldFallBack, wantsTileHelpers, wasmBackend } from "./backends.js";
import { decodeReduced, encodeImage, reducedSize, toImageData } from "./image-io.js";
import { headerSize } from "./image-size.js";
import { OrtBridge } from "./ort-bridge.js";
import { PhotoDecoder } from "./photo-decoder.js";
import { keepOrtModule } from "./ort-module.js";
import { loadEngineManifest, loadOrt, loadPython, loadWireTypes, openAssets } from "./runtime.js";
// The modules those import, named here too: a worker has no modulepreload, and
// its modules were otherwise fetched level by level as each one's imports were
// read, five waves in all (a warm visit's last one arrived 293 ms after page
// load, 254 ms in one wave). Page load -> first result moved less than this
// 2-core host's noise: 10 alternating second visits each, with the list and
// without, shown at 5.79 s against 5.76 s, engine ready at 2.20 s against
// 2.30 s (medians). tests/build/test_module_graph.py keeps the list whole.
import "./assets.js";
import "./png.js";
import "./stand-in.js";
import "./tensor-ops.js";
import "./tile-pool.js";
import "./tiles.js";
import "./wasm-compile.js";

const MAX_PIXELS = 64_000_000;
// Photos this large start the tile helpers (tile-pool.js): they are up by the
// compose stage, seconds later. Below it a compose takes too little to gain.
// They start as the photo is decoded (its size read from the file's header):
// a helper gets its start message only when this worker's event loop turns,
// and a job's pre-process and inference give it no turn for seconds.
const HELPER_PIXELS = 4_000_000;
const TILE_GRAPH = "graph-compose"; // the helpers make its session as they start (others when first asked)
// spare: the last job's photo buffer, for the next photo's pixels (image-io.js decodeImage)
const engine = { ready: null, started: false, cancelled: new Set(), waiting: new Map(), queue: Promise.resolve(), spare: null, spareTimer: 0, wireTimer: 0, running: false, encoding: 0,
  noReduce: false, decoder: null }; // noReduce: this browser's ImageDecoder does not scale JPEGs (reducedFor);
// decoder: the PhotoDecoder, made as the engine starts

function reply(type, id, fields = {}, transfer = []) {
  self.postMessage({ v: PROTOCOL_VERSION, type, id, ...fields }, transfer);
}

function errorFields(e) {
  const code = (e && e.code) || codeIn(e && e.message) || "internal";
  const detail = (e && (e.detail || e.message)) || String(e);
  return { code, sentence: sentenceFor(code), detail: String(detail).slice(0, 1000) };
}

async function boot(options, onProgress) {
  const t0 = performance.now();
  const store = await openAssets(new URL("../../", import.meta.url).href);
  const backend = await chooseBackend(options.backend || "auto");
  const helpers = wantsTileHelpers(options.tileHelpers, backend);
  const ortModule = helpers ? keepOrtModule() : undefined; // for the tile helpers
  const ort = await loadOrt(store, backend);
  const t1 = performance.now();
  const manifest = await loadEngineManifest(store);
  const bridge = new OrtBridge({ ort, store, modelsBase: manifest.base, backend, fault: options.fault || "", standIn: !!options.test,
    warmUp: options.warmUp || "auto" });
  bridge.onDownload = (name, done, total) => onProgress({ stage: "download", fraction: done / total, bytes: total });
  if (helpers) bridge.createTilePool(ortModule);
  if (options.preload !== false) startModelSession(bridge, manifest, options.model || backend.model);
  const { py, jobs, timings: python } = await loadPython(store, manifest, !!options.test);
  store.prune().catch((e) => console.warn("cache prune failed", e));
  const tileGraphs = manifest.assets.filter((a) => a.name === TILE_GRAPH).map((a) => new URL(a.file, manifest.base).href);
  const state = { store, ort, py, jobs, bridge, options, backend, tileGraphs };
  const t2 = performance.now();
  if (options.preload !== false) await preload(state, options.model);
  state.timings = { ort: Math.round(t1 - t0), python: Math.round(t2 - t1), ...python, preload: Math.round(performance.now() - t2) };
  return state;
}

// The model's session takes seconds to create (and, on a first visit, its bytes
// to download): start it while Pyodide boots. Python's preload below asks for it
// again and shares this creation; if it failed, preload meets the error itself
// (and falls back from WebGPU), so it is not reported twice.
function startModelSession(bridge, manifest, name) {
  const asset = manifest.assets.find((a) => a.name === name);
  if (asset) bridge.createSession(asset.name, asset.file, asset.sha256, asset.bytes, asset.role).catch(() => {});
}

// Fetch, verify and create the sessions now, so the first image does not wait;
// a WebGPU failure here moves the engine to WASM before any job starts.
async function preload(state, model) {
  let result = await callJobs(state.jobs.preload, state.bridge, model || state.bridge.backend.model);
  if (result.error && shouldFallBack(state.bridge.backend, result.error.code)) {
    console.warn("WebGPU failed while preloading; using WASM:", result.error.detail);
    await switchToWasm(state, result.error.code);
    result = await callJobs(state.jobs.preload, state.bridge, model || state.bridge.backend.model);
  }
  if (result.error) throw Object.assign(new Error(result.error.detail), result.error);
}

async function timed(promise) {
  const started = performance.now();
  const value = await promise;
  return { value, ms: performance.now() - started };
}

/** Call a Python entry point that may block on promises; returns plain JS data. */
async function callJobs(fn, ...args) {
  const proxy = await fn.callPromising(...args);
  try {
    return proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  } finally {
    proxy.destroy();
  }
}

async function switchToWasm(state, code) {
  const previous = state.bridge.backend;
  await state.bridge.releaseSessions();
  state.bridge.backend = { ...wasmBackend(`WebGPU failed: ${code}`), fallbackFrom: previous.label };
  if (wantsTileHelpers(state.options.tileHelpers, state.bridge.backend)) state.bridge.createTilePool();
}

function backendInfo(state) {
  const b = state.bridge.backend;
  return { name: b.name, label: b.label, model: b.model, threads: b.threads, reason: b.reason,
    fallbackFrom: b.fallbackFrom || "", cpuGraphs: state.bridge.cpuFallbacks.map((f) => f.graph) };
}

/** Boot once; when the engine is ready, load the wire types and cache the
 * graphs not used yet, once no job has come for a while (idleWork). */
function startEngine(options, onProgress) {
  // started with the engine: a photo dropped while it boots is decoded meanwhile
  if (!engine.decoder) engine.decoder = new PhotoDecoder({ fault: options.fault || "" });
  const ready = boot(options, onProgress);
  engine.ready = ready;
  engine.started = false;
  ready.then((state) => {
    if (engine.ready === ready) engine.started = true;
    idleWork(state);
  }, () => { if (engine.ready === ready) engine.ready = null; }); // let a later request try again
}

// msgspec's wheel takes ~0.1-0.3 s of the worker's one thread: loaded at once
// when the engine was ready, it held up a photo dropped just then (24 MP in the
// bench: 0.28 s between its choice and its decode). So it waits until the
// engine has been idle this long; each job puts it off again. Idle means no
// PNG being encoded either: timed from a job's end, it loaded while a 24 MP
// PNG (1.1-1.6 s) still took both cores, and held up a photo chosen just after
// that PNG was ready (by 0.23-0.29 s: 2 to 4 of 9 such photos here).
const WIRE_IDLE_MS = 1500;

function idleWork(state) {
  clearTimeout(engine.wireTimer);
  if (state.wireLoad || engine.running || engine.encoding) return; // started (state.timings.wire: its ms, once loaded), or later
  engine.wireTimer = setTimeout(() => {
    state.wireLoad = engine.queue = engine.queue.then(() => loadWireTypes(state.store, state.py))
      .then((ms) => { state.timings.wire = ms; }, (e) => console.warn("wire types not loaded", e));
    // then every graph cached (a few KB: those no job used yet are fetched), for offline use; off the
    // job queue: network and Cache Storage only
    state.wireLoad.then(() => state.store.keepAll("graph")).catch((e) => console.warn("graphs not cached", e));
  }, WIRE_IDLE_MS);
}

async function handleBoot(msg) {
  if (!engine.ready) startEngine(msg.options || {}, (p) => reply(KIND.PROGRESS, msg.id, p));
  const state = await engine.ready;
  const t = state.bridge.timings;
  const timings = { ...state.timings, fetch: Math.round(t.fetch), session: Math.round(t.session), warmUp: Math.round(t.warmUp) };
  reply(KIND.READY, msg.id, { backend: backendInfo(state), timings, cache: { ...state.store.stats } });
}

/** A job's options with the model named: the one asked for, else the backend's. */
function withModel(state, options) {
  return { ...options, model: options.model || state.bridge.backend.model };
}

/** `photo`: {rgba, reduced}, the tensors (or laterImage) the job reads. */
async function runOnce(state, id, photo, options) {
  const { jobs, bridge } = state;
  const progress = (stage, fraction) => reply(KIND.PROGRESS, id, { stage, fraction });
  bridge.onDownload = (name, done, total) => reply(KIND.PROGRESS, id, { stage: "download", fraction: done / total, bytes: total });
  const jobOptions = withModel(state, options);
  return callJobs(jobs.run_job, bridge, photo.rgba, jobOptions, progress, () => engine.cancelled.has(id),
    photo.reduced || undefined); // undefined: Python's None (a JS null arrives as pyodide's jsnull)
}

async function runWithFallback(state, id, photo, options) {
  let result = await runOnce(state, id, photo, options);
  if (result.error && shouldFallBack(state.bridge.backend, result.error.code)) {
    console.warn("WebGPU failed; retrying on WASM:", result.error.detail);
    await switchToWasm(state, result.error.code);
    result = await runOnce(state, id, photo, options);
  }
  return result;
}

/** The engine, once ready; a job cancelled while it starts stops waiting at once
 * (the page would otherwise restart a worker that is only booting). */
function untilReady(id) {
  if (!engine.ready) startEngine({}, () => {}); // an earlier boot failed: try again
  return new Promise((resolve, reject) => {
    engine.waiting.set(id, () => reject(Object.assign(new Error("[cancelled] while the engine started"), { code: "cancelled" })));
    engine.ready.then(resolve, reject);
  }).finally(() => engine.waiting.delete(id));
}

// kept for a next photo that comes soon (a batch, a retry), given back when none does
const SPARE_IDLE_MS = 20_000;

function keepSpare(buffer) {
  engine.spare = buffer;
  clearTimeout(engine.spareTimer);
  engine.spareTimer = setTimeout(() => { engine.spare = null; }, SPARE_IDLE_MS);
}

async function handleStart(msg) {
  const options = msg.options || {};
  const t0 = performance.now();
  reply(KIND.PROGRESS, msg.id, { stage: "decode", fraction: 0 });
  // a photo dropped while the engine starts is decoded meanwhile
  const spare = engine.spare;
  engine.spare = null;
  const header = headerSize(msg.file).catch(() => null);
  let onFed;
  const fed = new Promise((resolve) => { onFed = resolve; });
  const decoding = timed(engine.decoder.decode(msg.file, options.maxPixels || MAX_PIXELS, { spare, header, onFed }));
  decoding.then(() => { if (!engine.started) reply(KIND.PROGRESS, msg.id, { stage: "boot", fraction: null }); },
    () => {}); // a decoding error is met below, after the engine's own
  const state = await untilReady(msg.id);
  clearTimeout(engine.wireTimer);
  engine.running = true;
  try {
    await runJob(msg.id, options, state, t0, { file: msg.file, decoding, header, fed });
  } finally {
    engine.running = false;
    idleWork(state);
  }
}

// The sessions a photo's job will use that the boot did not make (a large
// photo's refine graph, the mask graph, flip TTA's): their creation starts on
// this worker's thread while the browser decodes the photo on its own (for a
// 24 MP photo it took 30-60 ms of the job when the pipeline asked for it).
// Returns the names of those it started.
function openSessionsFor(state, size, options) {
  try {
    const names = state.jobs.open_for(state.bridge, size.height, size.width, withModel(state, options));
    try {
      return names.toJs();
    } finally {
      names.destroy();
    }
  } catch (e) {
    console.warn("could not start the job's sessions early", e); // the job creates them itself
    return [];
  }
}

// A large JPEG is decoded a second time, reduced (1/2, 1/4 or 1/8: image-io.js
// decodeReduced), and the job's pre-process reads that copy (pipeline.cutout's
// `reduced`). The job starts once the copy is decoded (and, where the photo is
// decoded on this thread, not in the decoder's worker, once the full decoder has
// every byte of the file); the photo is decoded beside the inference, and the
// compose stage, the first to read it, waits for it only if it must. A 24 MP photo's pre-process
// read 96 MB of pixels (0.19-0.29 s here); its copy at 1/4 holds 6 MB.
async function reducedFor(state, photo, size, options) {
  if (options.reduce === false || engine.noReduce || !size || size.format !== "jpeg") return null;
  if (size.width * size.height > (options.maxPixels || MAX_PIXELS)) return null;
  const need = state.jobs.reduced_size(size.height, size.width, withModel(state, options));
  const [height, width] = need.toJs();
  need.destroy();
  const target = reducedSize(size, { width, height });
  if (!target) return null;
  const started = performance.now();
  const { image, ignored } = await decodeReduced(photo.file, target);
  if (ignored) engine.noReduce = true; // this browser decodes every JPEG in full: no second decode from now on
  if (!image) console.debug("no reduced decode of this JPEG; the job reads the photo");
  return image && { image, ms: performance.now() - started };
}

/** The job's tensors: {rgba, reduced} (see runOnce), how long the job waited
 * for them, and a Promise of the decoded photo. */
async function photoFor(state, photo, size, options) {
  const { Tensor } = state.ort;
  const tensor = (image) => new Tensor("uint8", image.pixels, [image.height, image.width, 4]);
  const started = performance.now();
  const reduced = await reducedFor(state, photo, size, options);
  const decoded = photo.decoding.then(({ value }) => value);
  decoded.catch(() => {}); // met below, or by the job
  if (!reduced) {
    const { value: image, ms } = await photo.decoding;
    return { tensors: { rgba: tensor(image), reduced: null }, wait: ms, decoded };
  }
  await photo.fed;
  const turned = reduced.image.rotation % 180 !== 0;
  const [height, width] = turned ? [size.width, size.height] : [size.height, size.width];
  const later = decoded.then(tensor);
  later.catch(() => {}); // met by the compose stage, or not at all if the job ends first
  const rgba = state.bridge.laterImage(later, height, width);
  return { tensors: { rgba, reduced: tensor(reduced.image) }, wait: performance.now() - started, decoded, reducedMs: reduced.ms };
}

async function runJob(id, options, state, t0, photo) {
  const helpers = state.bridge.tilePool;
  const size = await photo.header;
  if (size && helpers && size.width * size.height >= HELPER_PIXELS) helpers.start(state.tileGraphs);
  // started at once: the graph's bytes are read and checked while the photo decodes. Started
  // once the decoder had every byte (so that a creation's ~30 ms on this thread would not hold
  // up feeding it: image-io.js), the read finished only after the model's run, and the session
  // was made in the job after all
  const earlySessions = size ? openSessionsFor(state, size, options) : [];
  const { tensors, wait: decodeMs, decoded, reducedMs } = await photoFor(state, photo, size, options);
  if (helpers && !size) decoded.then((image) => { if (image.width * image.height >= HELPER_PIXELS) helpers.start(state.tileGraphs); }, () => {});
  const t1 = performance.now();
  const before = { ...state.bridge.timings };
  const result = await runWithFallback(state, id, tensors, options)
    .finally(() => decoded.then((image) => keepSpare(image.pixels.buffer), () => {}));
  if (result.error) throw Object.assign(new Error(result.error.detail), result.error);
  const out = result.out;
  const [height, width, channels] = out.dims;
  // the page shows a bitmap made here; the pixels stay for the PNG encoder and
  // go to the page with the PNG (moved, not copied: a 24 MP copy took ~0.1 s)
  const bitmap = await createImageBitmap(toImageData(out.data, width, height, channels), { premultiplyAlpha: "none" });
  const compose = state.bridge.lastCompose || {};
  const photoWait = compose.photoWait || 0; // the compose stage waiting for the photo's decode: counted as decoding
  const timings = { decode: decodeMs + photoWait, wait: t1 - t0 - decodeMs, ...result.timings, wireTypes: state.timings.wire ?? null,
    fetch: state.bridge.timings.fetch - before.fetch,
    session: state.bridge.timings.session - before.session, total: performance.now() - t0 };
  if (result.timings.compose !== undefined) timings.compose = result.timings.compose - photoWait;
  if (reducedMs !== undefined) Object.assign(timings, { reducedDecode: reducedMs, fullDecode: (await photo.decoding).ms });
  const decodedIn = (await decoded.catch(() => ({}))).inThread ? "engine worker" : "decoder worker";
  reply(KIND.DONE, id, { width, height, channels, bitmap, backend: backendInfo(state), timings, earlySessions, reduced: result.reduced, decodedIn,
    tiles: { ...result.tiles, helpers: compose.helpers || 0, helped: compose.helped || 0, helpersRunning: helpers ? helpers.helpers.length : 0 },
    cache: { ...state.store.stats } }, [bitmap]);
  // not awaited: the next photo need not wait for this one's PNG (~2 s at 24 MP)
  sendPng(state, id, out.data, width, height, channels);
}

async function sendPng(state, id, data, width, height, channels) {
  const started = performance.now();
  engine.encoding += 1;
  try {
    const png = await encodeImage(data, width, height, channels);
    reply(KIND.ENCODED, id, { png, pixels: data.buffer, ms: performance.now() - started }, [data.buffer]);
  } catch (e) {
    console.warn("PNG encoding failed", e);
    reply(KIND.ENCODED, id, { ...errorFields(e), pixels: data.buffer }, [data.buffer]);
  } finally {
    engine.encoding -= 1;
    idleWork(state);
  }
}

self.onmessage = async (event) => {
  const msg = event.data;
  const problem = checkRequest(msg);
  if (problem) {
    reply(KIND.ERROR, (msg && typeof msg.id === "string" && msg.id) || "", { code: "bad_request", sentence: sentenceFor("bad_request"), detail: problem });
    return;
  }
  if (msg.type === KIND.CANCEL) {
    engine.cancelled.add(msg.target);
    if (engine.waiting.has(msg.target)) engine.waiting.get(msg.target)();
    return;
  }
  try {
    if (msg.type === KIND.BOOT) await handleBoot(msg);
    else {
      if (!engine.ready) startEngine({}, () => {});
      const job = engine.queue.then(() => handleStart(msg)); // one job at a time
      engine.queue = job.catch(() => {});
      await job;
    }
  } catch (e) {
    console.warn("engine request failed", msg.type, e);
    reply(KIND.ERROR, msg.id, errorFields(e));
  } finally {
    engine.cancelled.delete(msg.id);
  }
};
