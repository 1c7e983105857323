// Every vector file, and 10,000 random checks of the differential
// generator, through the shipped package in Node: tokens issued by the CLI
// at each scenario's `now`, answers compared with the server's.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Permissions } from "../../pkg/node.js";
import { samples } from "./helpers.mjs";
import { runParity } from "./parity.mjs";

test("every check of every vector file answers in the package as the server rules do (Node)", async () => {
  const s = samples("vectors");
  const r = await runParity(s, Permissions);
  assert.deepEqual(r.failures, []);
  assert.equal(r.sessions, s.sessions.length);
  assert.ok(r.checks >= 1000, `only ${r.checks} checks`);
});

test("10,000 random differential checks answer in the package as the server rules do (Node)", async () => {
  const s = samples("random");
  const r = await runParity(s, Permissions);
  assert.deepEqual(r.failures.slice(0, 20), []);
  assert.equal(r.sessions, s.sessions.length);
  const total = s.sessions.reduce((n, x) => n + x.checks.length, 0);
  assert.equal(r.checks, total);
  assert.ok(r.checks >= 9000, `only ${r.checks} checks compared`);
});
