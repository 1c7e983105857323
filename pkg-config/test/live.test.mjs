// follow(): a Permissions kept current by its user's change events, in
// Node with an injected EventSource (a fake this file drives event by
// event) and real tokens from the CLI. The browser's own EventSource
// against the real server is the demo's end-to-end test
// (tests/e2e/demo.test.mjs). Waits are on events (callbacks, promises);
// timeouts are only backstops.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Permissions, PermsnapError } from "../../pkg/node.js";
import { follow } from "../../pkg/live.js";
import { AUDIENCE, CRM, issue, keys, manifest, payloadOf } from "./helpers.mjs";

const k = keys("live");
const crm = manifest("smartico-crm");
// Rita before an admin restricted her: the same user, without her restriction roles.
const unrestricted = join(k.dir, "crm-unrestricted.json");
const dir = JSON.parse(readFileSync(CRM, "utf8"));
for (const u of dir.users) if (u.id === "rita") for (const a of Object.values(u.access)) a.restrictions = [];
writeFileSync(unrestricted, JSON.stringify(dir));

const EVENTS = "http://127.0.0.1:9/v1/events";
const FAST = { initial: 5, max: 40 };

// Nothing in follow() may write to the console: every console method counts calls.
const consoleCalls = [];
const originalConsole = {};
for (const m of ["log", "info", "warn", "error", "debug", "trace"]) {
  originalConsole[m] = console[m];
  console[m] = (...args) => {
    consoleCalls.push([m, ...args]);
    originalConsole[m](...args);
  };
}
after(() => Object.assign(console, originalConsole));

/** A token for `user` issued `at` (ms, default now), from the restricted or unrestricted directory. */
function token(user, { at = Date.now(), ttl, restricted = true } = {}) {
  return issue(k, { user, now: at, ttl, directory: restricted ? CRM : unrestricted });
}

const verify = (t) => Permissions.verify(t, k.jwks, { audience: AUDIENCE, manifest: crm });

function deferred() {
  let resolve, reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves when `predicate()` holds, checked after every `signal()`; a backstop timeout rejects. */
function waiter() {
  const waiting = new Set();
  return {
    signal() {
      for (const w of [...waiting]) if (w.predicate()) {
        waiting.delete(w);
        clearTimeout(w.timer);
        w.resolve();
      }
    },
    until(predicate, what, ms = 10_000) {
      if (predicate()) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve };
        w.timer = setTimeout(() => {
          waiting.delete(w);
          reject(new Error(`timed out waiting for ${what}`));
        }, ms);
        waiting.add(w);
      });
    },
  };
}

/**
 * An EventSource stand-in the test drives: `emit` dispatches a named event
 * with an id, `fail(giveUp)` an error (CLOSED when EventSource would give
 * up, CONNECTING when it would retry by itself). Records every instance.
 */
