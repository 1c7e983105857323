//! Seeded random scenarios for differential testing (feature `testgen`).
//!
//! [`generate`] writes a random catalog (sections, nested ids, inheritance,
//! wildcards, sections as grants, conditions), a random directory (labels
//! open, closed and QA; an owner or none; disabled, expired and expiring
//! users; access entries with roles, additional roles, restriction roles,
//! direct grants and denies) and random checks (unknown users, labels and
//! actions; resources with scalar and non-scalar attributes) as one JSON
//! document in the shape of a vector file. [`load()`] reads it back through the
//! real loaders ([`Catalog::from_json_text`], [`Directory::from_json_text`]).
//!
//! [`differential`] runs many generated scenarios through the server rules
//! and through a [`Parity`] (the native snapshot, or the wasm package) and
//! compares every check. A disagreement is [`minimize`]d (checks, users,
//! labels, roles, grants ... dropped while it remains) and turned into a
//! vector file ([`vector_file`]) that `permsnap conformance` reproduces.
//!
//! Everything is a pure function of the seed: the same seed gives the same
//! scenarios on every platform (the PRNG is SplitMix64, written here so the
//! crate needs no dependency for it).

use crate::native::catalog::Catalog;
use crate::native::directory::Directory;
use crate::native::engine::{Decision, Model};
use crate::native::load::{self, LoadError, LoadErrorKind};
use crate::native::time::{format_rfc3339, Millis};
use crate::testing::vectors::{parity_agrees_in, CheckDoc, Parity, Scenario};
use serde_json::{Map, Value as Json};
use std::collections::HashMap;

/// SplitMix64: a small, fast, seedable generator (not for secrets).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next_u64() % n as u64) as usize
        }
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One element of `items` (`None` when empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }

    /// Shuffles `items` in place (Fisher-Yates).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i + 1);
            items.swap(i, j);
        }
    }
}

/// The seed of scenario `index` of a run seeded with `seed`.
pub fn scenario_seed(seed: u64, index: u64) -> u64 {
    Rng::new(seed ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03)).next_u64()
}

/// The instant generated scenarios are decided at (before a small random offset).
pub const BASE_NOW: Millis = 1_795_435_200_000; // 2026-11-23T12:00:00Z

/// Resource attributes conditions and resources use.
pub const ATTRS: &[&str] = &["manager", "status", "kind", "level", "vip"];

fn s(v: &str) -> Json {
    Json::String(v.to_string())
}

