// Browser and bundler entry: call `await init()` once before `Permissions.verify`.
import wasmInit from "./permsnap_wasm.js";

export { Permissions, PermsnapError, gate } from "./core.js";

/**
 * Loads the wasm module (by default from beside this file; pass a URL,
 * Response or bytes to load it from elsewhere). Safe to call more than once.
 */
export default async function init(input) {
  await wasmInit(input === undefined ? undefined : { module_or_path: input });
}
