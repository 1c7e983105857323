// The admin panel: the directory's users, and the admin ops the server
// decides and applies for the page's user (the actor): edit a user's access
// in a label (roles, additional roles, restriction roles), disable or
// enable, set or remove an expiry. Its controls are `[data-permission]`
// controls (`users.manage`), gated like every other; the server decides
// anyway, and a denied op shows its reason (e.g. `escalation`: giving what
// the actor does not hold).
import * as api from "./api.js";
import { $, h, stamp, userName, when } from "./dom.js";

const KINDS = [
  ["role", "admin-roles", "Roles", "roles"],
  ["additional", "admin-additional", "Additional roles", "additional"],
  ["restriction", "admin-restrictions", "Restriction roles", "restrictions"],
];

/**
 * When the response to the latest request for `path` made since `since`
 * arrived, as a wall-clock reading (Resource Timing's `responseEnd`: the
 * network's time, not when this page's script got to it), else now.
 */
function arrived(path, since) {
  const entry = performance
    .getEntriesByType("resource")
    .findLast((e) => e.startTime >= since && new URL(e.name).pathname === path);
  performance.clearResourceTimings(); // the buffer keeps 250 entries; only the latest is read
  return entry ? performance.timeOrigin + entry.responseEnd : stamp();
}

/**
 * Wires the panel. `actor()` is the page's user; `applied()` is called
 * after every answered op (the page then reloads the directory and the
 * audit log).
 */
