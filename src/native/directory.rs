//! Directories: the host's labels and back-office users with their access
//! entries, read from JSON ([`DirectoryDoc`], serde) against a catalog:
//! every role, additional role and restriction id resolved, every grant
//! expanded, every label id one JavaScript holds exactly.

use crate::core::rules::RuleSet;
use crate::native::catalog::{is_plain_id, Catalog, RuleDoc};
use crate::native::load::{self, Entries, LoadError, LoadErrorKind as K};
use crate::native::time::{parse_rfc3339, Millis};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// A label (brand).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// id
    pub id: u64,
    /// name
    pub name: String,
    /// the username suffix of users whose home label this is
    pub suffix: String,
    /// a QA label (cannot be a home label)
    #[serde(default)]
    pub qa: bool,
    /// closed: nobody may act in it, and its home users nowhere
    #[serde(default)]
    pub closed: bool,
}

/// A user's status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// may act
    #[default]
    Active,
    /// may not act anywhere
    Disabled,
}

impl Status {
    /// The text a directory file writes.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Disabled => "disabled",
        }
    }
}

/// An SSO identity linked to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
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

/// An access entry as written: every field optional.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct AccessDoc {
    /// role ids
    #[serde(default)]
    pub roles: Vec<String>,
    /// additional role ids
    #[serde(default)]
    pub additional: Vec<String>,
    /// restriction role ids
    #[serde(default)]
    pub restrictions: Vec<String>,
    /// direct grants
    #[serde(default)]
    pub grants: Vec<RuleDoc>,
    /// direct denies
    #[serde(default)]
    pub denies: Vec<RuleDoc>,
}

/// A user as written (a directory entry, or a `create_user` payload).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct UserDoc {
    /// id
    pub id: String,
    /// `name@suffix` of the home label
    pub username: String,
    /// email
    pub email: String,
    /// display name
    #[serde(default)]
    pub name: String,
    /// the home label's id
    pub home_label: u64,
    /// `active` (default) or `disabled`
    #[serde(default)]
    pub status: Status,
    /// RFC 3339, or `null`
    #[serde(default)]
    pub expires_at: Option<String>,
    /// the account owner
    #[serde(default)]
    pub owner: bool,
    /// linked SSO identities
    #[serde(default)]
    pub identities: Vec<Identity>,
    /// access entries by label id (object keys: `"4444"`)
    #[serde(default)]
    pub access: Entries<AccessDoc>,
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

    /// Resolves a written user against the catalog; `path` is where it was
    /// written. Labels, the id, the email and identities are not checked
    /// here (`create_user` answers them as admin reasons): see
    /// [`Directory::from_doc`].
    pub fn from_doc(doc: UserDoc, catalog: &Catalog, path: &str) -> Result<User, LoadError> {
        let at = |field: &str| load::join(path, field);
        let home_label = load::label_id(doc.home_label, &at("home_label"))?;
        let expires_at = match &doc.expires_at {
            None => None,
            Some(t) => Some(timestamp(t, &at("expires_at"))?),
        };
        let mut access = Vec::with_capacity(doc.access.0.len());
        for (key, entry) in doc.access.0 {
            let entry_path = at(&format!("access.{key}"));
            let label = key
                .parse::<u64>()
                .ok()
                .filter(|_| !key.starts_with('+'))
                .ok_or_else(|| {
                    LoadError::new(
                        K::WrongType,
                        &entry_path,
                        format!("access keys are label ids, not `{key}`"),
                    )
                })?;
            let label = load::label_id(label, &entry_path)?;
            access.push((label, access_entry(entry, catalog, &entry_path)?));
        }
        Ok(User {
            id: doc.id,
            username: doc.username,
            email: doc.email,
            name: doc.name,
            home_label,
            status: doc.status,
            expires_at,
            owner: doc.owner,
            identities: doc.identities,
            access,
        })
    }
}

/// Reads an RFC 3339 timestamp written at `path`.
pub fn timestamp(text: &str, path: &str) -> Result<Millis, LoadError> {
    parse_rfc3339(text).ok_or_else(|| {
        LoadError::new(
            K::BadTimestamp,
            path,
            format!("`{text}` is not an RFC 3339 time like `2026-11-23T12:00:00Z`"),
        )
    })
}

fn ids(
    names: &[String],
    find: impl Fn(&str) -> Option<usize>,
    kind: K,
    what: &str,
    path: &str,
) -> Result<Vec<usize>, LoadError> {
    names
        .iter()
        .enumerate()
        .map(|(i, id)| {
            find(id).ok_or_else(|| {
                LoadError::new(
                    kind,
                    format!("{path}[{i}]"),
                    format!("`{id}` is not {what} of the catalog"),
                )
            })
        })
        .collect()
}

