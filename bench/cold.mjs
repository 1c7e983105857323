// One cold start, in a fresh Node process (bench/js.mjs spawns this file
// several times per contestant and takes the median). Only dynamic imports:
// nothing is loaded before the clock starts. Prints one JSON line of
// milliseconds: `total` from the first line of this module to the first
// decision, `sinceOrigin` from the process's time origin (Node's own boot
// included), and the steps.
//
//   node bench/cold.mjs permsnap    import (instantiates the wasm), verify (WebCrypto, manifest), first can()
//   node bench/cold.mjs casl        import, JSON.parse the rules, build, first can()
//   node bench/cold.mjs jose-casl   import both, verify the signed rules with jose, build, first can()
//
// Inputs come in environment variables (read before the clock starts):
// BENCH_TOKEN, BENCH_JWKS, BENCH_MANIFEST (permsnap), BENCH_RULES (CASL rules, JSON),
// BENCH_RULES_TOKEN, BENCH_RULES_JWKS (the same rules signed by jose), BENCH_ACTION, BENCH_LABEL.
const env = process.env;
const which = process.argv[2];
const action = env.BENCH_ACTION;
const label = Number(env.BENCH_LABEL);
const t0 = performance.now();
const marks = {};
const mark = (name) => {
  marks[name] = performance.now() - t0;
};
let allowed;

if (which === "permsnap") {
  const { Permissions } = await import("../pkg/node.js");
  mark("import");
  const perms = await Permissions.verify(env.BENCH_TOKEN, env.BENCH_JWKS, { audience: "backoffice", manifest: env.BENCH_MANIFEST });
  mark("verify");
  allowed = perms.can(action, label);
  mark("first_decision");
} else if (which === "casl") {
  const { createMongoAbility, subject } = await import("@casl/ability");
  mark("import");
  const ability = createMongoAbility(JSON.parse(env.BENCH_RULES));
  mark("build");
  allowed = ability.can(action, subject("Label", { id: label }));
  mark("first_decision");
} else if (which === "jose-casl") {
  const [{ createMongoAbility, subject }, { compactVerify, importJWK }] = await Promise.all([
    import("@casl/ability"),
    import("jose"),
  ]);
  mark("import");
  const jwks = JSON.parse(env.BENCH_RULES_JWKS);
  const key = await importJWK(jwks.keys[0], "Ed25519");
  const { payload } = await compactVerify(env.BENCH_RULES_TOKEN, key);
  const claims = JSON.parse(new TextDecoder().decode(payload));
  mark("verify");
  const ability = createMongoAbility(claims.rules);
  mark("build");
  allowed = ability.can(action, subject("Label", { id: label }));
  mark("first_decision");
} else {
  throw new Error(`unknown contestant ${which}`);
}

const total = performance.now() - t0;
process.stdout.write(JSON.stringify({ which, allowed, total, sinceOrigin: t0 + total, marks }) + "\n");
