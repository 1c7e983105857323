// Live updates: follow the permsnap server's change events (`GET
// /v1/events`, Server-Sent Events) and keep a `Permissions` current.
//
// An event never carries permissions: it says "ask again". The fresh token
// comes from the host's own backend through `token()` and goes through
// `update()` like any other (which verifies it and refuses one issued
// before the current one, so a slow response cannot bring back a revoked
// permission); a gate re-applies through its subscription. Only the public
// API of `Permissions` is used. When the stream or the backend fails, the
// current snapshot stays until its `exp`, after which every check denies
// (and a gate gates everything), exactly as without this module. Nothing
// here writes to the console: failures go to `onError`.

const CLOSED = 2; // EventSource.CLOSED: it gave up (an HTTP error such as 401, a wrong content type)
const LONGEST_TIMER = 2 ** 31 - 1; // setTimeout's limit, in milliseconds

/** Calls a host callback; what it throws surfaces later, without breaking the follower. */
function call(callback, ...args) {
  if (typeof callback !== "function") return;
  try {
    callback(...args);
  } catch (e) {
    queueMicrotask(() => {
      throw e;
    });
  }
}

const timer = (fn, ms) => setTimeout(fn, Math.min(LONGEST_TIMER, Math.max(0, ms)));

function milliseconds(value, name, fallback) {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= 0) || !Number.isFinite(value)) {
    throw new TypeError(`permsnap: \`${name}\` is a number of milliseconds`);
  }
  return value;
}

function normalize(perms, o) {
  if (perms === null || typeof perms !== "object" || typeof perms.update !== "function") {
    throw new TypeError("permsnap: follow(perms, options) needs a verified `Permissions`");
  }
  if (o === null || typeof o !== "object") throw new TypeError("permsnap: follow's options are required");
  if (typeof o.events !== "string" && !(o.events instanceof URL)) {
    throw new TypeError('permsnap: `events` (the change events URL, e.g. "/v1/events") is required');
  }
  if (typeof o.token !== "function") throw new TypeError("permsnap: `token` (a function returning a fresh token) is required");
  if (o.initialToken !== undefined && typeof o.initialToken !== "string") {
    throw new TypeError("permsnap: `initialToken` is the token `perms` was verified from");
  }
  const Source = o.EventSource ?? globalThis.EventSource;
  if (typeof Source !== "function") {
    throw new TypeError("permsnap: this engine has no EventSource: pass `EventSource` (a constructor with the browser's interface)");
  }
  const renewBefore = o.renewBefore ?? 60;
  if (typeof renewBefore !== "number" || !(renewBefore >= 0) || !Number.isFinite(renewBefore)) {
    throw new TypeError("permsnap: `renewBefore` is a number of seconds (0: never renew)");
  }
  const initial = milliseconds(o.backoff?.initial, "backoff.initial", 1000);
  const max = milliseconds(o.backoff?.max, "backoff.max", 30_000);
  const url = new URL(o.events, globalThis.location?.href); // a relative URL needs a page: throws here, not later
  return { ...o, Source, url, renewBefore: renewBefore * 1000, initial: Math.max(1, initial), max: Math.max(1, initial, max) };
}

/**
 * Follows the change events of `perms`' user and keeps `perms` current:
 * on a `change` or `resync` event it fetches a fresh token with
 * `options.token()` and `update()`s; it renews the snapshot before it
 * expires; it reopens the stream, with the latest token and the last event
 * id, when EventSource gives up, and when the token the stream was opened
 * with expires (EventSource would reconnect with it). Returns `stop()`,
 * which closes everything.
 */