fn o(fields: Vec<(&str, Json)>) -> Json {
    Json::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn num(n: f64) -> Json {
    serde_json::Number::from_f64(n).map_or(Json::Null, Json::Number)
}

fn int(n: u64) -> Json {
    Json::from(n)
}

fn user_id(i: usize) -> String {
    // A few ids with every punctuation a user id may hold (`docs/rules.md`:
    // `A-Z a-z 0-9 . _ @ -`; nothing outside ASCII).
    if i % 7 == 6 {
        format!("U.{i}_x@e-{i}")
    } else {
        format!("u{i}")
    }
}

/// A scalar that conditions and resources both draw from, so that they meet.
fn scalar(r: &mut Rng) -> Json {
    match r.below(11) {
        0 | 1 => s("$user"),
        2 => s(&user_id(r.below(4))),
        3 => s("open"),
        4 => s("closed"),
        5 => int(1),
        6 => num(2.5),
        7 => int(0),
        8 => Json::Bool(true),
        9 => Json::Bool(false),
        _ => s(""),
    }
}

struct CatalogInfo {
    perms: Vec<String>,
    prefixes: Vec<String>,
    used_sections: Vec<String>,
    roles: Vec<String>,
    additional: Vec<String>,
    restrictions: Vec<String>,
    single_role: bool,
}

fn condition(r: &mut Rng) -> Json {
    let attr = s(r.pick(ATTRS).copied().unwrap_or("kind"));
    match r.below(4) {
        0 => o(vec![("attr", attr), ("eq", scalar(r))]),
        1 => o(vec![("attr", attr), ("ne", scalar(r))]),
        k => {
            let n = r.below(4);
            let list = Json::Array((0..n).map(|_| scalar(r)).collect());
            o(vec![
                ("attr", attr),
                (if k == 2 { "in" } else { "not_in" }, list),
            ])
        }
    }
}

/// One grant or deny entry of any shape.
fn entry(r: &mut Rng, c: &CatalogInfo) -> Json {
    let perm = |r: &mut Rng| s(r.pick(&c.perms).map_or("", String::as_str));
    let wildcard = |r: &mut Rng| {
        let p = r.pick(&c.prefixes).map_or("", String::as_str);
        s(&format!("{p}.*"))
    };
    let section = |r: &mut Rng| s(r.pick(&c.used_sections).map_or("", String::as_str));
    match r.below(12) {
        0..=3 => perm(r),
        4 => wildcard(r),
        5 if r.chance(40) => s("*"),
        5 => perm(r),
        6 => o(vec![("section", section(r))]),
        7 => o(vec![("permission", wildcard(r))]),
        k => {
            let n = r.range(1, 2);
            let when = Json::Array((0..n).map(|_| condition(r)).collect());
            let target = match k {
                8 | 9 => ("permission", perm(r)),
                10 => ("permission", wildcard(r)),
                _ => ("section", section(r)),
            };
            o(vec![target, ("when", when)])
        }
    }
}

fn entries(r: &mut Rng, c: &CatalogInfo, lo: usize, hi: usize) -> Json {
    let n = r.range(lo, hi);
    Json::Array((0..n).map(|_| entry(r, c)).collect())
}

fn catalog(r: &mut Rng) -> (Json, CatalogInfo) {
    let n_sections = r.range(1, 4);
    let sections: Vec<String> = (0..n_sections).map(|i| format!("s{i}")).collect();
    let (perm_json, mut info) = permissions(r, &sections);
    let roles = roles(r, &mut info);
    let n_add = r.range(0, 3);
    let additional: Vec<Json> = (0..n_add)
        .map(|i| {
            info.additional.push(format!("a{i}"));
            o(vec![
                ("id", s(&format!("a{i}"))),
                ("title", s(&format!("Additional {i}"))),
                ("grants", entries(r, &info, 1, 3)),
            ])
        })
        .collect();
    let n_res = r.range(0, 4);
    let restrictions: Vec<Json> = (0..n_res)
        .map(|i| {
            info.restrictions.push(format!("x{i}"));
            o(vec![
                ("id", s(&format!("x{i}"))),
                ("title", s(&format!("Don't allow {i}"))),
                ("denies", entries(r, &info, 1, 2)),
            ])
        })
        .collect();
    let admin = r.pick(&info.perms).cloned().unwrap_or_default();
    let json = o(vec![
        ("id", s("gen")),
        ("title", s("Generated catalog")),
        ("admin_permission", s(&admin)),
        ("single_role", Json::Bool(info.single_role)),
        (
            "sections",
            Json::Array(
                sections
                    .iter()
                    .map(|id| o(vec![("id", s(id)), ("title", s(id))]))
                    .collect(),
            ),
        ),
        ("permissions", Json::Array(perm_json)),
        ("roles", Json::Array(roles)),
        ("additional", Json::Array(additional)),
        ("restrictions", Json::Array(restrictions)),
    ]);
    (json, info)
}

/// 1 to 24 permissions over the sections, some with a nested group id.
fn permissions(r: &mut Rng, sections: &[String]) -> (Vec<Json>, CatalogInfo) {
    let n_perms = r.range(1, 24);
    let mut perms = Vec::new();
    let mut perm_json = Vec::new();
    let mut prefixes: Vec<String> = Vec::new();
    let mut used_sections: Vec<String> = Vec::new();
    for j in 0..n_perms {
        // sections interleave in file order, so the snapshot regroups them
        let sec = sections[r.below(sections.len())].clone();
        let id = if r.chance(30) {
            let g = format!("{sec}.g{}", r.below(2));
            if !prefixes.contains(&g) {
                prefixes.push(g.clone());
            }
            format!("{g}.p{j}")
        } else {
            format!("{sec}.p{j}")
        };
        if !prefixes.contains(&sec) {
            prefixes.push(sec.clone());
        }
        if !used_sections.contains(&sec) {
            used_sections.push(sec.clone());
        }
        perm_json.push(o(vec![
            ("id", s(&id)),
            ("title", s(&format!("Permission {j}"))),
            ("section", s(&sec)),
        ]));
        perms.push(id);
    }
    let info = CatalogInfo {
        perms,
        prefixes,
        used_sections,
        roles: Vec::new(),
        additional: Vec::new(),
        restrictions: Vec::new(),
        single_role: r.chance(15),
    };
    (perm_json, info)
}

/// 0 to 6 roles, each inheriting only from later ones (never a cycle),
/// sometimes as one long chain.
fn roles(r: &mut Rng, info: &mut CatalogInfo) -> Vec<Json> {
    let n_roles = r.range(0, 6);
    let chain = r.chance(10);
    let mut roles = Vec::new();
    for i in 0..n_roles {
        let mut inherits = Vec::new();
        if chain && i + 1 < n_roles {
            inherits.push(s(&format!("r{}", i + 1)));
        } else {
            for j in i + 1..n_roles {
                if r.chance(25) {
                    inherits.push(s(&format!("r{j}")));
                }
            }
        }
        let mut fields = vec![
            ("id", s(&format!("r{i}"))),
            ("title", s(&format!("Role {i} \"é\""))),
        ];
        if !inherits.is_empty() {
            fields.push(("inherits", Json::Array(inherits)));
        }
        if r.chance(85) {
            fields.push(("grants", entries(r, info, 0, 3)));
        }
        roles.push(o(fields));
        info.roles.push(format!("r{i}"));
    }
    roles
}

fn names(r: &mut Rng, from: &[String], lo: usize, hi: usize) -> Json {
    let n = r.range(lo, hi);
    Json::Array((0..n).filter_map(|_| r.pick(from)).map(|x| s(x)).collect())
}

fn access(r: &mut Rng, c: &CatalogInfo) -> Json {
    let mut fields = Vec::new();
    if r.chance(75) {
        let max = if c.single_role { 1 } else { 3 };
        fields.push(("roles", names(r, &c.roles, 0, max)));
    }
    if r.chance(40) {
        fields.push(("additional", names(r, &c.additional, 0, 2)));
    }
    if r.chance(50) {
        fields.push(("restrictions", names(r, &c.restrictions, 0, 2)));
    }
    if r.chance(35) {
        fields.push(("grants", entries(r, c, 0, 2)));
    }
    if r.chance(30) {
        fields.push(("denies", entries(r, c, 0, 2)));
    }
    r.shuffle(&mut fields);
    o(fields)
}

const LABEL_IDS: &[u64] = &[
    0,
    1,
    2,
    7,
    4444,
    4445,
    123_456_789_012,
    9_007_199_254_740_991,
];

struct DirectoryInfo {
    users: Vec<String>,
    labels: Vec<u64>,
}

fn directory(r: &mut Rng, c: &CatalogInfo, now: Millis) -> (Json, DirectoryInfo) {
    let mut ids = LABEL_IDS.to_vec();
    r.shuffle(&mut ids);
    ids.truncate(r.range(1, 5));
    let labels: Vec<Json> = ids
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            o(vec![
                ("id", int(id)),
                ("name", s(&format!("Label {i}"))),
                ("suffix", s(&format!("l{i}"))),
                ("qa", Json::Bool(r.chance(20))),
                ("closed", Json::Bool(r.chance(20))),
            ])
        })
        .collect();
    let n_users = r.range(1, 8);
    let owner = if r.chance(25) {
        Some(r.below(n_users))
    } else {
        None
    };
    let users: Vec<Json> = (0..n_users)
        .map(|i| user(r, c, i, &ids, owner == Some(i), now))
        .collect();
    let user_ids = (0..n_users).map(user_id).collect();
    let json = o(vec![
        ("labels", Json::Array(labels)),
        ("users", Json::Array(users)),
    ]);
    (
        json,
        DirectoryInfo {
            users: user_ids,
            labels: ids,
        },
    )
}

