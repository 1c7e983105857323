// The demo page: a small back office on `permsnap server --demo`, for the
// product whose catalog the server holds (products.js). No bundler, ES
// modules, the package straight from /pkg/.
//
// Fail closed: /pkg/permsnap.css (in index.html) keeps every control
// unusable until the gate decides it; if the wasm cannot load or the token
// does not verify, the page gates everything with no snapshot (the package
// README's recovery). Live: `follow()` keeps the snapshot current with the
// server's change events, so an admin's change re-gates this page without
// a reload.
import init, { Permissions, gate } from "/pkg/index.js";
import { follow } from "/pkg/live.js";
import * as api from "./api.js";
import { adminPanel } from "./admin.js";
import { auditPanel } from "./audit.js";
import { $, h, userName } from "./dom.js";
import { showProduct } from "./products.js";
import { ssoForm } from "./sso.js";

const params = new URLSearchParams(location.search);
const ttl = params.get("ttl") ? Number(params.get("ttl")) : undefined; // seconds (tests use short snapshots)

let wasmError = null;
try {
  await init();
} catch (e) {
  wasmError = e; // PermsnapError wasm_unavailable: a CSP without 'wasm-unsafe-eval', a 403 ...
}
let [dir, catalog] = await Promise.all([api.directory(), api.catalog()]);
// The issuer's keys, by URL: the package fetches them (the HTTP cache keeps
// them 60 s) and, when a token names a key they lack (a key rotation), reads
// them again past the cache by itself.
const JWKS = api.JWKS_URL;
// The catalog manifest a token names, fetched once (the package keeps it by hash).
let manifestText = null;
const manifest = async () => (manifestText ??= await api.manifest());
showProduct(catalog);

const state = {
  user: params.get("user") ?? dir.users[0].id,
  label: Number(params.get("label") ?? dir.labels[0].id),
  perms: null,
  stopGate: null,
  stopFollow: null,
  updates: 0,
  loading: 0, // the latest load; an older one that finishes later is dropped
};

const body = document.body.dataset;
const admin = adminPanel({ catalog, actor: () => state.user, applied: () => reloadData() });
const audit = auditPanel();
if ($("sso-form")) ssoForm({ loggedIn: (user, token) => switchTo(user, { token }) });

function setStatus(text, ok) {
  $("status").textContent = text;
  $("status").className = `status ${ok ? "ok" : "bad"}`;
}

const LIVE_TEXT = {
  connecting: "connecting to change events…",
  live: "● live",
  reconnecting: "reconnecting…",
  stopped: "not following",
};
function setLive(status, detail) {
  body.live = status;
  $("live").textContent = LIVE_TEXT[status] ?? status;
  $("live").className = `live ${status}`;
  $("live").title = detail ?? "";
}

function pickers() {
  $("user").replaceChildren(...dir.users.map((u) => new Option(userName(u), u.id)));
  $("label").replaceChildren(...dir.labels.map((l) => new Option(`${l.id} ${l.name}${l.closed ? " (closed)" : ""}`, l.id)));
  $("user").value = state.user;
  $("label").value = String(state.label);
}

/** The directory and the audit log again (after an op, an SSO login, or an update of this page's snapshot). */
let dataLoad = null;
let dataAgain = false;
function reloadData() {
  if (dataLoad) {
    dataAgain = true;
    return dataLoad;
  }
  dataLoad = (async () => {
    do {
      dataAgain = false;
      try {
        dir = await api.directory();
        pickers();
        admin.render(dir, state.label);
      } catch {
        // the server is away: keep what is shown
      }
      await audit.refresh();
    } while (dataAgain);
  })().finally(() => {
    dataLoad = null;
  });
  return dataLoad;
}

function render() {
  const p = state.perms;
  $("allowed").replaceChildren(...(p ? p.allowed(state.label) : []).map((a) => h("li", {}, a)));
  body.user = state.user;
  body.label = String(state.label);
  body.verified = String(p !== null);
  body.updates = String(state.updates);
  tick();
}

