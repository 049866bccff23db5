// A tile helper: a worker with its own single-threaded onnxruntime-web that
// runs compose tiles for the engine worker (tile-helper.js explains why). It
// reads the photo and the coefficients from shared memory, takes tiles from a
// shared counter and posts each result back; it sees nothing but tiles.

import { AssetStore } from "./assets.js";
import { useOrtModule } from "./ort-module.js";
import { loadOrt } from "./runtime.js";
import { READY, FAILED } from "./tile-helper.js";
import { tileFeeds, tileScratch } from "./tiles.js";

let store = null;
let ort = null;
let fault = ""; // "tile-helper": fail after the first tile of each job (tests)
const sessions = new Map(); // graph URL -> Promise of its session

function post(type, fields = {}, transfer = []) {
  self.postMessage({ type, ...fields }, transfer);
}

// onnxruntime compiles its WASM module at the first session: done here, on
// this worker's core, for the graphs in `warm`, so the first compose does not wait
async function init({ manifest, base, module, warm, states, slot, fault: simulated }) {
  fault = simulated || "";
  try {
    store = new AssetStore(manifest, base);
    self.fetch = store.fetchFunction(self.fetch.bind(self));
    if (module) useOrtModule(module);
    ort = await loadOrt(store, { name: "wasm", threads: 1 });
    await Promise.all(warm.map(session));
    Atomics.store(states, slot, READY);
  } catch (e) {
    Atomics.store(states, slot, FAILED);
    post("failed", { detail: String((e && e.message) || e) });
  }
}

function session(url) {
  if (!sessions.has(url)) {
    const pending = store.bytes(url).then((bytes) => ort.InferenceSession.create(bytes,
      { executionProviders: ["wasm"], graphOptimizationLevel: "all", logSeverityLevel: 3 }));
    pending.catch(() => sessions.delete(url));
    sessions.set(url, pending);
  }
  return sessions.get(url);
}

/** Take tiles until the counter passes the last one (or the engine worker moves
 * it there to cancel), then say done. */
async function runJob({ job, graph, photo, photoDims, coefs, coefDims, rows, counter, names, extras }) {
  try {
    const s = await session(graph);
    const extraTensors = extras.map((e) => new ort.Tensor(e.type, e.data, e.dims));
    const scratch = tileScratch();
    for (let i = Atomics.add(counter, 0, 1), n = 0; i < rows.length; i = Atomics.add(counter, 0, 1), n++) {
      if (fault === "tile-helper" && n > 0) throw new Error(`simulated failure, tile ${i} taken and not run`);
      const tensors = [...tileFeeds(ort.Tensor, photo, photoDims, coefs, coefDims, rows[i], scratch), ...extraTensors];
      const feeds = Object.fromEntries(["rgba", "coef", "pos", ...names].map((n, k) => [n, tensors[k]]));
      const out = (await s.run(feeds, ["out"])).out;
      // moved, not copied, when the output owns its buffer (never a view of the wasm memory, which is shared)
      const owned = out.data.buffer instanceof ArrayBuffer && out.data.byteLength === out.data.buffer.byteLength;
      const data = owned ? out.data : out.data.slice();
      post("tile", { job, i, data, dims: Array.from(out.dims) }, [data.buffer]);
    }
    post("done", { job });
  } catch (e) {
    post("done", { job, error: String((e && e.message) || e) });
  }
}

self.onmessage = ({ data: msg }) => {
  if (msg.type === "init") init(msg);
  else if (msg.type === "job") runJob(msg);
};
