// The React hook (permsnap/react): server rendering with and without a
// snapshot (renderToString in Node), and hydration in Chromium (the server's
// HTML, then the verified snapshot in the page).
import { test } from "node:test";
import assert from "node:assert/strict";
import { createElement as h } from "react";
import { renderToString } from "react-dom/server";
import * as esbuild from "esbuild";
import { join } from "node:path";
import { Permissions } from "../../pkg/node.js";
import { PlayerPage } from "./react-app/app.mjs";
import { AUDIENCE, NOW, issue, keys, manifest, root } from "./helpers.mjs";
import { launchChromium, newPage, serve } from "./serve.mjs";

const k = keys("react");
const opts = { audience: AUDIENCE, manifest: manifest("smartico-crm"), now: NOW + 1000 };

test("server rendering with no snapshot renders every control disabled as unverified, without throwing", () => {
  const html = renderToString(h(PlayerPage, { perms: null, label: 4444 }));
  assert.match(html, /data-ready="false"/);
  assert.match(html, /<button id="player-give_bonus" disabled="" title="Permissions are not verified yet" data-reason="unverified">/);
  assert.match(html, /data-may-view="false"/);
});

test("server rendering with a verified snapshot still renders the fail-closed state (getServerSnapshot), so hydration agrees", async () => {
  const perms = await Permissions.verify(issue(k, { user: "sue" }), k.jwks, opts);
  assert.equal(perms.can("player.give_bonus", 4444), true, "the snapshot itself allows");
  const html = renderToString(h(PlayerPage, { perms, label: 4444 }));
  assert.match(html, /data-ready="false"/);
  assert.match(html, /<button id="player-give_bonus" disabled=""/);
  perms.dispose();
});

test("hydrated in Chromium, the page stays fail closed until the snapshot arrives, then allows what it allows", async () => {
  const ssr = renderToString(h(PlayerPage, { perms: null, label: 4444 }));
  const bundle = await esbuild.build({
    entryPoints: [join(root, "pkg-config/test/react-app/client.mjs")], bundle: true, format: "esm", write: false,
    target: "es2022", define: { "process.env.NODE_ENV": '"development"' }, logLevel: "silent",
    // the package loads its wasm from beside its own module: here, pkg/
    external: ["../../../pkg/index.js"],
  });
  const js = bundle.outputFiles[0].text.replaceAll("../../../pkg/index.js", "/pkg/index.js");
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
<body><div id="root">${ssr}</div><script type="module" src="/__client.js"></script></body></html>`;
  const fixtures = { token: issue(k, { user: "sue" }), jwks: k.jwks, manifest: manifest("smartico-crm"), now: NOW + 1000 };
  const site = await serve({
    "/__fixtures.json": () => fixtures,
    "/__page.html": () => ({ status: 200, headers: { "content-type": "text/html" }, body: html }),
    "/__client.js": () => ({ status: 200, headers: { "content-type": "text/javascript" }, body: js }),
  });
  const browser = await launchChromium();
  try {
    const page = await newPage(browser);
    await page.goto(`${site.url}/__page.html`);
    await page.waitForFunction(() => window.__hydrated);
    await page.waitForFunction(() => document.querySelector("main").dataset.ready === "true", null, { timeout: 15_000 });
    assert.equal(await page.evaluate(() => window.__beforeVerify), true, "disabled while no snapshot");
    assert.equal(await page.locator("#player-give_bonus").isEnabled(), true, "CRM Support gives bonuses");
    assert.equal(await page.locator("#player-complete_mission").isDisabled(), true);
    assert.equal(await page.locator("#player-complete_mission").getAttribute("data-reason"), "not_granted");
    assert.equal(await page.locator("main").getAttribute("data-may-view"), "true");
    assert.deepEqual(page.errors, [], "no hydration mismatch, no console error");
  } finally {
    await browser.close();
    await site.close();
  }
});
