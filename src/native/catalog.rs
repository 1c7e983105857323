//! Catalogs: one product's sections, permissions, roles, additional roles and
//! restriction roles, read from JSON ([`CatalogDoc`], serde) and compiled so
//! that checks never look at a wildcard, a section or an `inherits` again.
//!
//! Loading refuses anything doubtful (unknown ids, typos, cycles, wildcards
//! that match nothing, numbers JavaScript cannot hold) with a [`LoadError`]
//! naming the JSON path; it never skips silently.

use crate::core::rules::{Cond, CondRule, Op, PermSet, RuleSet, Scalar};
use crate::native::load::{self, LoadError, LoadErrorKind as K};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;

/// A section of the back office (a group of permissions).
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// id
    pub id: String,
    /// title, as UI text
    pub title: String,
    /// longer text, may be empty
    pub description: String,
}

/// One permission (`area.verb`).
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    /// id, e.g. `player.give_bonus`
    pub id: String,
    /// title, as UI text
    pub title: String,
    /// index into [`Catalog::sections`]
    pub section: usize,
    /// longer text, may be empty
    pub description: String,
}

/// A role, an additional role or a restriction role.
#[derive(Debug, Clone, PartialEq)]
pub struct Grantor {
    /// id
    pub id: String,
    /// title, as UI text
    pub title: String,
    /// longer text, may be empty
    pub description: String,
    /// indices of the roles this one inherits (roles only)
    pub inherits: Vec<usize>,
    /// what it grants (roles, additional roles; inherited grants included)
    /// or denies (restriction roles)
    pub rules: RuleSet,
}

/// A loaded, compiled catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    /// id, e.g. `smartico-crm`
    pub id: String,
    /// title
    pub title: String,
    /// longer text, may be empty
    pub description: String,
    /// index of the permission that lets a user manage other users
    pub admin_permission: usize,
    /// at most one role per access entry
    pub single_role: bool,
    /// sections in file order
    pub sections: Vec<Section>,
    /// permissions in file order; their indices are what rule sets hold
    pub permissions: Vec<Permission>,
    /// roles in file order
    pub roles: Vec<Grantor>,
    /// additional roles in file order
    pub additional: Vec<Grantor>,
    /// restriction roles in file order
    pub restrictions: Vec<Grantor>,
    perm_index: HashMap<String, usize>,
}

/// The catalog format as written (`docs/rules.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct CatalogDoc {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    admin_permission: String,
    #[serde(default)]
    single_role: bool,
    sections: Vec<SectionDoc>,
    permissions: Vec<PermissionDoc>,
    #[serde(default)]
    roles: Vec<RoleDoc>,
    #[serde(default)]
    additional: Vec<AdditionalDoc>,
    #[serde(default)]
    restrictions: Vec<RestrictionDoc>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
struct SectionDoc {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
struct PermissionDoc {
    id: String,
    title: String,
    section: String,
    #[serde(default)]
    description: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
struct RoleDoc {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    inherits: Vec<String>,
    #[serde(default)]
    grants: Vec<RuleDoc>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
struct AdditionalDoc {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    grants: Vec<RuleDoc>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
struct RestrictionDoc {
    id: String,
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    denies: Vec<RuleDoc>,
}

/// A grant or deny entry as written: a permission id or wildcard, or an
/// object with `permission` or `section` and optional `when`.
#[derive(Debug, Clone, PartialEq)]
pub enum RuleDoc {
    /// `"player.give_bonus"`, `"campaign.*"`, `"*"`
    Name(String),
    /// `{"permission" | "section", "when"?}`
    Object(RuleObject),
}

/// The object form of a grant or deny entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleObject {
    #[serde(default)]
    permission: Option<String>,
    #[serde(default)]
    section: Option<String>,
    /// conditions, checked when the entry is compiled (`bad_condition`)
    #[serde(default)]
    when: Option<Vec<serde_json::Value>>,
}

impl<'de> Deserialize<'de> for RuleDoc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct RuleVisitor;
        impl<'de> Visitor<'de> for RuleVisitor {
            type Value = RuleDoc;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a permission id, a wildcard or an object")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RuleDoc, E> {
                Ok(RuleDoc::Name(v.to_string()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RuleDoc, A::Error> {
                RuleObject::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RuleDoc::Object)
            }
        }
        d.deserialize_any(RuleVisitor)
    }
}

/// Whether `id` is a plain id: non-empty `a-z0-9_-`, at most 128 bytes.
pub fn is_plain_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-'))
}

/// Whether `id` is a permission id: plain ids joined by `.`, at least two.
pub fn is_permission_id(id: &str) -> bool {
    id.contains('.') && id.len() <= 128 && id.split('.').all(is_plain_id)
}

fn plain_id(id: &str, path: &str) -> Result<(), LoadError> {
    if is_plain_id(id) {
        Ok(())
    } else {
        Err(LoadError::new(
            K::BadId,
            path,
            format!("`{id}` is not an id (use a-z, 0-9, `_` and `-`)"),
        ))
    }
}

fn no_duplicates<'a>(
    ids: impl Iterator<Item = &'a str>,
    list: &str,
    what: &str,
) -> Result<(), LoadError> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for (i, id) in ids.enumerate() {
        if let Some(first) = seen.insert(id, i) {
            return Err(LoadError::new(
                K::DuplicateId,
                format!("{list}[{i}].id"),
                format!("{what} id `{id}` is used twice (also at index {first})"),
            ));
        }
    }
    Ok(())
}

