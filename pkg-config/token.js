// The parts of a token both rooms read, with the rules each must pass: the
// Rust browser core's `Header::check` and `Claims::check`
// (src/core/snapshot/token.rs), and the shapes its serde types accept (a shape
// permsnap does not write is `malformed`). The package and `permsnap
// verify` give the same code for every crafted token of
// test/crossroom.test.mjs; the differences `JSON.parse` makes are in the
// README's design notes.

import { malformed, refuse } from "./errors.js";

// `ignoreBOM`: a part whose bytes start with a UTF-8 byte order mark keeps it
// as U+FEFF, which JSON.parse refuses (`malformed`), as the native reader does;
// without it the decoder would drop the mark and accept the part.
const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const MAX_DEPTH = 64; // the native reader's nesting limit (src/native/load.rs)
const DAY = 86_400;

/** Whether `v` is a JSON object (not an array, not null). */
export const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

/** Whether `v` nests deeper than the native reader reads, or holds a number too large for a double. */
function unreadable(v, depth) {
  if (typeof v === "number") return !Number.isFinite(v);
  if (v === null || typeof v !== "object") return false;
  if (depth === MAX_DEPTH) return true;
  for (const k in v) if (unreadable(v[k], depth + 1)) return true;
  return false;
}

/** Strict JSON text: one value, as the native reader takes it (duplicate members aside). */
export function parse(text, what) {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw malformed(`${what} is not JSON: ${e.message}`);
  }
  if (unreadable(value, 0)) throw malformed(`${what} is not JSON permsnap reads: nested more than ${MAX_DEPTH} levels, or a number out of range`);
  return value;
}

/** A JSON object from UTF-8 bytes; `what` names it in the message. */
export function object(bytes, what) {
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed(`${what} is not UTF-8`);
  }
  const value = parse(text, what);
  if (!isObject(value)) throw malformed(`${what} is not a JSON object`);
  return value;
}

/** `o[k]`: a string, or `undefined` when absent or null (`Option<String>`). */
export function optString(o, k, what) {
  const v = o[k];
  if (v != null && typeof v !== "string") throw malformed(`${what}: \`${k}\` is not a string`);
  return v ?? undefined;
}

/** `o[k]`: a string, required. */
export function string(o, k, what) {
  const v = o[k];
  if (typeof v !== "string") throw malformed(`${what}: \`${k}\` is ${v === undefined ? "missing" : "not a string"}`);
  return v;
}

/** A NumericDate in milliseconds (`o[k]`, seconds), `undefined` when absent or null unless `required`. */
function date(o, k, required) {
  const v = o[k];
  if (v == null && !required) return undefined;
  if (typeof v !== "number" || !(Math.abs(v) < 1e12)) throw malformed(`the payload: \`${k}\` is not a number of seconds since the epoch`);
  const ms = v * 1000;
  return Math.sign(ms) * Math.round(Math.abs(ms)); // Rust's f64::round: halves away from zero
}

/** `aud`: one audience or a list of them; `undefined` when absent or null. */
function audiences(v) {
  if (v == null) return undefined;
  const list = typeof v === "string" ? [v] : v;
  if (!Array.isArray(list) || !list.every((a) => typeof a === "string")) throw malformed("the payload: `aud` is not a string or a list of strings");
  return list;
}

/** A whole number JSON holds as an unsigned 64-bit integer. */
export const isU64 = (v) => Number.isInteger(v) && v >= 0 && v < 2 ** 64;

const KEY_PARAMS = ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"];
const TYP = "permsnap+jwt";

/**
 * The header rules (`Header::check`), in order: no key in the header
 * (RFC 8725 section 3.1), `alg` EdDSA or Ed25519, no `crit`, `typ`
 * permsnap+jwt (any case, `application/` optional), a `kid`. Returns the kid.
 */
export function checkHeader(h) {
  const what = "the header";
  const alg = optString(h, "alg", what);
  const typ = optString(h, "typ", what);
  const kid = optString(h, "kid", what);
  const param = KEY_PARAMS.find((p) => Object.hasOwn(h, p));
  if (param) throw refuse("key_in_header", { param });
  if (alg !== "EdDSA" && alg !== "Ed25519") throw refuse("alg_not_allowed", { alg });
  if (Object.hasOwn(h, "crit")) throw refuse("crit_unsupported");
  const t = typ?.toLowerCase();
  if (t !== TYP && t !== `application/${TYP}`) throw refuse("typ_mismatch", { typ });
  if (kid === undefined) throw refuse("unknown_key");
  return kid;
}

/** Seconds as the Rust rules take them: whole (truncated), clamped to one day, in milliseconds. */
const ms = (secs) => Math.min(Math.max(Math.trunc(secs), 0), DAY) * 1000;

/**
 * The claim rules (`Claims::check`) on a parsed payload, after its shapes:
 * `iss` when `r.issuer` is given, `tid` when `r.tenant` is given, `aud`
 * names `r.audience`, before `exp` (plus `r.leeway`), not before
 * `nbf`/`iat` (less the leeway or `r.clockSkew`), the snapshot version. `now` in
 * milliseconds, the leeway and skew in seconds. Returns `{sub, iat, exp}`
 * (milliseconds).
 */
export function checkClaims(c, r, now) {
  const what = "the payload";
  const iss = optString(c, "iss", what);
  const sub = string(c, "sub", what);
  const aud = audiences(c.aud);
  const [iat, exp, nbf] = [date(c, "iat"), date(c, "exp", true), date(c, "nbf")];
  optString(c, "jti", what);
  const tid = optString(c, "tid", what);
  const p = c.psnap;
  if (!isObject(p) || !isU64(p.v)) throw malformed("the payload: `psnap` is not an object with a version `v`");
  now = Math.trunc(now);
  if (r.issuer !== undefined && iss !== r.issuer) throw refuse("wrong_issuer", { expected: r.issuer, found: iss });
  if (r.tenant !== undefined && tid !== r.tenant) throw refuse("wrong_tenant", { expected: r.tenant, found: tid });
  if (!aud?.includes(r.audience)) throw refuse("wrong_audience", { expected: r.audience });
  const leeway = ms(r.leeway);
  if (now >= exp + leeway) throw refuse("expired", { exp: Math.floor(exp / 1000) });
  const ahead = Math.max(leeway, ms(r.clockSkew));
  for (const [claim, t] of [["nbf", nbf], ["iat", iat]]) {
    if (t > now + ahead) throw refuse("not_yet_valid", { claim, at: Math.floor(t / 1000) });
  }
  if (p.v !== 2) throw refuse("unsupported_version", { version: p.v });
  return { sub, iat, exp };
}
