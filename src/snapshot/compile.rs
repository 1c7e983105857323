//! Server side: compiles one user's permissions from a [`Model`] into a
//! [`Snapshot`] that answers every check as the server would at that time.

use super::{LabelEntry, Snapshot, Source};
use crate::engine::Model;
use crate::rules::{CondRule, PermSet, RuleSet};
use crate::time::Millis;

/// What the issuer puts around the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueOptions {
    /// `iss`
    pub issuer: String,
    /// `aud`
    pub audience: String,
    /// lifetime in seconds (capped by the user's `expires_at`)
    pub ttl_secs: i64,
}

impl Default for IssueOptions {
    fn default() -> Self {
        IssueOptions {
            issuer: "permsnap".into(),
            audience: "backoffice".into(),
            ttl_secs: 900,
        }
    }
}

/// Compiles the snapshot of `user` at `now`; `None` when the directory has
/// no such user. `exp` is `now + ttl`, never later than the user's
/// `expires_at` while that is still ahead; a user who is already disabled,
/// expired or whose home label is closed gets a snapshot that denies
/// everything with that reason (so the UI can say why).
pub fn compile(model: &Model, user: &str, now: Millis, ttl_secs: i64) -> Option<Snapshot> {
    let u = model.directory.user(user)?;
    let c = &model.catalog;
    let denial = model.global_denial(u, now);
    // Milliseconds: a fractional `expires_at` must not be rounded up (that
    // would allow past it) nor down (the UI would deny before the server).
    let mut exp = now.saturating_add(ttl_secs.max(1).saturating_mul(1000));
    if let Some(e) = u.expires_at.filter(|&e| e > now) {
        exp = exp.min(e);
    }

    // Permissions grouped by first segment (the encoding names each group
    // once); `order[i]` is the catalog index of snapshot permission `i`.
    // Each permission's group is the rank of its first segment's first
    // appearance; a stable sort by that rank keeps catalog order inside groups.
    let mut rank: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let group: Vec<usize> = c
        .permissions
        .iter()
        .map(|p| {
            let head = p.id.split('.').next().unwrap_or_default();
            let next = rank.len();
            *rank.entry(head).or_insert(next)
        })
        .collect();
    let mut order: Vec<usize> = (0..c.permissions.len()).collect();
    order.sort_by_key(|&i| group[i]);
    let mut to_snap = vec![0usize; order.len()];
    for (s, &ci) in order.iter().enumerate() {
        to_snap[ci] = s;
    }
    let permissions = order.iter().map(|&i| c.permissions[i].id.clone()).collect();
    let remap = |r: &RuleSet| {
        let mut always = PermSet::with_capacity(to_snap.len());
        for p in r.always.iter() {
            always.insert(to_snap[p]);
        }
        let when = r
            .when
            .iter()
            .map(|w| CondRule {
                perm: to_snap[w.perm],
                when: w.when.clone(),
            })
            .collect();
        RuleSet { always, when }
    };

    let mut sources: Vec<Source> = Vec::new();
    let mut intern = |id: &str, title: &str, rules: &RuleSet| -> u32 {
        let rules = remap(rules);
        let found = sources.iter().position(|s| s.id == id && s.rules == rules);
        found.unwrap_or_else(|| {
            sources.push(Source {
                id: id.to_string(),
                title: title.to_string(),
                rules,
            });
            sources.len() - 1
        }) as u32
    };

    let mut labels = Vec::new();
    if denial.is_some() || u.owner {
        for l in &model.directory.labels {
            labels.push(LabelEntry {
                id: l.id,
                closed: l.closed,
                access: None,
            });
        }
    } else {
        for l in model.directory.labels.iter() {
            let access = u.access_in(l.id);
            if l.closed {
                labels.push(LabelEntry {
                    id: l.id,
                    closed: true,
                    access: None,
                });
            } else if let Some(a) = access {
                fn title<'g>(
                    mut list: impl Iterator<Item = &'g crate::catalog::Grantor>,
                    id: &str,
                ) -> String {
                    list.find(|g| g.id == id)
                        .map(|g| g.title.clone())
                        .unwrap_or_default()
                }
                // Only what can decide something is kept: an empty direct list never matches.
                let grants: Vec<u32> = a
                    .grant_sources(c)
                    .filter(|(_, r)| !r.is_empty())
                    .map(|(id, r)| intern(id, &title(c.roles.iter().chain(&c.additional), id), r))
                    .collect();
                let denies: Vec<u32> = a
                    .deny_sources(c)
                    .filter(|(_, r)| !r.is_empty())
                    .map(|(id, r)| intern(id, &title(c.restrictions.iter(), id), r))
                    .collect();
                labels.push(LabelEntry {
                    id: l.id,
                    closed: false,
                    access: Some((grants, denies)),
                });
            }
        }
    }
    labels.sort_by_key(|l: &LabelEntry| l.id);
    Some(Snapshot::new(
        c.id.clone(),
        u.id.clone(),
        permissions,
        sources,
        labels,
        denial,
        u.owner,
        exp,
    ))
}
