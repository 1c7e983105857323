// permsnap/react: the React hook. React is an optional peer dependency;
// nothing else in the package imports this file.
//
// `usePermissions(perms)` re-renders on update, expiry and dispose. With no
// snapshot yet (`null`/`undefined`), during server rendering and while
// hydrating, every check denies with reason `unverified`: the server's HTML
// and the first client render agree, and nothing is usable before the
// snapshot is verified in the page.

import { useCallback, useMemo, useSyncExternalStore } from "react";

const NOT_YET = -1;

const UNVERIFIED = Object.freeze({
  allowed: false,
  reason: "unverified",
  message: "Permissions are not verified yet",
});

/** The answers of no snapshot: everything denied. */
const NONE = Object.freeze({
  ready: false,
  perms: null,
  can: () => false,
  cannot: () => true,
  explain: () => ({ ...UNVERIFIED }),
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

/**
 * The checks of `perms` for rendering: `{ready, perms, can, cannot,
 * explain, allowed}`, a new object whenever answers may have changed.
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

/** Whether `action` is allowed in `label` (on `resource`), re-rendering as `perms` changes. */
export function useCan(perms, action, label, resource) {
  return usePermissions(perms).can(action, label, resource);
}
