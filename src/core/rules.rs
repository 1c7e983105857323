//! The decision core shared by the server rules (`engine`, native) and the
//! snapshot checker ([`crate::core::snapshot`], both rooms): permission sets,
//! conditions, resources, reasons, and the evaluation of one access entry's
//! deny and grant sources.
//!
//! Both paths call [`decide`] (the engine through [`decide_sources`]), so
//! that the order "restriction, then grant, then condition_failed, then
//! not_granted" and the choice of `by` exist once. This is browser core: it is on the wasm hot path, and no
//! native module may be imported here.

use crate::core::error::codes;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use serde::de::{self, Deserializer, Visitor};
use serde::ser::{SerializeSeq, Serializer};
use serde::{Deserialize, Serialize};

/// A set of permission indices (into the catalog's permission list), as
/// 32-bit words, least significant bit first. It is written as a JSON list
/// of those words without trailing zero words (`[4294967295, 7]`).
#[derive(Debug, Clone, Default)]
pub struct PermSet(Vec<u32>);

// Two sets are equal when they hold the same members, whatever room they
// were made with (trailing zero words do not count).
impl PartialEq for PermSet {
    fn eq(&self, other: &PermSet) -> bool {
        self.words() == other.words()
    }
}

impl Eq for PermSet {}

impl core::hash::Hash for PermSet {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.words().hash(state);
    }
}

impl PermSet {
    /// An empty set with room for `n` permissions.
    pub fn with_capacity(n: usize) -> Self {
        PermSet(vec![0; n.div_ceil(32)])
    }

    /// A set from its words.
    pub fn from_words(words: Vec<u32>) -> Self {
        PermSet(words)
    }

    /// The words, without trailing zero words.
    pub fn words(&self) -> &[u32] {
        let end = self.0.iter().rposition(|&w| w != 0).map_or(0, |i| i + 1);
        self.0.get(..end).unwrap_or_default()
    }

    /// Whether `p` is in the set.
    #[inline]
    pub fn contains(&self, p: usize) -> bool {
        self.0.get(p / 32).is_some_and(|w| w >> (p % 32) & 1 == 1)
    }

    /// Adds `p`.
    pub fn insert(&mut self, p: usize) {
        if self.0.len() <= p / 32 {
            self.0.resize(p / 32 + 1, 0);
        }
        if let Some(w) = self.0.get_mut(p / 32) {
            *w |= 1 << (p % 32);
        }
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
        self.0.iter().enumerate().flat_map(|(i, &w)| {
            (0..32)
                .filter(move |k| w >> k & 1 == 1)
                .map(move |k| i * 32 + k)
        })
    }

    /// Whether the set has no member.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|&w| w == 0)
    }

    /// The number of members.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether every member is below `n`.
    pub fn within(&self, n: usize) -> bool {
        self.iter().all(|p| p < n)
    }
}

impl Serialize for PermSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let words = self.words();
        let mut seq = s.serialize_seq(Some(words.len()))?;
        for w in words {
            seq.serialize_element(w)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for PermSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<u32>::deserialize(d).map(PermSet)
    }
}

/// A value a condition compares with: a string, number or boolean, or
/// `"$user"` (the subject's id). Numbers are those JavaScript holds exactly:
/// the native loaders refuse integers beyond ±(2^53 − 1).
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

/// The largest integer JavaScript holds exactly (2^53 − 1).
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;

impl Scalar {
    fn equals(&self, value: &AttrValue<'_>, subject: &str) -> bool {
        match (self, value) {
            (Scalar::User, AttrValue::Str(v)) => *v == subject,
            (Scalar::Str(a), AttrValue::Str(b)) => a == b,
            (Scalar::Num(a), AttrValue::Num(b)) => a == b,
            (Scalar::Bool(a), AttrValue::Bool(b)) => a == b,
            _ => false,
        }
    }
}

impl Serialize for Scalar {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::Str(v) => s.serialize_str(v),
            // Whole numbers are written as integers (`3`, not `3.0`).
            Scalar::Num(n) if n.abs() <= MAX_SAFE_INTEGER && *n == (*n as i64) as f64 => {
                s.serialize_i64(*n as i64)
            }
            Scalar::Num(n) => s.serialize_f64(*n),
            Scalar::Bool(b) => s.serialize_bool(*b),
            Scalar::User => s.serialize_str("$user"),
        }
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(if v == "$user" {
            Scalar::User
        } else {
            Scalar::Str(v.to_string())
        })
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::Num(v as f64))
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
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

/// One condition on a resource attribute, written as in the catalog:
/// `{"attr": "manager", "eq": "$user"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CondWire", into = "CondWire")]
pub struct Cond {
    /// the resource attribute
    pub attr: String,
    /// the operator
    pub op: Op,
    /// one value for `eq`/`ne`, the list for `in`/`not_in`
    pub values: Vec<Scalar>,
}

