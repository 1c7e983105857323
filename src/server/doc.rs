//! The directory as the store keeps it: plain serde documents in the
//! directory file format (`docs/rules.md`), with access entries kept as
//! written. Admin ops and SSO outcomes are applied here as pure functions;
//! the library then loads the result, which validates it.

use super::error::{Result, ServerError};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A label id as the library reads it: a JSON integer from 0 to 2^53 − 1
/// (a larger one JavaScript would hold as another number).
pub fn label_id<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<u64, D::Error> {
    use serde::de::Error;
    let id = u64::deserialize(d)?;
    if id < 1 << 53 {
        Ok(id)
    } else {
        Err(D::Error::invalid_value(
            serde::de::Unexpected::Unsigned(id),
            &"a label id from 0 to 2^53 - 1",
        ))
    }
}

/// Labels, identities and statuses are the library's own documents.
pub use crate::native::directory::{Identity as IdentityDoc, Label as LabelDoc, Status};

/// A user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserDoc {
    /// id
    pub id: String,
    /// `name@suffix`
    pub username: String,
    /// email
    pub email: String,
    /// display name
    #[serde(default)]
    pub name: String,
    /// home label id
    #[serde(deserialize_with = "label_id")]
    pub home_label: u64,
    /// status
    #[serde(default)]
    pub status: Status,
    /// RFC 3339 expiry, as written
    #[serde(default)]
    pub expires_at: Option<String>,
    /// the account owner
    #[serde(default)]
    pub owner: bool,
    /// linked SSO identities
    #[serde(default)]
    pub identities: Vec<IdentityDoc>,
    /// access entries by label id (as a string key), as written
    #[serde(default)]
    pub access: Map<String, Value>,
    /// the store's ordering key (not part of the format)
    #[serde(skip)]
    pub seq: i64,
    /// the store's version of this user: moves with every change of the
    /// user's rows (not part of the format; `GET /v1/users/{id}` answers it)
    #[serde(skip)]
    pub version: i64,
}

/// A directory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectoryDoc {
    /// labels in order
    #[serde(default)]
    pub labels: Vec<LabelDoc>,
    /// users in order
    #[serde(default)]
    pub users: Vec<UserDoc>,
}

/// An admin op as `/v1/admin` receives it (the vector-file shape), with
/// the profile fields `edit_profile` may carry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum OpRequest {
    /// create a user
    CreateUser {
        /// the new user
        user: Box<UserDoc>,
    },
    /// replace the access entry of `target` in `label`
    EditAccess {
        /// user id
        target: String,
        /// label id
        #[serde(deserialize_with = "label_id")]
        label: u64,
        /// the new entry
        access: Value,
    },
    /// change name, email or username
    EditProfile {
        /// user id
        target: String,
        /// new display name
        #[serde(default)]
        name: Option<String>,
        /// new email
        #[serde(default)]
        email: Option<String>,
        /// new username (`name@suffix` of the home label)
        #[serde(default)]
        username: Option<String>,
    },
    /// disable
    Disable {
        /// user id
        target: String,
    },
    /// enable
    Enable {
        /// user id
        target: String,
    },
    /// delete
    Delete {
        /// user id
        target: String,
    },
    /// set or clear the expiry
    SetExpiry {
        /// user id
        target: String,
        /// RFC 3339, or null
        expires_at: Option<String>,
    },
}

impl OpRequest {
    /// The op's name.
    pub fn name(&self) -> &'static str {
        match self {
            OpRequest::CreateUser { .. } => "create_user",
            OpRequest::EditAccess { .. } => "edit_access",
            OpRequest::EditProfile { .. } => "edit_profile",
            OpRequest::Disable { .. } => "disable",
            OpRequest::Enable { .. } => "enable",
            OpRequest::Delete { .. } => "delete",
            OpRequest::SetExpiry { .. } => "set_expiry",
        }
    }

    /// The user the op changes.
    pub fn target(&self) -> &str {
        match self {
            OpRequest::CreateUser { user } => &user.id,
            OpRequest::EditAccess { target, .. }
            | OpRequest::EditProfile { target, .. }
            | OpRequest::Disable { target }
            | OpRequest::Enable { target }
            | OpRequest::Delete { target }
            | OpRequest::SetExpiry { target, .. } => target,
        }
    }
}

fn denied(code: &'static str, message: &str) -> ServerError {
    ServerError::Denied {
        code,
        message: message.to_string(),
    }
}

impl DirectoryDoc {
    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&UserDoc> {
        self.users.iter().find(|u| u.id == id)
    }

    fn user_mut(&mut self, id: &str) -> Result<&mut UserDoc> {
        self.users
            .iter_mut()
            .find(|u| u.id == id)
            .ok_or_else(|| ServerError::UnknownUser(id.to_string()))
    }

    /// The next ordering key for a new user.
    pub fn next_seq(&self) -> i64 {
        self.users.iter().map(|u| u.seq).max().unwrap_or(0) + 1
    }

    /// The directory as a JSON value (what the library loads).
    pub fn to_value(&self) -> Result<serde_json::Value> {
        serde_json::to_value(self).map_err(|e| ServerError::Corrupt(e.to_string()))
    }

    /// The directory file text.
    pub fn to_text(&self) -> Result<String> {
        serde_json::to_string(self).map_err(|e| ServerError::Corrupt(e.to_string()))
    }