/// User `i`: a home label, an expiry before, at, just after or long after
/// `now` (or none), access entries in some labels, identities.
fn user(r: &mut Rng, c: &CatalogInfo, i: usize, labels: &[u64], owner: bool, now: Millis) -> Json {
    let home = r.below(labels.len());
    let expires = match r.below(20) {
        0..=10 => Json::Null,
        11..=13 => s(&format_rfc3339(now - 1 - r.below(3 * 86_400_000) as Millis)),
        14 => s(&format_rfc3339(now)),
        15 => s(&format_rfc3339(now + 1)),
        _ => s(&format_rfc3339(now + 1 + r.below(2 * 86_400_000) as Millis)),
    };
    let mut access_fields = Vec::new();
    for &l in labels {
        if r.chance(60) {
            access_fields.push((l.to_string(), access(r, c)));
        }
    }
    r.shuffle(&mut access_fields);
    let identities: Vec<Json> = (0..r.below(3))
        .map(|k| {
            o(vec![
                ("iss", s(&format!("https://idp{k}.example"))),
                ("sub", s(&format!("{i}"))),
            ])
        })
        .collect();
    o(vec![
        ("id", s(&user_id(i))),
        ("username", s(&format!("n{i}@l{home}"))),
        ("email", s(&format!("n{i}@corp{}.example", i % 2))),
        ("home_label", int(labels[home])),
        (
            "status",
            s(if r.chance(10) { "disabled" } else { "active" }),
        ),
        ("expires_at", expires),
        ("owner", Json::Bool(owner)),
        ("identities", Json::Array(identities)),
        ("access", Json::Object(access_fields.into_iter().collect())),
    ])
}

