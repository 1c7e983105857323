// A page written with the provider layer only (PermissionsProvider, useCan,
// Gate, usePermissionsState): rendered on the server with the snapshot
// verified there (react.test.mjs), hydrated in Chromium (provider-client.mjs).
import { createElement as h, useEffect, useRef } from "react";
import { Gate, PermissionsProvider, useCan, usePermissionsState } from "../../../pkg/react.js";

// The status differs between the server (ready) and the hydrating browser
// (pending): it is written after hydration, never into the server's markup.
function Status() {
  const s = usePermissionsState();
  const ref = useRef(null);
  useEffect(() => {
    ref.current.dataset.status = s.status;
    ref.current.dataset.error = s.error?.code ?? "";
  });
  return h("p", { id: "status", ref });
}

function Toolbar() {
  const mayView = useCan("player.view");
  return h("nav", { id: "toolbar", "data-may-view": String(mayView) },
    h(Gate, { action: "player.give_bonus", disable: true }, h("button", { id: "bonus" }, "Give bonus")),
    h(Gate, { action: "player.complete_mission", disable: true }, h("button", { id: "mission" }, "Complete mission")),
    h(Gate, { action: "player.complete_mission", fallback: h("span", { id: "no-mission" }, "—") }, h("button", { id: "mission-hidden" }, "Complete mission")),
    h(Gate, { action: "player.give_bonus" }, h("a", { id: "bonus-link", href: "#bonus" }, "Bonus history")));
}

/** The page for `snapshot` (a Permissions, a promise of one, or null) in label 4444. */
export function ProviderPage({ snapshot, serverState }) {
  return h(PermissionsProvider, { snapshot, serverState, label: 4444 }, h("main", null, h(Status), h(Toolbar)));
}
