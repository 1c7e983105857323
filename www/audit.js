// The audit panel: what happened, newest first (admin ops applied or
// denied with their reason, SSO logins that created or linked a user, the
// import). The server writes a record in the same transaction as the
// change, and one for every denied attempt.
import * as api from "./api.js";
import { $, clock, h } from "./dom.js";

const LIMIT = 20;

function describe(r) {
  const d = r.detail ?? {};
  if (r.action === "edit_access" && d.access) {
    const a = d.access;
    const parts = [...(a.roles ?? []), ...(a.additional ?? []).map((x) => `+${x}`), ...(a.restrictions ?? []).map((x) => `−${x}`)];
    return `in ${d.label}: ${parts.join(" ") || "no access"}`;
  }
  if (r.action === "set_expiry") return d.expires_at ? `until ${d.expires_at}` : "no expiry";
  return "";
}

/** Loads the latest records into the panel; overlapping calls make one more load, not one each. */
export function auditPanel() {
  let running = null;
  let again = false;

  async function load() {
    const { records } = await api.audit(LIMIT);
    $("audit-rows").replaceChildren(
      ...records.reverse().map((r) =>
        h(
          "tr",
          { className: r.allowed ? "allowed" : "denied", dataset: { action: r.action, actor: r.actor ?? "", target: r.target ?? "", reason: r.reason ?? "" } },
          h("td", {}, clock(r.at)),
          h("td", {}, r.actor ?? "—"),
          h("td", {}, r.action, h("br"), h("small", { className: "muted" }, describe(r))),
          h("td", {}, r.target ?? "—"),
          h("td", {}, r.allowed ? "applied" : h("strong", {}, `denied: ${r.reason}`)),
        ),
      ),
    );
    document.body.dataset.auditLoads = String(Number(document.body.dataset.auditLoads ?? 0) + 1);
  }

  function refresh() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await load();
        } catch {
          // the server is away: the panel keeps what it showed
        }
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  }

  $("audit-refresh").addEventListener("click", refresh);
  return { refresh };
}
