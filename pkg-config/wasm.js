// Loading the wasm module (once: from beside this file by default, or from
// where `init(input)` says; synchronously from bytes in Node) and the
// numbers that cross its boundary. The module holds the decision and
// nothing else (src/wasm/mod.rs): inputs are written into its exchange buffer,
// a view of its memory that `buffer(n)` keeps valid; answers and refusals
// come back as numbers.

import { PermsnapError } from "./errors.js";

let loading = null;
let wasm = null; // the module's exports, once instantiated
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
 * What the module imports: wasm-bindgen's start function sets up its
 * reference table (unused here: only numbers cross) through this one
 * function, word for word wasm-bindgen's. scripts/build-pkg.sh fails the
 * build when the module imports anything else or the glue's version of it
 * changes, so this loader stands in for wasm-bindgen's glue (1 KB gzip).
 */
const imports = () => ({
  "./permsnap_wasm_bg.js": {
    __wbindgen_init_externref_table() {
      const table = wasm.__wbindgen_externrefs;
      table.set(0, undefined);
      table.set(1024, undefined);
      table.set(1025, null);
      table.set(1026, true);
      table.set(1027, false);
    },
  },
});

function start(instance) {
  wasm = instance.exports;
  wasm.__wbindgen_start();
}

/** An instance from a URL, Request, Response, bytes or compiled module (or a promise of one). */
async function instantiate(input = new URL("permsnap_wasm_bg.wasm", import.meta.url)) {
  let source = input;
  if (typeof source === "string" || source instanceof URL || (typeof Request === "function" && source instanceof Request)) {
    source = fetch(source);
  }
  source = await source;
  if (typeof Response === "function" && source instanceof Response) {
    if (!source.ok) throw new Error(`failed to fetch Wasm: ${source.status} ${source.statusText} fetching '${source.url}'`);
    // compiled while it downloads, unless the server sends another type (which streaming refuses)
    if (source.headers.get("content-type") === "application/wasm") {
      return (await WebAssembly.instantiateStreaming(source, imports())).instance;
    }
    source = await source.arrayBuffer();
  }
  const out = await WebAssembly.instantiate(source, imports());
  return out.instance ?? out;
}

/**
 * Loads the wasm module once. `input` is where to load it from (a URL,
 * Request, Response, bytes or a compiled module); by default the
 * `permsnap_wasm_bg.wasm` beside this file. Rejects with a `PermsnapError`
 * `wasm_unavailable` when it cannot load; a later call tries again.
 */
export function init(input) {
  if (wasm) return Promise.resolve();
  loading ??= instantiate(input).then(start, (e) => {
    loading = null;
    throw unavailable(e);
  });
  return loading;
}

/** Instantiates the module from its bytes, synchronously (the Node entry). */
export function initSync(bytes) {
  if (wasm) return;
  try {
    start(new WebAssembly.Instance(new WebAssembly.Module(bytes), imports()));
  } catch (e) {
    throw unavailable(e);
  }
  loading = Promise.resolve();
}

/** Whether the module is loaded. */
export const loaded = () => wasm !== null;

/** Resolves once the module is loaded, loading it from the default place if nobody did. */
export const ready = () => (wasm ? Promise.resolve() : init());

/**
 * The exchange buffer as a `Float64Array` of at least `n` numbers. The
 * module moves the buffer only when asked to grow it (here), and any call
 * may grow the memory, which detaches the view (its length becomes 0).
 */
export function buffer(n) {
  if (view.length < n) {
    const at = wasm.io(n) >>> 0; // may grow the memory: its buffer is read after
    view = new Float64Array(wasm.memory.buffer, at, n);
  }
  return view;
}

/** Whether `key` (32 bytes) and `signature` (64 bytes) pass the strict byte checks (src/wasm/mod.rs). */
export function strictPrechecks(key, signature) {
  const v = buffer(96);
  v.set(key);
  v.set(signature, 32);
  return wasm.strictPrechecks() !== 0;
}

/** Whether `key` (32 bytes) is a point of small order. */
export function smallOrder(key) {
  buffer(32).set(key);
  return wasm.smallOrder() !== 0;
}

// The module's functions (src/wasm/mod.rs documents them); unsigned answers read as such.
export const check = (checker, permission, label, now, scoped) => wasm.check(checker, permission, label, now, scoped) >>> 0;
export const checker = (manifest, len) => wasm.checker(manifest, len);
export const detail = () => wasm.detail() >>> 0;
export const manifest = (len) => wasm.manifest(len);
export const release = (handle) => wasm.release(handle);
