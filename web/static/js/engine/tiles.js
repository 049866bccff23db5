// One mixed compose tile's inputs, cut the same way by the engine worker and
// by its tile helper (tile-worker.js). A plan row is
// [y, x, h, w, cy0, cx0, cy1, cx1, py, px, dy, dx] (cutout.tiling.Job.row).

import { cropBlock } from "./tensor-ops.js";

/** Scratch arrays for tileFeeds, reused from tile to tile (onnxruntime copies its inputs). */
export function tileScratch() {
  return { px: new Uint8Array(0), cf: new Float32Array(0) };
}

/** [rgba, coef, pos] tensors of a mixed tile: the photo's tile, the coefficient
 * window [cy0, cy1) x [cx0, cx1) and where the tile samples it. */
export function tileFeeds(Tensor, photo, photoDims, coefs, coefDims, row, scratch) {
  const [y, x, h, w, cy0, cx0, cy1, cx1, ...pos] = row;
  const px = cropBlock(photo, photoDims, [y, x, 0], [y + h, x + w, 4], scratch.px);
  const cf = cropBlock(coefs, coefDims, [0, 0, cy0, cx0], [1, coefDims[1], cy1, cx1], scratch.cf);
  if (px.data.buffer !== scratch.px.buffer) scratch.px = px.data; // grown: the next crops reuse it
  if (cf.data.buffer !== scratch.cf.buffer) scratch.cf = cf.data;
  return [new Tensor("uint8", px.data, px.shape), new Tensor("float32", cf.data, cf.shape),
    new Tensor("float32", Float32Array.from(pos), [4])];
}
