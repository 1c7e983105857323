//! Permission snapshots: one user's compiled permissions, as the server signs
//! them and the browser checks them.
//!
//! * [`compile`](crate::snapshot::compile()) (server side) turns a [`crate::Model`] and a user
//!   into a [`Snapshot`];
//! * [`jws`] signs it as a compact JWS (Ed25519) and verifies tokens;
//! * [`Snapshot::check`] answers exactly as the server rules would (see
//!   DESIGN.md "Parity"), using the same [`decide_sources`] core.
//!
//! The encoding (claim `psnap`, version 1) is compact: permission ids once,
//! grouped by their first segment (`"campaign.view,edit_draft;player.give_bonus"`);
//! each distinct grant/deny source (role, additional role, restriction role,
//! direct list) once with its permission bitset in base64url; labels as
//! `[id]` (known, no access), `[id, 1]` (closed) or `[id, 0, [grant source
//! indices], [deny source indices]]`. This module reads and writes that
//! shape and must stay lean: it is what the browser build carries.

mod compile;
pub mod jws;

pub use compile::{compile, IssueOptions};
pub use jws::{TokenError, TokenErrorKind, VerifyOptions};

use crate::b64;
use crate::json::Json;
use crate::rules::{
    decide_sources, Cond, CondRule, Op, PermSet, Reason, Resource, RuleSet, Scalar, Verdict,
};

/// The snapshot format version this build reads and writes.
pub const VERSION: u64 = 1;

/// The claim that carries the snapshot.
pub const CLAIM: &str = "psnap";

/// One grant or deny source as the snapshot carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    /// what `by` says: a role, additional role or restriction id, or `direct`
    pub id: String,
    /// its title (for messages); empty for `direct`
    pub title: String,
    /// what it grants or denies
    pub rules: RuleSet,
}

/// A label as the snapshot knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelEntry {
    /// label id
    pub id: u64,
    /// closed
    pub closed: bool,
    /// the user's access: (grant source indices, deny source indices), in order
    pub access: Option<(Vec<u32>, Vec<u32>)>,
}

/// A decoded snapshot: everything needed to answer checks for one user.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// the catalog id
    pub catalog: String,
    /// the user id (`sub`)
    pub subject: String,
    /// permission ids, in snapshot order (bit `i` of a source is `permissions[i]`)
    pub permissions: Vec<String>,
    /// distinct sources
    pub sources: Vec<Source>,
    /// labels, sorted by id
    pub labels: Vec<LabelEntry>,
    /// `disabled`, `expired` or `home_label_closed`: denies everything
    pub denial: Option<Reason>,
    /// the account owner
    pub owner: bool,
    /// `exp` in milliseconds: every check at or after it is `expired`
    pub expires_at: i64,
}

/// Why a snapshot claim could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotError {
    /// `unsupported_version` or `malformed`
    pub kind: TokenErrorKind,
    /// what was wrong
    pub message: String,
}

fn bad(message: &str) -> SnapshotError {
    SnapshotError {
        kind: TokenErrorKind::Malformed,
        message: message.to_string(),
    }
}

