// The package in a Vite build: the wasm is emitted as an asset, the page
// verifies and gates in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { chromium } from "playwright-core";
import { NOW, issue, keys, root } from "./helpers.mjs";
import { CHROMIUM_ARGS } from "./serve.mjs";
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";

test("a Vite build bundles the package, emits the wasm, and the page gates controls in Chromium", async () => {
  const out = mkdtempSync(join(tmpdir(), "permsnap-vite-"));
  process.env.VITE_OUT_DIR = out;
  await build({ configFile: join(root, "pkg-config/test/vite-app/vite.config.js") });
  const assets = readdirSync(join(out, "assets"));
  assert.ok(assets.some((f) => f.endsWith(".wasm")), `a .wasm asset in ${assets}`);

  const k = keys("vite");
  const fixtures = { token: issue(k, { user: "sue" }), jwks: k.jwks, now: NOW + 1000 };
  const types = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm" };
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (path === "/__fixtures.json") return res.end(JSON.stringify(fixtures));
    try {
      const file = join(out, path === "/" ? "index.html" : path);
      const body = await readFile(file);
      res.writeHead(200, { "content-type": types[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    await page.waitForFunction(() => window.__result, null, { timeout: 15000 });
    assert.deepEqual(await page.evaluate(() => window.__result), { bonus: true, mission: "not_granted" });
    assert.equal(await page.locator("#mission").isDisabled(), true);
    assert.equal(await page.locator("#bonus").isDisabled(), false);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    server.close();
  }
});