fn resource(r: &mut Rng) -> Json {
    let mut attrs: Vec<&str> = ATTRS.to_vec();
    attrs.push("other");
    r.shuffle(&mut attrs);
    let n = r.below(attrs.len() + 1);
    Json::Object(
        attrs[..n]
            .iter()
            .map(|a| {
                let v = match r.below(12) {
                    0 => Json::Null,
                    1 => Json::Array(vec![s("$user")]),
                    _ => scalar(r),
                };
                (a.to_string(), v)
            })
            .collect(),
    )
}

fn check(r: &mut Rng, c: &CatalogInfo, d: &DirectoryInfo) -> Json {
    let user = if r.chance(3) {
        "nobody".to_string()
    } else {
        r.pick(&d.users).cloned().unwrap_or_default()
    };
    let label = if r.chance(6) {
        3
    } else {
        r.pick(&d.labels).copied().unwrap_or(0)
    };
    let action = match r.below(100) {
        0..=2 => "zz.unknown".to_string(),
        3 => "s0.*".to_string(),
        _ => r.pick(&c.perms).cloned().unwrap_or_default(),
    };
    let mut fields = vec![
        ("user", s(&user)),
        ("label", int(label)),
        ("action", s(&action)),
    ];
    if r.chance(60) {
        fields.push(("resource", resource(r)));
    }
    o(fields)
}

/// A random scenario with `checks` checks: a JSON document in the shape of a
/// vector file whose checks have no expectations yet (see [`vector_file`]).
pub fn generate(seed: u64, checks: usize) -> Json {
    let mut r = Rng::new(seed);
    let now = BASE_NOW
        + if r.chance(30) {
            r.below(1000) as Millis
        } else {
            0
        };
    let (cat, ci) = catalog(&mut r);
    let (dir, di) = directory(&mut r, &ci, now);
    let list = (0..checks).map(|_| check(&mut r, &ci, &di)).collect();
    o(vec![
        ("description", s(&format!("testgen scenario {seed}"))),
        ("catalog", cat),
        ("directory", dir),
        ("now", s(&format_rfc3339(now))),
        ("checks", Json::Array(list)),
    ])
}

fn field<'a>(doc: &'a Json, key: &str) -> Result<&'a Json, LoadError> {
    doc.get(key).ok_or_else(|| {
        LoadError::new(
            LoadErrorKind::MissingField,
            "$",
            format!("missing field `{key}`"),
        )
    })
}

fn text(v: &Json) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Loads a generated document through the real loaders (as JSON text, the
/// way a host's files are read). Its checks expect nothing: see [`compare`].
pub fn load(doc: &Json) -> Result<Scenario, LoadError> {
    let catalog = Catalog::from_json_text(&text(field(doc, "catalog")?), "catalog")?;
    let directory =
        Directory::from_json_text(&text(field(doc, "directory")?), "directory", &catalog)?;
    let now = match field(doc, "now")? {
        Json::String(t) => crate::native::directory::timestamp(t, "now")?,
        other => {
            return Err(LoadError::new(
                LoadErrorKind::WrongType,
                "now",
                format!("`now` is a string, not `{other}`"),
            ))
        }
    };
    let docs: Vec<CheckDoc> =
        load::from_value(field(doc, "checks")?).map_err(|e| e.under("checks"))?;
    let checks = docs
        .into_iter()
        .enumerate()
        .map(|(i, c)| c.case(&format!("checks[{i}]"), false))
        .collect::<Result<_, _>>()?;
    Ok(Scenario {
        model: Model::new(catalog, directory),
        now,
        checks,
        admin: Vec::new(),
        sso: Vec::new(),
    })
}

/// A check where the snapshot side did not answer as the server did.
#[derive(Debug, Clone, PartialEq)]
pub struct Mismatch {
    /// index of the check in the scenario
    pub index: usize,
    /// the server's answer
    pub server: Decision,
    /// the snapshot side's answer, or why it had none
    pub snapshot: Result<Decision, String>,
}

/// What [`compare`] found in one scenario.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Compared {
    /// checks answered by both sides and compared
    pub compared: u64,
    /// checks of unknown users (the server side only: `docs/rules.md`, "Parity")
    pub server_only: u64,
    /// disagreements
    pub mismatches: Vec<Mismatch>,
}

