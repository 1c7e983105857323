// Verification, as its steps (docs/architecture.md, "Verification, as
// steps"): split -> header -> key -> signature -> claims -> snapshot.
// WebCrypto checks the Ed25519 signature over the exact bytes received; the
// header, key and claim rules are the Rust core's, in JS (token.js,
// keys.js: the same codes as `permsnap verify` for every crafted token of
// test/crossroom.test.mjs); the snapshot claim is checked against its
// manifest by the Rust core in wasm (snapshot.js).

import { decode } from "./base64url.js";
import { BoundedCache } from "./cache.js";
import { PermsnapError, badJwks, malformed, refuse } from "./errors.js";
import { ed25519Keys } from "./keys.js";
import { loadManifest, newChecker, readClaim } from "./snapshot.js";
import { checkClaims, checkHeader, object, parse } from "./token.js";
import { loaded, ready, release, strictPrechecks } from "./wasm.js";

/** The longest token accepted unless `maxLength` says otherwise, in UTF-8 bytes (as the Rust verifier). */
export const DEFAULT_MAX_LENGTH = 64 * 1024;

/**
 * Seconds by which a token's `iat`/`nbf` may be ahead of this clock by
 * default: the issuer's clock may run a little ahead. `exp` is never
 * extended by it.
 */
export const DEFAULT_CLOCK_SKEW = 60;

const encoder = new TextEncoder();

/**
 * Verifies `token` with the keys of `jwks` and the catalog manifest the
 * options give; resolves to `{checker, subject, issuedAt, kid}`. `o` is
 * normalized (see checker.js): `audience`, `issuer`, `tenant`, `leeway`,
 * `clockSkew`, `maxLength`, `manifest`, `clock`.
 */
export async function verifyToken(token, jwks, o) {
  const parts = split(token, o.maxLength);
  if (!loaded()) await ready();
  const kid = checkHeader(object(part(parts[0], "header"), "the header"));
  const source = keySource(jwks);
  let key = await keyFor(source.get(false), kid);
  // A kid the keys do not know: the issuer may have rotated its key since
  // they were read. A fetched key set is read again once, past the HTTP cache.
  if (key === undefined && source.refreshable) key = await keyFor(source.get(true), kid);
  if (key === undefined) throw refuse("unknown_key", { kid });
  const signature = part(parts[2], "signature");
  if (!(await strictVerify(key, encoder.encode(`${parts[0]}.${parts[1]}`), signature))) throw refuse("bad_signature", { kid });
  // Step 5: the payload is decoded only now that its signature holds.
  const payload = object(part(parts[1], "payload"), "the payload");
  const { sub, iat, exp } = checkClaims(payload, o, o.clock());
  const claim = readClaim(payload.psnap, sub, exp);
  const manifest = manifestFor(o.manifest, claim);
  const checker = newChecker(manifest.hash ? manifest : await manifest, claim, sub);
  return { checker, subject: sub, issuedAt: iat ?? -Infinity, kid };
}

