//! The server rules: a catalog and a directory together ([`Model`]) decide
//! any check in the fixed order of `docs/rules.md`. Admin rules and SSO
//! provisioning build on this in [`crate::native::admin`] and [`crate::native::sso`].

use crate::core::rules::{decide_sources, Reason, Resource, Verdict};
use crate::native::catalog::Catalog;
use crate::native::directory::{Directory, Status, User};
use crate::native::manifest::ManifestFile;
use crate::native::time::Millis;
use std::sync::{Arc, OnceLock};

/// A decision of the server rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// whether the action is allowed
    pub allowed: bool,
    /// why
    pub reason: Reason,
    /// for `restricted` and `granted`: the restriction role, role or
    /// additional role id, or `direct`
    pub by: Option<String>,
}

impl From<Verdict<'_>> for Decision {
    fn from(v: Verdict<'_>) -> Self {
        Decision {
            allowed: v.allowed(),
            reason: v.reason,
            by: v.by.map(str::to_string),
        }
    }
}

/// A catalog and a directory: everything the server rules need.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// the product's catalog, shared by every model built on it (do not
    /// change it once the model is built: its manifest is computed once)
    pub catalog: Arc<Catalog>,
    /// the host's labels and users
    pub directory: Directory,
    manifest: OnceLock<ManifestFile>,
}

impl Model {
    /// A model from a loaded catalog and a directory loaded against it.
    pub fn new(catalog: impl Into<Arc<Catalog>>, directory: Directory) -> Self {
        Model {
            catalog: catalog.into(),
            directory,
            manifest: OnceLock::new(),
        }
    }

    /// A model whose catalog's manifest is already known (`manifest` must be
    /// [`ManifestFile::of`] this catalog): a server that builds a model per
    /// user shares one catalog and one manifest among them.
    pub fn with_manifest(
        catalog: Arc<Catalog>,
        manifest: ManifestFile,
        directory: Directory,
    ) -> Self {
        Model {
            catalog,
            directory,
            manifest: OnceLock::from(manifest),
        }
    }

    /// The catalog's manifest (computed on first use).
    pub fn manifest(&self) -> &ManifestFile {
        self.manifest
            .get_or_init(|| ManifestFile::of(&self.catalog))
    }

    /// The reason that denies `user` everything at `now`, if any:
    /// `disabled`, `expired` or `home_label_closed`, in that order.
    pub fn global_denial(&self, user: &User, now: Millis) -> Option<Reason> {
        if user.status == Status::Disabled {
            return Some(Reason::Disabled);
        }
        if user.expires_at.is_some_and(|e| now >= e) {
            return Some(Reason::Expired);
        }
        if self
            .directory
            .label(user.home_label)
            .is_none_or(|l| l.closed)
        {
            return Some(Reason::HomeLabelClosed);
        }
        None
    }

    /// Decides whether `user` may do `action` in `label` on `resource` at `now`.
    pub fn check(
        &self,
        user: &str,
        label: u64,
        action: &str,
        resource: Option<&Resource>,
        now: Millis,
    ) -> Decision {
        let Some(u) = self.directory.user(user) else {
            return Verdict::of(Reason::UnknownUser).into();
        };
        let Some(p) = self.catalog.permission(action) else {
            return Verdict::of(Reason::UnknownAction).into();
        };
        self.check_index(u, label, p, resource, now).into()
    }

    /// [`check`](Self::check) for a known user and permission index.
    pub fn check_index<'a>(
        &'a self,
        u: &'a User,
        label: u64,
        p: usize,
        resource: Option<&Resource>,
        now: Millis,
    ) -> Verdict<'a> {
        let Some(l) = self.directory.label(label) else {
            return Verdict::of(Reason::UnknownLabel);
        };
        if let Some(reason) = self.global_denial(u, now) {
            return Verdict::of(reason);
        }
        if l.closed {
            return Verdict::of(Reason::LabelClosed);
        }
        if u.owner {
            return Verdict::of(Reason::Owner);
        }
        let Some(access) = u.access_in(label) else {
            return Verdict::of(Reason::NoLabelAccess);
        };
        decide_sources(
            p,
            access.deny_sources(&self.catalog),
            access.grant_sources(&self.catalog),
            resource,
            &u.id,
        )
    }

    /// Every permission `user` may use in `label` at `now` without naming a
    /// resource (for menus), in catalog order.
    pub fn allowed(&self, user: &str, label: u64, now: Millis) -> Vec<&str> {
        let Some(u) = self.directory.user(user) else {
            return Vec::new();
        };
        (0..self.catalog.permissions.len())
            .filter(|&p| self.check_index(u, label, p, None, now).allowed())
            .map(|p| self.catalog.permissions[p].id.as_str())
            .collect()
    }

    /// The title of what a decision's `by` names (restriction role for
    /// `restricted`; role, then additional role for `granted`).
    pub fn by_title(&self, d: &Decision) -> Option<&str> {
        let by = d.by.as_deref()?;
        let c = &self.catalog;
        let list: Vec<&crate::native::catalog::Grantor> = match d.reason {
            Reason::Restricted => c.restrictions.iter().collect(),
            Reason::Granted => c.roles.iter().chain(&c.additional).collect(),
            _ => Vec::new(),
        };
        list.into_iter()
            .find(|g| g.id == by)
            .map(|g| g.title.as_str())
    }

    /// A sentence a person reads for this decision.
    pub fn message(&self, d: &Decision) -> String {
        d.reason.message(self.by_title(d))
    }
}
