// Boots the runtime inside the worker: asset manifest -> verified fetch ->
// onnxruntime-web -> engine manifest -> Pyodide + msgspec + the engine package.

import { AssetStore } from "./assets.js";
import { ortBundle } from "./backends.js";

const SITE_PACKAGES = "/home/pyodide/engine";

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
  const pyodideUrl = store.find(/\/vendor\/pyodide\/pyodide\.mjs$/);
  const wheel = store.find(/\/vendor\/wheels\/msgspec-[^/]+\.whl$/);
  const engineZip = store.find(/\/py\/engine\.[0-9a-f]+\.zip$/);
  if (!pyodideUrl || !engineZip) throw new Error("[model_missing] the engine is not in the asset manifest");
  const t0 = performance.now();
  const { loadPyodide } = await import(pyodideUrl);
  const py = await loadPyodide({ indexURL: new URL("./", pyodideUrl).href, packageCacheDir: "/tmp", checkAPIVersion: true });
  const t1 = performance.now();
  if (wheel) await py.loadPackage(wheel, { messageCallback: () => {} });
  py.unpackArchive(await store.bytes(engineZip), "zip", { extractDir: SITE_PACKAGES });
  py.pyimport("sys").path.insert(0, SITE_PACKAGES);
  const jobs = py.pyimport("cutout.browser_jobs");
  jobs.configure(engineManifest.text, allowStandIn);
  return { py, jobs, timings: { pyodide: Math.round(t1 - t0), engine: Math.round(performance.now() - t1) } };
}
