// permsnap/live: keeps a Permissions current with the server's change
// events (a subpath: pages that do not follow events do not download it).
import type { Permissions } from "./index.js";

/** What `follow` is doing: opening the stream, following it, waiting to reconnect, or stopped. */
export type FollowStatus = "connecting" | "live" | "reconnecting" | "stopped";

/** Where a failure `follow` reports happened. */
export type FollowPhase = "token" | "update" | "stream";

/** What `follow` needs of an EventSource (the browser's fits; inject one where there is none, e.g. in Node). */
export interface EventSourceLike {
  readonly readyState: number;
  addEventListener(type: string, listener: (event: { readonly lastEventId?: string }) => void): void;
  close(): void;
}

export interface FollowOptions {
  /**
   * The change events URL (the permsnap server's `GET /v1/events`, or your
   * proxy of it); relative to the page. `follow` adds `token` (and `since`
   * when it reopens the stream) to its query.
   */
  events: string | URL;
  /**
   * A fresh token for the same user from your backend (what
   * `/v1/snapshots` issues). Called on every change, to renew, and to
   * reopen a stream whose token expired; never twice at once.
   */
  token: () => string | Promise<string>;
  /** The token `perms` was verified from: the stream opens with it. Without it, `token()` is called first. */
  initialToken?: string;
  /**
   * Seconds before `exp` at which a fresh token is fetched (at most half
   * the snapshot's lifetime); default 60; 0 never renews. A renewal that
   * cannot move `exp` (the user's access ends then) is not repeated.
   */
  renewBefore?: number;
  /**
   * Milliseconds to wait before retrying a failed `token()` or reopening a
   * stream EventSource gave up on: doubling from `initial` (default 1,000)
   * up to `max` (default 30,000), each delay drawn between half and all of
   * it; reset by a success.
   */
  backoff?: { initial?: number; max?: number };
  /**
   * Called for every failure; the current snapshot stays (until its `exp`).
   * `"token"`: what `token()` threw (retried with the backoff);
   * `"update"`: the `PermsnapError` `update()` refused the token with
   * (`stale_token`, `wrong_subject`, `unknown_key` after a key rotation:
   * verify anew with a fresh JWKS); `"stream"`: EventSource gave up (the
   * error's `retryIn` says when it is reopened).
   */
  onError?: (error: unknown, phase: FollowPhase) => void;
  /** Called when the status changes (`"live"` once the stream has replayed what was missed). */
  onStatus?: (status: FollowStatus) => void;
  /** The EventSource constructor; default `globalThis.EventSource`. */
  EventSource?: new (url: string) => EventSourceLike;
}

/**
 * Keeps `perms` current with its user's change events: on a `change` or
 * `resync` event, fetches a fresh token with `options.token()` and
 * `update()`s (a gate re-applies); renews before `exp`; reopens the stream
 * with the latest token and the last event id when the token it was opened
 * with expires, and when EventSource gives up (after a bounded backoff). When the stream or `token()` fails, the current
 * snapshot stays until its `exp`, then every check denies. Returns `stop()`,
 * which closes the stream and every timer.
 */
export declare function follow(perms: Permissions<any>, options: FollowOptions): () => void;
