// A photo's size from its file header, before it is decoded: while the browser
// decodes a large photo, the engine worker starts the tile helpers, the
// sessions the photo's job will use, and the buffer its pixels will fill
// (worker.js, image-io.js), and a large JPEG's reduced decode. JPEG, PNG and
// WebP: {width, height, format: "jpeg" | "png" | "webp"}, as stored (before
// any EXIF rotation); null for anything else or a header it cannot read (the
// decoded size decides then).

const HEAD_BYTES = 512 * 1024; // a JPEG's frame header follows its EXIF/XMP blocks (~64 KB each)

export async function headerSize(blob) {
  const b = new Uint8Array(await blob.slice(0, HEAD_BYTES).arrayBuffer());
  const u16 = (i) => (b[i] << 8) | b[i + 1];
  const u32 = (i) => ((b[i] << 24) >>> 0) + (b[i + 1] << 16) + (b[i + 2] << 8) + b[i + 3];
  const le16 = (i) => b[i] | (b[i + 1] << 8);
  const le24 = (i) => b[i] | (b[i + 1] << 8) | (b[i + 2] << 16);
  const tag = (i, s) => String.fromCharCode(...b.subarray(i, i + s.length)) === s;
  let format = "png";
  const size = (width, height) => (width > 0 && height > 0 ? { width, height, format } : null);
  if (b.length >= 24 && b[0] === 0x89 && tag(1, "PNG") && tag(12, "IHDR")) return size(u32(16), u32(20));
  format = "webp";
  if (b.length >= 30 && tag(0, "RIFF") && tag(8, "WEBP")) {
    if (tag(12, "VP8 ")) return size(le16(26) & 0x3fff, le16(28) & 0x3fff);
    if (tag(12, "VP8L")) {
      const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
      return size((bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1);
    }
    if (tag(12, "VP8X")) return size(le24(24) + 1, le24(27) + 1);
    return null;
  }
  if (b[0] !== 0xff || b[1] !== 0xd8) return null;
  format = "jpeg";
  for (let i = 2; i + 9 < b.length;) { // JPEG: marker segments up to the frame header (SOFn)
    if (b[i] !== 0xff) return null;
    const marker = b[i + 1];
    if (marker === 0xff) { i += 1; continue; } // fill byte
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return size(u16(i + 7), u16(i + 5));
    i += 2 + u16(i + 2);
  }
  return null;
}
