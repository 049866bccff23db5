// The photo decoder's worker: decodes a photo with the browser's codecs
// (image-io.js decodeImage) and moves its pixels to the engine worker
// (photo-decoder.js says why). Errors go back with their code.

import { decodeImage } from "./image-io.js";

self.onmessage = async ({ data: { id, file, maxPixels, spare, size, fault } }) => {
  if (fault === "decoder-worker") { // uncaught, outside this async handler: the worker's error event, as a crash
    setTimeout(() => { throw new Error("simulated decoder worker failure"); });
    return;
  }
  try {
    const image = await decodeImage(file, maxPixels, { spare, header: Promise.resolve(size || null) });
    const { width, height, pixels } = image;
    self.postMessage({ id, width, height, pixels }, [pixels.buffer]);
  } catch (e) {
    self.postMessage({ id, error: { code: (e && e.code) || "", detail: String((e && (e.detail || e.message)) || e) } });
  }
};
