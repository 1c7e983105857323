//! Every vector file through the JavaScript-facing API (`permsnap::wasm`),
//! compiled to wasm and run by `wasm-bindgen-test-runner` in Node and in
//! headless Chromium: for every check, the snapshot issued at the vector's
//! `now` and verified in wasm must answer as the server rules do.
#![cfg(target_arch = "wasm32")]

use permsnap::vectors::{run_texts, SnapshotParity};
use wasm_bindgen_test::*;

#[path = "common/wasm_parity.rs"]
mod wasm_parity;
use wasm_parity::WasmParity;

include!(concat!(env!("OUT_DIR"), "/vectors.rs"));

#[wasm_bindgen_test]
fn every_vector_check_answers_in_wasm_as_the_server_rules_do() {
    let parity = WasmParity(SnapshotParity::new().unwrap());
    let (passed, failures) = run_texts(VECTOR_FILES.iter().copied(), &parity);
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(passed >= 500, "only {passed} cases");
}
