//! The decision core shared by the server rules ([`crate::engine`]) and the
//! snapshot checker ([`crate::snapshot`]): permission sets, conditions,
//! reasons, and the evaluation of one access entry's deny and grant sources.
//!
//! Both paths call [`decide_sources`], so that the order "restriction, then
//! grant, then condition_failed, then not_granted" and the choice of `by`
//! exist once. This module must stay free of JSON parsing and of anything
//! the browser build does not need: it is on the wasm hot path.

use crate::error::codes;

/// A set of permission indices (into the catalog's permission list), as bytes,
/// least significant bit first: the same layout the snapshot carries.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct PermSet(Vec<u8>);

impl PermSet {
    /// An empty set with room for `n` permissions.
    pub fn with_capacity(n: usize) -> Self {
        PermSet(vec![0; n.div_ceil(8)])
    }

    /// A set from its byte layout.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        PermSet(bytes)
    }

    /// The byte layout.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Whether `p` is in the set.
    #[inline]
    pub fn contains(&self, p: usize) -> bool {
        self.0.get(p / 8).is_some_and(|b| b >> (p % 8) & 1 == 1)
    }

    /// Adds `p`.
    pub fn insert(&mut self, p: usize) {
        if self.0.len() <= p / 8 {
            self.0.resize(p / 8 + 1, 0);
        }
        self.0[p / 8] |= 1 << (p % 8);
    }

    /// Adds every member of `other`.
    pub fn union_with(&mut self, other: &PermSet) {
        if self.0.len() < other.0.len() {
            self.0.resize(other.0.len(), 0);
        }
        for (a, b) in self.0.iter_mut().zip(&other.0) {
            *a |= b;
        }
    }

    /// The members, ascending.
    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.0.iter().enumerate().flat_map(|(i, &b)| {
            (0..8)
                .filter(move |k| b >> k & 1 == 1)
                .map(move |k| i * 8 + k)
        })
    }

    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&b| b == 0)
    }
}

/// A value a condition compares: a string, number or boolean, or `$user`.
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    /// a string
    Str(String),
    /// a number
    Num(f64),
    /// a boolean
    Bool(bool),
    /// `"$user"`: the subject's id
    User,
}

impl Scalar {
    fn equals(&self, value: &Scalar, subject: &str) -> bool {
        match (self, value) {
            (Scalar::User, Scalar::Str(v)) => v == subject,
            (Scalar::Str(a), Scalar::Str(b)) => a == b,
            (Scalar::Num(a), Scalar::Num(b)) => a == b,
            (Scalar::Bool(a), Scalar::Bool(b)) => a == b,
            _ => false,
        }
    }
}

codes! {
    /// A condition's operator.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Op {
        /// equal
        Eq = "eq",
        /// present and not equal
        Ne = "ne",
        /// equal to one of a list
        In = "in",
        /// present and equal to none of a list
        NotIn = "not_in",
    }
}

/// One condition on a resource attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Cond {
    /// the resource attribute
    pub attr: String,
    /// the operator
    pub op: Op,
    /// one value for `eq`/`ne`, the list for `in`/`not_in`
    pub values: Vec<Scalar>,
}

impl Cond {
    /// `Some(true/false)`, or `None` when the resource lacks the attribute.
    pub fn eval(&self, resource: Option<&Resource>, subject: &str) -> Option<bool> {
        let value = resource?.get(&self.attr)?;
        let any = self.values.iter().any(|v| v.equals(value, subject));
        Some(match self.op {
            Op::Eq | Op::In => any,
            Op::Ne | Op::NotIn => !any,
        })
    }
}

/// The attributes of the resource a check is about (e.g. an affiliate's
/// `manager` and `status`). Only strings, numbers and booleans count; any
/// other attribute value is as if absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resource(Vec<(String, Scalar)>);

impl Resource {
    /// An empty resource.
    pub fn new() -> Self {
        Resource(Vec::new())
    }

    /// Sets an attribute.
    pub fn with(mut self, attr: &str, value: Scalar) -> Self {
        self.0.retain(|(k, _)| k != attr);
        self.0.push((attr.to_string(), value));
        self
    }

    /// The attributes, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Scalar)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The value of `attr`.
    pub fn get(&self, attr: &str) -> Option<&Scalar> {
        self.0.iter().find(|(k, _)| k == attr).map(|(_, v)| v)
    }
}

/// A conditional grant or deny of one permission.
#[derive(Debug, Clone, PartialEq)]
pub struct CondRule {
    /// the permission index
    pub perm: usize,
    /// conditions that must all hold
    pub when: Vec<Cond>,
}

/// What one source (a role, an additional role, a restriction role or the
/// entry's direct list) grants or denies, wildcards and sections expanded.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleSet {
    /// unconditional members
    pub always: PermSet,
    /// conditional members
    pub when: Vec<CondRule>,
}

