// Errors: `PermsnapError` with a stable `code`, made here from a code and
// the values it names (the sentences are the Rust crate's `Display` of
// `VerifyError` and `KeyError`, word for word: tests/wasm.rs compares
// them). Anything else thrown (a wasm trap, a bug, a TypeError from a wrong
// argument) is never turned into one: a bug must not look like a bad token.

/** A refused token, key set or manifest, or a package that cannot run; `code` is stable. */
export class PermsnapError extends Error {
  /**
   * @param {string} code a stable code (see `errorCodes()`)
   * @param {string} message a sentence for a person
   * @param {{cause?: unknown}} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = "PermsnapError";
    this.code = code;
  }
}

const or = (v) => v ?? "";

/** Rust `VerifyError`'s `Display`: the sentence for `code` with the values `f` names. */
export function verifyMessage(code, f) {
  switch (code) {
    case "too_large":
      return `the token has ${f.len} bytes, more than the limit of ${f.max}`;
    case "bad_signature":
      return `the signature does not verify with key \`${f.kid}\``;
    case "unknown_key":
      return f.kid == null ? "the header has no `kid`" : `no key \`${f.kid}\` in the JWKS`;
    case "alg_not_allowed":
      return f.alg == null ? "the header has no `alg`" : `\`alg\` \`${f.alg}\` is not allowed; only \`EdDSA\` (or \`Ed25519\`)`;
    case "typ_mismatch":
      return f.typ == null ? "the header has no `typ` (`permsnap+jwt`)" : `\`typ\` \`${f.typ}\` is not \`permsnap+jwt\``;
    case "crit_unsupported":
      return "the header has `crit`; permsnap understands no critical extension";
    case "key_in_header":
      return `the header carries \`${f.param}\`; keys come only from the JWKS`;
    case "expired":
      return `the token expired at ${f.exp} (\`exp\`)`;
    case "not_yet_valid":
      return `\`${f.claim}\` ${f.at} is in the future`;
    case "wrong_audience":
      return `\`aud\` does not name \`${f.expected}\``;
    case "wrong_issuer":
      return `\`iss\` is \`${or(f.found)}\`, not \`${f.expected}\``;
    case "unsupported_version":
      return `snapshot version ${f.version} is not supported (this build reads version 2)`;
    case "manifest_mismatch":
      return `the token was compiled against catalog manifest \`${f.found}\`, not the one given (\`${f.expected}\`)`;
    case "wrong_tenant":
      return f.found == null ? `the token names no tenant (\`tid\`); expected \`${f.expected}\`` : `\`tid\` is \`${f.found}\`, not \`${f.expected}\``;
    default:
      return or(f.detail);
  }
}

/** A refused token: `code` with the values its sentence names. */
export const refuse = (code, f = {}) => new PermsnapError(code, verifyMessage(code, f));

/** A `malformed` refusal saying `detail`. */
export const malformed = (detail) => refuse("malformed", { detail });

/** Rust `KeyError`'s `Display` for the refusals of a key set (`kind` is the variant's name). */
export function keyMessage(kind, f) {
  switch (kind) {
    case "NotAJwks":
      return `not a JWKS (\`{"keys": [...]}\`): ${f.detail}`;
    case "NoEd25519Key":
      return "the JWKS has no Ed25519 key";
    case "PrivateKeyInJwks":
      return `keys[${f.index}] is a private key (\`d\`): publish only public keys`;
    case "DuplicateKid":
      return `the JWKS has two keys with \`kid\` \`${f.kid}\``;
    case "InJwks":
      return `keys[${f.index}]: ${keyMessage(f.kind, f)}`;
    case "AlgNotEdDsa":
      return `key \`alg\` \`${f.alg}\` is not \`EdDSA\` or \`Ed25519\``;
    case "UseNotSig":
      return `key \`use\` \`${f.use}\` is not \`sig\``;
    case "NoKid":
      return "the key has no `kid`";
    case "BadBytes":
      return `key \`${f.kid}\`: \`x\` is not 32 bytes of base64url without padding`;
    default: // WeakKey
      return `key \`${f.kid}\`: \`x\` is not an Ed25519 point of large order`;
  }
}

/** A refused key set (`bad_jwks`). */
export const badJwks = (kind, f = {}) => new PermsnapError("bad_jwks", keyMessage(kind, f));
