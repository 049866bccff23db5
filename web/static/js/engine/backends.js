// Backend selection and fallback policy: the one place that decides where the
// model runs. WebGPU when an adapter exists (fp16 model if it has shader-f16,
// else fp32); WASM otherwise, threaded when the page is cross-origin isolated.
// A WebGPU failure (session creation or mid-job) retries the job on WASM.

// int8 convolutions, the most sensitive kept fp32 (buildlib/pins.py): ISNet ~1.7-2x
// faster than fp16 on WASM here (2.1-3.0 s vs 4.6-4.8 s at 1024x704), half the bytes, a
// quarter of the session time; quality of fp16 (alphamatting27 SAD 37.3 vs 37.6, the
// all-int8 model as shipped 44.3). WebGPU keeps fp16/fp32: it has no ConvInteger.
const WASM_MODEL = "isnet-mixed";
const MAX_THREADS = 4;

/** Errors after which a WebGPU job is retried on WASM. */
const FALLBACK_CODES = new Set(["backend_unavailable", "out_of_memory", "internal"]);

export function wasmThreads() {
  if (!self.crossOriginIsolated) return 1;
  return Math.max(1, Math.min(navigator.hardwareConcurrency || 1, MAX_THREADS));
}

export function wasmBackend(reason) {
  const threads = wasmThreads();
  return { name: "wasm", model: WASM_MODEL, threads, reason,
    label: threads > 1 ? `WASM, ${threads} threads` : "WASM, single thread" };
}

/** Probe once. `forced` is "auto" | "webgpu" | "wasm" (URL ?backend= or settings). */
export async function chooseBackend(forced = "auto") {
  if (forced === "wasm") return wasmBackend("forced by setting");
  if (!self.navigator.gpu) return wasmBackend("this browser has no WebGPU");
  let adapter = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  } catch (e) {
    return wasmBackend(`WebGPU adapter request failed: ${e.message}`);
  }
  if (!adapter) return wasmBackend("no WebGPU adapter");
  const f16 = adapter.features.has("shader-f16");
  const info = adapter.info || {};
  const software = /swiftshader/i.test(`${info.vendor} ${info.architecture} ${info.description}`);
  if (software && forced !== "webgpu") return wasmBackend("WebGPU adapter is a software emulation");
  return {
    name: "webgpu",
    model: f16 ? "isnet-fp16" : "isnet-fp32",
    threads: wasmThreads(), // for graphs that fall back to the CPU
    reason: forced === "webgpu" ? "forced by setting" : "WebGPU adapter found",
    label: `WebGPU${f16 ? " (fp16)" : ""}${software ? ", software adapter" : ""}`,
    adapter: { vendor: info.vendor || "", architecture: info.architecture || "", f16, software },
  };
}

/** Whether the compose stage's tiles go to tile helpers (tile-pool.js). `setting`:
 * true, false, or "auto" (also when not given): only where each helper has a core of its own beside the
 * engine's threads. Where they share them, helpers started for a photo slow its
 * inference more than they speed up its compose: 24 MP on 2 cores, 6 alternating
 * visits, result shown 5.32 s with them against 4.94 s without (inference 3.74
 * against 3.30 s, compose and refine 0.74 against 0.99 s), and ~35-130 MiB more. */
export function wantsTileHelpers(setting, backend) {
  if (setting === false || backend.name !== "wasm") return false;
  return setting === true || (navigator.hardwareConcurrency || 1) >= 2 * backend.threads;
}

export function shouldFallBack(backend, code) {
  return backend.name === "webgpu" && FALLBACK_CODES.has(code);
}

/** Which ORT bundle to load for a backend (URLs from the asset store). */
export function ortBundle(store, backend) {
  const webgpu = store.find(/\/vendor\/ort\.[0-9a-f]+\/ort\.webgpu\.min\.mjs$/);
  const wasm = store.find(/\/vendor\/ort\.[0-9a-f]+\/ort\.wasm\.min\.mjs$/);
  return backend.name === "webgpu" ? webgpu : wasm || webgpu;
}
