// permsnap/react: the React layer. React is an optional peer dependency;
// nothing else in the package imports this file.
//
// `<PermissionsProvider snapshot label serverState follow>` holds one
// snapshot (a verified `Permissions`, the promise `Permissions.verify`
// returns, or null) and the label; `useCan(action, resource?)`,
// `usePermissionsState()` and `<Gate>` read it from context.
//
// Server rendering that shows the truth: on the server the provider is
// given the snapshot verified there and a `serverState` object, which it
// fills with every answer rendered; the page embeds that object as JSON
// and the browser passes it back as `serverState` with the promise of its
// own verification. Until that verification settles (hydration included)
// the browser answers exactly what the server rendered, so hydration
// agrees and nothing flips; an answer the server did not render is
// `pending` (denied). Then the browser's own snapshot decides, and a
// control whose answer changed re-renders. The server's answers are no
// weaker than the server's HTML itself, and they end at the snapshot's
// `exp`. With no snapshot (`null`), every check denies (`unverified`).
//
// `usePermissions(perms)` and `useCan(perms, action, label, resource?)`,
// the hooks without a provider, are kept.

import { cloneElement, createContext, createElement, isValidElement, useCallback, useContext, useEffect, useMemo, useState, useSyncExternalStore } from "react";

const NOT_YET = -1;

// The sentences are the package's (codes.js, JS_MESSAGES); written here so
// that permsnap/react does not bundle the core.
const denial = (reason, message) => Object.freeze({ allowed: false, reason, message });
const UNVERIFIED = denial("unverified", "Your permissions could not be verified");
const PENDING = denial("pending", "Checking your permissions…");
const SNAPSHOT_EXPIRED = denial("snapshot_expired", "Your permissions on this page are out of date: they are being renewed, or reload the page");
const NOT_YET_VERIFIED = denial("unverified", "Permissions are not verified yet");

/** The answers of no snapshot: everything denied. */
const NONE = Object.freeze({
  ready: false,
  perms: null,
  can: () => false,
  cannot: () => true,
  explain: () => ({ ...NOT_YET_VERIFIED }),
  allowed: () => [],
});

function view(perms) {
  return Object.freeze({
    ready: true,
    perms,
    can: (action, label, resource) => perms.can(action, label, resource),
    cannot: (action, label, resource) => perms.cannot(action, label, resource),
    explain: (action, label, resource) => perms.explain(action, label, resource),
    allowed: (label) => perms.allowed(label),
  });
}

const noSubscription = () => () => {};

/** Re-renders as `perms` changes: its `version`, or NOT_YET without one. */
function useVersion(perms) {
  const subscribe = useCallback((onChange) => (perms ? perms.subscribe(onChange) : () => {}), [perms]);
  const version = () => (perms ? perms.version : NOT_YET);
  return useSyncExternalStore(perms ? subscribe : noSubscription, version, version);
}

/**
 * The checks of `perms` for rendering: `{ready, perms, can, cannot,
 * explain, allowed}`, a new object whenever answers may have changed.
 * During server rendering and hydration every check denies (`unverified`):
 * to render the allowed state on the server, use `PermissionsProvider`.
 */
export function usePermissions(perms) {
  const subscribe = useCallback((onChange) => (perms ? perms.subscribe(onChange) : () => {}), [perms]);
  const version = useSyncExternalStore(
    perms ? subscribe : noSubscription,
    () => (perms ? perms.version : NOT_YET),
    () => NOT_YET, // server rendering and hydration: no snapshot
  );
  return useMemo(() => (version === NOT_YET || !perms ? NONE : view(perms)), [perms, version]);
}

// ------------------------------------------------------------------ provider

const Context = createContext(null);

const isThenable = (v) => typeof v?.then === "function";

/** The key of one rendered answer in `serverState.answers`. */
const answerKey = (action, resource) => (resource == null ? action : `${action} ${JSON.stringify(resource)}`);

/** `{status, perms, error}` of a `snapshot` prop before anything settled. */
const initialState = (snapshot) =>
  isThenable(snapshot) ? { status: "pending", perms: null, error: null } : { status: snapshot ? "ready" : "none", perms: snapshot ?? null, error: null };

/** Follows `snapshot` (a promise settles into a state); the state of the current snapshot only. */
function useSettled(snapshot) {
  const [state, setState] = useState(() => ({ snapshot, ...initialState(snapshot) }));
  useEffect(() => {
    if (!isThenable(snapshot)) return undefined;
    let live = true;
    snapshot.then(
      (perms) => live && setState({ snapshot, status: perms ? "ready" : "none", perms: perms ?? null, error: null }),
      (error) => live && setState({ snapshot, status: "error", perms: null, error }),
    );
    return () => {
      live = false;
    };
  }, [snapshot]);
  return state.snapshot === snapshot ? state : { snapshot, ...initialState(snapshot) };
}

