// Every byte of runtime and model comes through here: served from Cache Storage
// when a verified copy is there, else downloaded from our origin, checked against
// the build's asset manifest (size and sha256) and cached. Entries not in the
// current manifest are deleted, so a newer build replaces the old one's files.
// The runtimes' WebAssembly is the exception in how it arrives, not in how it is
// checked: it compiles from an HTTP response, hashed on the side (wasm-compile.js).
// "Derived" entries are made here from assets (Pyodide's memory snapshot): keyed
// by those assets' sha256, stored with their own sha256, kept while the key holds.

import { installVerifiedStreaming, networkWasm } from "./wasm-compile.js";

const CACHE_NAME = "cutout-assets-v1";
const DERIVED = "/__derived/"; // cache keys of derived entries (never fetched from the network)
const MIME = { ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript",
  ".json": "application/json", ".zip": "application/zip", ".whl": "application/zip" };

// captured before the worker routes self.fetch through an AssetStore
const networkFetch = self.fetch.bind(self);

export class AssetError extends Error {
  constructor(code, detail) { super(`[${code}] ${detail}`); this.code = code; this.detail = detail; }
}

export async function sha256Hex(bytes) {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** `url` made absolute against the worker's location (the manifest's keys are absolute). */
function absolute(url) {
  return new URL(url, self.location.href).href;
}

function mimeOf(url) {
  const m = /\.[a-z0-9]+$/.exec(new URL(url).pathname);
  return (m && MIME[m[0]]) || "application/octet-stream";
}

export class AssetStore {
  /** @param manifest parsed asset-manifest.json; @param base its absolute URL */
  constructor(manifest, base) {
    this.manifest = manifest; // for a worker that opens its own store (tile-pool.js)
    this.base = base;
    this.buildId = manifest.build_id || "";
    this.byUrl = new Map();
    for (const a of manifest.assets) this.byUrl.set(new URL(a.url, base).href, a);
    this.stats = { networkBytes: 0, cacheBytes: 0, streamedBytes: 0, fetchMs: 0, verifyMs: 0, wasm: {} };
    this.derived = new Set(); // keys of derived entries this build can use
    this.refused = new Set(); // URLs whose HTTP response failed its check (wasm-compile.js)
    this.cache = self.caches ? caches.open(CACHE_NAME).catch(() => null) : Promise.resolve(null);
  }

  /** Absolute URL of the first asset whose URL path matches `pattern`. */
  find(pattern) {
    for (const url of this.byUrl.keys()) if (pattern.test(new URL(url).pathname)) return url;
    return "";
  }

  has(url) { return this.byUrl.has(absolute(url)); }

  /** Verified bytes of an asset; `onProgress(done, total)` while downloading. */
  async bytes(url, onProgress) {
    const abs = absolute(url);
    const entry = this.byUrl.get(abs);
    if (!entry) throw new AssetError("model_missing", `${abs} is not in the asset manifest`);
    const cached = await this.#fromCache(abs, () => entry);
    if (cached) return cached;
    const started = performance.now();
    const data = await download(abs, entry.bytes, onProgress);
    this.stats.fetchMs += performance.now() - started;
    this.stats.networkBytes += data.byteLength;
    await this.#verify(abs, entry, data);
    await this.#store(abs, data, { "Content-Type": mimeOf(abs) }).catch((e) => console.warn("cache put failed", abs, e));
    return data;
  }

