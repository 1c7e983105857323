//! Parity through the JavaScript-facing API (`permsnap::wasm`), shared by
//! the wasm tests: verify with parsed `Keys`, map ids to indices once, one
//! `table` per label (as the JS wrapper caches it), `check` for resources.

use permsnap::engine::Decision;
use permsnap::vectors::{CheckCase, Parity, Scenario, SnapshotParity};
use permsnap::wasm::{Keys, Permissions};
use permsnap::Reason;
use std::cell::RefCell;
use std::collections::HashMap;

/// Parity through the exported wasm API.
pub struct WasmParity(pub SnapshotParity);

/// One verified snapshot in wasm.
pub struct Session {
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