/** The answer to `action` (on `resource`) while the browser has not verified yet: what the server rendered. */
function fromServer(server, action, resource) {
  const a = server?.answers?.[answerKey(action, resource)];
  if (a === undefined) return PENDING;
  if (typeof server.exp === "number" && Date.now() >= server.exp) return SNAPSHOT_EXPIRED;
  return { allowed: a.allowed === true, reason: String(a.reason), message: String(a.message) };
}

/** The context value: `explain(action, resource)` in the provider's label, and the state. */
function contextValue(state, label, serverState, version) {
  const { status, perms, error } = state;
  let explain;
  if (status === "ready" && perms) {
    const record = serverState && typeof window === "undefined" ? serverState : null; // filled on the server only
    if (record) {
      record.answers ??= {};
      record.exp = perms.expiresAt.getTime();
    }
    explain = (action, resource) => {
      const a = perms.explain(action, label, resource);
      if (record) record.answers[answerKey(action, resource)] = { allowed: a.allowed, reason: a.reason, message: a.message };
      return a;
    };
  } else if (status === "pending") {
    explain = (action, resource) => fromServer(serverState, action, resource);
  } else if (status === "error") {
    const why = denial("unverified", `${UNVERIFIED.message}: ${error?.code ?? error?.message ?? String(error)}`);
    explain = () => ({ ...why });
  } else {
    explain = () => ({ ...UNVERIFIED });
  }
  const can = (action, resource) => explain(action, resource).allowed;
  return { status, perms, error, label, version, explain, can, cannot: (action, resource) => !can(action, resource) };
}

/**
 * Holds the page's snapshot for `useCan`, `usePermissionsState` and
 * `<Gate>`. `snapshot`: a verified `Permissions`, the promise
 * `Permissions.verify` returns (`pending` until it settles), or null.
 * `label`: the label every check is for. `serverState`: on the server an
 * empty object the provider fills with the answers it rendered (embed it in
 * the page as JSON); in the browser that object, answered from until the
 * browser's own verification settles. `follow`: a function called with
 * the verified snapshot (e.g. `(p) => follow(p, {...})` from
 * permsnap/live), returning the function that stops it.
 */
export function PermissionsProvider({ snapshot = null, label, serverState, follow, children }) {
  const state = useSettled(snapshot);
  const version = useVersion(state.perms);
  useEffect(() => {
    if (!state.perms || typeof follow !== "function") return undefined;
    const stop = follow(state.perms);
    return typeof stop === "function" ? stop : undefined;
  }, [state.perms, follow]);
  const value = useMemo(() => contextValue(state, label, serverState, version), [state, label, serverState, version]);
  return createElement(Context.Provider, { value }, children);
}

const OUTSIDE = contextValue({ status: "none", perms: null, error: null }, undefined, null, NOT_YET);

/**
 * The provider's state: `{status, perms, error, label, explain(action,
 * resource?), can, cannot}`. `status`: `pending` (verifying; answers are
 * the server's, or `pending`), `ready`, `error` (`error` says why: a
 * `PermsnapError` with its `code`), or `none` (no snapshot, or outside a
 * provider). Every check denies unless `ready` (or answered by the server).
 */
export function usePermissionsState() {
  return useContext(Context) ?? OUTSIDE;
}

/**
 * Whether `action` is allowed (on `resource`) in the provider's label,
 * re-rendering as the snapshot changes: `useCan(action, resource?)`.
 * The older form without a provider, `useCan(perms, action, label,
 * resource?)`, is kept.
 */
export function useCan(action, resource, ...rest) {
  if (typeof action !== "string") return usePermissions(action).can(resource, ...rest);
  return usePermissionsState().can(action, resource);
}

/**
 * Renders `children` when `action` (on `resource`) is allowed. Denied:
 * with `hide` (the default) renders `fallback` (or nothing); with
 * `disable`, renders its one child element disabled, with
 * `aria-disabled`, the reason as `data-reason` and the message as `title`.
 * `children` may also be a function of the answer (`{allowed, reason,
 * message}`).
 */
export function Gate({ action, resource, disable = false, fallback = null, children }) {
  const answer = usePermissionsState().explain(action, resource);
  if (typeof children === "function") return children(answer);
  if (answer.allowed) return children ?? null;
  if (!disable) return fallback;
  if (!isValidElement(children)) return fallback;
  return cloneElement(children, { disabled: true, "aria-disabled": "true", title: answer.message, "data-reason": answer.reason });
}
