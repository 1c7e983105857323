// Both rooms refuse the same tokens. The header, key and claim rules exist
// twice (Rust in src/core/snapshot/, JS in pkg-config/token.js and keys.js), so
// every refusal of docs/rules.md's token error table is crafted here,
// signed with node:crypto's own Ed25519, and given to the package
// (`Permissions.verify`) and to the native verifier (`permsnap verify
// --catalog smartico-crm`): both must answer the expected code. The
// differences the package README documents (JSON.parse keeps the last of
// duplicate members and reads a lone surrogate and `2.0`; WebCrypto may
// import a key that is not a curve point) are asserted as documented.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Permissions, PermsnapError } from "../../pkg/node.js";
import { AUDIENCE, b64u, bin, issue, keys, manifest, payloadOf, signRaw } from "./helpers.mjs";

const k = keys("k1");
const crm = manifest("smartico-crm");
const good = issue(k, { user: "sue" });
const claims = payloadOf(good);
const head = { alg: "EdDSA", typ: "permsnap+jwt", kid: "k1" };
const NOW = claims.iat * 1000 + 1000;
const EXP = claims.exp * 1000;

/** Signs any header and payload (objects, JSON text, or bytes) with the test key. */
const sign = (header, payload) => signRaw(k.privateJwk, header, payload);
const withClaims = (extra) => sign(head, { ...claims, ...extra });
const withSnapshot = (extra) => withClaims({ psnap: { ...claims.psnap, ...extra } });
const without = (o, key) => Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
const parts = (token) => token.split(".");

/** `good` with its signature's bytes changed by `f`. */
function resigned(f) {
  const [h, p, s] = parts(good);
  return `${h}.${p}.${Buffer.from(f(Buffer.from(s, "base64url"))).toString("base64url")}`;
}

// The order of the Ed25519 group: S + L is the same signature, not canonical.
const L = 2n ** 252n + 27742317777372353535851937790883648493n;
function plusL(sig) {
  let s = 0n;
  for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(sig[i]);
  s += L;
  const out = Buffer.from(sig);
  for (let i = 32; i < 64; i++, s >>= 8n) out[i] = Number(s & 0xffn);
  return out;
}

/** `depth` nested lists around 0. */
const nested = (depth) => Array.from({ length: depth }).reduce((v) => [v], 0);

const jwkOf = (extra) => ({ ...k.jwks.keys[0], ...extra });
const jwks = (...keys) => ({ keys });
const IDENTITY = Buffer.concat([Buffer.from([1]), Buffer.alloc(31)]).toString("base64url");

