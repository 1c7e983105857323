//! Permission snapshots: one user's permissions as the server signs them and
//! the browser checks them. This is browser core: the package compiles it to
//! wasm, and the native side uses the same checker.
//!
//! * [`manifest`]: the catalog manifest, shared by every snapshot of a catalog;
//! * [`claim`]: the `psnap` claim a token carries (format version 2);
//! * [`token`]: the JWS header and JWT claims, with the rules both verifiers apply;
//! * [`keys`]: public JWKs and the byte checks of a strict Ed25519 verification;
//! * [`Snapshot`]: a claim checked against its manifest, answering checks
//!   exactly as the server rules would (`docs/rules.md`, "Parity"), through
//!   the same [`decide`] core.

pub mod claim;
pub mod keys;
pub mod manifest;
pub mod token;

pub use claim::{LabelEntry, SnapshotClaim};
pub use manifest::{Manifest, ManifestData, PermissionEntry, SourceEntry, SourceKind};

use crate::core::error::VerifyError;
use crate::core::rules::{decide, Reason, Resource, ResourceView, RuleSet, Verdict};
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;

pub use super::SNAPSHOT_VERSION as VERSION;

/// The claim that carries the snapshot.
pub const CLAIM: &str = "psnap";

/// What `by` says for an access entry's direct grants and denies.
pub const DIRECT: &str = "direct";

/// A snapshot claim checked against its manifest: everything needed to
/// answer checks for one user until it expires.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    manifest: Arc<Manifest>,
    subject: String,
    labels: Vec<LabelEntry>,
    direct: Vec<RuleSet>,
    denial: Option<Reason>,
    owner: bool,
    expires_at: i64,
}

fn malformed(detail: &str) -> VerifyError {
    VerifyError::malformed(detail)
}

/// The claim's checks against its manifest, as [`Snapshot::new`] lists them.
fn check_claim(manifest: &Manifest, claim: &SnapshotClaim) -> Result<(), VerifyError> {
    if claim.v != VERSION {
        return Err(VerifyError::UnsupportedVersion { version: claim.v });
    }
    if claim.manifest != manifest.hash() {
        return Err(VerifyError::ManifestMismatch {
            expected: manifest.hash().to_string(),
            found: claim.manifest.clone(),
        });
    }
    let n = manifest.permissions().len();
    if !claim.direct.iter().all(|r| r.within(n)) {
        return Err(malformed(
            "a direct list names a permission beyond the manifest's",
        ));
    }
    if !claim.labels.windows(2).all(|w| w[0].id < w[1].id) {
        return Err(malformed(
            "the snapshot's labels are not in ascending order, once each",
        ));
    }
    let (m, total) = (
        manifest.sources().len(),
        manifest.sources().len() + claim.direct.len(),
    );
    let grant = |i: &u32| {
        (*i as usize) < total && (manifest.is_grant_source(*i as usize) || *i as usize >= m)
    };
    let deny = |i: &u32| (*i as usize) < total && !manifest.is_grant_source(*i as usize);
    let refs_ok = claim.labels.iter().all(|l| {
        l.access
            .as_ref()
            .is_none_or(|(g, d)| g.iter().all(grant) && d.iter().all(deny))
    });
    if !refs_ok {
        return Err(malformed("a label names a source that is not there"));
    }
    match claim.denial {
        None | Some(Reason::Disabled | Reason::Expired | Reason::HomeLabelClosed) => Ok(()),
        Some(_) => Err(malformed(
            "a global denial other than disabled, expired or home_label_closed",
        )),
    }
}

impl Snapshot {
    /// Checks `claim` against `manifest` and builds the checker for
    /// `subject`, whose token expires at `expires_at` (milliseconds; every
    /// check at or after it is `expired`).
    ///
    /// The claim must name this manifest (`manifest_mismatch`), be of this
    /// version, list labels ascending and once each, reference only sources
    /// that exist, grant sources among the grants and deny sources among the
    /// denies, and carry only a denial the issuer writes: anything else was
    /// not written by the issuer (`malformed`).
    pub fn new(
        manifest: Arc<Manifest>,
        claim: SnapshotClaim,
        subject: String,
        expires_at: i64,
    ) -> Result<Snapshot, VerifyError> {
        check_claim(&manifest, &claim)?;
        Ok(Snapshot {
            manifest,
            subject,
            labels: claim.labels,
            direct: claim.direct,
            denial: claim.denial,
            owner: claim.owner,
            expires_at,
        })
    }

