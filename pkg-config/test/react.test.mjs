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
import { ProviderPage } from "./react-app/provider-app.mjs";
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

// ---------------------------------------------------------------- the provider layer

test("PermissionsProvider renders the allowed state on the server from the snapshot verified there, and records what it rendered", async () => {
  const perms = await Permissions.verify(issue(k, { user: "sue" }), k.jwks, opts);
  const serverState = {};
  const html = renderToString(h(ProviderPage, { snapshot: perms, serverState }));
  assert.match(html, /<button id="bonus">Give bonus<\/button>/, "allowed: as written");
  assert.match(html, /<button id="mission" disabled="" aria-disabled="true" title="Your role does not include this action" data-reason="not_granted">/);
  assert.match(html, /<span id="no-mission">/, "hidden: the fallback");
  assert.match(html, /id="bonus-link"/);
  assert.match(html, /data-may-view="true"/);
  assert.deepEqual(Object.keys(serverState.answers).sort(), ["player.complete_mission", "player.give_bonus", "player.view"]);
  assert.equal(serverState.exp, perms.expiresAt.getTime());
  // without a snapshot, and while one is verified with no server answers: denied, saying which
  assert.match(renderToString(h(ProviderPage, { snapshot: null })), /<button id="bonus" disabled="" aria-disabled="true" title="Your permissions could not be verified" data-reason="unverified">/);
  assert.match(renderToString(h(ProviderPage, { snapshot: new Promise(() => {}) })), /<button id="bonus" disabled="" aria-disabled="true" title="Checking your permissions…" data-reason="pending">/);
  perms.dispose();
});

/** The provider page rendered on the server for `user`, hydrated in Chromium verifying `clientToken`. */
async function hydrateProvider(user, clientToken) {
  // on the real clock: the browser's provider compares the server's answers with the snapshot's exp
  const serverToken = issue(k, { user, now: Date.now() });
  const perms = await Permissions.verify(serverToken, k.jwks, { ...opts, now: undefined });
  const serverState = {};
  const ssr = renderToString(h(ProviderPage, { snapshot: perms, serverState }));
  perms.dispose();
  const bundle = await esbuild.build({
    entryPoints: [join(root, "pkg-config/test/react-app/provider-client.mjs")], bundle: true, format: "esm", write: false,
    target: "es2022", define: { "process.env.NODE_ENV": '"development"' }, logLevel: "silent",
    external: ["../../../pkg/index.js"],
  });
  const js = bundle.outputFiles[0].text.replaceAll("../../../pkg/index.js", "/pkg/index.js");
  const state = JSON.stringify(serverState).replace(/</g, "\\u003c");
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,"></head>
<body><div id="root">${ssr}</div><script type="application/json" id="permsnap-state">${state}</script>
<script type="module" src="/__client.js"></script></body></html>`;
  const fixtures = { token: clientToken ?? serverToken, jwks: k.jwks, manifest: manifest("smartico-crm") };
  const site = await serve({
    "/__fixtures.json": () => fixtures,
    "/__page.html": () => ({ status: 200, headers: { "content-type": "text/html" }, body: html }),
    "/__client.js": () => ({ status: 200, headers: { "content-type": "text/javascript" }, body: js }),
  });
  const browser = await launchChromium();
  const page = await newPage(browser);
  await page.goto(`${site.url}/__page.html`);
  await page.waitForFunction(() => window.__settled, null, { timeout: 15_000 });
  const close = async () => {
    await browser.close();
    await site.close();
  };
  return { page, close };
}

test("hydrated in Chromium, the provider page shows the server's truth from the first paint to the browser's own verification: no flip, no hydration warning", async () => {
  const { page, close } = await hydrateProvider("sue");
  try {
    const seen = await page.evaluate(() => window.__seen);
    assert.deepEqual(seen, { bonus: ["enabled"], mission: ["disabled"], hidden: ["hidden"], link: ["shown"] }, "each control kept one state throughout");
    assert.equal(await page.locator("#status").getAttribute("data-status"), "ready");
    assert.equal(await page.locator("#mission").getAttribute("data-reason"), "not_granted");
    assert.deepEqual(await page.evaluate(() => window.__recoverable), [], "no recoverable (hydration) error");
    assert.deepEqual(page.errors, [], "no hydration mismatch, no console error");
  } finally {
    await close();
  }
});

test("hydrated in Chromium, the provider re-gates when the browser's verification disagrees: a failed verification denies everything and says why", async () => {
  const good = issue(k, { user: "sue", now: Date.now() });
  const [h0, p0] = good.split(".");
  const tampered = `${h0}.${p0}.${"A".repeat(86)}`;
  const { page, close } = await hydrateProvider("sue", tampered);
  try {
    const seen = await page.evaluate(() => window.__seen);
    assert.deepEqual(seen.bonus, ["enabled", "disabled"], "the server's answer, then the browser's refusal");
    assert.equal(await page.locator("#status").getAttribute("data-status"), "error");
    assert.equal(await page.locator("#status").getAttribute("data-error"), "bad_signature", "the hook has the error");
    assert.equal(await page.locator("#bonus").getAttribute("title"), "Your permissions could not be verified: bad_signature");
    assert.equal(await page.locator("#bonus-link").count(), 0, "hidden once refused");
    assert.deepEqual(await page.evaluate(() => window.__recoverable), []);
    assert.deepEqual(page.errors, []);
  } finally {
    await close();
  }
});
