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
#![cfg(all(target_arch = "wasm32", feature = "test-util"))]

use permsnap::testgen::{self, DiffConfig};
use permsnap::vectors::SnapshotParity;
use wasm_bindgen_test::*;

#[path = "common/wasm_parity.rs"]
mod wasm_parity;
use wasm_parity::WasmParity;

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
