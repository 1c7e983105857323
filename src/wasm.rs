//! The JavaScript boundary (feature `wasm`): the only module that touches
//! `wasm_bindgen`. It owns no rule: the header, key, claim and snapshot
//! rules and every decision are the browser core's ([`crate::snapshot`],
//! [`crate::rules`]); this module converts values at the border, nothing
//! more. It must not verify signatures (WebCrypto does, in the package's
//! JS), read the clock (every call takes `now`), or panic.
//!
//! What crosses, and how (`pkg-config/README.md`, "Design notes"):
//!
//! * parsed JSON (a header, a JWKS, a payload, a manifest) comes in as the
//!   JS objects `JSON.parse` made, read into the core's serde types through
//!   [`de::Js`] (one definition of the format, for both rooms);
//! * errors go out as plain objects `{code, message}` (the glue throws
//!   them), which the JS wrapper turns into `PermsnapError`; anything else
//!   thrown (a trap, a bug) is not such an object and stays what it is;
//! * checks never carry a string: the wrapper maps action ids to indices
//!   once, asks for a label's whole answer table at once ([`Checker::table`]),
//!   and for a scoped check writes the resource's attributes into typed
//!   slots in wasm memory ([`Checker::slots_ptr`]), strings interned to
//!   indices, before [`Checker::check`] reads them.

use crate::error::{KeyError, VerifyError};
use crate::rules::{AttrValue, PermSet, Reason, ResourceView, Verdict};
use crate::snapshot::claim::SnapshotClaim;
use crate::snapshot::keys::{strict_signature_prechecks, JwkSet};
use crate::snapshot::token::{ClaimRules, Claims, Header};
use crate::snapshot::{Manifest as CoreManifest, ManifestData, Snapshot};
use js_sys::{Array, Object, Reflect, Uint8Array};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::sync::Arc;
use wasm_bindgen::prelude::*;

pub mod de;

// A free-list allocator of a few hundred bytes instead of dlmalloc's eight
// kilobytes: the browser build allocates little, in small pieces.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());

// ---------------------------------------------------------------- errors

/// The error object every failing export throws: `{code, message}`, a
/// plain object (not an `Error`), so that the wrapper can tell it from a
/// foreign throw.
fn error_object(code: &str, message: &str) -> JsValue {
    let o = Object::new();
    // Setting a property of a fresh plain object cannot fail.
    let _ = Reflect::set(&o, &JsValue::from_str("code"), &JsValue::from_str(code));
    let _ = Reflect::set(
        &o,
        &JsValue::from_str("message"),
        &JsValue::from_str(message),
    );
    o.into()
}

fn verify_error(e: VerifyError) -> JsValue {
    error_object(e.code(), &e.to_string())
}

fn key_error(e: KeyError) -> JsValue {
    error_object(e.code(), &e.to_string())
}

/// Reads a core serde type from a parsed JSON value (`malformed` when it
/// is not one); `what` names the part in the message.
fn read<T: DeserializeOwned>(value: JsValue, what: &str) -> Result<T, JsValue> {
    T::deserialize(de::Js(value)).map_err(|e| {
        verify_error(VerifyError::malformed(format!(
            "{what} is not what permsnap reads: {e}"
        )))
    })
}

// ---------------------------------------------------------------- codes

/// Every reason code, in the order of the reason indices checks answer with.
#[wasm_bindgen(js_name = reasonCodes)]
pub fn reason_codes() -> Vec<String> {
    Reason::ALL.iter().map(|r| r.code().to_string()).collect()
}

/// Every code a refused token can have (`VerifyError::CODES`).
#[wasm_bindgen(js_name = verifyErrorCodes)]
pub fn verify_error_codes() -> Vec<String> {
    VerifyError::CODES.iter().map(|c| c.to_string()).collect()
}

/// Every code a refused key set can have (`KeyError::CODES`).
#[wasm_bindgen(js_name = keyErrorCodes)]
pub fn key_error_codes() -> Vec<String> {
    KeyError::CODES.iter().map(|c| c.to_string()).collect()
}

/// The module's memory (the wrapper views the scalar slots through it).
#[wasm_bindgen(js_name = wasmMemory)]
pub fn wasm_memory() -> JsValue {
    wasm_bindgen::memory()
}

// ---------------------------------------------------------------- header and keys

/// The header rules ([`Header::check`]) on a parsed header object; returns
/// the `kid` to pick the key by.
#[wasm_bindgen(js_name = checkHeader)]
pub fn check_header(header: JsValue) -> Result<String, JsValue> {
    let h: Header = read(header, "the header")?;
    h.check().map(str::to_string).map_err(verify_error)
}

