// What the end-to-end tests share: `permsnap server --demo` on a store of
// their own (as scripts/demo.sh runs it), and the demo page opened in
// Chromium once it has decided.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { openSync } from "node:fs";
import { root, bin } from "../../pkg-config/test/helpers.mjs";
import { newPage } from "../../pkg-config/test/serve.mjs";
import { join } from "node:path";

export const BACKSTOP = 15_000;

/**
 * Starts `permsnap server --demo` on `db` at `port` (0: a free one), its
 * request log appended to `log`; resolves to `{child, base, port}` once it
 * listens (it prints the page's URL on stderr).
 */
export async function startDemoServer({ db, port = 0, log }) {
  const out = openSync(log, "a");
  const args = ["server", "--db", db, "--listen", `127.0.0.1:${port}`, "--demo", "--www", join(root, "www"), "--pkg", join(root, "pkg")];
  const child = spawn(bin, args, { cwd: root, stdio: ["ignore", out, "pipe"] });
  let stderr = "";
  const base = await new Promise((resolve, reject) => {
    child.stderr.on("data", (d) => {
      stderr += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)\//.exec(stderr);
      if (m) resolve(m[0]);
    });
    child.on("exit", (code) => reject(new Error(`permsnap server exited with ${code}: ${stderr}`)));
  });
  return { child, base, port: Number(new URL(base).port) };
}

/** SIGTERM, as an operator restarting it would; resolves once the process is gone. */
export async function stopDemoServer(child) {
  const exited = once(child, "exit");
  child.kill("SIGTERM");
  await exited;
}

/** The demo page at `base` as `user` (query: label, ttl ...), decided and, when it has a snapshot, live. */
export async function openDemo(browser, base, user, query = "label=4444", { live = true } = {}) {
  const page = await newPage(browser, { viewport: { width: 1400, height: 1000 } });
  await page.goto(`${base}?user=${user}&${query}`);
  await page.waitForFunction(
    (live) => document.body.dataset.ready === "true" && (!live || document.body.dataset.verified !== "true" || document.body.dataset.live === "live"),
    live,
    { timeout: BACKSTOP },
  );
  return page;
}

/** Runs one admin op through the panel (`act` clicks); resolves to the result line once answered. */
export async function adminOp(page, act) {
  const seq = Number((await page.getAttribute("#admin-result", "data-seq")) ?? 0);
  await act();
  await page.waitForFunction((s) => Number(document.getElementById("admin-result").dataset.seq) > s, seq, { timeout: BACKSTOP });
  const result = await page.evaluate(() => {
    const el = document.getElementById("admin-result");
    return { ...el.dataset, at: Number(el.dataset.at), text: el.textContent };
  });
  if (result.outcome === "denied") page.forbidden = (page.forbidden ?? 0) + 1; // the browser logs the 403 (demo.test.mjs, consoleErrors)
  return result;
}

/** Edits `target`'s access in `label` in the admin panel: `set` maps a role, additional or restriction id to checked. */
export function editAccess(page, target, label, set) {
  return adminOp(page, async () => {
    await page.selectOption("#admin-target", target);
    await page.selectOption("#admin-label", String(label));
    for (const [id, checked] of Object.entries(set)) await page.setChecked(`#admin-form input[value="${id}"]`, checked);
    await page.click("#admin-save");
  });
}
