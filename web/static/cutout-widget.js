/* Cutout Studio widget: host-side script. No dependencies; include it with
 *   <script src="https://CUTOUT-ORIGIN/cutout-widget.js"></script>
 * and use window.CutoutWidget (see README "Widget"):
 *
 *   const widget = new CutoutWidget({ origin: "https://CUTOUT-ORIGIN", container: el });
 *   await widget.open();                              // mounts the iframe, resolves when it answers
 *   widget.on("progress", (d) => ...);                // also "done", "error", "cancel", "ready"
 *   const png = await widget.cutout(file, { output: "cutout" });   // Blob (image/png)
 *
 * Messages follow widget/messages.js (protocol "cutout-widget", version 1);
 * image bytes travel as transferred ArrayBuffers, never as base64. Replies are
 * accepted only from the widget's own frame (event.source) and origin.
 */
(function (global) {
  "use strict";

  var PROTOCOL = "cutout-widget";
  var VERSION = 1;

  function WidgetError(code, message, detail) {
    var e = new Error(message || code);
    e.name = "CutoutWidgetError";
    e.code = code;
    e.detail = detail || "";
    return e;
  }

  class CutoutWidget extends EventTarget {
    /**
     * @param {object} o
     * @param {string} o.origin         where Cutout Studio is served, e.g. "https://cutout.example"
     * @param {Element} [o.container]   where the iframe goes (default: document.body)
     * @param {object} [o.params]       extra query parameters for the widget page (e.g. {backend: "wasm"})
     * @param {number} [o.readyTimeoutMs] how long open() waits for the widget (default 20000)
     * @param {string} [o.width], [o.height] iframe size (CSS lengths; default 100% × 420px)
     */
    constructor(o) {
      super();
      if (!o || typeof o.origin !== "string") throw new TypeError("CutoutWidget needs {origin}");
      this.origin = new URL(o.origin).origin;
      this.options = o;
      this.frame = null;
      this.maxImageBytes = 0;
      this._pending = new Map();
      this._seq = 0;
      this._opening = null;
      this._onMessage = this._onMessage.bind(this);
    }

    /** Mount the iframe (once) and resolve when the widget is listening. */
    open() {
      if (this._opening) return this._opening;
      var self = this;
      this._opening = new Promise(function (resolve, reject) {
        var url = new URL("/widget/", self.origin);
        var params = self.options.params || {};
        Object.keys(params).forEach(function (k) { url.searchParams.set(k, String(params[k])); });
        var frame = document.createElement("iframe");
        frame.src = url.href;
        frame.title = "Cutout Studio: background removal on your device";
        // threads when the host page is cross-origin isolated; single-threaded otherwise
        frame.allow = "cross-origin-isolated";
        frame.style.border = "0";
        frame.style.width = self.options.width || "100%";
        frame.style.height = self.options.height || "420px";
        var timer = setTimeout(function () {
          self._ready = null;
          reject(WidgetError("widget_unavailable", "The Cutout Studio widget did not answer. Is this site on its allowlist?"));
        }, self.options.readyTimeoutMs || 20000);
        self._ready = function (data) {
          clearTimeout(timer);
          self.maxImageBytes = data.maxImageBytes;
          self._ready = null;
          resolve({ maxImageBytes: data.maxImageBytes });
        };
        global.addEventListener("message", self._onMessage);
        self.frame = frame;
        (self.options.container || document.body).appendChild(frame);
      });
      this._opening.catch(function () {});
      return this._opening;
    }

    /** Cut out one image. Resolves with a PNG Blob; rejects with {code, message}. */
    cutout(image, options) {
      var self = this;
      if (!(image instanceof Blob)) return Promise.reject(WidgetError("bad_image", "cutout() takes a Blob or File"));
      var id = "job-" + (++this._seq) + "-" + Date.now().toString(36);
      var done = new Promise(function (resolve, reject) { self._pending.set(id, { resolve: resolve, reject: reject }); });
      done.id = id;
      this.open().then(function () { return image.arrayBuffer(); }).then(function (bytes) {
        self._post({ type: "cutout:start", id: id, image: bytes, mime: image.type || "", options: options || {} }, [bytes]);
      }).catch(function (e) { self._settle(id, "reject", e.code ? e : WidgetError("bad_image", String(e))); });
      return done;
    }

    /** Cancel a job by its id (the `id` property of cutout()'s promise), or every job. */
    cancel(id) {
      var self = this;
      var ids = id ? [id] : Array.from(this._pending.keys());
      ids.forEach(function (j) { self._post({ type: "cutout:cancel", id: j }); });
    }

    /** Sugar for addEventListener: handler receives event.detail. */
    on(type, handler) {
      this.addEventListener(type, function (e) { handler(e.detail); });
      return this;
    }

    /** Remove the iframe; pending jobs reject with "closed". */
    close() {
      global.removeEventListener("message", this._onMessage);
      if (this.frame) this.frame.remove();
      this.frame = null;
      this._opening = null;
      var self = this;
      Array.from(this._pending.keys()).forEach(function (id) { self._settle(id, "reject", WidgetError("closed", "The widget was closed.")); });
    }

    _post(msg, transfer) {
      if (!this.frame || !this.frame.contentWindow) throw WidgetError("closed", "The widget is not open.");
      msg.protocol = PROTOCOL;
      msg.v = VERSION;
      this.frame.contentWindow.postMessage(msg, this.origin, transfer || []);
    }

    _onMessage(event) {
      // only our frame, only from the widget's origin, only our protocol
      if (!this.frame || event.source !== this.frame.contentWindow || event.origin !== this.origin) return;
      var d = event.data;
      if (!d || typeof d !== "object" || d.protocol !== PROTOCOL || d.v !== VERSION || typeof d.type !== "string") return;
      if (d.type === "widget:ready") {
        if (this._ready) this._ready(d);
        this._emit("ready", { maxImageBytes: d.maxImageBytes });
      } else if (d.type === "cutout:progress") {
        this._emit("progress", { id: d.id, stage: d.stage, fraction: d.fraction });
      } else if (d.type === "cutout:done" && d.image instanceof ArrayBuffer) {
        var blob = new Blob([d.image], { type: d.mime || "image/png" });
        this._emit("done", { id: d.id, blob: blob, width: d.width, height: d.height, backend: d.backend, source: d.source });
        this._settle(d.id, "resolve", blob);
      } else if (d.type === "cutout:error") {
        this._emit("error", { id: d.id, code: d.code, message: d.message, detail: d.detail });
        this._settle(d.id, "reject", WidgetError(d.code, d.message, d.detail));
      } else if (d.type === "cutout:cancelled") {
        this._emit("cancel", { id: d.id });
        this._settle(d.id, "reject", WidgetError("cancelled", "The cutout was cancelled."));
      }
    }

    _settle(id, how, value) {
      var p = this._pending.get(id);
      if (!p) return;
      this._pending.delete(id);
      p[how](value);
    }

    _emit(type, detail) {
      this.dispatchEvent(new CustomEvent(type, { detail: detail }));
    }
  }

  global.CutoutWidget = CutoutWidget;
})(typeof window !== "undefined" ? window : this);
