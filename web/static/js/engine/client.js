// Page-side engine client (used by the app and, later, the widget page):
// owns the worker, speaks protocol.js, turns replies into promises, and makes
// cancel real by terminating a worker that does not stop in time.

import { KIND, isReply, isTerminal, request, sentenceFor } from "./protocol.js";

const WORKER_URL = new URL("./worker.js", import.meta.url);
const CANCEL_GRACE_MS = 1500;

export class EngineError extends Error {
  constructor({ code, sentence, detail }) {
    super(sentence || sentenceFor(code));
    Object.assign(this, { code, sentence: sentence || sentenceFor(code), detail: detail || "" });
  }
}

export class EngineClient {
  /** @param bootOptions {backend: "auto"|"webgpu"|"wasm", test?: bool, fault?: string} */
  constructor(bootOptions = {}) {
    this.bootOptions = bootOptions;
    this.pending = new Map(); // id -> {resolve, reject, onProgress}
    this.encoding = new Map(); // id of a done job -> {resolve, reject} of its PNG
    this.seq = 0;
    this.onBootProgress = null; // (job:progress message) => void, while the engine starts
    this.restarts = 0;
    this.#spawn();
  }

  #spawn() {
    this.worker = new Worker(WORKER_URL, { type: "module", name: "cutout-engine" });
    this.worker.onmessage = (e) => this.#onMessage(e.data);
    this.worker.onerror = (e) => this.#failAll({ code: "internal", detail: `worker error: ${e.message}` });
    this.ready = this.#send(KIND.BOOT, { options: this.bootOptions }, (p) => this.onBootProgress && this.onBootProgress(p));
    this.ready.catch(() => {}); // callers see the failure through their own awaits
  }

  #send(type, fields, onProgress) {
    const id = `r${++this.seq}`;
    const promise = new Promise((resolve, reject) => this.pending.set(id, { type, resolve, reject, onProgress }));
    promise.id = id;
    this.worker.postMessage(request(type, id, fields));
    return promise;
  }

  #onMessage(msg) {
    if (!isReply(msg)) return;
    if (msg.type === KIND.ENCODED) { this.#encoded(msg); return; }
    const p = this.pending.get(msg.id);
    if (!p) return;
    if (!isTerminal(msg)) { if (p.onProgress) p.onProgress(msg); return; }
    this.pending.delete(msg.id);
    if (msg.type === KIND.ERROR) p.reject(new EngineError(msg));
    else {
      if (msg.type === KIND.DONE) { // its PNG and raw pixels: promises, settled by the job:encoded that follows
        const settle = {};
        for (const key of ["png", "pixels"]) {
          msg[key] = new Promise((resolve, reject) => { settle[key] = { resolve, reject }; });
          msg[key].catch(() => {}); // awaited by whoever needs them
        }
        this.encoding.set(msg.id, settle);
      }
      p.resolve(msg);
    }
  }

  #encoded(msg) {
    const e = this.encoding.get(msg.id);
    if (!e) return;
    this.encoding.delete(msg.id);
    if (msg.pixels instanceof ArrayBuffer) e.pixels.resolve(msg.pixels);
    else e.pixels.reject(new EngineError(msg));
    if (msg.png instanceof Blob) e.png.resolve(msg.png);
    else e.png.reject(new EngineError(msg));
  }

  #failAll(error) {
    for (const p of this.pending.values()) p.reject(new EngineError(error));
    for (const e of this.encoding.values()) for (const p of [e.png, e.pixels]) p.reject(new EngineError(error));
    this.pending.clear();
    this.encoding.clear();
  }

  /** Start a job; returns {id, result: Promise<job:done message>}; the message's
   * `png` (Promise<Blob>) and `pixels` (Promise<ArrayBuffer>, the raw result)
   * settle once the worker has encoded the result. */
  start(file, options = {}, onProgress = null) {
    // sent at once, also while the engine starts: the worker decodes the photo
    // meanwhile and runs the job as soon as it is ready
    const result = this.#send(KIND.START, { file, options }, onProgress);
    result.catch(() => {}); // the caller awaits `result`; avoid an unhandled-rejection report
    return { result };
  }

  /** Convenience: start and await. */
  cutout(file, options = {}, onProgress = null) {
    return this.start(file, options, onProgress).result;
  }

  /** Cancel every running job: ask politely, then terminate and restart the worker. */
  async cancel() {
    const ids = [...this.pending].filter(([, p]) => p.type === KIND.START).map(([id]) => id);
    if (!ids.length) return;
    for (const id of ids) this.worker.postMessage(request(KIND.CANCEL, `c${++this.seq}`, { target: id }));
    const settled = Promise.allSettled(ids.map((id) => this.#whenSettled(id)));
    const timedOut = await Promise.race([settled.then(() => false), sleep(CANCEL_GRACE_MS).then(() => true)]);
    if (!timedOut) return;
    this.worker.terminate(); // stuck inside a long inference: the only way out
    this.#failAll({ code: "cancelled", detail: "the engine was restarted" });
    this.restarts += 1;
    this.#spawn();
  }

  #whenSettled(id) {
    const p = this.pending.get(id);
    if (!p) return Promise.resolve();
    return new Promise((resolve) => {
      const { resolve: ok, reject: ko } = p;
      p.resolve = (v) => { ok(v); resolve(); };
      p.reject = (e) => { ko(e); resolve(); };
    });
  }

  terminate() {
    this.worker.terminate();
    this.#failAll({ code: "cancelled", detail: "the engine was closed" });
  }
}

function sleep(ms) { return new Promise((r) => setTimeout(r, ms)); }
