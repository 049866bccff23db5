// A deterministic stand-in for the segmentation model, for tests only
// (enabled by ?test=1): a soft ellipse covering the middle of the frame.
// It lets end-to-end tests exercise every real pre/post-processing graph on
// WebGPU (software-emulated in CI, where ISNet itself takes 15+ minutes).

/** The mask for a model input of `height` x `width` (the model's output size). */
export function standInMask(ort, height, width) {
  const data = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    const dy = (y + 0.5 - height / 2) / (height * 0.35);
    for (let x = 0; x < width; x++) {
      const dx = (x + 0.5 - width / 2) / (width * 0.3);
      const d = Math.sqrt(dx * dx + dy * dy); // 1 on the ellipse's edge
      data[y * width + x] = Math.min(1, Math.max(0, (1.04 - d) / 0.08));
    }
  }
  return new ort.Tensor("float32", data, [1, 1, height, width]);
}
