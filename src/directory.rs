//! Directories: the host's labels and back-office users with their access
//! entries, loaded from JSON against a catalog (every role, additional role
//! and restriction id resolved, every grant expanded).

use crate::catalog::{is_plain_id, Catalog};
use crate::error::{LoadError, LoadErrorKind as K};
use crate::json::{Json, Obj, Val};
use crate::rules::RuleSet;
use crate::time::{parse_rfc3339, Millis};
use std::collections::HashMap;

/// A label (brand).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    /// id
    pub id: u64,
    /// name
    pub name: String,
    /// the username suffix of users whose home label this is
    pub suffix: String,
    /// a QA label (cannot be a home label)
    pub qa: bool,
    /// closed: nobody may act in it, and its home users nowhere
    pub closed: bool,
}

/// A user's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// may act
    Active,
    /// may not act anywhere
    Disabled,
}

/// An SSO identity linked to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// issuer
    pub iss: String,
    /// subject at that issuer
    pub sub: String,
}

/// What a user was given in one label.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Access {
    /// role indices, in the written order
    pub roles: Vec<usize>,
    /// additional role indices, in the written order
    pub additional: Vec<usize>,
    /// restriction role indices, in the written order
    pub restrictions: Vec<usize>,
    /// direct grants
    pub grants: RuleSet,
    /// direct denies
    pub denies: RuleSet,
}

impl Access {
    /// The deny sources in order: restriction roles, then `direct`.
    pub fn deny_sources<'a>(
        &'a self,
        c: &'a Catalog,
    ) -> impl Iterator<Item = (&'a str, &'a RuleSet)> + Clone {
        self.restrictions
            .iter()
            .map(move |&r| (c.restrictions[r].id.as_str(), &c.restrictions[r].rules))
            .chain(std::iter::once(("direct", &self.denies)))
    }

    /// The grant sources in order: roles, additional roles, then `direct`.
    pub fn grant_sources<'a>(
        &'a self,
        c: &'a Catalog,
    ) -> impl Iterator<Item = (&'a str, &'a RuleSet)> + Clone {
        self.roles
            .iter()
            .map(move |&r| (c.roles[r].id.as_str(), &c.roles[r].rules))
            .chain(
                self.additional
                    .iter()
                    .map(move |&a| (c.additional[a].id.as_str(), &c.additional[a].rules)),
            )
            .chain(std::iter::once(("direct", &self.grants)))
    }
}

/// A back-office user.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// id
    pub id: String,
    /// `name@suffix` of the home label
    pub username: String,
    /// email
    pub email: String,
    /// display name
    pub name: String,
    /// the home label's id
    pub home_label: u64,
    /// status
    pub status: Status,
    /// when access ends (`now >= expires_at` is expired)
    pub expires_at: Option<Millis>,
    /// the account owner
    pub owner: bool,
    /// linked SSO identities
    pub identities: Vec<Identity>,
    /// access entries by label id, in the written order
    pub access: Vec<(u64, Access)>,
}

impl User {
    /// The access entry for `label`.
    pub fn access_in(&self, label: u64) -> Option<&Access> {
        self.access
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, a)| a)
    }

    /// Reads a user object (directory entry or `create_user` payload).
    /// Labels are not checked here: see [`Directory::from_json`].
    pub fn from_json(v: Val<'_>, catalog: &Catalog) -> Result<User, LoadError> {
        v.object(|o| {
            let id = o.req("id", |v| {
                let s = v.str()?;
                if s.is_empty() || s.len() > 128 || s.chars().any(char::is_control) {
                    return Err(v.error(K::BadId, format!("`{s}` is not a user id")));
                }
                Ok(s.to_string())
            })?;
            Ok(User {
                id,
                username: o.req("username", |v| v.str().map(str::to_string))?,
                email: o.req("email", |v| v.str().map(str::to_string))?,
                name: o
                    .opt("name", |v| v.str().map(str::to_string))?
                    .unwrap_or_default(),
                home_label: o.req("home_label", |v| v.u64())?,
                status: o
                    .opt("status", |v| match v.str()? {
                        "active" => Ok(Status::Active),
                        "disabled" => Ok(Status::Disabled),
                        s => Err(v.error(
                            K::BadValue,
                            format!("status `{s}` is neither `active` nor `disabled`"),
                        )),
                    })?
                    .unwrap_or(Status::Active),
                expires_at: o.opt_nullable("expires_at", timestamp)?,
                owner: o.opt("owner", |v| v.bool())?.unwrap_or(false),
                identities: o
                    .opt("identities", |l| {
                        l.each(|v| {
                            v.object(|i| {
                                Ok(Identity {
                                    iss: i.req("iss", |v| v.str().map(str::to_string))?,
                                    sub: i.req("sub", |v| v.str().map(str::to_string))?,
                                })
                            })
                        })
                    })?
                    .unwrap_or_default(),
                access: o
                    .opt("access", |m| {
                        m.each_entry(|key, v| {
                            let label = key
                                .parse::<u64>()
                                .ok()
                                .filter(|_| !key.starts_with('+'))
                                .ok_or_else(|| {
                                v.error(
                                    K::WrongType,
                                    format!("access keys are label ids, not `{key}`"),
                                )
                            })?;
                            Ok((label, access_entry(v, catalog)?))
                        })
                    })?
                    .unwrap_or_default(),
            })
        })
    }
}

