// The README's note on Vite's dev server: an app whose
// node_modules/permsnap is a symlink to the built package (as `npm link`
// makes it), served by `vite` in development, verifies and gates in
// Chromium with the README's setting and stays fail closed without it; a
// plain install needs nothing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "vite";
import { NOW, issue, keys, manifest, root } from "./helpers.mjs";
import { launchChromium, newPage } from "./serve.mjs";

const k = keys("vite-dev");
const fixtures = { token: issue(k, { user: "sue" }), jwks: k.jwks, manifest: manifest("smartico-crm"), now: NOW + 1000 };

// Samples, on every frame from the first parse to the gate's decision,
// whether the denied control was visible and enabled (usable).
const SAMPLER = `<script>window.__usable = [];
(function sample() {
  const el = document.getElementById("mission");
  if (el && getComputedStyle(el).visibility === "visible" && getComputedStyle(el).pointerEvents !== "none" && !el.disabled) window.__usable.push(performance.now());
  if (!window.__done) requestAnimationFrame(sample);
})();</script>`;

/**
 * A throwaway app with permsnap in its node_modules: linked (a symlink, as
 * `npm link`) or copied (as `npm install`). `css`: how the stylesheet comes
 * (`import`: from the module; `link`: in the HTML's head, as the README says).
 */
function app(linked, css = "import") {
  const app = mkdtempSync(join(tmpdir(), "permsnap-vite-dev-"));
  mkdirSync(join(app, "node_modules"));
  if (linked) symlinkSync(join(root, "pkg"), join(app, "node_modules/permsnap"), "dir");
  else cpSync(join(root, "pkg"), join(app, "node_modules/permsnap"), { recursive: true });
  writeFileSync(join(app, "fixtures.json"), JSON.stringify(fixtures));
  const link = css === "link" ? '<link rel="stylesheet" href="/node_modules/permsnap/permsnap.css">' : "";
  writeFileSync(join(app, "index.html"), `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${link}</head>
<body><button id="bonus" data-permission="player.give_bonus">Give bonus</button>
<button id="mission" data-permission="player.complete_mission">Complete mission</button>
${SAMPLER}<script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(join(app, "main.js"), `${css === "import" ? 'import "permsnap/permsnap.css";' : ""}
import { Permissions, gate } from "permsnap";
const f = await (await fetch("/fixtures.json")).json();
let perms = null;
try { perms = await Permissions.verify(f.token, f.jwks, { audience: "backoffice", manifest: f.manifest, now: f.now }); }
catch (e) { window.__error = e.code ?? String(e); }
gate(document.body, perms, { label: 4444 });
window.__done = true;`);
  return app;
}

/** `config(dir)` is the Vite config for the app in `dir`. */
async function run(config, linked = true, css = "import") {
  const dir = app(linked, css);
  const server = await createServer({ root: dir, logLevel: "silent", configFile: false, server: { port: 0, host: "127.0.0.1" }, ...config(dir) });
  await server.listen();
  const browser = await launchChromium();
  try {
    const page = await newPage(browser);
    await page.goto(server.resolvedUrls.local[0]);
    await page.waitForFunction(() => window.__done, null, { timeout: 30_000 }).catch(() => {});
    return await page.evaluate(() => ({
      done: window.__done === true,
      error: window.__error ?? null,
      bonus: document.getElementById("bonus").getAttribute("data-permsnap"),
      mission: document.getElementById("mission").getAttribute("data-reason"),
      usableFrames: window.__usable.length,
    }));
  } finally {
    await browser.close();
    await server.close();
  }
}

test("Vite's dev server: a linked install loads with the README's server.fs.allow", async () => {
  // the project, and the folder the link points to (the README's example, with this layout's paths)
  const r = await run((dir) => ({ server: { port: 0, host: "127.0.0.1", fs: { allow: [dir, join(root, "pkg")] } } }));
  assert.deepEqual({ ...r, usableFrames: undefined }, { done: true, error: null, bonus: "allowed", mission: "not_granted", usableFrames: undefined });
});

test("Vite's dev server: the stylesheet linked in the HTML's head (the README's way) keeps a denied control unusable on every frame; imported from the module it does not", async () => {
  const linked = await run(() => ({}), false, "link");
  assert.deepEqual(linked, { done: true, error: null, bonus: "allowed", mission: "not_granted", usableFrames: 0 });
  const imported = await run(() => ({}), false, "import");
  assert.equal(imported.mission, "not_granted");
  assert.ok(imported.usableFrames > 0, "the import arrives with the JS: the denied control was usable meanwhile (why the README says link it)");
});

test("Vite's dev server: a linked install without it cannot load the wasm, and the page stays fail closed", async () => {
  const r = await run(() => ({}));
  assert.deepEqual({ ...r, usableFrames: undefined }, { done: true, error: "wasm_unavailable", bonus: "denied", mission: "unverified", usableFrames: undefined });
});

test("Vite's dev server: a plain (copied) install needs no setting", async () => {
  const r = await run(() => ({}), false);
  assert.deepEqual({ ...r, usableFrames: undefined }, { done: true, error: null, bonus: "allowed", mission: "not_granted", usableFrames: undefined });
});
