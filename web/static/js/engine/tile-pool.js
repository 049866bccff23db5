// Tile helpers: workers, each with its own single-threaded onnxruntime-web,
// that run the compose stage's mixed tiles for the engine worker
// (tile-worker.js). The engine worker cuts each tile's inputs, posts them to a
// helper and pastes the result that comes back; a helper keeps up to DEPTH
// tiles in hand so it never waits for the next.
//
// Why: the engine's onnxruntime runs every graph on its WASM thread pool
// (2 threads here: ISNet needs them), and there a tile graph ran 1.7x slower
// than on one thread (24 MP photo: 91 against 55 ns a pixel): its small,
// memory-bound ops pay for the pool's hand-offs. Two single-threaded helpers
// also run two tiles at once (figures: README, BENCHMARKS.md). That gap did
// not hold on a later 2-core host: with a second, single-threaded onnxruntime
// in the engine worker itself, alternating with the pool job by job in one
// page (2 pages of 8 jobs), a 24 MP photo's 168 tiles took 220-430 ms on it
// (the job that started it left out) against 220-400 ms on the pool, so the
// engine keeps running its own tiles on the pool.
//
// Helpers start when a large photo comes (the engine worker decides) and stop
// after a while without one. A helper that fails is stopped and its tiles go
// back to the queue; tiles no helper could run are the caller's to run.

const WORKER_URL = new URL("./tile-worker.js", import.meta.url);
const DEPTH = 2; // tiles in a helper's hands at once
const TILE_TIMEOUT_MS = 10_000; // a tile takes ~5-50 ms: a helper this late is stuck, and stopped
const IDLE_STOP_MS = 60_000; // helpers unused this long are stopped (each holds ~50-100 MB)
// a run waits this long for helpers still starting (~0.2 s once they have their
// start message) rather than run its tiles here beside their start-up
const START_WAIT_MS = 1000;
const MAX_FAILURES = 4; // helpers that failed this often in one engine are not started again

export class TilePool {
  /** `size` helpers at most; `ortModule`: a Promise of onnxruntime's compiled
   * module for them (ort-module.js; null: each compiles its own). `fault`
   * "tile-helper": each helper fails on its second tile (tests). */
  constructor({ store, size, ortModule = Promise.resolve(null), fault = "" }) {
    Object.assign(this, { store, size, ortModule, fault });
    this.helpers = []; // { worker, ready, failed, busy: Map(i -> sent at) }
    this.jobs = 0;
    this.job = null; // the run in progress
    this.idleTimer = 0;
    this.scratch = []; // input buffers the helpers gave back, for the next tiles
    this.failures = 0;
  }

  /** Start the helpers (those not running), warmed up on the graphs `warm` (URLs). */
  start(warm) {
    this.#keepAlive();
    while (this.helpers.length < this.size && this.failures < MAX_FAILURES) this.helpers.push(this.#spawn(warm));
  }

  /** Helpers that can take tiles now. */
  get ready() {
    return this.helpers.filter((h) => h.ready && !h.failed).length;
  }

  /** Whether a helper has been started and is not ready yet. */
  get starting() {
    return this.helpers.some((h) => !h.ready && !h.failed);
  }

  /** One turn of this worker's event loop: the helpers' messages, both ways, wait for one. */
  turn() {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  #spawn(warm) {
    const worker = new Worker(WORKER_URL, { type: "module", name: `cutout-tiles-${this.helpers.length}` });
    const helper = { worker, ready: false, failed: false, busy: new Map() };
    worker.onmessage = ({ data }) => this.#message(helper, data);
    worker.onerror = (e) => this.#fail(helper, `stopped: ${e.message || "error"}`);
    const { manifest, base } = this.store;
    this.ortModule.catch(() => null).then((module) =>
      worker.postMessage({ type: "init", manifest, base, module, warm, fault: this.fault }));
    return helper;
  }

  #message(helper, msg) {
    if (msg.type === "ready") {
      helper.ready = true;
      this.#feed(helper); // joins a run in progress
    } else if (msg.type === "failed") this.#fail(helper, msg.detail);
    else if (msg.type === "tile" || msg.type === "error") {
      helper.busy.delete(msg.i);
      this.scratch.push({ px: new Uint8Array(msg.rgba.buffer), cf: new Float32Array(msg.coef.buffer) });
      const job = this.job;
      if (!job || msg.job !== job.id || job.stopped) return; // a cancelled run's tile
      if (msg.type === "tile") job.delivered(helper, msg.i, msg.data, msg.dims);
      else {
        job.queue.push(msg.i);
        this.#fail(helper, msg.detail);
      }
      this.#feed(helper);
      job.wake();
    }
  }

