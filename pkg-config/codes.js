// The codes, as data, in the Rust crate's order: the wasm module answers
// with indices into REASONS and VERIFY_ERRORS, so these lists must be
// `Reason::ALL`, `VerifyError::CODES` and `KeyError::CODES` exactly
// (tests/wasm.rs compares them with the Rust lists). No imports: the Rust
// boundary tests load this file as it is.

/** Rust `Reason::ALL`: why a check was decided, in the order they are tried. */
export const REASONS = [
  "unknown_user",
  "unknown_action",
  "unknown_label",
  "disabled",
  "expired",
  "home_label_closed",
  "label_closed",
  "owner",
  "no_label_access",
  "restricted",
  "granted",
  "condition_failed",
  "not_granted",
];

/** Rust `VerifyError::CODES`: why a token was refused. */
export const VERIFY_ERRORS = [
  "malformed",
  "too_large",
  "bad_signature",
  "unknown_key",
  "alg_not_allowed",
  "typ_mismatch",
  "crit_unsupported",
  "key_in_header",
  "expired",
  "not_yet_valid",
  "wrong_audience",
  "wrong_issuer",
  "unsupported_version",
  "manifest_mismatch",
  "wrong_tenant",
];

/** Rust `KeyError::CODES`: why a key set (or a key) was refused. */
export const KEY_ERRORS = ["bad_jwks", "bad_key"];

/** Error codes only the JS face produces. */
export const JS_ERROR_CODES = Object.freeze([
  "stale_token", // update(): the new token was issued before the current one
  "wrong_subject", // update(): the new token is for another user
  "webcrypto_unavailable", // no WebCrypto Ed25519 here (an old engine, or a page that is not a secure context)
  "wasm_unavailable", // the wasm module did not load (CSP without 'wasm-unsafe-eval', a 403 ...)
  "jwks_unavailable", // the JWKS given as a URL could not be fetched (network, an HTTP error)
]);

/** Reason codes only the JS face produces. */
export const JS_REASONS = Object.freeze([
  "unverified", // no verified snapshot: a failed verify, none given, or disposed
  "bad_resource", // the resource is not an object, or a list (or a control's data-resource is not JSON)
  "snapshot_expired", // the snapshot is past its exp (the account's end of access is `expired`)
  "pending", // the snapshot is being verified
]);

/** The sentence of each JS-only reason (`JS_REASONS`), a person reads it. */
export const JS_MESSAGES = Object.freeze({
  unverified: "Your permissions could not be verified",
  bad_resource: "The resource is not an object (a list is not a record)",
  snapshot_expired: "Your permissions on this page are out of date: they are being renewed, or reload the page",
  pending: "Checking your permissions…",
});

/** A denial for a JS-only reason, with its sentence (and `detail` after it, when given). */
export const jsDenial = (reason, detail) =>
  Object.freeze({ allowed: false, reason, message: detail ? `${JS_MESSAGES[reason]}: ${detail}` : JS_MESSAGES[reason] });

/** Every error code a `PermsnapError` can have. */
export const errorCodes = () => [...VERIFY_ERRORS, ...KEY_ERRORS, ...JS_ERROR_CODES];

/** Every reason code `explain` can answer with. */
export const reasonCodes = () => [...REASONS, ...JS_REASONS];

// Rust `Reason::message`, by reason index: a sentence a person reads.
const SENTENCES = [
  "This user is not known to the back office",
  "This action is not a permission of the back office",
  "This label does not exist",
  "Your account is disabled",
  "Your access has expired",
  "Your home label is closed, so your access is closed everywhere",
  "This label is closed",
  "Allowed: you are the account owner",
  "You have no access to this label",
  "Restricted for you in this label",
  "Allowed for you in this label",
  "Allowed only for other records (e.g. the ones assigned to you)",
  "Your role does not include this action",
];
const QUOTED = { 9: "Restricted: ", 10: "Allowed by " };

/**
 * The sentence for reason index `i` (Rust `Reason::message`): for
 * `restricted` and `granted`, naming `title` (the title of what `by`
 * names) when there is one.
 */
export const reasonMessage = (i, title) => (title && QUOTED[i] ? QUOTED[i] + title : SENTENCES[i] ?? "");