// White space as Rust's `str::trim` takes it (Unicode White_Space): JS's
// `trim` also strips U+FEFF (a byte order mark), which `permsnap verify`
// keeps and refuses (`malformed`), and keeps U+0085, which Rust strips.
const SPACE = /[\t-\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** `text` without the White_Space at either end (a loop, not a regex: linear on any input). */
function trim(text) {
  let start = 0;
  let end = text.length;
  while (start < end && SPACE.test(text[start])) start++;
  while (end > start && SPACE.test(text[end - 1])) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/**
 * The length of `text` in UTF-8 bytes, as Rust's `str::len` counts it (a
 * lone surrogate counts as the 3 bytes of U+FFFD, which it becomes).
 */
export function utf8Length(text) {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2; // a pair: 2 units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}

/**
 * Step 1. White space around the token (a trailing newline) is trimmed;
 * then the size limit, in UTF-8 bytes as natively, before anything is
 * parsed (an unauthenticated input bounds its own cost: a text longer in
 * UTF-16 units than the limit is refused without counting its bytes);
 * then exactly three parts, and a header part without white space
 * (`Bearer ...` gets a message that says so).
 */
function split(token, maxLength) {
  if (typeof token !== "string") throw malformed("the token is not a string");
  const text = trim(token);
  if (text.length > maxLength || utf8Length(text) > maxLength) throw refuse("too_large", { len: utf8Length(text), max: maxLength });
  if (text.startsWith("{") || text.startsWith('"')) {
    throw malformed("the token is JSON, not a compact JWS: pass the token itself (e.g. the `token` member of your server's answer)");
  }
  const parts = text.split(".");
  if (parts.length !== 3) throw malformed("a compact JWS has three parts separated by `.`");
  // Only the header is decoded before the signature is checked: white space
  // in the payload part is a bad signature, as natively.
  if (/\s/.test(parts[0])) {
    throw malformed("the token has white space inside it: pass the compact JWS alone (not `Bearer ...`, not a JSON document)");
  }
  return parts;
}

function part(text, what) {
  const bytes = decode(text);
  if (bytes === null) throw malformed(`the ${what} is not base64url without padding`);
  return bytes;
}

/**
 * Step 4. The signature over the exact bytes received (RFC 7515 section
 * 5.2), checked strictly: the byte checks `verify_strict` adds to RFC 8032
 * (canonical `S`, no small-order `R` or key), then WebCrypto Ed25519.
 * `key` is `{bytes, key}` (raw, and its CryptoKey); resolves to a boolean.
 */
function strictVerify(key, message, signature) {
  if (signature.length !== 64 || !strictPrechecks(key.bytes, signature)) return false;
  return subtle().verify("Ed25519", key.key, signature, message);
}

const noEd25519 = (cause) => new PermsnapError("webcrypto_unavailable", "this engine's WebCrypto has no Ed25519", { cause });

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
    key = await subtle().importKey("raw", bytes, "Ed25519", false, ["verify"]);
  } catch (e) {
    if (e?.name === "NotSupportedError") throw noEd25519(e);
    return false; // a key WebCrypto cannot import verifies nothing
  }
  return strictVerify({ bytes, key }, new Uint8Array(message), new Uint8Array(signature));
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
    return await subtle().importKey("raw", bytes, "Ed25519", false, ["verify"]);
  } catch (e) {
    if (e instanceof PermsnapError) throw e;
    if (e?.name === "NotSupportedError") throw noEd25519(e);
    throw new PermsnapError("bad_jwks", `key \`${kid}\`: \`x\` is not an Ed25519 point (${e?.message ?? e})`, { cause: e });
  }
}

// ---------------------------------------------------------------- keys

/** Whether a string names where the JWKS is (rather than being its JSON text). */
const isLocation = (text) => /^(?:https?:|\/|\.\.?\/)/i.test(text);

/**
 * Where a verifier's keys come from: given (a JWKS object or its JSON
 * text), at a URL (a `URL`, or a string starting with `/`, `./`, `../`,
 * `http:` or `https:`, relative to the page), or from a function
 * `({refresh}) => jwks` (or a promise of it). A fetched set is read once
 * and kept; `get(true)` reads it again past the HTTP cache (`cache:
 * "no-cache"`: revalidated with the server, which a key rotation changed),
 * one such read at a time.
 */
export class KeySource {
  #load = null;
  #latest;
  #refreshing = null;

  constructor(jwks) {
    if (typeof jwks === "function") this.#load = (refresh) => jwks({ refresh });
    else if (jwks instanceof URL || (typeof jwks === "string" && isLocation(jwks))) this.#load = fetcher(jwks);
    else this.#latest = jwks;
  }

  /** Whether the keys can be read again (a URL or a function). */
  get refreshable() {
    return this.#load !== null;
  }

  /** The key set (a value, or a promise of it); read again when `refresh`. */
  get(refresh) {
    if (this.#load === null) return this.#latest;
    if (refresh) {
      this.#refreshing ??= this.#read(true).finally(() => {
        this.#refreshing = null;
      });
      return this.#refreshing;
    }
    if (this.#latest === undefined) this.#latest = this.#read(false);
    return this.#latest;
  }

  #read(refresh) {
    const read = Promise.resolve(this.#load(refresh));
    // kept once read; a failed read is not kept (the next verification reads again)
    return read.then((jwks) => (this.#latest = jwks), (e) => {
      if (!refresh) this.#latest = undefined;
      throw e;
    });
  }
}

// Key sources by URL: the snapshots of a page that name one URL share the
// keys read from it (and a rotation one of them learnt of).
const locations = new BoundedCache(4);

