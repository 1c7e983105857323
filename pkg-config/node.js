// Node entry: the wasm module is loaded synchronously at import, so checks
// are usable at once; `init()` exists for code shared with the browser.
import { readFileSync } from "node:fs";
import { initSync } from "./permsnap_wasm.js";

initSync({ module: readFileSync(new URL("./permsnap_wasm_bg.wasm", import.meta.url)) });

export { Permissions, PermsnapError, gate } from "./core.js";

/** Already done at import in Node; resolves at once. */
export default async function init() {}
