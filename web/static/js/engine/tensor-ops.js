// Block copies on row-major typed arrays: crop any rank, paste HWC images.

/** Sub-block [starts, ends) of a row-major array with shape `dims`. */
export function cropBlock(data, dims, starts, ends, into = null) {
  const rank = dims.length;
  const shape = dims.map((_, i) => ends[i] - starts[i]);
  if (shape.some((n, i) => n < 0 || starts[i] < 0 || ends[i] > dims[i])) {
    throw new Error(`[internal] crop ${starts}..${ends} outside ${dims}`);
  }
  const strides = new Array(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * dims[i + 1];
  // Copy contiguous runs as long as possible: trailing axes taken whole join the
  // run (an RGBA tile is one run per row, not one per pixel: 4-byte copies made a
  // 512² crop take 15-40 ms).
  let axis = rank - 1;
  while (axis > 0 && shape[axis] === dims[axis]) axis -= 1;
  const inner = shape[axis] * strides[axis];
  const size = shape.reduce((a, b) => a * b, 1);
  // `into`: a scratch array of the same type reused across calls (a fresh 0.6 MB
  // tile buffer per call cost allocation and page faults); the crop is a view of it
  const out = into && into.length >= size ? into.subarray(0, size) : new data.constructor(size);
  const idx = new Array(axis).fill(0);
  const rows = out.length / Math.max(inner, 1);
  for (let r = 0; r < rows; r++) {
    let src = starts[axis] * strides[axis];
    for (let i = 0; i < axis; i++) src += (starts[i] + idx[i]) * strides[i];
    out.set(data.subarray(src, src + inner), r * inner);
    for (let i = axis - 1; i >= 0; i--) { // odometer over the outer axes
      if (++idx[i] < shape[i]) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape };
}

/** Copy the h x w block at (y, x) of HWC `src` to the same place in HWC `dst`
 * (same size and channels), row by row with no buffer in between. */
export function copyBlock(src, dst, dims, y, x, h, w) {
  const [dh, dw, c] = dims;
  if (src.length !== dst.length || y + h > dh || x + w > dw) throw new Error(`[internal] copy ${h}x${w} at ${y},${x} in ${dims}`);
  for (let r = 0; r < h; r++) {
    const at = ((y + r) * dw + x) * c;
    dst.set(src.subarray(at, at + w * c), at);
  }
}

/** Copy HWC `src` into HWC `dst` at (y, x); channel counts must match. */
export function pasteImage(dst, dstDims, src, srcDims, y, x) {
  const [h, w, c] = srcDims;
  const [dh, dw, dc] = dstDims;
  if (c !== dc || y + h > dh || x + w > dw) throw new Error(`[internal] paste ${srcDims} at ${y},${x} into ${dstDims}`);
  const row = w * c;
  for (let r = 0; r < h; r++) {
    const at = ((y + r) * dw + x) * c;
    dst.set(src.subarray(r * row, r * row + row), at);
  }
}
