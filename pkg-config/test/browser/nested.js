// The click guard in a page without the stylesheet: sue may give bonuses
// but not complete missions (label 4444).
import init, { Permissions, gate } from "/pkg/index.js";

const f = await (await fetch("/__fixtures.json")).json();
await init();
const sue = await Permissions.verify(f.sue, f.jwks, { audience: "backoffice", manifest: f.crm, now: f.now });
gate(document.getElementById("crm"), sue, { label: 4444 });
window.__seen = [];
for (const type of ["click", "auxclick"]) window.addEventListener(type, (e) => window.__seen.push(`${type} ${e.target.id}`));
window.__result = { done: true };