fn bad_condition(path: &str, message: impl Into<String>) -> LoadError {
    LoadError::new(K::BadCondition, path, message)
}

/// Reads a condition value: a string, a boolean, or a number JavaScript
/// holds exactly (`bad_value` otherwise, so that the browser compares the
/// same number); `"$user"` is [`Scalar::User`].
fn scalar(v: &serde_json::Value, path: &str) -> Result<Scalar, LoadError> {
    use serde_json::Value as J;
    match v {
        J::String(s) if s == "$user" => Ok(Scalar::User),
        J::String(s) => Ok(Scalar::Str(s.clone())),
        J::Bool(b) => Ok(Scalar::Bool(*b)),
        J::Number(n) => {
            let exact = n
                .as_f64()
                .filter(|f| load::js_exact(*f) && !load::big_int(n, *f));
            exact.map(Scalar::Num).ok_or_else(|| {
                LoadError::new(
                    K::BadValue,
                    path,
                    format!("`{n}` is beyond ±(2^53 - 1): JavaScript would hold another number"),
                )
            })
        }
        other => Err(bad_condition(
            path,
            format!("a condition value must be a string, number or boolean, not `{other}`"),
        )),
    }
}

/// Reads one condition `{"attr": A, OP: V}`.
fn condition(v: &serde_json::Value, path: &str) -> Result<Cond, LoadError> {
    let Some(fields) = v.as_object() else {
        return Err(bad_condition(
            path,
            format!("a condition is an object, not `{v}`"),
        ));
    };
    let ops: Vec<&String> = fields.keys().filter(|k| *k != "attr").collect();
    let [op_name] = ops.as_slice() else {
        return Err(bad_condition(
            path,
            format!("a condition needs `attr` and exactly one of `eq`, `ne`, `in`, `not_in`; found `{v}`"),
        ));
    };
    let op = Op::from_code(op_name)
        .ok_or_else(|| bad_condition(path, format!("unknown condition operator `{op_name}`")))?;
    let attr = match fields.get("attr") {
        Some(serde_json::Value::String(a)) if !a.is_empty() => a.clone(),
        Some(serde_json::Value::String(_)) => {
            return Err(bad_condition(path, "a condition's `attr` is empty"))
        }
        Some(other) => {
            return Err(LoadError::new(
                K::WrongType,
                load::join(path, "attr"),
                format!("`attr` is a string, not `{other}`"),
            ))
        }
        None => {
            return Err(LoadError::new(
                K::MissingField,
                path,
                "a condition needs `attr`",
            ))
        }
    };
    let value = &fields[op_name.as_str()];
    let vpath = load::join(path, op_name);
    let values = match (op, value) {
        (Op::Eq | Op::Ne, v) => vec![scalar(v, &vpath)?],
        (Op::In | Op::NotIn, serde_json::Value::Array(list)) => list
            .iter()
            .enumerate()
            .map(|(i, v)| scalar(v, &format!("{vpath}[{i}]")))
            .collect::<Result<_, _>>()?,
        (_, other) => {
            return Err(bad_condition(
                &vpath,
                format!("`{}` takes a list, not `{other}`", op.code()),
            ))
        }
    };
    Ok(Cond { attr, op, values })
}

