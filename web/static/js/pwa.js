// Installable app: registers the service worker, offers a new build as a
// reload that never interrupts a running cutout, and takes images that the
// operating system hands to the installed app (file handler, share target).
// The page's state for tests and people: body[data-sw] = "controlled" once the
// worker serves this page; body[data-update] = "available" | "waiting-for-job".

const SHARE_CACHE = "cutout-share"; // written by sw.js
const $ = (id) => document.getElementById(id);

function jobRunning() {
  return document.body.dataset.job === "running"; // set by app.js while a cutout runs
}

/** Resolves once no cutout is running (app.js flips body[data-job]). */
function whenIdle() {
  if (!jobRunning()) return Promise.resolve();
  return new Promise((resolve) => {
    const watch = new MutationObserver(() => {
      if (!jobRunning()) { watch.disconnect(); resolve(); }
    });
    watch.observe(document.body, { attributes: true, attributeFilter: ["data-job"] });
  });
}

function banner() {
  let box = $("pwa-update");
  if (box) return box;
  box = document.createElement("div");
  box.id = "pwa-update";
  box.className = "pwa-update";
  box.setAttribute("role", "status");
  const text = document.createElement("span");
  text.textContent = "A new version of Cutout Studio is ready.";
  const button = document.createElement("button");
  button.type = "button";
  button.className = "button primary";
  button.id = "pwa-reload";
  button.textContent = "Reload";
  box.append(text, button);
  document.body.append(box);
  return box;
}

/** Show the offer; on acceptance wait for the running job, then switch and reload. */
function offerUpdate(activate) {
  const box = banner();
  document.body.dataset.update = "available";
  const button = box.querySelector("button");
  button.onclick = async () => {
    button.disabled = true;
    if (jobRunning()) {
      document.body.dataset.update = "waiting-for-job";
      button.textContent = "Reloading after this cutout…";
      await whenIdle();
    }
    document.body.dataset.update = "reloading";
    activate();
  };
}

async function registerServiceWorker() {
  const sw = navigator.serviceWorker;
  const hadController = !!sw.controller;
  let accepted = false;
  const reload = () => { accepted = true; location.reload(); };
  sw.addEventListener("controllerchange", () => {
    if (!hadController) { document.body.dataset.sw = "controlled"; return; } // first install claimed the page
    if (accepted) return;
    offerUpdate(reload); // another tab switched to the new build: this page runs the old one
  });
  const reg = await sw.register("/sw.js", { scope: "/" });
  const offer = (worker) => offerUpdate(() => {
    accepted = true;
    sw.addEventListener("controllerchange", () => location.reload(), { once: true });
    worker.postMessage({ type: "skip-waiting" });
  });
  if (reg.waiting && sw.controller) offer(reg.waiting);
  reg.addEventListener("updatefound", () => {
    const worker = reg.installing;
    if (!worker) return;
    worker.addEventListener("statechange", () => {
      if (worker.state === "installed" && sw.controller) offer(worker);
    });
  });
  if (sw.controller) document.body.dataset.sw = "controlled";
  // look for a new build whenever the app comes back to the foreground, and hourly
  document.addEventListener("visibilitychange", () => { if (!document.hidden) reg.update().catch(() => {}); });
  setInterval(() => reg.update().catch(() => {}), 3600_000);
}

/** Hand a file to the app exactly as if the person had chosen it. */
function openInApp(file) {
  const input = $("file");
  if (!input || !file) return;
  const transfer = new DataTransfer();
  transfer.items.add(file);
  input.files = transfer.files;
  input.dispatchEvent(new Event("change"));
}

function acceptLaunchFiles() {
  if ("launchQueue" in window) {
    window.launchQueue.setConsumer(async (params) => {
      if (params.files && params.files.length) openInApp(await params.files[0].getFile());
    });
  }
  const params = new URLSearchParams(location.search);
  if (params.get("share") !== "1" || !self.caches) return;
  caches.open(SHARE_CACHE).then(async (cache) => {
    const hit = await cache.match("/shared-image");
    if (!hit) return;
    const blob = await hit.blob();
    await cache.delete("/shared-image");
    openInApp(new File([blob], "shared-image", { type: blob.type }));
  }).catch((e) => console.warn("could not read the shared image", e));
}

function showConnectivity() {
  const update = () => { document.body.dataset.network = navigator.onLine ? "online" : "offline"; };
  window.addEventListener("online", update);
  window.addEventListener("offline", update);
  update();
}

if ("serviceWorker" in navigator && new URLSearchParams(location.search).get("sw") !== "0") {
  registerServiceWorker().catch((e) => {
    document.body.dataset.sw = "failed";
    console.warn("service worker registration failed; the app works, but not offline", e);
  });
}
acceptLaunchFiles();
showConnectivity();
