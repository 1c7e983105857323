// The package in Debian's Chromium (playwright-core), loaded from pkg/ as a
// page without a bundler loads it: the gate, each fail-closed case leaving
// the control unusable, parity over every vector file and 10,000 random
// checks, and the Ed25519 cases through WebCrypto.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CRM, NOW, TAP, issue, keys, manifest, root, samples } from "./helpers.mjs";
import { launchChromium, newPage, serve } from "./serve.mjs";

const k = keys("gate");
// rita without her restriction roles: the directory before an admin restricted her
const unrestricted = join(k.dir, "crm-unrestricted.json");
const crmDir = JSON.parse(readFileSync(CRM, "utf8"));
for (const u of crmDir.users) if (u.id === "rita") for (const a of Object.values(u.access)) a.restrictions = [];
writeFileSync(unrestricted, JSON.stringify(crmDir));

const fixtures = {
  jwks: k.jwks,
  now: NOW + 10_000,
  crm: manifest("smartico-crm"),
  tap: manifest("tap-affiliate"),
  manifest: manifest("smartico-crm"),
  sue: issue(k, { user: "sue" }),
  rita: issue(k, { user: "rita" }),
  ada: issue(k, { user: "ada" }),
  u7: issue(k, { catalog: "tap-affiliate", directory: TAP, user: "u7" }),
  sueShort: issue(k, { user: "sue", now: Date.now(), ttl: 4 }),
  ritaRestricted: issue(k, { user: "rita", now: NOW + 5000 }),
  ritaOlderUnrestricted: issue(k, { user: "rita", directory: unrestricted, now: NOW }),
};

let site;
let browser;
before(async () => {
  samples("vectors");
  samples("random");
  const csp = (url) =>
    url.pathname.endsWith("failclosed.html") && url.search.includes("init-csp")
      ? { "content-security-policy": "script-src 'self'" }
      : {};
  site = await serve({
    "/__fixtures.json": () => fixtures,
    "/forbidden/permsnap_wasm_bg.wasm": () => ({ status: 403, body: "forbidden" }),
    // a server that does not know the type: no streaming compilation, the bytes still load
    "/octet/permsnap_wasm_bg.wasm": () => ({ status: 200, headers: { "content-type": "application/octet-stream" }, body: readFileSync(join(root, "pkg/permsnap_wasm_bg.wasm")) }),
    "/__blank.html": () => ({ status: 200, headers: { "content-type": "text/html" }, body: '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">' }),
  }, undefined, csp);
  browser = await launchChromium();
});
after(async () => {
  await browser?.close();
  await site?.close();
});

async function open(path, ready = "__results") {
  const page = await newPage(browser);
  await page.goto(`${site.url}${path}`);
  if (ready) await page.waitForFunction((name) => window[name]?.done, ready, { timeout: 30_000 });
  return page;
}

/** The control is unusable: hidden or disabled, a click cannot reach it, and no handler ran. */
async function assertUnusable(page, selector) {
  const el = page.locator(selector);
  const usable = (await el.isVisible()) && (await el.isEnabled());
  assert.equal(usable, false, `${selector} is visible and enabled`);
  await assert.rejects(el.click({ timeout: 300 }), `${selector} could be clicked`);
  assert.equal(await page.evaluate(() => window.__clicks ?? 0), 0, `${selector}: a click handler ran`);
}

const control = (page, id) => page.evaluate((id) => {
  const el = document.getElementById(id);
  return { decided: el.getAttribute("data-permsnap"), reason: el.getAttribute("data-reason"), disabled: el.disabled ?? null,
    aria: el.getAttribute("aria-disabled"), title: el.getAttribute("title"), hidden: el.hidden };
}, id);

