// permsnap for Node: the wasm module is instantiated synchronously at
// import, so `Permissions.verify` needs no `init()`; `init()` exists for
// code shared with the browser. Verification uses Node's WebCrypto.

import { readFileSync } from "node:fs";
import { initSync } from "./index.js";

initSync(readFileSync(new URL("./permsnap_wasm_bg.wasm", import.meta.url)));

export * from "./index.js";
export { default } from "./index.js";
