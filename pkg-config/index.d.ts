/**
 * Why a check was decided as it was: the server rules' reasons (Rust
 * `Reason::ALL`, in the order they are tried) and the two the JS face adds.
 */
export type Reason =
  | "unknown_user"
  | "unknown_action"
  | "unknown_label"
  | "disabled"
  | "expired"
  | "home_label_closed"
  | "label_closed"
  | "owner"
  | "no_label_access"
  | "restricted"
  | "granted"
  | "condition_failed"
  | "not_granted"
  // JS only
  | "unverified"
  | "bad_resource"
  | "snapshot_expired"
  | "pending";

/**
 * Why a token, key set or manifest was refused, or why the package cannot
 * run (`PermsnapError.code`): Rust `VerifyError::CODES` and
 * `KeyError::CODES`, and the codes the JS face adds.
 */
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
  | "manifest_mismatch"
  | "wrong_tenant"
  | "bad_jwks"
  | "bad_key"
  // JS only
  | "stale_token"
  | "wrong_subject"
  | "webcrypto_unavailable"
  | "wasm_unavailable"
  | "jwks_unavailable";

/** A refused token, key set or manifest, or a package that cannot run; `code` is stable. */
export declare class PermsnapError extends Error {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown });
  readonly name: "PermsnapError";
  readonly code: ErrorCode;
}

/** The error codes only the JS face produces. */
export declare const JS_ERROR_CODES: readonly ("stale_token" | "wrong_subject" | "webcrypto_unavailable" | "wasm_unavailable" | "jwks_unavailable")[];
/** The reason codes only the JS face produces. */
export declare const JS_REASONS: readonly ("unverified" | "bad_resource" | "snapshot_expired" | "pending")[];
/** Every error code (the Rust lists, and the JS ones). */
export declare function errorCodes(): ErrorCode[];
/** Every reason code (the Rust list, and the JS ones). */
export declare function reasonCodes(): Reason[];

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
/**
 * Where the keys come from: the key set, its JSON text, its URL, or a
 * function asked for it (`refresh`: read past any cache, the keys at hand
 * lack a token's `kid`).
 */
export type JwksSource = Jwks | string | URL | ((request: { refresh: boolean }) => Jwks | string | Promise<Jwks | string>);

export interface Jwks {
  keys: Jwk[] | object[];
}

/** Which manifest a token names: its catalog id and the manifest's hash. */
export interface ManifestRef {
  catalog: string;
  hash: string;
}