    /// Applies an op the admin rules allowed. `edit_profile` is checked here
    /// for what the rules leave to the store: the username fits the home
    /// label (`bad_username`), and no other user has that username or email
    /// (`duplicate_user`).
    pub fn apply(&mut self, op: &OpRequest) -> Result<()> {
        match op {
            OpRequest::CreateUser { user } => {
                let mut u = (**user).clone();
                u.seq = self.next_seq();
                self.users.push(u);
            }
            OpRequest::EditAccess {
                target,
                label,
                access,
            } => {
                self.user_mut(target)?
                    .access
                    .insert(label.to_string(), access.clone());
            }
            OpRequest::EditProfile {
                target,
                name,
                email,
                username,
            } => self.edit_profile(target, name, email, username)?,
            OpRequest::Disable { target } => self.user_mut(target)?.status = Status::Disabled,
            OpRequest::Enable { target } => self.user_mut(target)?.status = Status::Active,
            OpRequest::Delete { target } => self.users.retain(|u| &u.id != target),
            OpRequest::SetExpiry { target, expires_at } => {
                self.user_mut(target)?.expires_at = expires_at.clone();
            }
        }
        Ok(())
    }

    fn edit_profile(
        &mut self,
        target: &str,
        name: &Option<String>,
        email: &Option<String>,
        username: &Option<String>,
    ) -> Result<()> {
        let home = self.user(target).map(|u| u.home_label);
        if let Some(un) = username {
            let suffix = self
                .labels
                .iter()
                .find(|l| Some(l.id) == home)
                .map(|l| l.suffix.as_str())
                .unwrap_or_default();
            if !super::model::username_fits(un, suffix) {
                return Err(denied(
                    "bad_username",
                    "The username must be name@suffix of the home label",
                ));
            }
        }
        let clash = self.users.iter().any(|u| {
            u.id != target
                && (username
                    .as_ref()
                    .is_some_and(|n| u.username.eq_ignore_ascii_case(n))
                    || email
                        .as_ref()
                        .is_some_and(|e| u.email.eq_ignore_ascii_case(e)))
        });
        if clash {
            return Err(denied(
                "duplicate_user",
                "A user with this id, username or email exists",
            ));
        }
        let u = self.user_mut(target)?;
        if let Some(n) = name {
            u.name = n.clone();
        }
        if let Some(e) = email {
            u.email = e.clone();
        }
        if let Some(n) = username {
            u.username = n.clone();
        }
        Ok(())
    }

    /// Links an SSO identity to a user.
    pub fn link_identity(&mut self, user: &str, identity: IdentityDoc) -> Result<()> {
        let u = self.user_mut(user)?;
        if !u.identities.contains(&identity) {
            u.identities.push(identity);
        }
        Ok(())
    }
}

/// A user created by SSO: the email, one identity, `role` on each label.
pub fn sso_user(
    id: String,
    username: String,
    email: String,
    home_label: u64,
    labels: &[u64],
    role: &str,
    identity: IdentityDoc,
) -> UserDoc {
    let access = labels
        .iter()
        .map(|l| (l.to_string(), serde_json::json!({ "roles": [role] })))
        .collect();
    UserDoc {
        id,
        username,
        email,
        name: String::new(),
        home_label,
        status: Status::Active,
        expires_at: None,
        owner: false,
        identities: vec![identity],
        access,
        seq: 0,
        version: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> DirectoryDoc {
        serde_json::from_value(serde_json::json!({
            "labels": [{"id": 1, "name": "One", "suffix": "one"}],
            "users": [
                {"id": "a", "username": "a@one", "email": "a@x.com", "home_label": 1},
                {"id": "b", "username": "b@one", "email": "b@x.com", "home_label": 1}
            ]
        }))
        .unwrap()
    }

    #[test]
    fn edit_profile_refuses_a_taken_email_or_a_foreign_suffix() {
        let mut d = dir();
        let op = |email: &str, username: &str| OpRequest::EditProfile {
            target: "a".into(),
            name: None,
            email: Some(email.into()),
            username: Some(username.into()),
        };
        let e = d.apply(&op("B@X.com", "a@one")).unwrap_err();
        assert_eq!(e.code(), "duplicate_user");
        let e = d.apply(&op("a2@x.com", "a@two")).unwrap_err();
        assert_eq!(e.code(), "bad_username");
        d.apply(&op("a2@x.com", "ann@one")).unwrap();
        assert_eq!(d.user("a").unwrap().username, "ann@one");
    }

    #[test]
    fn label_ids_read_as_the_library_reads_them() {
        #[derive(Deserialize)]
        struct Id {
            #[serde(deserialize_with = "label_id")]
            id: u64,
        }
        let l: Id = serde_json::from_str(r#"{"id": 9007199254740991}"#).unwrap();
        assert_eq!(l.id, (1 << 53) - 1);
        for bad in ["4444.0", "4444.5", "-1", "9007199254740992"] {
            let text = format!(r#"{{"id": {bad}}}"#);
            assert!(serde_json::from_str::<Id>(&text).is_err(), "{bad}");
        }
    }

    #[test]
    fn ops_parse_from_the_vector_shape_and_refuse_unknown_fields() {
        let op: OpRequest =
            serde_json::from_str(r#"{"op":"set_expiry","target":"a","expires_at":null}"#).unwrap();
        assert_eq!(op.name(), "set_expiry");
        let e = serde_json::from_str::<OpRequest>(r#"{"op":"disable","target":"a","x":1}"#)
            .unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
    }
}
