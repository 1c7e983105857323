//! Admin rules: who may manage whom. Each op is decided in the fixed order of
//! `docs/rules.md` ("Admin rules"); nothing is changed here: the host (or
//! `permsnap server`) applies an allowed op itself.

use crate::core::error::codes;
use crate::core::rules::{decide_sources, PermSet, Reason, Resource};
use crate::native::directory::{
    access_entry, is_email, is_user_id, timestamp, Access, AccessDoc, Status, User, UserDoc,
};
use crate::native::engine::Model;
use crate::native::load::{self, LoadError};
use crate::native::time::Millis;
use crate::Catalog;
use serde::Deserialize;

/// An admin operation, as a vector file, the CLI or the server's
/// `POST /v1/admin` names it.
#[derive(Debug, Clone, PartialEq)]
pub enum AdminOp {
    /// create a user
    CreateUser(Box<User>),
    /// replace `target`'s access entry in `label`
    EditAccess {
        /// user id
        target: String,
        /// label id
        label: u64,
        /// the new entry
        access: Access,
    },
    /// edit `target`'s name and email
    EditProfile {
        /// user id
        target: String,
        /// the new display name, if it changes
        name: Option<String>,
        /// the new email, if it changes
        email: Option<String>,
    },
    /// disable `target`
    Disable {
        /// user id
        target: String,
    },
    /// enable `target`
    Enable {
        /// user id
        target: String,
    },
    /// delete `target`
    Delete {
        /// user id
        target: String,
    },
    /// set or clear `target`'s access expiry
    SetExpiry {
        /// user id
        target: String,
        /// the new expiry, or none
        expires_at: Option<Millis>,
    },
}

/// An admin op as written: `{"op": "disable", "target": "u2"}` and the
/// fields of that op (`docs/rules.md`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(remote = "Self")]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum AdminOpDoc {
    /// `create_user {user}`
    CreateUser {
        /// the new user
        user: UserDoc,
    },
    /// `edit_access {target, label, access}`
    EditAccess {
        /// user id
        target: String,
        /// label id
        label: u64,
        /// the new entry
        access: AccessDoc,
    },
    /// `edit_profile {target, name?, email?}`
    EditProfile {
        /// user id
        target: String,
        /// the new display name
        #[serde(default)]
        name: Option<String>,
        /// the new email
        #[serde(default)]
        email: Option<String>,
    },
    /// `disable {target}`
    Disable {
        /// user id
        target: String,
    },
    /// `enable {target}`
    Enable {
        /// user id
        target: String,
    },
    /// `delete {target}`
    Delete {
        /// user id
        target: String,
    },
    /// `set_expiry {target, expires_at}` (`null` clears it)
    SetExpiry {
        /// user id
        target: String,
        /// RFC 3339 or `null`; required
        #[serde(deserialize_with = "load::required")]
        expires_at: Option<String>,
    },
}

impl AdminOp {
    /// Resolves a written op against the catalog; `path` is where it was written.
    pub fn from_doc(doc: AdminOpDoc, c: &Catalog, path: &str) -> Result<AdminOp, LoadError> {
        let at = |field: &str| load::join(path, field);
        Ok(match doc {
            AdminOpDoc::CreateUser { user } => {
                AdminOp::CreateUser(Box::new(User::from_doc(user, c, &at("user"))?))
            }
            AdminOpDoc::EditAccess {
                target,
                label,
                access,
            } => AdminOp::EditAccess {
                target,
                label: load::label_id(label, &at("label"))?,
                access: access_entry(access, c, &at("access"))?,
            },
            AdminOpDoc::EditProfile {
                target,
                name,
                email,
            } => AdminOp::EditProfile {
                target,
                name,
                email,
            },
            AdminOpDoc::Disable { target } => AdminOp::Disable { target },
            AdminOpDoc::Enable { target } => AdminOp::Enable { target },
            AdminOpDoc::Delete { target } => AdminOp::Delete { target },
            AdminOpDoc::SetExpiry { target, expires_at } => AdminOp::SetExpiry {
                target,
                expires_at: match expires_at {
                    None => None,
                    Some(t) => Some(timestamp(&t, &at("expires_at"))?),
                },
            },
        })
    }

    /// Reads an op from a JSON value (already checked for duplicate keys).
    pub fn from_value(value: &serde_json::Value, c: &Catalog) -> Result<AdminOp, LoadError> {
        load::from_value::<AdminOpDoc>(value).and_then(|doc| AdminOp::from_doc(doc, c, "$"))
    }

