//! The JavaScript boundary: the only module that touches `wasm_bindgen`.
//!
//! It stays thin and cheap to cross. Verification errors come back as a
//! thrown string `code<TAB>message`, which the JS wrapper
//! (`pkg-config/permsnap.js`) turns into a `PermsnapError` with `code`.
//! The hot path never passes a string: the wrapper maps action ids to
//! indices once ([`Permissions::permission_ids`]) and asks for one label's
//! whole answer table at a time ([`Permissions::table`]); strings cross only
//! for `explain` and scoped checks. Timers live in the wrapper too, so this
//! module needs no callbacks; checks compare the time themselves, so a late
//! timer can never allow.

use crate::json::Json;
use crate::rules::{Reason, Verdict};
use crate::snapshot::jws::{verify, Jwks, Verified};
use crate::snapshot::resource_from_json;
use crate::snapshot::VerifyOptions;
use crate::text::cat;
use wasm_bindgen::prelude::*;

// A free-list allocator of a few hundred bytes instead of dlmalloc's
// eight kilobytes: the browser build allocates little, in small pieces.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

fn fail(code: &str, message: &str) -> JsValue {
    JsValue::from_str(&cat(&[code, "\t", message]))
}

/// A parsed JWKS: parse once, verify many tokens (parsing decompresses each
/// key, a good part of a verify's cost).
#[wasm_bindgen]
pub struct Keys {
    jwks: Jwks,
}

#[wasm_bindgen]
impl Keys {
    /// Parses a JWKS text; throws `code\tmessage` (`bad_jwks`).
    pub fn parse(jwks: &str) -> Result<Keys, JsValue> {
        Jwks::from_json_text(jwks)
            .map(|jwks| Keys { jwks })
            .map_err(|e| fail(e.code(), &e.message))
    }
}

/// A verified snapshot, as JavaScript holds it.
#[wasm_bindgen]
pub struct Permissions {
    v: Verified,
}

/// `a,b,c` (a hand loop: `[T]::join` costs a kilobyte of wasm per use).
fn join<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for (i, s) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(s);
    }
    out
}

fn reason_index(r: Reason) -> u32 {
    Reason::ALL
        .iter()
        .position(|x| *x == r)
        .map_or(u32::MAX, |i| i as u32)
}

/// A verdict packed in one number: reason index in the low byte, and the
/// index + 1 of the source `by` names above it (0 for none).
fn pack(snapshot: &crate::snapshot::Snapshot, v: &Verdict<'_>) -> u32 {
    let by =
        v.by.and_then(|b| snapshot.sources.iter().position(|s| s.id == b))
            .map_or(0, |i| i as u32 + 1);
    reason_index(v.reason) | (by << 8)
}

#[wasm_bindgen]
impl Permissions {
    /// Verifies `token` against parsed `keys`; throws `code\tmessage`.
    #[wasm_bindgen(js_name = verify)]
    pub fn verify_token(
        token: &str,
        keys: &Keys,
        audience: &str,
        issuer: Option<String>,
        leeway_secs: f64,
        now_ms: f64,
        max_len: u32,
    ) -> Result<Permissions, JsValue> {
        let opts = VerifyOptions {
            audience: audience.to_string(),
            issuer,
            leeway_secs: leeway_secs as i64,
            now: now_ms as i64,
            max_len: max_len as usize,
        };
        verify(token, &keys.jwks, &opts)
            .map(|v| Permissions { v })
            .map_err(|e| fail(e.code(), &e.message))
    }

    /// The permission ids, in snapshot order, joined by `,`.
    #[wasm_bindgen(js_name = permissionIds)]
    pub fn permission_ids(&self) -> String {
        join(self.v.snapshot.permissions.iter().map(String::as_str))
    }

    /// One label's packed verdicts for every permission, without a resource, at `now`.
    pub fn table(&self, label: f64, now_ms: f64) -> Vec<u32> {
        let s = &self.v.snapshot;
        (0..s.permissions.len())
            .map(|p| pack(s, &s.check_index(p, label as u64, None, now_ms as i64)))
            .collect()
    }

    /// One packed verdict, with an optional resource as JSON text.
    pub fn check(
        &self,
        permission: u32,
        label: f64,
        resource_json: Option<String>,
        now_ms: f64,
    ) -> u32 {
        let s = &self.v.snapshot;
        // A resource that is not a JSON object has no attributes: every
        // condition on it cannot be evaluated (grants fail, denies apply).
        let resource = resource_json.map(|text| {
            Json::parse(&text)
                .ok()
                .and_then(|j| resource_from_json(&j))
                .unwrap_or_default()
        });
        pack(
            s,
            &s.check_index(
                permission as usize,
                label as u64,
                resource.as_ref(),
                now_ms as i64,
            ),
        )
    }

    /// The reason codes, in the order of packed reason indices, joined by `,`.
    #[wasm_bindgen(js_name = reasonCodes)]
    pub fn reason_codes() -> String {
        join(Reason::ALL.iter().map(|r| r.code()))
    }

    /// The id (`by`) of source `i`.
    #[wasm_bindgen(js_name = sourceId)]
    pub fn source_id(&self, i: u32) -> String {
        self.v
            .snapshot
            .sources
            .get(i as usize)
            .map(|s| s.id.clone())
            .unwrap_or_default()
    }

    /// The message a person reads for a packed verdict.
    pub fn message(&self, packed: u32) -> String {
        let reason = Reason::ALL
            .get((packed & 0xff) as usize)
            .copied()
            .unwrap_or(Reason::NotGranted);
        let title = (packed >> 8)
            .checked_sub(1)
            .and_then(|i| self.v.snapshot.sources.get(i as usize))
            .map(|s| s.title.as_str());
        reason.message(title)
    }

    /// The user the snapshot is for (`sub`).
    #[wasm_bindgen(getter)]
    pub fn subject(&self) -> String {
        self.v.claims.sub.clone()
    }

    /// The catalog id.
    #[wasm_bindgen(getter)]
    pub fn catalog(&self) -> String {
        self.v.snapshot.catalog.clone()
    }

    /// The key id that signed it.
    #[wasm_bindgen(getter)]
    pub fn kid(&self) -> String {
        self.v.kid.clone()
    }

    /// When every check starts to deny, in milliseconds since the epoch.
    #[wasm_bindgen(getter, js_name = expiresAtMs)]
    pub fn expires_at_ms(&self) -> f64 {
        self.v.snapshot.expires_at as f64
    }

    /// The labels the snapshot knows, ascending.
    #[wasm_bindgen(getter)]
    pub fn labels(&self) -> Vec<f64> {
        self.v.snapshot.labels.iter().map(|l| l.id as f64).collect()
    }
}