/// Decides every check of `s` on the server and through `parity`, and
/// compares them (`docs/rules.md`, "Parity"); stops at the first mismatch when
/// `first_only`.
pub fn compare<P: Parity>(parity: &P, s: &Scenario, first_only: bool) -> Compared {
    let mut out = Compared::default();
    let mut sessions: HashMap<&str, Result<P::Session, String>> = HashMap::new();
    for (index, c) in s.checks.iter().enumerate() {
        let server = s
            .model
            .check(&c.user, c.label, &c.action, c.resource.as_ref(), s.now);
        if server.reason == crate::Reason::UnknownUser {
            out.server_only += 1;
            continue;
        }
        out.compared += 1;
        let session = sessions
            .entry(c.user.as_str())
            .or_insert_with(|| parity.open(s, &c.user));
        let answer = match session {
            Ok(sess) => parity.check(sess, s, c),
            Err(e) => Err(e.clone()),
        };
        let agrees = matches!(&answer, Ok(a) if parity_agrees_in(s, &c.user, &server, a));
        if !agrees {
            out.mismatches.push(Mismatch {
                index,
                server,
                snapshot: answer,
            });
            if first_only {
                break;
            }
        }
    }
    out
}

/// One step of a path into a JSON document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Index(usize),
    Field(usize),
}

