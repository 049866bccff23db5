// A tile helper: a worker with its own single-threaded onnxruntime-web that
// runs compose tiles for the engine worker (tile-pool.js says why). It sees
// nothing but tiles: their pixels and coefficients arrive in each message, the
// result goes back in the reply, with the input buffers for the engine to reuse.

import { AssetStore } from "./assets.js";
import { useOrtModule } from "./ort-module.js";
import { loadOrt } from "./runtime.js";
import { tileTensors } from "./tiles.js";

let store = null;
let ort = null;
let fault = ""; // "tile-helper": fail on the second tile (tests)
let tilesRun = 0;
const sessions = new Map(); // graph URL -> Promise of its session

function session(url) {
  if (!sessions.has(url)) {
    const pending = store.bytes(url).then((bytes) => ort.InferenceSession.create(bytes,
      { executionProviders: ["wasm"], graphOptimizationLevel: "all", logSeverityLevel: 3 }));
    pending.catch(() => sessions.delete(url));
    sessions.set(url, pending);
  }
  return sessions.get(url);
}

// onnxruntime and the first graph's session are made at once, so the first
// tiles do not wait for them
async function init({ manifest, base, module, warm, fault: simulated }) {
  fault = simulated || "";
  try {
    store = new AssetStore(manifest, base);
    self.fetch = store.fetchFunction(self.fetch.bind(self));
    if (module) useOrtModule(module);
    ort = await loadOrt(store, { name: "wasm", threads: 1 });
    await Promise.all(warm.map(session));
    self.postMessage({ type: "ready" });
  } catch (e) {
    self.postMessage({ type: "failed", detail: String((e && e.message) || e) });
  }
}

async function runTile({ job, i, graph, rgba, rgbaDims, coef, coefDims, pos, names, extras }) {
  const back = [rgba.buffer, coef.buffer];
  try {
    if (fault === "tile-helper" && tilesRun > 0) throw new Error("simulated tile helper failure");
    tilesRun += 1;
    const s = await session(graph);
    const tile = { rgba: { data: rgba, shape: rgbaDims }, coef: { data: coef, shape: coefDims }, pos };
    const feeds = {};
    const tensors = tileTensors(ort.Tensor, tile, extras.map((e) => new ort.Tensor(e.type, e.data, e.dims)));
    ["rgba", "coef", "pos", ...names].forEach((n, k) => { feeds[n] = tensors[k]; });
    const out = (await s.run(feeds, ["out"])).out;
    // onnxruntime copies a CPU output out of its (shared) memory into an array of
    // its own: that array is moved, not copied again
    const owned = out.data.buffer instanceof ArrayBuffer && out.data.byteLength === out.data.buffer.byteLength;
    const data = owned ? out.data : out.data.slice();
    self.postMessage({ type: "tile", job, i, data, dims: Array.from(out.dims), rgba, coef }, [data.buffer, ...back]);
  } catch (e) {
    self.postMessage({ type: "error", job, i, detail: String((e && e.message) || e), rgba, coef }, back);
  }
}

self.onmessage = ({ data: msg }) => {
  if (msg.type === "init") init(msg);
  else if (msg.type === "tile") runTile(msg);
};