/// The Ed25519 keys of a parsed JWKS by the core's rules
/// ([`JwkSet::ed25519_keys`]: no private key, no duplicate `kid`, `alg` and
/// `use` as published for signatures, 32 bytes not of small order), as
/// `[[kid, Uint8Array(32)], ...]`.
#[wasm_bindgen(js_name = readJwks)]
pub fn read_jwks(jwks: JsValue) -> Result<Array, JsValue> {
    let set = <JwkSet as Deserialize>::deserialize(de::Js(jwks)).map_err(|e| {
        key_error(KeyError::NotAJwks {
            detail: e.to_string(),
        })
    })?;
    let keys = set.ed25519_keys(b64url_decode).map_err(key_error)?;
    Ok(keys
        .iter()
        .map(|(kid, bytes)| Array::of2(&JsValue::from_str(kid), &Uint8Array::from(&bytes[..])))
        .collect())
}

/// The byte checks a strict Ed25519 verification adds to RFC 8032's
/// ([`strict_signature_prechecks`]: canonical `S`, neither `R` nor the key
/// of small order); the wrapper asks WebCrypto only when they pass.
#[wasm_bindgen(js_name = strictPrechecks)]
pub fn strict_prechecks(key: &[u8], signature: &[u8]) -> bool {
    match (<&[u8; 32]>::try_from(key), <&[u8; 64]>::try_from(signature)) {
        (Ok(k), Ok(s)) => strict_signature_prechecks(k, s),
        _ => false,
    }
}

/// Strict base64url without padding (RFC 4648 section 5): no padding, no
/// white space, no other alphabet, zero unused bits, so one byte string has
/// one text. `None` for anything else.
fn b64url_decode(text: &str) -> Option<Vec<u8>> {
    let value = |c: u8| -> Option<u32> {
        Some(u32::from(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        }))
    };
    let b = text.as_bytes();
    if b.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(b.len() * 3 / 4);
    for chunk in b.chunks(4) {
        let mut n = 0u32;
        for (i, &c) in chunk.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let bytes = chunk.len() - 1;
        if n & ((1 << (24 - 8 * bytes)) - 1) != 0 {
            return None;
        }
        out.extend((0..bytes).map(|i| (n >> (16 - 8 * i)) as u8));
    }
    Some(out)
}

// ---------------------------------------------------------------- claims

/// A payload whose registered claims passed [`Claims::check`], with its
/// snapshot claim read (not yet checked against a manifest).
#[wasm_bindgen]
pub struct Claim {
    claims: Claims,
    claim: SnapshotClaim,
}

/// The claim rules and the snapshot claim on a parsed payload object (whose
/// signature the wrapper verified): `now` in milliseconds since the epoch,
/// `leeway` and `clock_skew` in seconds (each clamped to one day).
#[wasm_bindgen(js_name = checkClaims)]
pub fn check_claims(
    payload: JsValue,
    audience: String,
    issuer: Option<String>,
    now: f64,
    leeway: f64,
    clock_skew: f64,
) -> Result<Claim, JsValue> {
    let psnap = Reflect::get(&payload, &JsValue::from_str("psnap")).unwrap_or(JsValue::UNDEFINED);
    let claims: Claims = read(payload, "the payload")?;
    let rules = ClaimRules {
        audience,
        issuer,
        now: now as i64,
        leeway_secs: leeway as i64,
        max_clock_skew_secs: clock_skew as i64,
    };
    claims.check(&rules).map_err(verify_error)?;
    let claim: SnapshotClaim = read(psnap, "the snapshot claim")?;
    Ok(Claim { claims, claim })
}

#[wasm_bindgen]
impl Claim {
    /// `sub`: the user the snapshot is for.
    #[wasm_bindgen(getter)]
    pub fn subject(&self) -> String {
        self.claims.sub.clone()
    }

    /// `iat` in milliseconds, if the token has one.
    #[wasm_bindgen(getter, js_name = issuedAt)]
    pub fn issued_at(&self) -> Option<f64> {
        self.claims.iat.map(|t| t.millis() as f64)
    }

    /// The catalog id the snapshot names (`psnap.c`).
    #[wasm_bindgen(getter)]
    pub fn catalog(&self) -> String {
        self.claim.catalog.clone()
    }

    /// The hash of the manifest the snapshot was compiled against (`psnap.m`).
    #[wasm_bindgen(getter, js_name = manifestHash)]
    pub fn manifest_hash(&self) -> String {
        self.claim.manifest.clone()
    }
}

// ---------------------------------------------------------------- manifest

