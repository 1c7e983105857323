//! Every vector file through the server rules and, for every check, through
//! issue → verify → check (parity); plus coverage of the reason and error
//! codes, so that a vector set that silently stopped covering something fails.

use permsnap::native::admin::AdminReason;
use permsnap::native::sso::{SsoOutcome, SsoReason};
use permsnap::testing::vectors::{run_texts, SnapshotParity, VectorFile};
use permsnap::{LoadErrorKind, Reason};
use std::collections::HashSet;

/// Every vector file: (name, text).
pub fn vector_texts() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

fn load_all() -> Vec<(String, VectorFile)> {
    vector_texts()
        .into_iter()
        .map(|(name, text)| {
            let vf = VectorFile::from_text(&text, &name).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, vf)
        })
        .collect()
}

#[test]
fn every_vector_case_passes_on_the_server_and_through_a_snapshot() {
    let texts = vector_texts();
    let (passed, failures) = run_texts(
        texts.iter().map(|(n, t)| (n.as_str(), t.as_str())),
        &SnapshotParity::new(),
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(texts.len() >= 40, "only {} vector files", texts.len());
    assert!(passed >= 500, "only {passed} cases");
}

#[test]
fn vectors_cover_every_reason_and_every_load_error_code() {
    let (mut checks, mut admin, mut sso, mut load) = (
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
        HashSet::new(),
    );
    for (_, vf) in load_all() {
        if let Some(code) = &vf.expect_error {
            load.insert(code.clone());
        }
        if let Ok(s) = &vf.loaded {
            checks.extend(s.checks.iter().filter_map(|c| c.reason));
            admin.extend(s.admin.iter().filter_map(|c| c.reason));
            for c in &s.sso {
                match &c.expect {
                    SsoOutcome::Rejected(r) | SsoOutcome::InvalidConfig(r) => {
                        sso.insert(*r);
                    }
                    _ => {}
                }
            }
        }
    }
    let missing_checks: Vec<_> = Reason::ALL.iter().filter(|r| !checks.contains(r)).collect();
    let missing_admin: Vec<_> = AdminReason::ALL
        .iter()
        .filter(|r| !admin.contains(r))
        .collect();
    let missing_sso: Vec<_> = SsoReason::ALL.iter().filter(|r| !sso.contains(r)).collect();
    // json_syntax cannot be written inside a JSON vector file; io and too_large are not file contents.
    let untestable = ["json_syntax", "io", "too_large"];
    let missing_load: Vec<_> = LoadErrorKind::ALL
        .iter()
        .map(|k| k.code())
        .filter(|c| !untestable.contains(c) && !load.contains(*c))
        .collect();
    assert!(
        missing_checks.is_empty(),
        "check reasons without a vector: {missing_checks:?}"
    );
    assert!(
        missing_admin.is_empty(),
        "admin reasons without a vector: {missing_admin:?}"
    );
    assert!(
        missing_sso.is_empty(),
        "SSO reasons without a vector: {missing_sso:?}"
    );
    assert!(
        missing_load.is_empty(),
        "load error codes without a vector: {missing_load:?}"
    );
}

#[test]
fn preset_vectors_name_every_role_additional_and_restriction_role_as_by() {
    let mut by: HashSet<(String, String)> = HashSet::new();
    for (_, vf) in load_all() {
        if let Ok(s) = &vf.loaded {
            for c in &s.checks {
                if let Some(b) = &c.by {
                    by.insert((s.model.catalog.id.clone(), b.clone()));
                }
            }
        }
    }
    let mut missing = Vec::new();
    for (id, _) in permsnap::native::presets::PRESETS {
        let c = permsnap::native::presets::preset(id).unwrap();
        for g in c.roles.iter().chain(&c.additional).chain(&c.restrictions) {
            if !by.contains(&(c.id.clone(), g.id.clone())) {
                missing.push(format!("{id}/{}", g.id));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "never named as `by` in a vector: {missing:?}"
    );
}

#[test]
fn a_vector_that_expects_the_wrong_answer_is_reported_with_file_case_expected_and_got() {
    let text = r#"{"description":"wrong on purpose","catalog":"smartico-crm",
      "directory":{"labels":[{"id":1,"name":"L","suffix":"l"}],
        "users":[{"id":"u1","username":"a@l","email":"a@x.com","home_label":1,"access":{"1":{"roles":["crm_support"]}}}]},
      "now":"2026-11-23T12:00:00Z",
      "checks":[{"user":"u1","label":1,"action":"player.give_bonus","expect":"deny","reason":"not_granted"}]}"#;
    let r = VectorFile::from_text(text, "wrong.json")
        .unwrap()
        .run(&SnapshotParity::new());
    assert_eq!(r.passed, 0);
    assert_eq!(r.failures.len(), 1);
    assert_eq!(r.failures[0].case, "checks[0]");
    assert_eq!(r.failures[0].expected, "deny not_granted");
    assert_eq!(r.failures[0].got, "allow granted by crm_support");
}
