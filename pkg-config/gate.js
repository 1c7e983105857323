// The DOM gate: every `[data-permission]` control under a root is allowed
// or denied, and stays so as the page changes.
//
// Fail closed by construction: a control is unusable until the gate has
// decided it. The decision is written as `data-permsnap="allowed"` or
// `"denied"`, and the package's stylesheet (`permsnap/permsnap.css`, or the
// rule in the README) hides every `[data-permission]` control without it,
// so if the script, the wasm or the token fails, nothing is usable. Denied
// controls are disabled (or hidden with `data-gate="hide"`) with the reason
// as tooltip; a control added or changed later is decided as soon as the
// MutationObserver sees it; a disposed snapshot denies everything.

import { jsDenial } from "./codes.js";

const DECIDED = "data-permsnap"; // "allowed" | "denied"
const REASON = "data-reason";
// What the gate itself changed, so that allowing again undoes only that.
const SET_DISABLED = "data-permsnap-disabled";
const SET_HIDDEN = "data-permsnap-hidden";
const SET_TITLE = "data-permsnap-title";
const WATCHED = ["data-permission", "data-resource", "data-gate", DECIDED, "disabled", "hidden", "aria-disabled"];

const NO_SNAPSHOT = jsDenial("unverified");
const PENDING = jsDenial("pending");
const BAD_RESOURCE = { allowed: false, reason: "bad_resource", message: "This control's data-resource is not JSON" };

/**
 * The verdict for one control. `perms`: the snapshot, or `{denial}` while
 * there is none (pending, or a failed verification).
 */
function decide(el, perms, label) {
  if (perms.denial) return perms.denial;
  const text = el.getAttribute("data-resource");
  let resource;
  if (text !== null) {
    try {
      resource = JSON.parse(text);
    } catch {
      return BAD_RESOURCE;
    }
  }
  return perms.explain(el.getAttribute("data-permission"), label, resource);
}

/** Sets an attribute only when it differs (the observer sees every write). */
function put(el, name, value) {
  if (el.getAttribute(name) !== value) el.setAttribute(name, value);
}

function drop(el, name) {
  if (el.hasAttribute(name)) el.removeAttribute(name);
}

function allow(el) {
  put(el, DECIDED, "allowed");
  drop(el, REASON);
  if (el.hasAttribute(SET_HIDDEN)) {
    el.hidden = false;
    drop(el, SET_HIDDEN);
  }
  if (el.hasAttribute(SET_DISABLED)) {
    if ("disabled" in el) el.disabled = false;
    drop(el, "aria-disabled");
    drop(el, SET_DISABLED);
  }
  if (el.hasAttribute(SET_TITLE)) {
    if (el.getAttribute("title") === el.getAttribute(SET_TITLE)) drop(el, "title");
    drop(el, SET_TITLE);
  }
}

function deny(el, verdict) {
  put(el, DECIDED, "denied");
  put(el, REASON, verdict.reason);
  if (el.getAttribute("data-gate") === "hide") {
    if (!el.hidden) el.hidden = true;
    put(el, SET_HIDDEN, "");
    return;
  }
  if ("disabled" in el && !el.disabled) el.disabled = true;
  put(el, "aria-disabled", "true");
  put(el, SET_DISABLED, "");
  put(el, "title", verdict.message);
  put(el, SET_TITLE, verdict.message);
}

function gateOne(el, perms, label) {
  const verdict = decide(el, perms, label);
  if (verdict.allowed) allow(el);
  else deny(el, verdict);
}

// `auxclick`: a middle click opens a link without a `click` event.
const GUARDED = ["click", "auxclick"];

/** Whether every `[data-permission]` element around `target` (itself included) up to `root` is allowed. */
function enclosedByAllowedOnly(target, root) {
  for (let el = target?.closest?.("[data-permission]"); el && root.contains(el); el = el.parentElement?.closest("[data-permission]")) {
    if (el.getAttribute(DECIDED) !== "allowed") return false;
  }
  return true;
}

/** The `[data-permission]` elements of `node` and under it. */
function controls(node) {
  const out = node.matches?.("[data-permission]") ? [node] : [];
  return node.querySelectorAll ? out.concat(Array.from(node.querySelectorAll("[data-permission]"))) : out;
}

const isThenable = (v) => typeof v?.then === "function";

/** What a failed verification denies with: `unverified`, saying why (the error's code). */
const failed = (e) => jsDenial("unverified", e?.code ?? e?.message ?? String(e));

/**
 * Gates every `[data-permission]` element under `root` for `label`, now
 * and as the page changes, and again whenever `perms` changes (update,
 * expiry, dispose). `perms` may be the promise `Permissions.verify`
 * returns: until it settles every control is denied as `pending`
 * ("Checking your permissions…"); if it rejects, as `unverified` with the
 * error's code. With no `perms` (a token or wasm that failed), everything
 * is denied with reason `unverified`. Returns a function that stops
 * following (decided controls stay as they are; new ones stay undecided,
 * hence unusable).
 */
export function gate(root, perms, options) {
  const label = options?.label;
  let current = isThenable(perms) ? { denial: PENDING } : perms ?? { denial: NO_SNAPSHOT };
  let unsubscribe = () => {};
  let stopped = false;
  const applyAll = () => {
    for (const el of controls(root)) gateOne(el, current, label);
  };
  const observer = new MutationObserver((records) => {
    const seen = new Set();
    for (const r of records) {
      const nodes = r.type === "childList" ? Array.from(r.addedNodes) : [r.target];
      for (const node of nodes) {
        for (const el of controls(node)) {
          if (!seen.has(el) && el.isConnected) {
            seen.add(el);
            gateOne(el, current, label);
          }
        }
      }
    }
  });
  // Keyboard, script and middle-button activation of a denied or undecided
  // control that is not a form element (a link, a div with a click
  // handler): stopped before it reaches the control. Every enclosing
  // control must be allowed, not only the innermost: an allowed button
  // inside a denied link must not open the link.
  const guard = (event) => {
    if (!enclosedByAllowedOnly(event.target, root)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  };
  /** Gates with `next` (a snapshot or a denial) from now on. */
  const use = (next) => {
    if (stopped) return;
    current = next;
    if (!next.denial) unsubscribe = next.subscribe(applyAll);
    applyAll();
  };
  applyAll();
  observer.observe(root, { subtree: true, childList: true, attributes: true, attributeFilter: WATCHED });
  for (const type of GUARDED) root.addEventListener(type, guard, true);
  if (isThenable(perms)) perms.then((p) => use(p ?? { denial: NO_SNAPSHOT }), (e) => use({ denial: failed(e) }));
  else if (!current.denial) unsubscribe = current.subscribe(applyAll);
  return () => {
    stopped = true;
    observer.disconnect();
    for (const type of GUARDED) root.removeEventListener(type, guard, true);
    unsubscribe();
  };
}
