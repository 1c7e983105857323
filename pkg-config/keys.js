// The JWK rules of the Rust browser core (`Jwk::public_key`,
// `JwkSet::ed25519_keys` in src/core/snapshot/keys.rs) on a parsed JWKS: the
// Ed25519 keys it holds, as `[kid, bytes]`, or `bad_jwks`. The small-order
// check is the core's own, in wasm (`smallOrder`).

import { decode } from "./base64url.js";
import { badJwks } from "./errors.js";
import { isObject } from "./token.js";
import { smallOrder } from "./wasm.js";

const FIELDS = ["kty", "crv", "alg", "use", "kid", "x"];

/** The set's shape: `{"keys": [...]}`, every key an object whose members are strings (or null). */
function shape(set) {
  if (!isObject(set) || !Array.isArray(set.keys)) throw badJwks("NotAJwks", { detail: "no `keys` list" });
  set.keys.forEach((key, i) => {
    if (!isObject(key)) throw badJwks("NotAJwks", { detail: `keys[${i}] is not an object` });
    const f = FIELDS.find((f) => key[f] != null && typeof key[f] !== "string");
    if (f) throw badJwks("NotAJwks", { detail: `keys[${i}].${f} is not a string` });
  });
}

/**
 * One Ed25519 key's rules: `alg`, when present, EdDSA or Ed25519; `use`,
 * when present, `sig`; a non-empty `kid`; `x` 32 bytes of strict base64url,
 * not of small order. Returns `[kid, bytes]`.
 */
function publicKey(key, index) {
  const refuse = (kind, f) => badJwks("InJwks", { index, kind, ...f });
  if (key.alg != null && key.alg !== "EdDSA" && key.alg !== "Ed25519") throw refuse("AlgNotEdDsa", { alg: key.alg });
  if (key.use != null && key.use !== "sig") throw refuse("UseNotSig", { use: key.use });
  const kid = key.kid;
  if (!kid) throw refuse("NoKid");
  const bytes = key.x == null ? null : decode(key.x);
  if (bytes?.length !== 32) throw refuse("BadBytes", { kid });
  if (smallOrder(bytes)) throw refuse("WeakKey", { kid });
  return [kid, bytes];
}

/**
 * The Ed25519 keys of a parsed JWKS, in order. Keys of other types are
 * left out; a private key (`d`), a refused Ed25519 key, two keys with one
 * `kid`, or no Ed25519 key at all refuses the set.
 */
export function ed25519Keys(set) {
  shape(set);
  const out = [];
  set.keys.forEach((key, index) => {
    if (Object.hasOwn(key, "d")) throw badJwks("PrivateKeyInJwks", { index });
    if (key.kty !== "OKP" || key.crv !== "Ed25519") return;
    const [kid, bytes] = publicKey(key, index);
    if (out.some(([k]) => k === kid)) throw badJwks("DuplicateKid", { kid });
    out.push([kid, bytes]);
  });
  if (out.length === 0) throw badJwks("NoEd25519Key");
  return out;
}
