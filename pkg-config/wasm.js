// Loading the wasm module (once: from beside this file by default, or from
// where `init(input)` says; synchronously from bytes in Node) and the
// numbers that cross its boundary. The module holds the decision and
// nothing else (src/wasm/mod.rs): inputs are written into its exchange buffer,
// a view of its memory that `buffer(n)` keeps valid; answers and refusals
// come back as numbers.

import glueInit, { initSync as glueInitSync, io, smallOrder as small, strictPrechecks as prechecks } from "./permsnap_wasm.js";
import { PermsnapError } from "./errors.js";

let loading = null;
let memory = null; // the module's memory, once loaded
let view = new Float64Array(0);

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
      (exports) => {
        memory = exports.memory;
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
  if (memory) return;
  try {
    memory = glueInitSync({ module: bytes }).memory;
  } catch (e) {
    throw unavailable(e);
  }
  loading = Promise.resolve();
}

/** Whether the module is loaded. */
export const loaded = () => memory !== null;

/** Resolves once the module is loaded, loading it from the default place if nobody did. */
export const ready = () => (memory ? Promise.resolve() : init());

/**
 * The exchange buffer as a `Float64Array` of at least `n` numbers. The
 * module moves the buffer only when asked to grow it (here), and any call
 * may grow the memory, which detaches the view (its length becomes 0).
 */
export function buffer(n) {
  if (view.length < n) {
    const at = io(n); // may grow the memory: its buffer is read after
    view = new Float64Array(memory.buffer, at, n);
  }
  return view;
}

/** Whether `key` (32 bytes) and `signature` (64 bytes) pass the strict byte checks (src/wasm/mod.rs). */
export function strictPrechecks(key, signature) {
  const v = buffer(96);
  v.set(key);
  v.set(signature, 32);
  return prechecks();
}

/** Whether `key` (32 bytes) is a point of small order. */
export function smallOrder(key) {
  buffer(32).set(key);
  return small();
}

export { check, checker, detail, manifest, release } from "./permsnap_wasm.js";
