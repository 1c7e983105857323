// The flow after issue 20: the manifest imported at build time (bundled
// into this module, as a bundler inlines `import manifest from
// "./smartico-crm.manifest.json?raw"`; the benchmark's server writes it in
// for the placeholder below), the JWKS given by URL, every request preloaded by the
// HTML.
import init, { Permissions, gate } from "/pkg/index.js";

const manifest = __MANIFEST__;

init(); // the wasm, from the preload, while the token arrives
const token = await fetch("/api/token").then((r) => r.json()).then((t) => t.token);
const perms = await Permissions.verify(token, "/.well-known/jwks.json", { audience: "backoffice", manifest });
gate(document.body, perms, { label: 4444 });
window.__decided = performance.now();
