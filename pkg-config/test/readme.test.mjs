// The READMEs' examples, run as written: every fenced block of the package
// README, and of the browser section of the top-level README, carries a marker
// (`<!-- example: KIND -->`) that a test below consumes, and the last test
// fails for a block no test ran. The Node examples run in Node (each
// `expression; // value` line is checked), the quick start page, `follow`
// (with a server's change event) and the top-level summary in Chromium against
// routes that serve a token, the JWKS and the manifest, the React examples
// rendered on the server and in Chromium, the Vite config under Vite's dev
// server with a linked install, and the install and typed-ids commands in a
// throwaway project (npm, npx, tsc); the CSS rule it prints equals the
// shipped stylesheet's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as esbuild from "esbuild";
import { createServer } from "vite";
import { TAP, bin, issue, keys, manifest, root } from "./helpers.mjs";
import { launchChromium, newPage, serve } from "./serve.mjs";

const readme = readFileSync(join(root, "pkg/README.md"), "utf8");
const topReadme = readFileSync(join(root, "README.md"), "utf8");
const gzipped = (name) => gzipSync(readFileSync(join(root, "pkg", name)), { level: 9 }).length;

/**
 * Every fenced block of a markdown text: its line, language, code
 * (indentation removed) and the marker on the line above it
 * (`<!-- example: KIND -->`), or null.
 */
function fenced(text, from = 0, to = Infinity) {
  const lines = text.split("\n");
  const out = [];
  let open = null;
  for (const [i, line] of lines.entries()) {
    const fence = /^( *)```(\w*)\s*$/.exec(line);
    if (!fence) {
      if (open) open.code.push(line.slice(open.indent));
      continue;
    }
    if (open) {
      out.push({ ...open, code: `${open.code.join("\n")}\n` });
      open = null;
      continue;
    }
    const marker = /^\s*<!-- example: ([\w-]+) -->\s*$/.exec(lines[i - 1] ?? "")?.[1] ?? null;
    open = { line: i + 1, lang: fence[2], indent: fence[1].length, marker, code: [] };
  }
  assert.equal(open, null, "every fence is closed");
  return out.filter((b) => b.line > from && b.line < to);
}

/** The line (1-based) of a heading, and of the next heading of its level or above. */
function section(text, heading) {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.startsWith(heading)) + 1;
  assert.ok(start > 0, `no section ${heading}`);
  const end = lines.findIndex((l, i) => i >= start && /^## /.test(l)) + 1;
  return [start, end > 0 ? end : Infinity];
}

// The READMEs whose every block a test must run: the package's, and of the top-level one its
// browser section and any browser code elsewhere.
const BROWSER_CODE = new Set(["js", "ts", "jsx", "tsx", "html", "css"]);
const TOP = "README.md (browser section, browser code)";
const DOCS = {
  "pkg-config/README.md": fenced(readme),
  [TOP]: (([from, to]) => fenced(topReadme).filter((b) => (b.line > from && b.line < to) || BROWSER_CODE.has(b.lang)))(
    section(topReadme, "## In the browser"),
  ),
};
const consumed = new Set();

/** The code of every block of `doc` marked `kind` (at least one), recorded as run by a test. */
function examples(kind, doc = "pkg-config/README.md") {
  const found = DOCS[doc].filter((b) => b.marker === kind).map((b) => b.code);
  assert.ok(found.length > 0, `${doc} marks a block \`${kind}\``);
  consumed.add(`${doc}:${kind}`);
  return found;
}
const example = (kind, doc) => examples(kind, doc)[0];

const k = keys("readme");
const now = Date.now();
const token = issue(k, { user: "sue", now });
const tapToken = issue(k, { catalog: "tap-affiliate", directory: TAP, user: "u7", now });
// the hash the token names: the server's route for its manifest is /v1/manifest/{hash}
const manifestHash = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).psnap.m;

/** `expr; // value` (or `// value: why`) lines become checks. */
function checked(code) {
  return code
    .split("\n")
    .map((line) => {
      const m = /^(\s*)(.+?);\s*\/\/ (true|false|-?\d+|"[^"]*")(?:: .*)?$/.exec(line);
      return m ? `${m[1]}assert.deepStrictEqual(${m[2]}, ${m[3]}, ${JSON.stringify(m[2])});` : line;
    })
    .join("\n");
}

