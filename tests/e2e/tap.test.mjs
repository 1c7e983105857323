// End to end: the demo's second product, the affiliate platform
// (`tap-affiliate`), as tenant `affiliates` of the one `permsnap server
// --demo` that also serves the CRM as tenant `default` (as scripts/demo.sh
// runs it), in Debian's Chromium. Scoped checks in the page:
// each affiliate row and its buttons carry `data-resource`, and an
// Affiliate Manager sees only the affiliates assigned to them; an admin's
// role change re-gates the rows of the manager's open page live.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bin, CRM, TAP } from "../../pkg-config/test/helpers.mjs";
import { launchChromium } from "../../pkg-config/test/serve.mjs";
import { BACKSTOP, editAccess, openDemo, startDemoServer, stopDemoServer } from "./demo-server.mjs";

const work = mkdtempSync(join(tmpdir(), "permsnap-e2e-tap-"));
let server;
let browser;

before(async () => {
  const db = `sqlite:${join(work, "demo.db")}`;
  execFileSync(bin, ["import", "--db", db, "--catalog", "smartico-crm", "--directory", CRM]);
  execFileSync(bin, ["import", "--db", db, "--tenant", "affiliates", "--catalog", "tap-affiliate", "--directory", TAP]);
  server = await startDemoServer({ db, log: join(work, "server.log") });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  if (server) await stopDemoServer(server.child);
  rmSync(work, { recursive: true, force: true });
});

const open = (user) => openDemo(browser, server.base, user, "tenant=affiliates&label=4444");

/** Per affiliate row: whether it shows, and whether its Edit, Deals and Review buttons are usable. */
function rows(page) {
  return page.evaluate(() =>
    Object.fromEntries(
      [...document.querySelectorAll("#affiliate-rows tr")].map((tr) => {
        const usable = (p) => {
          const b = tr.querySelector(`[data-permission="${p}"]`);
          return !b.disabled && b.dataset.permsnap === "allowed";
        };
        const shown = !tr.hidden && tr.dataset.permsnap === "allowed";
        return [tr.id.slice(4), { shown, edit: usable("affiliate.edit"), deals: usable("deal.manage"), review: usable("affiliate.review") }];
      }),
    ),
  );
}

test("an Affiliate Manager (Umar, u7) sees and edits only the affiliates assigned to him; the CRM's sections are not on this product's page", async () => {
  const page = await open("u7");
  assert.deepEqual(await rows(page), {
    "A-101": { shown: true, edit: true, deals: true, review: false },
    "A-102": { shown: true, edit: true, deals: true, review: false },
    "A-201": { shown: false, edit: false, deals: false, review: false },
    "A-202": { shown: false, edit: false, deals: false, review: false },
  });
  const hidden = page.locator("#aff-A-201");
  assert.equal(await hidden.getAttribute("data-reason"), "condition_failed");
  assert.equal(await page.locator("#profile, #campaigns, #messages, #sso").count(), 0, "the CRM's sections are removed");
  assert.equal(await page.locator("#product").textContent(), "TAP affiliate platform back office");
  assert.equal(await page.locator("#other-product").getAttribute("href"), "/", "the CRM is tenant default of the same server");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("Tina (Affiliate Admin) sees every affiliate; making Umar an Affiliate Admin, Limited re-gates his open page live: approved affiliates only, none editable", async () => {
  const tina = await open("tina");
  const all = { shown: true, edit: true, deals: true, review: true };
  assert.deepEqual(await rows(tina), { "A-101": all, "A-102": all, "A-201": all, "A-202": all });

  const umar = await open("u7");
  await umar.evaluate(() => (window.__sameDocument = true));
  const r = await editAccess(tina, "u7", 4444, { affiliate_manager: false, affiliate_admin_limited: true });
  assert.equal(r.outcome, "applied", r.text);
  await umar.waitForFunction(() => document.getElementById("aff-A-201").dataset.permsnap === "allowed", null, { timeout: BACKSTOP });
  const approved = { shown: true, edit: false, deals: true, review: false };
  const pending = { shown: false, edit: false, deals: true, review: false };
  assert.deepEqual(await rows(umar), { "A-101": approved, "A-102": pending, "A-201": approved, "A-202": pending });
  assert.equal(await umar.evaluate(() => window.__sameDocument), true, "without a reload");
  assert.deepEqual(tina.errors, []);
  assert.deepEqual(umar.errors, []);
  await tina.close();
  await umar.close();
});

test("both products are two tenants of one server on one port: the CRM at /, the affiliate platform at ?tenant=affiliates, each its own catalog and directory", async () => {
  const crm = await openDemo(browser, server.base, "sue");
  assert.equal(await crm.locator("#product").textContent(), "Smartico CRM back office");
  assert.equal(await crm.locator("#affiliate-rows").count(), 0, "the affiliate table is not on the CRM page");
  assert.equal(await crm.locator("#other-product").getAttribute("href"), "/?tenant=affiliates");
  const umar = await open("u7");
  assert.equal(await umar.locator("#product").textContent(), "TAP affiliate platform back office");
  const users = await umar.evaluate(async () => (await (await fetch("/demo/tenants/affiliates/users")).json()).users.map((u) => u.id));
  assert.ok(users.includes("u7") && !users.includes("sue"), `the affiliates tenant's own users: ${users}`);
  assert.equal(new URL(crm.url()).port, new URL(umar.url()).port, "one port");
  assert.deepEqual(crm.errors, []);
  assert.deepEqual(umar.errors, []);
  await crm.close();
  await umar.close();
});
