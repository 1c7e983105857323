// Verification, as its steps (docs/architecture.md, "Verification, as
// steps"): split -> header -> key -> signature -> claims -> snapshot. The
// header, key, claim and snapshot rules are the Rust browser core's (in
// wasm); this file splits and decodes, asks WebCrypto to check the Ed25519
// signature, and keeps the imported keys and parsed manifests.

import { decode, encode } from "./base64url.js";
import { BoundedCache } from "./cache.js";
import { PermsnapError, boundary } from "./errors.js";
import { Checker, Manifest, checkClaims, checkHeader, readJwks, strictPrechecks } from "./permsnap_wasm.js";
import { ready } from "./wasm.js";

/** The longest token accepted unless `maxLength` says otherwise (as the Rust verifier). */
export const DEFAULT_MAX_LENGTH = 64 * 1024;

/**
 * Seconds by which a token's `iat`/`nbf` may be ahead of this clock by
 * default: the issuer's clock may run a little ahead. `exp` is never
 * extended by it.
 */
export const DEFAULT_CLOCK_SKEW = 60;

const utf8 = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();
const bytesOf = (text) => encoder.encode(text);
const malformed = (message) => new PermsnapError("malformed", message);

/**
 * Verifies `token` with the keys of `jwks` and the catalog manifest the
 * options give; resolves to `{checker, subject, issuedAt, kid, manifest}`.
 * `o` is normalized (see checker.js): `audience`, `issuer`, `leeway`,
 * `clockSkew`, `maxLength`, `manifest`, `clock`.
 */
export async function verifyToken(token, jwks, o) {
  const parts = split(token, o.maxLength);
  await ready();
  const kid = readHeader(parts);
  const key = (await keysFor(jwks)).get(kid);
  if (key === undefined) throw new PermsnapError("unknown_key", `no key \`${kid}\` in the JWKS`);
  const payload = await verifySignature(parts, kid, key);
  const claim = readClaims(payload, o);
  try {
    const manifest = await manifestFor(o.manifest, claim);
    const checker = boundary(() => new Checker(manifest.wasm, claim));
    return { checker, subject: claim.subject, issuedAt: claim.issuedAt ?? -Infinity, kid, manifest };
  } finally {
    claim.free();
  }
}

/**
 * Step 1. The size limit comes first, before anything is parsed (an
 * unauthenticated input bounds its own cost; RFC 8725 section 3.x); white
 * space around the token (a trailing newline) is trimmed; then exactly
 * three parts.
 */
function split(token, maxLength) {
  if (typeof token !== "string") throw malformed("the token is not a string");
  if (token.length > maxLength) {
    throw new PermsnapError("too_large", `the token has ${token.length} bytes, more than the limit of ${maxLength}`);
  }
  const text = token.trim();
  if (text.startsWith("{") || text.startsWith('"')) {
    throw malformed("the token is JSON, not a compact JWS: pass the token itself (e.g. the `token` member of your server's answer)");
  }
  if (/\s/.test(text)) {
    throw malformed("the token has white space inside it: pass the compact JWS alone (not `Bearer ...`, not a JSON document)");
  }
  const parts = text.split(".");
  if (parts.length !== 3) throw malformed("a compact JWS has three parts separated by `.`");
  return { header: parts[0], payload: parts[1], signature: parts[2] };
}

/** Decodes a base64url part to JSON; `what` names it in the message. */
function json(bytes, what) {
  let text;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformed(`${what} is not UTF-8`);
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw malformed(`${what} is not JSON: ${e.message}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw malformed(`${what} is not a JSON object`);
  return value;
}

function part(text, what) {
  const bytes = decode(text);
  if (bytes === null) throw malformed(`the ${what} is not base64url without padding`);
  return bytes;
}

/**
 * Step 2. The header is read only to pick the key and refuse what is not
 * allowed (`Header::check`: no key in the header, `alg` EdDSA/Ed25519, no
 * `crit`, `typ` permsnap+jwt, a `kid`).
 */
function readHeader(parts) {
  const header = json(part(parts.header, "header"), "the header");
  return boundary(() => checkHeader(header));
}

/**
 * Step 4. The signature over the exact bytes received (RFC 7515 section
 * 5.2), checked strictly: the byte checks `verify_strict` adds to RFC 8032
 * (canonical `S`, no small-order `R` or key; RFC 8032 section 5.1.7, and
 * malleability), then WebCrypto Ed25519. The payload is decoded only when
 * the signature holds.
 */
async function verifySignature(parts, kid, key) {
  const signature = part(parts.signature, "signature");
  if (!(await strictVerify(key, bytesOf(`${parts.header}.${parts.payload}`), signature))) {
    throw new PermsnapError("bad_signature", `the signature does not verify with key \`${kid}\``);
  }
  return part(parts.payload, "payload");
}

/**
 * A strict Ed25519 verification: the byte checks, then WebCrypto. `key` is
 * `{bytes, key}` (the raw public key and its CryptoKey).
 */
async function strictVerify(key, message, signature) {
  if (signature.length !== 64 || !strictPrechecks(key.bytes, signature)) return false;
  return subtle().verify("Ed25519", key.key, signature, message);
}

