// A deterministic stand-in for the segmentation model, for tests only
// (enabled by ?test=1): a soft ellipse covering the middle of the frame.
// It lets end-to-end tests exercise every real pre/post-processing graph on
// WebGPU (software-emulated in CI, where ISNet itself takes 15+ minutes).

const SIZE = 1024;

export function standInMask(ort) {
  const data = new Float32Array(SIZE * SIZE);
  for (let y = 0; y < SIZE; y++) {
    const dy = (y + 0.5 - SIZE / 2) / (SIZE * 0.35);
    for (let x = 0; x < SIZE; x++) {
      const dx = (x + 0.5 - SIZE / 2) / (SIZE * 0.3);
      const d = Math.sqrt(dx * dx + dy * dy); // 1 on the ellipse's edge
      data[y * SIZE + x] = Math.min(1, Math.max(0, (1.04 - d) / 0.08));
    }
  }
  return new ort.Tensor("float32", data, [1, 1, SIZE, SIZE]);
}