/// Expands grant and deny entries against a catalog's permissions and sections.
struct Expander<'a> {
    perms: &'a [Permission],
    sections: &'a [Section],
    perm_index: &'a HashMap<String, usize>,
}

impl Expander<'_> {
    /// The permission indices a permission id or wildcard names.
    fn permissions(&self, id: &str, path: &str) -> Result<Vec<usize>, LoadError> {
        let matches_nothing = || {
            LoadError::new(
                K::WildcardMatchesNothing,
                path,
                format!("`{id}` matches no permission"),
            )
        };
        if id == "*" {
            return (!self.perms.is_empty())
                .then(|| (0..self.perms.len()).collect())
                .ok_or_else(matches_nothing);
        }
        let not_an_id = || {
            LoadError::new(
                K::BadId,
                path,
                format!("`{id}` is not a permission id or wildcard"),
            )
        };
        if let Some(prefix) = id.strip_suffix(".*") {
            if !prefix.split('.').all(is_plain_id) {
                return Err(not_an_id());
            }
            let dotted = format!("{prefix}.");
            let found: Vec<usize> = (0..self.perms.len())
                .filter(|&i| self.perms[i].id.starts_with(&dotted))
                .collect();
            return (!found.is_empty())
                .then_some(found)
                .ok_or_else(matches_nothing);
        }
        if id.contains('*') || !is_permission_id(id) {
            return Err(not_an_id());
        }
        self.perm_index.get(id).map(|&i| vec![i]).ok_or_else(|| {
            LoadError::new(
                K::UnknownPermission,
                path,
                format!("`{id}` is not a permission of the catalog"),
            )
        })
    }

    /// The permission indices of a section.
    fn section(&self, id: &str, path: &str) -> Result<Vec<usize>, LoadError> {
        let s = self
            .sections
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| {
                LoadError::new(
                    K::UnknownSection,
                    path,
                    format!("`{id}` is not a section of the catalog"),
                )
            })?;
        let found: Vec<usize> = (0..self.perms.len())
            .filter(|&i| self.perms[i].section == s)
            .collect();
        if found.is_empty() {
            return Err(LoadError::new(
                K::WildcardMatchesNothing,
                path,
                format!("section `{id}` has no permission"),
            ));
        }
        Ok(found)
    }

    /// The permissions and conditions of one grant or deny entry.
    fn entry(&self, e: &RuleDoc, path: &str) -> Result<(Vec<usize>, Vec<Cond>), LoadError> {
        let o = match e {
            RuleDoc::Name(id) => return Ok((self.permissions(id, path)?, Vec::new())),
            RuleDoc::Object(o) => o,
        };
        let perms = match (&o.permission, &o.section) {
            (Some(p), None) => self.permissions(p, &load::join(path, "permission"))?,
            (None, Some(s)) => self.section(s, &load::join(path, "section"))?,
            _ => {
                return Err(LoadError::new(
                    K::MissingField,
                    path,
                    "a grant or deny object needs exactly one of `permission` and `section`",
                ))
            }
        };
        let when = match &o.when {
            None => Vec::new(),
            Some(list) if list.is_empty() => {
                return Err(bad_condition(
                    &load::join(path, "when"),
                    "`when` is an empty list; leave it out instead",
                ))
            }
            Some(list) => list
                .iter()
                .enumerate()
                .map(|(i, c)| condition(c, &format!("{path}.when[{i}]")))
                .collect::<Result<_, _>>()?,
        };
        Ok((perms, when))
    }

    /// Compiles a list of grant or deny entries at `path`.
    fn rules(&self, entries: &[RuleDoc], path: &str) -> Result<RuleSet, LoadError> {
        let mut rules = RuleSet {
            always: PermSet::with_capacity(self.perms.len()),
            when: Vec::new(),
        };
        for (i, e) in entries.iter().enumerate() {
            let (perms, when) = self.entry(e, &format!("{path}[{i}]"))?;
            for p in perms {
                if when.is_empty() {
                    rules.always.insert(p);
                    continue;
                }
                let rule = CondRule {
                    perm: p,
                    when: when.clone(),
                };
                if !rules.when.contains(&rule) {
                    rules.when.push(rule);
                }
            }
        }
        Ok(rules)
    }
}

