// The directory format as a schema: docs/directory.schema.json describes the
// file the native loader reads (src/native/directory.rs). Every directory of
// the repository (the demo's, every vector file's) passes it, and each
// mutation below is refused by both the schema and the loader (`permsnap
// check`), so the schema neither allows what the loader refuses nor refuses
// what it reads. The validator is the small subset of JSON Schema 2020-12
// the schema uses, written here (no dependency).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CRM, TAP, bin, keys, root } from "./helpers.mjs";

const schema = JSON.parse(readFileSync(join(root, "docs/directory.schema.json"), "utf8"));

const typeOf = (v) => (v === null ? "null" : Array.isArray(v) ? "array" : Number.isInteger(v) ? "integer" : typeof v);
const isType = (v, t) => t === typeOf(v) || (t === "number" && typeof v === "number");

/** The errors of `v` against schema `s` (the subset: $ref, type, enum, pattern, minimum, maximum, properties, required, additionalProperties, propertyNames, items, oneOf). */
function validate(v, s, path = "$") {
  if (s.$ref) return validate(v, s.$ref.split("/").slice(1).reduce((o, k) => o[k], schema), path);
  const errors = [];
  if (s.type && ![s.type].flat().some((t) => isType(v, t))) return [`${path}: not ${s.type}`];
  if (s.enum && !s.enum.includes(v)) errors.push(`${path}: not one of ${s.enum}`);
  if (s.pattern && typeof v === "string" && !new RegExp(s.pattern, "u").test(v)) errors.push(`${path}: does not match ${s.pattern}`);
  if (s.minimum !== undefined && v < s.minimum) errors.push(`${path}: below ${s.minimum}`);
  if (s.maximum !== undefined && v > s.maximum) errors.push(`${path}: above ${s.maximum}`);
  if (s.oneOf) {
    const passing = s.oneOf.filter((o) => validate(v, o, path).length === 0).length;
    if (passing !== 1) errors.push(`${path}: matches ${passing} of oneOf`);
  }
  if (typeOf(v) === "array" && s.items) v.forEach((x, i) => errors.push(...validate(x, s.items, `${path}[${i}]`)));
  if (typeOf(v) === "object") {
    for (const k of s.required ?? []) if (!Object.hasOwn(v, k)) errors.push(`${path}: no ${k}`);
    for (const [k, x] of Object.entries(v)) {
      if (s.propertyNames) errors.push(...validate(k, s.propertyNames, `${path} key ${k}`));
      const sub = s.properties?.[k] ?? s.additionalProperties;
      if (sub === false) errors.push(`${path}: unknown ${k}`);
      else if (sub && sub !== true) errors.push(...validate(x, sub, `${path}.${k}`));
    }
  }
  return errors;
}

const k = keys("schema");
let n = 0;
/** What `permsnap check` answers for `directory` (its error code, or `ok`). */
function loads(directory, catalog) {
  const file = join(k.dir, `dir-${n++}.json`);
  writeFileSync(file, JSON.stringify(directory));
  const r = spawnSync(bin, ["check", "--catalog", catalog, "--directory", file, "--user", directory.users?.[0]?.id ?? "nobody",
    "--label", "4444", "--action", "player.view", "--now", "2026-11-23T12:00:00Z"], { encoding: "utf8" });
  const out = JSON.parse(r.stdout);
  return out.error?.code ?? "ok";
}

test("every directory of the repository passes the schema: the demo's and every vector file's", () => {
  const found = [JSON.parse(readFileSync(CRM, "utf8")), JSON.parse(readFileSync(TAP, "utf8"))];
  const vectors = join(root, "tests/vectors");
  for (const f of readdirSync(vectors).filter((f) => f.endsWith(".json"))) {
    const v = JSON.parse(readFileSync(join(vectors, f), "utf8"));
    if (v.directory && !v.expect_error) found.push(v.directory);
  }
  assert.ok(found.length > 40, `only ${found.length} directories`);
  for (const [i, d] of found.entries()) assert.deepEqual(validate(d, schema), [], `directory ${i}`);
});

test("each mutation the loader refuses, the schema refuses too; each the loader reads, the schema passes", () => {
  const base = JSON.parse(readFileSync(CRM, "utf8"));
  const mutate = (f) => {
    const d = structuredClone(base);
    f(d);
    return d;
  };
  const cases = [
    ["as it is", (d) => d, true],
    ["an unknown top-level member", (d) => (d.groups = []), false],
    ["a label without a suffix", (d) => delete d.labels[0].suffix, false],
    ["a label id that is a string", (d) => (d.labels[0].id = "4444"), false],
    ["a negative label id", (d) => (d.labels[0].id = -1), false],
    ["a label with an unknown member", (d) => (d.labels[0].color = "red"), false],
    ["a user without an email", (d) => delete d.users[0].email, false],
    ["a user status that is not active or disabled", (d) => (d.users[0].status = "paused"), false],
    ["a user disabled", (d) => (d.users[0].status = "disabled"), true],
    ["an expires_at that is not RFC 3339", (d) => (d.users[0].expires_at = "tomorrow"), false],
    ["an expires_at with an offset", (d) => (d.users[0].expires_at = "2030-01-01T00:00:00+02:00"), true],
    ["an expires_at null", (d) => (d.users[0].expires_at = null), true],
    ["access with an unknown member", (d) => (d.users[0].access["4444"].groups = []), false],
    ["roles that are not a list", (d) => (d.users[0].access["4444"].roles = "crm_admin"), false],
    ["a grant as a number", (d) => (d.users[0].access["4444"].grants = [7]), false],
    ["a grant object with an unknown member", (d) => (d.users[0].access["4444"].grants = [{ permission: "player.view", if: [] }]), false],
    ["a grant by name", (d) => (d.users[0].access["4444"].grants = ["player.view"]), true],
    ["an identity without sub", (d) => (d.users[0].identities = [{ iss: "https://accounts.google.com" }]), false],
    ["an owner flag that is a string", (d) => (d.users[0].owner = "yes"), false],
  ];
  const differ = [];
  for (const [name, f, valid] of cases) {
    const d = mutate(f);
    const schemaOk = validate(d, schema).length === 0;
    const loaderOk = loads(d, "smartico-crm") === "ok";
    if (schemaOk !== valid || loaderOk !== valid) differ.push(`${name}: schema ${schemaOk}, loader ${loaderOk}, expected ${valid}`);
  }
  assert.deepEqual(differ, []);
});
