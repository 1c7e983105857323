// The package README's examples, run as written: the Node examples in Node
// (each `expression; // value` line is checked), the quick start page in
// Chromium against routes that serve a token, the JWKS and the manifest, the
// React example rendered on the server, and the CSS rule it prints equal to
// the shipped stylesheet's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { NOW, TAP, issue, keys, manifest, root } from "./helpers.mjs";
import { launchChromium, newPage, serve } from "./serve.mjs";

const readme = readFileSync(join(root, "pkg/README.md"), "utf8");
const blocks = (lang) => [...readme.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);
const examples = (kind) =>
  [...readme.matchAll(/<!-- example: (\w+) -->\n```js\n([\s\S]*?)```/g)].filter((m) => m[1] === kind).map((m) => m[2]);
const gzipped = (name) => gzipSync(readFileSync(join(root, "pkg", name)), { level: 9 }).length;

const k = keys("readme");
const now = Date.now();
const token = issue(k, { user: "sue", now });
const tapToken = issue(k, { catalog: "tap-affiliate", directory: TAP, user: "u7", now });
// the hash the token names: the server's route for its manifest is /v1/manifest/{hash}
const manifestHash = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).psnap.m;

/** `expr; // value` lines become checks; `from "permsnap"` the built package. */
function runnable(code) {
  return code
    .replaceAll('from "permsnap"', `from ${JSON.stringify(join(root, "pkg/node.js"))}`)
    .split("\n")
    .map((line) => {
      const m = /^(\s*)(.+?);\s*\/\/ (true|false|-?\d+|"[^"]*")$/.exec(line);
      return m ? `${m[1]}assert.deepStrictEqual(${m[2]}, ${m[3]}, ${JSON.stringify(m[2])});` : line;
    })
    .join("\n");
}

test("the README's Node examples run as written and answer what their comments say", () => {
  const found = examples("node");
  assert.ok(found.length >= 2, "the README marks its Node examples");
  for (const [i, code] of found.entries()) {
    const checks = runnable(code).split("assert.deepStrictEqual").length - 1;
    assert.ok(checks >= 4, `example ${i} states its answers`);
    const prelude = `import assert from "node:assert/strict";
const token = ${JSON.stringify(token)};
const tapToken = ${JSON.stringify(tapToken)};
const jwks = ${JSON.stringify(k.jwks)};
const manifest = ${JSON.stringify(manifest("smartico-crm"))};
const tapManifest = ${JSON.stringify(manifest("tap-affiliate"))};
`;
    const file = join(k.dir, `readme-${i}.mjs`);
    writeFileSync(file, prelude + runnable(code));
    execFileSync(process.execPath, [file], { encoding: "utf8", stdio: "pipe" });
  }
});

for (const preloaded of [false, true]) {
test(`the README's quick start page works as written in Chromium under the README's recommended CSP, gating with the token it fetches${preloaded ? "; with the README's preloads, each file is fetched once (the package reuses every preload)" : ""}`, async () => {
  const page = blocks("html")[0] + (preloaded ? blocks("html")[1] : "");
  if (preloaded) assert.match(blocks("html")[1], /rel="preload" href="\/\.well-known\/jwks\.json"/);
  assert.match(page, /permsnap\.css/);
  const [app] = examples("quickstart");
  assert.ok(app, "the README marks its quick start module");
  const csp = /Content-Security-Policy: (.+)/.exec(readme)?.[1];
  assert.equal(csp, "script-src 'self' 'wasm-unsafe-eval'");
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">${page}</head></html>`;
  const file = (name, type) => () => ({ status: 200, headers: { "content-type": type }, body: readFileSync(join(root, "pkg", name)) });
  const site = await serve({
    "/": () => ({ status: 200, headers: { "content-type": "text/html", "content-security-policy": csp }, body: html }),
    "/app.js": () => ({ status: 200, headers: { "content-type": "text/javascript" }, body: app }),
    "/api/token": () => ({ token, catalog: "smartico-crm" }),
    "/.well-known/jwks.json": () => k.jwks,
    [`/v1/manifest/${manifestHash}`]: () => ({ status: 200, headers: { "content-type": "application/json" }, body: manifest("smartico-crm") }),
    "/node_modules/permsnap/index.js": file("index.js", "text/javascript"),
    "/node_modules/permsnap/permsnap_wasm_bg.wasm": file("permsnap_wasm_bg.wasm", "application/wasm"),
    "/node_modules/permsnap/permsnap.css": file("permsnap.css", "text/css"),
  });
  const browser = await launchChromium();
  try {
    const p = await newPage(browser);
    const requested = [];
    p.on("request", (r) => requested.push(new URL(r.url()).pathname));
    const warnings = [];
    p.on("console", (m) => m.type() === "warning" && warnings.push(m.text()));
    await p.goto(`${site.url}/`);
    const bonus = p.locator('[data-permission="player.give_bonus"]');
    const mission = p.locator('[data-permission="player.complete_mission"]');
    await p.waitForFunction(() => document.querySelectorAll("[data-permsnap]").length === 2, null, { timeout: 15_000 });
    assert.equal(await bonus.getAttribute("data-permsnap"), "allowed");
    assert.equal(await bonus.isEnabled(), true);
    assert.equal(await mission.getAttribute("data-reason"), "not_granted");
    assert.equal(await mission.isDisabled(), true);
    assert.deepEqual(p.errors, []);
    if (preloaded) {
      const once = ["/node_modules/permsnap/index.js", "/node_modules/permsnap/permsnap_wasm_bg.wasm", "/.well-known/jwks.json", "/api/token"];
      assert.deepEqual(once.map((u) => requested.filter((r) => r === u).length), [1, 1, 1, 1], requested.join(" "));
      assert.deepEqual(warnings.filter((w) => /preload/i.test(w)), [], "no preload left unused");
    }
  } finally {
    await browser.close();
    await site.close();
  }
});
}

