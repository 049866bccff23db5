// Decoding with the browser's own codecs (EXIF orientation applied) and
// encoding results: PNG with an exact straight-alpha encoder (canvas would
// premultiply and lose colour in soft edges), WebP through OffscreenCanvas.

import { encodePng } from "./png.js";

export class ImageError extends Error {
  constructor(code, detail) { super(`[${code}] ${detail}`); this.code = code; this.detail = detail; }
}

const IMAGE_MAGIC = [
  [0xff, 0xd8, 0xff], // JPEG
  [0x89, 0x50, 0x4e, 0x47], // PNG
  [0x47, 0x49, 0x46], // GIF
  [0x42, 0x4d], // BMP
  [0x52, 0x49, 0x46, 0x46], // RIFF (WebP)
];

async function looksLikeImage(blob) {
  const head = new Uint8Array(await blob.slice(0, 16).arrayBuffer());
  if (IMAGE_MAGIC.some((m) => m.every((b, i) => head[i] === b))) return true;
  const brand = String.fromCharCode(...head.subarray(4, 12));
  return brand.startsWith("ftyp"); // AVIF / HEIF
}

function tooLarge(width, height, maxPixels) {
  const mp = (n) => (n / 1e6).toFixed(1);
  return new ImageError("image_too_large", `${width}×${height} is ${mp(width * height)} megapixels; the limit is ${mp(maxPixels)}`);
}

/** Blob -> {width, height, pixels: Uint8Array RGBA}; coded errors for bad input.
 * `spare`: an ArrayBuffer no longer in use that the pixels may be written into
 * when it is large enough (a fresh 96 MB buffer for a 24 MP photo is paid for
 * in page faults as it is filled: its copyTo took 85-400 ms here, ~40 ms reused).
 * `header`: a Promise of the size its file header gives (image-size.js), or
 * null: without a spare that large, a buffer is made and its pages touched
 * while the browser decodes on its own thread. A 24 MP JPEG, decoded again in
 * one worker: 120-165 ms against 170-190 ms into a fresh buffer (its copy
 * 21-33 ms against 66-73). The first decode in a worker gained nothing: its
 * copy took 90-120 ms into touched pages too.
 * `onFed`: called once the browser's decoder has every byte of the file (or
 * it is decoded another way): from then on it decodes on its own thread and
 * needs no turns of this worker's event loop. */
export async function decodeImage(blob, maxPixels, { spare = null, header = null, onFed = () => {} } = {}) {
  if (!blob || blob.size === 0) throw new ImageError("empty_file", "the file has no bytes");
  try {
    const frame = self.ImageDecoder && blob.type && (await ImageDecoder.isTypeSupported(blob.type).catch(() => false))
      ? await decodeFrame(blob.stream(), blob.type, maxPixels, { spare, header, onFed }) : null;
    return frame || await decodeOnCanvas(blob, maxPixels);
  } finally {
    onFed();
  }
}

// A JPEG decoder can scale as it decodes (libjpeg's 1/2, 1/4 and 1/8: it
// computes fewer points of each 8x8 block's inverse DCT). A 24 MP JPEG at 1/4
// took 50-60 ms here against 165-200 ms for its full decode and copy.
const REDUCTIONS = [8, 4, 2];

/** The size of a JPEG of stored size `size` decoded at the smallest of its
 * reductions that is still `need` ({width, height}, as stored) or larger:
 * {width, height, factor}; null if none is. */
export function reducedSize(size, need) {
  for (const factor of REDUCTIONS) {
    const width = Math.ceil(size.width / factor), height = Math.ceil(size.height / factor);
    if (width >= need.width && height >= need.height) return { width, height, factor };
  }
  return null;
}

/** `blob`, a JPEG, decoded at `reduced` (reducedSize) by ImageDecoder:
 * {image: {width, height, pixels, rotation} upright, or null where the browser
 * could not (no ImageDecoder, a YUV frame, a damaged file) or gave another
 * size (Chrome picks the largest of its scales that fits the size asked for);
 * ignored: true where it decoded the file at full size, not scaling at all}. */