impl Snapshot {
    /// Builds a snapshot from its parts; `labels` must be ascending by id
    /// (no sort here: sorting costs kilobytes of wasm, and the issuer
    /// already writes them so).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        catalog: String,
        subject: String,
        permissions: Vec<String>,
        sources: Vec<Source>,
        labels: Vec<LabelEntry>,
        denial: Option<Reason>,
        owner: bool,
        expires_at: i64,
    ) -> Snapshot {
        Snapshot {
            catalog,
            subject,
            permissions,
            sources,
            labels,
            denial,
            owner,
            expires_at,
        }
    }

    /// The index of a permission id, if the snapshot's catalog has it. A
    /// linear scan: the browser maps ids to indices once, on the JS side.
    pub fn permission(&self, id: &str) -> Option<usize> {
        self.permissions.iter().position(|p| p == id)
    }

    /// The label entry for `id`.
    pub fn label(&self, id: u64) -> Option<&LabelEntry> {
        self.labels
            .binary_search_by_key(&id, |l| l.id)
            .ok()
            .map(|i| &self.labels[i])
    }

    /// Decides `action` in `label` on `resource` at `now` (milliseconds).
    pub fn check(
        &self,
        action: &str,
        label: u64,
        resource: Option<&Resource>,
        now: i64,
    ) -> Verdict<'_> {
        match self.permission(action) {
            Some(p) => self.check_index(p, label, resource, now),
            None => Verdict::of(Reason::UnknownAction),
        }
    }

    /// [`check`](Self::check) for a permission index.
    pub fn check_index(
        &self,
        p: usize,
        label: u64,
        resource: Option<&Resource>,
        now: i64,
    ) -> Verdict<'_> {
        if p >= self.permissions.len() {
            return Verdict::of(Reason::UnknownAction);
        }
        if now >= self.expires_at {
            return Verdict::of(Reason::Expired);
        }
        // A label the snapshot does not know is one the user has no access to
        // (the server may say `unknown_label`; DESIGN.md "Parity").
        let Some(l) = self.label(label) else {
            return Verdict::of(Reason::NoLabelAccess);
        };
        if let Some(d) = self.denial {
            return Verdict::of(d);
        }
        if l.closed {
            return Verdict::of(Reason::LabelClosed);
        }
        if self.owner {
            return Verdict::of(Reason::Owner);
        }
        let Some((grants, denies)) = &l.access else {
            return Verdict::of(Reason::NoLabelAccess);
        };
        decide_sources(
            p,
            self.sources_of(denies),
            self.sources_of(grants),
            resource,
            &self.subject,
        )
    }

    /// The `(by, rules)` of source indices, without allocating (checks run per permission).
    fn sources_of<'a>(
        &'a self,
        ids: &'a [u32],
    ) -> impl Iterator<Item = (&'a str, &'a RuleSet)> + Clone + 'a {
        ids.iter()
            .filter_map(|&i| self.sources.get(i as usize))
            .map(|s| (s.id.as_str(), &s.rules))
    }

    /// Every permission allowed in `label` at `now` without a resource, in snapshot order.
    pub fn allowed(&self, label: u64, now: i64) -> Vec<&str> {
        (0..self.permissions.len())
            .filter(|&p| self.check_index(p, label, None, now).allowed())
            .map(|p| self.permissions[p].as_str())
            .collect()
    }

    /// The title of the source a verdict's `by` names.
    pub fn by_title(&self, v: &Verdict<'_>) -> Option<&str> {
        let by = v.by?;
        self.sources
            .iter()
            .find(|s| s.id == by)
            .map(|s| s.title.as_str())
    }

    /// A sentence a person reads for a verdict.
    pub fn message(&self, v: &Verdict<'_>) -> String {
        v.reason.message(self.by_title(v))
    }

    /// The `psnap` claim value.
    pub fn to_claim(&self) -> Json {
        let n = |x: u64| Json::Num(x as f64);
        let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
        for id in &self.permissions {
            let (head, rest) = id.split_once('.').unwrap_or((id, ""));
            match groups.last_mut() {
                Some((h, items)) if h == head => items.push(rest),
                _ => groups.push((head.to_string(), vec![rest])),
            }
        }
        let perms: Vec<String> = groups
            .iter()
            .map(|(h, items)| format!("{h}.{}", items.join(",")))
            .collect();
        let sources = self
            .sources
            .iter()
            .map(|s| {
                let mut item = vec![
                    Json::Str(s.id.clone()),
                    Json::Str(s.title.clone()),
                    Json::Str(b64::encode(trimmed(s.rules.always.as_bytes()))),
                ];
                if !s.rules.when.is_empty() {
                    item.push(Json::Arr(s.rules.when.iter().map(cond_rule_json).collect()));
                }
                Json::Arr(item)
            })
            .collect();
        let labels = self
            .labels
            .iter()
            .map(|l| {
                let mut item = vec![n(l.id)];
                if let Some((g, d)) = &l.access {
                    item.push(n(u64::from(l.closed)));
                    item.push(Json::Arr(g.iter().map(|&i| n(u64::from(i))).collect()));
                    item.push(Json::Arr(d.iter().map(|&i| n(u64::from(i))).collect()));
                } else if l.closed {
                    item.push(n(1));
                }
                Json::Arr(item)
            })
            .collect();
        let mut fields = vec![
            ("v".to_string(), n(VERSION)),
            ("c".to_string(), Json::Str(self.catalog.clone())),
            ("p".to_string(), Json::Str(perms.join(";"))),
            ("s".to_string(), Json::Arr(sources)),
            ("l".to_string(), Json::Arr(labels)),
        ];
        if self.owner {
            fields.push(("o".to_string(), n(1)));
        }
        if let Some(d) = self.denial {
            fields.push(("d".to_string(), Json::Str(d.code().to_string())));
        }
        Json::Obj(fields)
    }

    /// Reads a `psnap` claim for `subject`, whose token expires at `exp_ms`.
    pub fn from_claim(claim: &Json, subject: &str, exp_ms: i64) -> Result<Snapshot, SnapshotError> {
        let Json::Obj(fields) = claim else {
            return Err(bad("the snapshot claim is not an object"));
        };
        match claim.get("v").and_then(Json::as_u64) {
            Some(VERSION) => {}
            Some(_) => {
                return Err(SnapshotError {
                    kind: TokenErrorKind::UnsupportedVersion,
                    message: "this snapshot version is not supported (this build reads version 1)"
                        .to_string(),
                })
            }
            None => return Err(bad("the snapshot has no version `v`")),
        }
        if let Some((k, _)) = fields
            .iter()
            .find(|(k, _)| !matches!(k.as_str(), "v" | "c" | "p" | "s" | "l" | "o" | "d"))
        {
            return Err(SnapshotError {
                kind: TokenErrorKind::Malformed,
                message: crate::text::cat(&["unknown snapshot field `", k, "`"]),
            });
        }
        let str_field = |k: &str| {
            claim
                .get(k)
                .and_then(Json::as_str)
                .ok_or_else(|| bad("a snapshot field is missing"))
        };
        let catalog = str_field("c")?.to_string();
        let mut permissions = Vec::new();
        let p = str_field("p")?;
        if !p.is_empty() {
            for group in p.split(';') {
                let (head, items) = group
                    .split_once('.')
                    .ok_or_else(|| bad("bad permission list"))?;
                for item in items.split(',') {
                    let id = crate::text::cat(&[head, ".", item]);
                    if !crate::catalog::is_permission_id(&id) {
                        return Err(bad("bad permission id in the snapshot"));
                    }
                    permissions.push(id);
                }
            }
        }
        let n_perms = permissions.len();
        fn arr(v: Option<&Json>) -> Result<&[Json], SnapshotError> {
            v.and_then(Json::as_arr)
                .ok_or_else(|| bad("a snapshot list is missing"))
        }
        let mut sources = Vec::new();
        for s in arr(claim.get("s"))? {
            let item = s.as_arr().ok_or_else(|| bad("a source is not a list"))?;
            let text = |i: usize| {
                item.get(i)
                    .and_then(Json::as_str)
                    .ok_or_else(|| bad("bad source"))
            };
            let bits = b64::decode(text(2)?).ok_or_else(|| bad("bad source bitset"))?;
            if bits.len() > n_perms.div_ceil(8) {
                return Err(bad("a source bitset is longer than the permission list"));
            }
            let mut rules = RuleSet {
                always: PermSet::from_bytes(bits),
                when: Vec::new(),
            };
            if let Some(conds) = item.get(3) {
                for r in conds.as_arr().ok_or_else(|| bad("bad conditions"))? {
                    rules.when.push(cond_rule_from(r, n_perms)?);
                }
            }
            if item.len() > 4 {
                return Err(bad("bad source"));
            }
            sources.push(Source {
                id: text(0)?.to_string(),
                title: text(1)?.to_string(),
                rules,
            });
        }
        let index_list = |v: Option<&Json>| -> Result<Vec<u32>, SnapshotError> {
            arr(v)?
                .iter()
                .map(|i| {
                    i.as_u64()
                        .filter(|&i| (i as usize) < sources.len())
                        .map(|i| i as u32)
                        .ok_or_else(|| bad("bad source index"))
                })
                .collect()
        };
        let mut labels = Vec::new();
        for l in arr(claim.get("l"))? {
            let item = l.as_arr().ok_or_else(|| bad("a label is not a list"))?;
            let id = item
                .first()
                .and_then(Json::as_u64)
                .ok_or_else(|| bad("bad label id"))?;
            let closed = match item.get(1) {
                None => false,
                Some(c) => match c.as_u64() {
                    Some(0) => false,
                    Some(1) => true,
                    _ => return Err(bad("bad label flag")),
                },
            };
            let access = match item.len() {
                1 | 2 => None,
                4 => Some((index_list(item.get(2))?, index_list(item.get(3))?)),
                _ => return Err(bad("bad label entry")),
            };
            labels.push(LabelEntry { id, closed, access });
        }
        let owner = match claim.get("o") {
            None => false,
            Some(o) if o.as_u64() == Some(1) => true,
            Some(_) => return Err(bad("bad owner flag")),
        };
        let denial = match claim.get("d") {
            None => None,
            Some(d) => match d.as_str().and_then(Reason::from_code) {
                Some(r @ (Reason::Disabled | Reason::Expired | Reason::HomeLabelClosed)) => Some(r),
                _ => return Err(bad("bad denial reason")),
            },
        };
        // The issuer writes labels ascending and once each; anything else was not written by it.
        if !labels.windows(2).all(|w| w[0].id < w[1].id) {
            return Err(bad(
                "the snapshot's labels are not in ascending order, once each",
            ));
        }
        let s = Snapshot::new(
            catalog,
            subject.to_string(),
            permissions,
            sources,
            labels,
            denial,
            owner,
            exp_ms,
        );
        Ok(s)
    }
}

