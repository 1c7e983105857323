#!/usr/bin/env node
// permsnap-types [--jsx] CATALOG_OR_MANIFEST.json [> permissions.ts]
// TypeScript types of a catalog's permission ids, without Rust (the same
// file as `permsnap codegen --ts`). Reads a catalog file or the catalog
// manifest your server serves; writes to stdout. `--jsx`: also type React's
// `data-permission` attribute with the union.
import { readFileSync } from "node:fs";
import { permissionTypes } from "../codegen.js";

const args = process.argv.slice(2);
const jsx = args[0] === "--jsx";
const [file] = jsx ? args.slice(1) : args;
if (!file || file === "-h" || file === "--help") {
  process.stderr.write("usage: permsnap-types [--jsx] CATALOG_OR_MANIFEST.json > permissions.ts\n");
  process.exit(file ? 0 : 2);
}
try {
  process.stdout.write(permissionTypes(readFileSync(file === "-" ? 0 : file, "utf8"), { jsx }));
} catch (e) {
  process.stderr.write(`permsnap-types: ${file}: ${e.message}\n`);
  process.exit(1);
}
