//! Differential testing through the wasm package's exported API: seeded
//! random scenarios (`permsnap::testgen`, the same generator as the native
//! `tests/differential.rs`), each check decided by the server rules (compiled
//! to wasm too) and by a snapshot issued, then verified and asked through
//! `permsnap::wasm::Permissions` (`verify`, `permissionIds`, `table`,
//! `check`, `sourceId`), as `tests/wasm.rs` does for the vector files.
//!
//! 10,000 checks in the test command; the count is read when the test is
//! compiled: `PERMSNAP_DIFF_CHECKS=100000 WASM_BINDGEN_TEST_ONLY_NODE=1
//! cargo test --target wasm32-unknown-unknown --features wasm,testgen --test wasm_differential`.
//! A disagreement is minimized; wasm has no file system, so the vector file
//! is printed in the failure message (and `permsnap differential` with the
//! scenario seed reproduces the scenario natively).
#![cfg(all(target_arch = "wasm32", feature = "testgen"))]

use permsnap::engine::Decision;
use permsnap::testgen::{self, DiffConfig};
use permsnap::vectors::{CheckCase, Parity, Scenario, SnapshotParity};
use permsnap::wasm::{Keys, Permissions};
use permsnap::Reason;
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen_test::*;

struct WasmParity(SnapshotParity);

struct Session {
    perms: Permissions,
    ids: Vec<String>,
    // one `table` per label, as the JS wrapper caches it
    tables: RefCell<HashMap<u64, Vec<u32>>>,
}

fn unpack(s: &Session, packed: u32) -> Decision {
    let reason = Reason::ALL[(packed & 0xff) as usize];
    let by = (packed >> 8).checked_sub(1).map(|i| s.perms.source_id(i));
    Decision {
        allowed: reason.allows(),
        reason,
        by,
    }
}

fn resource_json(c: &CheckCase) -> String {
    use permsnap::json::Json;
    let fields = c.resource.iter().flat_map(|r| r.iter()).map(|(k, v)| {
        let value = match v {
            permsnap::Scalar::Str(s) => Json::Str(s.clone()),
            permsnap::Scalar::Num(n) => Json::Num(*n),
            permsnap::Scalar::Bool(b) => Json::Bool(*b),
            permsnap::Scalar::User => Json::Str("$user".into()),
        };
        (k.to_string(), value)
    });
    Json::Obj(fields.collect()).to_text()
}

impl Parity for WasmParity {
    type Session = Session;
    fn open(&self, scenario: &Scenario, user: &str) -> Result<Session, String> {
        let token = self.0.token(scenario, user)?;
        let perms = Permissions::verify_token(
            &token,
            &Keys::parse(&self.0.jwks_text()).map_err(|e| format!("{e:?}"))?,
            "backoffice",
            None,
            0.0,
            scenario.now as f64,
            65536,
        )
        .map_err(|e| format!("{e:?}"))?;
        let ids = if perms.permission_ids().is_empty() {
            Vec::new()
        } else {
            perms
                .permission_ids()
                .split(',')
                .map(str::to_string)
                .collect()
        };
        Ok(Session {
            perms,
            ids,
            tables: RefCell::new(HashMap::new()),
        })
    }
    fn check(&self, s: &Session, scenario: &Scenario, c: &CheckCase) -> Result<Decision, String> {
        let Some(p) = s.ids.iter().position(|id| *id == c.action) else {
            return Ok(Decision {
                allowed: false,
                reason: Reason::UnknownAction,
                by: None,
            });
        };
        let now = scenario.now as f64;
        let packed = match &c.resource {
            None => s
                .tables
                .borrow_mut()
                .entry(c.label)
                .or_insert_with(|| s.perms.table(c.label as f64, now))[p],
            Some(_) => s
                .perms
                .check(p as u32, c.label as f64, Some(resource_json(c)), now),
        };
        Ok(unpack(s, packed))
    }
}

#[wasm_bindgen_test]
fn server_rules_and_wasm_snapshots_agree_on_random_checks() {
    let checks = option_env!("PERMSNAP_DIFF_CHECKS")
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let seed = option_env!("PERMSNAP_DIFF_SEED")
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_124);
    let cfg = DiffConfig::new(seed, checks);
    let report = testgen::differential(&WasmParity(SnapshotParity::new().unwrap()), &cfg);
    let failures: Vec<String> = report
        .failures
        .iter()
        .map(|f| format!("{}\n--- {} ---\n{}", f.message, f.file_name(), f.vector))
        .collect();
    console_log!(
        "differential (wasm): seed {}, {} scenarios, {} checks, {} compared, {} server-only, {} disagreements",
        seed,
        report.scenarios,
        report.checks,
        report.compared,
        report.server_only,
        report.failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert_eq!(report.checks, checks);
    assert!(report.compared >= checks * 9 / 10);
}
