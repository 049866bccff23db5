// The engine worker's side of the tile helpers (tile-worker.js): starts them
// and hands them one compose stage's mixed tiles at a time. They take tiles
// from one counter in shared memory (none waits to be told which); their
// results come back as messages and are pasted here.
//
// Why helpers and not the engine worker's own onnxruntime: its WASM thread
// pool (2 threads) runs a tile graph no faster than one thread does, and a
// tile run there beside a helper was 3x slower still (its second thread
// shares a core with the helper). Two single-threaded helpers use both cores.

const WORKER_URL = new URL("./tile-worker.js", import.meta.url);
const STOP = 1 << 30; // stored in the counter to cancel: every later claim is past the last tile
export const READY = 1, FAILED = 2; // a helper's state (0: starting), written by the helper itself

/** Resolves after `ms`, or at once when `promise` settles; true if it settled. */
function settledWithin(promise, ms) {
  let timer;
  return Promise.race([promise.then(() => true), new Promise((r) => { timer = setTimeout(() => r(false), ms); })])
    .finally(() => clearTimeout(timer));
}

export class TilePool {
  /** Create `size` helpers; they load their code now and start onnxruntime at
   * start(), from the compiled module `ortModule` resolves to (null: they compile it).
   * `fault` "tile-helper": each fails after its first tile (tests). */
  constructor(store, size, ortModule = Promise.resolve(null), fault = "") {
    // Created at boot, not when a photo needs them: a worker started from this
    // one loads its script only when this worker's event loop turns, and a job
    // gives it no turn until the compose stage (its awaits are microtasks).
    // For the same reason each helper's state is in shared memory, not in a
    // "ready" message that the job would not see.
    this.store = store;
    this.ortModule = ortModule;
    this.fault = fault;
    this.states = new Int32Array(new SharedArrayBuffer(4 * size));
    this.started = false;
    this.jobs = 0;
    this.current = null; // the shared job in flight
    this.coefs = null; // shared copy of the coefficient map, reused while large enough
    this.workers = Array.from({ length: size }, (_, k) => {
      const worker = new Worker(WORKER_URL, { type: "module", name: `cutout-tiles-${k}` });
      worker.onmessage = ({ data }) => this.#message(k, data);
      worker.onerror = (e) => this.#fail(k, `stopped: ${e.message || "error"}`);
      return worker;
    });
  }

  /** Start each helper's onnxruntime, warmed up on `warm` (graph URLs); once only. */
  start(warm) {
    if (this.started) return;
    this.started = true;
    const { manifest, base } = this.store;
    this.ortModule.catch(() => null).then((module) => this.workers.forEach((w, k) =>
      w.postMessage({ type: "init", manifest, base, module, warm, states: this.states, slot: k, fault: this.fault })));
  }

  #message(k, msg) {
    const job = this.current;
    if (msg.type === "failed") this.#fail(k, msg.detail);
    else if (job && msg.job === job.id) {
      if (msg.type === "tile") job.onTile(msg.i, msg.data, msg.dims);
      else if (msg.type === "done") this.#finished(job, k, msg.error || "");
    }
  }

  #fail(k, why) {
    console.warn(`tile helper ${k}:`, why);
    Atomics.store(this.states, k, FAILED);
    if (this.current && this.current.helpers.has(k)) this.#finished(this.current, k, why);
  }

  #finished(job, k, error) {
    if (error) console.warn(`tile helper ${k}:`, error);
    job.helpers.delete(k);
    if (job.helpers.size === 0) {
      this.current = null;
      job.resolve();
    }
  }

  /** Hand the mixed tiles `rows` of one compose stage to the ready helpers.
   * `photo` must live in a SharedArrayBuffer; `coefs` is copied into one.
   * `onTile(i, data, dims)` gets each result. Returns { helpers: how many, wait(ms): true once
   * every helper is done, false after ms; stop(): cancel, resolves when they
   * have stopped } or null when no helper can take them. Tiles a helper took
   * and did not deliver (it failed) are the caller's to run. */
  share({ graph, photo, photoDims, coefs, coefDims, rows, names, extras, onTile }) {
    const ready = this.workers.map((_, k) => k).filter((k) => Atomics.load(this.states, k) === READY);
    if (ready.length === 0 || this.current || !(photo.buffer instanceof SharedArrayBuffer)) return null;
    if (!this.coefs || this.coefs.length < coefs.length) this.coefs = new Float32Array(new SharedArrayBuffer(coefs.byteLength));
    const shared = this.coefs.subarray(0, coefs.length);
    shared.set(coefs);
    const counter = new Int32Array(new SharedArrayBuffer(4));
    let resolve;
    const done = new Promise((r) => { resolve = r; });
    const job = { id: ++this.jobs, onTile, resolve, helpers: new Set(ready) };
    this.current = job;
    const msg = { type: "job", job: job.id, graph, photo, photoDims, coefs: shared, coefDims, rows, counter, names,
      extras: extras.map((t) => ({ type: t.type, data: t.data.slice(), dims: Array.from(t.dims) })) };
    for (const k of ready) this.workers[k].postMessage(msg);
    return {
      helpers: ready.length,
      wait: (ms) => settledWithin(done, ms),
      stop: () => { Atomics.store(counter, 0, STOP); return done; }, // each finishes the tile it is on
    };
  }

  /** Let go of the shared coefficient copy (the engine worker's idle timer calls this). */
  trim() {
    if (!this.current) this.coefs = null;
  }
}