/** `[name, token, expected code, options]`: options `now`, `leeway`, `clockSkew`, `audience`, `issuer`, `tenant`, `jwks`. */
const CASES = [
  ["a token the issuer signed", good, "ok"],
  // split
  ["longer than 64 KiB", "a".repeat(70_000), "too_large"],
  ["two parts", "eyJ9.eyJ9", "malformed"],
  ["four parts", `${good}.e30`, "malformed"],
  ["a header that is not base64url", `!${good}`, "malformed"],
  ["a payload with base64 padding", good.replace(".", "=."), "malformed"],
  ["white space inside the header part (Bearer ...)", `Bearer ${good}`, "malformed"],
  ["white space inside the payload part: the signature is over the exact text", good.replace(".", ". "), "bad_signature"],
  ["white space inside the signature part", good.replace(/\.([^.]*)$/, ". $1"), "malformed"],
  ["a signature that is not base64url", `${good.slice(0, -2)}+/`, "malformed"],
  // a byte order mark is no white space to Rust's trim (String.prototype.trim strips it)
  ["a token with a leading U+FEFF", `\ufeff${good}`, "malformed"],
  ["a token with a trailing U+FEFF", `${good}\ufeff`, "malformed"],
  ["a token with a trailing newline", `${good}\n`, "ok"],
  ["a token with a leading U+0085 (White_Space to Rust)", `\u0085${good}`, "ok"],
  // the limit counts UTF-8 bytes in both rooms (not UTF-16 units)
  ["40,000 × é: 80,000 bytes in 40,000 units", "é".repeat(40_000), "too_large"],
  ["21,846 × a 3-byte character: over 64 KiB in bytes", "\u20ac".repeat(21_846), "too_large"],
  ["16,384 × an emoji: exactly 64 KiB in bytes, not too large", "\u{1f600}".repeat(16_384), "malformed"],
  // header
  ["a header that is not JSON", sign("hello", claims), "malformed"],
  ["a header that is not UTF-8", sign(Buffer.from([0xff, 0xfe]), claims), "malformed"],
  ["a header that is a list", sign(["EdDSA", "permsnap+jwt", "k1"], claims), "malformed"],
  ["a header whose bytes start with a UTF-8 BOM", sign(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(head))]), claims), "malformed"],
  ["alg none", sign({ ...head, alg: "none" }, claims), "alg_not_allowed"],
  ["alg none, unsigned", `${b64u({ ...head, alg: "none" })}.${b64u(claims)}.`, "alg_not_allowed"],
  ["alg HS256", sign({ ...head, alg: "HS256" }, claims), "alg_not_allowed"],
  ["alg missing", sign(without(head, "alg"), claims), "alg_not_allowed"],
  ["alg null", sign({ ...head, alg: null }, claims), "alg_not_allowed"],
  ["alg a number", sign({ ...head, alg: 5 }, claims), "malformed"],
  ["alg Ed25519 (RFC 9864)", sign({ ...head, alg: "Ed25519" }, claims), "ok"],
  ["typ JWT", sign({ ...head, typ: "JWT" }, claims), "typ_mismatch"],
  ["typ missing", sign(without(head, "typ"), claims), "typ_mismatch"],
  ["typ application/PERMSNAP+JWT", sign({ ...head, typ: "application/PERMSNAP+JWT" }, claims), "ok"],
  ["crit", sign({ ...head, crit: ["exp"] }, claims), "crit_unsupported"],
  ["crit null", sign({ ...head, crit: null }, claims), "crit_unsupported"],
  ...["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"].map((p) => [`${p} in the header`, sign({ ...head, [p]: "x" }, claims), "key_in_header"]),
  ["jku with alg none: the key in the header is refused first", sign({ ...head, alg: "none", jku: "https://x" }, claims), "key_in_header"],
  ["kid missing", sign(without(head, "kid"), claims), "unknown_key"],
  ["kid unknown", sign({ ...head, kid: "k9" }, claims), "unknown_key"],
  ["kid a number", sign({ ...head, kid: 1 }, claims), "malformed"],
  // signature
  ["a signature that does not verify", resigned((s) => s.map((b, i) => (i === 5 ? b ^ 1 : b))), "bad_signature"],
  ["a signature of 63 bytes", resigned((s) => s.subarray(0, 63)), "bad_signature"],
  ["a non-canonical S (S + L)", resigned(plusL), "bad_signature"],
  ["a small-order R (the identity) with S = 0", resigned(() => Buffer.concat([Buffer.from(IDENTITY, "base64url"), Buffer.alloc(32)])), "bad_signature"],
  ["the payload changed after signing", `${parts(good)[0]}.${b64u({ ...claims, sub: "olga" })}.${parts(good)[2]}`, "bad_signature"],
  ["a signature by another key with the same kid", issue(keys("k1"), { user: "sue" }), "bad_signature"],
  // payload
  ["a payload that is not JSON", sign(head, "not json"), "malformed"],
  ["a payload that is not UTF-8", sign(head, Buffer.from([0xc3, 0x28])), "malformed"],
  ["a payload that is a list", sign(head, [claims]), "malformed"],
  ["a payload whose bytes start with a UTF-8 BOM", sign(head, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claims))])), "malformed"],
  ["sub missing", sign(head, without(claims, "sub")), "malformed"],
  ["sub a number", withClaims({ sub: 7 }), "malformed"],
  ["exp missing", sign(head, without(claims, "exp")), "malformed"],
  ["exp a string", withClaims({ exp: String(claims.exp) }), "malformed"],
  ["exp beyond 10^12 seconds", withClaims({ exp: 1e13 }), "malformed"],
  ["aud a number", withClaims({ aud: 7 }), "malformed"],
  ["aud a list holding a number", withClaims({ aud: ["backoffice", 7] }), "malformed"],
  ["psnap missing", sign(head, without(claims, "psnap")), "malformed"],
  ["psnap without v", withClaims({ psnap: without(claims.psnap, "v") }), "malformed"],
  ["an unknown claim nested 63 lists deep (64 levels with the payload)", withClaims({ deep: nested(63) }), "ok"],
  ["an unknown claim nested 64 lists deep", withClaims({ deep: nested(64) }), "malformed"],
  ["a number too large for a double", sign(head, JSON.stringify(claims).replace("{", '{"big":1e400,')), "malformed"],
  // claims
  ["expired", good, "expired", { now: EXP }],
  ["expired, within the leeway", good, "ok", { now: EXP + 29_000, leeway: 30 }],
  ["expired, past the leeway", good, "expired", { now: EXP + 30_000, leeway: 30 }],
  ["nbf ahead", withClaims({ nbf: claims.iat + 600 }), "not_yet_valid"],
  ["iat 30 s ahead, no skew allowed", good, "not_yet_valid", { now: claims.iat * 1000 - 30_000 }],
  ["iat 30 s ahead, 60 s of skew", good, "ok", { now: claims.iat * 1000 - 30_000, clockSkew: 60 }],
  ["iat 30 s ahead, 60 s of leeway", good, "ok", { now: claims.iat * 1000 - 30_000, leeway: 60 }],
  ["iat 90 s ahead, 60 s of skew", good, "not_yet_valid", { now: claims.iat * 1000 - 90_000, clockSkew: 60 }],
  ["the skew never extends exp", good, "expired", { now: EXP, clockSkew: 600 }],
  ["another audience", good, "wrong_audience", { audience: "another-app" }],
  ["aud a list naming the audience", withClaims({ aud: ["shop", "backoffice"] }), "ok"],
  ["aud missing", sign(head, without(claims, "aud")), "wrong_audience"],
  ["another issuer", good, "wrong_issuer", { issuer: "https://someone-else" }],
  ["iss missing with an issuer expected", sign(head, without(claims, "iss")), "wrong_issuer", { issuer: claims.iss }],
  // the tenant (`tid`): checked only when one is expected, a string whenever present
  ["the tenant expected", withClaims({ tid: "acme" }), "ok", { tenant: "acme" }],
  ["another tenant", withClaims({ tid: "globex" }), "wrong_tenant", { tenant: "acme" }],
  ["no tid with a tenant expected", good, "wrong_tenant", { tenant: "acme" }],
  ["a tid null with a tenant expected", withClaims({ tid: null }), "wrong_tenant", { tenant: "acme" }],
  ["a tid and no tenant expected", withClaims({ tid: "globex" }), "ok"],
  ["a tid that is a number, no tenant expected", withClaims({ tid: 7 }), "malformed"],
  ["a tid that is a list, a tenant expected", withClaims({ tid: ["acme"] }), "malformed", { tenant: "acme" }],
  ["snapshot version 3", withSnapshot({ v: 3 }), "unsupported_version"],
  ["snapshot version 3 with members version 2 does not have", withSnapshot({ v: 3, future: true }), "unsupported_version"],
  // the snapshot claim, and against the manifest
  ["compiled against another manifest", withSnapshot({ m: "A".repeat(22) }), "manifest_mismatch"],
  ["an unknown member of the snapshot claim", withSnapshot({ extra: 1 }), "malformed"],
  ["labels out of order", withSnapshot({ l: [...claims.psnap.l].reverse() }), "malformed"],
  ["a label flag 2", withSnapshot({ l: [[4444, 2]] }), "malformed"],
  ["a label [id, 0, grants] without denies", withSnapshot({ l: [[4444, 0, [0]]] }), "malformed"],
  ["a label naming a source that is not there", withSnapshot({ l: [[4444, 0, [999], []]] }), "malformed"],
  ["a label id beyond 2^53 - 1", withSnapshot({ l: [[2 ** 53]] }), "malformed"],
  ["a global denial the issuer does not write", withSnapshot({ d: "granted" }), "malformed"],
  ["a global denial that is no reason", withSnapshot({ d: "nope" }), "malformed"],
  ["the owner flag null", withSnapshot({ o: null }), "malformed"],
  ["a direct list null", withSnapshot({ x: null }), "malformed"],
  ["a condition written as a list", withSnapshot({ x: [[[0], [[0, [["status", null, "pending"]]]]]] }), "malformed"],
  ["a condition with two operators", withSnapshot({ x: [[[0], [[0, [{ attr: "s", eq: "a", ne: "b" }]]]]] }), "malformed"],
  ["a direct list beyond the manifest's permissions", withSnapshot({ x: [[[0, 0, 0, 0, 0, 0, 0, 1]]] }), "malformed"],
  ["a global denial the issuer writes", withSnapshot({ d: "disabled" }), "ok"],
  // the key set
  ["a JWKS with a private key", good, "bad_jwks", { jwks: jwks(jwkOf({ d: k.privateJwk.d })) }],
  ["a JWKS with two keys with one kid", good, "bad_jwks", { jwks: jwks(jwkOf({}), jwkOf({})) }],
  ["a JWKS without an Ed25519 key", good, "bad_jwks", { jwks: jwks({ kty: "RSA", kid: "r", n: "AQAB", e: "AQAB" }) }],
  ["a JWKS key for encryption", good, "bad_jwks", { jwks: jwks(jwkOf({ use: "enc" })) }],
  ["a JWKS key of another alg", good, "bad_jwks", { jwks: jwks(jwkOf({ alg: "RS256" })) }],
  ["a JWKS key without a kid", good, "bad_jwks", { jwks: jwks(jwkOf({ kid: "" })) }],
  ["a JWKS key of small order (the identity)", good, "bad_jwks", { jwks: jwks(jwkOf({ x: IDENTITY })) }],
  ["a JWKS key whose x is padded", good, "bad_jwks", { jwks: jwks(jwkOf({ x: `${k.jwks.keys[0].x}=` })) }],
  ["a JWKS key whose kid is a number", good, "bad_jwks", { jwks: jwks(jwkOf({ kid: 1 })) }],
  ["not a JWKS", good, "bad_jwks", { jwks: { nokeys: [] } }],
  ["an RSA key beside the Ed25519 key", good, "ok", { jwks: jwks({ kty: "RSA", kid: "r" }, jwkOf({})) }],
];