/// The most conditional rules one role may carry, inherited ones included.
pub const MAX_ROLE_CONDITIONAL_RULES: usize = 1_000;

/// The most conditional rules all roles of a catalog may carry, inherited ones included.
pub const MAX_CATALOG_CONDITIONAL_RULES: usize = 100_000;

impl Catalog {
    /// Reads and compiles a catalog from JSON text; `file` names it in errors.
    pub fn from_json_text(text: &str, file: &str) -> Result<Catalog, LoadError> {
        load::from_file_text::<CatalogDoc>(text, file)
            .and_then(|doc| Catalog::compile(doc).map_err(|e| e.in_file(file)))
    }

    /// Reads and compiles a catalog from a JSON value (a part of a larger
    /// document already checked for duplicate keys).
    pub fn from_value(value: &serde_json::Value) -> Result<Catalog, LoadError> {
        load::from_value::<CatalogDoc>(value).and_then(Catalog::compile)
    }

    /// Compiles a catalog document: ids checked, references resolved,
    /// wildcards and sections expanded, inheritance folded.
    pub fn compile(doc: CatalogDoc) -> Result<Catalog, LoadError> {
        plain_id(&doc.id, "id")?;
        let sections = compile_sections(doc.sections)?;
        let permissions = compile_permissions(doc.permissions, &sections)?;
        let perm_index: HashMap<String, usize> = permissions
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.clone(), i))
            .collect();
        let admin_permission = *perm_index.get(&doc.admin_permission).ok_or_else(|| {
            LoadError::new(
                K::UnknownPermission,
                "admin_permission",
                format!(
                    "`{}` is not a permission of the catalog",
                    doc.admin_permission
                ),
            )
        })?;
        let ex = Expander {
            perms: &permissions,
            sections: &sections,
            perm_index: &perm_index,
        };
        let roles = compile_roles(&ex, doc.roles)?;
        let additional = doc
            .additional
            .into_iter()
            .map(|a| (a.id, a.title, a.description, a.grants))
            .collect();
        let additional =
            compile_grantors(&ex, additional, "additional", "grants", "additional role")?;
        let restrictions = doc
            .restrictions
            .into_iter()
            .map(|r| (r.id, r.title, r.description, r.denies))
            .collect();
        let restrictions =
            compile_grantors(&ex, restrictions, "restrictions", "denies", "restriction")?;
        Ok(Catalog {
            id: doc.id,
            title: doc.title,
            description: doc.description,
            admin_permission,
            single_role: doc.single_role,
            sections,
            permissions,
            roles,
            additional,
            restrictions,
            perm_index,
        })
    }

    /// The index of a permission id.
    pub fn permission(&self, id: &str) -> Option<usize> {
        self.perm_index.get(id).copied()
    }

    /// The index of a role id.
    pub fn role(&self, id: &str) -> Option<usize> {
        self.roles.iter().position(|r| r.id == id)
    }

    /// The index of an additional role id.
    pub fn additional_role(&self, id: &str) -> Option<usize> {
        self.additional.iter().position(|r| r.id == id)
    }

    /// The index of a restriction role id.
    pub fn restriction(&self, id: &str) -> Option<usize> {
        self.restrictions.iter().position(|r| r.id == id)
    }

    /// Compiles grant or deny entries against this catalog (an access
    /// entry's `grants` and `denies`), at `path`.
    pub fn rules(&self, entries: &[RuleDoc], path: &str) -> Result<RuleSet, LoadError> {
        Expander {
            perms: &self.permissions,
            sections: &self.sections,
            perm_index: &self.perm_index,
        }
        .rules(entries, path)
    }
}

