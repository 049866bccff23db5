// Full-resolution downloads: the PNG the engine made, WebP and mask on demand.

import { alphaOf, encodeImage } from "../engine/image-io.js";

export function baseName(file) {
  const name = (file && file.name) || "image";
  return name.replace(/\.[^.]+$/, "").replace(/[^\w.-]+/g, "_").slice(0, 80) || "image";
}

function save(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** result: the job:done message; file: the input File. */
export async function download(kind, result, file) {
  const base = baseName(file);
  const { width, height, channels } = result;
  const pixels = new Uint8Array(result.pixels);
  if (kind === "png") return save(result.png, `${base}-cutout.png`);
  if (kind === "webp") return save(await encodeImage(pixels, width, height, channels, "image/webp", 0.95), `${base}-cutout.webp`);
  const alpha = channels === 1 ? pixels : alphaOf(pixels);
  return save(await encodeImage(alpha, width, height, 1, "image/png"), `${base}-mask.png`);
}
