// onnxruntime-web's compiled WASM module, shared between the engine worker and
// its tile helpers (tile-pool.js). A helper that loaded onnxruntime on its own
// would read, verify and compile the 14 MB module again (~0.5 s of a core,
// beside the photo it is started for) and then run its first tiles on
// unoptimised code; a compiled module posted to another worker carries its
// machine code, optimised tiers included.
//
// onnxruntime-web takes no compiled module as an option: its loader fetches
// the file and calls WebAssembly.instantiateStreaming once. Both are wrapped
// here for that one file's response only; anything else passes through.

const ORT_WASM = /\/ort-wasm-simd-threaded\.wasm$/;
const ours = new WeakSet(); // responses for ORT_WASM

function urlOf(input) {
  return input instanceof Request ? input.url : String(input);
}

function wrap(fetchFor, onResult) {
  const fetchBefore = self.fetch;
  self.fetch = async (input, init) => {
    if (!ORT_WASM.test(new URL(urlOf(input), self.location.href).pathname)) return fetchBefore(input, init);
    const response = await fetchFor(fetchBefore, input, init);
    ours.add(response);
    return response;
  };
  const streamingBefore = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = async (source, imports) => {
    const response = await source;
    return ours.has(response) ? onResult(response, imports, streamingBefore) : streamingBefore.call(WebAssembly, response, imports);
  };
}

/** Engine worker, before onnxruntime loads: the module it compiles is kept;
 * returns a Promise of it (null if onnxruntime compiled it another way). */
export function keepOrtModule() {
  let resolve;
  const kept = new Promise((r) => { resolve = r; });
  wrap((fetchBefore, input, init) => fetchBefore(input, init), async (response, imports, streamingBefore) => {
    try {
      const result = await streamingBefore.call(WebAssembly, response, imports);
      resolve(result.module);
      return result;
    } catch (e) {
      resolve(null);
      throw e;
    }
  });
  return kept;
}

/** Tile helper, before onnxruntime loads: instantiate `module` instead of
 * fetching and compiling the file. */
export function useOrtModule(module) {
  wrap(async () => new Response(new Uint8Array(0), { headers: { "Content-Type": "application/wasm" } }),
    async (_response, imports) => ({ module, instance: await WebAssembly.instantiate(module, imports) }));
}