    /// Reads an op from JSON text.
    pub fn from_json_text(text: &str, c: &Catalog) -> Result<AdminOp, LoadError> {
        load::from_text::<AdminOpDoc>(text).and_then(|doc| AdminOp::from_doc(doc, c, "$"))
    }

    /// The op's name, as written.
    pub fn name(&self) -> &'static str {
        match self {
            AdminOp::CreateUser(_) => "create_user",
            AdminOp::EditAccess { .. } => "edit_access",
            AdminOp::EditProfile { .. } => "edit_profile",
            AdminOp::Disable { .. } => "disable",
            AdminOp::Enable { .. } => "enable",
            AdminOp::Delete { .. } => "delete",
            AdminOp::SetExpiry { .. } => "set_expiry",
        }
    }

    /// The id of the user the op is about.
    pub fn target(&self) -> &str {
        match self {
            AdminOp::CreateUser(u) => &u.id,
            AdminOp::EditAccess { target, .. }
            | AdminOp::EditProfile { target, .. }
            | AdminOp::Disable { target }
            | AdminOp::Enable { target }
            | AdminOp::Delete { target }
            | AdminOp::SetExpiry { target, .. } => target,
        }
    }
}

codes! {
    /// Why an admin op was decided as it was.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum AdminReason {
        /// allowed
        Allowed = "allowed",
        /// the actor or target is not in the directory
        UnknownUser = "unknown_user",
        /// the actor is disabled
        Disabled = "disabled",
        /// the actor's access has expired
        Expired = "expired",
        /// the actor's home label is closed
        HomeLabelClosed = "home_label_closed",
        /// nobody manages the owner
        TargetIsOwner = "target_is_owner",
        /// nobody edits their own access
        SelfEdit = "self_edit",
        /// nobody disables themselves
        SelfDisable = "self_disable",
        /// nobody deletes themselves
        SelfDelete = "self_delete",
        /// the actor does not hold the admin permission in the target's home label
        NotAdminOfHomeLabel = "not_admin_of_home_label",
        /// a label that does not exist
        UnknownLabel = "unknown_label",
        /// `edit_access`: the actor does not hold the admin permission in the edited label
        NotAdminOfLabel = "not_admin_of_label",
        /// a QA label cannot be a home label
        QaHomeLabel = "qa_home_label",
        /// a closed label cannot be a home label
        LabelClosed = "label_closed",
        /// `create_user`: the id is not 1 to 128 characters of `A-Z a-z 0-9 . _ @ -`
        BadUserId = "bad_user_id",
        /// the username is not `name@suffix` of the home label
        BadUsername = "bad_username",
        /// `create_user`, `edit_profile`: the email is not an ASCII `local@domain`
        BadEmail = "bad_email",
        /// `create_user` with identities: they are linked by SSO logins only
        IdentityNotAllowed = "identity_not_allowed",
        /// the id, username or email is taken
        DuplicateUser = "duplicate_user",
        /// the actor would give what they do not hold unconditionally
        Escalation = "escalation",
    }
}

impl AdminReason {
    /// A sentence a person reads.
    pub fn message(self) -> &'static str {
        match self {
            AdminReason::Allowed => "Allowed",
            AdminReason::UnknownUser => "This user is not known to the back office",
            AdminReason::Disabled => "Your account is disabled",
            AdminReason::Expired => "Your access has expired",
            AdminReason::HomeLabelClosed => "Your home label is closed",
            AdminReason::TargetIsOwner => "Nobody can manage the account owner",
            AdminReason::SelfEdit => "You cannot change your own access",
            AdminReason::SelfDisable => "You cannot disable yourself",
            AdminReason::SelfDelete => "You cannot delete yourself",
            AdminReason::NotAdminOfHomeLabel => {
                "Only admins of the user's home label can manage this user"
            }
            AdminReason::UnknownLabel => "This label does not exist",
            AdminReason::NotAdminOfLabel => "Only admins of this label can change access in it",
            AdminReason::BadUserId => "A user id is 1 to 128 characters of A-Z a-z 0-9 . _ @ -",
            AdminReason::BadEmail => "The email must be an ASCII address like name@example.com",
            AdminReason::IdentityNotAllowed => {
                "SSO identities are linked by SSO logins only, not given at creation"
            }
            AdminReason::QaHomeLabel => "A QA label cannot be a home label",
            AdminReason::LabelClosed => "A closed label cannot be a home label",
            AdminReason::BadUsername => "The username must be name@suffix of the home label",
            AdminReason::DuplicateUser => "A user with this id, username or email exists",
            AdminReason::Escalation => "You cannot give permissions you do not hold yourself",
        }
    }
}