/// Reads an RFC 3339 timestamp.
pub fn timestamp(v: Val<'_>) -> Result<Millis, LoadError> {
    let s = v.str()?;
    parse_rfc3339(s).ok_or_else(|| {
        v.error(
            K::BadTimestamp,
            format!("`{s}` is not an RFC 3339 time like `2026-11-23T12:00:00Z`"),
        )
    })
}

fn ids(
    o: &mut Obj<'_>,
    key: &'static str,
    find: impl Fn(&str) -> Option<usize>,
    kind: K,
    what: &str,
) -> Result<Vec<usize>, LoadError> {
    Ok(o.opt(key, |l| {
        l.each(|v| {
            let id = v.str()?;
            find(id).ok_or_else(|| v.error(kind, format!("`{id}` is not {what} of the catalog")))
        })
    })?
    .unwrap_or_default())
}

/// Reads one access entry against the catalog.
pub fn access_entry(v: Val<'_>, c: &Catalog) -> Result<Access, LoadError> {
    v.object(|o| {
        let roles = ids(o, "roles", |id| c.role(id), K::UnknownRole, "a role")?;
        if c.single_role && roles.len() > 1 {
            return Err(LoadError::new(
                K::SingleRole,
                format!("{}.roles", o.path()),
                format!(
                    "catalog `{}` allows one role per label; found {}",
                    c.id,
                    roles.len()
                ),
            ));
        }
        Ok(Access {
            roles,
            additional: ids(
                o,
                "additional",
                |id| c.additional_role(id),
                K::UnknownAdditional,
                "an additional role",
            )?,
            restrictions: ids(
                o,
                "restrictions",
                |id| c.restriction(id),
                K::UnknownRestriction,
                "a restriction role",
            )?,
            grants: o.opt("grants", |l| c.rules(l))?.unwrap_or_default(),
            denies: o.opt("denies", |l| c.rules(l))?.unwrap_or_default(),
        })
    })
}

/// A loaded directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Directory {
    /// labels in file order
    pub labels: Vec<Label>,
    /// users in file order
    pub users: Vec<User>,
    label_index: HashMap<u64, usize>,
    user_index: HashMap<String, usize>,
}

impl Directory {
    /// Parses and loads a directory from JSON text; `file` names it in errors.
    pub fn from_json_text(
        text: &str,
        file: &str,
        catalog: &Catalog,
    ) -> Result<Directory, LoadError> {
        let json = Json::parse(text).map_err(|e| LoadError::from(e).in_file(file))?;
        Directory::from_json(&json, catalog).map_err(|e| e.in_file(file))
    }

    /// Loads a directory from a parsed JSON value.
    pub fn from_json(json: &Json, catalog: &Catalog) -> Result<Directory, LoadError> {
        let (labels, users) = Val::root(json).object(|o| {
            let labels = o
                .opt("labels", |l| {
                    l.each(|v| {
                        v.object(|o| {
                            Ok(Label {
                                id: o.req("id", |v| v.u64())?,
                                name: o.req("name", |v| v.str().map(str::to_string))?,
                                suffix: o.req("suffix", |v| {
                                    let s = v.str()?;
                                    if is_suffix(s) {
                                        Ok(s.to_string())
                                    } else {
                                        Err(v.error(
                                            K::BadId,
                                            format!(
                                                "`{s}` is not a username suffix (a-z 0-9 . _ -)"
                                            ),
                                        ))
                                    }
                                })?,
                                qa: o.opt("qa", |v| v.bool())?.unwrap_or(false),
                                closed: o.opt("closed", |v| v.bool())?.unwrap_or(false),
                            })
                        })
                    })
                })?
                .unwrap_or_default();
            let users = o
                .opt("users", |l| l.each(|v| User::from_json(v, catalog)))?
                .unwrap_or_default();
            Ok((labels, users))
        })?;
        let mut label_index = HashMap::new();
        for (i, l) in labels.iter().enumerate() {
            if label_index.insert(l.id, i).is_some() {
                return Err(LoadError::new(
                    K::DuplicateId,
                    format!("labels[{i}].id"),
                    format!("label id `{}` is used twice", l.id),
                ));
            }
        }
        let mut user_index = HashMap::new();
        let mut usernames = HashMap::new();
        let mut owner: Option<usize> = None;
        for (i, u) in users.iter().enumerate() {
            if user_index.insert(u.id.clone(), i).is_some() {
                return Err(LoadError::new(
                    K::DuplicateId,
                    format!("users[{i}].id"),
                    format!("user id `{}` is used twice", u.id),
                ));
            }
            if usernames.insert(u.username.to_lowercase(), i).is_some() {
                return Err(LoadError::new(
                    K::DuplicateId,
                    format!("users[{i}].username"),
                    format!("username `{}` is used twice", u.username),
                ));
            }
            if u.owner {
                if let Some(first) = owner {
                    return Err(LoadError::new(
                        K::TwoOwners,
                        format!("users[{i}].owner"),
                        format!(
                            "`{}` and `{}` both say they are the owner; there is at most one",
                            users[first].id, u.id
                        ),
                    ));
                }
                owner = Some(i);
            }
            if !label_index.contains_key(&u.home_label) {
                return Err(LoadError::new(
                    K::UnknownHomeLabel,
                    format!("users[{i}].home_label"),
                    format!(
                        "home label `{}` of user `{}` is not a label of the directory",
                        u.home_label, u.id
                    ),
                ));
            }
            if let Some((l, _)) = u.access.iter().find(|(l, _)| !label_index.contains_key(l)) {
                return Err(LoadError::new(
                    K::UnknownLabel,
                    format!("users[{i}].access.{l}"),
                    format!("user `{}` has access in label `{l}`, which is not a label of the directory", u.id),
                ));
            }
        }
        Ok(Directory {
            labels,
            users,
            label_index,
            user_index,
        })
    }

