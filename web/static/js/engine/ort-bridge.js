// What the Python BrowserBackend calls: onnxruntime-web sessions and tensors.
// Tensors stay in JS memory or on the GPU; Python only holds references.
// Errors are thrown as Error("[code] detail") so Python can map them to
// CutoutError codes without parsing anything else.

import { codeIn } from "./protocol.js";
import { copyBlock, cropBlock, pasteImage } from "./tensor-ops.js";
import { standInMask } from "./stand-in.js";
import { TilePool } from "./tile-pool.js";
import { cutTile, tileScratch, tileTensors } from "./tiles.js";

export function coded(code, detail) {
  const e = new Error(`[${code}] ${detail}`);
  e.code = code;
  return e;
}

const OOM = /out of memory|allocation failed|Array buffer allocation|Cannot allocate|std::bad_alloc|OrtRun\(\).*ERROR_CODE: 6|GPUOutOfMemory/i;
// the compose loop asks Python for cancels and reports progress this often, not
// per tile: each ask is a round trip into Pyodide (~0.15 ms; 40 ms of a 24 MP compose)
const PROGRESS_MS = 50;
// fewer mixed tiles than this are run here: not worth the helpers' messages
const HELPED_TILES = 4;
const UNSUPPORTED_ON_GPU = /NOT implemented|not supported|Unsupported/i;
const WARM_SIZE = 128; // the model's warm-up input, px a side (#warmUp)
// outputs that feed straight into another WebGPU session stay on the GPU
const GPU_CHAINED = new Set(["graph-pre", "graph-flip"]);

export class OrtBridge {
  /** `warmUp` "on" | "off" | "auto": run the model once on a small input as its
   * session is created (#warmUp); "auto" does when onnxruntime's WebAssembly
   * came without Chrome's code cache (#wantsWarmUp). */
  constructor({ ort, store, modelsBase, backend, fault = "", standIn = false, warmUp = "auto" }) {
    Object.assign(this, { ort, store, modelsBase, backend, fault, standIn, warmUp });
    this.sessions = new Map(); // `${ep}:${name}` -> Promise of a handle
    this.opened = new Map(); // the same keys -> the handle, once created
    this.timings = { fetch: 0, session: 0, warmUp: 0 };
    this.cpuFallbacks = []; // graphs that WebGPU could not run, moved to WASM
  }

  get ep() { return this.backend.name; }

  /** Session handle for a manifest asset, cached per execution provider. Callers
   * asking while it is being created share that one creation (the worker starts
   * the model's session while Pyodide boots); a failed creation is forgotten. */
  createSession(name, file, sha256, bytes, role) {
    const key = `${this.ep}:${name}`;
    if (!this.sessions.has(key)) {
      const pending = this.#open(name, file, role);
      this.sessions.set(key, pending);
      pending.then((handle) => { if (this.sessions.get(key) === pending) this.opened.set(key, handle); },
        () => { if (this.sessions.get(key) === pending) this.sessions.delete(key); });
    }
    return this.sessions.get(key);
  }

  /** Start creating a session unless it exists or is being created, without
   * waiting for it (a failure is forgotten: the job that needs it meets it).
   * Returns whether this started it. WASM only: onnxruntime's WebGPU build
   * suspends inside WebAssembly (asyncify) while it creates or runs, and a
   * creation left running beside the job's first run hung that job. */
  openSoon(name, file, sha256, bytes, role) {
    if (this.ep !== "wasm" || this.sessions.has(`${this.ep}:${name}`)) return false;
    this.createSession(name, file, sha256, bytes, role).catch(() => {});
    return true;
  }

  /** The session handle if it has been created, else undefined (None in Python): no promise to wait on
   * (each wait is a suspension of Python's stack, ~2-5 ms a job for four graphs). */
  openedSession(name) {
    return this.opened.get(`${this.ep}:${name}`);
  }