/** A Node example: checked, `from "permsnap"` the built package. */
const runnable = (code) => checked(code).replaceAll('from "permsnap"', `from ${JSON.stringify(join(root, "pkg/node.js"))}`);

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
  const page = example("quickstart-page") + (preloaded ? example("preload") : "");
  if (preloaded) assert.match(example("preload"), /rel="preload" href="\/\.well-known\/jwks\.json"/);
  assert.match(page, /permsnap\.css/);
  const app = example("quickstart");
  const csp = /^Content-Security-Policy: (.+)$/.exec(example("csp").trim())?.[1];
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
  assert.equal(rules(example("stylesheet")), rules(readFileSync(join(root, "pkg/permsnap.css"), "utf8")));
});

/** The README's React example, compiled: its exports. */
async function reactExample() {
  const jsx = example("react").replace('from "permsnap/react"', `from ${JSON.stringify(join(root, "pkg/react.js"))}`);
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

// ---------------------------------------------------------------- follow, the top-level summary (Chromium)

const pkgFile = (name, type) => () => ({ status: 200, headers: { "content-type": type }, body: readFileSync(join(root, "pkg", name)) });
// the package where a page without a bundler finds it; an import map resolves its bare names, as a bundler would
const PKG_ROUTES = {
  "/node_modules/permsnap/index.js": pkgFile("index.js", "text/javascript"),
  "/node_modules/permsnap/live.js": pkgFile("live.js", "text/javascript"),
  "/node_modules/permsnap/permsnap_wasm_bg.wasm": pkgFile("permsnap_wasm_bg.wasm", "application/wasm"),
  "/node_modules/permsnap/permsnap.css": pkgFile("permsnap.css", "text/css"),
};
const IMPORT_MAP = `<script type="importmap">${JSON.stringify({
  imports: { permsnap: "/node_modules/permsnap/index.js", "permsnap/live": "/node_modules/permsnap/live.js" },
})}</script>`;
const CHANGE = 'id: 7\nevent: change\ndata: {"user":"rita","version":2,"cause":"edit_access"}\n\n';

// Rita as an admin will have made her: the same directory without her restriction roles is the "before".
const unrestricted = join(k.dir, "crm-unrestricted.json");
{
  const dir = JSON.parse(readFileSync(join(root, "src/server/demo/crm-directory.json"), "utf8"));
  for (const u of dir.users) if (u.id === "rita") for (const a of Object.values(u.access)) a.restrictions = [];
  writeFileSync(unrestricted, JSON.stringify(dir));
}

/**
 * A page in Chromium: `body`, the package's stylesheet and import map, and
 * `app` as its module, with the package's routes, `/api/token` answering
 * `tokens` in turn (the last one from then on), the JWKS and the manifest at
 * the permsnap server's routes, and `/v1/events` sending `events` on its first
 * request (then nothing). Runs `check(page, requests)` once `ready(page)` holds.
 */
async function inChromium({ body, app, tokens, events = "", ready, check }) {
  const requests = [];
  let served = 0;
  let streams = 0;
  const html = `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<link rel="stylesheet" href="/node_modules/permsnap/permsnap.css">${IMPORT_MAP}</head>
<body>${body}<script type="module" src="/app.js"></script></body></html>`;
  const site = await serve({
    ...PKG_ROUTES,
    "/": () => ({ status: 200, headers: { "content-type": "text/html" }, body: html }),
    "/app.js": () => ({ status: 200, headers: { "content-type": "text/javascript" }, body: app }),
    "/api/token": () => ({ token: tokens[Math.min(served++, tokens.length - 1)] }),
    "/.well-known/jwks.json": () => k.jwks,
    [`/v1/manifest/${manifestHash}`]: () => ({ status: 200, headers: { "content-type": "application/json" }, body: manifest("smartico-crm") }),
    // one batch of events, then the stream ends; EventSource would come back after `retry` (longer than a test)
    "/v1/events": () => ({ status: 200, headers: { "content-type": "text/event-stream" }, body: `retry: 600000\n\n${streams++ === 0 ? events : ""}` }),
  });
  const browser = await launchChromium();
  try {
    const page = await newPage(browser);
    page.on("request", (r) => requests.push(new URL(r.url())));
    await page.goto(`${site.url}/`);
    await page.waitForFunction(ready, null, { timeout: 15_000 });
    await check(page, requests);
    assert.deepEqual(page.errors, []);
  } finally {
    await browser.close();
    await site.close();
  }
}

const rita = () => [
  issue(k, { user: "rita", now: now - 5000, directory: unrestricted }), // at login
  issue(k, { user: "rita", now }), // after an admin restricted her
];
/** Resolves once `holds()` does, polled; rejects after 10 s. */
async function until(holds) {
  for (const t0 = Date.now(); !holds(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() - t0 > 10_000) throw new Error(`never held: ${holds}`);
  }
}
const calls = (requests, path) => requests.filter((u) => u.pathname === path);

test("the README's follow example, as written in Chromium: the server's change event brings the fresh token, and the gate takes the restricted action away", async () => {
  const tokens = rita();
  await inChromium({
    body: '<button data-permission="player.give_bonus">Give bonus</button>',
    app: example("follow"),
    tokens,
    events: CHANGE,
    ready: () => document.querySelector("button").dataset.reason === "restricted",
    async check(page, requests) {
      assert.equal(calls(requests, "/api/token").length, 2, "the login token, then the fresh one after the change");
      const [stream] = calls(requests, "/v1/events");
      assert.equal(stream.searchParams.get("token"), tokens[0], "the stream opened with the page's token");
      assert.equal(await page.locator("button").isDisabled(), true);
    },
  });
});

test("the README's follow example with a token that does not verify: nothing is followed, every control stays denied", async () => {
  await inChromium({
    body: '<button data-permission="player.give_bonus">Give bonus</button>',
    app: example("follow"),
    tokens: [`${token.slice(0, -4)}AAAA`],
    ready: () => document.querySelector("button").dataset.permsnap === "denied",
    async check(page, requests) {
      assert.equal(await page.locator("button").getAttribute("data-reason"), "unverified");
      assert.equal(calls(requests, "/v1/events").length, 0, "no stream without a snapshot");
    },
  });
});

test("the top-level README's browser example runs as written in Chromium (its `// value` lines checked), gates the page and follows the server's events", async () => {
  // what the summary takes as given: the page's token, keys and manifest, a tap-affiliate manager's snapshot, the backend call
  const prelude = `const assert = { deepStrictEqual(a, b, what) { if (a !== b) throw new Error(\`\${what}: \${a}, not \${b}\`); } };
const token = ${JSON.stringify(token)};
const jwks = ${JSON.stringify(k.jwks)};
const manifest = ${JSON.stringify(manifest("smartico-crm"))};
const managerPerms = await Permissions.verify(${JSON.stringify(tapToken)}, jwks, { audience: "backoffice", manifest: ${JSON.stringify(manifest("tap-affiliate"))} });
const fetchToken = () => fetch("/api/token").then((r) => r.json()).then((t) => t.token);
`;
  const code = checked(example("browser", TOP));
  assert.equal(code.split("assert.deepStrictEqual").length - 1, 2, "its two answers are checked");
  await inChromium({
    body: '<button data-permission="player.give_bonus">Give bonus</button><button data-permission="player.complete_mission">Complete mission</button>',
    app: `${prelude}${code}\nwindow.__ran = true;\n`,
    tokens: [issue(k, { user: "sue", now: now + 1000 })],
    events: "event: ready\ndata: {}\n\n",
    ready: () => window.__ran === true && document.querySelectorAll("[data-permsnap]").length === 2,
    async check(page, requests) {
      assert.equal(await page.locator('[data-permission="player.give_bonus"]').getAttribute("data-permsnap"), "allowed");
      assert.equal(await page.locator('[data-permission="player.complete_mission"]').getAttribute("data-reason"), "not_granted");
      await until(() => calls(requests, "/v1/events").length > 0);
      assert.equal(calls(requests, "/v1/events")[0].searchParams.get("token"), token, "follow opened the stream with the page's token");
    },
  });
});

test("the top-level README's EventSource snippet, as written in Chromium: the stream opens with the page's token and the server's named `change` event calls refreshSnapshot (onmessage does not see it)", async () => {
  const prelude = `const token = ${JSON.stringify(token)};
window.__refreshed = 0;
const refreshSnapshot = () => { window.__refreshed += 1; };
`;
  const snippet = example("events", TOP);
  await inChromium({
    body: "",
    app: `${prelude}${snippet}window.__messages = 0;\nevents.onmessage = () => { window.__messages += 1; };\n`,
    tokens: [token],
    events: `${CHANGE}event: ready\nid: 7\ndata: {}\n\n`,
    ready: () => window.__refreshed === 1,
    async check(page, requests) {
      assert.equal(calls(requests, "/v1/events")[0].searchParams.get("token"), token);
      assert.equal(await page.evaluate(() => window.__messages), 0, "a named event is not a message");
    },
  });
});

test("the README's React follow example, as written in Chromium: the change event re-renders the button disabled", async () => {
  const dir = join(root, "target/readme-react-follow"); // beside node_modules, for react
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "back-office.jsx"), example("react-follow").replace('from "permsnap/react"', `from ${JSON.stringify(join(root, "pkg/react.js"))}`));
  writeFileSync(join(dir, "main.jsx"), `import { createRoot } from "react-dom/client";
import { Permissions } from "permsnap";
import { BackOffice } from "./back-office.jsx";
const token = await fetch("/api/token").then((r) => r.json()).then((t) => t.token);
const manifest = ({ hash }) => fetch(\`/v1/manifest/\${hash}\`).then((r) => r.text());
const perms = await Permissions.verify(token, "/.well-known/jwks.json", { audience: "backoffice", manifest });
window.__first = perms.can("player.give_bonus", 4444);
createRoot(document.getElementById("root")).render(<BackOffice perms={perms} token={token} label={4444} />);
`);
  const out = await esbuild.build({
    entryPoints: [join(dir, "main.jsx")], bundle: true, format: "esm", write: false, target: "es2022", jsx: "automatic",
    define: { "process.env.NODE_ENV": '"development"' }, external: ["permsnap", "permsnap/live"], logLevel: "silent",
  });
  await inChromium({
    body: '<div id="root"></div>',
    app: out.outputFiles[0].text,
    tokens: rita(),
    events: CHANGE,
    ready: () => document.querySelector("#root button")?.disabled === true,
    async check(page, requests) {
      assert.equal(await page.evaluate(() => window.__first), true, "allowed before the change");
      assert.equal(calls(requests, "/api/token").length, 2);
      assert.equal(await page.locator("#root button").textContent(), "Give bonus");
    },
  });
});

