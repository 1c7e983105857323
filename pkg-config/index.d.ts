/** Why a check was decided as it was (the same codes as the server rules). */
export type Reason =
  | "unknown_action"
  | "unknown_label"
  | "unknown_user"
  | "disabled"
  | "expired"
  | "home_label_closed"
  | "label_closed"
  | "owner"
  | "no_label_access"
  | "restricted"
  | "granted"
  | "condition_failed"
  | "not_granted";

/** Why a token or JWKS was refused (`PermsnapError.code`). */
export type ErrorCode =
  | "malformed"
  | "too_large"
  | "bad_signature"
  | "unknown_key"
  | "alg_not_allowed"
  | "typ_mismatch"
  | "crit_unsupported"
  | "key_in_header"
  | "expired"
  | "not_yet_valid"
  | "wrong_audience"
  | "wrong_issuer"
  | "unsupported_version"
  | "bad_jwks"
  | "bad_key"
  | "wrong_subject";

/** A token, key or JWKS that was refused; `code` is stable. */
export declare class PermsnapError extends Error {
  readonly name: "PermsnapError";
  readonly code: ErrorCode;
}

/** One Ed25519 public key (RFC 8037). */
export interface Jwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  kid: string;
  alg?: "EdDSA" | "Ed25519";
  use?: "sig";
}

/** A JSON Web Key Set; keys are picked by `kid`, so they can rotate. */
export interface Jwks {
  keys: Jwk[] | object[];
}

export interface VerifyOptions {
  /** The audience `aud` must name. */
  audience: string;
  /** The issuer `iss` must be, if given. */
  issuer?: string;
  /** Clock skew allowed on `exp`, `nbf` and `iat`, in seconds (default 0). */
  leeway?: number;
  /** Verify (and check) as of this time instead of the clock. */
  now?: number | Date;
  /** The clock, in milliseconds since the epoch (default `Date.now`). */
  clock?: () => number;
  /** The longest token accepted, in bytes (default 65536). */
  maxLength?: number;
}

/** The attributes of the record a scoped permission is about. */
export type Resource = Record<string, string | number | boolean | null | undefined>;

export interface Explanation {
  allowed: boolean;
  reason: Reason;
  /** For `restricted` and `granted`: the restriction role, role or additional role id, or `direct`. */
  by?: string;
  /** A sentence a person reads (e.g. the restriction role's title). */
  message: string;
}

/**
 * A verified permission snapshot. `A` is the union of permission ids; pass
 * the type `permsnap codegen --ts CATALOG` writes, and a misspelled action
 * no longer compiles.
 */
export declare class Permissions<A extends string = string> {
  private constructor();
  /** Verifies `token` with `jwks`; throws a `PermsnapError` when it does not verify. */
  static verify<A extends string = string>(token: string, jwks: Jwks | string, options: VerifyOptions): Permissions<A>;
  /** Whether `action` is allowed in `label` (on `resource`, for scoped permissions). */
  can(action: A, label: number, resource?: Resource): boolean;
  /** The opposite of `can`. */
  cannot(action: A, label: number, resource?: Resource): boolean;
  /** Why `action` is or is not allowed. */
  explain(action: A, label: number, resource?: Resource): Explanation;
  /** Every action allowed in `label` without a resource, for menus. */
  allowed(label: number): A[];
  /** Verifies a fresh token for the same user and swaps it in; subscribers are told. */
  update(token: string): void;
  /** Called after every update and at expiry; returns the unsubscribe function. */
  subscribe(listener: (perms: Permissions<A>) => void): () => void;
  /** Changes whenever answers may have changed (use as `useSyncExternalStore`'s snapshot). */
  readonly version: number;
  /** The user the snapshot is for (`sub`). */
  readonly subject: string;
  /** The catalog id. */
  readonly catalog: string;
  /** The key id that signed it. */
  readonly kid: string;
  /** The labels the snapshot knows. */
  readonly labels: number[];
  /** When every check starts to deny. */
  readonly expiresAt: Date;
  /** Whether every check now denies because the snapshot expired. */
  readonly expired: boolean;
  /** Stops the expiry timer and frees the wasm memory. */
  dispose(): void;
}

export interface GateOptions {
  /** The label the page is about. */
  label: number;
}

/**
 * Gates every `[data-permission]` element under `root`: disabled with
 * `aria-disabled` and the reason as its tooltip, or hidden with
 * `data-gate="hide"`; `data-resource` (JSON) for scoped checks. With no
 * `perms` (the token did not verify), everything is gated. Re-applied on
 * update and at expiry; returns a function that stops that.
 */
export declare function gate(root: ParentNode, perms: Permissions<any> | null | undefined, options: GateOptions): () => void;

/** Loads the wasm module once (browser); resolves at once in Node. */
export default function init(input?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;
