// A React component using the package's hook, rendered on the server
// (react.test.mjs, renderToString in Node) and hydrated in Chromium
// (client.mjs, bundled by esbuild).
import { createElement as h } from "react";
import { useCan, usePermissions } from "../../../pkg/react.js";

function Control({ view, action, label, children }) {
  const why = view.explain(action, label);
  return h("button", { id: action.replace(".", "-"), disabled: !why.allowed, title: why.allowed ? undefined : why.message,
    "data-reason": why.allowed ? undefined : why.reason }, children);
}

/** The controls of a player page for `perms` (null before a snapshot is verified). */
export function PlayerPage({ perms, label }) {
  const view = usePermissions(perms);
  const mayView = useCan(perms, "player.view", label);
  return h("main", { "data-ready": String(view.ready), "data-may-view": String(mayView) },
    h(Control, { view, action: "player.give_bonus", label }, "Give bonus"),
    h(Control, { view, action: "player.complete_mission", label }, "Complete mission"));
}