/** The key source of `jwks` (kept by URL when it is one). */
export function keySource(jwks) {
  if (jwks instanceof KeySource) return jwks;
  if (!(jwks instanceof URL || (typeof jwks === "string" && isLocation(jwks)))) return new KeySource(jwks);
  const href = String(jwks);
  return locations.get(href) ?? locations.set(href, new KeySource(jwks));
}

/** Reads the JWKS at `url` (relative to the page): its text; `jwks_unavailable` when it cannot be read. */
function fetcher(url) {
  const href = String(url);
  return async (refresh) => {
    const where = new URL(href, globalThis.location?.href);
    let response;
    try {
      response = await fetch(where, { cache: refresh ? "no-cache" : "default", credentials: "same-origin" });
    } catch (e) {
      throw new PermsnapError("jwks_unavailable", `the JWKS at ${where} could not be fetched: ${e?.message ?? e}`, { cause: e });
    }
    if (!response.ok) throw new PermsnapError("jwks_unavailable", `the JWKS at ${where} answered HTTP ${response.status}`);
    return response.text();
  };
}

/** The imported key for `kid` from a key set (or a promise of one), or `undefined`. */
async function keyFor(jwks, kid) {
  const keys = keysFor(jwks instanceof Promise ? await jwks : jwks);
  return (keys instanceof Map ? keys : await keys).get(kid);
}

// Imported keys by JWKS text: a page verifies a fresh token every few
// minutes against the same keys. Keyed by text, not by object, so a JWKS
// object changed in place (a rotation) is never served stale.
const keySets = new BoundedCache(4);

/**
 * Step 3's keys: the JWKS read by the core's rules (keys.js), each key
 * imported into WebCrypto once. The `Map` once imported, a promise of it
 * before.
 */
function keysFor(jwks) {
  const text = typeof jwks === "string" ? jwks : JSON.stringify(jwks);
  let keys = keySets.get(text);
  if (keys === undefined) {
    keys = keySets.set(text, importKeys(text));
    keys.then((m) => keySets.get(text) === keys && keySets.set(text, m), () => keySets.delete(text));
  }
  return keys;
}

async function importKeys(text) {
  let parsed;
  try {
    parsed = parse(text, "the JWKS");
  } catch (e) {
    throw badJwks("NotAJwks", { detail: e.message });
  }
  const keys = new Map();
  for (const [kid, bytes] of ed25519Keys(parsed)) keys.set(kid, { bytes, key: await importEd25519(bytes, kid) });
  return keys;
}

// ---------------------------------------------------------------- manifests

// Manifests by hash (what tokens name), kept in wasm until they leave the
// cache, and the hash of each text given: a page fetches a catalog's
// manifest once.
const manifests = new BoundedCache(8, (m) => release(m.handle));
const hashes = new BoundedCache(8);

/** The manifest identity: `base64url(SHA-256(exact text))`, first 16 bytes. */
async function manifestHash(text) {
  let hash = hashes.get(text);
  if (hash === undefined) {
    const digest = new Uint8Array(await subtle().digest("SHA-256", encoder.encode(text)));
    const b64 = btoa(String.fromCharCode(...digest.subarray(0, 16)));
    hash = hashes.set(text, b64.slice(0, 22).replace(/\+/g, "-").replace(/\//g, "_"));
  }
  return hash;
}

/**
 * Step 6's manifest (the one read before, at once; otherwise a promise of
 * it). Given as text: that text, hashed (once per text) and read (once per
 * hash); a text of another hash than the token names is refused by the
 * snapshot check (`manifest_mismatch`). Given as a function: the manifest
 * the token names if it was read before, otherwise the text the function
 * returns for `{catalog, hash}`.
 */
function manifestFor(source, claim) {
  const known = manifests.get(typeof source === "function" ? claim.hash : hashes.get(source));
  return known ?? readManifest(source, claim);
}

async function readManifest(source, claim) {
  const text = typeof source === "function" ? await source({ catalog: claim.catalog, hash: claim.hash }) : source;
  if (typeof text !== "string") throw new TypeError("permsnap: the manifest must be its exact text (a string)");
  const hash = await manifestHash(text);
  return manifests.get(hash) ?? manifests.set(hash, loadManifest(parse(text, "the manifest"), hash));
}
