// The flow before issue 20: the token and the JWKS fetched by the page, the
// manifest asked for once the token names it, the wasm loaded by verify.
import { Permissions, gate } from "/pkg/index.js";

const [token, jwks] = await Promise.all([
  fetch("/api/token").then((r) => r.json()).then((t) => t.token),
  fetch("/.well-known/jwks.json").then((r) => r.json()),
]);
const manifest = ({ hash }) => fetch(`/v1/manifest/${hash}`).then((r) => r.text());
const perms = await Permissions.verify(token, jwks, { audience: "backoffice", manifest });
gate(document.body, perms, { label: 4444 });
window.__decided = performance.now();
