//! Catalogs: one product's sections, permissions, roles, additional roles and
//! restriction roles, loaded from JSON and compiled so that checks never
//! look at a wildcard, a section or an `inherits` again.
//!
//! Loading refuses anything doubtful (unknown ids, typos, cycles, wildcards
//! that match nothing) with a [`LoadError`]; it never skips silently.

use crate::error::{LoadError, LoadErrorKind as K};
use crate::json::{Json, Val};
use crate::rules::{Cond, CondRule, Op, PermSet, RuleSet, Scalar};
use std::collections::HashMap;

/// A section of the back office (a group of permissions).
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// id
    pub id: String,
    /// title as the product spells it
    pub title: String,
    /// longer text, may be empty
    pub description: String,
}

/// One permission (`area.verb`).
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    /// id, e.g. `player.give_bonus`
    pub id: String,
    /// title as the product spells it
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
    /// title as the product spells it
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

/// Whether `id` is a plain id: non-empty `a-z0-9_-`.
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

fn plain_id(v: Val<'_>) -> Result<String, LoadError> {
    let s = v.str()?;
    if is_plain_id(s) {
        Ok(s.to_string())
    } else {
        Err(v.error(
            K::BadId,
            format!("`{s}` is not an id (use a-z, 0-9, `_` and `-`)"),
        ))
    }
}

fn text(v: Val<'_>) -> Result<String, LoadError> {
    v.str().map(str::to_string)
}

fn index_of<'a>(
    items: impl Iterator<Item = &'a str>,
    v: Val<'_>,
    kind: K,
    what: &str,
) -> Result<usize, LoadError> {
    let id = v.str()?;
    let mut items = items;
    items
        .position(|x| x == id)
        .ok_or_else(|| v.error(kind, format!("`{id}` is not {what} of the catalog")))
}

fn no_duplicates<T>(
    items: &[T],
    id: impl Fn(&T) -> &str,
    list: Val<'_>,
    what: &str,
) -> Result<(), LoadError> {
    let mut seen = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(first) = seen.insert(id(item), i) {
            return Err(LoadError::new(
                K::DuplicateId,
                format!("{}[{i}].id", list.path()),
                format!(
                    "{what} id `{}` is used twice (also at index {first})",
                    id(item)
                ),
            ));
        }
    }
    Ok(())
}

/// Reads a scalar condition value; `"$user"` becomes [`Scalar::User`].
pub fn scalar(v: Val<'_>) -> Result<Scalar, LoadError> {
    match v.v {
        Json::Str(s) if s == "$user" => Ok(Scalar::User),
        Json::Str(s) => Ok(Scalar::Str(s.clone())),
        Json::Num(n) => Ok(Scalar::Num(*n)),
        Json::Bool(b) => Ok(Scalar::Bool(*b)),
        other => Err(v.error(
            K::BadCondition,
            format!(
                "a condition value must be a string, number or boolean, not {}",
                other.type_name()
            ),
        )),
    }
}

fn condition(v: Val<'_>) -> Result<Cond, LoadError> {
    let Json::Obj(fields) = v.v else {
        return Err(v.error(
            K::BadCondition,
            format!("a condition is an object, not `{}`", v.v.snippet()),
        ));
    };
    let ops: Vec<&str> = fields
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != "attr")
        .collect();
    let [op_name] = ops.as_slice() else {
        return Err(v.error(
            K::BadCondition,
            format!("a condition needs `attr` and exactly one of `eq`, `ne`, `in`, `not_in`; found `{}`", v.v.snippet()),
        ));
    };
    let Some(op) = Op::from_code(op_name) else {
        return Err(v.error(
            K::BadCondition,
            format!("unknown condition operator `{op_name}`"),
        ));
    };
    v.object(|o| {
        let attr = o.req("attr", |a| {
            let s = a.str()?;
            if s.is_empty() {
                return Err(a.error(K::BadCondition, "a condition's `attr` is empty"));
            }
            Ok(s.to_string())
        })?;
        let values = match op {
            Op::Eq | Op::Ne => o.req(op.code(), |x| scalar(x).map(|s| vec![s]))?,
            Op::In | Op::NotIn => o.req(op.code(), |x| {
                if x.v.as_arr().is_none() {
                    return Err(x.error(
                        K::BadCondition,
                        format!("`{}` takes a list, not `{}`", op.code(), x.v.snippet()),
                    ));
                }
                x.each(scalar)
            })?,
        };
        Ok(Cond { attr, op, values })
    })
}