// ---------------------------------------------------------------- Vite's dev server with a linked install

/**
 * The layout the README's Vite config names: the app, and the package in a
 * folder beside it that the app's node_modules/permsnap links to (as
 * `npm link` or a `file:` dependency makes it). `config`: the app's
 * vite.config.js, or none. What the page's verification and gate answered.
 */
async function linkedVite(config) {
  const parent = mkdtempSync(join(tmpdir(), "permsnap-readme-vite-"));
  const app = join(parent, "app");
  cpSync(join(root, "pkg"), join(parent, "permsnap"), { recursive: true });
  mkdirSync(join(app, "node_modules"), { recursive: true });
  symlinkSync("../../permsnap", join(app, "node_modules/permsnap"), "dir");
  if (config) writeFileSync(join(app, "vite.config.js"), config);
  writeFileSync(join(app, "fixtures.json"), JSON.stringify({ token, jwks: k.jwks, manifest: manifest("smartico-crm") }));
  writeFileSync(join(app, "index.html"), `<!doctype html><html><head><meta charset="utf-8"><link rel="icon" href="data:,">
<link rel="stylesheet" href="/node_modules/permsnap/permsnap.css"></head>
<body><button data-permission="player.give_bonus">Give bonus</button><script type="module" src="/main.js"></script></body></html>`);
  writeFileSync(join(app, "main.js"), `import { Permissions, gate } from "permsnap";
const f = await (await fetch("/fixtures.json")).json();
let perms = null;
try { perms = await Permissions.verify(f.token, f.jwks, { audience: "backoffice", manifest: f.manifest }); }
catch (e) { window.__error = e.code ?? String(e); }
gate(document.body, perms, { label: 4444 });
window.__done = true;`);
  const server = await createServer({
    root: app, configFile: config ? join(app, "vite.config.js") : false, logLevel: "silent",
    server: { port: 0, host: "127.0.0.1" },
  });
  await server.listen();
  const browser = await launchChromium();
  try {
    const page = await newPage(browser);
    await page.goto(server.resolvedUrls.local[0]);
    await page.waitForFunction(() => window.__done, null, { timeout: 30_000 });
    return await page.evaluate(() => ({ error: window.__error ?? null, bonus: document.querySelector("button").dataset.permsnap }));
  } finally {
    await browser.close();
    await server.close();
  }
}