/// Resolves one access entry against the catalog; `path` is where it was written.
pub fn access_entry(doc: AccessDoc, c: &Catalog, path: &str) -> Result<Access, LoadError> {
    let at = |field: &str| load::join(path, field);
    let roles = ids(
        &doc.roles,
        |id| c.role(id),
        K::UnknownRole,
        "a role",
        &at("roles"),
    )?;
    if c.single_role && roles.len() > 1 {
        return Err(LoadError::new(
            K::SingleRole,
            at("roles"),
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
            &doc.additional,
            |id| c.additional_role(id),
            K::UnknownAdditional,
            "an additional role",
            &at("additional"),
        )?,
        restrictions: ids(
            &doc.restrictions,
            |id| c.restriction(id),
            K::UnknownRestriction,
            "a restriction role",
            &at("restrictions"),
        )?,
        grants: c.rules(&doc.grants, &at("grants"))?,
        denies: c.rules(&doc.denies, &at("denies"))?,
    })
}

/// A directory as written: `{"labels": [...], "users": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct DirectoryDoc {
    /// labels
    #[serde(default)]
    pub labels: Vec<Label>,
    /// users
    #[serde(default)]
    pub users: Vec<UserDoc>,
}

/// A loaded directory.
#[derive(Debug, Clone, PartialEq)]
pub struct Directory {
    /// labels in file order (shared by the directories
    /// [`with_users`](Directory::with_users) makes)
    pub labels: Arc<[Label]>,
    /// users in file order
    pub users: Vec<User>,
    label_index: Arc<HashMap<u64, usize>>,
    user_index: HashMap<String, usize>,
}

impl Directory {
    /// Reads and loads a directory from JSON text; `file` names it in errors.
    pub fn from_json_text(
        text: &str,
        file: &str,
        catalog: &Catalog,
    ) -> Result<Directory, LoadError> {
        load::from_file_text::<DirectoryDoc>(text, file)
            .and_then(|doc| Directory::from_doc(doc, catalog).map_err(|e| e.in_file(file)))
    }

    /// Reads and loads a directory from a JSON value (a part of a larger
    /// document already checked for duplicate keys).
    pub fn from_value(
        value: &serde_json::Value,
        catalog: &Catalog,
    ) -> Result<Directory, LoadError> {
        load::from_value::<DirectoryDoc>(value).and_then(|doc| Directory::from_doc(doc, catalog))
    }

