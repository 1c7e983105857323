// The npm package exactly as a user imports it (from pkg/, Node entry).
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { Permissions, PermsnapError, gate } from "../../pkg/node.js";
import init from "../../pkg/node.js";
import { CRM, NOW, TAP, cli, issue, keys, payloadOf, signRaw } from "./helpers.mjs";

const k = keys("k1");
const opts = { audience: "backoffice", now: NOW + 1000 };
const verify = (user, o = {}) => Permissions.verify(issue(k, { user, ...o }), k.jwks, { ...opts, ...(o.verify ?? {}) });

test("init resolves at once in Node and the package exports its API", async () => {
  await init();
  assert.equal(typeof Permissions.verify, "function");
  assert.equal(typeof gate, "function");
});

test("a CRM Support user may give bonuses but not complete missions", () => {
  const p = verify("sue");
  assert.equal(p.subject, "sue");
  assert.equal(p.catalog, "smartico-crm");
  assert.equal(p.kid, "k1");
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

test("explain names the restriction role and its title", () => {
  const p = verify("rita");
  const e = p.explain("player.give_bonus", 4444);
  assert.equal(e.reason, "restricted");
  assert.equal(e.by, "no_give_bonus");
  assert.match(e.message, /Don't allow to give bonus from user profile/);
  assert.equal(p.can("campaign.activate_marketing", 4444), true);
  assert.equal(p.can("campaign.activate_operational", 4444), false);
});

test("labels: no access, a closed label, and an unknown label all deny", () => {
  const p = verify("sue");
  assert.equal(p.explain("player.give_bonus", 4445).reason, "no_label_access");
  assert.equal(p.explain("player.give_bonus", 4446).reason, "label_closed");
  assert.equal(p.explain("player.give_bonus", 9999).reason, "no_label_access");
  assert.deepEqual(p.labels, [4444, 4446]);
});

test("a disabled user and a user whose home label is closed are denied everything, with the reason", () => {
  assert.equal(verify("dina").explain("player.view", 4444).reason, "disabled");
  assert.equal(verify("cole").explain("player.view", 4444).reason, "home_label_closed");
  assert.deepEqual(verify("dina").allowed(4444), []);
});

test("the owner is allowed everything in open labels", () => {
  const p = verify("olga");
  assert.equal(p.explain("users.manage", 4445).reason, "owner");
  assert.equal(p.explain("users.manage", 4446).reason, "label_closed");
});

test("an unknown action is denied, never thrown", () => {
  const p = verify("ada");
  assert.equal(p.can("player.giv_bonus", 4444), false);
  assert.equal(p.explain("player.giv_bonus", 4444).reason, "unknown_action");
});

test("allowed() lists exactly the actions the server allows, in catalog order", async () => {
  const { readFileSync } = await import("node:fs");
  const catalog = JSON.parse(readFileSync(fileURLToPath(new URL("../../src/presets/smartico-crm.json", import.meta.url)), "utf8"));
  const p = verify("sam");
  const list = p.allowed(4444);
  const serverAllowed = catalog.permissions.map((x) => x.id).filter((action) =>
    cli(["check", "--catalog", "smartico-crm", "--directory", CRM, "--user", "sam", "--label", "4444",
      "--action", action, "--now", new Date(NOW).toISOString()]).allowed);
  assert.deepEqual([...list].sort(), [...serverAllowed].sort());
  assert.ok(list.includes("player.complete_mission"));
  assert.ok(!list.includes("player.change_test_flag"));
});

test("scoped checks: an affiliate manager sees only the affiliates assigned to them", () => {
  const p = Permissions.verify(issue(k, { catalog: "tap-affiliate", directory: TAP, user: "u7" }), k.jwks, opts);
  assert.equal(p.can("affiliate.view", 4444, { manager: "u7" }), true);
  assert.equal(p.can("affiliate.view", 4444, { manager: "u9" }), false);
  assert.equal(p.explain("affiliate.view", 4444, { manager: "u9" }).reason, "condition_failed");
  assert.equal(p.can("affiliate.view", 4444), false);
  const limited = Permissions.verify(issue(k, { catalog: "tap-affiliate", directory: TAP, user: "lea" }), k.jwks, opts);
  assert.equal(limited.can("affiliate.view", 4444, { status: "approved" }), true);
  assert.equal(limited.can("affiliate.view", 4444, { status: "pending" }), false);
});

test("the answers agree with the server's check for every action of several users", () => {
  for (const user of ["ada", "max", "sue", "sam", "rita"]) {
    const p = verify(user);
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

function code(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PermsnapError, `a PermsnapError, not ${e}`);
    assert.equal(e.name, "PermsnapError");
    return e.code;
  }
  assert.fail("did not throw");
}

test("every verification error throws a PermsnapError with its code", () => {
  const good = issue(k, { user: "sue" });
  const claims = payloadOf(good);
  const head = { alg: "Ed25519", typ: "permsnap+jwt", kid: "k1" };
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
    unsupported_version: v(signRaw(k.privateJwk, head, { ...claims, psnap: { ...claims.psnap, v: 2 } })),
    bad_jwks: () => Permissions.verify(good, { keys: [] }, opts),
  };
  for (const [want, fn] of Object.entries(cases)) assert.equal(code(fn), want, want);
  // a token signed by another key with the same kid
  assert.equal(code(v(issue(other, { user: "sue" }))), "bad_signature");
});

test("update swaps in a fresh snapshot for the same user and tells subscribers", () => {
  const p = verify("sue");
  let calls = 0;
  const stop = p.subscribe(() => calls++);
  const v0 = p.version;
  p.update(issue(k, { user: "sue", now: NOW + 500 }));
  assert.equal(calls, 1);
  assert.notEqual(p.version, v0);
  stop();
  p.update(issue(k, { user: "sue", now: NOW + 600 }));
  assert.equal(calls, 1);
  assert.equal(code(() => p.update(issue(k, { user: "rita" }))), "wrong_subject");
  assert.equal(p.subject, "sue");
  assert.equal(code(() => p.update("garbage")), "malformed");
  assert.equal(p.can("player.give_bonus", 4444), true, "a failed update keeps the last good snapshot");
});

const nextTask = () => new Promise((r) => setTimeout(r, 0));

test("after exp every check denies with `expired`, whatever the cache held", async () => {
  let clock = NOW + 1000;
  const p = Permissions.verify(issue(k, { user: "sue", ttl: 60 }), k.jwks, { audience: "backoffice", clock: () => clock });
  assert.equal(p.can("player.give_bonus", 4444), true);
  assert.equal(p.expiresAt.getTime(), NOW + 60_000);
  clock = NOW + 60_000;
  await nextTask(); // time passes between tasks
  assert.equal(p.can("player.give_bonus", 4444), false);
  assert.equal(p.explain("player.give_bonus", 4444).reason, "expired");
  assert.equal(p.expired, true);
  assert.deepEqual(p.allowed(4444), []);
});

test("the clock is read once per synchronous task: a burst of checks shares one reading", async () => {
  let reads = 0;
  let clock = NOW + 1000;
  const p = Permissions.verify(issue(k, { user: "sue", ttl: 60 }), k.jwks, {
    audience: "backoffice",
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
  const now = Date.now();
  const p = Permissions.verify(issue(k, { user: "sue", now, ttl: 1 }), k.jwks, { audience: "backoffice" });
  assert.equal(p.can("player.give_bonus", 4444), true);
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("no expiry notification within 3 s")), 3000);
    p.subscribe(() => {
      clearTimeout(t);
      resolve();
    });
  });
  assert.equal(p.expired, true);
  assert.equal(p.can("player.give_bonus", 4444), false);
});

test("a user whose access ends sooner gets a snapshot that ends then", () => {
  const p = verify("eve", { now: Date.parse("2029-12-31T23:55:00Z"), verify: { now: Date.parse("2029-12-31T23:56:00Z") } });
  assert.equal(p.expiresAt.toISOString(), "2030-01-01T00:00:00.000Z");
});

test("dispose stops the timer and every check denies", () => {
  const p = verify("ada");
  p.dispose();
  assert.equal(p.can("player.give_bonus", 4444), false);
  assert.deepEqual(p.allowed(4444), []);
});

test("the package.json is what the issue asks: ESM, exports with types first, files whitelist", async () => {
  const { readFileSync } = await import("node:fs");
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL("../../pkg/package.json", import.meta.url)), "utf8"));
  assert.equal(pkg.name, "permsnap");
  assert.equal(pkg.type, "module");
  assert.deepEqual(Object.keys(pkg.exports["."]), ["types", "node", "default"]);
  for (const f of pkg.files) readFileSync(fileURLToPath(new URL(`../../pkg/${f}`, import.meta.url)));
});
