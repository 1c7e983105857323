//! The flattened manifest and claim the package's JS writes into the
//! exchange buffer, read back into the browser core's types. JS has already
//! parsed the JSON and refused every shape permsnap does not write
//! (`malformed`); this reader only rebuilds what a decision needs, so
//! anything it does not expect (a bug of the package, never a token) makes
//! the read bad ([`Flat::ok`]), refused as `malformed` by the caller. It
//! never indexes, never panics, and allocates no more items than the buffer
//! holds numbers.
//!
//! Titles and the catalog id are not part of it: JS keeps them (for
//! messages) and the core's checks never read them, so they are read back
//! empty. Every value is an `f64`. A string is its
//! length, then its code points (JS writes a lone surrogate as U+FFFD); a
//! list is its length, then its items:
//!
//! ```text
//! manifest  = hash:str v list(permission id:str) list(source)
//! source    = kind (0 role, 1 additional, 2 restriction) id:str rules
//! rules     = list(word) list(rule)          the always set's u32 words, the conditional rules
//! rule      = permission list(cond)
//! cond      = attr:str op (0 eq, 1 ne, 2 in, 3 not_in) list(value)
//! value     = 0 str | 1 number | 2 (0 or 1) | 3          a string, number, boolean, "$user"
//!
//! claim     = v manifest:str subject:str expires_at owner (0 or 1)
//!             denial (a reason index, or -1)
//!             list(label) list(rules) list(attr:str) list(string:str)
//! label     = id closed (0 or 1) access (0, or 1 then list(grant) list(deny))
//! ```
//!
//! The claim's last two lists are the scoped checks' slots and intern
//! table: slot `i` holds attribute `i`, and a string slot names string `i`.

use crate::core::rules::{Cond, CondRule, Op, PermSet, Reason, RuleSet, Scalar, MAX_SAFE_INTEGER};
use crate::core::snapshot::{
    LabelEntry, ManifestData, PermissionEntry, SnapshotClaim, SourceEntry, SourceKind,
};
use alloc::string::String;
use alloc::vec::Vec;

/// A cursor over the flattened numbers. Reading never fails midway (so no
/// partly built value has to be unwound): a number that is missing or out
/// of range reads as 0 and marks the read as bad, which [`Flat::ok`] tells.
pub struct Flat<'a> {
    data: &'a [f64],
    at: usize,
    bad: bool,
}

impl<'a> Flat<'a> {
    /// Reads `data` from the start.
    pub fn new(data: &'a [f64]) -> Self {
        Flat {
            data,
            at: 0,
            bad: false,
        }
    }

    /// Whether every number was read, and each was what was expected.
    pub fn ok(&self) -> bool {
        !self.bad && self.at == self.data.len()
    }

    fn num(&mut self) -> f64 {
        let v = self.data.get(self.at).copied();
        self.at += 1;
        self.bad |= v.is_none();
        v.unwrap_or(0.0)
    }

    /// A whole number in `0..=max`.
    fn whole(&mut self, max: f64) -> u64 {
        let v = self.num();
        let ok = v >= 0.0 && v <= max && v == (v as u64) as f64;
        self.bad |= !ok;
        if ok {
            v as u64
        } else {
            0
        }
    }

    fn index(&mut self) -> u32 {
        self.whole(f64::from(u32::MAX)) as u32
    }

    fn flag(&mut self) -> bool {
        self.whole(1.0) == 1
    }

    /// A length: never more than the numbers left, so a wrong one cannot
    /// make a large allocation.
    fn len(&mut self) -> usize {
        let left = self.data.len().saturating_sub(self.at);
        self.whole(left as f64) as usize
    }

    fn list<T>(&mut self, item: fn(&mut Self) -> T) -> Vec<T> {
        let n = self.len();
        (0..n).map(|_| item(self)).collect()
    }

    fn string(&mut self) -> String {
        let n = self.len();
        (0..n)
            .map(|_| char::from_u32(self.index()).unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    }

    fn scalar(&mut self) -> Scalar {
        match self.whole(3.0) {
            0 => Scalar::Str(self.string()),
            1 => Scalar::Num(self.num()),
            2 => Scalar::Bool(self.flag()),
            _ => Scalar::User,
        }
    }

    fn cond(&mut self) -> Cond {
        let attr = self.string();
        let op = match self.whole(3.0) {
            0 => Op::Eq,
            1 => Op::Ne,
            2 => Op::In,
            _ => Op::NotIn,
        };
        let values = self.list(Self::scalar);
        Cond { attr, op, values }
    }

    fn rule(&mut self) -> CondRule {
        let perm = self.index() as usize;
        let when = self.list(Self::cond);
        CondRule { perm, when }
    }

    fn rules(&mut self) -> RuleSet {
        let always = PermSet::from_words(self.list(Self::index));
        let when = self.list(Self::rule);
        RuleSet { always, when }
    }

    fn source(&mut self) -> SourceEntry {
        let kind = match self.whole(2.0) {
            0 => SourceKind::Role,
            1 => SourceKind::Additional,
            _ => SourceKind::Restriction,
        };
        let id = self.string();
        let rules = self.rules();
        SourceEntry {
            id,
            kind,
            title: String::new(),
            rules,
        }
    }

    fn permission(&mut self) -> PermissionEntry {
        PermissionEntry {
            id: self.string(),
            title: String::new(),
        }
    }

    /// A manifest and the hash of its exact text.
    pub fn manifest(&mut self) -> (String, ManifestData) {
        let hash = self.string();
        let v = self.whole(f64::MAX);
        let permissions = self.list(Self::permission);
        let sources = self.list(Self::source);
        let data = ManifestData {
            v,
            catalog: String::new(),
            title: String::new(),
            permissions,
            sources,
        };
        (hash, data)
    }

    fn label(&mut self) -> LabelEntry {
        let id = self.whole(MAX_SAFE_INTEGER);
        let closed = self.flag();
        let access = self
            .flag()
            .then(|| (self.list(Self::index), self.list(Self::index)));
        LabelEntry { id, closed, access }
    }

    /// A snapshot claim with its token's subject and expiry (milliseconds),
    /// and the scoped checks' attribute names and intern table.
    pub fn claim(&mut self) -> Claim {
        let v = self.whole(f64::MAX);
        let manifest = self.string();
        let subject = self.string();
        let expires_at = self.num() as i64;
        let owner = self.flag();
        let d = self.num();
        let denial = (d >= 0.0).then(|| Reason::ALL.get(d as usize).copied());
        self.bad |= denial == Some(None);
        let claim = SnapshotClaim {
            v,
            catalog: String::new(),
            manifest,
            labels: self.list(Self::label),
            direct: self.list(Self::rules),
            owner,
            denial: denial.flatten(),
        };
        Claim {
            claim,
            subject,
            expires_at,
            attrs: self.list(Self::string),
            strings: self.list(Self::string),
        }
    }
}

/// A claim as [`Flat::claim`] reads it.
pub struct Claim {
    /// the `psnap` claim
    pub claim: SnapshotClaim,
    /// `sub`
    pub subject: String,
    /// `exp`, whole seconds, in milliseconds
    pub expires_at: i64,
    /// the attribute names of the scoped checks' slots
    pub attrs: Vec<String>,
    /// the intern table of the scoped checks' string slots
    pub strings: Vec<String>,
}