impl RuleSet {
    /// Whether a grant of `p` holds for this resource.
    pub fn grants(&self, p: usize, resource: Option<&Resource>, subject: &str) -> bool {
        self.always.contains(p)
            || self.when.iter().any(|r| {
                r.perm == p
                    && r.when
                        .iter()
                        .all(|c| c.eval(resource, subject) == Some(true))
            })
    }

    /// Whether a deny of `p` applies to this resource (fail closed: a
    /// condition that cannot be evaluated counts as holding).
    pub fn denies(&self, p: usize, resource: Option<&Resource>, subject: &str) -> bool {
        self.always.contains(p)
            || self.when.iter().any(|r| {
                r.perm == p
                    && r.when
                        .iter()
                        .all(|c| c.eval(resource, subject) != Some(false))
            })
    }

    /// Whether this source names `p` at all, with or without conditions.
    pub fn mentions(&self, p: usize) -> bool {
        self.always.contains(p) || self.when.iter().any(|r| r.perm == p)
    }

    /// Whether this source grants or denies nothing.
    pub fn is_empty(&self) -> bool {
        self.always.is_empty() && self.when.is_empty()
    }

    /// Adds every rule of `other`.
    pub fn extend(&mut self, other: &RuleSet) {
        self.always.union_with(&other.always);
        for r in &other.when {
            if !self.when.contains(r) {
                self.when.push(r.clone());
            }
        }
    }
}

codes! {
    /// Why a check was decided as it was; the order of the variants is the
    /// order in which they are tried (first match wins).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Reason {
        /// the user is not in the directory
        UnknownUser = "unknown_user",
        /// the action is not a permission of the catalog
        UnknownAction = "unknown_action",
        /// the label is not in the directory
        UnknownLabel = "unknown_label",
        /// the user is disabled
        Disabled = "disabled",
        /// the user's access has expired (or the snapshot has)
        Expired = "expired",
        /// the user's home label is closed
        HomeLabelClosed = "home_label_closed",
        /// the label is closed
        LabelClosed = "label_closed",
        /// allowed: the account owner
        Owner = "owner",
        /// the user has no access entry in the label
        NoLabelAccess = "no_label_access",
        /// a restriction role or a direct deny takes the action away
        Restricted = "restricted",
        /// allowed: a role, additional role or direct grant
        Granted = "granted",
        /// a grant exists but its conditions do not hold for this resource
        ConditionFailed = "condition_failed",
        /// nothing grants the action
        NotGranted = "not_granted",
    }
}

impl Reason {
    /// Whether this reason allows.
    pub const fn allows(self) -> bool {
        matches!(self, Reason::Owner | Reason::Granted)
    }

    /// A sentence a person reads; `by_title` is the title of what `by` names
    /// (e.g. the restriction role's title).
    pub fn message(self, by_title: Option<&str>) -> String {
        let quoted = |lead: &str, fallback: &str| match by_title {
            Some(t) if !t.is_empty() => {
                let mut s = String::from(lead);
                s.push_str(t);
                s
            }
            _ => fallback.to_string(),
        };
        match self {
            Reason::UnknownUser => "This user is not known to the back office".into(),
            Reason::UnknownAction => "This action is not a permission of the back office".into(),
            Reason::UnknownLabel => "This label does not exist".into(),
            Reason::Disabled => "Your account is disabled".into(),
            Reason::Expired => "Your access has expired".into(),
            Reason::HomeLabelClosed => {
                "Your home label is closed, so your access is closed everywhere".into()
            }
            Reason::LabelClosed => "This label is closed".into(),
            Reason::Owner => "Allowed: you are the account owner".into(),
            Reason::NoLabelAccess => "You have no access to this label".into(),
            Reason::Restricted => quoted("Restricted: ", "Restricted for you in this label"),
            Reason::Granted => quoted("Allowed by ", "Allowed for you in this label"),
            Reason::ConditionFailed => {
                "Allowed only for other records (e.g. the ones assigned to you)".into()
            }
            Reason::NotGranted => "Your role does not include this action".into(),
        }
    }
}

/// A decision: the reason (which says whether it allows) and, for
/// `restricted` and `granted`, what decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict<'a> {
    /// why
    pub reason: Reason,
    /// the role, additional role or restriction id, or `direct`
    pub by: Option<&'a str>,
}

impl<'a> Verdict<'a> {
    /// A verdict without `by`.
    pub const fn of(reason: Reason) -> Self {
        Verdict { reason, by: None }
    }

    /// Whether it allows.
    pub const fn allowed(&self) -> bool {
        self.reason.allows()
    }
}