/// Every removable node (array element or object member), parents first.
fn removable(v: &Json, path: &mut Vec<Step>, out: &mut Vec<Vec<Step>>) {
    match v {
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                out.push(path.clone());
                removable(item, path, out);
                path.pop();
            }
        }
        Json::Object(fields) => {
            for (i, item) in fields.values().enumerate() {
                path.push(Step::Field(i));
                out.push(path.clone());
                removable(item, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

/// `doc` without the node at `path`.
fn without(doc: &Json, path: &[Step]) -> Option<Json> {
    let mut out = doc.clone();
    let (last, parents) = path.split_last()?;
    let mut node = &mut out;
    for step in parents {
        node = match (node, step) {
            (Json::Array(items), Step::Index(i)) => items.get_mut(*i)?,
            (Json::Object(fields), Step::Field(i)) => fields.values_mut().nth(*i)?,
            _ => return None,
        };
    }
    match (node, last) {
        (Json::Array(items), Step::Index(i)) if *i < items.len() => {
            items.remove(*i);
        }
        (Json::Object(fields), Step::Field(i)) if *i < fields.len() => {
            let key = fields.keys().nth(*i)?.clone();
            fields.shift_remove(&key);
        }
        _ => return None,
    }
    Some(out)
}

/// Whether `doc` loads and its checks show a disagreement.
pub fn disagrees<P: Parity>(parity: &P, doc: &Json) -> bool {
    match load(doc) {
        Ok(s) => !compare(parity, &s, true).mismatches.is_empty(),
        Err(_) => false,
    }
}

/// Shrinks a document whose check `index` disagrees: keeps that check only,
/// then drops any array element or object member (users, labels, access
/// entries, roles, grants, conditions, catalog entries ...) while the
/// document still loads and still disagrees. At most `budget` tries.
pub fn minimize<P: Parity>(parity: &P, doc: &Json, index: usize, budget: usize) -> Json {
    let mut best = doc.clone();
    if let (Json::Object(fields), Some(Json::Array(checks))) = (&mut best, doc.get("checks")) {
        if let Some(keep) = checks.get(index) {
            fields.insert("checks".to_string(), Json::Array(vec![keep.clone()]));
        }
    }
    if !disagrees(parity, &best) {
        return doc.clone();
    }
    let mut tries = 0;
    loop {
        let mut candidates = Vec::new();
        removable(&best, &mut Vec::new(), &mut candidates);
        let mut progressed = false;
        for path in candidates {
            // the description and the one check stay
            let protected = match path.as_slice() {
                [Step::Field(i)] | [Step::Field(i), _] => {
                    matches!(best_key(&best, *i), Some("description" | "checks"))
                }
                _ => false,
            };
            if protected {
                continue;
            }
            if tries >= budget {
                return best;
            }
            tries += 1;
            if let Some(smaller) = without(&best, &path) {
                if disagrees(parity, &smaller) {
                    best = smaller;
                    progressed = true;
                    break;
                }
            }
        }
        if !progressed {
            return best;
        }
    }
}

fn best_key(doc: &Json, i: usize) -> Option<&str> {
    match doc {
        Json::Object(fields) => fields.keys().nth(i).map(String::as_str),
        _ => None,
    }
}

fn decision_json(fields: &mut Map<String, Json>, d: &Decision) {
    for k in ["expect", "reason", "by"] {
        fields.shift_remove(k);
    }
    let expect = if d.allowed { "allow" } else { "deny" };
    fields.insert("expect".into(), s(expect));
    fields.insert("reason".into(), s(d.reason.code()));
    if let Some(by) = &d.by {
        fields.insert("by".into(), s(by));
    }
}

/// A vector file (the format of `docs/rules.md`, inline catalog) from a generated
/// document: every check expects what the server rules answer, so that
/// `permsnap conformance` fails exactly where the snapshot side disagrees.
pub fn vector_file(doc: &Json, description: &str) -> Result<Json, LoadError> {
    let s = load(doc)?;
    let mut out = doc.clone();
    if let Json::Object(fields) = &mut out {
        for (k, v) in fields.iter_mut() {
            if k == "description" {
                *v = Json::String(description.to_string());
            }
            if let (true, Json::Array(checks)) = (k == "checks", &mut *v) {
                for (c, case) in checks.iter_mut().zip(&s.checks) {
                    let d = s.model.check(
                        &case.user,
                        case.label,
                        &case.action,
                        case.resource.as_ref(),
                        s.now,
                    );
                    if let Json::Object(f) = c {
                        decision_json(f, &d);
                    }
                }
            }
        }
    }
    Ok(out)
}

/// JSON text indented by two spaces; small arrays and objects stay on one line.
pub fn pretty(v: &Json) -> String {
    let mut out = String::new();
    pretty_into(v, 0, &mut out);
    out.push('\n');
    out
}

fn pretty_into(v: &Json, indent: usize, out: &mut String) {
    let compact = text(v);
    if compact.len() + indent <= 100 {
        out.push_str(&compact);
        return;
    }
    let pad = "  ".repeat(indent + 1);
    match v {
        Json::Array(items) => {
            out.push_str("[\n");
            for (i, item) in items.iter().enumerate() {
                out.push_str(&pad);
                pretty_into(item, indent + 1, out);
                out.push_str(if i + 1 < items.len() { ",\n" } else { "\n" });
            }
            out.push_str(&"  ".repeat(indent));
            out.push(']');
        }
        Json::Object(fields) => {
            out.push_str("{\n");
            for (i, (k, item)) in fields.iter().enumerate() {
                out.push_str(&pad);
                out.push_str(&text(&Json::String(k.clone())));
                out.push_str(": ");
                pretty_into(item, indent + 1, out);
                out.push_str(if i + 1 < fields.len() { ",\n" } else { "\n" });
            }
            out.push_str(&"  ".repeat(indent));
            out.push('}');
        }
        _ => out.push_str(&compact),
    }
}

/// How a differential run is shaped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffConfig {
    /// the run's seed
    pub seed: u64,
    /// how many checks to generate in all
    pub checks: u64,
    /// checks per generated scenario
    pub checks_per_scenario: usize,
    /// stop after this many disagreements (each is minimized)
    pub max_failures: usize,
    /// tries the minimizer may spend per disagreement
    pub minimize_budget: usize,
}

impl DiffConfig {
    /// `checks` checks from `seed`, 200 a scenario, stopping at 3 failures.
    pub fn new(seed: u64, checks: u64) -> Self {
        DiffConfig {
            seed,
            checks,
            checks_per_scenario: 200,
            max_failures: 3,
            minimize_budget: 20_000,
        }
    }
}

/// One disagreement of a differential run, minimized.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffFailure {
    /// the seed of the scenario it came from ([`generate`] reproduces it)
    pub scenario_seed: u64,
    /// what disagreed (or why the scenario did not load)
    pub message: String,
    /// the minimized vector file text (empty when the scenario did not load)
    pub vector: String,
}

impl DiffFailure {
    /// The file name a failure is written under.
    pub fn file_name(&self) -> String {
        format!("diff-{:016x}.json", self.scenario_seed)
    }

    /// Writes the vector file into `dir` (created if needed); its path.
    pub fn write_to(&self, dir: &std::path::Path) -> std::io::Result<std::path::PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(self.file_name());
        std::fs::write(&path, &self.vector)?;
        Ok(path)
    }
}

