// Interoperability with `jose`, an independent JOSE implementation: tokens
// jose signs verify in permsnap (the npm package and the native CLI), and
// tokens permsnap issues verify in jose.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SignJWT, createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from "jose";
import { Permissions } from "../../pkg/node.js";
import { NOW, b64u, bin, issue, keys, manifest, payloadOf } from "./helpers.mjs";

const k = keys("k1");
test.after(() => rmSync(k.dir, { recursive: true, force: true }));
const opts = { audience: "backoffice", manifest: manifest("smartico-crm"), now: NOW + 1000 };
const cliToken = issue(k, { user: "sue" });
// The claims of a real snapshot, as the server issued them.
const claims = payloadOf(cliToken);

/** An Ed25519 key pair jose generates: `{ privateKey, jwks }` (the JWKS names it `kid`). */
async function joseKeys(kid) {
  const { publicKey, privateKey } = await generateKeyPair("Ed25519", { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid };
  assert.equal(jwk.kty, "OKP");
  assert.equal(jwk.crv, "Ed25519");
  assert.equal(jwk.d, undefined, "a public key only");
  return { privateKey, jwks: { keys: [jwk] } };
}

/** `claims` re-signed by jose with `alg`. */
const joseSign = (j, alg, kid = "jose-1") =>
  new SignJWT(claims).setProtectedHeader({ alg, typ: "permsnap+jwt", kid }).sign(j.privateKey);

/** Runs the CLI's `verify` with the JWKS in a temp file: `{ status, out }`. */
function cliVerify(token, jwks, now = opts.now) {
  const path = join(k.dir, `jwks-${process.hrtime.bigint()}.json`);
  writeFileSync(path, JSON.stringify(jwks));
  try {
    const r = spawnSync(bin, ["verify", "--token", token, "--jwks", path, "--now", new Date(now).toISOString()],
      { encoding: "utf8" });
    return { status: r.status, out: JSON.parse(r.stdout || r.stderr) };
  } finally {
    rmSync(path, { force: true });
  }
}

const SAMPLE = [
  ["player.give_bonus", 4444],
  ["player.complete_mission", 4444],
  ["player.view", 4444],
  ["player.give_bonus", 4445],
  ["player.give_bonus", 4446],
  ["player.giv_bonus", 4444],
];

for (const alg of ["EdDSA", "Ed25519"]) {
  test(`a token jose signs with alg ${alg} verifies in the package and answers as the CLI-issued one`, async () => {
    const j = await joseKeys("jose-1");
    const token = await joseSign(j, alg);
    assert.equal(JSON.parse(Buffer.from(token.split(".")[0], "base64url")).alg, alg);
    assert.deepEqual(payloadOf(token), claims);

    const p = await Permissions.verify(token, j.jwks, opts);
    const ref = await Permissions.verify(cliToken, k.jwks, opts);
    assert.equal(p.subject, "sue");
    assert.equal(p.kid, "jose-1");
    assert.equal(p.catalog, "smartico-crm");
    assert.equal(p.can("player.give_bonus", 4444), true);
    assert.equal(p.can("player.complete_mission", 4444), false);
    assert.deepEqual(p.explain("player.give_bonus", 4444), {
      allowed: true, reason: "granted", by: "crm_support", message: "Allowed by CRM Support",
    });
    for (const [action, label] of SAMPLE) {
      assert.equal(p.can(action, label), ref.can(action, label), `${action} ${label}`);
      assert.deepEqual(p.explain(action, label), ref.explain(action, label), `${action} ${label}`);
    }
    assert.deepEqual(p.allowed(4444), ref.allowed(4444));
    assert.deepEqual(p.labels, ref.labels);
    assert.equal(p.expiresAt.getTime(), ref.expiresAt.getTime());
    p.dispose();
    ref.dispose();

    // jose's key does not verify permsnap's token with the same kid, nor the other way round
    const other = await joseKeys("k1");
    await assert.rejects(Permissions.verify(cliToken, other.jwks, opts), { code: "bad_signature" });
    const { alg: _, ...permsnapKey } = k.jwks.keys[0];
    await assert.rejects(Permissions.verify(token, { keys: [{ ...permsnapKey, kid: "jose-1" }] }, opts),
      { code: "bad_signature" });
  });

  test(`a token jose signs with alg ${alg} verifies natively (CLI verify)`, async () => {
    const j = await joseKeys("jose-1");
    const token = await joseSign(j, alg);
    const { status, out } = cliVerify(token, j.jwks);
    assert.equal(out.error, undefined, JSON.stringify(out.error));
    assert.equal(status, 0);
    assert.equal(out.kid, "jose-1");
    assert.equal(out.claims.sub, "sue");
    assert.deepEqual(out.claims.aud, ["backoffice"]);
    assert.equal(out.claims.exp, claims.exp);
    assert.deepEqual(out.snapshot, claims.psnap);

    // and the CLI refuses it under another key, or once expired
    const bad = cliVerify(token, (await joseKeys("jose-1")).jwks);
    assert.notEqual(bad.status, 0);
    assert.equal(bad.out.error.code, "bad_signature");
    const late = cliVerify(token, j.jwks, claims.exp * 1000);
    assert.notEqual(late.status, 0);
    assert.equal(late.out.error.code, "expired");
  });
}

const joseOpts = {
  audience: "backoffice",
  typ: "permsnap+jwt",
  algorithms: ["Ed25519", "EdDSA"],
  currentDate: new Date(opts.now),
};

test("a token permsnap issues verifies in jose with the CLI's JWKS", async () => {
  const { payload, protectedHeader } = await jwtVerify(cliToken, createLocalJWKSet(k.jwks), joseOpts);
  assert.equal(payload.sub, "sue");
  assert.equal(payload.aud, "backoffice");
  assert.deepEqual(payload.psnap, claims.psnap);
  assert.equal(protectedHeader.alg, "EdDSA", "permsnap writes EdDSA by default");
  assert.equal(protectedHeader.typ, "permsnap+jwt");
  assert.equal(protectedHeader.kid, "k1");
});

test("jose refuses a permsnap token whose payload was tampered with, or that is checked wrongly", async () => {
  const jwks = createLocalJWKSet(k.jwks);
  const [h, , s] = cliToken.split(".");
  const forged = (c) => `${h}.${b64u(c)}.${s}`;
  const sig = { code: "ERR_JWS_SIGNATURE_VERIFICATION_FAILED" };
  await assert.rejects(jwtVerify(forged({ ...claims, sub: "olga" }), jwks, joseOpts), sig);
  await assert.rejects(jwtVerify(forged({ ...claims, exp: claims.exp + 86400 }), jwks, joseOpts), sig);
  await assert.rejects(jwtVerify(forged({ ...claims, psnap: { ...claims.psnap, owner: true } }), jwks, joseOpts), sig);
  // the untampered token passes the same call (so the refusals above are the tampering)
  await jwtVerify(forged(claims), jwks, joseOpts);

  await assert.rejects(jwtVerify(cliToken, jwks, { ...joseOpts, audience: "another-app" }),
    { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "aud" });
  await assert.rejects(jwtVerify(cliToken, jwks, { ...joseOpts, typ: "JWT" }),
    { code: "ERR_JWT_CLAIM_VALIDATION_FAILED", claim: "typ" });
  await assert.rejects(jwtVerify(cliToken, jwks, { ...joseOpts, currentDate: new Date(claims.exp * 1000) }),
    { code: "ERR_JWT_EXPIRED" });
  // permsnap writes `EdDSA` by default; a relying party that allows only
  // RFC 9864's `Ed25519` refuses it, and takes a token issued with --alg Ed25519
  await assert.rejects(jwtVerify(cliToken, jwks, { ...joseOpts, algorithms: ["Ed25519"] }),
    { code: "ERR_JOSE_ALG_NOT_ALLOWED" });
  // (jose picks a JWKS key only if its `alg` matches the token's: the
  // keygen JWKS says `EdDSA`, so this takes the key without its `alg`)
  const ed = issue(k, { user: "sue", alg: "Ed25519" });
  const { alg: _, ...anyAlg } = k.jwks.keys[0];
  await assert.rejects(jwtVerify(ed, jwks, { ...joseOpts, algorithms: ["Ed25519"] }), { code: "ERR_JWKS_NO_MATCHING_KEY" });
  const r = await jwtVerify(ed, createLocalJWKSet({ keys: [anyAlg] }), { ...joseOpts, algorithms: ["Ed25519"] });
  assert.equal(r.protectedHeader.alg, "Ed25519");
});

test("the package verifies CLI tokens of both spellings, EdDSA (default) and Ed25519", async () => {
  for (const alg of ["EdDSA", "Ed25519"]) {
    const t = issue(k, { user: "rita", alg });
    assert.equal(JSON.parse(Buffer.from(t.split(".")[0], "base64url")).alg, alg);
    const p = await Permissions.verify(t, k.jwks, opts);
    assert.equal(p.explain("player.give_bonus", 4444).reason, "restricted", alg);
  }
});
