// permsnap for browsers and bundlers: what is public (live updates are the
// `permsnap/live` subpath, the React hook `permsnap/react`). `Permissions.verify`
// loads the wasm module on first use (from beside this file); call
// `init(url)` first to load it from elsewhere, or to learn early that it
// cannot load (then gate the page with `gate(root, null, ...)`);
// `initSync(bytes)` instantiates it synchronously (Node, workers).

export { Permissions } from "./checker.js";
export { errorCodes, reasonCodes, JS_ERROR_CODES, JS_REASONS } from "./codes.js";
export { PermsnapError } from "./errors.js";
export { gate } from "./gate.js";
export { verifyEd25519 } from "./verify.js";
export { init as default, initSync } from "./wasm.js";
