// Parity through the shipped package, shared by the Node test and the
// Chromium page: every session of a samples file (`permsnap samples`) is
// verified with `Permissions.verify` at its `now`, and every check must be
// answered as the server did (docs/rules.md, "Parity"): equal `allowed`,
// `reason` and `by`, except that a label the snapshot does not know may be
// `no_label_access` where the server says `unknown_label`, and any answer
// may be `expired` when the snapshot says `d: "expired"` while the server
// does not: `exp` is whole seconds rounded down, so a user whose access
// ends less than a second after `now` is already expired in the snapshot
// (never later than on the server; src/testing/vectors.rs `parity_agrees_in`).

function claimOf(token) {
  const b64 = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)))).psnap;
}

/** Whether the package's answer `got` agrees with the server's `want` under the parity rule. */
export function agrees(want, got, claim) {
  const sameBy = (want.by ?? null) === (got.by ?? null);
  if (got.allowed === want.allowed && got.reason === want.reason && sameBy) return true;
  if (want.reason === "unknown_label" && got.reason === "no_label_access" && !got.allowed) return true;
  return want.reason !== "expired" && claim.d === "expired" && got.reason === "expired" && !got.allowed;
}

/** Runs every session of `samples` through `Permissions`; `{sessions, checks, failures}`. */
export async function runParity(samples, Permissions) {
  const failures = [];
  let checks = 0;
  let sessions = 0;
  for (const s of samples.sessions) {
    let perms;
    try {
      perms = await Permissions.verify(s.token, samples.jwks, {
        audience: samples.audience,
        manifest: samples.manifests[s.manifest],
        now: s.now,
      });
    } catch (e) {
      failures.push(`${s.name}: verify failed: ${e.code ?? e.name}: ${e.message}`);
      continue;
    }
    const claim = claimOf(s.token);
    for (const c of s.checks) {
      const got = perms.explain(c.action, c.label, c.resource);
      const can = perms.can(c.action, c.label, c.resource);
      checks++;
      const where = `${s.name}: ${c.action} in ${c.label}${c.resource ? ` on ${JSON.stringify(c.resource)}` : ""}`;
      if (!agrees(c, got, claim)) {
        failures.push(`${where}: server ${JSON.stringify({ allowed: c.allowed, reason: c.reason, by: c.by })}, package ${JSON.stringify(got)}`);
      }
      if (can !== got.allowed) failures.push(`${where}: can() says ${can}, explain() says ${got.allowed}`);
    }
    perms.dispose();
    sessions++;
  }
  return { sessions, checks, failures };
}
