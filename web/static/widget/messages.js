// The widget's message protocol with its host page (js in cutout-widget.js on
// the host side mirrors these names; it is dependency-free, so it cannot import this).
//
// Every message is {protocol: "cutout-widget", v: 1, type, ...}.
//   host -> widget
//     widget:hello   {}                                     -> widget:ready
//     cutout:start   {id, image: ArrayBuffer (transferred),  -> cutout:progress*, then
//                     mime?: string, options?: {output?:        cutout:done | cutout:error | cutout:cancelled
//                     "cutout"|"mask", refine?: boolean}}
//     cutout:cancel  {id}
//   widget -> host
//     widget:ready     {maxImageBytes, origin}
//     cutout:progress  {id, stage, fraction}
//     cutout:done      {id, image: ArrayBuffer (PNG, transferred), mime, width, height, backend}
//     cutout:error     {id, code, message}     id is null when the request had no usable id
//     cutout:cancelled {id}

export const PROTOCOL = "cutout-widget";
export const VERSION = 1;
export const TYPE = Object.freeze({
  HELLO: "widget:hello", READY: "widget:ready",
  START: "cutout:start", CANCEL: "cutout:cancel",
  PROGRESS: "cutout:progress", DONE: "cutout:done", ERROR: "cutout:error", CANCELLED: "cutout:cancelled",
});
const REQUESTS = new Set([TYPE.HELLO, TYPE.START, TYPE.CANCEL]);
const START_KEYS = new Set(["protocol", "v", "type", "id", "image", "mime", "options"]);
const OPTION_KEYS = new Set(["output", "refine"]);

// Coded errors for requests the widget will not run, with sentences for people.
export const MESSAGE_ERRORS = Object.freeze({
  bad_message: "The message is not a Cutout Studio widget request.",
  unsupported_version: "The message uses a protocol version this widget does not speak.",
  unknown_type: "The message type is not one the widget knows.",
  bad_id: "The request needs an id: a string of 1 to 100 characters.",
  duplicate_id: "A job with this id is already running.",
  bad_image: "The image must be a non-empty ArrayBuffer.",
  too_large: "The image file is larger than the widget accepts.",
  bad_option: "An option has an invalid value.",
});

export class MessageError extends Error {
  constructor(code, detail) { super(detail); this.code = code; this.detail = detail; }
}

/** The request, checked; throws MessageError with a code when anything is off. */
export function checkRequest(data, maxImageBytes) {
  if (!data || typeof data !== "object" || Array.isArray(data) || data.protocol !== PROTOCOL) {
    throw new MessageError("bad_message", "expected an object with protocol \"cutout-widget\"");
  }
  if (data.v !== VERSION) throw new MessageError("unsupported_version", `version ${String(data.v).slice(0, 20)}; this widget speaks ${VERSION}`);
  if (!REQUESTS.has(data.type)) throw new MessageError("unknown_type", `unknown type ${String(data.type).slice(0, 40)}`);
  if (data.type === TYPE.HELLO) return data;
  if (typeof data.id !== "string" || !data.id || data.id.length > 100) throw new MessageError("bad_id", "id must be a string of 1 to 100 characters");
  if (data.type === TYPE.CANCEL) return data;
  const extra = Object.keys(data).filter((k) => !START_KEYS.has(k));
  if (extra.length) throw new MessageError("bad_message", `unexpected fields: ${extra.slice(0, 5).join(", ")}`);
  if (!(data.image instanceof ArrayBuffer) || data.image.byteLength === 0) throw new MessageError("bad_image", "image must be a non-empty ArrayBuffer");
  if (data.image.byteLength > maxImageBytes) throw new MessageError("too_large", `${data.image.byteLength} bytes; the limit is ${maxImageBytes}`);
  if (data.mime !== undefined && (typeof data.mime !== "string" || !/^[\w.+-]*\/?[\w.+-]*$/.test(data.mime) || data.mime.length > 100)) {
    throw new MessageError("bad_option", "mime must be a media type such as image/jpeg");
  }
  checkOptions(data.options === undefined ? {} : data.options);
  return data;
}

function checkOptions(o) {
  if (!o || typeof o !== "object" || Array.isArray(o)) throw new MessageError("bad_option", "options must be an object");
  const extra = Object.keys(o).filter((k) => !OPTION_KEYS.has(k));
  if (extra.length) throw new MessageError("bad_option", `unknown options: ${extra.slice(0, 5).join(", ")}`);
  if (o.output !== undefined && o.output !== "cutout" && o.output !== "mask") throw new MessageError("bad_option", "output must be cutout or mask");
  if (o.refine !== undefined && typeof o.refine !== "boolean") throw new MessageError("bad_option", "refine must be true or false");
}

/** The request's id when it is usable, for error replies; else null. */
export function idOf(data) {
  return data && typeof data.id === "string" && data.id.length > 0 && data.id.length <= 100 ? data.id : null;
}