/// Steps 10 to 13 of the check order for one access entry: `denies` and
/// `grants` are its sources in the user's order, each `(by, rules)`.
pub fn decide_sources<'a>(
    p: usize,
    denies: impl IntoIterator<Item = (&'a str, &'a RuleSet)>,
    grants: impl IntoIterator<Item = (&'a str, &'a RuleSet)> + Clone,
    resource: Option<&Resource>,
    subject: &str,
) -> Verdict<'a> {
    for (by, rules) in denies {
        if rules.denies(p, resource, subject) {
            return Verdict {
                reason: Reason::Restricted,
                by: Some(by),
            };
        }
    }
    for (by, rules) in grants.clone() {
        if rules.grants(p, resource, subject) {
            return Verdict {
                reason: Reason::Granted,
                by: Some(by),
            };
        }
    }
    if grants.into_iter().any(|(_, rules)| rules.mentions(p)) {
        Verdict::of(Reason::ConditionFailed)
    } else {
        Verdict::of(Reason::NotGranted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(ps: &[usize]) -> RuleSet {
        let mut r = RuleSet::default();
        for &p in ps {
            r.always.insert(p);
        }
        r
    }

    fn manager_is_user(p: usize) -> RuleSet {
        RuleSet {
            always: PermSet::default(),
            when: vec![CondRule {
                perm: p,
                when: vec![Cond {
                    attr: "manager".into(),
                    op: Op::Eq,
                    values: vec![Scalar::User],
                }],
            }],
        }
    }

    #[test]
    fn a_deny_beats_any_grant_and_names_the_first_deny_source() {
        let (role, x1, x2) = (set(&[1, 2]), set(&[3]), set(&[1]));
        let v = decide_sources(1, [("x1", &x1), ("x2", &x2)], [("role", &role)], None, "u1");
        assert_eq!(
            v,
            Verdict {
                reason: Reason::Restricted,
                by: Some("x2")
            }
        );
        let v = decide_sources(2, [("x1", &x1), ("x2", &x2)], [("role", &role)], None, "u1");
        assert_eq!(
            v,
            Verdict {
                reason: Reason::Granted,
                by: Some("role")
            }
        );
    }

    #[test]
    fn a_conditional_grant_needs_every_condition_and_a_missing_attribute_fails_it() {
        let g = manager_is_user(4);
        let own = Resource::new().with("manager", Scalar::Str("u1".into()));
        let other = Resource::new().with("manager", Scalar::Str("u9".into()));
        let v = |r: Option<&Resource>| decide_sources(4, [], [("mgr", &g)], r, "u1").reason;
        assert_eq!(v(Some(&own)), Reason::Granted);
        assert_eq!(v(Some(&other)), Reason::ConditionFailed);
        assert_eq!(v(Some(&Resource::new())), Reason::ConditionFailed);
        assert_eq!(v(None), Reason::ConditionFailed);
        assert_eq!(
            decide_sources(5, [], [("mgr", &g)], None, "u1").reason,
            Reason::NotGranted
        );
    }

    #[test]
    fn a_conditional_deny_applies_when_it_cannot_be_evaluated() {
        let d = manager_is_user(0);
        let g = set(&[0]);
        let other = Resource::new().with("manager", Scalar::Str("u9".into()));
        assert_eq!(
            decide_sources(0, [("x", &d)], [("r", &g)], None, "u1").reason,
            Reason::Restricted
        );
        assert_eq!(
            decide_sources(0, [("x", &d)], [("r", &g)], Some(&other), "u1").reason,
            Reason::Granted
        );
    }

    #[test]
    fn operators_compare_by_json_type() {
        let r = Resource::new()
            .with("n", Scalar::Num(3.0))
            .with("b", Scalar::Bool(true))
            .with("s", Scalar::Str("3".into()));
        let c = |attr: &str, op, values| {
            Cond {
                attr: attr.into(),
                op,
                values,
            }
            .eval(Some(&r), "u1")
        };
        assert_eq!(c("n", Op::Eq, vec![Scalar::Num(3.0)]), Some(true));
        assert_eq!(c("s", Op::Eq, vec![Scalar::Num(3.0)]), Some(false));
        assert_eq!(c("b", Op::Ne, vec![Scalar::Bool(false)]), Some(true));
        assert_eq!(
            c(
                "s",
                Op::In,
                vec![Scalar::Str("2".into()), Scalar::Str("3".into())]
            ),
            Some(true)
        );
        assert_eq!(
            c("s", Op::NotIn, vec![Scalar::Str("3".into())]),
            Some(false)
        );
        assert_eq!(c("missing", Op::Ne, vec![Scalar::Str("x".into())]), None);
    }

    #[test]
    fn permset_iterates_what_was_inserted() {
        let mut s = PermSet::with_capacity(3);
        for p in [0, 7, 8, 63, 64] {
            s.insert(p);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 7, 8, 63, 64]);
        assert!(!s.contains(1) && s.contains(64) && !s.contains(1000));
    }
}
