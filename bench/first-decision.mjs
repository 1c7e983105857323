// Time to the first verified decision in Chromium, a production build
// (pkg/ as built) under a strict CSP (`script-src 'self'
// 'wasm-unsafe-eval'`), before and after issue 20's recipe (manifest
// imported at build time, JWKS by URL, everything preloaded), each response
// delayed by a simulated round trip. Prints a markdown table; timing is
// never asserted. Needs pkg/ and target/debug/permsnap.
//
//   node bench/first-decision.mjs [RTT_MS ...]   (default: 0 50 100)
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { join, extname } from "node:path";
import { fileURLToPath } from "node:url";
import { issue, keys, manifest, root } from "../pkg-config/test/helpers.mjs";
import { launchChromium } from "../pkg-config/test/serve.mjs";

const here = fileURLToPath(new URL("./first-decision/", import.meta.url));
const RUNS = Number(process.env.RUNS ?? 9);
const rtts = process.argv.slice(2).map(Number);
const k = keys("first-decision");
const token = issue(k, { user: "sue", now: Date.now() });
const crm = manifest("smartico-crm");
const hash = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).psnap.m;
const TYPES = { ".html": "text/html", ".js": "text/javascript", ".wasm": "application/wasm", ".css": "text/css" };
const CSP = "script-src 'self' 'wasm-unsafe-eval'";

async function body(path) {
  if (path === "/api/token") return ["application/json", JSON.stringify({ token })];
  if (path === "/.well-known/jwks.json") return ["application/json", JSON.stringify(k.jwks)];
  if (path === `/v1/manifest/${hash}`) return ["application/json", crm];
  if (path === "/after.js") return ["text/javascript", (await readFile(join(here, "after.js"), "utf8")).replace("__MANIFEST__", JSON.stringify(crm))];
  const file = path.startsWith("/pkg/") ? join(root, path) : join(here, path);
  return [TYPES[extname(file)] ?? "application/octet-stream", await readFile(file)];
}

function serve(rtt) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    try {
      const [type, data] = await body(path);
      setTimeout(() => {
        res.writeHead(200, { "content-type": type, "content-security-policy": CSP, "cache-control": "no-store" });
        res.end(data);
      }, rtt);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(server)));
}

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function measure(browser, url) {
  const page = await browser.newPage();
  const errors = [];
  page.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await page.goto(url);
  await page.waitForFunction(() => window.__decided, null, { timeout: 30_000 });
  const t = await page.evaluate(() => window.__decided);
  const decided = await page.evaluate(() => document.querySelectorAll("[data-permsnap]").length);
  await page.close();
  if (decided !== 2 || errors.length) throw new Error(`${url}: ${decided} decided, ${errors.join("; ")}`);
  return t;
}

if (process.env.SERVE_ONLY) {
  const server = await serve(Number(process.env.SERVE_ONLY));
  console.log(`http://127.0.0.1:${server.address().port}/`);
  await new Promise(() => {});
}
const browser = await launchChromium();
const results = [];
for (const rtt of rtts.length ? rtts : [0, 50, 100]) {
  const server = await serve(rtt);
  const base = `http://127.0.0.1:${server.address().port}`;
  const times = { before: [], after: [] };
  for (let i = 0; i < RUNS; i++) for (const v of ["before", "after"]) times[v].push(await measure(browser, `${base}/${v}.html`));
  server.close();
  results.push({ rtt, before: median(times.before), after: median(times.after) });
}
await browser.close();
const zero = results.find((r) => r.rtt === 0);
/** `t` ms, and the round trips it waited beyond the page's own work (the 0 ms row). */
const cell = (t, rtt, z) => (rtt === 0 || z === undefined ? `${t.toFixed(0)} ms` : `${t.toFixed(0)} ms (${((t - z) / rtt).toFixed(1)} round trips)`);
console.log(`Time to the first verified decision (navigation start to the gate's first decision, \`performance.now()\`), Chromium headless, pkg/ as built, CSP \`${CSP}\`, median of ${RUNS} loads each; every response (the HTML's included) delayed by the simulated round trip; round trips counted beyond the 0 ms row (the page's own work), the HTML's own one included.\n`);
console.log("| simulated round trip | before: token + JWKS fetched by the page, manifest after the token, wasm by verify | after: manifest bundled at build time, JWKS by URL, the rest preloaded |");
console.log("| --- | ---: | ---: |");
for (const r of results) console.log(`| ${r.rtt} ms | ${cell(r.before, r.rtt, zero?.before)} | ${cell(r.after, r.rtt, zero?.after)} |`);
