// The package in a Vite build: the wasm is emitted as an asset, the page
// verifies and gates in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { NOW, issue, keys, manifest, root } from "./helpers.mjs";
import { launchChromium, newPage, serve } from "./serve.mjs";

test("a Vite build bundles the package, emits the wasm, and the page gates controls in Chromium", async () => {
  const out = mkdtempSync(join(tmpdir(), "permsnap-vite-"));
  process.env.VITE_OUT_DIR = out;
  await build({ configFile: join(root, "pkg-config/test/vite-app/vite.config.js") });
  const assets = readdirSync(join(out, "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `a .wasm asset in ${assets}`);
  assert.ok(assets.some((f) => f.endsWith(".css")), `the fail-closed stylesheet in ${assets}`);

  const k = keys("vite");
  const fixtures = { token: issue(k, { user: "sue" }), jwks: k.jwks, manifest: manifest("smartico-crm"), now: NOW + 1000 };
  const site = await serve({ "/__fixtures.json": () => fixtures }, out);
  const browser = await launchChromium();
  try {
    const page = await newPage(browser);
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => window.__result, null, { timeout: 15000 });
    assert.deepEqual(await page.evaluate(() => window.__result), { bonus: true, mission: "not_granted" });
    assert.equal(await page.locator("#mission").isDisabled(), true);
    assert.equal(await page.locator("#bonus").isDisabled(), false);
    assert.equal(await page.locator("#bonus").isVisible(), true, "decided controls are visible");
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
    await site.close();
  }
});