/**
 * Whether `signature` is a strict Ed25519 signature of `message` by
 * `publicKey` (32 raw bytes), checked exactly as a token's signature is:
 * canonical `S`, neither `R` nor the key of small order, then WebCrypto.
 * For tests and audits; tokens need `Permissions.verify`.
 */
export async function verifyEd25519(publicKey, message, signature) {
  await ready();
  const bytes = new Uint8Array(publicKey);
  if (bytes.length !== 32) return false;
  let key;
  try {
    key = await subtle().importKey("raw", bytes, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    if (e?.name === "NotSupportedError") throw new PermsnapError("webcrypto_unavailable", "this engine's WebCrypto has no Ed25519", { cause: e });
    return false; // a key WebCrypto cannot import verifies nothing
  }
  return strictVerify({ bytes, key }, new Uint8Array(message), new Uint8Array(signature));
}

/**
 * Step 5. Only now is the payload parsed; the claim rules (`Claims::check`:
 * `iss`, `aud`, `exp` with the leeway, `nbf`/`iat` with the leeway and the
 * clock skew, the snapshot version) and the snapshot claim are Rust's.
 */
function readClaims(bytes, o) {
  const payload = json(bytes, "the payload");
  return boundary(() =>
    checkClaims(payload, o.audience, o.issuer, o.clock(), o.leeway, o.clockSkew),
  );
}

// ---------------------------------------------------------------- WebCrypto

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) {
    throw new PermsnapError(
      "webcrypto_unavailable",
      "WebCrypto is not available here: a page must be a secure context (https, or http://localhost)",
    );
  }
  return s;
}

async function importEd25519(bytes, kid) {
  try {
    return await subtle().importKey("raw", bytes, { name: "Ed25519" }, false, ["verify"]);
  } catch (e) {
    if (e instanceof PermsnapError) throw e;
    if (e?.name === "NotSupportedError") {
      throw new PermsnapError("webcrypto_unavailable", "this engine's WebCrypto has no Ed25519", { cause: e });
    }
    throw new PermsnapError("bad_jwks", `key \`${kid}\`: \`x\` is not an Ed25519 point (${e?.message ?? e})`, { cause: e });
  }
}

// ---------------------------------------------------------------- keys

// Imported keys by JWKS text: a page verifies a fresh token every few
// minutes against the same keys. Keyed by text, not by object, so a JWKS
// object changed in place (a rotation) is never served stale.
const keySets = new BoundedCache(4);

/** Step 3's keys: the JWKS read by the core's rules, each key imported into WebCrypto once. */
export function keysFor(jwks) {
  const text = typeof jwks === "string" ? jwks : JSON.stringify(jwks);
  let keys = keySets.get(text);
  if (keys === undefined) {
    keys = keySets.set(text, importKeys(text));
    keys.catch(() => keySets.delete(text));
  }
  return keys;
}

async function importKeys(text) {
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new PermsnapError("bad_jwks", `not a JWKS (\`{"keys": [...]}\`): ${e.message}`);
  }
  await ready();
  const keys = new Map();
  for (const [kid, bytes] of boundary(() => readJwks(parsed))) {
    keys.set(kid, { bytes, key: await importEd25519(bytes, kid) });
  }
  return keys;
}

// ---------------------------------------------------------------- manifests

// Parsed manifests by hash (what tokens name), and the hash of each text
// given: a page fetches a catalog's manifest once.
const manifests = new BoundedCache(8);
const hashes = new BoundedCache(8);

/** The manifest identity: `base64url(SHA-256(exact text))`, first 16 bytes. */
export async function manifestHash(text) {
  let hash = hashes.get(text);
  if (hash === undefined) {
    const digest = new Uint8Array(await subtle().digest("SHA-256", bytesOf(text)));
    hash = hashes.set(text, encode(digest.subarray(0, 16)));
  }
  return hash;
}

/**
 * Step 6's manifest. Given as text: that text, hashed (once per text) and
 * parsed (once per hash); a text of another hash than the token names is
 * refused by the snapshot check (`manifest_mismatch`). Given as a
 * function: the manifest the token names if it was parsed before,
 * otherwise the text the function returns for `{catalog, hash}`.
 */
async function manifestFor(source, claim) {
  if (typeof source === "function") {
    const known = manifests.get(claim.manifestHash);
    if (known !== undefined) return known;
  }
  const text = typeof source === "function" ? await source({ catalog: claim.catalog, hash: claim.manifestHash }) : source;
  if (typeof text !== "string") throw new TypeError("permsnap: the manifest must be its exact text (a string)");
  const hash = await manifestHash(text);
  let entry = manifests.get(hash);
  if (entry === undefined) {
    entry = manifests.set(hash, parseManifest(text, hash));
    entry.catch(() => manifests.delete(hash));
  }
  return entry;
}

async function parseManifest(text, hash) {
  let data;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw malformed(`the manifest is not JSON: ${e.message}`);
  }
  const wasm = boundary(() => Manifest.parse(data, hash));
  const ids = wasm.permissionIds();
  // A null-prototype object, not a Map: its keys are internalized, so a
  // lookup with a string literal compares pointers.
  const index = Object.create(null);
  ids.forEach((id, i) => {
    index[id] = i;
  });
  return { hash, wasm, ids, index, catalog: wasm.catalog };
}