    /// The manifest it was checked against.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// The user it is for (`sub`).
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The labels it knows, ascending.
    pub fn labels(&self) -> &[LabelEntry] {
        &self.labels
    }

    /// The global denial, if any.
    pub fn denial(&self) -> Option<Reason> {
        self.denial
    }

    /// Whether the user is the account owner.
    pub fn owner(&self) -> bool {
        self.owner
    }

    /// When every check starts to deny (`exp`), milliseconds since the epoch.
    pub fn expires_at(&self) -> i64 {
        self.expires_at
    }

    /// The index of a permission id, if the manifest has it.
    pub fn permission(&self, id: &str) -> Option<usize> {
        self.manifest.permission(id)
    }

    /// The label entry for `id`.
    pub fn label(&self, id: u64) -> Option<&LabelEntry> {
        self.labels
            .binary_search_by_key(&id, |l| l.id)
            .ok()
            .and_then(|i| self.labels.get(i))
    }

    /// Source `i`: `(by, title, rules)`; manifest sources first, then the
    /// direct lists.
    pub fn source(&self, i: usize) -> Option<(&str, &str, &RuleSet)> {
        let m = self.manifest.sources();
        match m.get(i) {
            Some(s) => Some((s.id.as_str(), s.title.as_str(), &s.rules)),
            None => self.direct.get(i - m.len()).map(|r| (DIRECT, "", r)),
        }
    }

    /// Every source: manifest sources, then the direct lists.
    pub fn source_count(&self) -> usize {
        self.manifest.sources().len() + self.direct.len()
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

    /// [`check`](Self::check) for a permission index and any view of a
    /// resource, in the check order of `docs/rules.md` (`unknown_user` and
    /// `unknown_action` are the caller's).
    pub fn check_index<R: ResourceView + ?Sized>(
        &self,
        p: usize,
        label: u64,
        resource: Option<&R>,
        now: i64,
    ) -> Verdict<'_> {
        self.check_source(p, label, resource, now).0
    }

    /// [`check_index`](Self::check_index), and the index (as [`source`](Self::source)
    /// numbers them) of the source that decided a `restricted` or `granted`
    /// verdict: the one whose rules decided, not looked up again by `by`.
    pub fn check_source<R: ResourceView + ?Sized>(
        &self,
        p: usize,
        label: u64,
        resource: Option<&R>,
        now: i64,
    ) -> (Verdict<'_>, Option<usize>) {
        let of = |reason| (Verdict::of(reason), None);
        if p >= self.manifest.permissions().len() {
            return of(Reason::UnknownAction);
        }
        if now >= self.expires_at {
            return of(Reason::Expired);
        }
        // A label the snapshot does not know is one the user has no access to
        // (the server may say `unknown_label`; `docs/rules.md`, "Parity").
        let Some(l) = self.label(label) else {
            return of(Reason::NoLabelAccess);
        };
        if let Some(d) = self.denial {
            return of(d);
        }
        if l.closed {
            return of(Reason::LabelClosed);
        }
        if self.owner {
            return of(Reason::Owner);
        }
        let Some((grants, denies)) = &l.access else {
            return of(Reason::NoLabelAccess);
        };
        let (reason, by) = decide(
            p,
            self.sources_of(denies),
            self.sources_of(grants),
            resource,
            &self.subject,
        );
        let by_id = by.and_then(|i| self.source(i)).map(|(id, _, _)| id);
        (Verdict { reason, by: by_id }, by)
    }

