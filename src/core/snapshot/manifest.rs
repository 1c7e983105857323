//! The catalog manifest: what every snapshot of one catalog shares (the
//! permission ids and titles, the roles, additional roles and restriction
//! roles with their compiled rules), so that a token carries none of it.
//!
//! [`ManifestData`] is the format (one serde definition, read by serde_json
//! natively and by serde-wasm-bindgen in the browser); [`Manifest`] is a
//! checked one with its hash, ready for [`crate::Snapshot::new`].

use crate::core::error::VerifyError;
use crate::core::rules::{CondRule, PermSet, RuleSet};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

// The index by id is made by the first lookup: std's `OnceLock`, or spin's
// `Once` in the browser build (no std).
#[cfg(any(feature = "std", not(feature = "wasm")))]
type Lazy<T> = std::sync::OnceLock<T>;
#[cfg(all(feature = "wasm", not(feature = "std")))]
type Lazy<T> = spin::Once<T>;

#[cfg(any(feature = "std", not(feature = "wasm")))]
fn made<T>(cell: &Lazy<T>, make: impl FnOnce() -> T) -> &T {
    cell.get_or_init(make)
}

#[cfg(all(feature = "wasm", not(feature = "std")))]
fn made<T>(cell: &Lazy<T>, make: impl FnOnce() -> T) -> &T {
    cell.call_once(make)
}

/// The manifest format version this build reads and writes (the same as the
/// snapshot claim's).
pub const MANIFEST_VERSION: u64 = super::VERSION;

/// What kind of catalog entry a source is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// a role (grants)
    Role,
    /// an additional role (grants)
    Additional,
    /// a restriction role (denies)
    Restriction,
}

/// A permission as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct PermissionEntry {
    /// id, e.g. `player.give_bonus`
    pub id: String,
    /// title, for menus
    pub title: String,
}

/// A role, additional role or restriction role as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct SourceEntry {
    /// id: what a decision's `by` says
    pub id: String,
    /// role, additional role or restriction role
    pub kind: SourceKind,
    /// title, for messages ("Restricted: ...")
    pub title: String,
    /// what it grants (roles: inherited grants included) or denies
    pub rules: RuleSet,
}

/// The manifest as written: `{"v", "catalog", "title", "permissions", "sources"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct ManifestData {
    /// format version
    pub v: u64,
    /// the catalog id
    pub catalog: String,
    /// the catalog title
    pub title: String,
    /// permissions in catalog order: bit `i` of a rule set is permission `i`
    pub permissions: Vec<PermissionEntry>,
    /// roles, then additional roles, then restriction roles, each in catalog order
    pub sources: Vec<SourceEntry>,
}

/// A checked manifest with its hash (the first 16 bytes of the SHA-256 of
/// its exact text, base64url: what a token's `m` names).
#[derive(Debug)]
pub struct Manifest {
    data: ManifestData,
    hash: String,
    grant_sources: usize,
    /// permission indices sorted by id, for lookups by id: made by the first
    /// lookup (the browser build looks up by index only, so the sort is not
    /// part of its wasm)
    by_id: Lazy<Vec<u32>>,
}

// A clone makes its own lookup index when it needs one.
impl Clone for Manifest {
    fn clone(&self) -> Manifest {
        Manifest::indexed(self.data.clone(), self.hash.clone())
    }
}

// Equal when they say the same: the lookup index is made from the data.
impl PartialEq for Manifest {
    fn eq(&self, other: &Manifest) -> bool {
        self.hash == other.hash && self.data == other.data
    }
}