export function adminPanel({ catalog, actor, applied }) {
  let dir = { labels: [], users: [] };
  let seq = 0;
  let shown = ""; // the target and label the checkboxes show
  let baseline = {}; // what they showed checked, per field: the admin's edit is the difference
  let dirty = false; // the admin changed a checkbox: a background reload keeps the edit
  const titles = new Map(catalog.rows.map((r) => [r.id, r.title]));

  for (const [kind, id, legend, field] of KINDS) {
    const boxes = catalog.rows
      .filter((r) => r.kind === kind)
      .map((r) => h("label", { title: r.id }, h("input", { type: "checkbox", name: field, value: r.id }), ` ${r.title}`));
    $(id).replaceChildren(h("span", { className: "legend" }, legend), ...boxes);
  }

  const target = () => dir.users.find((u) => u.id === $("admin-target").value);
  const label = () => Number($("admin-label").value);

  /** The checkboxes show what the target holds in the chosen label (unless the admin is editing them). */
  function fill({ force = true } = {}) {
    const key = `${target()?.id}@${label()}`;
    if (!force && dirty && key === shown) return;
    shown = key;
    dirty = false;
    const entry = target()?.access?.[label()] ?? {};
    baseline = {};
    for (const [, , , field] of KINDS) {
      baseline[field] = new Set(entry[field] ?? []);
      for (const box of boxes(field)) box.checked = baseline[field].has(box.value);
    }
  }

  const boxes = (field) => document.querySelectorAll(`#admin-form input[name="${field}"]`);

  /**
   * The entry to save: the admin's edit (what they checked and unchecked)
   * applied to the entry as stored now, read again just before saving, so
   * that a change someone else made meanwhile is not overwritten.
   */
  async function edited(userId, lbl) {
    dir = await api.directory();
    const current = dir.users.find((u) => u.id === userId)?.access?.[lbl] ?? {};
    const access = {};
    for (const [, , , field] of KINDS) {
      const ids = new Set(current[field] ?? []);
      for (const box of boxes(field)) {
        if (box.checked && !baseline[field].has(box.value)) ids.add(box.value);
        if (!box.checked && baseline[field].has(box.value)) ids.delete(box.value);
      }
      access[field] = [...ids];
    }
    // Direct grants and denies are not edited here: kept as they are.
    if (current.grants?.length) access.grants = current.grants;
    if (current.denies?.length) access.denies = current.denies;
    return access;
  }

  function accessCell(u, lbl) {
    if (u.owner) return h("span", { className: "tag owner" }, "account owner: everything");
    const e = u.access?.[lbl];
    if (!e) return h("span", { className: "muted" }, "no access here");
    return [
      ...(e.roles ?? []).map((r) => h("span", { className: "tag role" }, titles.get(r) ?? r)),
      ...(e.additional ?? []).map((r) => h("span", { className: "tag additional", title: r }, `+ ${titles.get(r) ?? r}`)),
      ...(e.restrictions ?? []).map((r) => h("span", { className: "tag restriction", title: titles.get(r) ?? r }, `− ${r}`)),
    ];
  }

  function status(u) {
    const expired = u.expires_at && Date.parse(u.expires_at) <= Date.now();
    const text = u.status === "disabled" ? "disabled" : expired ? "expired" : "active";
    return h("span", { className: `tag status-${text}` }, text);
  }

  /** Shows the directory: the users table (access in the page's label) and the pickers. */
  function render(directory, pageLabel) {
    dir = directory;
    const keep = $("admin-target").value;
    $("users-rows").replaceChildren(
      ...dir.users.map((u) =>
        h(
          "tr",
          { dataset: { user: u.id } },
          h("td", { title: u.username }, h("strong", {}, userName(u)), h("small", { className: "muted" }, u.id)),
          h("td", {}, status(u)),
          h("td", {}, u.expires_at ? when(u.expires_at) : "—"),
          h("td", {}, accessCell(u, pageLabel)),
        ),
      ),
    );
    $("admin-target").replaceChildren(...dir.users.map((u) => new Option(`${userName(u)} (${u.id})`, u.id)));
    const others = dir.users.filter((u) => u.id !== actor());
    $("admin-target").value = dir.users.some((u) => u.id === keep) ? keep : (others.find((u) => u.id === "sue") ?? others[0])?.id ?? "";
    const keepLabel = $("admin-label").value;
    $("admin-label").replaceChildren(...dir.labels.map((l) => new Option(`${l.id} ${l.name}${l.closed ? " (closed)" : ""}`, l.id)));
    $("admin-label").value = keepLabel || String(pageLabel);
    fill({ force: false });
    mark();
  }

  /** Highlights the target's row. */
  function mark() {
    for (const tr of document.querySelectorAll("#users-rows tr")) tr.classList.toggle("selected", tr.dataset.user === target()?.id);
  }

  function show(outcome, text, code, at = stamp()) {
    const el = $("admin-result");
    el.textContent = text;
    el.className = `result ${outcome}`;
    // data-at: when the server's answer arrived (the end-to-end test measures from it)
    Object.assign(el.dataset, { outcome, code: code ?? "", seq: String(++seq), at: String(at) });
  }

  async function run(op) {
    const since = performance.now();
    let r;
    try {
      r = await api.admin(actor(), op);
    } catch {
      show("error", "The server did not answer: nothing was changed.", "unreachable");
      return;
    }
    const at = arrived("/demo/admin", since);
    dirty = false; // the form shows the stored entry again once the directory is reloaded
    await applied();
    const what = `${op.op} on ${op.target}${op.label ? ` in ${op.label}` : ""}`;
    if (r.ok) show("applied", `Applied: ${what} (version ${r.body.version}).`, r.body.reason, at);
    else {
      const e = r.body?.error ?? { code: String(r.status), message: "refused" };
      show("denied", `Denied (${e.code}): ${e.message}. Nothing was changed.`, e.code, at);
    }
  }

  $("admin-target").addEventListener("change", () => {
    fill();
    mark();
  });
  $("admin-label").addEventListener("change", () => fill());
  $("admin-form").addEventListener("change", (event) => {
    if (event.target.type === "checkbox") dirty = true;
  });
  $("users-rows").addEventListener("click", (event) => {
    const tr = event.target.closest("tr[data-user]");
    if (!tr || $("admin-fields").disabled) return;
    $("admin-target").value = tr.dataset.user;
    fill();
    mark();
  });
  $("admin-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const [userId, lbl] = [target()?.id, label()];
    let access;
    try {
      access = await edited(userId, lbl);
    } catch {
      show("error", "The server did not answer: nothing was changed.", "unreachable");
      return;
    }
    run({ op: "edit_access", target: userId, label: lbl, access });
  });
  $("admin-disable").addEventListener("click", () => run({ op: "disable", target: target()?.id }));
  $("admin-enable").addEventListener("click", () => run({ op: "enable", target: target()?.id }));
  $("admin-set-expiry").addEventListener("click", () => {
    const local = $("admin-expiry").value; // yyyy-mm-ddThh:mm, local time
    if (!local) {
      show("error", "Pick a date and time first.", "no_date");
      return;
    }
    const at = new Date(local).toISOString().replace(/\.\d{3}Z$/, "Z");
    run({ op: "set_expiry", target: target()?.id, expires_at: at });
  });
  $("admin-clear-expiry").addEventListener("click", () => run({ op: "set_expiry", target: target()?.id, expires_at: null }));

  return { render };
}
