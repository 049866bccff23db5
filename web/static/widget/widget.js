// The embeddable widget (/widget/): the cutout flow only, driven by a person
// inside the frame or by the host page through messages.js's protocol.
//
// Who may talk to it: only the parent window (event.source), and only from an
// origin on the server's allowlist (/widget/config.json, the same list that
// feeds the page's CSP frame-ancestors). Anything else gets no answer at all;
// requests from an allowed host that are malformed get a coded cutout:error.

import { EngineClient } from "../js/engine/client.js";
import { acceptImages } from "../js/ui/input.js";
import { Status, overall } from "../js/ui/status.js";
import { MESSAGE_ERRORS, MessageError, PROTOCOL, TYPE, VERSION, checkRequest, idOf } from "./messages.js";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const status = new Status({ stage: $("message"), progress: $("progress"), error: $("error"), cancel: $("cancel") });
const host = { origin: null, allowed: new Set([location.origin]), maxImageBytes: 0 };
const jobs = { chain: Promise.resolve(), running: null, queued: new Set(), cancelled: new Set(), users: 0 };
let client = null;

function bootOptions() {
  const backend = params.get("backend") || "auto";
  return { backend: ["auto", "webgpu", "wasm"].includes(backend) ? backend : "auto", test: params.get("test") === "1",
    model: params.get("model") || undefined };
}

/** Post to the host; only ever to the one allowed origin it spoke from. */
function send(type, fields = {}, transfer = []) {
  if (!host.origin) return;
  window.parent.postMessage({ protocol: PROTOCOL, v: VERSION, type, ...fields }, host.origin, transfer);
}

function sendError(id, code, detail) {
  send(TYPE.ERROR, { id, code, message: MESSAGE_ERRORS[code] || code, detail: String(detail || "").slice(0, 300) });
}

function onMessage(event) {
  if (window.parent === window || event.source !== window.parent) return; // not from our host
  if (!host.allowed.has(event.origin)) return; // not allowlisted: no answers
  if (host.origin && event.origin !== host.origin) return;
  host.origin = event.origin;
  let msg;
  try {
    msg = checkRequest(event.data, host.maxImageBytes);
  } catch (e) {
    if (!(e instanceof MessageError)) throw e;
    sendError(idOf(event.data), e.code, e.detail);
    return;
  }
  if (msg.type === TYPE.HELLO) announce();
  else if (msg.type === TYPE.CANCEL) cancel(msg.id);
  else if (jobs.running === msg.id || jobs.queued.has(msg.id)) sendError(msg.id, "duplicate_id", msg.id);
  else enqueue(msg.id, new Blob([msg.image], { type: msg.mime || "" }), msg.options || {}, true);
}

function announce() {
  const ready = { protocol: PROTOCOL, v: VERSION, type: TYPE.READY, maxImageBytes: host.maxImageBytes, origin: location.origin };
  if (host.origin) { window.parent.postMessage(ready, host.origin); return; }
  // The host's origin is not known yet: offer "ready" to each allowed origin;
  // the browser delivers it only if the parent really is that origin.
  const ancestor = location.ancestorOrigins && location.ancestorOrigins[0];
  const targets = ancestor ? [ancestor].filter((o) => host.allowed.has(o)) : [...host.allowed];
  for (const origin of targets) window.parent.postMessage(ready, origin);
}

function enqueue(id, blob, options, fromHost) {
  jobs.queued.add(id);
  jobs.chain = jobs.chain.then(() => run(id, blob, options, fromHost));
}

function cancel(id) {
  if (jobs.queued.has(id)) jobs.cancelled.add(id);
  if (jobs.running === id) client.cancel();
}

async function run(id, blob, options, fromHost) {
  jobs.queued.delete(id);
  if (jobs.cancelled.delete(id)) { send(TYPE.CANCELLED, { id }); return; }
  jobs.running = id;
  document.body.dataset.job = "running";
  status.clearError();
  status.busy("decode", 0.02);
  try {
    const result = await client.cutout(blob, { refine: options.refine !== false, output: options.output || "cutout" }, (p) => {
      const fraction = overall(p.stage, p.fraction);
      status.busy(p.stage, fraction);
      send(TYPE.PROGRESS, { id, stage: p.stage, fraction });
    });
    show(result); // its bitmap, before the PNG is made
    status.idle(`Done: ${result.width} × ${result.height} pixels.`, 1);
    const image = await (await result.png).arrayBuffer(); // the host gets a PNG file
    send(TYPE.DONE, { id, image, mime: "image/png", width: result.width, height: result.height, backend: result.backend.label,
      source: fromHost ? "host" : "person" }, [image]);
    document.body.dataset.job = "done";
  } catch (e) {
    const code = e.code || "internal";
    if (code === "cancelled") { status.idle("Cancelled."); send(TYPE.CANCELLED, { id }); }
    else {
      status.idle("That image could not be cut out.");
      status.error(e.sentence || String(e));
      send(TYPE.ERROR, { id, code, message: e.sentence || String(e), detail: String(e.detail || "").slice(0, 300) });
    }
    document.body.dataset.job = code === "cancelled" ? "cancelled" : "error";
  } finally {
    jobs.running = null;
  }
}

function show(result) {
  $("result").getContext("bitmaprenderer").transferFromImageBitmap(result.bitmap); // no copy
  $("result").hidden = false;
  $("placeholder").hidden = true;
  $("stage").classList.add("has-result");
}

async function loadConfig() {
  const resp = await fetch("/widget/config.json", { cache: "no-store", credentials: "omit" });
  if (!resp.ok) throw new Error(`widget config: HTTP ${resp.status}`);
  const config = await resp.json();
  for (const origin of config.origins || []) host.allowed.add(origin);
  host.maxImageBytes = config.max_image_bytes;
}

async function start() {
  acceptImages({ drop: $("drop"), fileInput: $("file") }, (file) => enqueue(`person-${++jobs.users}`, file, {}, false));
  $("cancel").addEventListener("click", () => jobs.running && client.cancel());
  client = new EngineClient(bootOptions());
  client.onBootProgress = (p) => { if (!jobs.running) { status.busy(p.stage, p.fraction); $("cancel").disabled = true; } };
  await loadConfig();
  window.addEventListener("message", onMessage); // only once the allowlist is known
  document.body.dataset.widget = "listening";
  if (window.parent !== window) announce();
  try {
    const ready = await client.ready;
    $("backend").textContent = ready.backend.label;
    document.body.dataset.engine = "ready";
    if (!jobs.running) status.idle("Ready. Drop or choose a photo.");
  } catch (e) {
    document.body.dataset.engine = "failed";
    $("backend").textContent = "unavailable";
    status.error(e.sentence || String(e));
  }
}

start().catch((e) => {
  document.body.dataset.widget = "failed";
  status.error("The widget could not start. Reload the page to try again.");
  console.warn("widget start failed", e);
});
