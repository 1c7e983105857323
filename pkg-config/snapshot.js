// The catalog manifest and the snapshot claim, read from their parsed JSON
// (every shape the Rust types accept, nothing else: `malformed`) and
// flattened into numbers for the wasm module, which rebuilds them into the
// Rust core's types and checks them there (`Manifest::new`,
// `Snapshot::new`): the format is in src/wasm/flat.rs. What the decision
// does not need (titles, the catalog) stays here, for messages; lookups by
// id are made here too (`index`).

import { REASONS, VERIFY_ERRORS } from "./codes.js";
import { malformed, refuse } from "./errors.js";
import { isObject, isU64, string } from "./token.js";
import * as wasm from "./wasm.js";

const KINDS = ["role", "additional", "restriction"];
const OPS = ["eq", "ne", "in", "not_in"];
const isU32 = (v) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

/** `name` as an internalized string (a property key), so that reading a resource's attribute by it compares pointers. */
const internalize = (name) => Object.keys({ [name]: 0 })[0];

/** `o` is an object with no member but `names` (serde's `deny_unknown_fields`). */
function only(o, names, what) {
  if (!isObject(o)) throw malformed(`${what} is not an object`);
  const k = Object.keys(o).find((k) => !names.includes(k));
  if (k !== undefined) throw malformed(`${what} has an unknown member \`${k}\``);
}

function list(v, what) {
  if (!Array.isArray(v)) throw malformed(`${what} is not a list`);
  return v;
}

/** Writes a string: its length, then its code points (a lone surrogate as U+FFFD). */
function str(out, s) {
  const at = out.push(0);
  for (let i = 0; i < s.length; i++) {
    const p = s.codePointAt(i);
    if (p > 0xffff) i++;
    out.push(p >= 0xd800 && p <= 0xdfff ? 0xfffd : p);
  }
  out[at - 1] = out.length - at;
}

function u32s(out, v, what) {
  if (!list(v, what).every(isU32)) throw malformed(`${what} holds a number that is not a 32-bit index`);
  out.push(v.length, ...v);
}

/** A condition value (`Scalar`); strings go to `scope.strings` (the intern table). */
function scalar(out, v, what, scope) {
  if (v === "$user") out.push(3);
  else if (typeof v === "string") {
    out.push(0);
    str(out, v);
    scope.strings.add(v);
  } else if (typeof v === "number") out.push(1, v);
  else if (typeof v === "boolean") out.push(2, +v);
  else throw malformed(`${what}: a condition value is not a string, number or boolean`);
}

/** A condition `{"attr", "eq" | "ne" | "in" | "not_in"}`; its attribute goes to `scope.attrs`. */
function condition(out, c, what, scope) {
  only(c, ["attr", ...OPS], what);
  const attr = string(c, "attr", what);
  const ops = OPS.filter((o) => c[o] != null);
  if (ops.length !== 1) throw malformed(`${what}: a condition has \`attr\` and exactly one of \`eq\`, \`ne\`, \`in\`, \`not_in\``);
  const op = OPS.indexOf(ops[0]);
  const values = op < 2 ? [c[ops[0]]] : list(c[ops[0]], what);
  str(out, attr);
  out.push(op, values.length);
  for (const v of values) scalar(out, v, what, scope);
  scope.attrs.add(attr);
}

/** A rule set `[bits]` or `[bits, [[permission, [conditions]], ...]]`. */
function rules(out, r, what, scope) {
  if (!Array.isArray(r) || r.length < 1 || r.length > 2) throw malformed(`${what} is not \`[bits]\` or \`[bits, rules]\``);
  u32s(out, r[0], what);
  const when = r.length === 2 ? list(r[1], what) : [];
  out.push(when.length);
  for (const rule of when) {
    if (!Array.isArray(rule) || rule.length !== 2 || !isU64(rule[0])) throw malformed(`${what}: a rule is not \`[permission, [conditions]]\``);
    out.push(rule[0]);
    out.push(list(rule[1], what).length);
    for (const c of rule[1]) condition(out, c, what, scope);
  }
}

/** A refusal of the wasm module (a negative number) as a `PermsnapError`; `f` gives its values. */
function refused(r, f) {
  const code = VERIFY_ERRORS[-1 - r] ?? "malformed";
  if (code !== "malformed") return refuse(code, f);
  wasm.buffer(256); // room for the detail
  const n = wasm.detail();
  return malformed(new TextDecoder().decode(Uint8Array.from(wasm.buffer(n).subarray(0, n))));
}

/**
 * A parsed manifest, checked and kept in wasm (once per hash): `{hash,
 * catalog, ids, index, sources, attrs, strings, handle}`, where `index`
 * maps a permission id to its index, `sources` are the `{id, title}` a
 * decision's `by` names, and `attrs` and `strings` what its conditions
 * read and compare with.
 */
