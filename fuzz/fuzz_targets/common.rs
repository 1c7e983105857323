//! Shared by the fuzz targets: the parity oracle. Whatever a fuzzed input
//! loads into, the snapshot compiled for each user, written as claim text and
//! read back, must answer every check as the server rules do.
#![allow(dead_code)]

use permsnap::engine::Model;
use permsnap::json::Json;
use permsnap::rules::Scalar;
use permsnap::snapshot::{compile, Snapshot};
use permsnap::vectors::parity_agrees;
use permsnap::Resource;

/// 2026-11-23T12:00:00Z
pub const NOW: i64 = 1_795_435_200_000;

/// No resource, an empty one, and one where every attribute a condition of
/// the catalog names has that condition's first value (so conditions hold).
pub fn resources(model: &Model, user: &str) -> Vec<Option<Resource>> {
    let mut full = Resource::new();
    let c = &model.catalog;
    for g in c.roles.iter().chain(&c.additional).chain(&c.restrictions) {
        for r in g.rules.when.iter().take(16) {
            for cond in &r.when {
                let v = match cond.values.first() {
                    Some(Scalar::User) => Scalar::Str(user.to_string()),
                    Some(v) => v.clone(),
                    None => continue,
                };
                full = full.with(&cond.attr, v);
            }
        }
    }
    vec![None, Some(Resource::new()), Some(full)]
}

/// Server rules vs snapshot (compile → claim text → parse → decode) for up
/// to `max_users` users, 8 labels and an unknown one, 64 permissions.
pub fn assert_parity(model: &Model, max_users: usize) {
    for u in model.directory.users.iter().take(max_users) {
        let snap = compile(model, &u.id, NOW, 900).expect("a known user compiles");
        let text = snap.to_claim().to_text();
        let claim = Json::parse(&text).expect("the claim text the issuer writes parses");
        let back = Snapshot::from_claim(&claim, &u.id, snap.expires_at)
            .expect("the claim the issuer writes decodes");
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
                    let server = model.check(&u.id, l, &p.id, r.as_ref(), NOW);
                    let client: permsnap::Decision = back.check(&p.id, l, r.as_ref(), NOW).into();
                    assert!(
                        parity_agrees(&server, &client),
                        "user {} label {l} {} {r:?}: server {server:?}, snapshot {client:?}",
                        u.id,
                        p.id
                    );
                }
            }
        }
    }
}

/// The same answers from a snapshot and from its re-encoding.
pub fn assert_reencodes(s: &Snapshot) {
    let back = Snapshot::from_claim(&s.to_claim(), &s.subject, s.expires_at)
        .expect("a decoded snapshot re-encodes");
    let labels: Vec<u64> = s.labels.iter().map(|l| l.id).take(8).chain([3]).collect();
    let r = Resource::new().with("manager", Scalar::Str(s.subject.clone()));
    for &l in &labels {
        for p in 0..s.permissions.len().min(64) {
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
