//! Differential testing: seeded random catalogs, directories and checks
//! (`permsnap::testing::testgen`) through the server rules and through issue → verify
//! → check of a snapshot; every answer must agree (`docs/rules.md`, "Parity").
//!
//! The CI-sized run is 100,000 checks (`PERMSNAP_DIFF_CHECKS` scales it;
//! `PERMSNAP_DIFF_SEED` changes the seed). The large run is the CLI:
//! `cargo run --release --features cli --bin permsnap -- differential --seed 1 --checks 1000000`.
//! A disagreement is minimized and written to `target/differential/`.

use permsnap::native::engine::Decision;
use permsnap::testing::testgen::{self, DiffConfig};
use permsnap::testing::vectors::{CheckCase, Parity, Scenario, SnapshotParity, VectorFile};
use permsnap::Reason;
use serde_json::Value as Json;
use std::collections::HashSet;
use std::sync::Arc;

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn server_rules_and_snapshots_agree_on_100k_random_checks() {
    let checks = env_u64("PERMSNAP_DIFF_CHECKS", 100_000);
    let cfg = DiffConfig::new(env_u64("PERMSNAP_DIFF_SEED", 20_261_123), checks);
    let parity = SnapshotParity::new();
    let started = std::time::Instant::now();
    let report = testgen::differential(&parity, &cfg);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/differential");
    let mut messages = Vec::new();
    for f in &report.failures {
        let file = if f.vector.is_empty() {
            String::new()
        } else {
            format!(" -> {}", f.write_to(&out).unwrap().display())
        };
        messages.push(format!("{}{file}\n{}", f.message, f.vector));
    }
    println!(
        "differential (native): seed {}, {} scenarios, {} checks, {} compared, {} server-only, {} disagreements, {:.1} s",
        cfg.seed,
        report.scenarios,
        report.checks,
        report.compared,
        report.server_only,
        report.failures.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(messages.is_empty(), "{}", messages.join("\n\n"));
    assert_eq!(report.checks, checks);
    assert!(
        report.compared >= checks * 9 / 10,
        "only {} compared",
        report.compared
    );
}

#[test]
fn the_generator_is_reproducible_from_its_seed() {
    let text = |seed| serde_json::to_string(&testgen::generate(seed, 50)).unwrap();
    assert_eq!(text(42), text(42));
    assert_ne!(text(42), text(43));
}

/// The generated scenarios must reach every corner the issue names, or a
/// green run would prove little: every reason on the server side, conditions
/// that hold, fail and cannot be evaluated, inheritance, wildcards, sections,
/// QA and closed labels, owners, disabled and expired users.
#[test]
fn generated_scenarios_cover_every_reason_and_every_input_shape() {
    let mut reasons = HashSet::new();
    let mut bys = HashSet::new();
    let mut shapes = HashSet::new();
    for i in 0..300 {
        let doc = testgen::generate(testgen::scenario_seed(9, i), 100);
        let text = serde_json::to_string(&doc).unwrap();
        for (needle, shape) in [
            ("\"inherits\"", "inherits"),
            (".*\"", "wildcard"),
            ("\"*\"", "star"),
            ("{\"section\"", "section grant"),
            ("\"when\"", "condition"),
            ("\"not_in\"", "not_in"),
            ("\"qa\":true", "qa label"),
            ("\"closed\":true", "closed label"),
            ("\"owner\":true", "owner"),
            ("\"disabled\"", "disabled user"),
            ("\"single_role\":true", "single_role"),
            ("\"denies\"", "direct or restriction denies"),
        ] {
            if text.contains(needle) {
                shapes.insert(shape);
            }
        }
        let s = testgen::load(&doc).unwrap();
        for c in &s.checks {
            let d = s
                .model
                .check(&c.user, c.label, &c.action, c.resource.as_ref(), s.now);
            reasons.insert(d.reason);
            if let Some(b) = d.by {
                bys.insert(b.chars().next().unwrap());
            }
        }
    }
    let missing: Vec<_> = Reason::ALL
        .iter()
        .filter(|r| !reasons.contains(r))
        .collect();
    assert!(missing.is_empty(), "reasons never produced: {missing:?}");
    // by: roles (r..), additional (a..), restriction roles (x..), direct (d)
    for b in ['r', 'a', 'x', 'd'] {
        assert!(bys.contains(&b), "`by` never starts with {b}: {bys:?}");
    }
    assert_eq!(shapes.len(), 12, "shapes seen: {shapes:?}");
}

/// A snapshot side with a planted bug: it drops every conditional grant and
/// deny of the manifest and of the snapshot claim it verified, as a broken
/// encoder would.
struct DropsConditions(SnapshotParity);

impl Parity for DropsConditions {
    type Session = permsnap::Snapshot;
    fn open(&self, s: &Scenario, user: &str) -> Result<permsnap::Snapshot, String> {
        let token = self.0.token(s, user)?;
        let jwks = permsnap::Jwks::from_json_text(&self.0.jwks().to_string()).unwrap();
        let v = permsnap::verify(
            &token,
            &jwks,
            &permsnap::VerifyOptions::new("backoffice", s.now),
        )
        .map_err(|e| e.to_string())?;
        let manifest = s.model.manifest().manifest();
        let mut data = manifest.data().clone();
        for src in &mut data.sources {
            src.rules.when.clear();
        }
        let broken = Arc::new(permsnap::Manifest::new(data, manifest.hash().to_string()).unwrap());
        let mut claim = v.claim.clone();
        for rules in &mut claim.direct {
            rules.when.clear();
        }
        permsnap::Snapshot::new(
            broken,
            claim,
            v.claims.sub.clone(),
            v.claims.exp.secs() * 1000,
        )
        .map_err(|e| e.to_string())
    }
    fn check(
        &self,
        snap: &permsnap::Snapshot,
        s: &Scenario,
        c: &CheckCase,
    ) -> Result<Decision, String> {
        self.0.check(snap, s, c)
    }
}

/// A snapshot side that flips one answer: `granted` by a role to a deny.
struct FlipsRoleGrants(SnapshotParity);

impl Parity for FlipsRoleGrants {
    type Session = permsnap::Snapshot;
    fn open(&self, s: &Scenario, user: &str) -> Result<permsnap::Snapshot, String> {
        self.0.open(s, user)
    }
    fn check(
        &self,
        snap: &permsnap::Snapshot,
        s: &Scenario,
        c: &CheckCase,
    ) -> Result<Decision, String> {
        let d = self.0.check(snap, s, c)?;
        if d.reason == Reason::Granted && d.by.as_deref().is_some_and(|b| b.starts_with('r')) {
            return Ok(Decision {
                allowed: false,
                reason: Reason::NotGranted,
                by: None,
            });
        }
        Ok(d)
    }
}

fn planted<P: Parity>(parity: &P, name: &str) -> (Json, String) {
    let mut cfg = DiffConfig::new(77, 20_000);
    cfg.max_failures = 1;
    let report = testgen::differential(parity, &cfg);
    assert_eq!(
        report.failures.len(),
        1,
        "{name}: the planted bug was missed"
    );
    let f = &report.failures[0];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/differential-planted")
        .join(name);
    let path = f.write_to(&dir).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    (serde_json::from_str(&text).unwrap(), text)
}

fn assert_minimized_and_reproducing<P: Parity>(parity: &P, name: &str) {
    let (doc, text) = planted(parity, name);
    let vf = VectorFile::from_text(&text, name).unwrap();
    let s = vf.loaded.as_ref().expect("the written file loads");
    // minimized: one check, one user, nothing left that could be dropped
    assert_eq!(s.checks.len(), 1, "{text}");
    assert_eq!(s.model.directory.users.len(), 1, "{text}");
    assert!(s.model.directory.labels.len() <= 2, "{text}");
    let c = doc.get("catalog").unwrap();
    let count = |k: &str| c.get(k).and_then(Json::as_array).map_or(0, |a| a.len());
    assert!(
        count("roles") + count("additional") + count("restrictions") <= 3,
        "{text}"
    );
    // it reproduces: the broken side fails it, the real one passes it
    let broken = vf.run(parity);
    assert_eq!(broken.failures.len(), 1, "{text}");
    assert_eq!(broken.failures[0].case, "checks[0] (snapshot)");
    let real = vf.run(&SnapshotParity::new());
    assert!(real.failures.is_empty(), "{:?}", real.failures);
    assert_eq!(real.passed, 1);
}

#[test]
fn a_snapshot_that_drops_conditions_is_caught_and_minimized_into_a_reproducing_vector_file() {
    assert_minimized_and_reproducing(&DropsConditions(SnapshotParity::new()), "drops");
}

#[test]
fn a_snapshot_that_flips_one_answer_is_caught_and_minimized_into_a_reproducing_vector_file() {
    assert_minimized_and_reproducing(&FlipsRoleGrants(SnapshotParity::new()), "flips");
}
