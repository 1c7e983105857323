//! The snapshot claim `psnap` (version 2): one user's labels, each with the
//! manifest sources and direct lists that apply, in the user's order. The
//! format is in `docs/architecture.md`; this is its one serde definition.

use crate::core::rules::{Reason, RuleSet, MAX_SAFE_INTEGER};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// A label as the snapshot knows it: `[id]`, `[id, 1]` (closed) or
/// `[id, 0, grants, denies]` (access: source indices in the user's order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelEntry {
    /// label id
    pub id: u64,
    /// closed
    pub closed: bool,
    /// the user's access: (grant source indices, deny source indices)
    pub access: Option<(Vec<u32>, Vec<u32>)>,
}

impl Serialize for LabelEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let n = match (&self.access, self.closed) {
            (Some(_), _) => 4,
            (None, true) => 2,
            (None, false) => 1,
        };
        let mut seq = s.serialize_seq(Some(n))?;
        seq.serialize_element(&self.id)?;
        if n > 1 {
            seq.serialize_element(&u8::from(self.closed))?;
        }
        if let Some((g, d)) = &self.access {
            seq.serialize_element(g)?;
            seq.serialize_element(d)?;
        }
        seq.end()
    }
}

struct LabelVisitor;

impl<'de> Visitor<'de> for LabelVisitor {
    type Value = LabelEntry;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a label `[id]`, `[id, 1]` or `[id, 0, grants, denies]`")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LabelEntry, A::Error> {
        let id: u64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        if id as f64 > MAX_SAFE_INTEGER {
            return Err(de::Error::custom("a label id beyond 2^53 - 1"));
        }
        let closed = match seq.next_element::<u8>()? {
            None | Some(0) => false,
            Some(1) => true,
            Some(_) => return Err(de::Error::custom("a label flag is 0 or 1")),
        };
        let grants: Option<Vec<u32>> = seq.next_element()?;
        let access = match grants {
            None => None,
            Some(g) => {
                let d: Vec<u32> = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(3, &self))?;
                Some((g, d))
            }
        };
        if seq.next_element::<de::IgnoredAny>()?.is_some() {
            return Err(de::Error::invalid_length(5, &self));
        }
        Ok(LabelEntry { id, closed, access })
    }
}

impl<'de> Deserialize<'de> for LabelEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_seq(LabelVisitor)
    }
}

/// The `psnap` claim as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct SnapshotClaim {
    /// format version
    pub v: u64,
    /// the catalog id
    #[serde(rename = "c")]
    pub catalog: String,
    /// the hash of the manifest it was compiled against
    #[serde(rename = "m")]
    pub manifest: String,
    /// labels, ascending by id, once each
    #[serde(rename = "l")]
    pub labels: Vec<LabelEntry>,
    /// the access entries' direct grant and deny lists; source index `M + i`
    /// is `direct[i]` (`M` is the number of manifest sources)
    #[serde(rename = "x", default, skip_serializing_if = "Vec::is_empty")]
    pub direct: Vec<RuleSet>,
    /// the account owner
    #[serde(rename = "o", default, skip_serializing_if = "is_false", with = "flag")]
    pub owner: bool,
    /// `disabled`, `expired` or `home_label_closed`: denies everything
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    pub denial: Option<Reason>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A flag written as `1` (and left out when false).
mod flag {
    use serde::{de, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &bool, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(u8::from(*v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        match u8::deserialize(d)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(de::Error::custom("a flag is 0 or 1")),
        }
    }
}

/// Only the version of a `psnap` claim: read first, so that a claim of
/// another version is refused as `unsupported_version`, not as malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
pub struct VersionProbe {
    /// the claim's version
    pub v: u64,
}

crate::core::error::map_only!(SnapshotClaim, VersionProbe);
crate::core::error::serialize_derived!(SnapshotClaim);
