// The account page: sign-up, sign-in, activation notice, balance and purchases,
// agreement updates, sessions, password change and cancellation. Everything
// goes through api.js; nothing here ever touches an image. Offline (the service
// worker serves this page from its cache) it shows the last synced state and
// disables everything that needs the server, until the connection is back.

import { ApiError, api, cachedSync, reconnector, sync } from "./api.js";

const $ = (id) => document.getElementById(id);
const BLOCKER_TEXT = {
  not_activated: "Your account is not activated yet.",
  account_too_new: "Accounts can be cancelled once they are 7 days old.",
  checkout_pending: "A purchase is still in progress: finish or cancel it first.",
  dispute_open: "A dispute about this account is open; our support team will contact you.",
  balance_not_forfeited: "You still have credits: tick the box to give them up.",
};
const DOC_NAMES = { terms: "Terms of service", privacy: "Privacy policy" };
let current = [];  // agreement versions in effect: [{document, version}]

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function say(message) {
  $("error").hidden = true;
  $("notice").textContent = message;
  $("notice").hidden = !message;
}

function fail(err) {
  $("error").textContent = err instanceof ApiError ? err.message : `Could not reach the server (${err.message}).`;
  $("error").hidden = false;
  if (err instanceof ApiError && err.code === "agreement_outdated") showAgreements(err.required);
}

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

function when(iso) {
  return new Date(iso).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "numeric" });
}

/** Wire a form to an async action; errors appear as sentences, the page keeps working. */
function onSubmit(id, action) {
  $(id).addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = event.target.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await action(fields(event.target), event.target);
    } catch (err) {
      fail(err);
    } finally {
      button.disabled = false;
    }
  });
}

async function loadTexts() {
  const { documents } = await api("GET", "/api/agreements/current");
  current = documents.map((d) => ({ document: d.document, version: d.version }));
  for (const doc of documents) {
    for (const node of document.querySelectorAll(`[data-doc="${doc.document}"]`)) {
      node.textContent = node.tagName === "PRE" ? doc.content : `version ${doc.version}`;
    }
  }
  return documents;
}

async function showAgreements(required) {
  if (!required || !required.length) return;
  const box = $("agreement-texts");
  box.replaceChildren();
  for (const ref of required) {
    const doc = await api("GET", `/api/agreements/${ref.document}/${ref.version}`);
    const details = el("details");
    details.open = true;
    details.append(el("summary", `${doc.title} (version ${doc.version}, in effect since ${when(doc.effective_at)})`),
      el("pre", doc.content, { class: "doc" }));
    box.append(details);
  }
  $("accept-agreements").onclick = async () => {
    try {
      for (const ref of required) await api("POST", "/api/agreements/acceptances", ref);
      $("agreements").close();
      await refresh();
      say("Thank you. You can spend and buy credits again.");
    } catch (err) {
      fail(err);
    }
  };
  if (!$("agreements").open) $("agreements").showModal();
}

function renderBalance(balance) {
  $("balance").textContent = `${balance.total} credit${balance.total === 1 ? "" : "s"}`;
  $("lots").tBodies[0].replaceChildren(...balance.lots.map((lot) => {
    const row = el("tr");
    row.append(el("td", String(lot.remaining)), el("td", lot.source === "free" ? "free" : "bought"),
      el("td", when(lot.expires_at)));
    return row;
  }));
}

function renderCredits(history) {
  const { balance, entries } = history;
  renderBalance(balance);
  const names = { grant: "added", spend: "HD export", expire: "expired", forfeit: "given up" };
  $("history").replaceChildren(...entries.map((e) =>
    el("li", `${when(e.at)}: ${e.delta > 0 ? "+" : ""}${e.delta} (${names[e.kind] || e.kind}; lot expires ${when(e.lot_expires_at)})`)));
}

async function renderPacks(canBuy) {
  const health = await api("GET", "/api/health");
  $("test-provider").hidden = health.payment_provider !== "test";
  const packs = await api("GET", "/api/credits/packs");
  $("packs").replaceChildren(...packs.map((pack) => {
    const price = (pack.price_cents / 100).toLocaleString(undefined, { style: "currency", currency: pack.currency });
    const button = el("button", `${pack.credits} credits for ${price} (valid ${pack.lifetime_days} days)`, { type: "button" });
    button.disabled = !canBuy;
    button.addEventListener("click", async () => {
      try {
        const checkout = await api("POST", "/api/payments/checkouts", { pack_id: pack.pack_id });
        location.assign(checkout.redirect_url);
      } catch (err) {
        fail(err);
      }
    });
    return button;
  }));
}

async function renderSessions() {
  const sessions = await api("GET", "/api/sessions");
  $("sessions").replaceChildren(...sessions.map((s) => {
    const item = el("li", `${s.current ? "This device" : s.user_agent || "Unknown device"}, signed in ${when(s.created_at)}`);
    if (!s.current) {
      const revoke = el("button", "Sign out there", { type: "button" });
      revoke.addEventListener("click", async () => {
        try {
          await api("DELETE", `/api/sessions/${encodeURIComponent(s.session_id)}`);
          await renderSessions();
        } catch (err) {
          fail(err);
        }
      });
      item.append(revoke);
    }
    return item;
  }));
}