struct Expander<'a> {
    perms: &'a [Permission],
    sections: &'a [Section],
    perm_index: &'a HashMap<String, usize>,
}

impl Expander<'_> {
    /// The permission indices a permission id or wildcard names.
    fn permissions(&self, v: Val<'_>) -> Result<Vec<usize>, LoadError> {
        let id = v.str()?;
        if id == "*" {
            if self.perms.is_empty() {
                return Err(v.error(K::WildcardMatchesNothing, "`*` matches no permission"));
            }
            return Ok((0..self.perms.len()).collect());
        }
        if let Some(prefix) = id.strip_suffix(".*") {
            if !prefix.split('.').all(is_plain_id) {
                return Err(v.error(
                    K::BadId,
                    format!("`{id}` is not a permission id or wildcard"),
                ));
            }
            let dotted = format!("{prefix}.");
            let found: Vec<usize> = (0..self.perms.len())
                .filter(|&i| self.perms[i].id.starts_with(&dotted))
                .collect();
            if found.is_empty() {
                return Err(v.error(
                    K::WildcardMatchesNothing,
                    format!("`{id}` matches no permission"),
                ));
            }
            return Ok(found);
        }
        if id.contains('*') || !is_permission_id(id) {
            return Err(v.error(
                K::BadId,
                format!("`{id}` is not a permission id or wildcard"),
            ));
        }
        self.perm_index.get(id).map(|&i| vec![i]).ok_or_else(|| {
            v.error(
                K::UnknownPermission,
                format!("`{id}` is not a permission of the catalog"),
            )
        })
    }

    fn section(&self, v: Val<'_>) -> Result<Vec<usize>, LoadError> {
        let s = index_of(
            self.sections.iter().map(|s| s.id.as_str()),
            v,
            K::UnknownSection,
            "a section",
        )?;
        let found: Vec<usize> = (0..self.perms.len())
            .filter(|&i| self.perms[i].section == s)
            .collect();
        if found.is_empty() {
            return Err(v.error(
                K::WildcardMatchesNothing,
                format!("section `{}` has no permission", self.sections[s].id),
            ));
        }
        Ok(found)
    }

    /// Reads one grant or deny entry into `rules`.
    fn entry(&self, v: Val<'_>, rules: &mut RuleSet) -> Result<(), LoadError> {
        let (perms, when) = match v.v {
            Json::Str(_) => (self.permissions(v)?, Vec::new()),
            Json::Obj(fields) => {
                let has = |k: &str| fields.iter().any(|(f, _)| f == k);
                if has("permission") == has("section") {
                    return Err(v.error(
                        K::MissingField,
                        "a grant or deny object needs exactly one of `permission` and `section`",
                    ));
                }
                v.object(|o| {
                    let perms = match o.opt("permission", |p| self.permissions(p))? {
                        Some(p) => p,
                        None => o.req("section", |s| self.section(s))?,
                    };
                    let when = o
                        .opt("when", |w| {
                            let conds = w.each(condition)?;
                            if conds.is_empty() {
                                return Err(w.error(
                                    K::BadCondition,
                                    "`when` is an empty list; leave it out instead",
                                ));
                            }
                            Ok(conds)
                        })?
                        .unwrap_or_default();
                    Ok((perms, when))
                })?
            }
            other => {
                return Err(v.error(
                    K::WrongType,
                    format!(
                        "a grant or deny is a permission id, a wildcard or an object, not {}",
                        other.type_name()
                    ),
                ))
            }
        };
        for p in perms {
            if when.is_empty() {
                rules.always.insert(p);
            } else {
                let rule = CondRule {
                    perm: p,
                    when: when.clone(),
                };
                if !rules.when.contains(&rule) {
                    rules.when.push(rule);
                }
            }
        }
        Ok(())
    }

    /// Reads a list of grant or deny entries.
    pub fn rules(&self, v: Val<'_>) -> Result<RuleSet, LoadError> {
        let mut rules = RuleSet {
            always: PermSet::with_capacity(self.perms.len()),
            when: Vec::new(),
        };
        v.each(|e| self.entry(e, &mut rules))?;
        Ok(rules)
    }
}

/// The most conditional rules one role may carry, inherited ones included.
pub const MAX_ROLE_CONDITIONAL_RULES: usize = 1_000;