    /// The `(index, rules)` of source indices, without allocating (checks run per permission).
    fn sources_of<'a>(
        &'a self,
        ids: &'a [u32],
    ) -> impl Iterator<Item = (usize, &'a RuleSet)> + Clone + 'a {
        ids.iter()
            .map(|&i| i as usize)
            .filter_map(|i| self.source(i).map(|(_, _, rules)| (i, rules)))
    }

    /// Every permission allowed in `label` at `now` without a resource, in catalog order.
    pub fn allowed(&self, label: u64, now: i64) -> Vec<&str> {
        let none: Option<&Resource> = None;
        self.manifest
            .permissions()
            .iter()
            .enumerate()
            .filter(|(p, _)| self.check_index(*p, label, none, now).allowed())
            .map(|(_, perm)| perm.id.as_str())
            .collect()
    }

    /// The index of the source a verdict's `by` names: for `restricted` a
    /// restriction role, for `granted` a role or additional role (first in
    /// manifest order), or the first direct list for `direct`.
    pub fn by_source(&self, v: &Verdict<'_>) -> Option<usize> {
        let by = v.by?;
        if by == DIRECT {
            return (!self.direct.is_empty()).then_some(self.manifest.sources().len());
        }
        let grants = v.reason == Reason::Granted;
        self.manifest
            .sources()
            .iter()
            .enumerate()
            .position(|(i, s)| s.id == by && self.manifest.is_grant_source(i) == grants)
    }

    /// The title of the source a verdict's `by` names.
    pub fn by_title(&self, v: &Verdict<'_>) -> Option<&str> {
        self.by_source(v)
            .and_then(|i| self.source(i))
            .map(|(_, title, _)| title)
            .filter(|t| !t.is_empty())
    }

    /// A sentence a person reads for a verdict.
    pub fn message(&self, v: &Verdict<'_>) -> String {
        v.reason.message(self.by_title(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::rules::{Cond, CondRule, Op, PermSet, Scalar, Value};

    fn rules(perms: &[usize]) -> RuleSet {
        let mut always = PermSet::default();
        for &p in perms {
            always.insert(p);
        }
        RuleSet {
            always,
            when: Vec::new(),
        }
    }

    fn source(id: &str, kind: SourceKind, perms: &[usize]) -> SourceEntry {
        SourceEntry {
            id: id.into(),
            kind,
            title: format!("Title of {id}"),
            rules: rules(perms),
        }
    }

    /// Three permissions; a role granting 0 and 1, an additional role
    /// granting 2 when `manager` is the subject, a restriction denying 1.
    fn manifest() -> Arc<Manifest> {
        let mut additional = source("extra", SourceKind::Additional, &[]);
        additional.rules.when.push(CondRule {
            perm: 2,
            when: vec![Cond {
                attr: "manager".into(),
                op: Op::Eq,
                values: vec![Scalar::User],
            }],
        });
        let data = ManifestData {
            v: VERSION,
            catalog: "c".into(),
            title: "C".into(),
            permissions: ["a.view", "a.edit", "b.own"]
                .iter()
                .map(|id| PermissionEntry {
                    id: id.to_string(),
                    title: id.to_string(),
                })
                .collect(),
            sources: vec![
                source("role", SourceKind::Role, &[0, 1]),
                additional,
                source("no_edit", SourceKind::Restriction, &[1]),
            ],
        };
        Arc::new(Manifest::new(data, "hash".into()).unwrap())
    }

    fn claim(labels: Vec<LabelEntry>) -> SnapshotClaim {
        SnapshotClaim {
            v: VERSION,
            catalog: "c".into(),
            manifest: "hash".into(),
            labels,
            direct: vec![rules(&[0])],
            owner: false,
            denial: None,
        }
    }

    fn entry(id: u64, grants: Vec<u32>, denies: Vec<u32>) -> LabelEntry {
        LabelEntry {
            id,
            closed: false,
            access: Some((grants, denies)),
        }
    }

    const NOW: i64 = 1_000_000;

    fn snapshot(labels: Vec<LabelEntry>) -> Result<Snapshot, VerifyError> {
        Snapshot::new(manifest(), claim(labels), "u1".into(), NOW + 60_000)
    }

    #[test]
    fn a_snapshot_answers_in_the_check_order_with_by_and_titles() {
        let s = snapshot(vec![
            entry(1, vec![0, 1], vec![2]),
            LabelEntry {
                id: 2,
                closed: true,
                access: None,
            },
            LabelEntry {
                id: 3,
                closed: false,
                access: None,
            },
            entry(4, vec![3], vec![]),
        ])
        .unwrap();
        let v = s.check("a.view", 1, None, NOW);
        assert_eq!((v.reason, v.by), (Reason::Granted, Some("role")));
        let v = s.check("a.edit", 1, None, NOW);
        assert_eq!((v.reason, v.by), (Reason::Restricted, Some("no_edit")));
        assert_eq!(s.message(&v), "Restricted: Title of no_edit");
        let own = Resource::new().with("manager", Value::Str("u1".into()));
        let other = Resource::new().with("manager", Value::Str("u2".into()));
        assert_eq!(s.check("b.own", 1, Some(&own), NOW).by, Some("extra"));
        assert_eq!(
            s.check("b.own", 1, Some(&other), NOW).reason,
            Reason::ConditionFailed
        );
        assert_eq!(s.check("a.view", 2, None, NOW).reason, Reason::LabelClosed);
        assert_eq!(
            s.check("a.view", 3, None, NOW).reason,
            Reason::NoLabelAccess
        );
        assert_eq!(
            s.check("a.view", 9, None, NOW).reason,
            Reason::NoLabelAccess
        );
        assert_eq!(s.check("a.view", 4, None, NOW).by, Some(DIRECT));
        assert_eq!(
            s.check("a.nope", 1, None, NOW).reason,
            Reason::UnknownAction
        );
        assert_eq!(
            s.check("a.view", 1, None, NOW + 60_000).reason,
            Reason::Expired
        );
        assert_eq!(s.allowed(1, NOW), vec!["a.view"]);
    }

    #[test]
    fn a_claim_for_another_manifest_is_a_manifest_mismatch() {
        let mut c = claim(vec![]);
        c.manifest = "other".into();
        let e = Snapshot::new(manifest(), c, "u1".into(), NOW).unwrap_err();
        assert_eq!(e.code(), "manifest_mismatch");
        assert!(e.to_string().contains("`other`"), "{e}");
    }

    #[test]
    fn a_claim_the_issuer_would_not_write_is_malformed() {
        let cases = [
            vec![entry(2, vec![0], vec![]), entry(1, vec![0], vec![])],
            vec![entry(1, vec![0], vec![]), entry(1, vec![0], vec![])],
            vec![entry(1, vec![9], vec![])],
            vec![entry(1, vec![2], vec![])],
            vec![entry(1, vec![], vec![0])],
        ];
        for labels in cases {
            let e = snapshot(labels.clone()).unwrap_err();
            assert_eq!(e.code(), "malformed", "{labels:?}");
        }
        let mut c = claim(vec![]);
        c.denial = Some(Reason::Granted);
        assert_eq!(
            Snapshot::new(manifest(), c, "u1".into(), NOW)
                .unwrap_err()
                .code(),
            "malformed"
        );
        let mut c = claim(vec![]);
        c.v = 1;
        assert_eq!(
            Snapshot::new(manifest(), c, "u1".into(), NOW)
                .unwrap_err()
                .code(),
            "unsupported_version"
        );
    }

    #[test]
    fn a_manifest_with_sources_out_of_order_or_indices_out_of_range_is_refused() {
        let m = manifest();
        let mut data = m.data().clone();
        data.sources.swap(0, 2);
        assert_eq!(
            Manifest::new(data, "h".into()).unwrap_err().code(),
            "malformed"
        );
        let mut data = m.data().clone();
        data.sources[0].rules.always.insert(3);
        assert_eq!(
            Manifest::new(data, "h".into()).unwrap_err().code(),
            "malformed"
        );
        let mut data = m.data().clone();
        data.v = 3;
        assert_eq!(
            Manifest::new(data, "h".into()).unwrap_err().code(),
            "unsupported_version"
        );
        assert_eq!(m.permission("b.own"), Some(2));
        assert_eq!(m.permission("b.nope"), None);
    }

    #[test]
    fn the_owner_and_a_global_denial_answer_before_any_source() {
        let mut c = claim(vec![entry(1, vec![], vec![2])]);
        c.owner = true;
        let s = Snapshot::new(manifest(), c.clone(), "u1".into(), NOW + 1).unwrap();
        assert_eq!(s.check("a.edit", 1, None, NOW).reason, Reason::Owner);
        c.denial = Some(Reason::Disabled);
        let s = Snapshot::new(manifest(), c, "u1".into(), NOW + 1).unwrap();
        assert_eq!(s.check("a.edit", 1, None, NOW).reason, Reason::Disabled);
    }
}