async function renderCancellation() {
  const status = await api("GET", "/api/cancellation");
  const hard = status.blockers.filter((b) => b !== "balance_not_forfeited");
  $("blockers").replaceChildren(...hard.map((b) => el("li", BLOCKER_TEXT[b] || b)));
  $("forfeit-row").hidden = status.balance === 0;
  $("forfeit-amount").textContent = String(status.balance);
  $("cancel").querySelector("button").disabled = !status.can_request;
  if (status.pending_confirmation) say("We emailed you a link to confirm the cancellation.");
}

/** Offline: one disabled fieldset holds every form and button that needs the server. */
function showNetwork(offline, state) {
  $("needs-server").disabled = offline;
  $("accept-agreements").disabled = offline;
  $("offline").hidden = !offline;
  const synced = state && state.signed_in
    ? new Date(state.server_time).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" }) : "";
  $("offline").textContent = synced
    ? `You are offline: this is your account as last synced, ${synced}. Buying credits, signing in or out and every change need a connection.`
    : "You are offline: signing in and creating an account need a connection.";
}

/** Listed on the page too, so they stay in view after "Later" and while offline. */
function renderToAccept(refs) {
  $("to-accept").hidden = !refs.length;
  $("to-accept-list").replaceChildren(...refs.map((r) => el("li", `${DOC_NAMES[r.document] || r.document}, version ${r.version}`)));
}

/** What only the server knows, said instead of left blank. */
function renderOfflineGaps() {
  $("history").replaceChildren(el("li", "The history needs a connection."));
  $("packs").replaceChildren(el("p", "Buying credits needs a connection."));
  $("sessions").replaceChildren(el("li", "The list of devices needs a connection."));
  $("blockers").replaceChildren();
}

async function syncOrOffline() {
  try {
    return await sync();
  } catch (err) {
    if (err instanceof ApiError) throw err;
    return { state: null, offline: true }; // offline, nothing synced on this device yet
  }
}

async function refresh() {
  const { state, offline } = await syncOrOffline();
  const signedIn = !!(state && state.signed_in);
  if (offline) {
    reconnect.offline();
  } else {
    reconnect.online();
    if (!$("offline").hidden) $("error").hidden = true; // back online: it most likely said "could not reach the server"
  }
  showNetwork(offline, state);
  $("signed-in").hidden = !signedIn;
  $("signed-out").hidden = signedIn;
  if (!signedIn) return;
  const account = state.account;
  $("who").textContent = `Signed in as ${account.email}${account.status === "restricted"
    ? ` (restricted: ${account.restricted_reason})` : ""}.`;
  $("activation").hidden = account.status !== "pending_activation";
  renderToAccept(state.agreements_to_accept);
  if (offline) {
    renderBalance(state.balance);
    renderOfflineGaps();
    return;
  }
  // Independent requests: fetch them together so the page fills in at once.
  await Promise.all([
    api("GET", "/api/credits").then(renderCredits),
    renderPacks(state.entitlements.includes("buy_credits")),
    renderSessions(),
    renderCancellation(),
  ]);
  if (state.agreements_to_accept.length) await showAgreements(state.agreements_to_accept);
}

onSubmit("login", async (data) => {
  await api("POST", "/api/sessions", { email: data.email, password: data.password });
  say("");
  await refresh();
});

onSubmit("forgot", async (data) => {
  await api("POST", "/api/password-resets", { email: data.email });
  say("If an account uses that email, a reset link is on its way. It works once, for one hour.");
});

onSubmit("signup", async (data, form) => {
  await api("POST", "/api/accounts", {
    email: data.email, password: data.password, birth_date: data.birth_date,
    display_name: data.display_name || "", accepted: current,
  });
  await api("POST", "/api/sessions", { email: data.email, password: data.password });
  form.reset();
  say(`Account created. Open the link we sent to ${data.email} to activate it and receive your free credits.`);
  await refresh();
});

onSubmit("password", async (data, form) => {
  await api("POST", "/api/account/password", data);
  form.reset();
  say("Password changed. Your other devices were signed out.");
  await renderSessions();
});

onSubmit("cancel", async (data, form) => {
  try {
    await api("POST", "/api/cancellation", { password: data.password, forfeit_balance: data.forfeit_balance === "on" });
  } catch (err) {
    if (err.code === "cancellation_blocked") {
      $("blockers").replaceChildren(...err.blockers.map((b) => el("li", BLOCKER_TEXT[b] || b)));
    }
    throw err;
  }
  form.reset();
  say("Check your email: the link there cancels the account for good. Nothing has changed yet.");
});

$("resend").addEventListener("click", async () => {
  try {
    await api("POST", "/api/accounts/activation-mail");
    say("We sent the activation email again.");
  } catch (err) {
    fail(err);
  }
});

$("logout").addEventListener("click", async () => {
  try {
    await api("DELETE", "/api/sessions/current");
    say("You are signed out.");
    await refresh();
  } catch (err) {
    fail(err);
  }
});

/** Load (or reload, back online) everything; offline, refresh() says so and loadTexts waits. */
function start() {
  const texts = loadTexts().catch((err) => { if (err instanceof ApiError) throw err; });
  return Promise.all([texts, refresh()]).catch(fail);
}

const reconnect = reconnector(start);
window.addEventListener("offline", () => showNetwork(true, cachedSync()));
start();
