// permsnap: the thin JS face over the wasm checker.
//
// The wasm module verifies the token and decides; this file only caches and
// shapes answers. The hot path (`can` without a resource) never crosses the
// wasm boundary with a string: action ids map to indices once, and one
// label's answers come over as one typed array, cached until the snapshot
// changes or expires. Every check compares the clock itself, so a late timer
// can never allow past `exp`.

import { Keys, Permissions as Raw } from "./permsnap_wasm.js";

const DEFAULT_MAX_LENGTH = 64 * 1024;
const MAX_TIMER = 2 ** 31 - 1;

let reasonCodes = null;
function reasons() {
  if (reasonCodes === null) reasonCodes = Raw.reasonCodes().split(",");
  return reasonCodes;
}
let allowIndex = null; // packed reason indices that allow: owner, granted

/** An error with a stable `code` (the same codes as the Rust crate and the CLI). */
export class PermsnapError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "PermsnapError";
    this.code = code;
  }
}

function toError(thrown) {
  const text = typeof thrown === "string" ? thrown : String(thrown && thrown.message ? thrown.message : thrown);
  const tab = text.indexOf("\t");
  return tab > 0 ? new PermsnapError(text.slice(0, tab), text.slice(tab + 1)) : new PermsnapError("malformed", text);
}

// Parsed key sets by JWKS text: a page verifies a fresh token every few
// minutes against the same keys. Keyed by text, not by object, so a JWKS
// object changed in place (rotation) is never served stale.
const keyCache = new Map();
function keysFor(jwks) {
  const text = typeof jwks === "string" ? jwks : JSON.stringify(jwks);
  let keys = keyCache.get(text);
  if (keys === undefined) {
    try {
      keys = Keys.parse(text);
    } catch (e) {
      throw toError(e);
    }
    if (keyCache.size >= 4) {
      const [oldest, old] = keyCache.entries().next().value;
      keyCache.delete(oldest);
      old.free();
    }
    keyCache.set(text, keys);
  }
  return keys;
}

function verifyRaw(token, jwks, o) {
  if (typeof token !== "string") throw new PermsnapError("malformed", "the token is not a string");
  if (!o || typeof o.audience !== "string") throw new PermsnapError("wrong_audience", "`audience` is required");
  const keys = keysFor(jwks);
  try {
    return Raw.verify(token, keys, o.audience, o.issuer ?? undefined, o.leeway ?? 0, o.clock(), o.maxLength ?? DEFAULT_MAX_LENGTH);
  } catch (e) {
    throw toError(e);
  }
}

/** A verified permission snapshot. */
export class Permissions {
  #raw;
  #jwks;
  #options;
  #index = Object.create(null);
  #ids = [];
  #tables = new Map();
  #exp = 0;
  #expired = false;
  #timer = null;
  #listeners = new Set();
  #version = 0;
  #clockRead = false;
  #now = 0;

  constructor(raw, jwks, options) {
    this.#jwks = jwks;
    this.#options = options;
    this.#swap(raw);
  }

  /**
   * Verifies `token` with the keys of `jwks` (object or JSON text); throws a
   * `PermsnapError` with a `code` when it does not verify.
   */
  static verify(token, jwks, options) {
    const o = { ...options };
    if (typeof o.clock !== "function") o.clock = Date.now;
    if (o.now !== undefined) {
      const fixed = o.now instanceof Date ? o.now.getTime() : Number(o.now);
      o.clock = () => fixed;
    }
    return new Permissions(verifyRaw(token, jwks, o), jwks, o);
  }

