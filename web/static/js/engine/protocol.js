// The one message protocol between a page (app or widget) and the engine worker.
//
// Every request carries `v` (protocol version), `type` and a caller-chosen `id`;
// the worker answers each request with exactly one terminal reply carrying the
// same id (`engine:ready`, `job:done` or `job:error`), and may send any number
// of `job:progress` messages for it before that. A `job:done` is followed by
// exactly one `job:encoded` with the same id: the result is shown from the
// bitmap of the first at once; the PNG (seconds at 24 MP) is made after that
// and comes with the raw pixels.
//
//   page -> worker
//     engine:boot   {options: BootOptions}            -> engine:ready | job:error
//     job:start     {file: Blob, options: JobOptions} -> job:progress*, job:done | job:error
//                   (also before engine:ready: the photo is decoded meanwhile, the
//                   job runs once the engine is ready, progress stage "boot" until then)
//     job:cancel    {target: id of a job:start}       (no reply of its own; the job
//                                                      ends with job:error code "cancelled")
//   worker -> page
//     engine:ready  {backend: BackendInfo, timings}
//     job:progress  {stage, fraction}
//     job:done      {width, height, channels, bitmap: ImageBitmap (straight alpha),
//                    backend: BackendInfo, timings, tiles, earlySessions, reduced, decodedIn}
//                   (timings: stage -> ms; wireTypes: ms the wire types (msgspec)
//                   took to load, null until they have: they load once the
//                   engine is idle, not in the way of a photo; earlySessions:
//                   the graphs whose sessions the worker started while the
//                   photo decoded, from its header's size; reduced: [h, w] of
//                   the reduced decode of a large JPEG that the pre-process
//                   read, or null; JobOptions.reduce false turns it off;
//                   decodedIn: "decoder worker", or "engine worker" where that
//                   worker could not run: photo-decoder.js)
//     job:encoded   {png: Blob, pixels: ArrayBuffer, ms}
//                   | {code, sentence, detail, pixels}            (after job:done)
//     job:error     {code, sentence, detail}

export const PROTOCOL_VERSION = 1;

export const KIND = Object.freeze({
  BOOT: "engine:boot",
  READY: "engine:ready",
  START: "job:start",
  PROGRESS: "job:progress",
  DONE: "job:done",
  ENCODED: "job:encoded",
  ERROR: "job:error",
  CANCEL: "job:cancel",
});

const REQUESTS = new Set([KIND.BOOT, KIND.START, KIND.CANCEL]);
const REPLIES = new Set([KIND.READY, KIND.PROGRESS, KIND.DONE, KIND.ENCODED, KIND.ERROR]);
const OUTPUTS = new Set(["cutout", "mask"]);
const BACKENDS = new Set(["auto", "webgpu", "wasm"]);

// Sentences for people, by error code (the engine's CutoutError codes plus the worker's own).
export const SENTENCES = Object.freeze({
  decode_failed: "This file could not be read as an image. Try a JPEG, PNG, WebP, AVIF, GIF or BMP file.",
  empty_file: "This file is empty.",
  not_an_image: "This file is not an image. Try a JPEG, PNG, WebP, AVIF, GIF or BMP file.",
  image_too_large: "This image has more pixels than the app can process.",
  image_too_small: "This image is too small to cut out.",
  model_missing: "The cutout model could not be downloaded. Check your connection and reload the page.",
  model_corrupt: "A downloaded file of the engine (its model or runtime) was damaged. Reload the page to fetch it again.",
  backend_unavailable: "This browser could not run the cutout model.",
  out_of_memory: "The device ran out of memory for this image. Try a smaller image or close other tabs.",
  cancelled: "The cutout was cancelled.",
  bad_option: "An option has an invalid value.",
  bad_request: "The request was not understood.",
  internal: "Something went wrong inside the engine. Try again; reloading the page may help.",
});

export function sentenceFor(code) {
  return SENTENCES[code] || SENTENCES.internal;
}

/** The code of a coded message ("[model_corrupt] ..."), also when a loader
 * wrapped it in its own words ("Aborted([model_corrupt] ...)"); "" if none. */
export function codeIn(message) {
  for (const [, code] of String(message).matchAll(/\[([a-z_]+)\]/g)) if (code in SENTENCES) return code;
  return "";
}

export function request(type, id, fields = {}) {
  return { v: PROTOCOL_VERSION, type, id, ...fields };
}

/** The reason a request is malformed, or "" when it is fine. */
export function checkRequest(msg) {
  if (!msg || typeof msg !== "object") return "not an object";
  if (msg.v !== PROTOCOL_VERSION) return `unsupported protocol version ${msg.v}`;
  if (!REQUESTS.has(msg.type)) return `unknown request type ${msg.type}`;
  if (typeof msg.id !== "string" || !msg.id || msg.id.length > 100) return "id must be a short string";
  if (msg.type === KIND.START) {
    if (!(msg.file instanceof Blob)) return "file must be a Blob";
    return checkJobOptions(msg.options || {});
  }
  if (msg.type === KIND.CANCEL && typeof msg.target !== "string") return "target must be a job id";
  if (msg.type === KIND.BOOT && msg.options && !BACKENDS.has(msg.options.backend || "auto")) {
    return "backend must be auto, webgpu or wasm";
  }
  return "";
}

function checkJobOptions(o) {
  if (o.output !== undefined && !OUTPUTS.has(o.output)) return "output must be cutout or mask";
  if (o.refine !== undefined && typeof o.refine !== "boolean") return "refine must be true or false";
  if (o.best !== undefined && typeof o.best !== "boolean") return "best must be true or false";
  if (o.reduce !== undefined && typeof o.reduce !== "boolean") return "reduce must be true or false";
  if (o.maxPixels !== undefined && !(Number.isFinite(o.maxPixels) && o.maxPixels > 0)) return "maxPixels must be positive";
  if (o.block !== undefined && !(Number.isInteger(o.block) && o.block >= 64 && o.block <= 8192)) return "block must be a whole number of pixels from 64 to 8192";
  if (o.model !== undefined && !/^[a-z0-9-]{1,40}$/.test(o.model)) return "model must be a manifest name";
  return "";
}

export function isReply(msg) {
  return !!msg && msg.v === PROTOCOL_VERSION && REPLIES.has(msg.type) && typeof msg.id === "string";
}

export function isTerminal(msg) {
  return msg.type !== KIND.PROGRESS && msg.type !== KIND.ENCODED;
}
