// The fail-closed cases, one per `?case=`, on failclosed.html. Each ends by
// setting `window.__result` ({error, steps}); the test then inspects the
// controls. Every click on a control is counted in `window.__clicks`.
import init, { Permissions, gate } from "/pkg/index.js";

const params = new URLSearchParams(location.search);
const root = document.getElementById("app");
const f = await (await fetch("/__fixtures.json")).json();
const opts = { audience: "backoffice", manifest: f.manifest, now: f.now };
window.__clicks = 0;
for (const el of root.querySelectorAll("[data-permission]")) el.addEventListener("click", () => window.__clicks++);

const state = (el) => ({
  decided: el.getAttribute("data-permsnap"),
  reason: el.getAttribute("data-reason"),
  disabled: el.disabled ?? null,
  visibility: getComputedStyle(el).visibility,
});

/** The README's pattern: load, verify; whatever fails, gate with no snapshot. */
async function start(token, wasmUrl) {
  let perms = null;
  let error = null;
  try {
    await init(wasmUrl);
    perms = await Permissions.verify(token, f.jwks, opts);
  } catch (e) {
    error = e.code ?? String(e);
  }
  const stop = gate(root, perms, { label: 4444 });
  return { perms, error, stop };
}

const cases = {
  // a CSP without 'wasm-unsafe-eval' (the server sends it with this page)
  "init-csp": async () => ({ error: (await start(f.rita)).error }),
  // the .wasm answers 403
  "init-403": async () => ({ error: (await start(f.rita, "/forbidden/permsnap_wasm_bg.wasm")).error }),
  // a control added after gate() ran, and one whose action changes
  "added-later": async () => {
    await start(f.rita);
    const late = Object.assign(document.createElement("button"), { id: "late", textContent: "Give bonus (added later)" });
    late.dataset.permission = "player.give_bonus";
    late.addEventListener("click", () => window.__clicks++);
    root.append(late);
    const before = state(late); // same task: the observer has not run yet
    document.getElementById("view").dataset.permission = "player.give_bonus";
    await new Promise((r) => setTimeout(r, 0));
    return { before };
  },
  // dispose gates everything, the allowed controls included
  dispose: async () => {
    const { perms } = await start(f.ada);
    const before = state(document.getElementById("bonus"));
    perms.dispose();
    return { before };
  },
  // an older token (issued before the current one) must not bring back a revoked permission
  stale: async () => {
    const { perms } = await start(f.ritaRestricted);
    const before = state(document.getElementById("bonus"));
    let error = null;
    try {
      await perms.update(f.ritaOlderUnrestricted);
    } catch (e) {
      error = e.code;
    }
    return { before, error };
  },
  // gate() given the promise of a verification: pending until it settles, then decided, or unverified saying why
  pending: async () => {
    await init();
    let release;
    const held = new Promise((r) => { release = r; });
    const verified = held.then(() => Permissions.verify(params.get("token") === "tampered" ? `${f.ada.slice(0, -3)}AAA` : f.ada, f.jwks, opts));
    gate(root, verified, { label: 4444 });
    const el = document.getElementById("bonus");
    const during = { ...state(el), title: el.title };
    release();
    await verified.catch(() => {});
    await new Promise((r) => setTimeout(r, 0));
    return { during, after: { ...state(el), title: el.title } };
  },
  // labels that are not safe non-negative integers: denied, never coerced
  "bad-label": async () => {
    const perms = await Permissions.verify(f.ada, f.jwks, opts);
    const stop = gate(root, perms, { label: params.get("label") === "undefined" ? undefined : params.get("label") });
    return { stopped: typeof stop };
  },
};

const run = cases[params.get("case")];
window.__result = { ...(await run()), done: true };
