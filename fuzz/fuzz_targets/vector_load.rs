//! Vector file loading on any input; a file that loads is run through the
//! server rules (checks, admin, SSO) and the snapshot path, as `permsnap
//! conformance` does. Wrong expectations are failures, never panics.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use permsnap::testing::vectors::{SnapshotParity, VectorFile};
use std::sync::OnceLock;

fn parity() -> &'static SnapshotParity {
    static P: OnceLock<SnapshotParity> = OnceLock::new();
    P.get_or_init(SnapshotParity::new)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(vf) = VectorFile::from_text(text, "fuzz.json") else {
        return;
    };
    let report = vf.run(parity());
    assert!(report.passed + report.failures.len() >= vf.case_count().min(1));
    if let Ok(s) = &vf.loaded {
        if s.model.directory.users.len() <= 16 {
            common::assert_parity_in(s, 4);
        }
    }
});