test("gate disables, hides and explains controls in a real browser, and gates everything without a valid token", async () => {
  const page = await open("/pkg-config/test/browser/gate.html");
  const r = await page.evaluate(() => window.__results);
  assert.deepEqual(r.sue.bonus, { disabled: false, aria: null, title: null, hidden: false, reason: null, decided: "allowed" });
  assert.equal(r.sue.mission.disabled, true);
  assert.equal(r.sue.mission.aria, "true");
  assert.equal(r.sue.mission.reason, "not_granted");
  assert.equal(r.sue.mission.title, "Your role does not include this action");
  assert.equal(r.sue.links.hidden, false, "Sue may see links");
  assert.equal(r.sue.unknown.reason, "unknown_action");

  assert.equal(r.rita.bonus.disabled, true);
  assert.equal(r.rita.bonus.reason, "restricted");
  assert.match(r.rita.bonus.title, /Don't allow to give bonus from user profile/);
  assert.equal(r.rita.links.hidden, true, "links hidden by the restriction role");
  assert.equal(r.rita.links.reason, "restricted");
  assert.equal(r.rita.mission.disabled, false, "a CRM Manager may complete missions");

  assert.equal(r.u7.own.disabled, false);
  assert.equal(r.u7.other.disabled, true);
  assert.equal(r.u7.other.reason, "condition_failed");
  assert.equal(r.u7.badres.reason, "bad_resource");

  assert.equal(r.tamperCode, "bad_signature");
  assert.equal(r.unverified.disabled, true);
  assert.equal(r.unverified.reason, "unverified");

  // re-applied at expiry, with the reason, without any call from the page
  assert.equal(r.beforeExpiry.disabled, false);
  await page.waitForFunction(() => document.getElementById("nothing").disabled, null, { timeout: 10_000 });
  // the snapshot's end, said as such: not the account's `expired` ("Your access has expired")
  assert.deepEqual([(await control(page, "nothing")).reason, (await control(page, "nothing")).title],
    ["snapshot_expired", "Your permissions on this page are out of date: they are being renewed, or reload the page"]);
  assert.deepEqual(page.errors, [], "no console errors");
  await page.close();
});

test("fail closed: when the package's script does not load, no control is usable", async () => {
  const page = await open("/pkg-config/test/browser/noscript.html", null);
  await page.waitForLoadState("load");
  for (const id of ["#bonus", "#link"]) await assertUnusable(page, id);
  assert.equal((await control(page, "bonus")).decided, null, "nothing decided it");
  await page.close();
});

for (const [name, query, expected] of [
  ["a CSP without 'wasm-unsafe-eval'", "init-csp", /WebAssembly|wasm/i],
  ["a 403 on the .wasm", "init-403", /403/],
]) {
  test(`fail closed: init() fails (${name}); the README's recovery gates every control as unverified`, async () => {
    const page = await open(`/pkg-config/test/browser/failclosed.html?case=${query}`, "__result");
    const r = await page.evaluate(() => window.__result);
    assert.equal(r.error, "wasm_unavailable");
    for (const id of ["bonus", "view", "link"]) {
      const c = await control(page, id);
      assert.equal(c.decided, "denied", id);
      assert.equal(c.reason, "unverified", id);
      await assertUnusable(page, `#${id}`);
    }
    assert.ok(page.errors.every((e) => expected.test(e)), page.errors.join("\n"));
    await page.close();
  });
}

test("init() loads the module from every input it documents (by default beside index.js, a URL, a Request, a Response of another content type, bytes, a compiled module); each snapshot then decides", async () => {
  const page = await open("/__blank.html", null);
  const answers = await page.evaluate(async (f) => {
    const wasmUrl = "/pkg/permsnap_wasm_bg.wasm";
    const inputs = {
      default: () => undefined,
      url: () => new URL(wasmUrl, location.href),
      string: () => wasmUrl,
      request: () => new Request(wasmUrl),
      octetResponse: () => fetch("/octet/permsnap_wasm_bg.wasm"),
      bytes: () => fetch(wasmUrl).then((r) => r.arrayBuffer()),
      module: () => fetch(wasmUrl).then((r) => r.arrayBuffer()).then((b) => WebAssembly.compile(b)),
    };
    const out = {};
    for (const [name, input] of Object.entries(inputs)) {
      const pkg = await import(`/pkg/index.js?${name}`); // a fresh module instance, with no module loaded
      await pkg.default(await input()); // init
      const perms = await pkg.Permissions.verify(f.sue, f.jwks, { audience: "backoffice", manifest: f.crm, now: f.now });
      out[name] = [perms.can("player.give_bonus", 4444), perms.explain("player.complete_mission", 4444).reason];
    }
    return out;
  }, fixtures);
  for (const [name, answer] of Object.entries(answers)) assert.deepEqual(answer, [true, "not_granted"], name);
  assert.equal(Object.keys(answers).length, 7);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("fail closed: a control added after gate(), or whose action changes, is unusable before and after it is decided", async () => {
  const page = await open("/pkg-config/test/browser/failclosed.html?case=added-later", "__result");
  const r = await page.evaluate(() => window.__result);
  assert.equal(r.before.decided, null, "in the same task, not decided yet");
  assert.equal(r.before.visibility, "hidden", "and the stylesheet hides it meanwhile");
  const late = await control(page, "late");
  assert.deepEqual([late.decided, late.reason, late.disabled], ["denied", "restricted", true]);
  const changed = await control(page, "view");
  assert.deepEqual([changed.decided, changed.reason, changed.disabled], ["denied", "restricted", true],
    "player.view became player.give_bonus: re-decided");
  await assertUnusable(page, "#late");
  await assertUnusable(page, "#view");
  // a control re-enabled behind the gate's back is disabled again
  await page.evaluate(() => { document.getElementById("late").disabled = false; });
  await page.waitForFunction(() => document.getElementById("late").disabled);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("fail closed: dispose() gates every control, the allowed ones included", async () => {
  const page = await open("/pkg-config/test/browser/failclosed.html?case=dispose", "__result");
  const r = await page.evaluate(() => window.__result);
  assert.equal(r.before.decided, "allowed", "ada could give bonuses before");
  for (const id of ["bonus", "view", "link"]) {
    const c = await control(page, id);
    assert.deepEqual([c.decided, c.reason], ["denied", "unverified"], id);
    await assertUnusable(page, `#${id}`);
  }
  // a denied link activated by script (or the keyboard's Enter): stopped before it reaches the link
  await page.evaluate(() => document.getElementById("link").click());
  assert.equal(await page.evaluate(() => location.hash), "", "the link was not followed");
  assert.equal(await page.evaluate(() => window.__clicks), 0, "its click handler did not run");
  assert.deepEqual(page.errors, []);
  await page.close();
});

for (const [token, after] of [["good", ["allowed", null, null]], ["tampered", ["denied", "unverified", "Your permissions could not be verified: bad_signature"]]]) {
  test(`gate() given the promise of a verification (${token} token) denies as pending until it settles, then decides`, async () => {
    const page = await open(`/pkg-config/test/browser/failclosed.html?case=pending&token=${token}`, "__result");
    const r = await page.evaluate(() => window.__result);
    assert.deepEqual([r.during.decided, r.during.reason, r.during.disabled, r.during.title], ["denied", "pending", true, "Checking your permissions…"]);
    assert.deepEqual([r.after.decided, r.after.reason, r.after.title || null], after);
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test("fail closed: update() with an older token is refused (stale_token) and the revoked permission stays revoked", async () => {
  const page = await open("/pkg-config/test/browser/failclosed.html?case=stale", "__result");
  const r = await page.evaluate(() => window.__result);
  assert.equal(r.before.reason, "restricted");
  assert.equal(r.error, "stale_token");
  const c = await control(page, "bonus");
  assert.deepEqual([c.decided, c.reason], ["denied", "restricted"]);
  await assertUnusable(page, "#bonus");
  assert.deepEqual(page.errors, []);
  await page.close();
});

for (const label of ["4444", "abc", "undefined", "-1", "4444.5"]) {
  test(`fail closed: gate() with label ${label} (not a safe non-negative integer) denies every control as unknown_label`, async () => {
    const page = await open(`/pkg-config/test/browser/failclosed.html?case=bad-label&label=${label}`, "__result");
    // the page passes the query's text; "4444" stays a string: never coerced to 4444
    for (const id of ["bonus", "view", "link"]) {
      const c = await control(page, id);
      assert.deepEqual([c.decided, c.reason], ["denied", "unknown_label"], `${label} ${id}`);
      await assertUnusable(page, `#${id}`);
    }
    assert.deepEqual(page.errors, []);
    await page.close();
  });
}

test("the click guard: an allowed element inside a denied link does not open it, and a middle click on a denied link opens nothing (no stylesheet)", async () => {
  const page = await open("/pkg-config/test/browser/nested.html", "__result");
  assert.deepEqual([(await control(page, "outer")).decided, (await control(page, "inner")).decided], ["denied", "allowed"]);
  // a real mouse click (forced past Playwright's own check, which reads the link's aria-disabled: a person does not)
  await page.click("#inner", { force: true });
  assert.equal(await page.evaluate(() => location.hash), "", "the denied link around the allowed element was not followed");
  const opened = [];
  page.context().on("page", (p) => opened.push(p));
  await page.click("#denied", { button: "middle", force: true });
  await page.click("#allowed", { button: "middle" });
  await page.waitForTimeout(500);
  const urls = await Promise.all(opened.map(async (p) => (await p.waitForLoadState().catch(() => {}), p.url())));
  assert.deepEqual(urls.map((u) => new URL(u).hash), ["#allowed-opened"], "only the allowed link opened a tab");
  assert.deepEqual(await page.evaluate(() => window.__seen), ["auxclick allowed"], "no click reached the page past a denied control");
  await Promise.all(opened.map((p) => p.close()));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("every vector file, 10,000 random checks and the Ed25519 cases agree in Chromium", async () => {
  const page = await open("/pkg-config/test/browser/parity.html");
  const r = await page.evaluate(() => window.__results);
  for (const kind of ["vectors", "random"]) {
    assert.deepEqual(r[kind].failures, [], kind);
    assert.equal(r[kind].sessions, r[kind].expectedSessions, kind);
    assert.equal(r[kind].checks, r[kind].expectedChecks, kind);
  }
  assert.ok(r.random.checks >= 9000);
  assert.equal(r.ed25519.cases, 151 + 914);
  assert.deepEqual(r.ed25519.acceptedButNotStrict, [], "nothing verify_strict refuses is accepted");
  assert.deepEqual(r.ed25519.refusedButStrict, []);
  assert.equal(r.ed25519.accepted, 88 + 43);
  assert.deepEqual(page.errors, []);
  await page.close();
});