export async function decodeReduced(blob, reduced) {
  if (!self.ImageDecoder) return { image: null, ignored: true };
  const image = await decodeFrame(blob.stream(), "image/jpeg", Infinity, { desired: reduced }).catch(() => null);
  const [width, height] = !image ? [0, 0] : image.rotation % 180 ? [image.height, image.width] : [image.width, image.height];
  if (width === reduced.width && height === reduced.height) return { image, ignored: false };
  return { image: null, ignored: width >= reduced.width * reduced.factor };
}

const PAGE = 4096;

/** A new buffer with every page written once, so that the kernel maps them
 * now and not as the decoded frame is copied in. */
function touchedBuffer(byteLength) {
  const buffer = new ArrayBuffer(byteLength);
  const bytes = new Uint8Array(buffer);
  for (let i = 0; i < bytes.length; i += PAGE) bytes[i] = 0;
  return buffer;
}

// WebCodecs' ImageDecoder: the first frame's pixels copied straight out, no
// canvas in between (a 24 MP JPEG in 175 ms against 280 ms here). A frame with
// alpha is copied in its own layout (Chrome: BGRA) and swizzled here: copyTo's
// RGBA conversion, like a 2D canvas, premultiplies and so loses the colour of
// faint pixels. Opaque RGB frames (BGRX) convert exactly and faster in copyTo.
// The EXIF orientation arrives as the frame's rotation and flip.
// null where the browser has no ImageDecoder, does not know the type or cannot
// decode the file, or gives a YUV frame: the canvas path then decides (and
// names the error).
const WITH_ALPHA = { RGBA: { swap: false }, BGRA: { swap: true } };
// Chrome hands a JPEG over as YUV planes when all its bytes are there before it
// decodes, and copyTo upsamples their chroma more coarsely than its own RGB
// decoder, the canvas and libjpeg do (a textured test photo: 85% of pixels off,
// by up to 118 levels). Which of the two a file got depended on how its bytes
// arrived, so the same photo gave two different cutouts now and then.
const RGB = new Set(["RGBA", "RGBX", "BGRA", "BGRX"]);

/** `data`: a ReadableStream or the bytes, of a type ImageDecoder supports;
 * `spare`, `header`, `onFed` as for decodeImage; `desired`: {width, height}
 * to decode at (a JPEG's reduction: reducedSize). The result also names the
 * frame's clockwise `rotation`. */
export async function decodeFrame(data, type, maxPixels, { spare = null, header = null, onFed = () => {}, desired = null } = {}) {
  let frame;
  try {
    const scale = desired ? { desiredWidth: desired.width, desiredHeight: desired.height } : {};
    const decoder = new ImageDecoder({ data, type, colorSpaceConversion: "default", preferAnimation: false, ...scale });
    const decoded = decoder.decode({ frameIndex: 0 });
    decoded.catch(() => {}); // met below, once the buffer is made
    // pages are touched only once the decoder has every byte: until then this thread's
    // event loop feeds it the file, and touching them first held the decode up by as long
    await Promise.race([decoder.completed, decoded]).catch(() => {});
    onFed();
    const size = await header;
    const pixels = size ? size.width * size.height : 0;
    if (pixels && pixels <= maxPixels && !(spare && spare.byteLength >= pixels * 4)) spare = touchedBuffer(pixels * 4);
    frame = (await decoded).image;
    decoder.close();
  } catch (e) {
    console.debug("ImageDecoder could not decode; trying the canvas", e);
    return null;
  }
  if (!RGB.has(frame.format)) {
    frame.close();
    return null;
  }
  try {
    const { width, height } = frame.visibleRect;
    if (width * height > maxPixels) throw tooLarge(width, height, maxPixels);
    const layout = WITH_ALPHA[frame.format];
    const bytes = width * height * 4;
    const pixels = spare && spare.byteLength >= bytes ? new Uint8Array(spare, 0, bytes) : new Uint8Array(bytes);
    await frame.copyTo(pixels, layout ? {} : { format: "RGBA" });
    const rotation = frame.rotation || 0;
    return { ...arrange(pixels, width, height, { rotation, flip: !!frame.flip, swap: !!(layout && layout.swap) }), rotation };
  } finally {
    frame.close();
  }
}