  #fail(helper, why) {
    if (helper.failed) return;
    console.warn("tile helper stopped:", why);
    helper.failed = true;
    this.failures += 1;
    helper.worker.terminate();
    this.helpers = this.helpers.filter((h) => h !== helper);
    if (this.job) {
      this.job.queue.push(...helper.busy.keys());
      this.job.wake();
    }
    helper.busy.clear();
  }

  #feed(helper) {
    const job = this.job;
    while (job && !job.stopped && helper.ready && !helper.failed && helper.busy.size < DEPTH && job.queue.length > 0) {
      const i = job.queue.shift();
      const scratch = this.scratch.pop() || { px: new Uint8Array(0), cf: new Float32Array(0) };
      const tile = job.cut(i, scratch);
      helper.busy.set(i, performance.now());
      const msg = { type: "tile", job: job.id, i, graph: job.graph, rgba: tile.rgba.data, rgbaDims: tile.rgba.shape,
        coef: tile.coef.data, coefDims: tile.coef.shape, pos: tile.pos, names: job.names, extras: job.extras };
      helper.worker.postMessage(msg, [tile.rgba.data.buffer, tile.coef.data.buffer]);
    }
  }

  /** Run the tiles 0..count-1 on the ready helpers. `cut(i, scratch)` makes tile
   * i's inputs (tiles.js cutTile: views of scratch's arrays, which are moved to
   * the helper), `onTile(i, data, dims)` takes its result, and `goOn()`, asked
   * every `everyMs` while tiles are out, says false to cancel. `extras`:
   * [{name, type, data, dims}] fed to every tile. Returns { helpers: how many
   * took part, helped: tiles they ran, left: indices still to run (every one if
   * none was ready; those of failed helpers), cancelled }. */
  async run({ graph, count, cut, onTile, goOn, extras = [], everyMs = 50 }) {
    this.#keepAlive();
    // a helper's "ready" may wait in this worker's message queue: a job's
    // awaits (onnxruntime, Python) are microtasks and give it no turn
    const since = performance.now();
    if (this.starting) await this.turn();
    while (this.starting && this.ready === 0 && performance.now() - since < START_WAIT_MS) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const all = Array.from({ length: count }, (_, i) => i);
    if (this.ready === 0 || this.job) return { helpers: 0, helped: 0, left: all, cancelled: false };
    let helped = 0, wake = () => {};
    const took = new Set(); // helpers that delivered tiles
    const job = this.job = {
      id: ++this.jobs, graph, cut, queue: all, stopped: false,
      names: extras.map((e) => e.name), extras: extras.map(({ type, data, dims }) => ({ type, data, dims })),
      delivered: (helper, i, data, dims) => { helped += 1; took.add(helper); onTile(i, data, dims); },
      wake: () => wake(),
    };
    const outstanding = () => this.helpers.reduce((n, h) => n + h.busy.size, 0);
    try {
      for (const h of this.helpers) this.#feed(h);
      while (outstanding() > 0) {
        let timer = 0;
        await new Promise((resolve) => { wake = resolve; timer = setTimeout(resolve, everyMs); });
        clearTimeout(timer);
        this.#stopStuck();
        if (!job.stopped && !goOn()) job.stopped = true; // the tiles out finish; their results are dropped
        for (const h of this.helpers) this.#feed(h); // a failed helper's tiles go to the others
      }
    } finally {
      this.job = null;
      this.#keepAlive();
    }
    return { helpers: took.size, helped, left: job.stopped ? [] : job.queue, cancelled: job.stopped };
  }

  #stopStuck() {
    const now = performance.now();
    for (const h of [...this.helpers]) {
      for (const sent of h.busy.values()) {
        if (now - sent > TILE_TIMEOUT_MS) { this.#fail(h, `no answer for ${TILE_TIMEOUT_MS} ms`); break; }
      }
    }
  }

  #keepAlive() {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), IDLE_STOP_MS);
  }

  /** Stop every helper (they start again with the next start()). */
  stop() {
    clearTimeout(this.idleTimer);
    if (this.job) return; // never in the middle of a run (its end re-arms the timer)
    for (const h of this.helpers) h.worker.terminate();
    this.helpers = [];
    this.scratch = [];
  }
}
