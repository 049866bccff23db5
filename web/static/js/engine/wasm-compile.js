// WebAssembly (onnxruntime's, Pyodide's) compiled from the network's own
// response, checked against the asset manifest on the side.
//
// Why: Chrome keeps the machine code it compiles from a WebAssembly response
// that came over HTTP (its code cache, keyed by the URL, optimised functions
// included) and reuses it on the next visits. A Response made from Cache
// Storage bytes has no URL and gets none of it. Measured on warm visits, each
// in a fresh renderer process, on-disk profile, 5 visits each: the engine
// ready 2.0 s after page load against 3.6 s, its sessions 1.1 s against 1.9 s,
// the model's warm-up run 0.15 s against 0.41 s (the bench's figures:
// BENCHMARKS.md). The runtimes' folders carry a content hash
// (buildlib/bundle.py), so the server marks them immutable and the HTTP cache
// answers without asking the server again: a copy revalidated on each visit
// got a new code cache entry each time and no gain.
//
// Every byte is still verified: the module compiles while a copy of the
// response is hashed, and it is handed out only if size and sha256 match.
// Cache Storage keeps a verified copy for offline use (the service worker
// answers with it when the network is away).
//
// Both loaders call WebAssembly.instantiateStreaming(fetch(url)): AssetStore's
// fetch gives them the network's response for a .wasm asset (networkWasm) and
// the wrapped instantiateStreaming / compileStreaming below verify it.

const pending = new WeakMap(); // network responses not verified yet -> { store, url }
let installed = false;

/** Wrap WebAssembly's streaming compilers, once per worker, before any loader
 * captures them (ort-module.js wraps them again, on top); and refuse the
 * loaders' synchronous fallback for the assets of `store`. */
export function installVerifiedStreaming(store) {
  if (installed) return;
  installed = true;
  refuseSyncReads(store);
  const compileStreaming = WebAssembly.compileStreaming.bind(WebAssembly);
  const instantiateStreaming = WebAssembly.instantiateStreaming.bind(WebAssembly);
  WebAssembly.compileStreaming = async (source) => {
    const response = await source;
    return pending.has(response) ? compileVerified(response, compileStreaming) : compileStreaming(response);
  };
  WebAssembly.instantiateStreaming = async (source, imports) => {
    const response = await source;
    if (!pending.has(response)) return instantiateStreaming(response, imports);
    const module = await compileVerified(response, compileStreaming);
    return { module, instance: await WebAssembly.instantiate(module, imports) };
  };
}

/** An HTTP response for the asset `url` (a .wasm file), to be verified as it
 * compiles: the HTTP cache's copy (if it has none, the service worker answers
 * with Cache Storage's: a private window keeps its HTTP cache in memory, too
 * small for these files), else, with nothing in Cache Storage either (a first
 * visit), a download. Null when Cache Storage should serve the bytes (no
 * service worker in charge yet): no byte is downloaded twice. */
export async function networkWasm(store, url, nativeFetch) {
  if (store.refused.has(url)) { // this copy failed its check: download it again (and replace the HTTP cache's)
    const fresh = await httpResponse(nativeFetch, url, { cache: "reload" });
    return fresh && expect(store, url, fresh, "network");
  }
  let response = await httpResponse(nativeFetch, url, { cache: "only-if-cached", mode: "same-origin" });
  // the HTTP cache's copy has the server's headers; one the service worker took from
  // Cache Storage (the HTTP cache had none) has only those AssetStore stored
  let source = response && response.headers.has("Cache-Control") ? "http-cache" : "service-worker";
  if (!response && !(await store.isCached(url))) {
    response = await httpResponse(nativeFetch, url, {});
    source = "network";
  }
  return response && expect(store, url, response, source);
}

/** `response` for `url`, to be verified however it is read. */
function expect(store, url, response, source) {
  store.wasmFrom(url, source);
  pending.set(response, { store, url });
  // a loader that reads the bytes instead (Emscripten's fallback when streaming fails) gets them verified too
  const read = response.arrayBuffer.bind(response);
  response.arrayBuffer = async () => {
    pending.delete(response);
    const data = await read();
    await store.check(url, new Uint8Array(data));
    store.keep(url, new Uint8Array(data)).catch((e) => console.warn("cache put failed", url, e));
    return data;
  };
  return response;
}

async function httpResponse(nativeFetch, url, init) {
  try {
    const response = await nativeFetch(url, { ...init, credentials: "same-origin" });
    return response.ok && response.headers.get("Content-Type") === "application/wasm" ? response : null;
  } catch {
    return null; // not in the HTTP cache (only-if-cached), or offline
  }
}

// When its fetch fails (a refused download does), an Emscripten loader
// (onnxruntime's, Pyodide's) reads the file once more with a synchronous
// XMLHttpRequest: bytes no check would see. Our loaders read assets only
// with fetch, so such a read of an asset is refused and the load fails.
function refuseSyncReads(store) {
  if (!self.XMLHttpRequest) return;
  const open = XMLHttpRequest.prototype.open;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    if (store.has(String(url))) throw new Error(`[model_corrupt] ${url}: read without its check against the asset manifest`);
    return open.call(this, method, url, ...rest);
  };
}

async function compileVerified(response, compileStreaming) {
  const { store, url } = pending.get(response);
  pending.delete(response);
  const copy = Response.prototype.arrayBuffer.call(response.clone());
  const [compiled, bytes] = await Promise.allSettled([compileStreaming(response), copy]);
  if (bytes.status === "rejected") throw bytes.reason;
  const data = new Uint8Array(bytes.value);
  await store.check(url, data); // a mismatch throws model_corrupt before anyone uses the module
  if (compiled.status === "rejected") throw compiled.reason;
  store.keep(url, data).catch((e) => console.warn("cache put failed", url, e));
  return compiled.value;
}