/// How a condition is written: an object only (never a list read by
/// position, which serde's derive would also take).
#[derive(Clone, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
struct CondWire {
    attr: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    eq: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    ne: Option<Scalar>,
    #[serde(default, rename = "in", skip_serializing_if = "Option::is_none")]
    any_of: Option<Vec<Scalar>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    not_in: Option<Vec<Scalar>>,
}

crate::core::error::map_only!(CondWire);
crate::core::error::serialize_derived!(CondWire);

impl TryFrom<CondWire> for Cond {
    type Error = &'static str;
    fn try_from(w: CondWire) -> Result<Cond, &'static str> {
        let attr = w.attr;
        let (op, values) = match (w.eq, w.ne, w.any_of, w.not_in) {
            (Some(v), None, None, None) => (Op::Eq, vec![v]),
            (None, Some(v), None, None) => (Op::Ne, vec![v]),
            (None, None, Some(vs), None) => (Op::In, vs),
            (None, None, None, Some(vs)) => (Op::NotIn, vs),
            _ => {
                return Err("a condition has `attr` and exactly one of `eq`, `ne`, `in`, `not_in`")
            }
        };
        Ok(Cond { attr, op, values })
    }
}

impl From<Cond> for CondWire {
    fn from(c: Cond) -> CondWire {
        let mut w = CondWire {
            attr: c.attr,
            eq: None,
            ne: None,
            any_of: None,
            not_in: None,
        };
        let first = || c.values.first().cloned();
        match c.op {
            Op::Eq => w.eq = first(),
            Op::Ne => w.ne = first(),
            Op::In => w.any_of = Some(c.values),
            Op::NotIn => w.not_in = Some(c.values),
        }
        w
    }
}

impl Cond {
    /// `Some(true/false)`, or `None` when the resource lacks the attribute.
    pub fn eval<R: ResourceView + ?Sized>(
        &self,
        resource: Option<&R>,
        subject: &str,
    ) -> Option<bool> {
        let value = resource?.attr(&self.attr)?;
        let any = self.values.iter().any(|v| v.equals(&value, subject));
        Some(match self.op {
            Op::Eq | Op::In => any,
            Op::Ne | Op::NotIn => !any,
        })
    }
}

/// A resource attribute's value as a check sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AttrValue<'a> {
    /// a string
    Str(&'a str),
    /// a number
    Num(f64),
    /// a boolean
    Bool(bool),
    /// a string that is known to equal no condition value and not the
    /// subject's id (the browser checker interns strings instead of copying
    /// them across the wasm boundary)
    OtherStr,
}

/// What a check asks of a resource: the value of one attribute. Any value
/// that is not a string, number or boolean counts as absent.
pub trait ResourceView {
    /// The value of `name`, if the resource has a scalar there.
    fn attr(&self, name: &str) -> Option<AttrValue<'_>>;
}

/// A resource attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// a string
    Str(String),
    /// a number
    Num(f64),
    /// a boolean
    Bool(bool),
}

/// The attributes of the resource a check is about (e.g. an affiliate's
/// `manager` and `status`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resource(BTreeMap<String, Value>);

impl Resource {
    /// An empty resource.
    pub fn new() -> Self {
        Resource(BTreeMap::new())
    }

    /// Sets an attribute (replacing an earlier value).
    pub fn with(mut self, attr: &str, value: Value) -> Self {
        self.0.insert(attr.to_string(), value);
        self
    }

    /// Sets an attribute (replacing an earlier value).
    pub fn insert(&mut self, attr: String, value: Value) {
        self.0.insert(attr, value);
    }

    /// The attributes, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The value of `attr`.
    pub fn get(&self, attr: &str) -> Option<&Value> {
        self.0.get(attr)
    }

    /// The number of attributes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there is no attribute.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl ResourceView for Resource {
    fn attr(&self, name: &str) -> Option<AttrValue<'_>> {
        Some(match self.0.get(name)? {
            Value::Str(s) => AttrValue::Str(s),
            Value::Num(n) => AttrValue::Num(*n),
            Value::Bool(b) => AttrValue::Bool(*b),
        })
    }
}

/// A conditional grant or deny of one permission, written
/// `[permission index, [conditions]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(from = "(usize, Vec<Cond>)", into = "(usize, Vec<Cond>)")]
pub struct CondRule {
    /// the permission index
    pub perm: usize,
    /// conditions that must all hold
    pub when: Vec<Cond>,
}

impl From<(usize, Vec<Cond>)> for CondRule {
    fn from((perm, when): (usize, Vec<Cond>)) -> Self {
        CondRule { perm, when }
    }
}

