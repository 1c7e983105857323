// Small DOM helpers for the demo page (no framework).

/** `h("td", {className: "x", title: "y"}, "text", child)`: an element with properties and children. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "dataset") Object.assign(el.dataset, v);
    else if (k in el && k !== "list") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

export const $ = (id) => document.getElementById(id);

/** A user's display name: the directory's name, else the username (an SSO-created user has no name yet). */
export const userName = (u) => u.name || u.username || u.id;

/** `2026-11-28T20:13:37.505Z` as `20:13:37` (local time). */
export const clock = (iso) => new Date(iso).toLocaleTimeString("en-GB", { hour12: false });

/** An RFC 3339 time as a short local date and time. */
export const when = (iso) => new Date(iso).toLocaleString("en-GB", { dateStyle: "short", timeStyle: "short", hour12: false });

/** A high-resolution wall-clock reading (ms since the epoch), comparable between pages. */
export const stamp = () => performance.timeOrigin + performance.now();
