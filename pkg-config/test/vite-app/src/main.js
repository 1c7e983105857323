// A Vite app using the package as a dependency named `permsnap`.
import init, { Permissions, gate } from "permsnap";

const f = await (await fetch("/__fixtures.json")).json();
await init();
const perms = Permissions.verify(f.token, f.jwks, { audience: "backoffice", now: f.now });
gate(document.body, perms, { label: 4444 });
window.__result = { bonus: perms.can("player.give_bonus", 4444), mission: perms.explain("player.complete_mission", 4444).reason };