export interface VerifyOptions {
  /** The audience `aud` must name. */
  audience: string;
  /**
   * The catalog manifest, as its exact text (what your server serves, byte
   * for byte: its hash is what tokens name), or a function returning it for
   * the token's `{catalog, hash}`; a function is asked only for a manifest
   * not seen before.
   */
  manifest: string | ((ref: ManifestRef) => string | Promise<string>);
  /** The issuer `iss` must be, if given. */
  issuer?: string;
  /**
   * The tenant `tid` must be, if given (`wrong_tenant` when the token names
   * another or none). Not given, `tid` is not checked (but must be a string
   * when present).
   */
  tenant?: string;
  /**
   * Seconds by which `exp` may have passed (and `nbf`/`iat` be ahead) at
   * verification; default 0, at most 86,400 (one day). Checks still deny
   * from `exp` on.
   */
  leeway?: number;
  /**
   * Seconds by which `iat`/`nbf` may be ahead of this clock (the issuer's
   * clock running ahead); default 60, at most 86,400. Never extends `exp`.
   */
  clockSkew?: number;
  /** Verify and check as of this time: milliseconds since the epoch, or a Date. */
  now?: number | Date;
  /** The clock: milliseconds since the epoch (default `Date.now`). Read once per task. */
  clock?: () => number;
  /** The longest token accepted, in UTF-8 bytes as `permsnap verify` counts them (default 65,536). */
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
 * the type `permsnap-types` (or `permsnap codegen --ts`) writes, and a
 * misspelled action no longer compiles.
 */
export declare class Permissions<A extends string = string> {
  private constructor();
  /**
   * Verifies `token` with `jwks` and the catalog manifest of
   * `options.manifest`; rejects with a `PermsnapError` when it does not
   * verify. Loads the wasm module on first use. `jwks` is the key set (an
   * object or its JSON text), where to fetch it (a `URL`, or a string
   * starting with `/`, `./`, `../`, `http:` or `https:`), or a function
   * returning it; a fetched or returned set is read again once (`refresh`,
   * past the HTTP cache) when a token names a key it lacks, so `update()`
   * and `follow()` survive a key rotation.
   */
  static verify<A extends string = string>(token: string, jwks: JwksSource, options: VerifyOptions): Promise<Permissions<A>>;
  /** Whether `action` is allowed in `label` (on `resource`, for scoped permissions). A label is a safe non-negative integer. */
  can(action: A, label: number, resource?: Resource | null): boolean;
  /** The opposite of `can`. */
  cannot(action: A, label: number, resource?: Resource | null): boolean;
  /** Why `action` is or is not allowed. */
  explain(action: A, label: number, resource?: Resource | null): Explanation;
  /** Every action allowed in `label` without a resource, for menus, in catalog order. */
  allowed(label: number): A[];
  /**
   * Verifies a fresh token for the same user and swaps it in; subscribers
   * are told. Rejects with `stale_token` for a token issued before the
   * current one, `wrong_subject` for another user.
   */
  update(token: string): Promise<void>;
  /** Called after every update, at expiry and at dispose; returns the unsubscribe function. */
  subscribe(listener: (perms: Permissions<A>) => void): () => void;
  /** Changes whenever answers may have changed (use as `useSyncExternalStore`'s snapshot). */
  readonly version: number;
  /** The user the snapshot is for (`sub`). */
  readonly subject: string;
  /** The catalog id. */
  readonly catalog: string;
  /** The hash of the catalog manifest it was checked against. */
  readonly manifest: string;
  /** The key id that signed it. */
  readonly kid: string;
  /** The labels the snapshot knows. */
  readonly labels: number[];
  /** When the token was issued (`iat`), if it says. */
  readonly issuedAt: Date | null;
  /** When every check starts to deny. */
  readonly expiresAt: Date;
  /** Whether every check now denies because the snapshot expired (or was disposed). */
  readonly expired: boolean;
  /** Stops the expiry timer, frees the wasm memory, tells subscribers; every check then denies (`unverified`). */
  dispose(): void;
}

export interface GateOptions {
  /** The label the page is about. */
  label: number;
}

/**
 * Decides every `[data-permission]` element under `root`, now and as the
 * page changes (a MutationObserver), and again on update, expiry and
 * dispose: `data-permsnap="allowed"`, or `"denied"` with `disabled`,
 * `aria-disabled` and the reason as tooltip (hidden with
 * `data-gate="hide"`); `data-resource` (JSON) for scoped checks. Given the
 * promise `Permissions.verify` returns, everything is denied as `pending`
 * until it settles, then decided (or denied as `unverified`, with the
 * error's code, if it rejects). With no `perms` everything is denied
 * (`unverified`). Returns a function that stops following the page.
 */
export declare function gate(
  root: ParentNode & Node,
  perms: Permissions<any> | Promise<Permissions<any> | null> | null | undefined,
  options: GateOptions,
): () => void;

/**
 * Whether `signature` is a strict Ed25519 signature of `message` by
 * `publicKey` (32 raw bytes), checked exactly as a token's signature is.
 */
export declare function verifyEd25519(publicKey: BufferSource, message: BufferSource, signature: BufferSource): Promise<boolean>;

/**
 * Loads the wasm module once (`Permissions.verify` does it on first use,
 * from beside the package's `index.js`); pass where to load it from.
 * Rejects with `PermsnapError` `wasm_unavailable` when it cannot load.
 */
export default function init(input?: string | URL | Request | Response | BufferSource | WebAssembly.Module): Promise<void>;

/** Instantiates the wasm module synchronously from its bytes (Node does it at import). */
export declare function initSync(bytes: BufferSource | WebAssembly.Module): void;

