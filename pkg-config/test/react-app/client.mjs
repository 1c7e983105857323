// The page's side: hydrate the server's HTML with no snapshot yet, then
// verify and hand the snapshot to the same tree.
import { createElement as h, useState, useEffect } from "react";
import { hydrateRoot } from "react-dom/client";
import { Permissions } from "../../../pkg/index.js";
import { PlayerPage } from "./app.mjs";

const f = await (await fetch("/__fixtures.json")).json();
let deliver;
const snapshot = new Promise((r) => { deliver = r; });

function App() {
  const [perms, setPerms] = useState(null);
  useEffect(() => { snapshot.then(setPerms); }, []);
  return h(PlayerPage, { perms, label: 4444 });
}

hydrateRoot(document.getElementById("root"), h(App));
window.__hydrated = true;
await new Promise((r) => setTimeout(r, 50));
window.__beforeVerify = document.getElementById("player-give_bonus").disabled;
deliver(await Permissions.verify(f.token, f.jwks, { audience: "backoffice", manifest: f.manifest, now: f.now }));