export function follow(perms, options) {
  const o = normalize(perms, options);
  let stopped = false;
  let current = o.initialToken ?? null; // the latest token `perms` holds: the stream opens with it
  let source = null;
  let lastId = null; // the last event id seen: a stream we reopen resumes after it
  let status = null;
  let streamFailures = 0;
  let fetchFailures = 0;
  let reopenTimer = null;
  let retryTimer = null;
  let renewTimer = null;
  let rotateTimer = null;
  let wanted = false; // a refresh was asked for since the running one fetched its token
  let running = null;
  let renewing = null; // the `exp` a renewal is trying to move
  let capped = null; // an `exp` a renewal could not move (the user's access ends then): not renewed again

  const report = (error, phase) => {
    if (!stopped) call(o.onError, error, phase);
  };
  const setStatus = (next) => {
    if (next === status) return;
    status = next;
    call(o.onStatus, next);
  };
  /** A bounded exponential delay with jitter: between half and all of min(max, initial * 2^n). */
  const backoff = (n) => {
    const nominal = Math.min(o.max, o.initial * 2 ** Math.min(n, 30));
    return Math.round(nominal / 2 + (Math.random() * nominal) / 2);
  };

  /** Asks for a fresh token and an update; several asks during one fetch make one more fetch, not several. */
  function refresh() {
    if (stopped) return Promise.resolve();
    wanted = true;
    clearTimeout(retryTimer);
    retryTimer = null;
    running ??= drain().finally(() => {
      running = null;
    });
    return running;
  }

  async function drain() {
    while (wanted && !stopped) {
      wanted = false;
      let token;
      try {
        token = await o.token();
        if (typeof token !== "string") throw new TypeError("permsnap: `token()` gave no token (a string)");
      } catch (e) {
        if (stopped) return;
        const delay = backoff(fetchFailures++);
        report(e, "token");
        retryTimer = timer(refresh, delay); // the snapshot stays meanwhile, until its exp
        return;
      }
      if (stopped) return;
      fetchFailures = 0;
      try {
        await perms.update(token);
      } catch (e) {
        report(e, "update"); // stale_token, wrong_subject, unknown_key ...: the current snapshot stays
        continue;
      }
      if (stopped) return;
      current = token;
      const exp = perms.expiresAt.getTime();
      if (renewing !== null && exp <= renewing) capped = exp;
      renewing = null;
      renew();
      if (source === null && reopenTimer === null) open(); // the first token
      else if (source !== null && rotateTimer === null) rotate(); // the stream's token expired before this one came
    }
  }

  /** Arms the renewal: `renewBefore` before `exp`, or half-way through a shorter snapshot. */
  function renew() {
    clearTimeout(renewTimer);
    renewTimer = null;
    const exp = perms.expiresAt.getTime();
    if (stopped || o.renewBefore === 0 || !Number.isFinite(exp) || exp === capped) return;
    const iat = perms.issuedAt?.getTime() ?? Date.now();
    const at = exp - Math.min(o.renewBefore, Math.max(0, exp - iat) / 2);
    renewTimer = timer(() => {
      renewTimer = null;
      renewing = exp;
      refresh();
    }, at - Date.now());
  }

  function open() {
    const url = new URL(o.url);
    url.searchParams.set("token", current);
    if (lastId !== null) url.searchParams.set("since", lastId);
    const es = new o.Source(url.href);
    source = es;
    setStatus("connecting");
    // EventSource reconnects with the URL it was opened with; once its token has expired, the
    // stream moves to the latest token, so a later reconnection is not refused.
    clearTimeout(rotateTimer);
    rotateTimer = timer(rotate, perms.expiresAt.getTime() - Date.now());
    const mine = (fn) => (event) => {
      if (es === source && !stopped) fn(event);
    };
    const seen = (event) => {
      if (event?.lastEventId) lastId = event.lastEventId;
    };
    const changed = mine((event) => {
      seen(event);
      refresh();
    });
    es.addEventListener("change", changed);
    es.addEventListener("resync", changed);
    es.addEventListener("ready", mine((event) => {
      seen(event);
      streamFailures = 0;
      setStatus("live");
    }));
    es.addEventListener("error", mine(() => {
      setStatus("reconnecting");
      if (es.readyState !== CLOSED) return; // EventSource retries by itself, with Last-Event-ID
      es.close();
      source = null;
      clearTimeout(rotateTimer);
      const delay = backoff(streamFailures++);
      const error = new Error(`permsnap: the change event stream was closed; reopening it in ${delay} ms`);
      error.retryIn = delay;
      report(error, "stream");
      reopenTimer = timer(reopen, delay);
    }));
  }

  /** The stream's token has expired: reopen it with the latest one, resuming after the last event (if there is a fresher token). */
  function rotate() {
    rotateTimer = null;
    if (stopped || source === null || perms.expiresAt.getTime() <= Date.now()) return;
    const old = source;
    open();
    old.close();
  }

  /** After EventSource gave up (a 401 once the token expired ...): a fresh token first if it has expired. */
  async function reopen() {
    if (perms.expiresAt.getTime() <= Date.now()) await refresh();
    reopenTimer = null;
    if (!stopped && source === null) open();
  }

  if (current === null) refresh(); // opens the stream once it holds a token
  else {
    renew();
    open();
  }

  return function stop() {
    if (stopped) return;
    stopped = true;
    source?.close();
    source = null;
    for (const t of [reopenTimer, retryTimer, renewTimer, rotateTimer]) clearTimeout(t);
    setStatus("stopped");
  };
}
