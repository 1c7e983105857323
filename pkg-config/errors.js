// Errors: `PermsnapError` with a stable `code`, the codes the JS face adds
// to the Rust lists, and the one place where what the wasm module throws is
// turned into a `PermsnapError`. Anything else thrown (a wasm trap, a bug,
// a TypeError from a wrong argument) is rethrown as it is: a bug must never
// look like a bad token.

/** A refused token, key set or manifest, or a package that cannot run; `code` is stable. */
export class PermsnapError extends Error {
  /**
   * @param {string} code a stable code (see `ERROR_CODES`)
   * @param {string} message a sentence for a person
   * @param {{cause?: unknown}} [options]
   */
  constructor(code, message, options) {
    super(message, options);
    this.name = "PermsnapError";
    this.code = code;
  }
}

/**
 * Error codes only the JS face produces (the others are the Rust crate's
 * `VerifyError::CODES` and `KeyError::CODES`).
 */
export const JS_ERROR_CODES = Object.freeze([
  "stale_token", // update(): the new token was issued before the current one
  "wrong_subject", // update(): the new token is for another user
  "webcrypto_unavailable", // no WebCrypto Ed25519 here (an old engine, or a page that is not a secure context)
  "wasm_unavailable", // the wasm module did not load (CSP without 'wasm-unsafe-eval', a 403 ...)
]);

/** Reason codes only the JS face produces (the others are the Rust crate's `Reason::ALL`). */
export const JS_REASONS = Object.freeze([
  "unverified", // no verified snapshot: none yet, a failed verify, or disposed
  "bad_resource", // the resource is not an object (or a control's data-resource is not JSON)
]);

/** Whether `thrown` is the `{code, message}` object the wasm boundary throws. */
function isBoundaryError(thrown) {
  return (
    thrown !== null &&
    typeof thrown === "object" &&
    !(thrown instanceof Error) &&
    typeof thrown.code === "string" &&
    typeof thrown.message === "string"
  );
}

/**
 * Calls `fn`; a `{code, message}` thrown by the wasm boundary becomes a
 * `PermsnapError`, anything else propagates unchanged.
 */
export function boundary(fn) {
  try {
    return fn();
  } catch (thrown) {
    if (isBoundaryError(thrown)) throw new PermsnapError(thrown.code, thrown.message);
    throw thrown;
  }
}
