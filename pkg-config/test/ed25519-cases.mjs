// Wycheproof's and CCTV's Ed25519 cases through the package's signature
// path (the byte checks, then WebCrypto Ed25519), shared by the Node test
// and the Chromium page. What strict verification (ed25519-dalek's
// `verify_strict`, the native verifier) answers comes from the files: for
// Wycheproof its `result`, for CCTV its flags, as tests/ed25519_known_answers.rs
// reads them (a strict verifier allows a key or R with a low-order
// component, and nothing else that is flagged).

const hex = (s) => Uint8Array.from(s.match(/../g) ?? [], (b) => parseInt(b, 16));
const STRICT_ALLOWS = ["low_order_component_A", "low_order_component_R"];

/** Every case: `{name, strict, got}`, where `got` is the package's answer. */
export async function runEd25519(verifyEd25519, wycheproof, cctv) {
  const out = [];
  for (const group of wycheproof.testGroups) {
    const pk = hex(group.publicKey.pk);
    for (const c of group.tests) {
      const strict = c.result === "valid";
      const got = await verifyEd25519(pk, hex(c.msg), hex(c.sig));
      out.push({ name: `wycheproof ${c.tcId} (${c.comment})`, strict, got });
    }
  }
  for (const c of cctv) {
    const flags = c.flags ?? [];
    const strict = flags.every((f) => STRICT_ALLOWS.includes(f));
    const got = await verifyEd25519(hex(c.key), new TextEncoder().encode(c.msg), hex(c.sig));
    out.push({ name: `cctv ${c.number} [${flags.join(",")}]`, strict, got });
  }
  return out;
}

/** The cases where the package's answer differs from strict verification, by direction. */
export function differences(results) {
  return {
    // a signature the package accepts and verify_strict refuses: would let a forged token in
    acceptedButNotStrict: results.filter((r) => r.got && !r.strict).map((r) => r.name),
    // refused by the package, accepted by verify_strict: fail closed
    refusedButStrict: results.filter((r) => !r.got && r.strict).map((r) => r.name),
  };
}