    /// The label with this id.
    pub fn label(&self, id: u64) -> Option<&Label> {
        self.label_index.get(&id).map(|&i| &self.labels[i])
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&User> {
        self.user_index.get(id).map(|&i| &self.users[i])
    }

    /// The account owner, if any.
    pub fn owner(&self) -> Option<&User> {
        self.users.iter().find(|u| u.owner)
    }
}

/// Whether `s` may be a username suffix.
pub fn is_suffix(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_plain_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::from_json_text(
            r#"{"id":"c","title":"C","admin_permission":"users.manage","single_role":true,
            "sections":[{"id":"users","title":"Users"}],
            "permissions":[{"id":"users.manage","title":"Manage","section":"users"}],
            "roles":[{"id":"a","title":"A","grants":["*"]},{"id":"b","title":"B"}]}"#,
            "c.json",
        )
        .unwrap()
    }

    fn load(users: &str) -> Result<Directory, LoadError> {
        let text = format!(
            r#"{{"labels":[{{"id":1,"name":"One","suffix":"one"}},{{"id":2,"name":"Two","suffix":"two","closed":true}}],"users":[{users}]}}"#
        );
        Directory::from_json_text(&text, "d.json", &catalog())
    }

    const U1: &str = r#"{"id":"u1","username":"a@one","email":"a@x.com","home_label":1"#;

    #[test]
    fn loads_a_user_with_defaults() {
        let d = load(&format!("{U1}}}")).unwrap();
        let u = d.user("u1").unwrap();
        assert_eq!(
            (u.status, u.expires_at, u.owner),
            (Status::Active, None, false)
        );
    }

    #[test]
    fn each_bad_directory_class_has_its_code_and_path() {
        let cases = [
            (
                format!(
                    r#"{U1},"owner":true}},{{"id":"u2","username":"b@one","email":"b@x.com","home_label":1,"owner":true}}"#
                ),
                "two_owners",
                "users[1].owner",
            ),
            (
                format!(r#"{U1},"access":{{"1":{{"roles":["a","b"]}}}}}}"#),
                "single_role",
                "users[0].access.1.roles",
            ),
            (
                format!(r#"{U1},"access":{{"7":{{}}}}}}"#),
                "unknown_label",
                "users[0].access.7",
            ),
            (
                r#"{"id":"u1","username":"a@one","email":"a@x.com","home_label":9}"#.to_string(),
                "unknown_home_label",
                "users[0].home_label",
            ),
            (
                format!(r#"{U1},"expires_at":"tomorrow"}}"#),
                "bad_timestamp",
                "users[0].expires_at",
            ),
            (
                format!(r#"{U1},"status":"suspended"}}"#),
                "bad_value",
                "users[0].status",
            ),
            (
                format!(r#"{U1},"emial":"x"}}"#),
                "unknown_field",
                "users[0].emial",
            ),
            (
                format!(r#"{U1},"access":{{"1":{{"roles":["zz"]}}}}}}"#),
                "unknown_role",
                "users[0].access.1.roles[0]",
            ),
            (
                format!(r#"{U1},"access":{{"1":{{"restrictions":["zz"]}}}}}}"#),
                "unknown_restriction",
                "users[0].access.1.restrictions[0]",
            ),
            (
                format!(r#"{U1},"access":{{"1":{{"additional":["zz"]}}}}}}"#),
                "unknown_additional",
                "users[0].access.1.additional[0]",
            ),
            (format!(r#"{U1}}},{U1}}}"#), "duplicate_id", "users[1].id"),
            (
                r#"{"id":"u1","username":"a@one","email":"a@x.com","home_label":"1"}"#.to_string(),
                "wrong_type",
                "users[0].home_label",
            ),
        ];
        for (users, code, path) in cases {
            let e = load(&users).unwrap_err();
            assert_eq!((e.code(), e.path.as_str()), (code, path), "{users}: {e}");
            assert_eq!(e.file.as_deref(), Some("d.json"));
        }
    }
}