/// The result of a differential run.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DiffReport {
    /// scenarios generated
    pub scenarios: u64,
    /// checks generated
    pub checks: u64,
    /// checks answered by the server and the snapshot side and compared
    pub compared: u64,
    /// checks of unknown users, decided by the server only
    pub server_only: u64,
    /// disagreements and scenarios that did not load
    pub failures: Vec<DiffFailure>,
}

fn decision_text(d: &Decision) -> String {
    let verb = if d.allowed { "allow" } else { "deny" };
    match &d.by {
        Some(b) => format!("{verb} {} by {b}", d.reason),
        None => format!("{verb} {}", d.reason),
    }
}

/// Generates scenarios from `cfg.seed` until `cfg.checks` checks were made,
/// and compares the server rules with `parity` on every check. Each
/// disagreement is minimized into a vector file.
pub fn differential<P: Parity>(parity: &P, cfg: &DiffConfig) -> DiffReport {
    let mut report = DiffReport::default();
    let per = cfg.checks_per_scenario.max(1) as u64;
    while report.checks < cfg.checks && report.failures.len() < cfg.max_failures {
        let seed = scenario_seed(cfg.seed, report.scenarios);
        let n = per.min(cfg.checks - report.checks);
        report.scenarios += 1;
        report.checks += n;
        let doc = generate(seed, n as usize);
        let s = match load(&doc) {
            Ok(s) => s,
            Err(e) => {
                report.failures.push(DiffFailure {
                    scenario_seed: seed,
                    message: format!("generated scenario {seed} does not load: {e}"),
                    vector: String::new(),
                });
                continue;
            }
        };
        let c = compare(parity, &s, true);
        report.compared += c.compared;
        report.server_only += c.server_only;
        if let Some(m) = c.mismatches.first() {
            let small = minimize(parity, &doc, m.index, cfg.minimize_budget);
            let said = match &m.snapshot {
                Ok(d) => decision_text(d),
                Err(e) => format!("error {e}"),
            };
            let message = format!(
                "scenario {seed} check {}: server says {}, snapshot says {said}",
                m.index,
                decision_text(&m.server)
            );
            let vector = vector_file(&small, &format!("testgen disagreement: {message}"))
                .map(|v| pretty(&v))
                .unwrap_or_default();
            report.failures.push(DiffFailure {
                scenario_seed: seed,
                message,
                vector,
            });
        }
    }
    report
}

/// `n` JSON object keys whose FNV-1a hashes agree in their low 17 bits:
/// the attacker's shape against a key table hashed with a known function
/// (it made the former hand-written reader quadratic: 16,634 such keys in a
/// JWKS took 0.71 s). Each key's last byte is chosen so that the hash's low
/// bits come out zero. The tests and the benchmark feed them to every
/// reader an attacker reaches.
pub fn crafted_keys(n: usize) -> Vec<String> {
    let fnv = |s: &[u8]| {
        s.iter().fold(0x811c_9dc5_u32, |h, b| {
            (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
        })
    };
    let mut out = Vec::with_capacity(n);
    let mut i = 0u64;
    while out.len() < n {
        let prefix = format!("k{i:x}");
        i += 1;
        let h = fnv(prefix.as_bytes());
        let last = (h & 0xff) as u8;
        if h & 0x1ff00 == 0 && (0x20..0x7f).contains(&last) && last != b'"' && last != b'\\' {
            out.push(format!("{prefix}{}", char::from(last)));
        }
    }
    out
}