/// A checked catalog manifest ([`CoreManifest::new`]), shared by every
/// checker built from it.
#[wasm_bindgen]
pub struct Manifest(Arc<CoreManifest>);

#[wasm_bindgen]
impl Manifest {
    /// Reads a parsed manifest object; `hash` is the wrapper's hash of its
    /// exact text (what tokens name).
    pub fn parse(data: JsValue, hash: String) -> Result<Manifest, JsValue> {
        let data: ManifestData = read(data, "the manifest")?;
        CoreManifest::new(data, hash)
            .map(|m| Manifest(Arc::new(m)))
            .map_err(verify_error)
    }

    /// The permission ids in catalog order: index `i` is permission `i`.
    #[wasm_bindgen(js_name = permissionIds)]
    pub fn permission_ids(&self) -> Vec<String> {
        self.0.permissions().iter().map(|p| p.id.clone()).collect()
    }

    /// The catalog id.
    #[wasm_bindgen(getter)]
    pub fn catalog(&self) -> String {
        self.0.catalog().to_string()
    }
}

// ---------------------------------------------------------------- checker

/// Slot tags: what the wrapper wrote for an attribute ([`Slots`]).
const TAG_NUM: u32 = 1;
const TAG_BOOL: u32 = 2;
const TAG_STR: u32 = 3;
const TAG_OTHER_STR: u32 = 4;

/// A verified snapshot, checked against its manifest: answers checks.
#[wasm_bindgen]
pub struct Checker {
    snapshot: Snapshot,
    /// what scoped checks need, made by the first one ([`Checker::prepare_scoped`])
    scoped: Scoped,
}

/// The attribute names the conditions read (slot `i` is `attrs[i]`), the
/// strings they compare with and the subject (the intern table), and the
/// slots themselves: `[tag, value]` per attribute, written by the wrapper
/// before a scoped check.
#[derive(Default)]
struct Scoped {
    attrs: Vec<String>,
    strings: Vec<String>,
    slots: Vec<f64>,
}

/// Every distinct item, in first-seen order.
fn distinct<'a>(items: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in items {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

#[wasm_bindgen]
impl Checker {
    /// Checks `claim` against `manifest` ([`Snapshot::new`]:
    /// `manifest_mismatch`, `unsupported_version`, `malformed`).
    #[wasm_bindgen(constructor)]
    pub fn new(manifest: &Manifest, claim: &Claim) -> Result<Checker, JsValue> {
        let snapshot = Snapshot::new(
            Arc::clone(&manifest.0),
            claim.claim.clone(),
            claim.claims.sub.clone(),
            claim.claims.exp.secs().saturating_mul(1000),
        )
        .map_err(verify_error)?;
        Ok(Checker {
            snapshot,
            scoped: Scoped::default(),
        })
    }

    /// Makes what scoped checks need (once; a snapshot that is never asked
    /// about a resource does not pay for it): the attribute names, the
    /// intern table, the slots.
    #[wasm_bindgen(js_name = prepareScoped)]
    pub fn prepare_scoped(&mut self) {
        if !self.scoped.slots.is_empty() {
            return;
        }
        let s = &self.snapshot;
        let rules = || (0..s.source_count()).filter_map(|i| s.source(i));
        let attrs = distinct(rules().flat_map(|(_, _, r)| r.attrs()));
        let strings =
            distinct(std::iter::once(s.subject()).chain(rules().flat_map(|(_, _, r)| r.strings())));
        let slots = vec![0.0; 2 * attrs.len().max(1)];
        self.scoped = Scoped {
            attrs,
            strings,
            slots,
        };
    }

    /// Every permission's answer in `label` without a resource at `now`
    /// (milliseconds), one byte each: the reason index, plus 128 when a
    /// resource could change it (a conditional rule names it there).
    pub fn table(&self, label: f64, now: f64) -> Vec<u8> {
        let label = label as u64;
        let conditional = self.conditional(label);
        let none: Option<&Slots<'_>> = None;
        (0..self.snapshot.manifest().permissions().len())
            .map(|p| {
                let v = self.snapshot.check_index(p, label, none, now as i64);
                let decided_by_sources = matches!(
                    v.reason,
                    Reason::Restricted
                        | Reason::Granted
                        | Reason::ConditionFailed
                        | Reason::NotGranted
                );
                let flag = if decided_by_sources && conditional.contains(p) {
                    128
                } else {
                    0
                };
                v.reason as u8 | flag
            })
            .collect()
    }

