// node scripts/check-wasm-imports.mjs MODULE.wasm GLUE.js LOADER.js
// The package loads its wasm without wasm-bindgen's JS glue
// (pkg-config/wasm.js). That is sound only while the module imports exactly
// the one function the loader provides, the loader's body of it is the
// glue's, and the module exports what the loader calls: this checks all
// three and exits 1, naming what changed, when wasm-bindgen (or the
// boundary) moves.
import { readFileSync } from "node:fs";

const [wasmFile, glueFile, loaderFile] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(wasmFile));
const problems = [];

const imports = WebAssembly.Module.imports(module).map((i) => `${i.module} ${i.name} ${i.kind}`);
const expected = ["./permsnap_wasm_bg.js __wbindgen_init_externref_table function"];
if (JSON.stringify(imports) !== JSON.stringify(expected)) {
  problems.push(`the module imports ${JSON.stringify(imports)}, the loader provides ${JSON.stringify(expected)}`);
}

const exports = new Set(WebAssembly.Module.exports(module).map((e) => e.name));
for (const name of ["memory", "__wbindgen_externrefs", "__wbindgen_start", "io", "check", "checker", "detail", "manifest", "release", "smallOrder", "strictPrechecks"]) {
  if (!exports.has(name)) problems.push(`the module does not export \`${name}\`, which the loader calls`);
}

/** The statements of the function body after `head` in `text`, white space normalized. */
function body(text, head, file) {
  const at = text.indexOf(head);
  if (at < 0) {
    problems.push(`${file}: no \`${head}\``);
    return null;
  }
  const open = text.indexOf("{", at + head.length - 1);
  const close = text.indexOf("}", open);
  return text.slice(open + 1, close).replace(/\s+/g, " ").trim();
}
const glue = body(readFileSync(glueFile, "utf8"), "__wbindgen_init_externref_table: function() {", glueFile);
const loader = body(readFileSync(loaderFile, "utf8"), "__wbindgen_init_externref_table() {", loaderFile);
if (glue !== null && loader !== null && glue !== loader) {
  problems.push(`wasm-bindgen's __wbindgen_init_externref_table is now\n  ${glue}\nand ${loaderFile} has\n  ${loader}`);
}

if (problems.length > 0) {
  process.stderr.write(`check-wasm-imports: pkg-config/wasm.js no longer matches the wasm-bindgen output:\n- ${problems.join("\n- ")}\n`);
  process.exit(1);
}
