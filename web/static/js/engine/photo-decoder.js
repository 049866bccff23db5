// Photos decoded in a worker of their own (decode-worker.js), for the engine
// worker.
//
// Why: the engine worker's thread is the one that runs the job: Python, the
// graphs, the model (whose run holds it for seconds). Decoded there, a photo
// needed its turns to feed the browser's decoder the file, then its thread to
// fault in a fresh pixel buffer and copy the frame into it (VideoFrame.copyTo
// is synchronous: 25-150 ms for 24 MP here). Here that work runs beside the
// engine's, and the pixels come over moved, not copied. Where the worker
// cannot run (or fails), photos are decoded on the calling thread as before.

import { ImageError, decodeImage } from "./image-io.js";

const WORKER_URL = new URL("./decode-worker.js", import.meta.url);

export class PhotoDecoder {
  /** `fault` "decoder-worker": its worker fails on the first photo (tests). */
  constructor({ fault = "" } = {}) {
    this.fault = fault;
    this.pending = new Map(); // id -> { resolve, reject }
    this.next = 0;
    this.broken = false;
    try {
      this.worker = new Worker(WORKER_URL, { type: "module", name: "cutout-decode" });
      this.worker.onmessage = ({ data }) => this.#message(data);
      this.worker.onerror = (e) => {
        e.preventDefault(); // handled here: not the engine worker's own error
        this.#broke(e.message || "stopped");
      };
    } catch (e) {
      this.#broke(String(e));
    }
  }

  /** Blob -> {width, height, pixels} as image-io.js decodeImage, whose
   * `spare` buffer is moved to the worker (and comes back as the pixels' if it
   * was large enough). `inThread`: whether this photo was decoded on the calling thread. */
  async decode(file, maxPixels, { spare = null, header = null, onFed = () => {} } = {}) {
    if (this.broken) return { ...(await decodeImage(file, maxPixels, { spare, header, onFed })), inThread: true };
    onFed(); // the worker feeds the browser's decoder the file itself
    const id = this.next++;
    const answer = new Promise((resolve, reject) => this.pending.set(id, { resolve, reject }));
    const size = await header; // read once, by the caller: the worker sizes its buffer from it
    this.worker.postMessage({ id, file, maxPixels, spare, size, fault: this.fault }, spare ? [spare] : []);
    const msg = await answer;
    if (msg.broken) return { ...(await decodeImage(file, maxPixels, { header })), inThread: true }; // its spare went with the worker
    if (msg.error) throw msg.error.code ? new ImageError(msg.error.code, msg.error.detail) : new Error(msg.error.detail);
    return { width: msg.width, height: msg.height, pixels: msg.pixels, inThread: false };
  }

  #message(msg) {
    const waiting = this.pending.get(msg.id);
    if (!waiting) return;
    this.pending.delete(msg.id);
    waiting.resolve(msg);
  }

  #broke(why) {
    if (this.broken) return;
    this.broken = true;
    console.warn("the photo decoder's worker failed; photos are decoded in the engine worker:", why);
    for (const { resolve } of this.pending.values()) resolve({ broken: true });
    this.pending.clear();
  }
}
