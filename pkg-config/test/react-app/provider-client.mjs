// The browser's side of the provider page: hydrate the server's HTML with
// the server's answers and the promise of the browser's own verification
// (started after a delay, so that the server's answers are seen standing
// alone), recording every state each control takes from the first paint.
import { createElement as h } from "react";
import { hydrateRoot } from "react-dom/client";
import { Permissions } from "../../../pkg/index.js";
import { ProviderPage } from "./provider-app.mjs";

const f = await (await fetch("/__fixtures.json")).json();
const serverState = JSON.parse(document.getElementById("permsnap-state").textContent);

// Every state of the controls, from the server's HTML on.
const seen = { bonus: [], mission: [], hidden: [], link: [] };
const sample = () => {
  const push = (list, v) => list.at(-1) !== v && list.push(v);
  push(seen.bonus, document.getElementById("bonus")?.disabled ? "disabled" : "enabled");
  push(seen.mission, document.getElementById("mission")?.disabled ? "disabled" : "enabled");
  push(seen.hidden, document.getElementById("mission-hidden") ? "shown" : "hidden");
  push(seen.link, document.getElementById("bonus-link") ? "shown" : "hidden");
};
sample();
new MutationObserver(sample).observe(document.getElementById("root"), { subtree: true, childList: true, attributes: true });
window.__seen = seen;
window.__recoverable = [];

const verified = new Promise((r) => setTimeout(r, 300)).then(() =>
  Permissions.verify(f.token, f.jwks, { audience: "backoffice", manifest: f.manifest, now: f.now }));
hydrateRoot(document.getElementById("root"), h(ProviderPage, { snapshot: verified, serverState }), {
  onRecoverableError: (e) => window.__recoverable.push(String(e)),
});
window.__hydrated = true;
verified.then(() => setTimeout(() => (window.__settled = true), 50), () => setTimeout(() => (window.__settled = true), 50));
