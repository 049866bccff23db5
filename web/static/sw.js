// Service worker (template: build.py prepends VERSION, BUILD_ID and PRECACHE,
// generated from the asset manifest by buildlib/pwa.py).
//
// - Install stores this build's app shell in its own versioned cache.
// - It never takes over by itself while an older version runs: the page asks
//   ("skip-waiting") once the person accepted the update and no cutout is running.
// - Activate deletes the shell caches of older builds.
// - Runtime and model bytes live in the cache that js/engine/assets.js owns and
//   verifies ("cutout-assets-v1"); this worker only reads it, so offline
//   requests for them are answered without storing any byte twice.
// - The account API, the widget's config and other origins always go to the network;
//   the account page itself is precached and opens offline (it shows the last sync).

/* global VERSION, BUILD_ID, PRECACHE */
const SHELL_PREFIX = "cutout-shell-";
const SHELL = SHELL_PREFIX + VERSION;
const ASSETS = "cutout-assets-v1"; // must match js/engine/assets.js
const SHARE = "cutout-share"; // one shared image, handed from the share target to the page
const NETWORK_ONLY = [/^\/api\//, /^\/schema/, /^\/widget\/config\.json$/, /^\/links\//];

self.addEventListener("install", (event) => {
  event.waitUntil(precache());
});

async function precache() {
  const cache = await caches.open(SHELL);
  await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
  // The shell and the asset manifest must come from the same build as this
  // worker; if the server was updated mid-install, fail and let the next
  // update check install the newer worker instead.
  const manifest = await (await cache.match("/asset-manifest.json")).json();
  if (manifest.build_id !== BUILD_ID) {
    await caches.delete(SHELL);
    throw new Error(`asset manifest is build ${manifest.build_id}, this worker is ${BUILD_ID}`);
  }
}

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((n) => n.startsWith(SHELL_PREFIX) && n !== SHELL).map((n) => caches.delete(n)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  const msg = event.data || {};
  if (msg.type === "skip-waiting") self.skipWaiting();
  else if (msg.type === "version" && event.source) event.source.postMessage({ type: "version", version: VERSION, build: BUILD_ID });
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method === "POST" && url.pathname === "/share-target") {
    event.respondWith(receiveShare(request));
    return;
  }
  if (request.method !== "GET" || NETWORK_ONLY.some((re) => re.test(url.pathname))) return;
  event.respondWith(respond(request, url));
});

async function respond(request, url) {
  const shell = await caches.open(SHELL);
  // Navigations carry the app's query (?backend=, ?test=): the page is the same.
  const hit = await shell.match(request, { ignoreSearch: request.mode === "navigate" });
  if (hit) return hit;
  const assets = await caches.open(ASSETS);
  try {
    return await fetch(request);
  } catch (offline) {
    const stored = await assets.match(url.href);
    if (stored) return stored;
    if (request.mode === "navigate") {
      const page = await shell.match(offlinePage(url.pathname));
      if (page) return page;
    }
    throw offline;
  }
}

// The precache holds each page as its index.html; /account/ and /widget/ must
// open as themselves offline, not as the app.
function offlinePage(path) {
  for (const section of ["/account", "/widget"]) {
    if (path.startsWith(section + "/")) return section + "/index.html";
  }
  return "/";
}

// Web Share Target (manifest "share_target"): keep the image for the page and
// open the app; js/pwa.js picks it up from ?share=1. The image stays on the device.
async function receiveShare(request) {
  try {
    const form = await request.formData();
    const file = form.get("image");
    if (file && typeof file !== "string") {
      const cache = await caches.open(SHARE);
      await cache.put("/shared-image", new Response(file, { headers: { "Content-Type": file.type || "application/octet-stream" } }));
    }
  } catch (e) {
    console.warn("share target: could not read the shared file", e);
  }
  return Response.redirect("/?share=1", 303);
}