/// The most conditional rules all roles of a catalog may carry, inherited ones included.
pub const MAX_CATALOG_CONDITIONAL_RULES: usize = 100_000;

struct RawGrantor {
    id: String,
    title: String,
    description: String,
    inherits: Vec<String>,
    rules: RuleSet,
}

impl Catalog {
    /// Parses and compiles a catalog from JSON text; `file` names it in errors.
    pub fn from_json_text(text: &str, file: &str) -> Result<Catalog, LoadError> {
        let json = Json::parse(text).map_err(|e| LoadError::from(e).in_file(file))?;
        Catalog::from_json(&json).map_err(|e| e.in_file(file))
    }

    /// Compiles a catalog from a parsed JSON value.
    pub fn from_json(json: &Json) -> Result<Catalog, LoadError> {
        Val::root(json).object(|o| {
            let id = o.req("id", plain_id)?;
            let title = o.req("title", text)?;
            let description = o.opt("description", text)?.unwrap_or_default();
            let single_role = o.opt("single_role", |v| v.bool())?.unwrap_or(false);
            let sections = o.req("sections", |list| {
                let sections = list.each(|v| {
                    v.object(|s| {
                        Ok(Section {
                            id: s.req("id", plain_id)?,
                            title: s.req("title", text)?,
                            description: s.opt("description", text)?.unwrap_or_default(),
                        })
                    })
                })?;
                no_duplicates(&sections, |s| &s.id, list, "section")?;
                Ok(sections)
            })?;
            let permissions = o.req("permissions", |list| {
                let perms = list.each(|v| {
                    v.object(|p| {
                        let id = p.req("id", |v| {
                            let s = v.str()?;
                            if is_permission_id(s) {
                                Ok(s.to_string())
                            } else {
                                Err(v.error(
                                    K::BadId,
                                    format!(
                                        "`{s}` is not a permission id (`area.verb`, a-z 0-9 _ -)"
                                    ),
                                ))
                            }
                        })?;
                        let title = p.req("title", text)?;
                        let section = p.req("section", |v| {
                            index_of(
                                sections.iter().map(|s| s.id.as_str()),
                                v,
                                K::UnknownSection,
                                "a section",
                            )
                        })?;
                        let description = p.opt("description", text)?.unwrap_or_default();
                        Ok(Permission {
                            id,
                            title,
                            section,
                            description,
                        })
                    })
                })?;
                no_duplicates(&perms, |p| &p.id, list, "permission")?;
                Ok(perms)
            })?;
            let perm_index: HashMap<String, usize> = permissions
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.clone(), i))
                .collect();
            let ex = Expander {
                perms: &permissions,
                sections: &sections,
                perm_index: &perm_index,
            };
            let admin_permission = o.req("admin_permission", |v| {
                let id = v.str()?;
                perm_index.get(id).copied().ok_or_else(|| {
                    v.error(
                        K::UnknownPermission,
                        format!("`{id}` is not a permission of the catalog"),
                    )
                })
            })?;
            let grantors = |o: &mut crate::json::Obj<'_>,
                            key: &'static str,
                            list_key: &'static str,
                            inherits: bool| {
                o.opt(key, |list| {
                    let items = list.each(|v| {
                        v.object(|g| {
                            Ok(RawGrantor {
                                id: g.req("id", plain_id)?,
                                title: g.req("title", text)?,
                                description: g.opt("description", text)?.unwrap_or_default(),
                                inherits: if inherits {
                                    g.opt("inherits", |l| l.each(|x| x.str().map(str::to_string)))?
                                        .unwrap_or_default()
                                } else {
                                    Vec::new()
                                },
                                rules: g.opt(list_key, |l| ex.rules(l))?.unwrap_or_default(),
                            })
                        })
                    })?;
                    no_duplicates(&items, |g| &g.id, list, key.trim_end_matches('s'))?;
                    Ok(items)
                })
                .map(Option::unwrap_or_default)
            };
            let raw_roles = grantors(o, "roles", "grants", true)?;
            let additional = grantors(o, "additional", "grants", false)?;
            let restrictions = grantors(o, "restrictions", "denies", false)?;
            let roles = resolve_inheritance(raw_roles, o)?;
            let finish = |raw: Vec<RawGrantor>| {
                raw.into_iter()
                    .map(|r| Grantor {
                        id: r.id,
                        title: r.title,
                        description: r.description,
                        inherits: Vec::new(),
                        rules: r.rules,
                    })
                    .collect()
            };
            Ok(Catalog {
                id,
                title,
                description,
                admin_permission,
                single_role,
                sections,
                permissions,
                roles,
                additional: finish(additional),
                restrictions: finish(restrictions),
                perm_index,
            })
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

    /// Reads a list of grant or deny entries against this catalog (as in an
    /// access entry's `grants` and `denies`).
    pub fn rules(&self, v: Val<'_>) -> Result<RuleSet, LoadError> {
        Expander {
            perms: &self.permissions,
            sections: &self.sections,
            perm_index: &self.perm_index,
        }
        .rules(v)
    }
}

/// Resolves `inherits` names, refuses cycles, and folds every inherited grant
/// into the inheriting role.
fn resolve_inheritance(
    raw: Vec<RawGrantor>,
    o: &crate::json::Obj<'_>,
) -> Result<Vec<Grantor>, LoadError> {
    let index: HashMap<&str, usize> = raw
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut parents = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let mut ps = Vec::new();
        for (j, name) in r.inherits.iter().enumerate() {
            let p = index.get(name.as_str()).copied().ok_or_else(|| {
                LoadError::new(
                    K::UnknownRole,
                    format!("{}roles[{i}].inherits[{j}]", prefix(o)),
                    format!("`{name}` is not a role of the catalog"),
                )
            })?;
            ps.push(p);
        }
        parents.push(ps);
    }
    // Depth-first, iterative, so a long chain cannot exhaust the stack.
    // state: 0 = new, 1 = on the current path, 2 = done.
    let mut state = vec![0u8; raw.len()];
    let mut order = Vec::with_capacity(raw.len());
    for start in 0..raw.len() {
        if state[start] != 0 {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        state[start] = 1;
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            if let Some(&p) = parents[node].get(*next) {
                *next += 1;
                match state[p] {
                    0 => {
                        state[p] = 1;
                        stack.push((p, 0));
                    }
                    1 => {
                        let mut cycle: Vec<&str> = stack
                            .iter()
                            .skip_while(|(n, _)| *n != p)
                            .map(|(n, _)| raw[*n].id.as_str())
                            .collect();
                        cycle.push(&raw[p].id);
                        return Err(LoadError::new(
                            K::InheritanceCycle,
                            format!("{}roles[{node}].inherits", prefix(o)),
                            format!("roles inherit in a cycle: `{}`", cycle.join("` -> `")),
                        ));
                    }
                    _ => {}
                }
            } else {
                state[node] = 2;
                order.push(node);
                stack.pop();
            }
        }
    }
    // `order` lists parents before children: fold in that order.
    // Conditional rules are copied into every role that inherits them, so a
    // long chain of roles with conditions grows quadratically: bounded here.
    let mut rules: Vec<Option<RuleSet>> = vec![None; raw.len()];
    let mut total = 0usize;
    for &n in &order {
        let mut r = raw[n].rules.clone();
        for &p in &parents[n] {
            if let Some(pr) = &rules[p] {
                if r.when.len() + pr.when.len() > MAX_ROLE_CONDITIONAL_RULES {
                    return Err(LoadError::new(
                        K::TooLarge,
                        format!("{}roles[{n}]", prefix(o)),
                        format!(
                            "role `{}` would carry more than {MAX_ROLE_CONDITIONAL_RULES} conditional rules with what it inherits",
                            raw[n].id
                        ),
                    ));
                }
                r.extend(pr);
            }
        }
        total += r.when.len();
        if total > MAX_CATALOG_CONDITIONAL_RULES {
            return Err(LoadError::new(
                K::TooLarge,
                format!("{}roles[{n}]", prefix(o)),
                format!("the roles would carry more than {MAX_CATALOG_CONDITIONAL_RULES} conditional rules in all, inheritance included"),
            ));
        }
        rules[n] = Some(r);
    }
    Ok(raw
        .into_iter()
        .zip(parents)
        .zip(rules)
        .map(|((r, inherits), rules)| Grantor {
            id: r.id,
            title: r.title,
            description: r.description,
            inherits,
            rules: rules.unwrap_or_default(),
        })
        .collect())
}

fn prefix(o: &crate::json::Obj<'_>) -> String {
    let p = o.path();
    if p == "$" {
        String::new()
    } else {
        format!("{p}.")
    }
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
