// Result viewer: original and cutout stacked, a before/after divider driven by
// a range input, zoom (fit, in, out) with the viewer scrolling to pan.

const ZOOMS = [0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8];

export class Viewer {
  constructor(el) {
    this.el = el;
    this.zoom = 1;
    this.size = null;
    this.urls = [];
    el.compare.addEventListener("input", () => this.#setPos(el.compare.value));
    el.zoomIn.addEventListener("click", () => this.#step(1));
    el.zoomOut.addEventListener("click", () => this.#step(-1));
    el.zoomFit.addEventListener("click", () => this.#setZoom(1));
    el.viewer.addEventListener("keydown", (e) => this.#key(e));
    new ResizeObserver(() => this.#layout()).observe(el.viewer);
  }

  /** Show a result: `original` is the photo's Blob, `cutout` the engine's
   * {width, height, bitmap}: its bitmap is shown at once, before (and whether
   * or not) a PNG is encoded. The bitmap is consumed. */
  async show(original, cutout) {
    const { width, height, bitmap } = cutout;
    this.clear();
    this.urls = [URL.createObjectURL(original)];
    this.el.before.src = this.urls[0];
    this.el.after.getContext("bitmaprenderer").transferFromImageBitmap(bitmap); // sizes the canvas, no copy
    this.size = { width, height };
    this.el.placeholder.hidden = true;
    this.el.canvas.hidden = false;
    for (const b of [this.el.compare, this.el.zoomIn, this.el.zoomOut, this.el.zoomFit]) b.disabled = false;
    this.#setPos(this.el.compare.value);
    this.#setZoom(1);
  }

  clear() {
    for (const u of this.urls) URL.revokeObjectURL(u);
    this.urls = [];
    this.size = null;
    this.el.canvas.hidden = true;
    this.el.placeholder.hidden = false;
    for (const b of [this.el.compare, this.el.zoomIn, this.el.zoomOut, this.el.zoomFit]) b.disabled = true;
  }

  #setPos(value) { this.el.canvas.style.setProperty("--pos", `${value}%`); }

  #step(dir) {
    const i = ZOOMS.findIndex((z) => z >= this.zoom - 1e-6);
    const next = ZOOMS[Math.min(ZOOMS.length - 1, Math.max(0, (i < 0 ? ZOOMS.length - 1 : i) + dir))];
    this.#setZoom(next);
  }

  #setZoom(z) {
    this.zoom = z;
    this.el.canvas.style.setProperty("--zoom", String(z));
    this.#layout();
  }

  #layout() {
    if (!this.size) return;
    const { clientWidth: width, clientHeight: height } = this.el.viewer; // inside the border: fitted, nothing scrolls
    const scale = Math.min(width / this.size.width, height / this.size.height, 1);
    this.el.canvas.style.setProperty("--fit-w", `${Math.floor(this.size.width * scale)}px`);
    this.el.canvas.style.setProperty("--fit-h", `${Math.floor(this.size.height * scale)}px`);
    // zoom steps are multiples of the fitted size; the label is the size against the photo's own pixels
    this.el.zoomLevel.value = `${Math.round(this.zoom * scale * 100)}%`;
  }

  #key(e) {
    if (!this.size) return;
    if (e.key === "+" || e.key === "=") { this.#step(1); e.preventDefault(); }
    else if (e.key === "-") { this.#step(-1); e.preventDefault(); }
    else if (e.key === "0") { this.#setZoom(1); e.preventDefault(); }
  }
}