    /// Loads a written directory against `catalog`.
    pub fn from_doc(doc: DirectoryDoc, catalog: &Catalog) -> Result<Directory, LoadError> {
        let mut label_index = HashMap::new();
        for (i, l) in doc.labels.iter().enumerate() {
            load::label_id(l.id, &format!("labels[{i}].id"))?;
            if !is_suffix(&l.suffix) {
                return Err(LoadError::new(
                    K::BadId,
                    format!("labels[{i}].suffix"),
                    format!("`{}` is not a username suffix (a-z 0-9 . _ -)", l.suffix),
                ));
            }
            if label_index.insert(l.id, i).is_some() {
                return Err(LoadError::new(
                    K::DuplicateId,
                    format!("labels[{i}].id"),
                    format!("label id `{}` is used twice", l.id),
                ));
            }
        }
        let users = doc
            .users
            .into_iter()
            .enumerate()
            .map(|(i, u)| User::from_doc(u, catalog, &format!("users[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let user_index = check_users(&users, &label_index)?;
        Ok(Directory {
            labels: doc.labels.into(),
            users,
            label_index: Arc::new(label_index),
            user_index,
        })
    }

    /// A directory of the same labels with these users instead, checked as
    /// [`from_doc`](Directory::from_doc) checks a directory's users. The
    /// labels are shared, not copied: a server that decides on a few users
    /// at a time (an admin op's actor and target, one user's snapshot)
    /// loads its labels once.
    pub fn with_users(&self, users: Vec<User>) -> Result<Directory, LoadError> {
        let user_index = check_users(&users, &self.label_index)?;
        Ok(Directory {
            labels: self.labels.clone(),
            users,
            label_index: self.label_index.clone(),
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

/// Whether `id` may be a user id: 1 to 128 characters of
/// `A-Z a-z 0-9 . _ @ -` (nothing that looks like another id: no Unicode
/// look-alikes, no invisible characters, no `/`).
pub fn is_user_id(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'@' | b'-'))
}

/// Whether `email` is an ASCII `local@domain`: one `@`, a non-empty local
/// part of letters, digits and ``!#$%&'*+/=?^_`{|}~.-``, and a domain of at
/// least two dot-separated labels of letters, digits and `-`; at most 254
/// bytes. No control character, space or quote passes.
pub fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    email.len() <= 254 && local_ok && domain_ok
}

/// A user's id and email follow [`is_user_id`] and [`is_email`]
/// (`bad_value`), and no identity is held twice (`duplicate_identity`).
fn check_user_fields<'a>(
    i: usize,
    u: &'a User,
    identities: &mut HashMap<(&'a str, &'a str), &'a str>,
) -> Result<(), LoadError> {
    if !is_user_id(&u.id) {
        return Err(LoadError::new(
            K::BadValue,
            format!("users[{i}].id"),
            format!(
                "`{}` is not a user id (1 to 128 characters of A-Z a-z 0-9 . _ @ -)",
                u.id.escape_debug()
            ),
        ));
    }
    if !is_email(&u.email) {
        return Err(LoadError::new(
            K::BadValue,
            format!("users[{i}].email"),
            format!(
                "`{}` of user `{}` is not an ASCII email like name@example.com",
                u.email.escape_debug(),
                u.id
            ),
        ));
    }
    for (j, id) in u.identities.iter().enumerate() {
        if let Some(first) = identities.insert((&id.iss, &id.sub), &u.id) {
            return Err(LoadError::new(
                K::DuplicateIdentity,
                format!("users[{i}].identities[{j}]"),
                format!(
                    "identity (`{}`, `{}`) of user `{}` is already held by `{first}`",
                    id.iss.escape_debug(),
                    id.sub.escape_debug(),
                    u.id
                ),
            ));
        }
    }
    Ok(())
}

/// Unique ids and usernames (ASCII case-insensitive), ids and emails that
/// follow their rules, identities held once, at most one owner, known home
/// labels and access labels; the index of user ids.
fn check_users(
    users: &[User],
    labels: &HashMap<u64, usize>,
) -> Result<HashMap<String, usize>, LoadError> {
    let mut user_index = HashMap::new();
    let mut usernames = HashMap::new();
    let mut identities = HashMap::new();
    let mut owner: Option<usize> = None;
    for (i, u) in users.iter().enumerate() {
        check_user_fields(i, u, &mut identities)?;
        if user_index.insert(u.id.clone(), i).is_some() {
            return Err(LoadError::new(
                K::DuplicateId,
                format!("users[{i}].id"),
                format!("user id `{}` is used twice", u.id),
            ));
        }
        if usernames
            .insert(u.username.to_ascii_lowercase(), i)
            .is_some()
        {
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
        if !labels.contains_key(&u.home_label) {
            return Err(LoadError::new(
                K::UnknownHomeLabel,
                format!("users[{i}].home_label"),
                format!(
                    "home label `{}` of user `{}` is not a label of the directory",
                    u.home_label, u.id
                ),
            ));
        }
        if let Some((l, _)) = u.access.iter().find(|(l, _)| !labels.contains_key(l)) {
            return Err(LoadError::new(
                K::UnknownLabel,
                format!("users[{i}].access.{l}"),
                format!(
                    "user `{}` has access in label `{l}`, which is not a label of the directory",
                    u.id
                ),
            ));
        }
    }
    Ok(user_index)
}

/// Whether `s` may be a username suffix.
pub fn is_suffix(s: &str) -> bool {
    !s.is_empty() && s.split('.').all(is_plain_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_and_emails_follow_their_rules() {
        for id in ["u1", "Ada.Lovelace_2@eu-west", &"x".repeat(128)] {
            assert!(is_user_id(id), "{id}");
        }
        let long = "x".repeat(129);
        for id in [
            "",
            "😀",
            "ada\u{200b}",
            "ＡＤＡ",
            "../../etc/passwd",
            "a b",
            &long,
        ] {
            assert!(!is_user_id(id), "{id}");
        }
        for e in ["ada@mycompany.com", "o'hara+crm@mail.my-company.co.uk"] {
            assert!(is_email(e), "{e}");
        }
        for e in [
            "",
            "ada@mycompany.com\0",
            "ＡＤＡ@mycompany.com",
            "<script>@x",
            "<script>@x.com",
            "ada@mycompany",
            "ada@@mycompany.com",
            "@mycompany.com",
            "ada @mycompany.com",
            "ada@mycompany..com",
            "ada@.mycompany.com",
            "\"ada\"@mycompany.com",
        ] {
            assert!(!is_email(e), "{e:?}");
        }
    }

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
                r#"{"id":"ada\u200b","username":"a@one","email":"a@x.com","home_label":1}"#
                    .to_string(),
                "bad_value",
                "users[0].id",
            ),
            (
                r#"{"id":"u1","username":"a@one","email":"\uff21@x.com","home_label":1}"#
                    .to_string(),
                "bad_value",
                "users[0].email",
            ),
            (
                format!(
                    r#"{U1},"identities":[{{"iss":"g","sub":"s"}}]}},{{"id":"u2","username":"b@one","email":"b@x.com","home_label":1,"identities":[{{"iss":"h","sub":"s"}},{{"iss":"g","sub":"s"}}]}}"#
                ),
                "duplicate_identity",
                "users[1].identities[1]",
            ),
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

crate::core::error::map_only!(Label, Identity, AccessDoc, UserDoc, DirectoryDoc);
crate::core::error::serialize_derived!(Label, Identity);