impl Manifest {
    /// Checks `data` (version, kinds in order, every index in range) and
    /// keeps it with `hash`, which the caller computed over the exact text.
    pub fn new(data: ManifestData, hash: String) -> Result<Manifest, VerifyError> {
        if data.v != MANIFEST_VERSION {
            return Err(VerifyError::UnsupportedVersion { version: data.v });
        }
        let n = data.permissions.len();
        if let Some(s) = data.sources.iter().find(|s| !s.rules.within(n)) {
            // Not `format!`: the browser build links no formatting machinery.
            let mut detail = String::from("manifest source `");
            detail.push_str(&s.id);
            detail.push_str("` names a permission beyond the manifest's");
            return Err(VerifyError::malformed(detail));
        }
        let rank = |k: SourceKind| match k {
            SourceKind::Role => 0,
            SourceKind::Additional => 1,
            SourceKind::Restriction => 2,
        };
        if !data
            .sources
            .windows(2)
            .all(|w| rank(w[0].kind) <= rank(w[1].kind))
        {
            return Err(VerifyError::malformed(
                "the manifest's sources are not roles, then additional roles, then restriction roles",
            ));
        }
        Ok(Manifest::indexed(data, hash))
    }

    fn indexed(data: ManifestData, hash: String) -> Manifest {
        let grant_sources = data
            .sources
            .iter()
            .take_while(|s| s.kind != SourceKind::Restriction)
            .count();
        Manifest {
            data,
            hash,
            grant_sources,
            by_id: Lazy::new(),
        }
    }

    /// A manifest compiled from a loaded catalog, whose indices come from the
    /// catalog itself (native side only).
    #[cfg(feature = "native")]
    pub(crate) fn from_compiled(data: ManifestData, hash: String) -> Manifest {
        Manifest::indexed(data, hash)
    }

    /// The manifest as written.
    pub fn data(&self) -> &ManifestData {
        &self.data
    }

    /// Its hash (what a token's `m` must say).
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// The catalog id.
    pub fn catalog(&self) -> &str {
        &self.data.catalog
    }

    /// The permissions, in catalog order.
    pub fn permissions(&self) -> &[PermissionEntry] {
        &self.data.permissions
    }

    /// The sources: roles, additional roles, restriction roles.
    pub fn sources(&self) -> &[SourceEntry] {
        &self.data.sources
    }

    /// Whether source `i` grants (a role or additional role).
    pub fn is_grant_source(&self, i: usize) -> bool {
        i < self.grant_sources
    }

    /// The index of a permission id.
    pub fn permission(&self, id: &str) -> Option<usize> {
        let perms = &self.data.permissions;
        let id_of = |i: &u32| perms.get(*i as usize).map(|p| p.id.as_str());
        let by_id = made(&self.by_id, || {
            let mut by_id: Vec<u32> = (0..perms.len() as u32).collect();
            by_id.sort_unstable_by(|a, b| id_of(a).cmp(&id_of(b)));
            by_id
        });
        let k = by_id.binary_search_by(|i| id_of(i).cmp(&Some(id))).ok()?;
        by_id.get(k).map(|&i| i as usize)
    }
}

// A rule set is written compactly, as the token's direct lists are:
// `[bits]`, or `[bits, [[permission, [conditions]], ...]]`.
impl Serialize for RuleSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = if self.when.is_empty() { 1 } else { 2 };
        let mut seq = s.serialize_seq(Some(n))?;
        seq.serialize_element(&self.always)?;
        if !self.when.is_empty() {
            seq.serialize_element(&self.when)?;
        }
        seq.end()
    }
}

struct RuleSetVisitor;

impl<'de> Visitor<'de> for RuleSetVisitor {
    type Value = RuleSet;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rule set `[bits]` or `[bits, conditional rules]`")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<RuleSet, A::Error> {
        let always: PermSet = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let when: Vec<CondRule> = seq.next_element()?.unwrap_or_default();
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(3, &self));
        }
        Ok(RuleSet { always, when })
    }
}

impl<'de> Deserialize<'de> for RuleSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(RuleSetVisitor)
    }
}

crate::core::error::map_only!(PermissionEntry, SourceEntry, ManifestData);
crate::core::error::serialize_derived!(PermissionEntry, SourceEntry, ManifestData);
