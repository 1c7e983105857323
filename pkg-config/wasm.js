// Loading the wasm module: once, from beside this file by default (or from
// where `init(input)` says), synchronously from bytes in Node. Everything
// that calls into wasm waits for `ready()`; nothing here decides anything.

import glueInit, { initSync as glueInitSync, wasmMemory } from "./permsnap_wasm.js";
import { PermsnapError } from "./errors.js";

let loading = null;
let loaded = false;

function unavailable(cause) {
  const why = cause && cause.message ? cause.message : String(cause);
  return new PermsnapError(
    "wasm_unavailable",
    `the permsnap wasm module did not load (${why}); a Content-Security-Policy needs 'wasm-unsafe-eval'`,
    { cause },
  );
}

/**
 * Loads the wasm module once. `input` is where to load it from (a URL,
 * Request, Response, bytes or a compiled module); by default the
 * `permsnap_wasm_bg.wasm` beside this file. Rejects with a `PermsnapError`
 * `wasm_unavailable` when it cannot load; a later call tries again.
 */
export function init(input) {
  if (loading === null) {
    const options = input === undefined ? undefined : { module_or_path: input };
    loading = glueInit(options).then(
      () => {
        loaded = true;
      },
      (e) => {
        loading = null;
        throw unavailable(e);
      },
    );
  }
  return loading;
}

/** Instantiates the module from its bytes, synchronously (the Node entry). */
export function initSync(bytes) {
  if (loaded) return;
  try {
    glueInitSync({ module: bytes });
  } catch (e) {
    throw unavailable(e);
  }
  loaded = true;
  loading = Promise.resolve();
}

/** Resolves once the module is loaded, loading it from the default place if nobody did. */
export function ready() {
  return loaded ? Promise.resolve() : init();
}

/** The module's memory (for the typed slots of scoped checks). */
export function memory() {
  return wasmMemory();
}
