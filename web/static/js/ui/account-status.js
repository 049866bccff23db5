// The account line in the app's header. The cutout never needs an account, so
// this only informs: the balance and what waits on the account page, or, offline,
// the last synced balance and that account features need a connection.
// It shows the cached state at once (no empty slot that fills in later), then
// asks the server. Tests read #account[data-state]: signed-out | signed-in |
// offline | unknown.

import { ApiError, CREDITS_CHANGED, SYNC_CACHE, cachedSync, reconnector, sync } from "../../account/api.js";

const NEEDS_CONNECTION = "Account features need a connection.";

function link(text) {
  const a = document.createElement("a");
  a.href = "/account/";
  a.textContent = text;
  return a;
}

function credits(n) {
  return `${n} credit${n === 1 ? "" : "s"}`;
}

/** "10:03", or "3 Jun 10:03" when the state is from another day. */
function asOf(iso) {
  const at = new Date(iso);
  const time = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  if (at.toDateString() === new Date().toDateString()) return time;
  return `${at.toLocaleDateString([], { day: "numeric", month: "short" })} ${time}`;
}

/** What needs the person on the account page, as short notes. */
function notes(state) {
  const out = [];
  if (state.account && state.account.status === "pending_activation") out.push("Activate your account");
  if (state.account && state.account.status === "restricted") out.push("Account restricted");
  if (state.agreements_to_accept.length) out.push("New terms to accept");
  return out;
}

/** { name, line: [nodes], note } for a state (null: none known) seen online or offline. */
function describe(state, offline) {
  const signedIn = !!(state && state.signed_in && state.balance);
  if (offline) {
    const line = signedIn ? ["Offline · ", link(credits(state.balance.total)), ` as of ${asOf(state.server_time)}`] : ["Offline"];
    return { name: "offline", line, note: NEEDS_CONNECTION };
  }
  if (!state) return { name: "unknown", line: [link("Account and credits")], note: "" };
  if (!signedIn) return { name: "signed-out", line: [link("Sign in")], note: "" };
  return { name: "signed-in", line: [link(credits(state.balance.total))], note: notes(state).join(" · ") };
}

export class AccountStatus {
  constructor(el) {
    this.el = el;
    this.offline = !navigator.onLine;
    this.requests = 0; // only the latest answer is shown
    this.show(cachedSync());
    this.reconnect = reconnector(() => this.refresh());
    window.addEventListener("offline", () => { this.offline = true; this.show(cachedSync()); });
    window.addEventListener(CREDITS_CHANGED, () => this.refresh());
    // The account page (maybe in another tab) syncs too: show what it learned.
    window.addEventListener("storage", (e) => { if (e.key === SYNC_CACHE) this.show(cachedSync()); });
    document.addEventListener("visibilitychange", () => { if (!document.hidden) this.refresh(); });
  }

  show(state) {
    const { name, line, note } = describe(state, this.offline);
    const second = document.createElement("span");
    second.className = "account-note";
    second.textContent = note;
    this.el.dataset.state = name;
    // Always two lines (the second may be empty): the header keeps its height in every state.
    this.el.replaceChildren(...line, second);
  }

  async refresh() {
    const request = ++this.requests;
    try {
      const { state, offline } = await sync();
      if (request !== this.requests) return;
      this.offline = offline;
      if (offline) this.reconnect.offline();
      else this.reconnect.online();
      this.show(state);
    } catch (err) {
      if (request !== this.requests) return;
      // An error answer means the server is there (so the cached balance may be
      // wrong: show none); anything else means offline with nothing cached.
      this.offline = !(err instanceof ApiError);
      if (this.offline) this.reconnect.offline();
      else console.warn("account status unavailable", err);
      this.show(null);
    }
  }
}
