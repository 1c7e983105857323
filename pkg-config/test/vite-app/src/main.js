// A Vite app using the package as a dependency named `permsnap`: the
// stylesheet keeps controls unusable until the gate decides them.
import "permsnap/permsnap.css";
import init, { Permissions, gate } from "permsnap";

const f = await (await fetch("/__fixtures.json")).json();
let perms = null;
try {
  await init();
  perms = await Permissions.verify(f.token, f.jwks, { audience: "backoffice", manifest: f.manifest, now: f.now });
} catch (e) {
  console.warn("permissions not verified:", e.code);
}
gate(document.body, perms, { label: 4444 });
window.__result = { bonus: perms?.can("player.give_bonus", 4444) ?? null, mission: perms?.explain("player.complete_mission", 4444).reason ?? null };
