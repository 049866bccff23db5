// One part of a PNG's image data, filtered and compressed (png.js says why in
// parts): rows arrive with the row above them (the "Up" filter reads it), the
// part's DEFLATE blocks leave ending on a byte boundary (a sync flush) unless
// it is the image's last, with the Adler-32 of the filtered bytes.

import { Deflate } from "../../vendor/fflate/fflate.mjs";

function filterUp(rows, rowBytes, first) {
  // rows: [the row above, when not the first part] + the part's rows
  const above = first ? 0 : 1;
  const count = rows.length / rowBytes - above;
  const out = new Uint8Array((rowBytes + 1) * count);
  for (let y = 0; y < count; y++) {
    const at = y * (rowBytes + 1), src = (y + above) * rowBytes;
    if (first && y === 0) {
      out[at] = 0; // None: nothing above the image's first row
      out.set(rows.subarray(0, rowBytes), at + 1);
      continue;
    }
    out[at] = 2; // Up: difference to the row above
    for (let i = 0; i < rowBytes; i++) out[at + 1 + i] = (rows[src + i] - rows[src - rowBytes + i]) & 0xff;
  }
  return out;
}

function adler32(bytes) {
  let a = 1, b = 0;
  for (let i = 0; i < bytes.length;) {
    const end = Math.min(i + 3800, bytes.length); // sums stay below 2^31 between the modulos
    for (; i < end; i++) { a += bytes[i]; b += a; }
    a %= 65521;
    b %= 65521;
  }
  return ((b << 16) | a) >>> 0;
}

self.onmessage = ({ data: { id, rows, rowBytes, first, last, level } }) => {
  try {
    const raw = filterUp(rows, rowBytes, first);
    const parts = [];
    let size = 0;
    const deflate = new Deflate({ level }, (chunk) => { parts.push(chunk); size += chunk.length; });
    deflate.push(raw, last);
    if (!last) deflate.flush(true); // byte-aligned, not final: the next part's blocks follow
    const data = new Uint8Array(size);
    let at = 0;
    for (const p of parts) { data.set(p, at); at += p.length; }
    self.postMessage({ id, data, adler: adler32(raw), length: raw.length }, [data.buffer]);
  } catch (e) {
    self.postMessage({ id, error: String((e && e.message) || e) });
  }
};