function tick() {
  const p = state.perms;
  if (!p) {
    $("countdown").textContent = "";
    return;
  }
  const left = Math.max(0, Math.round((p.expiresAt.getTime() - Date.now()) / 1000));
  $("countdown").textContent =
    left > 0 ? `snapshot expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : "snapshot expired: everything is gated";
  $("countdown").className = `countdown ${left > 0 ? "" : "bad"}`;
}
setInterval(tick, 250);

/** An attacker drops their restriction roles from the snapshot: the signature no longer matches. */
function tamper(token) {
  const [header, payload, signature] = token.split(".");
  const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
  for (const l of claims.psnap.l) if (l.length === 4) l[3] = [];
  const forged = btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${header}.${forged}.${signature}`;
}

/** Stops following and gating the current snapshot (the gate then denies everything until the next one). */
function release() {
  state.stopFollow?.();
  state.stopFollow = null;
  state.perms?.dispose();
  state.perms = null;
}

function followErrors(error, phase) {
  const code = error?.code ?? error?.message ?? String(error);
  $("live").title = `last failure (${phase}): ${code}; the snapshot is kept until it expires`;
}

/** Verifies a snapshot for the picked user, gates the page with it (or with none) and follows its changes. */
async function load({ tampered = false, token = null } = {}) {
  const mine = ++state.loading;
  body.loads = String(state.loading); // the e2e tests tell a fresh verification from an update by it
  body.ready = "false";
  release();
  const user = state.user;
  let perms = null;
  let failure = null;
  let first = token;
  try {
    first ??= await api.token(user, ttl);
    if (wasmError) throw wasmError;
    perms = await Permissions.verify(tampered ? tamper(first) : first, JWKS, { audience: "backoffice", manifest });
  } catch (e) {
    failure = e;
  }
  if (mine !== state.loading) {
    perms?.dispose();
    return;
  }
  state.perms = perms;
  state.updates = 0;
  state.stopGate?.();
  state.stopGate = gate($("app"), perms, { label: state.label });
  if (perms) {
    const verified = () => setStatus(`verified: snapshot of ${perms.subject}, key ${perms.kid.slice(0, 8)}…`, true);
    verified();
    perms.subscribe(() => {
      if (perms !== state.perms) return;
      if (!perms.expired) verified(); // an update may be signed by a new key (after a rotation)
      if (!perms.expired) {
        state.updates++;
        reloadData(); // this user's record changed: show it
      }
      render();
    });
    state.stopFollow = follow(perms, {
      events: api.EVENTS,
      initialToken: first,
      token: () => api.token(user, ttl),
      onStatus: (s) => setLive(s),
      onError: followErrors,
    });
  } else {
    setStatus(`not verified (${failure?.code ?? failure?.name}): everything is gated`, false);
    setLive("stopped", "no verified snapshot to follow");
  }
  body.tampered = String(tampered);
  render();
  body.ready = "true";
}

/** Switches the page to `user` (the picker, or an SSO login with its token). */
async function switchTo(user, { token = null } = {}) {
  state.user = user;
  params.set("user", user);
  history.replaceState(null, "", `?${params}`);
  if (!dir.users.some((u) => u.id === user)) await reloadData();
  $("user").value = user;
  await load({ token });
  admin.render(dir, state.label);
}

$("user").addEventListener("change", () => switchTo($("user").value));
$("label").addEventListener("change", () => {
  state.label = Number($("label").value);
  params.set("label", String(state.label));
  history.replaceState(null, "", `?${params}`);
  state.stopGate?.();
  state.stopGate = gate($("app"), state.perms, { label: state.label });
  admin.render(dir, state.label);
  render();
});
$("refresh").addEventListener("click", () => load());
$("tamper").addEventListener("click", () => load({ tampered: true }));

// The roles table: what each role, additional role and restriction role grants or takes away.
function matrix() {
  $("matrix-title").textContent = `(${catalog.title}: ✓ granted, ◐ with conditions, ✗ taken away)`;
  const head = h("tr", {}, h("th"), ...catalog.permissions.map((p) => h("th", { title: `${p.section}: ${p.title}` }, p.id)));
  const rows = catalog.rows.map((r) =>
    h(
      "tr",
      { className: r.kind },
      h("th", { title: `${r.kind} ${r.id}` }, r.title),
      ...r.cells.map((c) => h("td", {}, c === "" ? "" : r.kind === "restriction" ? "✗" : c === "yes" ? "✓" : "◐")),
    ),
  );
  $("matrix").replaceChildren(head, ...rows);
}

pickers();
admin.render(dir, state.label);
matrix();
audit.refresh();
await load();