  async #open(name, file, role) {
    if (role === "test") {
      if (!this.standIn) throw coded("model_missing", `${name} is a test stand-in, enabled only with ?test=1`);
      return { name, ep: this.ep, role, session: null };
    }
    const ep = this.ep;
    const url = new URL(file, this.modelsBase).href;
    let started = performance.now();
    const data = await this.store.bytes(url, (done, total) => this.onDownload && this.onDownload(name, done, total));
    this.timings.fetch += performance.now() - started;
    started = performance.now();
    const handle = { name, ep, role, url, session: await this.#create(name, data, role, ep) };
    handle.data = ep === "webgpu" ? data : null; // kept to re-create on WASM if WebGPU cannot run it
    this.timings.session += performance.now() - started;
    if (role === "model" && ep === "wasm" && this.#wantsWarmUp()) await this.#warmUp(handle);
    return handle;
  }

  // A model session's first run is ~0.5-1.5 s slower than later ones:
  // onnxruntime's WebAssembly is compiled to optimised code only as it runs
  // (V8's tiering, on background threads). A run at WARM_SIZE costs ~0.2-0.5 s
  // and sets that off while the engine still starts: with the module compiled
  // from bytes (no code cache), a photo chosen 3 s after "ready" was shown in
  // 0.80x the time. Compiled from an HTTP response of a later visit (the HTTP
  // cache's, or Cache Storage's through the service worker: wasm-compile.js),
  // Chrome's code cache brings optimised code along, and the warm-up only cost:
  // 1.10x / 1.05x (photo given as the page loads / 3 s after ready) with an
  // on-disk profile, 1.15x / 1.10x in a private window's in-memory one (8
  // alternating rounds; 4-round bench runs put the later photo anywhere from
  // 0.82x to 1.07x, the photo at page load at 0.98x-1.19x). So "auto" warms up
  // only a module downloaded or read as bytes.
  // The compose graph gets no warm-up. A visit's first 24 MP photo spent
  // 0.42-0.68 s in its 168 tiles' runs, later photos 0.15-0.37 s. With V8's
  // tiering off (--no-wasm-dynamic-tiering, a test flag) the first took 0.26 s:
  // most of the gap is kernels still on the baseline tier, which Chrome's code
  // cache did not hold. Warm-ups measured on that photo, visit 2's first job:
  // - 8 runs of a 256² tile in visit 1's boot: no change;
  // - the same once idle in each visit (45 ms): no change;
  // - 40 runs of a 384² tile once idle (0.36 s of a core): the first photo's
  //   tile runs took 0.37 s, but only for a photo chosen after that idle time.
  #wantsWarmUp() {
    if (this.warmUp === "auto") return ["network", "cache-storage"].includes(this.store.wasmSource(/^ort-wasm/));
    return this.warmUp === "on";
  }

