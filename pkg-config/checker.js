// The checker: a verified snapshot answering checks, synchronously.
//
// The wasm module decides; this file caches and shapes answers. The hot
// path (`can` without a resource) never crosses into wasm: action ids map
// to indices once per manifest, and a label's answers come over as one
// typed array, kept until the snapshot changes or expires. A scoped check
// crosses with numbers only: the resource's attributes that the snapshot's
// conditions read are written into typed slots in wasm memory (strings as
// indices into the snapshot's own strings). Every check compares the clock
// itself (once per task), so a late timer can never allow. Answers come
// back as reason indices; the messages are made here (codes.js).

import { ExpiryTimer, TaskClock } from "./cache.js";
import { REASONS, jsDenial, reasonMessage } from "./codes.js";
import { PermsnapError } from "./errors.js";
import { DEFAULT_CLOCK_SKEW, DEFAULT_MAX_LENGTH, keySource, verifyToken } from "./verify.js";
import { buffer, check, release } from "./wasm.js";

// Table flags, per permission of a label.
const ALLOW = 1;
const DEPENDS = 2; // a resource could change the answer: ask wasm when one is given

// Slot tags (src/wasm/mod.rs, `tag`).
const ABSENT = 0;
const NUM = 1;
const BOOL = 2;
const STR = 3;
const OTHER_STR = 4;

const UNVERIFIED = jsDenial("unverified", "no snapshot, or it was disposed");
const BAD_RESOURCE = jsDenial("bad_resource");
// Past `exp`: the snapshot, not the account (whose end of access is `expired`, from the token's `d`).
const SNAPSHOT_EXPIRED = jsDenial("snapshot_expired");

/** Whether `resource` is a record a scoped check reads: an object, not a list (the server refuses a list too). */
const isRecord = (resource) => typeof resource === "object" && !Array.isArray(resource);

/** Which reason indices allow. */
const ALLOWS = REASONS.map((c) => c === "owner" || c === "granted");
const UNKNOWN_ACTION = REASONS.indexOf("unknown_action");
const UNKNOWN_LABEL = REASONS.indexOf("unknown_label");

// Development warnings: a misspelt action or a label that is no number is
// denied silently at run time (unknown_action, unknown_label); outside a
// production build (`process.env.NODE_ENV`, as bundlers set it) the console
// says so, once per action or label.
// Written so that a bundler's replacement of `process.env.NODE_ENV` applies;
// without a bundler `process` is not defined and warnings are on.
const production = (() => {
  try {
    return process.env.NODE_ENV === "production";
  } catch {
    return false;
  }
})();
const warned = new Set();

/** Warns once about `what` (outside production builds). */
function warnOnce(key, text) {
  if (production || warned.has(key) || warned.size > 100) return;
  warned.add(key);
  console.warn(`permsnap: ${text}`);
}

function warnAction(action) {
  warnOnce(`a:${action}`, `\`${action}\` is not a permission of this catalog: every check of it denies (unknown_action). A typo?`);
}

function warnLabel(label) {
  warnOnce(`l:${typeof label}:${label}`, `the label ${JSON.stringify(label) ?? String(label)} is not a label id (a safe non-negative integer, never a string): every check denies (unknown_label)`);
}

/** Whether `label` is a label id: a safe non-negative integer (never coerced). */
export function isLabel(label) {
  return Number.isSafeInteger(label) && label >= 0;
}

