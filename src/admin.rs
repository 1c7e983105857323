//! Admin rules: who may manage whom. Each op is decided in the fixed order of
//! `docs/rules.md` ("Admin rules"); nothing is changed here, the host applies
//! an allowed op itself.

use crate::directory::{Access, User};
use crate::engine::Model;
use crate::error::codes;
use crate::rules::{PermSet, Reason};
use crate::time::Millis;

/// An admin operation, as a vector file or the CLI names it.
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
    /// edit `target`'s name, email and the like
    EditProfile {
        /// user id
        target: String,
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
        /// a QA label cannot be a home label
        QaHomeLabel = "qa_home_label",
        /// a closed label cannot be a home label
        LabelClosed = "label_closed",
        /// the username is not `name@suffix` of the home label
        BadUsername = "bad_username",
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
    /// Decides whether `actor` may perform `op` at `now`.
    pub fn admin(&self, actor: &str, op: &AdminOp, now: Millis) -> AdminDecision {
        use AdminReason as R;
        let Some(a) = self.directory.user(actor) else {
            return deny(R::UnknownUser);
        };
        let target = match op {
            AdminOp::CreateUser(u) => u.as_ref(),
            AdminOp::EditAccess { target, .. }
            | AdminOp::EditProfile { target }
            | AdminOp::Disable { target }
            | AdminOp::Enable { target }
            | AdminOp::Delete { target }
            | AdminOp::SetExpiry { target, .. } => match self.directory.user(target) {
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
        let is_self = target.id == a.id && !matches!(op, AdminOp::CreateUser(_));
        match op {
            AdminOp::EditAccess { .. } if is_self => return deny(R::SelfEdit),
            AdminOp::Disable { .. } if is_self => return deny(R::SelfDisable),
            AdminOp::Delete { .. } if is_self => return deny(R::SelfDelete),
            _ => {}
        }
        let holds =
            |label: u64, p: usize| a.owner || self.check_index(a, label, p, None, now).allowed();
        if !holds(target.home_label, self.catalog.admin_permission) {
            return deny(R::NotAdminOfHomeLabel);
        }
        match op {
            AdminOp::EditAccess { label, access, .. } => {
                if self.directory.label(*label).is_none() {
                    return deny(R::UnknownLabel);
                }
                if !self.gives_only_what_actor_holds(access, &|p| holds(*label, p)) {
                    return deny(R::Escalation);
                }
            }
            AdminOp::CreateUser(u) => {
                let Some(home) = self.directory.label(u.home_label) else {
                    return deny(R::UnknownLabel);
                };
                if u.access
                    .iter()
                    .any(|(l, _)| self.directory.label(*l).is_none())
                {
                    return deny(R::UnknownLabel);
                }
                if home.qa {
                    return deny(R::QaHomeLabel);
                }
                if home.closed {
                    return deny(R::LabelClosed);
                }
                if !username_fits(&u.username, &home.suffix) {
                    return deny(R::BadUsername);
                }
                let taken = self.directory.users.iter().any(|x| {
                    x.id == u.id
                        || x.username.eq_ignore_ascii_case(&u.username)
                        || x.email.to_lowercase() == u.email.to_lowercase()
                });
                if taken {
                    return deny(R::DuplicateUser);
                }
                for (label, access) in &u.access {
                    if !self.gives_only_what_actor_holds(access, &|p| holds(*label, p)) {
                        return deny(R::Escalation);
                    }
                }
            }
            // Re-enabling a user, or extending their access in time, gives
            // back everything their entries grant: the same rule as giving it.
            AdminOp::Enable { .. } | AdminOp::SetExpiry { .. } if restores_access(target, op) => {
                for (label, access) in &target.access {
                    if !self.gives_only_what_actor_holds(access, &|p| holds(*label, p)) {
                        return deny(R::Escalation);
                    }
                }
            }
            _ => {}
        }
        AdminDecision {
            allowed: true,
            reason: R::Allowed,
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
}

/// Whether `op` gives `target` access they do not have now: enabling a
/// disabled user, or moving an expiry later (or removing it).
fn restores_access(target: &User, op: &AdminOp) -> bool {
    match op {
        AdminOp::Enable { .. } => target.status == crate::directory::Status::Disabled,
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
