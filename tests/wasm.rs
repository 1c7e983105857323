//! Every vector file through the JavaScript-facing API (`permsnap::wasm`),
//! compiled to wasm and run by `wasm-bindgen-test-runner` in Node and in
//! headless Chromium: for every check, the snapshot issued at the vector's
//! `now` and verified in wasm must answer as the server rules do.
#![cfg(target_arch = "wasm32")]

use permsnap::engine::Decision;
use permsnap::vectors::{run_texts, CheckCase, Parity, Scenario, SnapshotParity};
use permsnap::wasm::{Keys, Permissions};
use permsnap::Reason;
use wasm_bindgen_test::*;

include!(concat!(env!("OUT_DIR"), "/vectors.rs"));

/// Parity through the exported API: `verify`, `permissionIds`, `table`, `check`, `sourceId`.
struct WasmParity(SnapshotParity);

struct Session {
    perms: Permissions,
    ids: Vec<String>,
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
        let ids = perms
            .permission_ids()
            .split(',')
            .map(str::to_string)
            .collect();
        Ok(Session { perms, ids })
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
            // the hot path: one table per label
            None => s.perms.table(c.label as f64, now)[p],
            Some(_) => {
                let json = resource_json(c);
                s.perms.check(p as u32, c.label as f64, Some(json), now)
            }
        };
        Ok(unpack(s, packed))
    }
}

fn resource_json(c: &CheckCase) -> String {
    // The resource object as JS would send it (JSON.stringify).
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
