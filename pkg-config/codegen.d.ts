/**
 * TypeScript types of a catalog's permission ids, from a catalog file or a
 * catalog manifest (as text or parsed): `export type XPermission = ...` and
 * `export const X_PERMISSIONS`, the same file as `permsnap codegen --ts`;
 * with `{jsx: true}` also React's `data-permission` attribute typed with
 * the union (a misspelt action in JSX no longer compiles).
 */
export declare function permissionTypes(source: string | object, options?: { jsx?: boolean }): string;