test("the CSS rule the README prints is the shipped stylesheet's", () => {
  const rules = (css) => css.replace(/\/\*[\s\S]*?\*\//g, "").replace(/\s+/g, " ").replace(/ ?([{};,]) ?/g, "$1").trim();
  assert.equal(rules(blocks("css")[0]), rules(readFileSync(join(root, "pkg/permsnap.css"), "utf8")));
});

/** The README's React example, compiled: its exports. */
async function reactExample() {
  const jsx = blocks("jsx")[0].replace('from "permsnap/react"', `from ${JSON.stringify(join(root, "pkg/react.js"))}`);
  const out = await esbuild.transform(`${jsx}\nexport { App, Toolbar };`, { loader: "jsx", jsx: "automatic", format: "esm" });
  const file = join(root, "target/readme-react.mjs"); // beside node_modules, for react/jsx-runtime
  writeFileSync(file, out.code);
  return import(`${file}?${Date.now()}`);
}

test("the README's React example renders the truth on the server from a verified snapshot, records it, and denies without one", async () => {
  const { App } = await reactExample();
  const { createElement } = await import("react");
  const { renderToString } = await import("react-dom/server");
  const { Permissions } = await import(join(root, "pkg/node.js"));
  const perms = await Permissions.verify(token, k.jwks, { audience: "backoffice", manifest: manifest("smartico-crm") });
  const serverState = {};
  const html = renderToString(createElement(App, { snapshot: perms, serverState }));
  assert.equal(html, '<nav data-may-view="true" data-status="ready"><button>Give bonus</button></nav>');
  assert.deepEqual(Object.keys(serverState.answers).sort(), ["player.complete_mission", "player.give_bonus", "player.view"]);
  const none = renderToString(createElement(App, { snapshot: null }));
  assert.equal(none, '<nav data-may-view="false" data-status="none"><button disabled="" aria-disabled="true" title="Your permissions could not be verified" data-reason="unverified">Give bonus</button></nav>');
  perms.dispose();
});

test("every reason's message is in the README's reason table, as the package says it", async () => {
  const { REASONS, JS_REASONS, JS_MESSAGES, reasonMessage } = await import(join(root, "pkg-config/codes.js"));
  const rows = new Map([...readme.matchAll(/^\| `(\w+)` \| .* \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2].trim()]));
  for (const [i, r] of REASONS.entries()) assert.equal(rows.get(r), reasonMessage(i), r);
  for (const r of JS_REASONS) assert.equal(rows.get(r), JS_MESSAGES[r], r);
});

test("the sizes the README quotes are the built package's (gzip -9 of each file alone, Node's zlib)", () => {
  const n = (text) => Number(text.replace(/,/g, ""));
  const all = /\*\*([\d,]+) bytes\*\* gzip in\s+all \(wasm ([\d,]+), `index\.js` ([\d,]+), stylesheet ([\d,]+);/.exec(readme);
  assert.ok(all, "the README states the default download");
  const [wasm, index, css] = [gzipped("permsnap_wasm_bg.wasm"), gzipped("index.js"), gzipped("permsnap.css")];
  assert.deepEqual(all.slice(1).map(n), [wasm + index + css, wasm, index, css]);
  const live = /`live\.js`, ([\d,]+) bytes/.exec(readme);
  assert.ok(live, "the README states live.js");
  assert.equal(n(live[1]), gzipped("live.js"));
  const quoted = /\(([\d,]+) bytes gzip\)\./.exec(readme.slice(readme.indexOf("## Live updates")));
  assert.ok(quoted, "the live updates section states its size");
  assert.equal(n(quoted[1]), gzipped("live.js"));
});
