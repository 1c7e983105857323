// The codes, as data: every error and reason code the package can give,
// the Rust crate's lists (read from the wasm module, so they cannot drift
// from \`Reason::ALL\`, \`VerifyError::CODES\`, \`KeyError::CODES\`) and the
// codes the JS face adds.

import { JS_ERROR_CODES, JS_REASONS } from "./errors.js";
import { keyErrorCodes, reasonCodes as rustReasons, verifyErrorCodes } from "./permsnap_wasm.js";

/** Every error code a \`PermsnapError\` can have. Needs the wasm module loaded. */
export function errorCodes() {
  return [...verifyErrorCodes(), ...keyErrorCodes(), ...JS_ERROR_CODES];
}

/** Every reason code \`explain\` can answer with. Needs the wasm module loaded. */
export function reasonCodes() {
  return [...rustReasons(), ...JS_REASONS];
}