export function loadManifest(data, hash) {
  const what = "the manifest";
  only(data, ["v", "catalog", "title", "permissions", "sources"], what);
  if (!isU64(data.v)) throw malformed(`${what}: \`v\` is not a version number`);
  const catalog = string(data, "catalog", what);
  string(data, "title", what);
  const ids = list(data.permissions, what).map((p, i) => {
    only(p, ["id", "title"], `${what}: permissions[${i}]`);
    string(p, "title", what);
    return string(p, "id", what);
  });
  const scope = { attrs: new Set(), strings: new Set() };
  const out = [];
  str(out, hash);
  out.push(data.v, ids.length);
  for (const id of ids) str(out, id);
  out.push(list(data.sources, what).length);
  const sources = data.sources.map((s, i) => {
    const at = `${what}: sources[${i}]`;
    only(s, ["id", "kind", "title", "rules"], at);
    const kind = KINDS.indexOf(s.kind);
    if (kind < 0) throw malformed(`${at}: \`kind\` is not role, additional or restriction`);
    const id = string(s, "id", at);
    out.push(kind);
    str(out, id);
    rules(out, s.rules, at, scope);
    return { id, title: string(s, "title", at) };
  });
  wasm.buffer(out.length).set(out);
  const handle = wasm.manifest(out.length);
  if (handle < 0) throw refused(handle, { version: data.v });
  const index = Object.create(null); // a null-prototype object: lookups by literal compare pointers
  ids.forEach((id, i) => {
    index[id] = i;
  });
  return { hash, catalog, ids, index, sources, handle, attrs: [...scope.attrs].map(internalize), strings: [...scope.strings] };
}

/**
 * A parsed snapshot claim (`psnap`) of a token for `sub` expiring at `exp`
 * (milliseconds), its shapes checked and flattened: `{v, catalog, hash,
 * labels, out, scope}`, where `out` holds the claim's numbers up to its
 * direct lists and `scope` what their conditions read and compare with;
 * `expiresAt` is `exp` in whole seconds (rounded down), in milliseconds.
 */
export function readClaim(p, sub, exp) {
  const what = "the snapshot claim";
  only(p, ["v", "c", "m", "l", "x", "o", "d"], what);
  if (!isU64(p.v)) throw malformed(`${what}: \`v\` is not a version number`);
  const catalog = string(p, "c", what);
  const hash = string(p, "m", what);
  const owner = p.o === undefined ? 0 : p.o;
  if (owner !== 0 && owner !== 1) throw malformed(`${what}: \`o\` is not 0 or 1`);
  const denial = p.d == null ? -1 : REASONS.indexOf(p.d);
  if (denial === -1 && p.d != null) throw malformed(`${what}: \`d\` is not a reason`);
  const out = [p.v];
  str(out, hash);
  str(out, sub);
  const expiresAt = Math.floor(exp / 1000) * 1000; // every check denies from here on
  out.push(expiresAt, owner, denial, list(p.l, what).length);
  const labels = p.l.map((l) => label(out, l, what));
  const direct = p.x === undefined ? [] : list(p.x, what);
  const scope = { attrs: new Set(), strings: new Set() };
  out.push(direct.length);
  for (const r of direct) rules(out, r, `${what}: \`x\``, scope);
  return { v: p.v, catalog, hash, labels, expiresAt, out, scope };
}

/** A label `[id]`, `[id, closed]` or `[id, closed, grants, denies]`; its id. */
function label(out, l, what) {
  const [id, closed = 0, grants, denies] = Array.isArray(l) ? l : [];
  const ok = Array.isArray(l) && [1, 2, 4].includes(l.length) && Number.isSafeInteger(id) && id >= 0 && (closed === 0 || closed === 1);
  if (!ok) throw malformed(`${what}: a label is not \`[id]\`, \`[id, 1]\` or \`[id, 0, grants, denies]\``);
  out.push(id, closed, l.length === 4 ? 1 : 0);
  if (l.length === 4) {
    u32s(out, grants, what);
    u32s(out, denies, what);
  }
  return id;
}

/**
 * The checker of `claim` (read for the token's `sub`) against manifest `m`:
 * checked in wasm (`Snapshot::new`:
 * `manifest_mismatch`, `unsupported_version`, `malformed`). `{handle,
 * manifest, labels, exp, attrs, intern}`; release it with `release`.
 */
export function newChecker(m, claim, sub) {
  const attrs = claim.scope.attrs.size ? [...new Set([...m.attrs, ...claim.scope.attrs])].map(internalize) : m.attrs;
  const strings = [sub, ...m.strings, ...claim.scope.strings];
  const out = claim.out;
  out.push(attrs.length);
  for (const a of attrs) str(out, a);
  out.push(strings.length);
  for (const s of strings) str(out, s);
  // the buffer must also hold the slots of a scoped check
  wasm.buffer(Math.max(out.length, 2 * attrs.length)).set(out);
  const handle = wasm.checker(m.handle, out.length);
  if (handle < 0) throw refused(handle, { version: claim.v, expected: m.hash, found: claim.hash });
  const intern = new Map();
  strings.forEach((s, i) => intern.has(s) || intern.set(s, i));
  return { handle, manifest: m, labels: claim.labels, exp: claim.expiresAt, attrs, intern };
}
