// Bench-only page: runs IMG.LY's removeBackground on a URL of our origin and
// reports its time. Served by bench/browser_peer.py, never by the app server.
import { removeBackground } from "./imgly/index.mjs";

const config = {
  publicPath: new URL("./data/", location.href).href,
  model: new URLSearchParams(location.search).get("model") || "isnet_fp16",
  device: "cpu",
  output: { format: "image/png", type: "foreground" },
};

window.runPeer = async (imageUrl, keepResult) => {
  const input = await (await fetch(imageUrl)).blob();
  const started = performance.now();
  const blob = await removeBackground(input, config);
  const ms = performance.now() - started;
  if (!keepResult) return { ms, bytes: blob.size };
  const data = new Uint8Array(await blob.arrayBuffer());
  let text = "";
  for (let i = 0; i < data.length; i += 0x8000) text += String.fromCharCode(...data.subarray(i, i + 0x8000));
  return { ms, bytes: blob.size, png: btoa(text) };
};
document.getElementById("state").textContent = "ready";
document.body.dataset.ready = "1";
