// One mixed compose tile's inputs, cut the same way whether the engine worker
// runs the tile or hands it to a tile helper (tile-pool.js). A plan row is
// [y, x, h, w, cy0, cx0, cy1, cx1, py, px, dy, dx] (cutout.tiling.TileJob.row).

import { cropBlock } from "./tensor-ops.js";

/** Reusable arrays for cutTile (onnxruntime copies its inputs, so one pair serves every tile). */
export function tileScratch() {
  return { px: new Uint8Array(0), cf: new Float32Array(0) };
}

/** The photo's tile, the coefficient window [cy0, cy1) x [cx0, cx1) and where
 * the tile samples it: { rgba: {data, shape}, coef: {data, shape}, pos }. The
 * crops are views of `scratch`'s arrays, which grow when a tile needs more. */
export function cutTile(photo, photoDims, coefs, coefDims, row, scratch) {
  const [y, x, h, w, cy0, cx0, cy1, cx1, ...pos] = row;
  const rgba = cropBlock(photo, photoDims, [y, x, 0], [y + h, x + w, 4], scratch.px);
  const coef = cropBlock(coefs, coefDims, [0, 0, cy0, cx0], [1, coefDims[1], cy1, cx1], scratch.cf);
  if (rgba.data.buffer !== scratch.px.buffer) scratch.px = rgba.data;
  if (coef.data.buffer !== scratch.cf.buffer) scratch.cf = coef.data;
  return { rgba, coef, pos: Float32Array.from(pos) };
}

/** The tensors a tile graph is fed, in the order ["rgba", "coef", "pos", ...extra names]. */
export function tileTensors(Tensor, tile, extras) {
  return [new Tensor("uint8", tile.rgba.data, tile.rgba.shape), new Tensor("float32", tile.coef.data, tile.coef.shape),
    new Tensor("float32", tile.pos, [4]), ...extras];
}