  async #store(key, data, headers) {
    const cache = await this.cache;
    if (cache) await cache.put(key, new Response(data, { headers: { ...headers, "Content-Length": String(data.byteLength) } }));
  }

  /** Cached bytes under `key` if they match `expected(hit)` ({bytes, sha256}); a
   * stale or damaged copy is deleted (the caller fetches or makes it again). */
  async #fromCache(key, expected) {
    const cache = await this.cache;
    const hit = cache && (await cache.match(key));
    if (!hit) return null;
    const data = new Uint8Array(await hit.arrayBuffer());
    try {
      await this.#verify(key, expected(hit), data);
    } catch {
      await cache.delete(key);
      return null;
    }
    this.stats.cacheBytes += data.byteLength;
    return data;
  }

  /** Check bytes of the asset `url` that came another way (wasm-compile.js); throws
   * model_corrupt, and the URL is then downloaded afresh when asked again (`refused`). */
  async check(url, data) {
    const abs = absolute(url);
    const entry = this.byUrl.get(abs);
    if (!entry) throw new AssetError("model_missing", `${abs} is not in the asset manifest`);
    try {
      await this.#verify(abs, entry, data);
    } catch (e) {
      this.refused.add(abs);
      throw e;
    }
    this.stats.streamedBytes += data.byteLength;
  }

  /** Record where a WebAssembly file came from (stats.wasm, by file name): as an
   * HTTP response from "http-cache", "service-worker" (its Cache Storage copy) or
   * "network" (downloaded), or as bytes read here from "cache-storage". */
  wasmFrom(url, source) {
    this.stats.wasm[new URL(absolute(url)).pathname.split("/").pop()] = source;
  }

  /** Where the WebAssembly file whose name matches `pattern` came from ("" if not loaded). */
  wasmSource(pattern) {
    const hit = Object.entries(this.stats.wasm).find(([name]) => pattern.test(name));
    return hit ? hit[1] : "";
  }

  /** Whether Cache Storage holds a copy of `url` (unverified until read). */
  async isCached(url) {
    const cache = await this.cache;
    return !!cache && !!(await cache.match(absolute(url)));
  }

  /** Store verified bytes of `url` for offline use, unless a copy is cached already
   * (one that was refused is replaced). */
  async keep(url, data) {
    const abs = absolute(url);
    if (this.refused.has(abs) || !(await this.isCached(abs))) await this.#store(abs, data, { "Content-Type": mimeOf(abs) });
    this.refused.delete(abs);
  }

  async #verify(abs, entry, data) {
    const started = performance.now();
    const ok = data.byteLength === entry.bytes && (await sha256Hex(data)) === entry.sha256;
    this.stats.verifyMs += performance.now() - started;
    if (!ok) throw new AssetError("model_corrupt", `${abs} does not match the build manifest`);
  }

  /** Cache key of something made from `sources` (asset URLs): changes when any of them does. */
  derivedKey(name, sources) {
    const parts = sources.map((url) => {
      const entry = this.byUrl.get(absolute(url));
      if (!entry) throw new AssetError("model_missing", `${url} is not in the asset manifest`);
      return entry.sha256.slice(0, 16);
    });
    const key = absolute(`${DERIVED}${name}-${parts.join("-")}`);
    this.derived.add(key);
    return key;
  }

  /** A derived entry's bytes if cached and intact, else null (a damaged one is deleted). */
  derivedBytes(key) {
    return this.#fromCache(key, (hit) => ({ bytes: Number(hit.headers.get("Content-Length")), sha256: hit.headers.get("X-Sha256") }));
  }

  async putDerived(key, data) {
    await this.#store(key, data, { "Content-Type": "application/octet-stream", "X-Sha256": await sha256Hex(data) });
  }

  async deleteDerived(key) {
    const cache = await this.cache;
    if (cache) await cache.delete(key);
  }

  /** Make sure every asset of `role` is cached (bytes() fetches what is missing
   * or damaged), so the options a person has not used so far (a large photo's
   * refine graph, refinement off, flip averaging) work offline too. */
  async keepAll(role) {
    for (const [url, entry] of this.byUrl) if (entry.role === role) await this.bytes(url);
  }

  /** Delete cached files that the current build does not list (nor derives). */
  async prune() {
    const cache = await this.cache;
    if (!cache) return 0;
    let removed = 0;
    for (const req of await cache.keys()) {
      if (!this.byUrl.has(req.url) && !this.derived.has(req.url)) { await cache.delete(req); removed += 1; }
    }
    return removed;
  }

  /** A fetch() that serves manifest assets through this store (used by Pyodide and ORT loaders).
   * WebAssembly comes as the network's response, verified as it compiles (wasm-compile.js says why). */
  fetchFunction(nativeFetch) {
    installVerifiedStreaming(this);
    return async (input, init) => {
      const url = absolute(input instanceof Request ? input.url : String(input));
      const method = (init && init.method) || (input instanceof Request ? input.method : "GET");
      if (method !== "GET" || !this.byUrl.has(url)) return nativeFetch(input, init);
      const wasm = mimeOf(url) === "application/wasm";
      const streamed = wasm ? await networkWasm(this, url, nativeFetch) : null;
      if (streamed) return streamed;
      if (wasm) this.wasmFrom(url, "cache-storage");
      const data = await this.bytes(url);
      return new Response(data, { headers: { "Content-Type": mimeOf(url) } });
    };
  }
}

async function download(url, expected, onProgress) {
  let resp;
  try {
    resp = await networkFetch(url, { credentials: "same-origin" });
  } catch (e) {
    throw new AssetError("model_missing", `${url}: ${e.message}`);
  }
  if (!resp.ok) throw new AssetError("model_missing", `${url}: HTTP ${resp.status}`);
  if (!onProgress || !resp.body) return new Uint8Array(await resp.arrayBuffer());
  const out = new Uint8Array(expected);
  const reader = resp.body.getReader();
  let done = 0;
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    if (done + value.byteLength > out.byteLength) throw new AssetError("model_corrupt", `${url} is larger than the manifest says`);
    out.set(value, done);
    done += value.byteLength;
    onProgress(done, expected);
  }
  return done === expected ? out : out.subarray(0, done);
}