/** What the package answers: `{code, message}`, code `ok` when it verifies. */
async function viaPackage(token, o = {}) {
  try {
    await Permissions.verify(token, o.jwks ?? k.jwks, {
      audience: o.audience ?? AUDIENCE,
      manifest: crm,
      now: o.now ?? NOW,
      leeway: o.leeway ?? 0,
      clockSkew: o.clockSkew ?? 0,
      issuer: o.issuer,
      tenant: o.tenant,
    });
    return { code: "ok" };
  } catch (e) {
    if (!(e instanceof PermsnapError)) throw e;
    return { code: e.code, message: e.message };
  }
}

let files = 0;
/** What `permsnap verify` answers with the same options: `{code, message}`. */
function viaNative(token, o = {}) {
  const tokenFile = join(k.dir, `token-${files}.txt`);
  const jwksFile = join(k.dir, `jwks-${files++}.json`);
  writeFileSync(tokenFile, token);
  writeFileSync(jwksFile, JSON.stringify(o.jwks ?? k.jwks));
  const args = ["verify", "--token", tokenFile, "--jwks", jwksFile, "--catalog", "smartico-crm",
    "--audience", o.audience ?? AUDIENCE, "--now", new Date(o.now ?? NOW).toISOString(),
    "--leeway", String(o.leeway ?? 0), "--clock-skew", String(o.clockSkew ?? 0)];
  if (o.issuer) args.push("--issuer", o.issuer);
  if (o.tenant) args.push("--tenant", o.tenant);
  const r = spawnSync(bin, args, { encoding: "utf8" });
  const out = JSON.parse(r.stdout);
  assert.equal(r.status === 0, out.error === undefined, r.stdout);
  return out.error ?? { code: "ok" };
}