function normalize(options) {
  if (options === null || typeof options !== "object") throw new TypeError("permsnap: the options are required");
  const { audience, issuer, tenant, manifest, now, clock, leeway = 0, clockSkew = DEFAULT_CLOCK_SKEW } = options;
  if (typeof audience !== "string") throw new TypeError("permsnap: `audience` (a string) is required");
  if (tenant !== undefined && typeof tenant !== "string") throw new TypeError("permsnap: `tenant` is the tenant id `tid` must be (a string)");
  if (typeof manifest !== "string" && typeof manifest !== "function") {
    throw new TypeError("permsnap: `manifest` (the catalog manifest's exact text, or a function returning it) is required");
  }
  for (const [name, value] of [["leeway", leeway], ["clockSkew", clockSkew]]) {
    if (typeof value !== "number" || !(value >= 0)) throw new TypeError(`permsnap: \`${name}\` is a number of seconds`);
  }
  let read = typeof clock === "function" ? clock : Date.now;
  if (now !== undefined) {
    const fixed = now instanceof Date ? now.getTime() : now;
    if (typeof fixed !== "number" || !Number.isFinite(fixed)) throw new TypeError("permsnap: `now` is milliseconds since the epoch, or a Date");
    read = () => fixed;
  }
  const maxLength = options.maxLength ?? DEFAULT_MAX_LENGTH;
  if (!Number.isSafeInteger(maxLength) || maxLength < 0) throw new TypeError("permsnap: `maxLength` is a number of bytes (UTF-8)");
  return {
    audience,
    issuer: typeof issuer === "string" ? issuer : undefined,
    tenant,
    manifest,
    leeway,
    clockSkew,
    maxLength,
    clock: read,
  };
}

const BUILDING = Symbol("permsnap.build");

/** A verified permission snapshot. Build it with `await Permissions.verify(...)`. */
export class Permissions {
  #options;
  #jwks;
  #checker = null;
  #subject = "";
  #issuedAt = -Infinity;
  #kid = "";
  #manifest = null; // its {hash, catalog, ids, index, sources} (snapshot.js)
  #index = Object.create(null);
  #tables = new Map();
  #exp = 0;
  #expired = false;
  #clock;
  #timer = new ExpiryTimer();
  #listeners = new Set();
  #version = 0;
  // scoped checks: the attribute of each slot, the intern table
  #attrs = [];
  #intern = null;
  #updates = Promise.resolve(); // updates apply in the order they were asked for

  /** Not public: use `await Permissions.verify(...)`. */
  constructor(key, verified, jwks, options) {
    if (key !== BUILDING) throw new TypeError("permsnap: use `await Permissions.verify(token, jwks, options)`");
    this.#jwks = jwks;
    this.#options = options;
    this.#clock = new TaskClock(options.clock);
    this.#swap(verified);
  }

  /**
   * Verifies `token` with the keys of `jwks` (an object or its JSON text, a
   * URL to fetch it from, or a function returning it) and the catalog
   * manifest of `options.manifest`; rejects with a `PermsnapError` (with a
   * `code`) when it does not verify. A fetched key set is kept for
   * `update()`, and read again (past the HTTP cache) when a token names a
   * key it does not have: a key rotation needs no reload.
   */
  static async verify(token, jwks, options) {
    const o = normalize(options);
    const keys = keySource(jwks);
    return new Permissions(BUILDING, await verifyToken(token, keys, o), keys, o);
  }

  #swap(v) {
    if (this.#checker) release(this.#checker.handle);
    const c = v.checker;
    this.#checker = c;
    this.#subject = v.subject;
    this.#issuedAt = v.issuedAt;
    this.#kid = v.kid;
    this.#manifest = c.manifest;
    this.#index = c.manifest.index;
    this.#tables.clear();
    this.#exp = c.exp;
    this.#expired = false;
    this.#attrs = c.attrs;
    this.#intern = c.intern;
    this.#armTimer();
  }

  /** The expiry timer runs only while someone listens: checks compare the clock themselves. */
  #armTimer() {
    if (this.#listeners.size > 0 && this.#checker !== null) this.#timer.arm(this.#exp, this.#clock, () => this.#expire());
    else this.#timer.stop();
  }

