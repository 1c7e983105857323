// End-to-end: `permsnap serve` and the demo page in Debian's Chromium
// (playwright-core). For several demo users: which controls are enabled,
// disabled (with which reason) or hidden; link masking; affiliate scoping;
// the tamper button; expiry. Any console error fails the test. The
// screenshot in the README is taken here (UPDATE_SCREENSHOT=1).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { root, bin } from "../../pkg-config/test/helpers.mjs";
import { launchChromium, newPage } from "../../pkg-config/test/serve.mjs";

let server, base, browser;

before(async () => {
  server = spawn(bin, ["serve", "--port", "0"], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  base = await new Promise((resolve, reject) => {
    server.stdout.on("data", (d) => {
      const m = /http:\/\/127\.0\.0\.1:\d+\//.exec(String(d));
      if (m) resolve(m[0]);
    });
    server.on("exit", (code) => reject(new Error(`serve exited with ${code}`)));
  });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

async function open(query) {
  const page = await newPage(browser, { viewport: { width: 1400, height: 1000 } });
  await page.goto(`${base}?${query}`);
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 15000 });
  return { page, errors: page.errors };
}

/** State of every [data-permission] control, keyed by "action" (+ "#row" for affiliate rows). */
async function controls(page) {
  return page.evaluate(() => {
    const out = {};
    for (const el of document.querySelectorAll("[data-permission]")) {
      const row = el.closest("tr[id^=aff-]");
      const key = el.tagName === "TR" ? `row:${el.id}` : `${el.dataset.permission}${row ? `@${row.id}` : ""}${el.closest("tr")?.cells?.[1]?.textContent === "Operational" ? "@op" : ""}`;
      if (out[key]) continue;
      const visible = !el.hidden && !el.closest("[hidden]");
      out[key] = { enabled: !el.disabled && !el.hidden, visible, reason: el.getAttribute("data-reason"), title: el.getAttribute("title") };
    }
    return out;
  });
}

test("CRM Support: gives bonuses, cannot complete missions or change flags, reason on every disabled control", async () => {
  const { page, errors } = await open("user=sue&label=4444");
  const c = await controls(page);
  for (const a of ["player.send_message", "player.adjust_points", "player.give_mission", "player.give_spins", "player.give_bonus"]) {
    assert.equal(c[a].enabled, true, a);
  }
  for (const a of ["player.complete_mission", "player.change_test_flag", "player.change_opt_out"]) {
    assert.equal(c[a].enabled, false, a);
    assert.equal(c[a].reason, "not_granted", a);
    assert.equal(c[a].title, "Your role does not include this action", a);
  }
  assert.equal(c["campaign.activate_marketing"].enabled, false, "read-only on marketing configuration");
  assert.equal(c["message.view_links"].visible, true);
  assert.equal(await page.locator("#affiliates").isHidden(), true, "TAP section is not part of the CRM product");
  assert.deepEqual(errors, []);
  await page.close();
});

test("Support with the additional role 'Complete missions' may complete missions", async () => {
  const { page, errors } = await open("user=sam&label=4444");
  const c = await controls(page);
  assert.equal(c["player.complete_mission"].enabled, true);
  assert.equal(c["player.change_test_flag"].enabled, false);
  assert.deepEqual(errors, []);
  await page.close();
});

test("Manager with restriction roles: no bonus, links masked, operational campaigns not activatable", async () => {
  const { page, errors } = await open("user=rita&label=4444");
  const c = await controls(page);
  assert.equal(c["player.give_bonus"].enabled, false);
  assert.equal(c["player.give_bonus"].reason, "restricted");
  assert.match(c["player.give_bonus"].title, /Don't allow to give bonus from user profile/);
  assert.equal(c["player.complete_mission"].enabled, true);
  assert.equal(c["message.view_links"].visible, false, "links hidden");
  assert.equal(await page.locator(".masked", { hasText: "link hidden" }).first().isVisible(), true, "a mask shows instead");
  assert.equal(c["message.view_content"].visible, true, "content still shown");
  assert.equal(c["campaign.activate_marketing"].enabled, true, "marketing campaigns still activatable");
  assert.equal(c["campaign.activate_operational@op"].enabled, false);
  assert.match(c["campaign.activate_operational@op"].title, /Operational Campaigns/);
  // The README's screenshot: refreshed with UPDATE_SCREENSHOT=1 (otherwise
  // written under target/, so a test run leaves the work tree clean).
  const shot = process.env.UPDATE_SCREENSHOT === "1" ? "docs/demo.png" : "target/demo.png";
  await page.screenshot({ path: join(root, shot), fullPage: false });
  assert.deepEqual(errors, []);
  await page.close();
});

test("closed home label, disabled user, closed label: everything denied with the reason", async () => {
  for (const [query, reason] of [["user=cole&label=4444", "home_label_closed"], ["user=dina&label=4444", "disabled"], ["user=ada&label=4446", "label_closed"]]) {
    const { page, errors } = await open(query);
    const c = await controls(page);
    for (const a of ["player.give_bonus", "player.send_message", "campaign.edit_draft"]) {
      assert.equal(c[a].enabled, false, `${query} ${a}`);
      assert.equal(c[a].reason, reason, `${query} ${a}`);
    }
    assert.deepEqual(errors, []);
    await page.close();
  }
});

test("CRM Admin may do everything in their label", async () => {
  const { page, errors } = await open("user=ada&label=4444");
  const c = await controls(page);
  for (const [k, v] of Object.entries(c)) if (!k.startsWith("row:") && !k.includes("affiliate") && !k.startsWith("deal")) assert.equal(v.enabled, true, k);
  assert.deepEqual(errors, []);
  await page.close();
});

test("affiliate scoping: a manager sees only their affiliates; the limited admin sees all but pending ones", async () => {
  let { page, errors } = await open("user=u7&label=4444");
  let c = await controls(page);
  assert.equal(await page.locator("#profile").isHidden(), true, "CRM sections hidden for a TAP user");
  assert.deepEqual(["row:aff-A-101", "row:aff-A-102", "row:aff-A-201", "row:aff-A-202"].map((r) => c[r].visible), [true, true, false, false]);
  assert.equal(c["affiliate.edit@aff-A-101"].enabled, true);
  assert.equal(c["affiliate.review@aff-A-101"].enabled, false, "managers do not review applications");
  assert.deepEqual(errors, []);
  await page.close();
  ({ page, errors } = await open("user=lea&label=4444"));
  c = await controls(page);
  assert.deepEqual(["row:aff-A-101", "row:aff-A-102", "row:aff-A-201", "row:aff-A-202"].map((r) => c[r].visible), [true, false, true, false]);
  assert.equal(c["deal.manage@aff-A-201"].enabled, true, "manages the deals of all affiliates");
  assert.equal(c["affiliate.edit@aff-A-201"].enabled, false, "cannot change affiliate details");
  assert.deepEqual(errors, []);
  await page.close();
});

test("the tamper button shows the fail-closed state: bad_signature, everything gated", async () => {
  const { page, errors } = await open("user=rita&label=4444");
  await page.click("#tamper");
  await page.waitForFunction(() => document.body.dataset.ready === "true" && document.body.dataset.tampered === "true");
  assert.match(await page.locator("#status").textContent(), /not verified \(bad_signature\)/);
  const c = await controls(page);
  for (const a of ["player.give_bonus", "player.send_message", "campaign.activate_marketing"]) {
    assert.equal(c[a].enabled, false, a);
    assert.equal(c[a].reason, "unverified", a);
  }
  assert.deepEqual(errors, []);
  await page.close();
});

test("at expiry the countdown reaches zero and everything is gated with reason expired", async () => {
  const { page, errors } = await open("user=max&label=4444&ttl=2");
  assert.equal((await controls(page))["player.give_bonus"].enabled, true);
  await page.waitForFunction(() => document.querySelector('[data-permission="player.give_bonus"]').disabled, null, { timeout: 8000 });
  const c = await controls(page);
  assert.equal(c["player.give_bonus"].reason, "expired");
  await page.waitForFunction(() => /expired/.test(document.getElementById("countdown").textContent), null, { timeout: 3000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test("when the wasm cannot load (403), the demo gates every control as unverified and says why", async () => {
  const page = await newPage(browser, { viewport: { width: 1400, height: 1000 } });
  await page.route("**/permsnap_wasm_bg.wasm", (route) => route.fulfill({ status: 403, body: "forbidden" }));
  await page.goto(`${base}?user=ada&label=4444`);
  await page.waitForFunction(() => document.body.dataset.ready === "true", null, { timeout: 15000 });
  assert.match(await page.locator("#status").textContent(), /not verified \(wasm_unavailable\)/);
  const c = await controls(page);
  for (const a of ["player.give_bonus", "player.send_message", "campaign.activate_marketing"]) {
    assert.equal(c[a].enabled, false, a);
    assert.equal(c[a].reason, "unverified", a);
  }
  assert.ok(page.errors.every((e) => /403|WebAssembly|wasm/i.test(e)), page.errors.join("\n"));
  await page.close();
});

test("a control the page adds later is decided by the gate (fail closed until then)", async () => {
  const { page, errors } = await open("user=rita&label=4444");
  await page.evaluate(() => {
    const b = Object.assign(document.createElement("button"), { id: "late-bonus", textContent: "Give bonus" });
    b.dataset.permission = "player.give_bonus";
    document.querySelector("#profile .controls").append(b);
  });
  await page.waitForFunction(() => document.getElementById("late-bonus").dataset.permsnap === "denied");
  assert.equal(await page.locator("#late-bonus").isDisabled(), true);
  assert.equal(await page.locator("#late-bonus").getAttribute("data-reason"), "restricted");
  assert.deepEqual(errors, []);
  await page.close();
});