const answers = [];
test.before(async () => {
  for (const [name, token, want, o] of CASES) answers.push({ name, want, pkg: await viaPackage(token, o), native: viaNative(token, o) });
});

test("every crafted token gets the same code from the package and from permsnap verify", () => {
  const differ = answers.filter((a) => a.pkg.code !== a.want || a.native.code !== a.want);
  assert.deepEqual(differ.map((a) => `${a.name}: package ${a.pkg.code}, native ${a.native.code}, expected ${a.want}`), []);
  const codes = new Set(answers.map((a) => a.want));
  for (const c of ["malformed", "too_large", "bad_signature", "unknown_key", "alg_not_allowed", "typ_mismatch", "crit_unsupported",
    "key_in_header", "expired", "not_yet_valid", "wrong_audience", "wrong_issuer", "wrong_tenant", "unsupported_version", "manifest_mismatch", "bad_jwks", "ok"]) {
    assert.ok(codes.has(c), `a case answers ${c}`);
  }
});

test("a refusal that names values says the same sentence in both rooms", () => {
  // malformed and bad_jwks name the part and why in each room's own words (serde's paths natively)
  const named = answers.filter((a) => !["ok", "malformed", "bad_jwks"].includes(a.want));
  assert.ok(named.length >= 30, `only ${named.length}`);
  for (const a of named) assert.equal(a.pkg.message, a.native.message, a.name);
});

