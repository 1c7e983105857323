// The demo page: no bundler, ES modules, the package straight from /pkg/.
// Fail closed: /pkg/permsnap.css (in index.html) keeps every control
// unusable until the gate decides it; if the wasm cannot load, the page
// gates everything with no snapshot (the package README's recovery).
import init, { Permissions, gate } from "/pkg/index.js";

const $ = (id) => document.getElementById(id);
const AFFILIATES = [
  { id: "A-101", name: "BestOdds Media", manager: "u7", status: "approved" },
  { id: "A-102", name: "SlotGuide", manager: "u7", status: "pending" },
  { id: "A-201", name: "Casino Radar", manager: "u9", status: "approved" },
  { id: "A-202", name: "BonusHunters", manager: "u9", status: "pending" },
];

let wasmError = null;
try {
  await init();
} catch (e) {
  wasmError = e; // PermsnapError wasm_unavailable: a CSP without 'wasm-unsafe-eval', a 403 ...
}
const [{ users, labels }, jwks] = await Promise.all([
  fetch("/api/users").then((r) => r.json()),
  fetch("/.well-known/jwks.json").then((r) => r.json()),
]);

const params = new URLSearchParams(location.search);
const state = { user: params.get("user") ?? users[0].id, label: Number(params.get("label") ?? labels[0].id), perms: null, stop: null, catalog: null };

for (const u of users) $("user").append(new Option(`${u.name} — ${u.catalog}`, u.id));
for (const l of labels) $("label").append(new Option(`${l.id} ${l.name}${l.closed ? " (closed)" : ""}`, l.id));
$("user").value = state.user;
$("label").value = String(state.label);

for (const a of AFFILIATES) {
  const res = JSON.stringify({ manager: a.manager, status: a.status });
  const tr = document.createElement("tr");
  tr.dataset.permission = "affiliate.view";
  tr.dataset.gate = "hide";
  tr.dataset.resource = res;
  tr.id = `aff-${a.id}`;
  tr.innerHTML = `<td>${a.id} ${a.name}</td><td>${a.manager}</td><td>${a.status}</td>
    <td><button data-permission="affiliate.edit" data-resource='${res}'>Edit</button>
        <button data-permission="deal.manage" data-resource='${res}'>Deals</button>
        <button data-permission="affiliate.review">Review application</button></td>`;
  $("affiliate-rows").append(tr);
}

function setStatus(text, ok) {
  $("status").textContent = text;
  $("status").className = `status ${ok ? "ok" : "bad"}`;
}

function render() {
  const p = state.perms;
  for (const s of document.querySelectorAll("section[data-catalog]")) s.hidden = s.dataset.catalog !== state.catalog;
  $("allowed").replaceChildren(...(p ? p.allowed(state.label) : []).map((a) => Object.assign(document.createElement("li"), { textContent: a })));
  document.body.dataset.user = state.user;
  document.body.dataset.label = String(state.label);
  document.body.dataset.verified = String(p !== null);
  tick();
  document.body.dataset.ready = "true";
}

function apply() {
  state.stop?.();
  state.stop = gate($("app"), state.perms, { label: state.label });
  render();
}

function tamper(token) {
  // An attacker drops their restriction roles from the snapshot: the signature no longer matches.
  const [h, p, s] = token.split(".");
  const claims = JSON.parse(atob(p.replace(/-/g, "+").replace(/_/g, "/")));
  for (const l of claims.psnap.l) if (l.length === 4) l[3] = [];
  claims.psnap.o = 1;
  const p2 = btoa(JSON.stringify(claims)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  return `${h}.${p2}.${s}`;
}

// The catalog manifest a token names, fetched once per catalog (the package
// keeps parsed manifests by hash and asks only for one it has not seen).
const manifest = ({ catalog }) => fetch(`/api/manifest?catalog=${encodeURIComponent(catalog)}`).then((r) => r.text());

async function load({ tampered = false } = {}) {
  document.body.dataset.ready = "false";
  const ttl = params.get("ttl") ? `&ttl=${encodeURIComponent(params.get("ttl"))}` : "";
  const { token, catalog } = await fetch(`/api/token?user=${encodeURIComponent(state.user)}${ttl}`).then((r) => r.json());
  state.catalog = catalog;
  state.perms?.dispose();
  state.perms = null;
  try {
    if (wasmError) throw wasmError;
    state.perms = await Permissions.verify(tampered ? tamper(token) : token, jwks, { audience: "backoffice", manifest });
    state.perms.subscribe(render);
    setStatus(`verified: snapshot of ${state.perms.subject}, key ${state.perms.kid.slice(0, 8)}…`, true);
  } catch (e) {
    setStatus(`not verified (${e.code ?? e.name}): everything is gated`, false);
  }
  document.body.dataset.tampered = String(tampered);
  apply();
  loadMatrix(catalog);
}

let matrixFor = null;
async function loadMatrix(catalog) {
  if (matrixFor === catalog) return;
  matrixFor = catalog;
  const m = await fetch(`/api/matrix?catalog=${catalog}`).then((r) => r.json());
  $("matrix-title").textContent = `(${m.title}: roles × permissions; ✓ always, ◐ with conditions, ✗ denied)`;
  const head = document.createElement("tr");
  head.append(Object.assign(document.createElement("th"), { textContent: "" }));
  for (const p of m.permissions) head.append(Object.assign(document.createElement("th"), { textContent: p.id, title: `${p.section}: ${p.title}` }));
  const rows = m.rows.map((r) => {
    const tr = document.createElement("tr");
    tr.className = r.kind;
    tr.append(Object.assign(document.createElement("th"), { textContent: r.title, title: `${r.kind} ${r.id}` }));
    for (const c of r.cells) {
      const mark = c === "" ? "" : r.kind === "restriction" ? "✗" : c === "yes" ? "✓" : "◐";
      tr.append(Object.assign(document.createElement("td"), { textContent: mark }));
    }
    return tr;
  });
  $("matrix").replaceChildren(head, ...rows);
}

function tick() {
  const p = state.perms;
  if (!p) {
    $("countdown").textContent = "";
    return;
  }
  const left = Math.max(0, Math.round((p.expiresAt.getTime() - Date.now()) / 1000));
  $("countdown").textContent = left > 0 ? `snapshot expires in ${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}` : "snapshot expired: everything is gated";
  $("countdown").className = `countdown ${left > 0 ? "" : "bad"}`;
}
setInterval(tick, 250);

$("user").addEventListener("change", () => {
  state.user = $("user").value;
  load();
});
$("label").addEventListener("change", () => {
  state.label = Number($("label").value);
  apply();
});
$("refresh").addEventListener("click", () => load());
$("tamper").addEventListener("click", () => load({ tampered: true }));

await load();