/** RGBA pixels, upright: swap red and blue (`swap`), apply a frame's
 * clockwise rotation, then its flip (mirror left-right). */
export function arrange(pixels, width, height, { rotation = 0, flip = false, swap = false }) {
  if (!rotation && !flip && !swap) return { width, height, pixels };
  const turned = rotation === 90 || rotation === 270;
  // rotating then mirroring is mirroring then rotating the other way round
  if (flip && turned) rotation = 360 - rotation;
  const src = new Uint32Array(pixels.buffer, pixels.byteOffset, width * height);
  const out = rotation || flip ? new Uint32Array(width * height) : src; // a swap alone is done in place
  for (let y = 0; y < height; y++) {
    // mirrored first, then rotated: where pixel (x, y) lands is linear in x, a + step * x
    let [a, step] = rotation === 90 ? [height - 1 - y, height] : rotation === 180 ? [(height - y) * width - 1, -1]
      : rotation === 270 ? [(width - 1) * height + y, -height] : [y * width, 1];
    if (flip) [a, step] = [a + step * (width - 1), -step];
    const row = y * width;
    if (swap) {
      for (let x = 0; x < width; x++) { // little-endian: bytes B G R A <-> R G B A swap the low and third byte
        const v = src[row + x];
        out[a + step * x] = (v & 0xff00ff00) | ((v & 0xff) << 16) | ((v >>> 16) & 0xff);
      }
    } else {
      for (let x = 0; x < width; x++) out[a + step * x] = src[row + x];
    }
  }
  return { width: turned ? height : width, height: turned ? width : height,
    pixels: new Uint8Array(out.buffer, out.byteOffset, width * height * 4) };
}

async function decodeOnCanvas(blob, maxPixels) {
  const typed = (blob.type || "").startsWith("image/");
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, { imageOrientation: "from-image", premultiplyAlpha: "none", colorSpaceConversion: "default" });
  } catch (e) {
    const image = typed || (await looksLikeImage(blob));
    throw new ImageError(image ? "decode_failed" : "not_an_image", `${blob.type || "unknown type"}: ${e.message}`);
  }
  const { width, height } = bitmap;
  if (width * height > maxPixels) {
    bitmap.close();
    throw tooLarge(width, height, maxPixels);
  }
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const data = ctx.getImageData(0, 0, width, height).data;
  return { width, height, pixels: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

/** Encode HWC uint8 pixels (4 = RGBA, 1 = alpha) to a Blob. */
export async function encodeImage(pixels, width, height, channels, type = "image/png", quality = 0.95) {
  if (type === "image/png") return encodePng(pixels, width, height, channels);
  const canvas = new OffscreenCanvas(width, height);
  canvas.getContext("2d").putImageData(toImageData(pixels, width, height, channels), 0, 0);
  return canvas.convertToBlob({ type, quality });
}

/** HWC uint8 pixels (4 = RGBA, 1 = alpha, shown grey) -> ImageData for a canvas. */
export function toImageData(pixels, width, height, channels) {
  const rgba = channels === 4 ? pixels : alphaToGray(pixels);
  return new ImageData(new Uint8ClampedArray(rgba.buffer, rgba.byteOffset, rgba.byteLength), width, height);
}

/** Alpha plane -> opaque grey RGBA (mask images for codecs without grey). */
export function alphaToGray(alpha) {
  const out = new Uint8Array(alpha.length * 4);
  for (let i = 0, j = 0; i < alpha.length; i++, j += 4) {
    out[j] = out[j + 1] = out[j + 2] = alpha[i];
    out[j + 3] = 255;
  }
  return out;
}

/** The alpha channel of RGBA pixels. */
export function alphaOf(rgba) {
  const out = new Uint8Array(rgba.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4 + 3];
  return out;
}