fn compile_sections(docs: Vec<SectionDoc>) -> Result<Vec<Section>, LoadError> {
    for (i, s) in docs.iter().enumerate() {
        plain_id(&s.id, &format!("sections[{i}].id"))?;
    }
    no_duplicates(docs.iter().map(|s| s.id.as_str()), "sections", "section")?;
    Ok(docs
        .into_iter()
        .map(|s| Section {
            id: s.id,
            title: s.title,
            description: s.description,
        })
        .collect())
}

fn compile_permissions(
    docs: Vec<PermissionDoc>,
    sections: &[Section],
) -> Result<Vec<Permission>, LoadError> {
    let mut out = Vec::with_capacity(docs.len());
    for (i, p) in docs.into_iter().enumerate() {
        if !is_permission_id(&p.id) {
            return Err(LoadError::new(
                K::BadId,
                format!("permissions[{i}].id"),
                format!(
                    "`{}` is not a permission id (`area.verb`, a-z 0-9 _ -)",
                    p.id
                ),
            ));
        }
        let section = sections
            .iter()
            .position(|s| s.id == p.section)
            .ok_or_else(|| {
                LoadError::new(
                    K::UnknownSection,
                    format!("permissions[{i}].section"),
                    format!("`{}` is not a section of the catalog", p.section),
                )
            })?;
        out.push(Permission {
            id: p.id,
            title: p.title,
            section,
            description: p.description,
        });
    }
    no_duplicates(
        out.iter().map(|p| p.id.as_str()),
        "permissions",
        "permission",
    )?;
    Ok(out)
}

/// Additional roles and restriction roles: `(id, title, description, entries)`.
fn compile_grantors(
    ex: &Expander<'_>,
    docs: Vec<(String, String, String, Vec<RuleDoc>)>,
    list: &str,
    field: &str,
    what: &str,
) -> Result<Vec<Grantor>, LoadError> {
    let mut out = Vec::with_capacity(docs.len());
    for (i, (id, title, description, entries)) in docs.into_iter().enumerate() {
        plain_id(&id, &format!("{list}[{i}].id"))?;
        let rules = ex.rules(&entries, &format!("{list}[{i}].{field}"))?;
        out.push(Grantor {
            id,
            title,
            description,
            inherits: Vec::new(),
            rules,
        });
    }
    no_duplicates(out.iter().map(|g| g.id.as_str()), list, what)?;
    Ok(out)
}

/// Roles: their own grants compiled, then `inherits` resolved and folded.
fn compile_roles(ex: &Expander<'_>, docs: Vec<RoleDoc>) -> Result<Vec<Grantor>, LoadError> {
    let mut inherits = Vec::with_capacity(docs.len());
    let mut own = Vec::with_capacity(docs.len());
    for r in docs {
        inherits.push(r.inherits);
        own.push((r.id, r.title, r.description, r.grants));
    }
    let mut roles = compile_grantors(ex, own, "roles", "grants", "role")?;
    let parents = resolve_parents(&roles, &inherits)?;
    let order = parents_first(&roles, &parents)?;
    fold_inherited(&mut roles, &parents, &order)?;
    for (r, ps) in roles.iter_mut().zip(parents) {
        r.inherits = ps;
    }
    Ok(roles)
}

/// The role indices each role's `inherits` names.
fn resolve_parents(
    roles: &[Grantor],
    inherits: &[Vec<String>],
) -> Result<Vec<Vec<usize>>, LoadError> {
    let index: HashMap<&str, usize> = roles
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    inherits
        .iter()
        .enumerate()
        .map(|(i, names)| {
            names
                .iter()
                .enumerate()
                .map(|(j, name)| {
                    index.get(name.as_str()).copied().ok_or_else(|| {
                        LoadError::new(
                            K::UnknownRole,
                            format!("roles[{i}].inherits[{j}]"),
                            format!("`{name}` is not a role of the catalog"),
                        )
                    })
                })
                .collect()
        })
        .collect()
}

