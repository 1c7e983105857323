import type { Explanation, Permissions, Resource } from "./index.js";

// React's `ReactNode` and `ReactElement`, loosely: these types need no @types/react.
type ReactNode = unknown;
type ReactElement = any;

/** The checks of a snapshot for rendering; a new object whenever answers may have changed. */
export interface PermissionsView<A extends string = string> {
  /** Whether a verified snapshot answers (false: none yet, server rendering, hydration, disposed). */
  readonly ready: boolean;
  /** The snapshot, when ready. */
  readonly perms: Permissions<A> | null;
  can(action: A, label: number, resource?: Resource | null): boolean;
  cannot(action: A, label: number, resource?: Resource | null): boolean;
  explain(action: A, label: number, resource?: Resource | null): Explanation;
  allowed(label: number): A[];
}

/**
 * Re-renders on update, expiry and dispose. With no snapshot yet, during
 * server rendering and while hydrating, every check denies (`unverified`).
 * To render the allowed state on the server, use `PermissionsProvider`.
 */
export declare function usePermissions<A extends string = string>(perms: Permissions<A> | null | undefined): PermissionsView<A>;

/**
 * The answers the provider rendered on the server, to embed in the page as
 * JSON and give back to the browser's provider.
 */
export interface ServerState {
  /** `exp` of the server's snapshot, milliseconds since the epoch. */
  exp?: number;
  /** Each rendered answer, by action (and resource as JSON). */
  answers?: Record<string, Pick<Explanation, "allowed" | "reason" | "message">>;
}

export interface PermissionsProviderProps<A extends string = string> {
  /** A verified snapshot, the promise `Permissions.verify` returns (`pending` until it settles), or null. */
  snapshot?: Permissions<A> | Promise<Permissions<A> | null> | null;
  /** The label every check of the tree is for. */
  label: number;
  /**
   * On the server: an empty object, filled with the answers rendered. In
   * the browser: that object (parsed from the page), answered from until
   * the browser's own verification settles.
   */
  serverState?: ServerState;
  /** Called with the verified snapshot (e.g. `(p) => follow(p, {...})`); returns the function that stops it. */
  follow?: (perms: Permissions<A>) => (() => void) | void;
  children?: ReactNode;
}

/** Holds the page's snapshot and label for `useCan`, `usePermissionsState` and `<Gate>`. */
export declare function PermissionsProvider<A extends string = string>(props: PermissionsProviderProps<A>): ReactElement;

/** The provider's state. */
export interface PermissionsState<A extends string = string> {
  /** `pending` (verifying), `ready`, `error` (see `error`), or `none` (no snapshot, or no provider). */
  readonly status: "pending" | "ready" | "error" | "none";
  readonly perms: Permissions<A> | null;
  /** Why verification failed (a `PermsnapError`, with its `code`), when `status` is `error`. */
  readonly error: unknown;
  readonly label: number | undefined;
  explain(action: A, resource?: Resource | null): Explanation;
  can(action: A, resource?: Resource | null): boolean;
  cannot(action: A, resource?: Resource | null): boolean;
}

/** The provider's state and checks in its label. */
export declare function usePermissionsState<A extends string = string>(): PermissionsState<A>;

/** Whether `action` is allowed (on `resource`) in the provider's label, re-rendering as the snapshot changes. */
export declare function useCan<A extends string = string>(action: A, resource?: Resource | null): boolean;
/** Without a provider: whether `action` is allowed in `label` (on `resource`), re-rendering as `perms` changes. */
export declare function useCan<A extends string = string>(
  perms: Permissions<A> | null | undefined,
  action: A,
  label: number,
  resource?: Resource | null,
): boolean;

export interface GateProps<A extends string = string> {
  action: A;
  resource?: Resource | null;
  /** Denied: hide (the default), rendering `fallback`. */
  hide?: boolean;
  /** Denied: render the one child element disabled, with the reason as `title` and `data-reason`. */
  disable?: boolean;
  fallback?: ReactNode;
  children?: ReactNode | ((answer: Explanation) => ReactNode);
}

/** Renders its children when `action` is allowed; hidden or disabled when not. */
export declare function Gate<A extends string = string>(props: GateProps<A>): ReactElement | null;