test("the documented differences, and only those: JSON.parse's duplicate members, lone surrogates and 2.0; WebCrypto and a key off the curve", async () => {
  const text = JSON.stringify(claims);
  const headText = JSON.stringify(head);
  const notAPoint = Buffer.concat([Buffer.from([2]), Buffer.alloc(31)]).toString("base64url");
  const documented = [
    // JSON.parse keeps the last of duplicate members; the native reader refuses the text
    ["a member twice in the header", sign(headText.replace("{", '{"alg":"none",'), claims), {}, "malformed", ["ok"]],
    ["a member twice in the payload", sign(head, text.replace("{", '{"sub":"olga",')), {}, "malformed", ["ok"]],
    // a lone surrogate escape: refused natively, read by JSON.parse
    ["a lone surrogate in a signed string", sign(head, text.replace("{", '{"note":"\\ud800",')), {}, "malformed", ["ok"]],
    // JSON.parse cannot tell 2.0 from 2; serde reads 2.0 as a float, where the version is an integer
    ["a whole number written 2.0", sign(head, text.replace('"psnap":{"v":2', '"psnap":{"v":2.0')), {}, "malformed", ["ok"]],
    // 32 bytes that are no curve point: refused natively; Node's WebCrypto imports them, and then nothing verifies
    ["a JWKS key that is not a curve point", good, { jwks: jwks(jwkOf({ x: notAPoint })) }, "bad_jwks", ["bad_signature", "bad_jwks"]],
  ];
  for (const [name, token, o, native, pkg] of documented) {
    assert.equal(viaNative(token, o).code, native, `${name}: native`);
    const got = (await viaPackage(token, o)).code;
    assert.ok(pkg.includes(got), `${name}: package ${got}`);
  }
});
