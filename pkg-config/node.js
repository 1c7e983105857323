// permsnap for Node: the wasm module is instantiated synchronously at
// import, so `Permissions.verify` needs no `init()`; `init()` exists for
// code shared with the browser. Verification uses Node's WebCrypto.
// scripts/build-pkg.sh writes the module's bytes into WASM below (base64):
// a fresh process then reads no file, and imports no `node:fs` (which
// costs it more than compiling the module).

import { initSync } from "./index.js";

const WASM = "__PERMSNAP_WASM_BASE64__";
initSync(Buffer.from(WASM, "base64"));

export * from "./index.js";
export { default } from "./index.js";
