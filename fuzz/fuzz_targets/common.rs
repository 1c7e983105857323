//! Shared by the fuzz targets: the parity oracle. Whatever a fuzzed input
//! loads into, the snapshot compiled for each user, written as claim text and
//! read back, with the catalog manifest written as text and read back, must
//! answer every check as the server rules do.
#![allow(dead_code)]

use permsnap::native::engine::{Decision, Model};
use permsnap::native::issue::{compile, ManifestFile};
use permsnap::native::jws::strict_json;
use permsnap::core::rules::Scalar;
use permsnap::core::snapshot::{Manifest, Snapshot, SnapshotClaim};
use permsnap::testing::vectors::{parity_agrees_in, Scenario};
use permsnap::{Resource, Value};
use std::sync::Arc;

/// 2026-11-23T12:00:00Z
pub const NOW: i64 = 1_795_435_200_000;

/// A condition's value as a resource attribute that meets it (`"$user"` is
/// the user's id).
fn attr_value(s: &Scalar, user: &str) -> Value {
    match s {
        Scalar::Str(v) => Value::Str(v.clone()),
        Scalar::Num(n) => Value::Num(*n),
        Scalar::Bool(b) => Value::Bool(*b),
        Scalar::User => Value::Str(user.to_string()),
    }
}

/// No resource, an empty one, and one where every attribute a condition of
/// the catalog names has that condition's first value (so conditions hold).
pub fn resources(model: &Model, user: &str) -> Vec<Option<Resource>> {
    let mut full = Resource::new();
    let c = &model.catalog;
    for g in c.roles.iter().chain(&c.additional).chain(&c.restrictions) {
        for r in g.rules.when.iter().take(16) {
            for cond in &r.when {
                if let Some(v) = cond.values.first() {
                    full = full.with(&cond.attr, attr_value(v, user));
                }
            }
        }
    }
    vec![None, Some(Resource::new()), Some(full)]
}

/// The catalog manifest as a page gets it: the text the issuer serves, read
/// back strictly and hashed, which must give the issuer's hash.
pub fn served_manifest(model: &Model) -> Arc<Manifest> {
    let issued = model.manifest();
    let served =
        ManifestFile::from_text(issued.text()).expect("the manifest text the issuer writes reads");
    assert_eq!(served.hash(), issued.hash(), "the served manifest's hash");
    Arc::clone(served.manifest())
}

/// A claim written as the issuer writes it and read back as a verifier does.
pub fn reread(claim: &SnapshotClaim) -> SnapshotClaim {
    let text = serde_json::to_string(claim).expect("a claim is written");
    let back: SnapshotClaim =
        strict_json(text.as_bytes(), "the claim").expect("the claim text the issuer writes reads");
    assert_eq!(&back, claim, "the claim reads back as written: {text}");
    back
}

/// [`assert_parity_in`] for `model` at [`NOW`].
pub fn assert_parity(model: &Model, max_users: usize) {
    let scenario = Scenario {
        model: model.clone(),
        now: NOW,
        checks: Vec::new(),
        admin: Vec::new(),
        sso: Vec::new(),
    };
    assert_parity_in(&scenario, max_users);
}

/// Server rules vs snapshot (compile → claim text → read → check against the
/// manifest read from its text) for up to `max_users` users, 8 labels and
/// two unknown ones, 64 permissions, at the scenario's `now`; compared as
/// `docs/rules.md` "Parity" says ([`parity_agrees_in`]).
pub fn assert_parity_in(scenario: &Scenario, max_users: usize) {
    let model = &scenario.model;
    let now = scenario.now;
    let manifest = served_manifest(model);
    for u in model.directory.users.iter().take(max_users) {
        let compiled = compile(model, &u.id, now, 900).expect("a known user compiles");
        let claim = reread(&compiled.claim);
        let back = Snapshot::new(
            Arc::clone(&manifest),
            claim,
            u.id.clone(),
            compiled.expires_at,
        )
        .expect("the claim the issuer writes checks against its manifest");
        let labels: Vec<u64> = model
            .directory
            .labels
            .iter()
            .map(|l| l.id)
            .take(8)
            .chain([3, 4444])
            .collect();
        let resources = resources(model, &u.id);
        for &l in &labels {
            for p in model.catalog.permissions.iter().take(64) {
                for r in &resources {
                    let server = model.check(&u.id, l, &p.id, r.as_ref(), now);
                    let client: Decision = back.check(&p.id, l, r.as_ref(), now).into();
                    assert!(
                        parity_agrees_in(scenario, &u.id, &server, &client),
                        "user {} label {l} {} {r:?}: server {server:?}, snapshot {client:?}",
                        u.id,
                        p.id
                    );
                }
            }
        }
    }
}

/// A verified claim re-encodes: written and read back, it checks against
/// the same manifest and gives the same answers (reason and `by`) as the
/// snapshot `s` built from it.
pub fn assert_reencodes(s: &Snapshot, manifest: &Arc<Manifest>, claim: &SnapshotClaim) {
    let back = Snapshot::new(
        Arc::clone(manifest),
        reread(claim),
        s.subject().to_string(),
        s.expires_at(),
    )
    .expect("a claim that checked re-encodes into one that checks");
    let labels: Vec<u64> = s.labels().iter().map(|l| l.id).take(8).chain([3]).collect();
    let r = Resource::new().with("manager", Value::Str(s.subject().to_string()));
    for &l in &labels {
        for p in 0..s.manifest().permissions().len().min(64) {
            for res in [None, Some(&r)] {
                let a = s.check_index(p, l, res, NOW);
                let b = back.check_index(p, l, res, NOW);
                assert_eq!(
                    (a.reason, a.by),
                    (b.reason, b.by),
                    "label {l} permission {p}"
                );
                let _ = s.message(&a);
            }
        }
        let _ = s.allowed(l, NOW);
    }
}
