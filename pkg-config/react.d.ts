import type { Explanation, Permissions, Resource } from "./index.js";

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
 */
export declare function usePermissions<A extends string = string>(perms: Permissions<A> | null | undefined): PermissionsView<A>;

/** Whether `action` is allowed in `label` (on `resource`), re-rendering as `perms` changes. */
export declare function useCan<A extends string = string>(
  perms: Permissions<A> | null | undefined,
  action: A,
  label: number,
  resource?: Resource | null,
): boolean;