  #swap(raw) {
    if (this.#raw) this.#raw.free();
    this.#raw = raw;
    const ids = raw.permissionIds();
    this.#ids = ids === "" ? [] : ids.split(",");
    // A null-prototype object, not a Map: its keys are internalized, so a
    // lookup with a string literal compares pointers (a Map keyed by the
    // strings split from wasm's answer compared contents: 70 ns a lookup).
    const index = Object.create(null);
    this.#ids.forEach((id, i) => {
      index[id] = i;
    });
    this.#index = index;
    this.#tables.clear();
    this.#exp = raw.expiresAtMs;
    this.#expired = false;
    if (allowIndex === null) {
      const r = reasons();
      allowIndex = [r.indexOf("owner"), r.indexOf("granted")];
    }
    this.#arm();
  }

  #arm() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#raw === null) return;
    const wait = this.#exp - this.#options.clock();
    if (wait <= 0) {
      this.#expire();
      return;
    }
    this.#timer = setTimeout(() => this.#arm(), Math.min(wait, MAX_TIMER));
    if (typeof this.#timer === "object" && this.#timer && typeof this.#timer.unref === "function") this.#timer.unref();
  }

  #expire() {
    if (this.#expired) return;
    this.#expired = true;
    this.#tables.clear();
    this.#notify();
  }

  #notify() {
    this.#version++;
    for (const l of [...this.#listeners]) {
      try {
        l(this);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  // Reading the clock costs more than a whole check (60 ns in Node here), so
  // it is read once per synchronous task: a burst of checks (a render, a
  // gate over a page) shares one reading, and the next task reads it again.
  // A check is never answered with a time older than the task it runs in.
  #readClock() {
    this.#clockRead = true;
    queueMicrotask(() => {
      this.#clockRead = false;
    });
    this.#now = this.#options.clock();
    if (this.#now >= this.#exp) this.#expire();
  }

  #table(label) {
    const packed = this.#raw.table(label, this.#now);
    const t = new Uint8Array(packed.length);
    for (let i = 0; i < packed.length; i++) {
      const r = packed[i] & 0xff;
      t[i] = r === allowIndex[0] || r === allowIndex[1] ? 1 : 0;
    }
    this.#tables.set(label, t);
    return t;
  }

  #packed(action, label, resource) {
    if (this.#raw === null) return -1;
    const p = this.#index[action];
    if (p === undefined) return reasons().indexOf("unknown_action");
    const json = resource === undefined || resource === null ? undefined : JSON.stringify(resource);
    return this.#raw.check(p, label, json, this.#options.clock());
  }

  /** Whether `action` is allowed in `label` (on `resource`, for scoped permissions). */
  can(action, label, resource) {
    if (resource !== undefined && resource !== null) {
      const r = this.#packed(action, label, resource) & 0xff;
      return r === allowIndex[0] || r === allowIndex[1];
    }
    const p = this.#index[action];
    if (p === undefined || this.#expired) return false;
    if (!this.#clockRead) this.#readClock();
    if (this.#expired) return false;
    let t = this.#tables.get(label);
    if (t === undefined) t = this.#table(label);
    return t[p] === 1;
  }

  /** The opposite of `can`. */
  cannot(action, label, resource) {
    return !this.can(action, label, resource);
  }

  /** `{allowed, reason, by, message}`: why `action` is or is not allowed. */
  explain(action, label, resource) {
    const packed = this.#packed(action, label, resource);
    if (packed < 0) return { allowed: false, reason: "expired", message: "The snapshot was disposed" };
    const reason = reasons()[packed & 0xff] ?? "not_granted";
    const allowed = reason === "owner" || reason === "granted";
    const out = { allowed, reason, message: this.#raw.message(packed) };
    const by = packed >>> 8;
    if (by > 0) out.by = this.#raw.sourceId(by - 1);
    return out;
  }

  /** Every action allowed in `label` without a resource (for menus), in catalog order. */
  allowed(label) {
    if (this.#raw === null) return [];
    const out = [];
    for (let i = 0; i < this.#ids.length; i++) if (this.can(this.#ids[i], label)) out.push(this.#ids[i]);
    return out;
  }

  /** Verifies a fresh token with the same keys and options, swaps it in, and notifies subscribers. */
  update(token) {
    const raw = verifyRaw(token, this.#jwks, this.#options);
    if (raw.subject !== this.subject) {
      raw.free();
      throw new PermsnapError("wrong_subject", "the new token is for another user");
    }
    this.#swap(raw);
    this.#notify();
  }

  /** Calls `listener` after every update and at expiry; returns the unsubscribe function. */
  subscribe(listener) {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A number that changes whenever answers may have changed (for `useSyncExternalStore`). */
  get version() {
    return this.#version;
  }
  /** The user the snapshot is for (`sub`): bind it to your session. */
  get subject() {
    return this.#raw ? this.#raw.subject : "";
  }
  /** The catalog id. */
  get catalog() {
    return this.#raw ? this.#raw.catalog : "";
  }
  /** The key id that signed the snapshot. */
  get kid() {
    return this.#raw ? this.#raw.kid : "";
  }
  /** The labels the snapshot knows. */
  get labels() {
    return this.#raw ? Array.from(this.#raw.labels) : [];
  }
  /** When every check starts to deny. */
  get expiresAt() {
    return new Date(this.#exp);
  }
  /** Whether the snapshot has expired (every check denies). */
  get expired() {
    return this.#expired || this.#raw === null || this.#options.clock() >= this.#exp;
  }

  /** Stops the expiry timer and frees the wasm memory; every check then denies. */
  dispose() {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#raw) this.#raw.free();
    this.#raw = null;
    this.#tables.clear();
    this.#index = Object.create(null);
    this.#listeners.clear();
  }
}

const GATED = "data-permsnap-gated";

function gateOne(el, perms, label) {
  const action = el.getAttribute("data-permission");
  let resource;
  const rtext = el.getAttribute("data-resource");
  let verdict;
  if (!perms) {
    verdict = { allowed: false, reason: "unverified", message: "Permissions could not be verified" };
  } else {
    try {
      resource = rtext ? JSON.parse(rtext) : undefined;
      verdict = perms.explain(action, label, resource);
    } catch {
      verdict = { allowed: false, reason: "bad_resource", message: "This control's data-resource is not JSON" };
    }
  }
  const hide = el.getAttribute("data-gate") === "hide";
  const wasGated = el.hasAttribute(GATED);
  if (verdict.allowed) {
    if (wasGated) {
      el.removeAttribute(GATED);
      el.removeAttribute("data-reason");
      if (hide) el.hidden = false;
      else {
        if ("disabled" in el) el.disabled = false;
        el.removeAttribute("aria-disabled");
        if (el.getAttribute("title") === el.getAttribute("data-permsnap-title")) el.removeAttribute("title");
        el.removeAttribute("data-permsnap-title");
      }
    }
    return;
  }
  el.setAttribute(GATED, "");
  el.setAttribute("data-reason", verdict.reason);
  if (hide) {
    el.hidden = true;
  } else {
    if ("disabled" in el) el.disabled = true;
    el.setAttribute("aria-disabled", "true");
    el.setAttribute("title", verdict.message);
    el.setAttribute("data-permsnap-title", verdict.message);
  }
}

/**
 * Gates every `[data-permission]` element under `root` for `label`: disabled
 * with `aria-disabled` and the reason as a tooltip, or hidden when it says
 * `data-gate="hide"`; `data-resource` (JSON) makes a scoped check. With no
 * `perms` (a token that did not verify) everything is gated. Re-applied on
 * update and at expiry; returns a function that stops that.
 */
export function gate(root, perms, options) {
  const label = options && options.label;
  const apply = () => {
    const els = root.querySelectorAll("[data-permission]");
    for (const el of els) gateOne(el, perms, label);
  };
  apply();
  return perms ? perms.subscribe(apply) : () => {};
}