/// The answer of the admin rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminDecision {
    /// whether the op is allowed
    pub allowed: bool,
    /// why
    pub reason: AdminReason,
}

fn deny(reason: AdminReason) -> AdminDecision {
    AdminDecision {
        allowed: false,
        reason,
    }
}

impl Model {
    /// Decides whether `actor` may perform `op` at `now`, in the order of
    /// `docs/rules.md` ("Admin rules").
    pub fn admin(&self, actor: &str, op: &AdminOp, now: Millis) -> AdminDecision {
        use AdminReason as R;
        let Some(a) = self.directory.user(actor) else {
            return deny(R::UnknownUser);
        };
        let target = match op {
            AdminOp::CreateUser(u) => u.as_ref(),
            _ => match self.directory.user(op.target()) {
                Some(t) => t,
                None => return deny(R::UnknownUser),
            },
        };
        match self.global_denial(a, now) {
            Some(Reason::Disabled) => return deny(R::Disabled),
            Some(Reason::Expired) => return deny(R::Expired),
            Some(_) => return deny(R::HomeLabelClosed),
            None => {}
        }
        if target.owner {
            return deny(R::TargetIsOwner);
        }
        if let Some(reason) = self_op(a, target, op) {
            return deny(reason);
        }
        let holds =
            |label: u64, p: usize| a.owner || self.check_index(a, label, p, None, now).allowed();
        if !holds(target.home_label, self.catalog.admin_permission) {
            return deny(R::NotAdminOfHomeLabel);
        }
        if let Some(reason) = self.op_checks(op, &holds) {
            return deny(reason);
        }
        if self.escalates(target, op, &holds) {
            return deny(R::Escalation);
        }
        AdminDecision {
            allowed: true,
            reason: R::Allowed,
        }
    }

    /// Steps 6 to 9: the op's own labels, ids, username and email.
    fn op_checks(&self, op: &AdminOp, holds: &dyn Fn(u64, usize) -> bool) -> Option<AdminReason> {
        match op {
            AdminOp::CreateUser(u) => self.create_user_checks(u),
            AdminOp::EditAccess { label, .. } => {
                if self.directory.label(*label).is_none() {
                    Some(AdminReason::UnknownLabel)
                } else if !holds(*label, self.catalog.admin_permission) {
                    Some(AdminReason::NotAdminOfLabel)
                } else {
                    None
                }
            }
            AdminOp::EditProfile { email: Some(e), .. } if !is_email(e) => {
                Some(AdminReason::BadEmail)
            }
            _ => None,
        }
    }

    /// Steps 6 to 9 for `create_user`: labels, home label, username, uniqueness.
    fn create_user_checks(&self, u: &User) -> Option<AdminReason> {
        use AdminReason as R;
        let Some(home) = self.directory.label(u.home_label) else {
            return Some(R::UnknownLabel);
        };
        if u.access
            .iter()
            .any(|(l, _)| self.directory.label(*l).is_none())
        {
            return Some(R::UnknownLabel);
        }
        if home.qa {
            return Some(R::QaHomeLabel);
        }
        if home.closed {
            return Some(R::LabelClosed);
        }
        if !is_user_id(&u.id) {
            return Some(R::BadUserId);
        }
        if !username_fits(&u.username, &home.suffix) {
            return Some(R::BadUsername);
        }
        if !is_email(&u.email) {
            return Some(R::BadEmail);
        }
        if !u.identities.is_empty() {
            return Some(R::IdentityNotAllowed);
        }
        let taken = self.directory.users.iter().any(|x| {
            x.id == u.id
                || x.username.eq_ignore_ascii_case(&u.username)
                || x.email.eq_ignore_ascii_case(&u.email)
        });
        taken.then_some(R::DuplicateUser)
    }