/// The roles ordered parents before children; a cycle is refused with its
/// path. Depth-first and iterative, so a long chain cannot exhaust the stack.
fn parents_first(roles: &[Grantor], parents: &[Vec<usize>]) -> Result<Vec<usize>, LoadError> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        New,
        OnPath,
        Done,
    }
    let mut state = vec![State::New; roles.len()];
    let mut order = Vec::with_capacity(roles.len());
    for start in 0..roles.len() {
        if state[start] != State::New {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = State::OnPath;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let Some(&p) = parents[node].get(*next) else {
                state[node] = State::Done;
                order.push(node);
                stack.pop();
                continue;
            };
            *next += 1;
            match state[p] {
                State::New => {
                    state[p] = State::OnPath;
                    stack.push((p, 0));
                }
                State::OnPath => {
                    let mut cycle: Vec<&str> = stack
                        .iter()
                        .skip_while(|(n, _)| *n != p)
                        .map(|(n, _)| roles[*n].id.as_str())
                        .collect();
                    cycle.push(&roles[p].id);
                    return Err(LoadError::new(
                        K::InheritanceCycle,
                        format!("roles[{node}].inherits"),
                        format!("roles inherit in a cycle: `{}`", cycle.join("` -> `")),
                    ));
                }
                State::Done => {}
            }
        }
    }
    Ok(order)
}