impl From<CondRule> for (usize, Vec<Cond>) {
    fn from(r: CondRule) -> Self {
        (r.perm, r.when)
    }
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
    pub fn grants<R: ResourceView + ?Sized>(
        &self,
        p: usize,
        resource: Option<&R>,
        subject: &str,
    ) -> bool {
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
    pub fn denies<R: ResourceView + ?Sized>(
        &self,
        p: usize,
        resource: Option<&R>,
        subject: &str,
    ) -> bool {
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

    /// Whether every permission index it names is below `n`.
    pub fn within(&self, n: usize) -> bool {
        self.always.within(n) && self.when.iter().all(|r| r.perm < n)
    }

    /// The attribute names its conditions read.
    pub fn attrs(&self) -> impl Iterator<Item = &str> {
        self.when
            .iter()
            .flat_map(|r| r.when.iter().map(|c| c.attr.as_str()))
    }

    /// The string values its conditions compare with (not `$user`).
    pub fn strings(&self) -> impl Iterator<Item = &str> {
        self.when.iter().flat_map(|r| {
            r.when.iter().flat_map(|c| {
                c.values.iter().filter_map(|v| match v {
                    Scalar::Str(s) => Some(s.as_str()),
                    _ => None,
                })
            })
        })
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
pub fn decide_sources<'a, R: ResourceView + ?Sized>(
    p: usize,
    denies: impl IntoIterator<Item = (&'a str, &'a RuleSet)>,
    grants: impl IntoIterator<Item = (&'a str, &'a RuleSet)> + Clone,
    resource: Option<&R>,
    subject: &str,
) -> Verdict<'a> {
    let (reason, by) = decide(p, denies, grants, resource, subject);
    Verdict { reason, by }
}

/// [`decide_sources`] with sources named as the caller names them (`K`: an
/// id, or an index the caller can turn into one): the reason and, for
/// `restricted` and `granted`, the source that decided it.
pub fn decide<'a, K, R: ResourceView + ?Sized>(
    p: usize,
    denies: impl IntoIterator<Item = (K, &'a RuleSet)>,
    grants: impl IntoIterator<Item = (K, &'a RuleSet)> + Clone,
    resource: Option<&R>,
    subject: &str,
) -> (Reason, Option<K>) {
    for (by, rules) in denies {
        if rules.denies(p, resource, subject) {
            return (Reason::Restricted, Some(by));
        }
    }
    for (by, rules) in grants.clone() {
        if rules.grants(p, resource, subject) {
            return (Reason::Granted, Some(by));
        }
    }
    if grants.into_iter().any(|(_, rules)| rules.mentions(p)) {
        (Reason::ConditionFailed, None)
    } else {
        (Reason::NotGranted, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: Option<&Resource> = None;

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
        let v = decide_sources(1, [("x1", &x1), ("x2", &x2)], [("role", &role)], NONE, "u1");
        assert_eq!(
            v,
            Verdict {
                reason: Reason::Restricted,
                by: Some("x2")
            }
        );
        let v = decide_sources(2, [("x1", &x1), ("x2", &x2)], [("role", &role)], NONE, "u1");
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
        let own = Resource::new().with("manager", Value::Str("u1".into()));
        let other = Resource::new().with("manager", Value::Str("u9".into()));
        let v = |r: Option<&Resource>| decide_sources(4, [], [("mgr", &g)], r, "u1").reason;
        assert_eq!(v(Some(&own)), Reason::Granted);
        assert_eq!(v(Some(&other)), Reason::ConditionFailed);
        assert_eq!(v(Some(&Resource::new())), Reason::ConditionFailed);
        assert_eq!(v(NONE), Reason::ConditionFailed);
        assert_eq!(
            decide_sources(5, [], [("mgr", &g)], NONE, "u1").reason,
            Reason::NotGranted
        );
    }

    #[test]
    fn a_conditional_deny_applies_when_it_cannot_be_evaluated() {
        let d = manager_is_user(0);
        let g = set(&[0]);
        let other = Resource::new().with("manager", Value::Str("u9".into()));
        assert_eq!(
            decide_sources(0, [("x", &d)], [("r", &g)], NONE, "u1").reason,
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
            .with("n", Value::Num(3.0))
            .with("b", Value::Bool(true))
            .with("s", Value::Str("3".into()));
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

    #[cfg(feature = "native")]
    #[test]
    fn a_condition_is_read_from_an_object_only_never_from_a_list_by_position() {
        let c: Cond = serde_json::from_str(r#"{"attr":"status","ne":"pending"}"#).unwrap();
        assert_eq!((c.attr.as_str(), c.op), ("status", Op::Ne));
        let listed = serde_json::from_str::<Cond>(r#"["status", null, "pending"]"#);
        assert!(listed.is_err(), "{listed:?}");
        assert_eq!(
            serde_json::to_string(&c).unwrap(),
            r#"{"attr":"status","ne":"pending"}"#
        );
    }

    #[test]
    fn permset_iterates_what_was_inserted() {
        let mut s = PermSet::with_capacity(3);
        for p in [0, 7, 8, 31, 32, 63, 64] {
            s.insert(p);
        }
        assert_eq!(s.iter().collect::<Vec<_>>(), vec![0, 7, 8, 31, 32, 63, 64]);
        assert!(!s.contains(1) && s.contains(64) && !s.contains(1000));
        assert_eq!(s.words(), &[0x8000_0181, 0x8000_0001, 1]);
    }
}
