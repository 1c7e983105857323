// Typed permissions: the package's `permsnap-types` bin (no Rust) writes the
// union of permission ids, the package's types take it
// (`Permissions.verify<A>`), and then a misspelled action no longer
// compiles. The type test itself is types/usage.ts (compiled by tsc,
// strict); this file generates its input, runs tsc, proves the type test
// can fail, and checks that the .d.ts code unions are the Rust lists.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errorCodes, reasonCodes } from "../../pkg/node.js";
import { bin, manifest, root } from "./helpers.mjs";

const types = join(root, "pkg-config/test/types");
const tsc = join(root, "node_modules/.bin/tsc");
const run = (args) => spawnSync(tsc, args, { cwd: root, encoding: "utf8" });
const errors = (r) => (r.stdout + r.stderr).split("\n").filter((l) => / error TS\d+:/.test(l));

const typesBin = join(root, "pkg/bin/permsnap-types.js");
const catalogFile = (id) => join(root, `src/native/presets/${id}.json`);

// Every test here needs the generated type, so it is written first, by the package's bin.
test.before(() => {
  mkdirSync(join(types, "generated"), { recursive: true });
  const ts = execFileSync(process.execPath, [typesBin, catalogFile("smartico-crm")], { encoding: "utf8" });
  writeFileSync(join(types, "generated/smartico-crm.ts"), ts);
});

