// The npm package exactly as a user imports it (from pkg/, Node entry):
// answers, verification errors, clock rules, updates, labels, resources.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer } from "node:http";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import init, { Permissions, PermsnapError, gate, errorCodes, reasonCodes } from "../../pkg/node.js";
import { AUDIENCE, CRM, NOW, TAP, cli, issue, keys, manifest, payloadOf, root, signRaw } from "./helpers.mjs";

const k = keys("k1");
const crm = manifest("smartico-crm");
const tap = manifest("tap-affiliate");
const opts = { audience: AUDIENCE, manifest: crm, now: NOW + 1000 };
const verify = (user, o = {}) => Permissions.verify(issue(k, { user, ...o }), k.jwks, { ...opts, ...(o.verify ?? {}) });
const verifyTap = (user) =>
  Permissions.verify(issue(k, { catalog: "tap-affiliate", directory: TAP, user }), k.jwks, { ...opts, manifest: tap });

/** The code a rejected promise carries (and that it is a PermsnapError). */
async function code(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof PermsnapError, `a PermsnapError, not ${e?.stack ?? e}`);
    assert.equal(e.name, "PermsnapError");
    return e.code;
  }
  assert.fail("did not reject");
}

test("init resolves at once in Node and the package exports its API", async () => {
  await init();
  assert.equal(typeof Permissions.verify, "function");
  assert.equal(typeof gate, "function");
  assert.throws(() => new Permissions(), TypeError, "the constructor is not public");
});

test("a CRM Support user may give bonuses but not complete missions", async () => {
  const p = await verify("sue");
  assert.equal(p.subject, "sue");
  assert.equal(p.catalog, "smartico-crm");
  assert.equal(p.kid, "k1");
  assert.equal(p.manifest, createHash("sha256").update(crm).digest().subarray(0, 16).toString("base64url"));
  assert.equal(p.can("player.give_bonus", 4444), true);
  assert.equal(p.can("player.complete_mission", 4444), false);
  assert.equal(p.cannot("player.complete_mission", 4444), true);
  assert.deepEqual(p.explain("player.give_bonus", 4444), {
    allowed: true, reason: "granted", by: "crm_support", message: "Allowed by CRM Support",
  });
  assert.deepEqual(p.explain("player.complete_mission", 4444), {
    allowed: false, reason: "not_granted", message: "Your role does not include this action",
  });
});

