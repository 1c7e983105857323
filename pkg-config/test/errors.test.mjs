// Errors: a refused token is a PermsnapError with a code and its sentence;
// anything else thrown (a bug, a throwing callback) stays what it is and
// never becomes a verification code. Its own process (node
// --test runs each file alone), so no manifest is cached yet.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { Permissions, PermsnapError } from "../../pkg/node.js";
import { PermsnapError as SourceError, refuse } from "../errors.js";
import { AUDIENCE, NOW, issue, keys, manifest } from "./helpers.mjs";

const k = keys("errors");
const opts = { audience: AUDIENCE, manifest: manifest("smartico-crm"), now: NOW + 1000 };

test("a JWKS whose serialization throws rejects with that very error", async () => {
  const boom = new RangeError("boom");
  await assert.rejects(Permissions.verify(issue(k, { user: "sue" }), { toJSON() { throw boom; } }, opts), (e) => e === boom);
});

test("a manifest function that throws rejects with that very error, not a code", async () => {
  const boom = new Error("the manifest service is down");
  const rejected = Permissions.verify(issue(k, { user: "sue" }), k.jwks, { ...opts, manifest: () => { throw boom; } });
  await assert.rejects(rejected, (e) => e === boom && !(e instanceof PermsnapError));
});

test("a manifest that is not JSON is malformed, and is not kept", async () => {
  const token = issue(k, { user: "sue" });
  await assert.rejects(Permissions.verify(token, k.jwks, { ...opts, manifest: "<html>404</html>" }),
    { code: "malformed", message: /manifest is not JSON/ });
  assert.equal((await Permissions.verify(token, k.jwks, opts)).subject, "sue", "the right manifest still works");
});

test("a refusal is a PermsnapError whose message is its code's sentence, built from the values it names", () => {
  // errors.js is bundled into pkg/index.js as it is; tested from its source
  // (tests/wasm.rs compares every sentence with the Rust Display).
  const e = refuse("bad_signature", { kid: "k1" });
  assert.ok(e instanceof SourceError && e instanceof Error);
  assert.equal(e.name, "PermsnapError");
  assert.equal(e.code, "bad_signature");
  assert.equal(e.message, "the signature does not verify with key `k1`");
  assert.equal(refuse("unknown_key").message, "the header has no `kid`");
  assert.equal(refuse("malformed", { detail: "the header is not JSON" }).message, "the header is not JSON");
});

test("a manifest of the wrong shape is malformed and says which part, and a good one still verifies after it", async () => {
  const token = issue(k, { user: "sue" });
  const m = JSON.parse(opts.manifest);
  const cases = [
    [{ ...m, extra: 1 }, /unknown member `extra`/],
    [{ ...m, sources: [{ ...m.sources[0], kind: "boss" }] }, /sources\[0\]: `kind`/],
    [{ ...m, permissions: "all" }, /`permissions` is not a list|is not a list/],
  ];
  for (const [bad, message] of cases) {
    // another text than the one the token names: its shape is read (and refused) before its hash is compared
    const refused = Permissions.verify(token, k.jwks, { ...opts, manifest: JSON.stringify(bad) });
    await assert.rejects(refused, { code: "malformed", message });
  }
  assert.equal((await Permissions.verify(token, k.jwks, opts)).subject, "sue");
});

/** Runs `body` in a fresh Node process after `setup` ran, before the package loads; resolves to its stdout. */
function inFreshProcess(setup, body) {
  const pkg = JSON.stringify(new URL("../../pkg/node.js", import.meta.url).href);
  const script = `${setup}\nconst { Permissions } = await import(${pkg});\n${body}`;
  return execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
}

test("an engine without WebCrypto, or whose WebCrypto has no Ed25519, gets webcrypto_unavailable", () => {
  const verify = `const f = ${JSON.stringify({ token: issue(k, { user: "sue" }), jwks: k.jwks, manifest: opts.manifest, now: opts.now })};
try { await Permissions.verify(f.token, f.jwks, { audience: "backoffice", manifest: f.manifest, now: f.now }); console.log("verified"); }
catch (e) { console.log(e.code); }`;
  const noSubtle = 'Object.defineProperty(globalThis, "crypto", { value: {}, configurable: true });';
  assert.equal(inFreshProcess(noSubtle, verify).trim(), "webcrypto_unavailable");
  const noEd25519 = `const real = globalThis.crypto.subtle;
const subtle = new Proxy(real, { get: (t, p) => p === "importKey"
  ? () => Promise.reject(new DOMException("Unrecognized algorithm name", "NotSupportedError"))
  : (typeof t[p] === "function" ? t[p].bind(t) : t[p]) });
Object.defineProperty(globalThis, "crypto", { value: { subtle }, configurable: true });`;
  assert.equal(inFreshProcess(noEd25519, verify).trim(), "webcrypto_unavailable");
  assert.equal(inFreshProcess("", verify).trim(), "verified", "the same script verifies with WebCrypto Ed25519");
});