  /** Every check denies from now on; subscribers hear of it (after the current check, when a check found it). */
  #expire(deferred = false) {
    if (this.#expired) return;
    this.#expired = true;
    this.#tables.clear();
    if (deferred) queueMicrotask(() => this.#notify());
    else this.#notify();
  }

  #notify() {
    this.#version++;
    for (const listener of [...this.#listeners]) {
      try {
        listener(this);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  /** This task's time; expires the snapshot when it has passed `exp`. */
  #now() {
    const now = this.#clock.now();
    if (now >= this.#exp) this.#expire(true);
    return now;
  }

  /** The label's answer flags, or `undefined` when every check denies (expired, disposed, not a label). */
  #table(label) {
    if (this.#checker === null) return undefined;
    const now = this.#now();
    if (this.#expired) return undefined;
    let t = this.#tables.get(label);
    if (t === undefined) {
      if (!isLabel(label)) return undefined;
      const h = this.#checker.handle;
      t = new Uint8Array(this.#manifest.ids.length);
      for (let p = 0; p < t.length; p++) {
        const a = check(h, p, label, now, false);
        t[p] = (ALLOWS[a & 0x7f] ? ALLOW : 0) | (a & 0x80 ? DEPENDS : 0);
      }
      this.#tables.set(label, t);
    }
    return t;
  }

  /**
   * Writes the attributes the conditions read into the slots; `false` when
   * `resource` is not a record. Only the resource's own attributes are
   * read: an inherited one (`Object.prototype.manager = ...`, an
   * `Object.create({manager})`) is absent, as it is in the record's JSON.
   */
  #write(resource) {
    if (!isRecord(resource)) return false;
    const attrs = this.#attrs;
    const slots = buffer(2 * attrs.length);
    for (let i = 0, j = 0; i < attrs.length; i++, j += 2) {
      const v = Object.hasOwn(resource, attrs[i]) ? resource[attrs[i]] : undefined;
      switch (typeof v) {
        case "string": {
          const k = this.#intern.get(v);
          slots[j] = k === undefined ? OTHER_STR : STR;
          slots[j + 1] = k ?? 0;
          break;
        }
        case "number":
          // JSON has no NaN or Infinity: such a value is absent, as a missing one
          slots[j] = Number.isFinite(v) ? NUM : ABSENT;
          slots[j + 1] = v;
          break;
        case "boolean":
          slots[j] = BOOL;
          slots[j + 1] = v ? 1 : 0;
          break;
        default:
          slots[j] = ABSENT;
      }
    }
    return true;
  }

  /** Whether `action` is allowed in `label` (on `resource`, for scoped permissions). */
  can(action, label, resource) {
    const p = this.#index[action];
    if (p === undefined) return this.#unknownAction(action);
    const t = this.#table(label);
    if (t === undefined) {
      if (!isLabel(label)) warnLabel(label);
      return false;
    }
    const f = t[p];
    if (resource === undefined || resource === null) return (f & ALLOW) !== 0;
    if (!isRecord(resource)) return false; // bad_resource, as explain() says
    if ((f & DEPENDS) === 0) return (f & ALLOW) !== 0;
    if (!this.#write(resource)) return false;
    return ALLOWS[check(this.#checker.handle, p, label, this.#clock.now(), true) & 0x7f] === true;
  }

  /** The opposite of `can`. */
  cannot(action, label, resource) {
    return !this.can(action, label, resource);
  }

  /** `{allowed, reason, by?, message}`: why `action` is or is not allowed in `label`. */
  explain(action, label, resource) {
    const c = this.#checker;
    if (c === null) return { ...UNVERIFIED };
    const p = this.#index[action];
    if (p === undefined) {
      this.#unknownAction(action);
      return this.#answer(UNKNOWN_ACTION);
    }
    if (!isLabel(label)) {
      warnLabel(label);
      return this.#answer(UNKNOWN_LABEL);
    }
    const now = this.#now();
    if (now >= this.#exp) return { ...SNAPSHOT_EXPIRED };
    const scoped = resource !== undefined && resource !== null;
    if (scoped && !this.#write(resource)) return { ...BAD_RESOURCE };
    return this.#answer(check(c.handle, p, label, now, scoped));
  }

  /** `false`, after a warning when a snapshot is there to know the catalog's actions. */
  #unknownAction(action) {
    if (this.#checker !== null) warnAction(action);
    return false;
  }

  /** A packed answer (src/wasm/mod.rs, `check`) as `{allowed, reason, by?, message}`. */
  #answer(packed) {
    const r = packed & 0x7f;
    const i = (packed >>> 8) - 1;
    // a manifest source, or (past them) the token's direct lists: untitled
    const source = i < 0 ? undefined : this.#manifest.sources[i] ?? { id: "direct" };
    const out = { allowed: ALLOWS[r] === true, reason: REASONS[r], message: reasonMessage(r, source?.title) };
    if (source) out.by = source.id;
    return out;
  }

  /** Every action allowed in `label` without a resource (for menus), in catalog order. */
  allowed(label) {
    const t = this.#table(label);
    if (t === undefined) return [];
    return this.#manifest.ids.filter((_, p) => (t[p] & ALLOW) !== 0);
  }

  /**
   * Verifies a fresh token for the same user with the same keys and
   * options, swaps it in and tells subscribers. Refuses a token issued
   * before the current one (`stale_token`: an out-of-order response must
   * not bring back revoked permissions) or for another user
   * (`wrong_subject`); the current snapshot stays. Updates apply in the
   * order they were called, whichever verification finishes first: of two
   * responses in flight, an older token asked for after a newer one is
   * refused, never swapped in for a moment.
   */
  update(token) {
    const run = this.#updates.then(() => this.#apply(token));
    this.#updates = run.catch(() => {});
    return run;
  }

  async #apply(token) {
    if (this.#checker === null) throw new TypeError("permsnap: this snapshot was disposed");
    const v = await verifyToken(token, this.#jwks, this.#options);
    const refuse = (code, message) => {
      release(v.checker.handle);
      throw new PermsnapError(code, message);
    };
    if (this.#checker === null) {
      release(v.checker.handle);
      throw new TypeError("permsnap: this snapshot was disposed while the update was verified");
    }
    if (v.subject !== this.#subject) refuse("wrong_subject", `the new token is for \`${v.subject}\`, not \`${this.#subject}\``);
    if (v.issuedAt < this.#issuedAt) {
      refuse("stale_token", `the new token was issued at ${v.issuedAt / 1000} (\`iat\`), before the current one (${this.#issuedAt / 1000})`);
    }
    this.#swap(v);
    this.#notify();
  }

  /** Calls `listener` after every update, at expiry and at dispose; returns the unsubscribe function. */
  subscribe(listener) {
    this.#listeners.add(listener);
    if (this.#listeners.size === 1) this.#armTimer();
    return () => {
      this.#listeners.delete(listener);
      if (this.#listeners.size === 0) this.#armTimer();
    };
  }

  /** A number that changes whenever answers may have changed (for `useSyncExternalStore`). */
  get version() {
    return this.#version;
  }
  /** The user the snapshot is for (`sub`): bind it to your session. */
  get subject() {
    return this.#subject;
  }
  /** The catalog id. */
  get catalog() {
    return this.#manifest?.catalog ?? "";
  }
  /** The hash of the catalog manifest the snapshot was checked against. */
  get manifest() {
    return this.#manifest?.hash ?? "";
  }
  /** The key id that signed the snapshot. */
  get kid() {
    return this.#kid;
  }
  /** The labels the snapshot knows, ascending. */
  get labels() {
    return this.#checker ? [...this.#checker.labels] : [];
  }
  /** When the token was issued (`iat`), or `null`. */
  get issuedAt() {
    return Number.isFinite(this.#issuedAt) ? new Date(this.#issuedAt) : null;
  }
  /** When every check starts to deny (`exp`). */
  get expiresAt() {
    return new Date(this.#exp);
  }
  /** Whether every check now denies: expired (or disposed). */
  get expired() {
    return this.#expired || this.#checker === null || this.#clock.read() >= this.#exp;
  }

  /**
   * Stops the expiry timer, frees the wasm memory, and tells subscribers
   * (a `gate` then gates everything); every check then denies.
   */
  dispose() {
    if (this.#checker === null) return;
    this.#timer.stop();
    release(this.#checker.handle);
    this.#checker = null;
    this.#tables.clear();
    this.#index = Object.create(null);
    this.#notify();
    this.#listeners.clear();
  }
}
