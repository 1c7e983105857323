// Browser-test helpers: a tiny static server (the repository root, or any
// folder, on 127.0.0.1 at a random port) with routes the test provides, and
// Debian's Chromium with console errors collected.
import { createServer } from "node:http";
import { chromium } from "playwright-core";
import { readFile } from "node:fs/promises";
import { extname, join, normalize } from "node:path";
import { root } from "./helpers.mjs";

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm",
  ".json": "application/json", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml", ".map": "application/json" };

/**
 * Serves `base`. `routes` maps a path to a function of the URL returning
 * either a value (sent as JSON) or `{status, headers, body}`; `headers(url)`
 * adds headers to every file (a CSP for one page ...).
 */
export async function serve(routes = {}, base = root, headers = () => ({})) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    const route = routes[url.pathname];
    if (route) {
      const out = await route(url);
      if (out && typeof out === "object" && "status" in out) {
        res.writeHead(out.status, out.headers ?? {});
        res.end(out.body ?? "");
      } else {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(out));
      }
      return;
    }
    const rel = url.pathname === "/" ? "/index.html" : url.pathname;
    const path = normalize(join(base, decodeURIComponent(rel)));
    if (!path.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(path);
      res.writeHead(200, { "content-type": TYPES[extname(path)] ?? "application/octet-stream", ...headers(url) });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

export const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"];

/** Debian's Chromium, headless, without the background traffic a closed network refuses. */
export function launchChromium() {
  return chromium.launch({ executablePath: "/usr/bin/chromium", args: CHROMIUM_ARGS });
}

/** A new page whose console errors and uncaught exceptions land in `page.errors`. */
export async function newPage(browser, options) {
  const page = await browser.newPage(options);
  page.errors = [];
  page.on("console", (m) => m.type() === "error" && page.errors.push(m.text()));
  page.on("pageerror", (e) => page.errors.push(String(e)));
  return page;
}