    /// Step 10: whether the op gives or touches more than the actor holds.
    ///
    /// * `edit_access` and `create_user`: every permission a new entry
    ///   grants (conditionally or not), less what it denies unconditionally,
    ///   must be held by the actor in that label; and for `edit_access`,
    ///   every permission the target's current entry there allows without a
    ///   resource too (nobody takes away more than they hold);
    /// * `enable` of a disabled user and `set_expiry` that removes or moves
    ///   an expiry later give access back: the same rule for every entry of
    ///   the target;
    /// * `edit_profile`, `disable`, `enable`, `delete` and `set_expiry` touch
    ///   someone: every permission the target holds unconditionally in any
    ///   label (by their access, whatever their status) must be held by the
    ///   actor there, so that nobody edits the email of, disables or deletes
    ///   someone stronger.
    fn escalates(&self, target: &User, op: &AdminOp, holds: &dyn Fn(u64, usize) -> bool) -> bool {
        let gives_more = |entries: &[(u64, Access)]| {
            entries.iter().any(|(label, access)| {
                !self.gives_only_what_actor_holds(access, &|p| holds(*label, p))
            })
        };
        match op {
            AdminOp::EditAccess { label, access, .. } => {
                !self.gives_only_what_actor_holds(access, &|p| holds(*label, p))
                    || target.access_in(*label).is_some_and(|current| {
                        !self.actor_holds_all_of(target, *label, current, holds)
                    })
            }
            AdminOp::CreateUser(u) => gives_more(&u.access),
            _ => {
                (restores_access(target, op) && gives_more(&target.access))
                    || !self.actor_holds_all_the_target_holds(target, holds)
            }
        }
    }

    /// Whether every permission `access` grants (conditionally or not), less
    /// what it denies unconditionally, passes `holds`.
    fn gives_only_what_actor_holds(&self, access: &Access, holds: &dyn Fn(usize) -> bool) -> bool {
        let mut denied = PermSet::default();
        for (_, rules) in access.deny_sources(&self.catalog) {
            denied.union_with(&rules.always);
        }
        let mut given = PermSet::default();
        for (_, rules) in access.grant_sources(&self.catalog) {
            given.union_with(&rules.always);
            for r in &rules.when {
                given.insert(r.perm);
            }
        }
        let ok = given.iter().filter(|&p| !denied.contains(p)).all(holds);
        ok
    }

    /// Whether the actor holds, in every open label, every permission the
    /// target's access entry there allows without a resource.
    fn actor_holds_all_the_target_holds(
        &self,
        target: &User,
        holds: &dyn Fn(u64, usize) -> bool,
    ) -> bool {
        target.access.iter().all(|(label, access)| {
            let open = self.directory.label(*label).is_some_and(|l| !l.closed);
            !open || self.actor_holds_all_of(target, *label, access, holds)
        })
    }

    /// Whether the actor holds in `label` every permission `access` (the
    /// target's entry there) allows without a resource.
    fn actor_holds_all_of(
        &self,
        target: &User,
        label: u64,
        access: &Access,
        holds: &dyn Fn(u64, usize) -> bool,
    ) -> bool {
        let none: Option<&Resource> = None;
        (0..self.catalog.permissions.len()).all(|p| {
            let target_holds = decide_sources(
                p,
                access.deny_sources(&self.catalog),
                access.grant_sources(&self.catalog),
                none,
                &target.id,
            )
            .allowed();
            !target_holds || holds(label, p)
        })
    }
}

/// Step 4: what nobody may do to themselves.
fn self_op(actor: &User, target: &User, op: &AdminOp) -> Option<AdminReason> {
    if target.id != actor.id || matches!(op, AdminOp::CreateUser(_)) {
        return None;
    }
    match op {
        AdminOp::EditAccess { .. } | AdminOp::SetExpiry { .. } => Some(AdminReason::SelfEdit),
        AdminOp::Disable { .. } => Some(AdminReason::SelfDisable),
        AdminOp::Delete { .. } => Some(AdminReason::SelfDelete),
        _ => None,
    }
}

/// Whether `op` gives `target` access they do not have now: enabling a
/// disabled user, or moving an expiry later (or removing it).
fn restores_access(target: &User, op: &AdminOp) -> bool {
    match op {
        AdminOp::Enable { .. } => target.status == Status::Disabled,
        AdminOp::SetExpiry { expires_at, .. } => match (target.expires_at, expires_at) {
            (Some(_), None) => true,
            (Some(old), Some(new)) => *new > old,
            (None, _) => false,
        },
        _ => false,
    }
}

/// Whether `username` is `name@suffix` with a plain non-empty name.
pub fn username_fits(username: &str, suffix: &str) -> bool {
    let Some((name, s)) = username.split_once('@') else {
        return false;
    };
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && s.eq_ignore_ascii_case(suffix)
}

crate::core::error::map_only!(AdminOpDoc);