/// A resource from a JSON object: scalar attributes count, any other value
/// is as if absent; `None` when `json` is not an object.
pub fn resource_from_json(json: &Json) -> Option<Resource> {
    let Json::Obj(fields) = json else {
        return None;
    };
    let mut r = Resource::new();
    for (k, v) in fields {
        let value = match v {
            Json::Str(s) => Scalar::Str(s.clone()),
            Json::Num(n) => Scalar::Num(*n),
            Json::Bool(b) => Scalar::Bool(*b),
            _ => continue,
        };
        r = r.with(k, value);
    }
    Some(r)
}

fn trimmed(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

fn scalar_json(s: &Scalar) -> Json {
    match s {
        Scalar::Str(v) => Json::Str(v.clone()),
        Scalar::Num(v) => Json::Num(*v),
        Scalar::Bool(v) => Json::Bool(*v),
        Scalar::User => Json::Str("$user".to_string()),
    }
}

fn cond_rule_json(r: &CondRule) -> Json {
    let conds = r
        .when
        .iter()
        .map(|c| {
            let value = match c.op {
                Op::Eq | Op::Ne => c.values.first().map_or(Json::Null, scalar_json),
                Op::In | Op::NotIn => Json::Arr(c.values.iter().map(scalar_json).collect()),
            };
            Json::Arr(vec![
                Json::Str(c.attr.clone()),
                Json::Str(c.op.code().to_string()),
                value,
            ])
        })
        .collect();
    Json::Arr(vec![Json::Num(r.perm as f64), Json::Arr(conds)])
}

fn scalar_from(v: &Json) -> Result<Scalar, SnapshotError> {
    Ok(match v {
        Json::Str(s) if s == "$user" => Scalar::User,
        Json::Str(s) => Scalar::Str(s.clone()),
        Json::Num(n) => Scalar::Num(*n),
        Json::Bool(b) => Scalar::Bool(*b),
        _ => return Err(bad("bad condition value")),
    })
}

fn cond_rule_from(v: &Json, n_perms: usize) -> Result<CondRule, SnapshotError> {
    let item = v
        .as_arr()
        .filter(|a| a.len() == 2)
        .ok_or_else(|| bad("bad conditional rule"))?;
    let perm = item[0]
        .as_u64()
        .filter(|&p| (p as usize) < n_perms)
        .ok_or_else(|| bad("bad conditional permission"))? as usize;
    let mut when = Vec::new();
    for c in item[1].as_arr().ok_or_else(|| bad("bad conditions"))? {
        let c = c
            .as_arr()
            .filter(|a| a.len() == 3)
            .ok_or_else(|| bad("bad condition"))?;
        let attr = c[0]
            .as_str()
            .ok_or_else(|| bad("bad condition attribute"))?
            .to_string();
        let op = c[1]
            .as_str()
            .and_then(Op::from_code)
            .ok_or_else(|| bad("bad condition operator"))?;
        let values = match (op, &c[2]) {
            (Op::Eq | Op::Ne, v) => vec![scalar_from(v)?],
            (Op::In | Op::NotIn, Json::Arr(vs)) => {
                vs.iter().map(scalar_from).collect::<Result<_, _>>()?
            }
            _ => return Err(bad("bad condition list")),
        };
        when.push(Cond { attr, op, values });
    }
    if when.is_empty() {
        return Err(bad("a conditional rule without conditions"));
    }
    Ok(CondRule { perm, when })
}