/// Folds every inherited grant into the inheriting role, parents first.
/// Conditional rules are copied into every role that inherits them, so a
/// long chain of roles with conditions grows quadratically: bounded here.
fn fold_inherited(
    roles: &mut [Grantor],
    parents: &[Vec<usize>],
    order: &[usize],
) -> Result<(), LoadError> {
    let mut total = 0usize;
    for &n in order {
        let mut rules = roles[n].rules.clone();
        for &p in &parents[n] {
            let inherited = &roles[p].rules;
            if rules.when.len() + inherited.when.len() > MAX_ROLE_CONDITIONAL_RULES {
                return Err(LoadError::new(
                    K::TooLarge,
                    format!("roles[{n}]"),
                    format!(
                        "role `{}` would carry more than {MAX_ROLE_CONDITIONAL_RULES} conditional rules with what it inherits",
                        roles[n].id
                    ),
                ));
            }
            rules.extend(inherited);
        }
        total += rules.when.len();
        if total > MAX_CATALOG_CONDITIONAL_RULES {
            return Err(LoadError::new(
                K::TooLarge,
                format!("roles[{n}]"),
                format!("the roles would carry more than {MAX_CATALOG_CONDITIONAL_RULES} conditional rules in all, inheritance included"),
            ));
        }
        roles[n].rules = rules;
    }
    Ok(())
}
#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Catalog, LoadError> {
        Catalog::from_json_text(text, "test.json")
    }

    const BASE: &str = r#""id":"c","title":"C","admin_permission":"users.manage",
        "sections":[{"id":"users","title":"Users"},{"id":"player","title":"Player"}],
        "permissions":[{"id":"users.manage","title":"Manage","section":"users"},
                       {"id":"player.give_bonus","title":"Bonus","section":"player"},
                       {"id":"player.adjust_points","title":"Points","section":"player"}]"#;

    #[test]
    fn inheritance_folds_grants_transitively() {
        let c = load(&format!(
            r#"{{{BASE},"roles":[{{"id":"a","title":"A","inherits":["b"],"grants":["users.manage"]}},
            {{"id":"b","title":"B","inherits":["c"]}},{{"id":"c","title":"C","grants":[{{"section":"player"}}]}}]}}"#
        ))
        .unwrap();
        assert_eq!(
            c.roles[0].rules.always.iter().collect::<Vec<_>>(),
            vec![0, 1, 2]
        );
        assert_eq!(
            c.roles[1].rules.always.iter().collect::<Vec<_>>(),
            vec![1, 2]
        );
    }

    #[test]
    fn a_long_chain_of_conditional_roles_is_refused_as_too_large_not_slow() {
        let roles: Vec<String> = (0..1200)
            .map(|i| {
                format!(
                    r#"{{"id":"r{i}","title":"R","inherits":[{}],"grants":[{{"permission":"users.manage","when":[{{"attr":"a","eq":{i}}}]}}]}}"#,
                    if i + 1 < 1200 { format!("\"r{}\"", i + 1) } else { String::new() }
                )
            })
            .collect();
        let started = std::time::Instant::now();
        let e = load(&format!("{{{BASE},\"roles\":[{}]}}", roles.join(","))).unwrap_err();
        assert_eq!(e.code(), "too_large", "{e}");
        assert!(e.message.contains("conditional rules"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn a_cycle_is_refused_with_its_path() {
        let e = load(&format!(
            r#"{{{BASE},"roles":[{{"id":"a","title":"A","inherits":["b"]}},{{"id":"b","title":"B","inherits":["a"]}}]}}"#
        ))
        .unwrap_err();
        assert_eq!(e.code(), "inheritance_cycle");
        assert!(e.message.contains("`a` -> `b` -> `a`"), "{e}");
        assert_eq!(e.file.as_deref(), Some("test.json"));
    }

    #[test]
    fn each_bad_input_class_has_its_code() {
        let cases = [
            (
                r#""roles":[{"id":"a","title":"A","grants":["player.nope"]}]"#,
                "unknown_permission",
                "roles[0].grants[0]",
            ),
            (
                r#""roles":[{"id":"a","title":"A","grants":["shop.*"]}]"#,
                "wildcard_matches_nothing",
                "roles[0].grants[0]",
            ),
            (
                r#""roles":[{"id":"a","title":"A","grants":[{"section":"shop"}]}]"#,
                "unknown_section",
                "roles[0].grants[0].section",
            ),
            (
                r#""roles":[{"id":"a","title":"A","inherits":["zz"]}]"#,
                "unknown_role",
                "roles[0].inherits[0]",
            ),
            (
                r#""roles":[{"id":"a","title":"A"},{"id":"a","title":"A2"}]"#,
                "duplicate_id",
                "roles[1].id",
            ),
            (
                r#""roles":[{"id":"A b","title":"A"}]"#,
                "bad_id",
                "roles[0].id",
            ),
            (
                r#""roles":[{"id":"a","title":"A","inherit":[]}]"#,
                "unknown_field",
                "roles[0].inherit",
            ),
            (r#""roles":[{"id":"a"}]"#, "missing_field", "roles[0]"),
            (
                r#""roles":[{"id":"a","title":7}]"#,
                "wrong_type",
                "roles[0].title",
            ),
            (
                r#""roles":[{"id":"a","title":"A","grants":[{"permission":"users.manage","when":[{"attr":"x","eq":1,"ne":2}]}]}]"#,
                "bad_condition",
                "roles[0].grants[0].when[0]",
            ),
            (
                r#""roles":[{"id":"a","title":"A","grants":[{"permission":"users.manage","when":[{"attr":"x","in":"y"}]}]}]"#,
                "bad_condition",
                "roles[0].grants[0].when[0].in",
            ),
            (
                r#""roles":[{"id":"a","title":"A","grants":[{"permission":"users.manage","when":[]}]}]"#,
                "bad_condition",
                "roles[0].grants[0].when",
            ),
            (
                r#""restrictions":[{"id":"x","title":"X","grants":["users.manage"]}]"#,
                "unknown_field",
                "restrictions[0].grants",
            ),
        ];
        for (extra, code, path) in cases {
            let e = load(&format!("{{{BASE},{extra}}}")).unwrap_err();
            assert_eq!((e.code(), e.path.as_str()), (code, path), "{extra}: {e}");
        }
    }

    #[test]
    fn a_catalog_or_an_entry_written_as_a_list_is_wrong_type_never_read_by_position() {
        let e = load(r#"["c","C","","users.manage",false,[],[]]"#).unwrap_err();
        assert_eq!((e.code(), e.path.as_str()), ("wrong_type", "$"));
        let e = load(&format!(r#"{{{BASE},"roles":[["a","A"]]}}"#)).unwrap_err();
        assert_eq!((e.code(), e.path.as_str()), ("wrong_type", "roles[0]"));
    }

    #[test]
    fn admin_permission_must_exist() {
        let text = format!(
            "{{{}}}",
            BASE.replace(
                "\"admin_permission\":\"users.manage\"",
                "\"admin_permission\":\"users.nope\""
            )
        );
        let e = load(&text).unwrap_err();
        assert_eq!(
            (e.code(), e.path.as_str()),
            ("unknown_permission", "admin_permission")
        );
    }
}

crate::core::error::map_only!(
    CatalogDoc,
    SectionDoc,
    PermissionDoc,
    RoleDoc,
    AdditionalDoc,
    RestrictionDoc
);
