// Boots the runtime inside the worker: asset manifest -> verified fetch ->
// onnxruntime-web -> engine manifest -> Pyodide + the engine package (msgspec
// and the wire types once the engine is ready).

import { AssetStore } from "./assets.js";
import { ortBundle } from "./backends.js";

const SITE_PACKAGES = "/home/pyodide/engine";
const ENGINE_MODULE = "cutout.browser_jobs";

async function fetchJson(url) {
  const resp = await fetch(url, { cache: "no-cache", credentials: "same-origin" });
  if (!resp.ok) throw new Error(`[model_missing] ${url}: HTTP ${resp.status}`);
  return resp.json();
}

/** Load the asset manifest and route this worker's fetches through the verified cache. */
export async function openAssets(root) {
  const url = new URL("asset-manifest.json", root).href;
  const store = new AssetStore(await fetchJson(url), url);
  self.fetch = store.fetchFunction(self.fetch.bind(self));
  return store;
}

export async function loadOrt(store, backend) {
  const url = ortBundle(store, backend);
  if (!url) throw new Error("[model_missing] onnxruntime-web is not in the asset manifest");
  const ort = await import(url);
  ort.env.wasm.wasmPaths = new URL("./", url).href;
  ort.env.wasm.numThreads = backend.threads;
  ort.env.logLevel = "error";
  return ort;
}

/** The engine's manifest (models/manifest.json): its text, assets and folder URL. */
export async function loadEngineManifest(store) {
  const url = store.find(/\/models\/manifest\.json$/);
  if (!url) throw new Error("[model_missing] the engine manifest is not in the asset manifest");
  const text = new TextDecoder().decode(await store.bytes(url));
  return { text, assets: JSON.parse(text).assets, base: new URL("./", url).href };
}

export async function loadPython(store, engineManifest, allowStandIn) {
  const pyodideUrl = store.find(/\/vendor\/pyodide\.[0-9a-f]+\/pyodide\.mjs$/);
  const engineZip = store.find(/\/py\/engine\.[0-9a-f]+\.zip$/);
  if (!pyodideUrl || !engineZip) throw new Error("[model_missing] the engine is not in the asset manifest");
  const t0 = performance.now();
  const { py, snapshot } = await bootPyodide(store, pyodideUrl, engineZip);
  const t1 = performance.now();
  const jobs = py.pyimport(ENGINE_MODULE); // already imported: from the snapshot, or just before taking it
  jobs.configure(engineManifest.text, allowStandIn);
  return { py, jobs, timings: { pyodide: Math.round(t1 - t0), engine: Math.round(performance.now() - t1), snapshot } };
}

/** msgspec, for the wire types shared with the server (cutout_wire). The cutout
 * engine does not use them, and loading the wheel (~0.1-0.3 s on the worker's
 * one thread) would delay a photo: the worker calls this once the engine has
 * been idle a while (worker.js idleWork). Returns the milliseconds it took. */
export async function loadWireTypes(store, py) {
  const wheel = store.find(/\/vendor\/wheels\/msgspec-[^/]+\.whl$/);
  if (!wheel) throw new Error("[model_missing] the msgspec wheel is not in the asset manifest");
  const started = performance.now();
  await py.loadPackage(wheel, { messageCallback: () => {} });
  py.pyimport("cutout_wire");
  return Math.round(performance.now() - started);
}

// Pyodide's start-up (interpreter and stdlib initialisation) is most of the
// engine's boot and shares the worker's thread with onnxruntime's. A memory
// snapshot of the interpreter with the engine package imported, taken on the
// first visit and kept in the asset cache, restores in a fraction of that time
// on the next visits (bench: warm "runtime boot"); importing the engine after a
// restore took ~0.1 s more (its modules compiled from source). Taken before
// anything else is loaded: the snapshot holds no JS references and no dynamic
// libraries (msgspec's). The files of the package live outside the snapshot
// (Emscripten's file system is JS state): they are unpacked on every boot, for
// what imports them later (cutout_wire).
async function bootPyodide(store, pyodideUrl, engineZip) {
  const { loadPyodide } = await import(pyodideUrl);
  const base = new URL("./", pyodideUrl).href;
  const options = { indexURL: base, packageCacheDir: "/tmp", checkAPIVersion: true };
  const sources = [pyodideUrl, ...["pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip"].map((f) => base + f), engineZip];
  const key = store.derivedKey("pyodide-snapshot", sources.filter((u) => store.has(u)));
  const [saved, zip] = await Promise.all([store.derivedBytes(key).catch(() => null), store.bytes(engineZip)]);
  if (saved) {
    try {
      const py = await loadPyodide({ ...options, _loadSnapshot: saved });
      mountEngine(py, zip);
      return { py, snapshot: "restored" };
    } catch (e) { // e.g. a snapshot of another Pyodide build: boot normally and replace it
      console.warn("Pyodide snapshot not usable; starting afresh", e);
      await store.deleteDerived(key).catch(() => {});
    }
  }
  const py = await loadPyodide({ ...options, _makeSnapshot: true });
  mountEngine(py, zip);
  py.pyimport(ENGINE_MODULE).destroy(); // a proxy held by JS: not kept in the snapshot
  try {
    const snapshot = py.makeMemorySnapshot();
    store.putDerived(key, snapshot).catch((e) => console.warn("Pyodide snapshot not stored", e));
    return { py, snapshot: "made" };
  } catch (e) {
    console.warn("Pyodide snapshot not made", e);
    return { py, snapshot: "none" };
  }
}

/** The engine package's files on Pyodide's file system, and its folder on sys.path (once). */
function mountEngine(py, zip) {
  py.unpackArchive(zip, "zip", { extractDir: SITE_PACKAGES });
  const path = py.pyimport("sys").path;
  if (!path.count(SITE_PACKAGES)) path.insert(0, SITE_PACKAGES);
  path.destroy();
}
