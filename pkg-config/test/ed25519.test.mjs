// Wycheproof (151) and CCTV (914) Ed25519 cases through the package's
// WebCrypto path in Node; the same cases run in Chromium (browser.test.mjs).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { verifyEd25519 } from "../../pkg/node.js";
import { differences, runEd25519 } from "./ed25519-cases.mjs";
import { root } from "./helpers.mjs";

const read = (p) => JSON.parse(readFileSync(join(root, "tests/data", p), "utf8"));

test("Wycheproof and CCTV Ed25519 cases: the WebCrypto path accepts nothing verify_strict refuses (Node)", async () => {
  const results = await runEd25519(verifyEd25519, read("wycheproof/ed25519_test.json"), read("cctv/ed25519vectors.json"));
  assert.equal(results.length, 151 + 914);
  const d = differences(results);
  assert.deepEqual(d.acceptedButNotStrict, []);
  assert.deepEqual(d.refusedButStrict, [], "and refuses nothing it accepts: the answers are the same");
  assert.equal(results.filter((r) => r.got).length, 88 + 43, "as natively: 88 Wycheproof and 43 CCTV cases verify");
});