    /// The permissions that a conditional rule of `label`'s sources names.
    fn conditional(&self, label: u64) -> PermSet {
        let mut set = PermSet::default();
        let Some((grants, denies)) = self.snapshot.label(label).and_then(|l| l.access.as_ref())
        else {
            return set;
        };
        for &i in grants.iter().chain(denies) {
            if let Some((_, _, rules)) = self.snapshot.source(i as usize) {
                rules.when.iter().for_each(|r| set.insert(r.perm));
            }
        }
        set
    }

    /// One answer, packed: the reason index in the low byte and, above it,
    /// the index + 1 of the source `by` names (0 for none). `scoped`: the
    /// resource is in the slots; otherwise there is none.
    pub fn check(&self, permission: u32, label: f64, now: f64, scoped: bool) -> u32 {
        let slots = Slots { checker: self };
        let resource = scoped.then_some(&slots);
        let v = self
            .snapshot
            .check_index(permission as usize, label as u64, resource, now as i64);
        let by = self.snapshot.by_source(&v).map_or(0, |i| i as u32 + 1);
        v.reason as u32 | by << 8
    }

    /// Whether `permission` is allowed in `label` on the resource in the
    /// slots at `now` (a scoped `can`: no `by`, no message).
    pub fn allows(&self, permission: u32, label: f64, now: f64) -> bool {
        let slots = Slots { checker: self };
        self.snapshot
            .check_index(permission as usize, label as u64, Some(&slots), now as i64)
            .allowed()
    }

    /// The `by` of source `i` (a role, additional role or restriction role
    /// id, or `direct`).
    #[wasm_bindgen(js_name = sourceId)]
    pub fn source_id(&self, i: u32) -> String {
        self.snapshot
            .source(i as usize)
            .map_or_else(String::new, |(by, _, _)| by.to_string())
    }

    /// The sentence for a packed answer (the restriction role's title ...).
    pub fn message(&self, packed: u32) -> String {
        let Some(&reason) = Reason::ALL.get((packed & 0xff) as usize) else {
            return String::new();
        };
        let by = (packed >> 8)
            .checked_sub(1)
            .and_then(|i| self.snapshot.source(i as usize))
            .map(|(by, _, _)| by);
        self.snapshot.message(&Verdict { reason, by })
    }

    /// The attribute names conditions read; slot `i` holds attribute `i`
    /// (after [`prepare_scoped`](Self::prepare_scoped)).
    pub fn attrs(&self) -> Vec<String> {
        self.scoped.attrs.clone()
    }

    /// The intern table: string `i` is written as `[3, i]` in a slot;
    /// any other string as `[4, 0]`.
    pub fn strings(&self) -> Vec<String> {
        self.scoped.strings.clone()
    }

    /// Where the slots are in the module's memory (a byte offset): two
    /// `f64` per attribute, `[tag, value]`; tag 0 absent, 1 number,
    /// 2 boolean (value 0 or 1), 3 an interned string (value: its index),
    /// 4 any other string.
    #[wasm_bindgen(js_name = slotsPtr)]
    pub fn slots_ptr(&self) -> u32 {
        self.scoped.slots.as_ptr() as usize as u32
    }

    /// The number of `f64` in the slots.
    #[wasm_bindgen(js_name = slotsLen)]
    pub fn slots_len(&self) -> u32 {
        self.scoped.slots.len() as u32
    }

    /// The labels the snapshot knows, ascending.
    pub fn labels(&self) -> Vec<f64> {
        self.snapshot.labels().iter().map(|l| l.id as f64).collect()
    }

    /// When every check starts to deny (`exp`), milliseconds since the epoch.
    #[wasm_bindgen(getter, js_name = expiresAt)]
    pub fn expires_at(&self) -> f64 {
        self.snapshot.expires_at() as f64
    }

    /// The catalog id.
    #[wasm_bindgen(getter)]
    pub fn catalog(&self) -> String {
        self.snapshot.manifest().catalog().to_string()
    }
}

/// The resource of a scoped check, as the wrapper wrote it into the slots.
struct Slots<'a> {
    checker: &'a Checker,
}

impl ResourceView for Slots<'_> {
    fn attr(&self, name: &str) -> Option<AttrValue<'_>> {
        let c = &self.checker.scoped;
        let i = c.attrs.iter().position(|a| a == name)?;
        let tag = *c.slots.get(2 * i)?;
        let value = *c.slots.get(2 * i + 1)?;
        match tag as u32 {
            TAG_NUM => Some(AttrValue::Num(value)),
            TAG_BOOL => Some(AttrValue::Bool(value != 0.0)),
            TAG_STR => Some(
                c.strings
                    .get(value as usize)
                    .map_or(AttrValue::OtherStr, |s| AttrValue::Str(s)),
            ),
            TAG_OTHER_STR => Some(AttrValue::OtherStr),
            _ => None,
        }
    }
}