test("explain names the restriction role and its title", async () => {
  const p = await verify("rita");
  const e = p.explain("player.give_bonus", 4444);
  assert.equal(e.reason, "restricted");
  assert.equal(e.by, "no_give_bonus");
  assert.match(e.message, /Don't allow to give bonus from user profile/);
  assert.equal(p.can("campaign.activate_marketing", 4444), true);
  assert.equal(p.can("campaign.activate_operational", 4444), false);
});

test("labels: no access, a closed label, and a label the snapshot does not know all deny", async () => {
  const p = await verify("sue");
  assert.equal(p.explain("player.give_bonus", 4445).reason, "no_label_access");
  assert.equal(p.explain("player.give_bonus", 4446).reason, "label_closed");
  assert.equal(p.explain("player.give_bonus", 9999).reason, "no_label_access");
  assert.deepEqual(p.labels, [4444, 4445, 4446], "every label of the directory, with or without access");
});

test("a disabled user and a user whose home label is closed are denied everything, with the reason", async () => {
  assert.equal((await verify("dina")).explain("player.view", 4444).reason, "disabled");
  assert.equal((await verify("cole")).explain("player.view", 4444).reason, "home_label_closed");
  assert.deepEqual((await verify("dina")).allowed(4444), []);
});

test("the owner is allowed everything in open labels", async () => {
  const p = await verify("olga");
  assert.equal(p.explain("users.manage", 4445).reason, "owner");
  assert.equal(p.explain("users.manage", 4446).reason, "label_closed");
});

test("an unknown action is denied, never thrown", async () => {
  const p = await verify("ada");
  assert.equal(p.can("player.giv_bonus", 4444), false);
  assert.equal(p.explain("player.giv_bonus", 4444).reason, "unknown_action");
  assert.equal(p.can("constructor", 4444), false, "no inherited property is an action");
  assert.equal(p.can(undefined, 4444), false);
});

test("allowed() lists exactly the actions the server allows, in catalog order", async () => {
  const catalog = JSON.parse(readFileSync(join(root, "src/native/presets/smartico-crm.json"), "utf8"));
  const p = await verify("sam");
  const list = p.allowed(4444);
  const serverAllowed = catalog.permissions.map((x) => x.id).filter((action) =>
    cli(["check", "--catalog", "smartico-crm", "--directory", CRM, "--user", "sam", "--label", "4444",
      "--action", action, "--now", new Date(NOW).toISOString()]).allowed);
  assert.deepEqual(list, serverAllowed);
  assert.ok(list.includes("player.complete_mission"));
  assert.ok(!list.includes("player.change_test_flag"));
});

test("scoped checks: an affiliate manager may act only on the affiliates assigned to them", async () => {
  const p = await verifyTap("u7");
  assert.equal(p.can("affiliate.view", 4444, { manager: "u7" }), true);
  assert.equal(p.can("affiliate.view", 4444, { manager: "u9" }), false);
  assert.equal(p.explain("affiliate.view", 4444, { manager: "u9" }).reason, "condition_failed");
  assert.equal(p.can("affiliate.view", 4444), false, "no resource: the condition cannot hold");
  assert.equal(p.can("affiliate.view", 4444, {}), false, "a missing attribute: the grant does not apply");
  const limited = await verifyTap("lea");
  assert.equal(limited.can("affiliate.view", 4444, { status: "approved" }), true);
  assert.equal(limited.can("affiliate.view", 4444, { status: "pending" }), false);
  assert.equal(limited.can("affiliate.view", 4444, { status: "a string no condition names" }), true, "ne: any other string");
  assert.equal(limited.can("affiliate.view", 4444, { status: 7 }), true, "ne: a number is not the string");
  assert.equal(limited.can("affiliate.view", 4444, { status: Number.NaN }), false, "NaN is absent, as in JSON");
  assert.equal(limited.can("affiliate.view", 4444, { status: { nested: 1 } }), false, "an object is absent");
});

test("a resource that is not an object is denied as bad_resource, never coerced", async () => {
  const p = await verifyTap("u7");
  for (const bad of ["u7", 7, true, () => ({ manager: "u7" })]) {
    assert.equal(p.can("affiliate.view", 4444, bad), false, String(bad));
    assert.equal(p.explain("affiliate.view", 4444, bad).reason, "bad_resource", String(bad));
  }
  assert.equal(p.can("affiliate.view", 4444, null), false, "null is no resource");
  // the same for a permission no condition names: can() and explain() agree
  const crmUser = await verify("sue");
  assert.equal(crmUser.can("player.view", 4444, {}), true);
  assert.equal(crmUser.can("player.view", 4444, "u7"), false);
  assert.equal(crmUser.explain("player.view", 4444, "u7").reason, "bad_resource");
});

test("outside production a misspelt action or a label that is no number warns once in the console; the checks still deny", async () => {
  const p = await verify("sue");
  const warnings = [];
  const warn = console.warn;
  console.warn = (m) => warnings.push(m);
  try {
    for (let i = 0; i < 3; i++) {
      assert.equal(p.can("player.give_bonsu", 4444), false);
      assert.equal(p.explain("player.give_bonsu", 4444).reason, "unknown_action");
      assert.equal(p.can("player.give_bonus", "4445"), false);
      assert.equal(p.explain("player.give_bonus", "4445").reason, "unknown_label");
    }
    assert.equal(p.can("player.give_bonus", 4444), true, "a known action in a label: no warning");
  } finally {
    console.warn = warn;
  }
  assert.deepEqual(warnings, [
    "permsnap: `player.give_bonsu` is not a permission of this catalog: every check of it denies (unknown_action). A typo?",
    'permsnap: the label "4445" is not a label id (a safe non-negative integer, never a string): every check denies (unknown_label)',
  ]);
});

test("scoped checks read only the resource's own attributes: an inherited manager grants nothing", async () => {
  const p = await verifyTap("u7");
  const inherited = Object.create({ manager: "u7" });
  assert.equal(p.can("affiliate.view", 4444, inherited), false, "Object.create({manager})");
  assert.equal(p.explain("affiliate.view", 4444, inherited).reason, "condition_failed");
  Object.prototype.manager = "u7"; // a polluted prototype (e.g. a merge of untrusted JSON elsewhere on the page)
  try {
    assert.equal(p.can("affiliate.view", 4444, {}), false, "Object.prototype.manager");
    assert.equal(p.explain("affiliate.view", 4444, { status: "approved" }).reason, "condition_failed");
    assert.equal(p.can("affiliate.view", 4444, { manager: "u7" }), true, "its own manager still grants");
  } finally {
    delete Object.prototype.manager;
  }
});

test("a list is no resource: bad_resource, even with the attribute the condition reads", async () => {
  const p = await verifyTap("u7");
  for (const list of [[], Object.assign([], { manager: "u7" }), [{ manager: "u7" }]]) {
    assert.equal(p.can("affiliate.view", 4444, list), false, JSON.stringify(list));
    assert.equal(p.explain("affiliate.view", 4444, list).reason, "bad_resource");
  }
  const crmUser = await verify("sue");
  assert.equal(crmUser.can("player.view", 4444, []), false, "also where no condition is read");
  assert.equal(crmUser.explain("player.view", 4444, []).reason, "bad_resource");
});

test("the answers agree with the server's check for every action of several users", async () => {
  for (const user of ["ada", "max", "sue", "sam", "rita"]) {
    const p = await verify(user);
    for (const action of p.allowed(4444).concat(["player.complete_mission", "message.view_links", "users.manage"])) {
      const server = cli(["check", "--catalog", "smartico-crm", "--directory", CRM, "--user", user, "--label", "4444",
        "--action", action, "--now", new Date(NOW).toISOString()]);
      const mine = p.explain(action, 4444);
      assert.equal(mine.allowed, server.allowed, `${user} ${action}`);
      assert.equal(mine.reason, server.reason, `${user} ${action}`);
      assert.equal(mine.by, server.by, `${user} ${action}`);
      assert.equal(mine.message, server.message, `${user} ${action}`);
    }
  }
});

test("a label that is not a safe non-negative integer is denied as unknown_label, never coerced to a label", async () => {
  // a user with access in label 0 and label 4444: a coerced label would be allowed
  const dir = join(k.dir, "zero.json");
  writeFileSync(dir, JSON.stringify({
    labels: [{ id: 0, name: "Zero", suffix: "zero" }, { id: 4444, name: "MyCasino", suffix: "mycasino" }],
    users: [{ id: "z", username: "z@zero", email: "z@example.com", home_label: 0,
      access: { 0: { roles: ["crm_admin"] }, 4444: { roles: ["crm_admin"] } } }],
  }));
  const p = await Permissions.verify(issue(k, { directory: dir, user: "z" }), k.jwks, opts);
  assert.equal(p.can("player.give_bonus", 0), true);
  assert.equal(p.can("player.give_bonus", 4444), true);
  for (const bad of [undefined, null, Number.NaN, -1, "abc", "4444", "0", 4444.9, 0.5, Infinity, 2 ** 53, [4444], {}]) {
    assert.equal(p.can("player.give_bonus", bad), false, `label ${String(bad)}`);
    assert.equal(p.explain("player.give_bonus", bad).reason, "unknown_label", `label ${String(bad)}`);
    assert.deepEqual(p.allowed(bad), [], `label ${String(bad)}`);
  }
  assert.equal(p.can("player.give_bonus", -0), true, "-0 is 0");
});

test("every verification error rejects with a PermsnapError and its code", async () => {
  const good = issue(k, { user: "sue" });
  const claims = payloadOf(good);
  const head = { alg: "EdDSA", typ: "permsnap+jwt", kid: "k1" };
  const v = (t, o = {}) => () => Permissions.verify(t, k.jwks, { ...opts, ...o });
  const other = keys("k1");
  const cases = {
    malformed: v("not.a-token"),
    bad_signature: v(good.slice(0, -4) + (good.endsWith("AAAA") ? "BBBB" : "AAAA")),
    unknown_key: v(signRaw(k.privateJwk, { ...head, kid: "k9" }, claims)),
    alg_not_allowed: v(`${Buffer.from('{"alg":"none","typ":"permsnap+jwt","kid":"k1"}').toString("base64url")}.${good.split(".")[1]}.`),
    typ_mismatch: v(signRaw(k.privateJwk, { ...head, typ: "JWT" }, claims)),
    crit_unsupported: v(signRaw(k.privateJwk, { ...head, crit: ["exp"] }, claims)),
    key_in_header: v(signRaw(k.privateJwk, { ...head, jwk: k.jwks.keys[0] }, claims)),
    expired: v(good, { now: claims.exp * 1000 }),
    not_yet_valid: v(signRaw(k.privateJwk, head, { ...claims, nbf: claims.iat + 600 })),
    wrong_audience: v(good, { audience: "another-app" }),
    wrong_issuer: v(good, { issuer: "https://someone-else" }),
    too_large: v(good, { maxLength: 100 }),
    unsupported_version: v(signRaw(k.privateJwk, head, { ...claims, psnap: { ...claims.psnap, v: 3 } })),
    manifest_mismatch: v(good, { manifest: tap, now: NOW + 1000 }),
    bad_jwks: () => Permissions.verify(good, { keys: [] }, opts),
  };
  const got = {};
  for (const [want, run] of Object.entries(cases)) got[want] = await code(run());
  assert.deepEqual(got, Object.fromEntries(Object.keys(cases).map((c) => [c, c])));
  assert.equal(await code(v(issue(other, { user: "sue" }))()), "bad_signature", "another key with the same kid");
  assert.equal(await code(v(signRaw(k.privateJwk, head, { ...claims, psnap: { ...claims.psnap, extra: 1 } }))()), "malformed",
    "an unknown member of the snapshot claim, as natively");
});

test("white space around a token is trimmed; anything else that is not a compact JWS says so", async () => {
  const good = issue(k, { user: "sue" });
  assert.equal((await Permissions.verify(`${good}\n`, k.jwks, opts)).subject, "sue", "a trailing newline");
  assert.equal((await Permissions.verify(`  ${good}\r\n`, k.jwks, opts)).subject, "sue");
  for (const [bad, message] of [
    [`Bearer ${good}`, /white space inside/],
    [`${good}.x`, /three parts/],
    [JSON.stringify({ token: good }), /is JSON, not a compact JWS/],
    [`!${good}`, /header is not base64url/],
  ]) {
    await assert.rejects(Permissions.verify(bad, k.jwks, opts), { code: "malformed", message }, bad.slice(0, 20));
  }
  await assert.rejects(Permissions.verify(42, k.jwks, opts), { code: "malformed", message: /not a string/ });
});

test("iat or nbf up to 60 s ahead (the issuer's clock) is accepted by default; exp is never extended", async () => {
  const claims = payloadOf(issue(k, { user: "sue" }));
  const head = { alg: "EdDSA", typ: "permsnap+jwt", kid: "k1" };
  const at = (iat) => signRaw(k.privateJwk, head, { ...claims, iat, nbf: iat });
  const now = claims.iat * 1000;
  assert.equal((await Permissions.verify(at(claims.iat + 3), k.jwks, { ...opts, now })).subject, "sue", "3 s ahead");
  assert.equal((await Permissions.verify(at(claims.iat + 60), k.jwks, { ...opts, now })).subject, "sue", "60 s ahead");
  assert.equal(await code(Permissions.verify(at(claims.iat + 61), k.jwks, { ...opts, now })), "not_yet_valid");
  assert.equal(await code(Permissions.verify(at(claims.iat + 3), k.jwks, { ...opts, now, clockSkew: 0 })), "not_yet_valid");
  // the clock skew never extends exp
  const exp = claims.exp * 1000;
  assert.equal(await code(Permissions.verify(at(claims.iat), k.jwks, { ...opts, now: exp, clockSkew: 600 })), "expired");
  // leeway extends the verification past exp, but every check still denies from exp on
  const late = await Permissions.verify(at(claims.iat), k.jwks, { ...opts, now: exp + 1000, leeway: 30 });
  assert.equal(late.explain("player.give_bonus", 4444).reason, "snapshot_expired");
  await assert.rejects(Permissions.verify(at(claims.iat), k.jwks, { ...opts, leeway: "30s" }), TypeError);
});

/** Two signing keys' JWKS as the issuer publishes them before and after a rotation (old and new key, both public). */
function rotation() {
  const old = keys("old");
  const fresh = keys("new");
  return { old, fresh, after: { keys: [...old.jwks.keys, ...fresh.jwks.keys] } };
}

test("key rotation: update() with a token of a key the fetched JWKS lacks reads it again once (refresh) and swaps the snapshot in", async () => {
  const { old, fresh, after } = rotation();
  let published = old.jwks;
  const asked = [];
  const jwks = ({ refresh }) => (asked.push(refresh), published);
  const p = await Permissions.verify(issue(old, { user: "sue" }), jwks, opts);
  assert.deepEqual(asked, [false]);
  published = after; // the issuer rotated; this page still holds the old set
  await p.update(issue(fresh, { user: "sue", now: NOW + 500 }));
  assert.equal(p.kid, "new");
  assert.deepEqual(asked, [false, true], "read again once, with refresh");
  await p.update(issue(old, { user: "sue", now: NOW + 600 }));
  assert.deepEqual(asked, [false, true], "a key it now has: not read again");
  // a kid the issuer never published: one more read, then unknown_key, and the snapshot stays
  assert.equal(await code(p.update(issue(keys("other"), { user: "sue", now: NOW + 700 }))), "unknown_key");
  assert.deepEqual(asked, [false, true, true]);
  assert.equal(p.kid, "old");
});

test("key rotation: a JWKS given by URL is fetched once, kept for updates, and fetched again with cache no-cache on an unknown kid", async () => {
  const { old, fresh, after } = rotation();
  let published = old.jwks;
  const requests = [];
  const server = createServer((req, res) => {
    requests.push(req.headers["cache-control"] ?? "");
    res.writeHead(200, { "content-type": "application/json", "cache-control": "public, max-age=60" });
    res.end(JSON.stringify(published));
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  try {
    const url = `http://127.0.0.1:${server.address().port}/.well-known/jwks.json`;
    const p = await Permissions.verify(issue(old, { user: "sue" }), url, opts);
    await p.update(issue(old, { user: "sue", now: NOW + 100 }));
    assert.equal(requests.length, 1, "kept for updates");
    published = after;
    await p.update(issue(fresh, { user: "sue", now: NOW + 500 }));
    assert.equal(p.kid, "new");
    assert.equal(requests.length, 2);
    assert.match(requests[1], /no-cache|max-age=0/, "past the HTTP cache (revalidated)");
    // a second snapshot of the same URL shares the keys read
    const q = await Permissions.verify(issue(fresh, { user: "ada", now: NOW + 500 }), new URL(url), opts);
    assert.equal(q.kid, "new");
    assert.equal(requests.length, 2);
  } finally {
    await new Promise((r) => server.close(r));
  }
  const gone = `http://127.0.0.1:${server.address()?.port ?? 9}/jwks.json`;
  assert.equal(await code(Permissions.verify(issue(old, { user: "sue" }), gone, opts)), "jwks_unavailable");
});

test("the tenant option: a token of another tenant is wrong_tenant at verify and at update, which keeps it", async () => {
  const acme = (user, now) => signRaw(k.privateJwk, { alg: "EdDSA", typ: "permsnap+jwt", kid: "k1" }, { ...payloadOf(issue(k, { user, now })), tid: "acme" });
  const p = await Permissions.verify(acme("sue", NOW), k.jwks, { ...opts, tenant: "acme" });
  assert.equal(await code(Permissions.verify(acme("sue", NOW), k.jwks, { ...opts, tenant: "globex" })), "wrong_tenant");
  assert.equal(await code(p.update(issue(k, { user: "sue", now: NOW + 500 }))), "wrong_tenant", "a token naming no tenant");
  await p.update(acme("sue", NOW + 600));
  assert.equal(p.issuedAt.getTime(), Math.floor((NOW + 600) / 1000) * 1000);
  await assert.rejects(Permissions.verify(acme("sue", NOW), k.jwks, { ...opts, tenant: 7 }), TypeError);
});

test("update swaps in a fresh snapshot for the same user and tells subscribers", async () => {
  const p = await verify("sue");
  let calls = 0;
  const stop = p.subscribe(() => calls++);
  const v0 = p.version;
  await p.update(issue(k, { user: "sue", now: NOW + 500 }));
  assert.equal(calls, 1);
  assert.notEqual(p.version, v0);
  stop();
  await p.update(issue(k, { user: "sue", now: NOW + 600 }));
  assert.equal(calls, 1);
  assert.equal(await code(p.update(issue(k, { user: "rita", now: NOW + 700 }))), "wrong_subject");
  assert.equal(p.subject, "sue");
  assert.equal(await code(p.update("garbage")), "malformed");
  assert.equal(p.can("player.give_bonus", 4444), true, "a failed update keeps the last good snapshot");
});

test("update refuses a token issued before the current one (stale_token), also when responses arrive out of order", async () => {
  const p = await verify("sue", { now: NOW });
  const older = issue(k, { user: "sue", now: NOW - 5000 });
  assert.equal(await code(p.update(older)), "stale_token");
  assert.equal(p.issuedAt.getTime(), NOW);
  // two refreshes in flight: the newer lands first, the older must not replace it
  const newer = issue(k, { user: "sue", now: NOW + 9000 });
  const middle = issue(k, { user: "sue", now: NOW + 4000 });
  const first = p.update(newer);
  const second = p.update(middle);
  await first;
  assert.equal(await code(second), "stale_token");
  assert.equal(p.issuedAt.getTime(), NOW + 9000);
  await p.update(issue(k, { user: "sue", now: NOW + 9000 }));
  assert.equal(p.issuedAt.getTime(), NOW + 9000, "the same second is not older");
});

const nextTask = () => new Promise((r) => setTimeout(r, 0));

test("after exp every check denies with `snapshot_expired` (not the account's `expired`), whatever the cache held", async () => {
  let clock = NOW + 1000;
  const p = await Permissions.verify(issue(k, { user: "sue", ttl: 60 }), k.jwks, { ...opts, now: undefined, clock: () => clock });
  assert.equal(p.can("player.give_bonus", 4444), true);
  assert.equal(p.expiresAt.getTime(), NOW + 60_000);
  clock = NOW + 60_000;
  await nextTask(); // time passes between tasks
  assert.equal(p.can("player.give_bonus", 4444), false);
  assert.deepEqual(p.explain("player.give_bonus", 4444), { allowed: false, reason: "snapshot_expired",
    message: "Your permissions on this page are out of date: they are being renewed, or reload the page" });
  assert.equal(p.expired, true);
  // an account whose access ended keeps the account's reason and sentence
  const ended = Date.parse("2030-06-01T00:00:00Z");
  const eve = await Permissions.verify(issue(k, { user: "eve", now: ended }), k.jwks, { ...opts, now: ended + 1000 });
  assert.deepEqual(eve.explain("player.give_bonus", 4444), { allowed: false, reason: "expired", message: "Your access has expired" });
  assert.deepEqual(p.allowed(4444), []);
});

test("the clock is read once per synchronous task: a burst of checks shares one reading", async () => {
  let reads = 0;
  let clock = NOW + 1000;
  const p = await Permissions.verify(issue(k, { user: "sue", ttl: 60 }), k.jwks, {
    ...opts,
    now: undefined,
    clock: () => {
      reads++;
      return clock;
    },
  });
  await nextTask();
  reads = 0;
  for (let i = 0; i < 1000; i++) p.can("player.give_bonus", 4444);
  assert.equal(reads, 1, "one reading for the whole burst");
  clock = NOW + 61_000;
  assert.equal(p.can("player.give_bonus", 4444), true, "same task: the task's reading holds");
  await nextTask();
  assert.equal(p.can("player.give_bonus", 4444), false, "next task: read again, expired");
  assert.equal(reads, 2);
});

test("the expiry timer tells subscribers when the snapshot lapses in real time", async () => {
  // `exp` is whole seconds rounded down: with a 1 s lifetime a token issued
  // late in a second may lapse before the CLI that signs it has returned.
  // Two seconds leave at least one to verify in.
  const now = Date.now();
  const p = await Permissions.verify(issue(k, { user: "sue", now, ttl: 2 }), k.jwks, { ...opts, now: undefined });
  assert.equal(p.can("player.give_bonus", 4444), true);
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no expiry notification within 4 s")), 4000);
    p.subscribe(() => {
      clearTimeout(t);
      resolve();
    });
  });
  assert.equal(p.expired, true);
  assert.equal(p.can("player.give_bonus", 4444), false);
});

test("dispose tells subscribers once and every check then denies as unverified", async () => {
  const p = await verify("ada");
  let calls = 0;
  p.subscribe(() => calls++);
  p.dispose();
  assert.equal(calls, 1);
  assert.equal(p.can("player.give_bonus", 4444), false);
  assert.equal(p.explain("player.give_bonus", 4444).reason, "unverified");
  assert.deepEqual(p.allowed(4444), []);
  assert.equal(p.expired, true);
  p.dispose();
  assert.equal(calls, 1, "a second dispose does nothing");
  await assert.rejects(p.update(issue(k, { user: "ada" })), TypeError);
});

test("a manifest function is asked with the token's catalog and hash, once per manifest", async () => {
  const asked = [];
  const o = { ...opts, manifest: (ref) => { asked.push(ref); return tap; } };
  const token = issue(k, { catalog: "tap-affiliate", directory: TAP, user: "u7", now: NOW - 1 });
  const p = await Permissions.verify(token, k.jwks, o);
  assert.equal(p.can("affiliate.view", 4444, { manager: "u7" }), true);
  await Permissions.verify(token, k.jwks, o);
  assert.ok(asked.length <= 1, "parsed manifests are kept by hash");
  if (asked.length === 1) assert.deepEqual(asked[0], { catalog: "tap-affiliate", hash: payloadOf(token).psnap.m });
});

test("the error and reason codes are the Rust lists plus the JS face's", async () => {
  assert.ok(errorCodes().includes("manifest_mismatch"));
  assert.ok(errorCodes().includes("bad_jwks"));
  assert.ok(errorCodes().includes("stale_token"));
  assert.ok(reasonCodes().includes("not_granted"));
  assert.ok(reasonCodes().includes("unverified"));
  assert.equal(new Set(errorCodes()).size, errorCodes().length, "no code twice");
});

test("the package.json is ESM with exports types first, the React subpath, and a files whitelist that exists", () => {
  const pkg = JSON.parse(readFileSync(join(root, "pkg/package.json"), "utf8"));
  assert.equal(pkg.name, "permsnap");
  assert.equal(pkg.type, "module");
  assert.deepEqual(Object.keys(pkg.exports["."]), ["types", "node", "default"]);
  assert.deepEqual(Object.keys(pkg.exports["./react"]), ["types", "default"]);
  assert.equal(pkg.peerDependenciesMeta.react.optional, true);
  for (const f of pkg.files.filter((f) => !f.includes("*") && !f.endsWith("/"))) readFileSync(join(root, "pkg", f));
});