test("the README's vite.config.js, as written, lets Vite's dev server load a linked install from the folder beside the project (without it: wasm_unavailable, fail closed)", async () => {
  const config = example("vite-config");
  assert.match(config, /^\/\/ vite\.config\.js\n/);
  assert.deepEqual(await linkedVite(config), { error: null, bonus: "allowed" });
  assert.deepEqual(await linkedVite(null), { error: "wasm_unavailable", bonus: "denied" });
});

// ---------------------------------------------------------------- npm install, npx permsnap-types, tsc

/** `sh -c` in `cwd`, npm kept off the network. */
const sh = (script, cwd) => execFileSync("sh", ["-c", script], {
  cwd, encoding: "utf8", env: { ...process.env, npm_config_offline: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" },
});

test("the README's install, typed-ids command and typed snippet, as written in a new project: npm installs the package, npx permsnap-types writes src/permissions.ts, and tsc refuses the typo (TS2345) and nothing else", () => {
  const project = mkdtempSync(join(tmpdir(), "permsnap-readme-install-"));
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "readme-app", private: true, type: "module" }));
  // the registry's package is the one pkg/ packs
  const tarball = join(project, sh(`npm pack --silent --pack-destination "${project}" "${join(root, "pkg")}"`, project).trim().split("\n").pop());
  const install = example("install").trim();
  assert.equal(install, "npm install permsnap");
  sh(install.replace(/permsnap$/, `"${tarball}"`), project);
  assert.equal(JSON.parse(readFileSync(join(project, "node_modules/permsnap/package.json"), "utf8")).name, "permsnap");
  const codes = sh(`node --input-type=module -e 'import { errorCodes } from "permsnap"; console.log(errorCodes().includes("bad_signature"))'`, project);
  assert.equal(codes.trim(), "true", "the installed package imports in Node");

  writeFileSync(join(project, "smartico-crm.manifest.json"), manifest("smartico-crm"));
  mkdirSync(join(project, "src"));
  sh(example("types-cli").trim(), project);
  assert.equal(readFileSync(join(project, "src/permissions.ts"), "utf8"), execFileSync(bin, ["codegen", "--ts", "smartico-crm"], { encoding: "utf8" }));

  // what the snippet takes as given, as the Node examples do
  const given = "declare const token: string;\ndeclare const jwks: string;\ndeclare const manifest: string;\n";
  const snippet = example("types-ts");
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: "es2022", module: "esnext", moduleResolution: "bundler", lib: ["es2022", "dom"] },
    files: ["src/app.ts"],
  }));
  const tsc = (code) => {
    writeFileSync(join(project, "src/app.ts"), given + code);
    const r = spawnSync(join(root, "node_modules/.bin/tsc"), ["-p", project], { cwd: project, encoding: "utf8" });
    return r.stdout.split("\n").filter((l) => / error TS\d+:/.test(l));
  };
  const typoLine = given.split("\n").length - 1 + snippet.split("\n").findIndex((l) => l.includes("player.giv_bonus")) + 1;
  const refused = tsc(snippet);
  assert.equal(refused.length, 1, refused.join("\n"));
  assert.match(refused[0], new RegExp(`^src/app\\.ts\\(${typoLine},\\d+\\): error TS2345: .*"player\\.giv_bonus"`));
  assert.match(snippet, /\/\/ error TS2345/, "the README names the error tsc gives");
  assert.deepEqual(tsc(snippet.replace("player.giv_bonus", "player.give_bonus")), [], "spelled right, it compiles");
});

// ---------------------------------------------------------------- every block has its test

test("every code block of the package README, and of the top-level README's browser section and its browser code elsewhere, carries a marker a test here ran (so a new example without a test fails)", () => {
  const untested = [];
  for (const [doc, found] of Object.entries(DOCS)) {
    for (const b of found) {
      if (b.marker === null || !consumed.has(`${doc}:${b.marker}`)) untested.push(`${doc}:${b.line} (${b.lang || "no language"}, marker ${b.marker})`);
    }
  }
  assert.ok(DOCS["pkg-config/README.md"].length >= 14 && DOCS[TOP].length >= 2, "the blocks are found");
  assert.deepEqual(untested, []);
});