test("permsnap-types writes, without Rust, the same file as the CLI's codegen, from a catalog or from its manifest, with and without --jsx, for every preset", () => {
  for (const id of ["smartico-crm", "tap-affiliate", "smrtphone", "loymax"]) {
    const m = join(types, `generated/${id}.manifest.json`);
    writeFileSync(m, manifest(id));
    for (const jsx of [[], ["--jsx"]]) {
      const cliTs = execFileSync(bin, ["codegen", "--ts", id, ...jsx], { encoding: "utf8" });
      assert.equal(execFileSync(process.execPath, [typesBin, ...jsx, catalogFile(id)], { encoding: "utf8" }), cliTs, `${id} ${jsx} from the catalog`);
      assert.equal(execFileSync(process.execPath, [typesBin, ...jsx, m], { encoding: "utf8" }), cliTs, `${id} ${jsx} from the manifest`);
    }
    assert.match(execFileSync(bin, ["codegen", "--ts", id, "--jsx"], { encoding: "utf8" }), /declare module "react"/);
  }
  const r = spawnSync(process.execPath, [typesBin, join(root, "package.json")], { encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /not a catalog or a catalog manifest/);
});

/** The string members of `export type NAME = | "a" | "b" ...;` in a .d.ts. */
function union(dts, name) {
  const m = new RegExp(`export type ${name} =([^;]*);`).exec(dts);
  assert.ok(m, `no type ${name}`);
  return [...m[1].matchAll(/"([a-z_]+)"/g)].map((x) => x[1]);
}

test("the .d.ts unions of reason and error codes are exactly the Rust lists plus the JS face's, in order", () => {
  const dts = readFileSync(join(root, "pkg/index.d.ts"), "utf8");
  assert.deepEqual(union(dts, "Reason"), reasonCodes());
  assert.deepEqual(union(dts, "ErrorCode"), errorCodes());
  assert.ok(reasonCodes().includes("unknown_label") && errorCodes().includes("manifest_mismatch"));
});

test("codegen writes the union type of the catalog's permission ids", () => {
  const ts = readFileSync(join(types, "generated/smartico-crm.ts"), "utf8");
  assert.match(ts, /export type SmarticoCrmPermission =/);
  assert.match(ts, /\| "player\.give_bonus"/);
  assert.doesNotMatch(ts, /"player\.giv_bonus"/);
});

test("the type test compiles (tsc -p pkg-config/test/types), against pkg/index.d.ts", () => {
  const r = run(["-p", "pkg-config/test/types", "--listFiles"]);
  assert.deepEqual(errors(r), []);
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const files = r.stdout.split("\n").map((f) => f.trim());
  assert.ok(files.includes(join(root, "pkg/index.d.ts")), "the built package's types are the ones checked");
  assert.ok(!files.includes(join(root, "pkg-config/index.d.ts")));
  assert.ok(files.includes(join(types, "generated/smartico-crm.ts")));
});

test("the type test can fail: a misspelled action without its @ts-expect-error does not compile", (t) => {
  const id = `tmp-${process.pid}`;
  const bad = join(types, `usage.${id}.ts`);
  const config = join(types, `tsconfig.${id}.json`);
  t.after(() => {
    rmSync(bad, { force: true });
    rmSync(config, { force: true });
  });
  const lines = readFileSync(join(types, "usage.ts"), "utf8").split("\n");
  const at = lines.findIndex((l, i) => l.trim().startsWith("// @ts-expect-error")
    && lines[i + 1]?.trim() === 'perms.can("player.giv_bonus", 4444);');
  assert.ok(at >= 0, "usage.ts marks perms.can(\"player.giv_bonus\", 4444) as an expected error");
  lines.splice(at, 1);
  // and a line that compiles, wrongly marked as an error: tsc must report the unused directive
  lines.push("// @ts-expect-error", '(await Permissions.verify<SmarticoCrmPermission>(token, jwks, options)).can("player.view", 4444);', "");
  writeFileSync(bad, lines.join("\n"));
  writeFileSync(config, JSON.stringify({ extends: "./tsconfig.json", files: [`usage.${id}.ts`], include: [] }));

  const r = run(["-p", config]);
  assert.notEqual(r.status, 0, "tsc must fail");
  const found = errors(r);
  const misspelled = found.filter((l) => l.includes("error TS2345") && l.includes('"player.giv_bonus"'));
  assert.equal(misspelled.length, 1, found.join("\n"));
  assert.ok(misspelled[0].includes(`usage.${id}.ts(${at + 1},`), misspelled[0]);
  assert.match(misspelled[0], /not assignable to parameter of type 'SmarticoCrmPermission'/);
  const unused = found.filter((l) => l.includes("error TS2578"));
  assert.equal(unused.length, 1, found.join("\n"));
  assert.ok(unused[0].includes(`usage.${id}.ts(${lines.length - 2},`), unused[0]);
  assert.equal(found.length, 2, `only those two errors:\n${found.join("\n")}`);
});

for (const [generator, generate] of [
  ["permsnap-types --jsx", () => execFileSync(process.execPath, [typesBin, "--jsx", catalogFile("smartico-crm")], { encoding: "utf8" })],
  ["permsnap codegen --ts --jsx", () => execFileSync(bin, ["codegen", "--ts", "smartico-crm", "--jsx"], { encoding: "utf8" })],
])
test(`${generator} types React's data-permission: the markup compiles, and a misspelt action in it does not`, (t) => {
  const jsx = join(types, "jsx");
  mkdirSync(join(jsx, "generated"), { recursive: true });
  const ts = generate();
  assert.ok(ts.startsWith(execFileSync(process.execPath, [typesBin, catalogFile("smartico-crm")], { encoding: "utf8" })), "the same file, and then the JSX part");
  writeFileSync(join(jsx, "generated/smartico-crm.ts"), ts);
  const ok = run(["-p", "pkg-config/test/types/jsx"]);
  assert.deepEqual(errors(ok), []);
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  // without its @ts-expect-error, the typo is an error on its line
  const id = `tmp-${process.pid}`;
  const bad = join(jsx, `markup.${id}.tsx`);
  const config = join(jsx, `tsconfig.${id}.json`);
  t.after(() => {
    rmSync(bad, { force: true });
    rmSync(config, { force: true });
  });
  const lines = readFileSync(join(jsx, "markup.tsx"), "utf8").split("\n").filter((l) => !l.includes("@ts-expect-error"));
  writeFileSync(bad, lines.join("\n"));
  writeFileSync(config, JSON.stringify({ extends: "./tsconfig.json", files: [`markup.${id}.tsx`, "generated/smartico-crm.ts"], include: [] }));
  const r = run(["-p", config]);
  const found = errors(r);
  const at = lines.findIndex((l) => l.includes('"player.giv_bonus"')) + 1;
  assert.equal(found.length, 1, found.join("\n"));
  assert.ok(found[0].includes(`markup.${id}.tsx(${at},`) && found[0].includes("error TS2322"), found[0]);
});
