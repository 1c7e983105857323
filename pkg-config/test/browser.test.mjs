// `gate` on a real DOM in Debian's Chromium (playwright-core), the package
// loaded from pkg/ as a page without a bundler loads it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { NOW, TAP, issue, keys } from "./helpers.mjs";
import { launchChromium, newPage, serve } from "./serve.mjs";

test("gate disables, hides and explains controls in a real browser, and gates everything without a valid token", async () => {
  const k = keys("gate");
  const fixtures = {
    jwks: k.jwks,
    now: NOW + 1000,
    sue: issue(k, { user: "sue" }),
    rita: issue(k, { user: "rita" }),
    u7: issue(k, { catalog: "tap-affiliate", directory: TAP, user: "u7" }),
    sueShort: issue(k, { user: "sue", now: Date.now(), ttl: 4 }),
  };
  const site = await serve({ "/__fixtures.json": () => fixtures });
  const browser = await launchChromium();
  try {
    const page = await newPage(browser);
    await page.goto(`${site.url}/pkg-config/test/browser/gate.html`);
    await page.waitForFunction(() => window.__results?.done, null, { timeout: 15000 });
    const r = await page.evaluate(() => window.__results);

    assert.deepEqual(r.sue.bonus, { disabled: false, aria: null, title: null, hidden: false, reason: null });
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
    await page.waitForFunction(() => document.getElementById("nothing").disabled, null, { timeout: 10000 });
    const expired = await page.evaluate(() => document.getElementById("nothing").getAttribute("data-reason"));
    assert.equal(expired, "expired");
    assert.deepEqual(page.errors, [], "no console errors");
  } finally {
    await browser.close();
    await site.close();
  }
});
