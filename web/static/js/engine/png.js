// Minimal PNG encoder: 8-bit RGBA (colour type 6) or grey (type 0), "Up"
// row filter, zlib via the browser's CompressionStream. Exact: no colour
// management, no premultiplication.

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(parts) {
  let c = 0xffffffff;
  for (const bytes of parts) for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = new Uint8Array(8);
  const view = new DataView(head.buffer);
  view.setUint32(0, data.length);
  const name = new TextEncoder().encode(type);
  head.set(name, 4);
  const tail = new Uint8Array(4);
  new DataView(tail.buffer).setUint32(0, crc32([name, data]));
  return [head, data, tail];
}

function filtered(pixels, width, height, channels) {
  const row = width * channels;
  const out = new Uint8Array((row + 1) * height);
  for (let y = 0; y < height; y++) {
    const at = y * (row + 1);
    const src = y * row;
    if (y === 0) {
      out[at] = 0; // None
      out.set(pixels.subarray(0, row), at + 1);
      continue;
    }
    out[at] = 2; // Up: difference to the row above
    for (let i = 0; i < row; i++) out[at + 1 + i] = (pixels[src + i] - pixels[src - row + i]) & 0xff;
  }
  return out;
}

export async function encodePng(pixels, width, height, channels) {
  const ihdr = new Uint8Array(13);
  const v = new DataView(ihdr.buffer);
  v.setUint32(0, width);
  v.setUint32(4, height);
  ihdr.set([8, channels === 4 ? 6 : 0, 0, 0, 0], 8);
  const raw = filtered(pixels, width, height, channels);
  const zlib = new Uint8Array(await new Response(new Blob([raw]).stream().pipeThrough(new CompressionStream("deflate"))).arrayBuffer());
  const signature = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const parts = [signature, ...chunk("IHDR", ihdr), ...chunk("IDAT", zlib), ...chunk("IEND", new Uint8Array(0))];
  return new Blob(parts, { type: "image/png" });
}