function fakeEventSource(w) {
  const all = [];
  class FakeEventSource {
    readyState = 0;
    closed = false;
    #listeners = new Map();
    constructor(url) {
      this.url = new URL(url);
      all.push(this);
      queueMicrotask(() => w.signal());
    }
    addEventListener(type, listener) {
      if (!this.#listeners.has(type)) this.#listeners.set(type, []);
      this.#listeners.get(type).push(listener);
    }
    close() {
      this.readyState = 2;
      this.closed = true;
    }
    emit(type, id, data = {}) {
      const event = { type, lastEventId: id === undefined ? "" : String(id), data: JSON.stringify(data) };
      for (const l of this.#listeners.get(type) ?? []) l(event);
    }
    ready(id) {
      this.readyState = 1;
      this.emit("ready", id);
    }
    fail(giveUp) {
      this.readyState = giveUp ? 2 : 0;
      this.emit("error");
    }
  }
  return { FakeEventSource, all };
}

/**
 * Follows `perms` with a fake EventSource; `tokens` answers `token()`.
 * Returns the follower's record: sources, statuses, errors, token calls,
 * updates, and `until` to wait on any of them.
 */
function harness(perms, tokens, extra = {}) {
  const w = waiter();
  const { FakeEventSource, all } = fakeEventSource(w);
  const r = { sources: all, statuses: [], errors: [], calls: 0, updates: 0, until: w.until };
  perms.subscribe(() => {
    r.updates++;
    w.signal();
  });
  r.stop = follow(perms, {
    events: EVENTS,
    EventSource: FakeEventSource,
    backoff: FAST,
    token: async () => {
      r.calls++;
      w.signal();
      return tokens(r.calls);
    },
    onStatus: (s) => {
      r.statuses.push(s);
      w.signal();
    },
    onError: (error, phase) => {
      r.errors.push({ error, phase });
      w.signal();
    },
    ...extra,
  });
  r.signal = w.signal;
  return r;
}

test("follow opens the stream with the token perms was verified from, and is live once the stream is ready", async () => {
  const t0 = token("rita");
  const perms = await verify(t0);
  const r = harness(perms, () => assert.fail("no token is needed yet"), { initialToken: t0 });
  assert.equal(r.sources.length, 1);
  const url = r.sources[0].url;
  assert.equal(`${url.origin}${url.pathname}`, EVENTS);
  assert.equal(url.searchParams.get("token"), t0);
  assert.equal(url.searchParams.has("since"), false, "a first stream starts where the token was issued");
  r.sources[0].ready(3);
  assert.deepEqual(r.statuses, ["connecting", "live"]);
  r.stop();
  assert.deepEqual(r.statuses, ["connecting", "live", "stopped"]);
  assert.equal(r.sources[0].closed, true);
  perms.dispose();
});

test("a change event fetches a fresh token and updates: the new snapshot answers at once", async () => {
  const t0 = token("rita", { at: Date.now() - 2000 });
  const perms = await verify(t0);
  assert.equal(perms.can("player.give_bonus", 4444), false, "restricted to begin with");
  const r = harness(perms, () => token("rita", { restricted: false }), { initialToken: t0 });
  r.sources[0].ready(3);
  r.sources[0].emit("change", 4, { user: "rita", version: 2, cause: "edit_access" });
  await r.until(() => r.updates === 1, "the update");
  assert.equal(r.calls, 1);
  assert.equal(perms.can("player.give_bonus", 4444), true, "the restriction role was removed");
  assert.deepEqual(r.errors, []);
  r.stop();
  perms.dispose();
});

test("changes arriving while a token is fetched make one more fetch, not one each", async () => {
  const t0 = token("sue", { at: Date.now() - 2000 });
  const perms = await verify(t0);
  const pending = [];
  const r = harness(perms, () => {
    const d = deferred();
    pending.push(d);
    return d.promise;
  }, { initialToken: t0 });
  const s = r.sources[0];
  s.ready(1);
  s.emit("change", 2);
  await r.until(() => r.calls === 1, "the first fetch");
  s.emit("change", 3);
  s.emit("change", 4);
  s.emit("resync", 5);
  pending[0].resolve(token("sue", { at: Date.now() - 1000 }));
  await r.until(() => r.calls === 2, "one more fetch");
  pending[1].resolve(token("sue"));
  await r.until(() => r.updates === 2, "both updates");
  assert.equal(r.calls, 2, "three events during the first fetch asked for one more token");
  assert.deepEqual(r.errors, []);
  r.stop();
  perms.dispose();
});

test("resync, the event for changes the server cannot list, refetches as a change does", async () => {
  const t0 = token("rita", { at: Date.now() - 2000 });
  const perms = await verify(t0);
  const r = harness(perms, () => token("rita", { restricted: false }), { initialToken: t0 });
  r.sources[0].emit("resync", 9);
  await r.until(() => r.updates === 1, "the update");
  assert.equal(perms.can("player.give_bonus", 4444), true);
  r.stop();
  perms.dispose();
});

test("a token issued before the current one is refused (stale_token) and reported; the snapshot stays", async () => {
  const older = token("rita", { at: Date.now() - 5000, restricted: false });
  const t0 = token("rita");
  const perms = await verify(t0);
  const r = harness(perms, () => older, { initialToken: t0 });
  r.sources[0].emit("change", 2);
  await r.until(() => r.errors.length === 1, "the error");
  assert.equal(r.errors[0].phase, "update");
  assert.ok(r.errors[0].error instanceof PermsnapError);
  assert.equal(r.errors[0].error.code, "stale_token");
  assert.equal(r.updates, 0);
  assert.equal(perms.can("player.give_bonus", 4444), false, "the older, unrestricted answer did not come back");
  r.stop();
  perms.dispose();
});

test("another user's token is refused (wrong_subject) and reported; the snapshot stays", async () => {
  const t0 = token("sue", { at: Date.now() - 2000 });
  const perms = await verify(t0);
  const r = harness(perms, () => token("ada"), { initialToken: t0 });
  r.sources[0].emit("change", 2);
  await r.until(() => r.errors.length === 1, "the error");
  assert.equal(r.errors[0].error.code, "wrong_subject");
  assert.equal(perms.subject, "sue");
  r.stop();
  perms.dispose();
});

test("a failing token() is reported and retried with the backoff; the snapshot stays meanwhile", async () => {
  const t0 = token("rita", { at: Date.now() - 2000 });
  const perms = await verify(t0);
  const r = harness(perms, (n) => {
    if (n <= 2) throw new TypeError("Failed to fetch");
    return token("rita", { restricted: false });
  }, { initialToken: t0 });
  r.sources[0].emit("change", 2);
  await r.until(() => r.updates === 1, "the update after two failures");
  assert.deepEqual(r.errors.map((e) => [e.phase, e.error.message]), [["token", "Failed to fetch"], ["token", "Failed to fetch"]]);
  assert.equal(r.calls, 3);
  assert.equal(perms.can("player.give_bonus", 4444), true);
  r.stop();
  perms.dispose();
});

test("while the backend is unreachable the snapshot is kept until exp, then every check denies as snapshot_expired; the next fresh token brings it back", async () => {
  const t0 = token("sue", { ttl: 2 });
  const perms = await verify(t0);
  let reachable = false;
  const r = harness(perms, () => {
    if (!reachable) throw new TypeError("Failed to fetch");
    return token("sue");
  }, { initialToken: t0 });
  r.sources[0].ready(1);
  r.sources[0].fail(false); // the server went away: EventSource retries by itself
  assert.equal(perms.can("player.give_bonus", 4444), true, "kept while it lasts");
  await r.until(() => r.errors.length > 0, "the renewal's failure");
  assert.equal(perms.can("player.give_bonus", 4444), true, "a failed renewal keeps the snapshot");
  await r.until(() => perms.expired && r.updates === 1, "the expiry");
  assert.equal(perms.can("player.give_bonus", 4444), false);
  assert.equal(perms.explain("player.give_bonus", 4444).reason, "snapshot_expired", "the snapshot's end, not the account's");
  assert.ok(r.errors.every((e) => e.phase === "token"));
  reachable = true;
  await r.until(() => r.updates === 2, "the update once the backend answers");
  assert.equal(perms.can("player.give_bonus", 4444), true);
  r.stop();
  perms.dispose();
});

test("when EventSource gives up, the stream is reopened after a bounded backoff, with the latest token and the last event id", async () => {
  const t0 = token("sue", { at: Date.now() - 2000 });
  const t1 = token("sue");
  const perms = await verify(t0);
  const r = harness(perms, () => t1, { initialToken: t0 });
  r.sources[0].ready(4);
  r.sources[0].emit("change", 7);
  await r.until(() => r.updates === 1, "the update");
  const failures = 7;
  for (let n = 0; n < failures; n++) {
    r.sources.at(-1).fail(true);
    await r.until(() => r.sources.length === n + 2, `reopening ${n + 1}`);
  }
  const delays = r.errors.map((e) => (assert.equal(e.phase, "stream"), e.error.retryIn));
  assert.equal(delays.length, failures);
  delays.forEach((d, n) => {
    const nominal = Math.min(FAST.max, FAST.initial * 2 ** n);
    assert.ok(d >= nominal / 2 && d <= nominal, `delay ${n}: ${d} ms within [${nominal / 2}, ${nominal}]`);
  });
  assert.ok(Math.max(...delays) <= FAST.max, "bounded");
  for (const s of r.sources.slice(0, -1)) assert.equal(s.closed, true, "a stream given up on is closed");
  const url = r.sources.at(-1).url;
  assert.equal(url.searchParams.get("token"), t1, "the latest token");
  assert.equal(url.searchParams.get("since"), "7", "resumes after the last event seen");
  // A stream that reaches `ready` resets the backoff.
  r.sources.at(-1).ready(7);
  r.sources.at(-1).fail(true);
  await r.until(() => r.errors.length === failures + 1, "the next failure");
  assert.ok(r.errors.at(-1).error.retryIn <= FAST.initial);
  assert.equal(r.statuses.at(-1), "reconnecting");
  r.stop();
  perms.dispose();
});

test("a stream given up on after its token expired is reopened with a fresh token", async () => {
  const t0 = token("sue", { ttl: 1 });
  const perms = await verify(t0);
  const r = harness(perms, () => token("sue"), { initialToken: t0, renewBefore: 0 });
  await r.until(() => perms.expired, "the expiry");
  assert.equal(r.calls, 0, "renewBefore: 0 does not renew");
  r.sources[0].fail(true); // 401: the token expired
  await r.until(() => r.sources.length === 2, "the new stream");
  assert.equal(r.calls, 1);
  assert.notEqual(r.sources[1].url.searchParams.get("token"), t0);
  assert.equal(perms.expired, false);
  r.stop();
  perms.dispose();
});

test("once the token the stream was opened with expires, the stream moves to the latest token, resuming after the last event", async () => {
  const t0 = token("sue", { ttl: 2 });
  const t1 = token("sue", { ttl: 60 });
  const perms = await verify(t0);
  const r = harness(perms, () => t1, { initialToken: t0 });
  r.sources[0].ready(12);
  await r.until(() => r.updates === 1, "the renewal");
  assert.equal(r.sources.length, 1, "a renewal alone does not reopen the stream");
  await r.until(() => r.sources.length === 2, "the stream with the latest token");
  assert.ok(Date.now() >= payloadOf(t0).exp * 1000 - 100, "not before the first token expired");
  assert.equal(r.sources[0].closed, true);
  assert.equal(r.sources[1].url.searchParams.get("token"), t1);
  assert.equal(r.sources[1].url.searchParams.get("since"), "12");
  assert.equal(r.statuses.at(-1), "connecting");
  r.sources[1].ready(12);
  assert.equal(r.statuses.at(-1), "live");
  assert.deepEqual(r.errors, []);
  r.stop();
  perms.dispose();
});

test("EventSource's own retries are left to it: no second stream, live again on ready", async () => {
  const t0 = token("sue");
  const perms = await verify(t0);
  const r = harness(perms, () => assert.fail("no token is needed"), { initialToken: t0 });
  r.sources[0].ready(1);
  r.sources[0].fail(false);
  r.sources[0].fail(false);
  r.sources[0].ready(1);
  assert.equal(r.sources.length, 1);
  assert.deepEqual(r.statuses, ["connecting", "live", "reconnecting", "live"]);
  assert.deepEqual(r.errors, []);
  r.stop();
  perms.dispose();
});

test("the snapshot is renewed before it expires, and not again when the issuer cannot move exp", async () => {
  const start = Date.now();
  const t0 = token("sue", { at: start, ttl: 3 });
  const perms = await verify(t0);
  const exp = perms.expiresAt.getTime();
  // The renewed token ends when the first does (the user's access ends then): it cannot be moved.
  const capped = () => {
    const at = Math.floor(Date.now() / 1000) * 1000; // iat is whole seconds
    return token("sue", { at, ttl: (exp - at) / 1000 });
  };
  const r = harness(perms, capped, { initialToken: t0 });
  await r.until(() => r.updates === 1, "the renewal");
  assert.equal(r.calls, 1);
  assert.equal(perms.expiresAt.getTime(), exp);
  await r.until(() => perms.expired, "the expiry");
  assert.equal(r.calls, 1, "a renewal that could not move exp was not repeated");
  r.stop();
  perms.dispose();
});

test("a renewal that moves exp keeps the snapshot usable past the first token's exp", async () => {
  const t0 = token("sue", { ttl: 2 });
  const perms = await verify(t0);
  const exp = perms.expiresAt.getTime();
  const r = harness(perms, () => token("sue", { ttl: 60 }), { initialToken: t0 });
  await r.until(() => r.updates === 1, "the renewal");
  assert.ok(perms.expiresAt.getTime() > exp);
  assert.ok(Date.now() < exp, "renewed before the first token expired");
  r.stop();
  perms.dispose();
});

test("without initialToken, follow fetches a token first and opens the stream with it", async () => {
  const t0 = token("sue", { at: Date.now() - 2000 });
  const t1 = token("sue");
  const perms = await verify(t0);
  const r = harness(perms, () => t1);
  assert.equal(r.sources.length, 0, "no stream without a token");
  await r.until(() => r.sources.length === 1, "the stream");
  assert.equal(r.calls, 1);
  assert.equal(r.sources[0].url.searchParams.get("token"), t1);
  r.stop();
  perms.dispose();
});

test("stop() closes the stream, and a token that arrives afterwards is not applied", async () => {
  const t0 = token("rita", { at: Date.now() - 2000 });
  const perms = await verify(t0);
  const d = deferred();
  const r = harness(perms, () => d.promise, { initialToken: t0 });
  r.sources[0].emit("change", 2);
  await r.until(() => r.calls === 1, "the fetch");
  r.stop();
  r.stop(); // idempotent
  d.resolve(token("rita", { restricted: false }));
  await d.promise;
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(r.sources[0].closed, true);
  assert.equal(r.updates, 0);
  assert.equal(perms.can("player.give_bonus", 4444), false);
  assert.deepEqual(r.statuses, ["connecting", "stopped"]);
  perms.dispose();
});

test("follow refuses what it cannot work with: no Permissions, no token function, no events URL, no EventSource, a relative URL outside a page", async () => {
  const t0 = token("sue");
  const perms = await verify(t0);
  const FakeEventSource = fakeEventSource(waiter()).FakeEventSource;
  const ok = { events: EVENTS, token: () => t0, EventSource: FakeEventSource };
  assert.throws(() => follow(null, ok), TypeError);
  assert.throws(() => follow(perms, { ...ok, token: t0 }), /`token`/);
  assert.throws(() => follow(perms, { ...ok, events: undefined }), /`events`/);
  assert.equal(typeof globalThis.EventSource, "undefined", "Node 20 has no EventSource");
  assert.throws(() => follow(perms, { ...ok, EventSource: undefined }), /no EventSource/);
  assert.throws(() => follow(perms, { ...ok, events: "/v1/events" }), TypeError);
  assert.throws(() => follow(perms, { ...ok, renewBefore: -1 }), /renewBefore/);
  assert.throws(() => follow(perms, { ...ok, backoff: { max: Infinity } }), /backoff\.max/);
  perms.dispose();
});

test("follow wrote nothing to the console", () => {
  assert.deepEqual(consoleCalls, []);
});