  async #warmUp(handle) {
    const started = performance.now();
    const input = new this.ort.Tensor("float32", new Float32Array(3 * WARM_SIZE * WARM_SIZE), [1, 3, WARM_SIZE, WARM_SIZE]);
    try {
      await handle.session.run({ [handle.session.inputNames[0]]: input });
    } catch (e) {
      console.warn(`${handle.name}: warm-up run failed`, e); // the job's own run meets any real problem
    }
    this.timings.warmUp += performance.now() - started;
  }

  async #create(name, data, role, ep) {
    if (ep === "webgpu" && this.fault === "webgpu-create") throw coded("backend_unavailable", "simulated WebGPU failure at session creation");
    const options = { executionProviders: [ep], graphOptimizationLevel: "all", logSeverityLevel: 3 };
    if (ep === "webgpu" && (role === "model" || GPU_CHAINED.has(name))) options.preferredOutputLocation = "gpu-buffer";
    try {
      return await this.ort.InferenceSession.create(data, options);
    } catch (e) {
      throw classify(e, ep, `creating ${name}`);
    }
  }

  /** Run; feeds as parallel arrays; returns the outputs in `outputs` order. */
  async run(handle, names, tensors, outputs) {
    if (handle.role === "test") {
      const [, , height, width] = tensors[0].dims; // the model's output matches its input's size
      return [standInMask(this.ort, height, width)];
    }
    if (handle.ep === "webgpu" && this.fault === "webgpu-run") throw coded("backend_unavailable", "simulated WebGPU failure while running");
    // tile helpers that are starting get their start message on a turn of this
    // worker's event loop: one now, before seconds of inference without any
    if (handle.role === "model" && this.tilePool && this.tilePool.starting) await this.tilePool.turn();
    const feeds = {};
    for (let i = 0; i < names.length; i++) feeds[names[i]] = await this.#placed(handle, await settled(tensors[i]));
    let result;
    try {
      result = await handle.session.run(feeds, outputs);
    } catch (e) {
      if (handle.ep === "webgpu" && UNSUPPORTED_ON_GPU.test(e.message)) return this.#rerunOnCpu(handle, names, tensors, outputs, e);
      throw classify(e, handle.ep, `running ${handle.name}`);
    }
    return outputs.map((n) => result[n]);
  }

  // ORT web's WebGPU EP refuses some attributes at run time (e.g. Resize antialias):
  // run that one graph on WASM from now on, keep the rest on the GPU.
  async #rerunOnCpu(handle, names, tensors, outputs, error) {
    this.cpuFallbacks.push({ graph: handle.name, reason: error.message.replace(/^.*Status Message: /s, "").slice(0, 200) });
    handle.session = await this.#create(handle.name, handle.data, handle.role, "wasm");
    handle.ep = "wasm";
    handle.data = null;
    return this.run(handle, names, tensors, outputs);
  }

  async #placed(handle, tensor) {
    if (handle.ep === "webgpu" || tensor.location !== "gpu-buffer") return tensor;
    return new this.ort.Tensor(tensor.type, await tensor.getData(), tensor.dims);
  }

  constant(values, shape, dtype) {
    const data = dtype === "int64" ? BigInt64Array.from(values, (v) => BigInt(Math.round(Number(v)))) : Float32Array.from(values);
    return new this.ort.Tensor(dtype, data, Array.from(shape));
  }

  async toList(tensor) {
    return Array.from(await cpuData(tensor), Number);
  }

  shape(tensor) { return Array.from(tensor.dims); }

  /** A photo whose pixels are still being decoded: `pixels`, a Promise of its
   * uint8 [height, width, 4] tensor. Python sees its shape at once; a graph run
   * or the compose stage that reads it waits for the pixels (the time it waited:
   * lastCompose.photoWait). */
  laterImage(pixels, height, width) {
    return { dims: [height, width, 4], later: pixels };
  }

  newImage(height, width, channels) {
    return new this.ort.Tensor("uint8", new Uint8Array(height * width * channels), [height, width, channels]);
  }

  /** The compose stage's tile loop (its plan is made in Python: cutout.pipeline;
   * here a tile costs no Python <-> JS round trips). Each plan row is [y, x, h, w]
   * for a settled tile (the photo's pixels are copied, only their alpha for a
   * one-channel `out`) or [y, x, h, w, cy0, cx0, cy1, cx1, py, px, dy, dx] for a
   * mixed one: the tile graph runs on the photo's tile, the coefficient window
   * [cy0, cy1) x [cx0, cx1) and `pos`, plus the `extras` feeds. Mixed tiles go
   * to the tile helpers when they are up (tile-pool.js), else run here.
   * `progress(done)` is asked before the first tile and then at most every
   * PROGRESS_MS; false (a cancel) stops the loop. Returns whether every tile was done. */
  async composeTiles(handle, rgba, coef, out, plan, names, extras, progress) {
    const waitFrom = performance.now();
    rgba = await settled(rgba);
    const photoWait = performance.now() - waitFrom;
    const photo = await cpuData(rgba), coefs = await cpuData(coef);
    const photoDims = Array.from(rgba.dims), coefDims = Array.from(coef.dims), outDims = Array.from(out.dims);
    let done = 0, asked = -Infinity;
    const goOn = () => {
      const now = performance.now();
      if (now - asked < PROGRESS_MS) return true;
      asked = now;
      return progress(done);
    };
    if (!goOn()) return false;
    const mixed = [];
    for (const row of plan) {
      if (row.length > 4) { mixed.push(row); continue; }
      const [y, x, h, w] = row;
      if (outDims[2] === 4) copyBlock(photo, out.data, outDims, y, x, h, w);
      else {
        const px = cropBlock(photo, photoDims, [y, x, 3], [y + h, x + w, 4]);
        pasteImage(out.data, outDims, px.data, px.shape, y, x);
      }
      done += 1;
    }
    const cut = (i, scratch) => cutTile(photo, photoDims, coefs, coefDims, mixed[i], scratch);
    const paste = (i, data, dims) => { pasteImage(out.data, outDims, data, dims, mixed[i][0], mixed[i][1]); done += 1; };
    let left = mixed.map((_, i) => i);
    this.lastCompose = { helpers: 0, helped: 0, photoWait }; // for job:done
    if (this.tilePool && handle.ep === "wasm" && mixed.length >= HELPED_TILES) {
      const r = await this.tilePool.run({ graph: handle.url, count: mixed.length, cut, onTile: paste, goOn, everyMs: PROGRESS_MS,
        extras: names.map((name, k) => ({ name, type: extras[k].type, data: extras[k].data, dims: Array.from(extras[k].dims) })) });
      this.lastCompose = { ...this.lastCompose, helpers: r.helpers, helped: r.helped };
      if (r.cancelled) return false;
      left = r.left;
    }
    // without helpers every mixed tile, with them those a failing helper did not deliver
    const scratch = tileScratch();
    for (const i of left) {
      if (!goOn()) return false;
      const [result] = await this.run(handle, ["rgba", "coef", "pos", ...names], tileTensors(this.ort.Tensor, cut(i, scratch), extras), ["out"]);
      paste(i, await cpuData(result), Array.from(result.dims));
      this.release(result);
    }
    return true;
  }

  /** Tile helpers for the compose stage (WASM with more than one thread only:
   * they need a cross-origin isolated page, and a core each). `ortModule`: a
   * Promise of onnxruntime's compiled module, for them (ort-module.js). */
  createTilePool(ortModule) {
    if (this.tilePool || this.ep !== "wasm" || this.backend.threads < 2 || !self.crossOriginIsolated) return;
    this.tilePool = new TilePool({ store: this.store, size: this.backend.threads, ortModule, fault: this.fault });
  }

  release(tensor) {
    if (tensor && tensor.location === "gpu-buffer") tensor.dispose();
  }

  /** Drop every session (used before retrying a job on another backend). */
  async releaseSessions() {
    const pending = [...this.sessions.values()];
    this.sessions.clear();
    this.opened.clear();
    for (const p of pending) {
      const h = await p.catch(() => null);
      if (h && h.session) await h.session.release().catch(() => {});
    }
  }
}

/** A tensor, or the one a laterImage stands for once its pixels are decoded. */
async function settled(tensor) {
  if (!tensor || !tensor.later) return tensor;
  const t = await tensor.later;
  if (t.dims[0] !== tensor.dims[0] || t.dims[1] !== tensor.dims[1]) {
    throw coded("decode_failed", `the photo decoded at ${t.dims[1]}x${t.dims[0]}, not the ${tensor.dims[1]}x${tensor.dims[0]} its header gave`);
  }
  return t;
}

async function cpuData(tensor) {
  return tensor.location === "cpu" ? tensor.data : tensor.getData();
}

function classify(e, ep, what) {
  const msg = `${what} on ${ep}: ${e && e.message ? e.message : e}`;
  if (e && e.code) return e;
  const inner = codeIn(msg); // e.g. an asset check that failed inside onnxruntime's loader
  if (inner) return coded(inner, msg);
  if (OOM.test(msg)) return coded("out_of_memory", msg);
  if (ep === "webgpu") return coded("backend_unavailable", msg);
  if (/protobuf|parse|invalid model|Load model/i.test(msg)) return coded("model_corrupt", msg);
  return coded("internal", msg);
}
