// Client for the sync server's JSON API (/api/...). Same origin only; the
// CSRF token is read from the cutout_csrf cookie and echoed in X-CSRF-Token,
// as the server requires for every POST and DELETE. Other pages (the HD
// export in the app) import this module too: see spendForHdExport below.

const SAFE = new Set(["GET", "HEAD"]);

/** Plain sentences for the server's error codes (the server's message is used otherwise). */
export const ERROR_TEXT = {
  agreement_outdated: "New terms need your OK before you spend or buy credits.",
  insufficient_credits: "You have no credits left. Buy a pack, or export a preview (up to 1000 px) for free.",
  account_not_activated: "Activate your account from the email we sent you first.",
  reverification_required: "Confirm your email again: we sent you a link.",
  rate_limited: "Too many attempts. Wait a little and try again.",
  not_authenticated: "Please sign in.",
  csrf_failed: "The page was open too long. Reload it and try again.",
  payments_unavailable: "Buying credits is not available on this server.",
};

export class ApiError extends Error {
  constructor(status, body) {
    super(ERROR_TEXT[body.code] || body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || "http_error";
    this.blockers = body.blockers || [];
    this.required = body.required || [];
  }
}

function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === "cutout_csrf" || name === "__Host-cutout_csrf") return rest.join("=");
  }
  return "";
}

async function ensureCsrf() {
  if (!csrfToken()) await fetch("/api/csrf", { credentials: "same-origin" });
  return csrfToken();
}

/** Call the API; resolves to the parsed JSON body (or null), rejects with ApiError. */
export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (!SAFE.has(method)) headers["X-CSRF-Token"] = await ensureCsrf();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await resp.text();
  const data = text ? JSON.parse(text) : null;
  if (!resp.ok) throw new ApiError(resp.status, data || {});
  return data;
}

export const SYNC_CACHE = "cutout.sync";
/** Fired on window after a spend; detail.balance is the new total. The app's header listens. */
export const CREDITS_CHANGED = "cutout:credits-changed";

/** The last state sync() stored, or null: what the pages show while offline. */
export function cachedSync() {
  try {
    return JSON.parse(localStorage.getItem(SYNC_CACHE) || "null");
  } catch {
    return null; // a damaged entry is as good as none; the next sync overwrites it
  }
}

/** The client's state; cached in localStorage so the app can show it offline. */
export async function sync() {
  try {
    if (!navigator.onLine) throw new TypeError("no network connection"); // asking would only fail
    const state = await api("GET", "/api/sync");
    localStorage.setItem(SYNC_CACHE, JSON.stringify(state));
    return { state, offline: false };
  } catch (err) {
    if (err instanceof ApiError) throw err;
    const cached = cachedSync();
    if (cached) return { state: cached, offline: true };
    throw err;
  }
}

/** Calls `again` when the server may be reachable again: at once on the browser's
 * "online" event, and, after a failed sync, after 5, 10, 20 then every 30 seconds.
 * navigator.onLine only knows the device's own link: a server that was down, a
 * captive portal or an emulated network come back without an "online" event.
 * Callers report each sync's outcome with offline() / online(). */
export function reconnector(again) {
  let timer = null;
  let tries = 0;
  const run = () => { clearTimeout(timer); timer = null; again(); };
  window.addEventListener("online", () => { tries = 0; run(); });
  return {
    offline() {
      if (timer === null) timer = setTimeout(run, Math.min(5000 * 2 ** tries++, 30000));
    },
    online() {
      clearTimeout(timer);
      timer = null;
      tries = 0;
    },
  };
}

/** SHA-256 of the image bytes, hex: the only thing about an image the server sees. */
export async function fingerprint(bytes) {
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** Spend one credit for an HD export of these image bytes; returns the signed grant.
 * The same key always returns the same grant and charges once, so a retry after a
 * network failure is safe: pass the key you used before. */
export async function spendForHdExport(imageBytes, idempotencyKey = crypto.randomUUID()) {
  const grant = await api("POST", "/api/credits/spend", {
    idempotency_key: idempotencyKey, fingerprint: await fingerprint(imageBytes),
  });
  const grants = JSON.parse(localStorage.getItem("cutout.grants") || "[]");
  grants.push(grant);
  localStorage.setItem("cutout.grants", JSON.stringify(grants.slice(-200)));
  window.dispatchEvent(new CustomEvent(CREDITS_CHANGED, { detail: { balance: grant.balance } }));
  return grant;
}
