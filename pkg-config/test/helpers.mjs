// Test helpers: tokens, manifests and parity samples come from the real CLI
// (the server side); crafted tokens from node:crypto's own Ed25519, so
// nothing here trusts permsnap to test permsnap.
import { execFileSync } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../../", import.meta.url));
export const bin = process.env.PERMSNAP_BIN ?? join(root, "target/debug/permsnap");
export const CRM = join(root, "src/server/demo/crm-directory.json");
export const TAP = join(root, "src/server/demo/tap-directory.json");
export const NOW = Date.parse("2026-11-23T12:00:00Z");
export const AUDIENCE = "backoffice";

export function cli(args) {
  return JSON.parse(execFileSync(bin, args, { encoding: "utf8" }));
}

const manifests = new Map();
/** The exact text of a catalog's manifest, as `permsnap manifest` writes it (what a server serves). */
export function manifest(catalog = "smartico-crm") {
  if (!manifests.has(catalog)) {
    manifests.set(catalog, execFileSync(bin, ["manifest", catalog], { encoding: "utf8" }));
  }
  return manifests.get(catalog);
}

/** A fresh key pair in a temp dir: `{ dir, keyPath, privateJwk, jwks }`. */
export function keys(kid = "test-key") {
  const dir = mkdtempSync(join(tmpdir(), "permsnap-test-"));
  const { private: privateJwk, jwks } = cli(["keygen", "--kid", kid]);
  const keyPath = join(dir, `${kid}.json`);
  writeFileSync(keyPath, JSON.stringify(privateJwk));
  return { dir, keyPath, privateJwk, jwks };
}

/** A token issued by the CLI for `user` (`now` in ms, `ttl` in seconds). */
export function issue(k, { catalog = "smartico-crm", directory = CRM, user, now = NOW, ttl, audience, issuer, alg }) {
  const args = ["issue", "--catalog", catalog, "--directory", directory, "--user", user, "--key", k.keyPath,
    "--now", new Date(now).toISOString()];
  if (ttl !== undefined) args.push("--ttl", String(ttl));
  if (audience) args.push("--audience", audience);
  if (issuer) args.push("--issuer", issuer);
  if (alg) args.push("--alg", alg);
  return cli(args).token;
}

/** Parity samples (`permsnap samples ...`), written once per run under target/samples/. */
export function samples(kind) {
  const out = join(root, `target/samples/${kind}.json`);
  mkdirSync(join(root, "target/samples"), { recursive: true });
  const args = kind === "vectors"
    ? ["samples", "vectors", join(root, "tests/vectors"), "--out", out]
    : ["samples", "differential", "--seed", "20261124", "--checks", "10000", "--out", out];
  cli(args);
  return JSON.parse(readFileSync(out, "utf8"));
}

/** base64url of a text, bytes, or any other value as JSON. */
export const b64u = (x) =>
  (Buffer.isBuffer(x) ? x : Buffer.from(typeof x === "string" ? x : JSON.stringify(x))).toString("base64url");

/** Signs any header and payload (objects or raw strings) with the private JWK, as an attacker with the key could. */
export function signRaw(privateJwk, header, payload) {
  const input = `${b64u(header)}.${b64u(payload)}`;
  const key = createPrivateKey({ key: privateJwk, format: "jwk" });
  return `${input}.${sign(null, Buffer.from(input), key).toString("base64url")}`;
}

/** The decoded payload of a token. */
export function payloadOf(token) {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
}
