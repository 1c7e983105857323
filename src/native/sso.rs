//! SSO provisioning (the seeds' "Authorization with SSO"): match a login to
//! a user, or create one, in the order of `docs/rules.md` ("SSO"). Nothing
//! is changed here: the outcome says what the host should do.

use crate::core::error::codes;
use crate::native::directory::Status;
use crate::native::engine::Model;
use crate::native::load::{self, LoadError};
use crate::native::time::Millis;
use serde::Deserialize;

/// Email domains of public mail services: never accepted for SSO.
pub const PUBLIC_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "googe.com",
    "yahoo.com",
    "ymail.com",
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "gmx.com",
    "gmx.net",
    "gmx.de",
    "mail.com",
    "yandex.ru",
    "yandex.com",
    "mail.ru",
    "zoho.com",
    "qq.com",
    "163.com",
    "web.de",
];

/// An SSO configuration as the host writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct SsoConfig {
    /// allowed providers, e.g. `google`, `microsoft`
    pub providers: Vec<String>,
    /// company mail domains
    pub domains: Vec<String>,
    /// whether unknown users are created
    pub allow_creation: bool,
    /// the role new users get
    #[serde(default)]
    pub default_role: Option<String>,
    /// the labels new users get access to
    #[serde(default)]
    pub labels: Vec<u64>,
    /// the home label of new users
    #[serde(default)]
    pub home_label: Option<u64>,
}

/// One SSO login.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// provider name
    pub provider: String,
    /// the token issuer
    pub iss: String,
    /// the subject at that issuer
    pub sub: String,
    /// the email the provider asserts
    pub email: String,
    /// whether the provider verified that email
    pub email_verified: bool,
}

impl SsoConfig {
    /// Reads a config from JSON text, checking its label ids.
    pub fn from_json_text(text: &str) -> Result<SsoConfig, LoadError> {
        load::from_text::<SsoConfig>(text).and_then(SsoConfig::checked)
    }

    /// Reads a config from a JSON value (already checked for duplicate keys).
    pub fn from_value(value: &serde_json::Value) -> Result<SsoConfig, LoadError> {
        load::from_value::<SsoConfig>(value).and_then(SsoConfig::checked)
    }

    /// Refuses label ids JavaScript cannot hold exactly (`bad_value`).
    fn checked(self) -> Result<SsoConfig, LoadError> {
        for (i, l) in self.labels.iter().enumerate() {
            load::label_id(*l, &format!("labels[{i}]"))?;
        }
        if let Some(h) = self.home_label {
            load::label_id(h, "home_label")?;
        }
        Ok(self)
    }
}

impl Login {
    /// Reads a login from JSON text.
    pub fn from_json_text(text: &str) -> Result<Login, LoadError> {
        load::from_text(text)
    }
}

codes! {
    /// Why an SSO login was rejected, or its config refused.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum SsoReason {
        /// the provider is not in the config
        ProviderNotAllowed = "provider_not_allowed",
        /// the provider did not verify the email
        EmailUnverified = "email_unverified",
        /// the email has a character outside ASCII
        BadEmail = "bad_email",
        /// a public mail domain
        PublicDomain = "public_domain",
        /// a domain the config does not list
        DomainNotAllowed = "domain_not_allowed",
        /// no user matches and creation is off
        CreationDisabled = "creation_disabled",
        /// the matched user is disabled
        Disabled = "disabled",
        /// the matched user's access has expired
        Expired = "expired",
        /// config: the home label is a QA label
        QaHomeLabel = "qa_home_label",
        /// config: the home label is not among the labels
        HomeLabelNotInLabels = "home_label_not_in_labels",
        /// config: the default role is not a role of the catalog
        UnknownRole = "unknown_role",
        /// config: a label is not in the directory
        UnknownLabel = "unknown_label",
    }
}

/// What a login comes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SsoOutcome {
    /// an existing user; `linked` when the identity should be linked to them
    Matched {
        /// the user id
        user: String,
        /// whether the login's identity is new for this user
        linked: bool,
    },
    /// a new user to create
    Created {
        /// `local@suffix`, made unique
        username: String,
        /// the home label
        home_label: u64,
        /// labels with access
        labels: Vec<u64>,
        /// the role on each label
        role: String,
    },
    /// refused
    Rejected(SsoReason),
    /// the config itself is wrong
    InvalidConfig(SsoReason),
}

impl Model {
    /// Checks an SSO config against the catalog and directory.
    pub fn validate_sso(&self, c: &SsoConfig) -> Result<(), SsoReason> {
        if c.labels
            .iter()
            .chain(&c.home_label)
            .any(|l| self.directory.label(*l).is_none())
        {
            return Err(SsoReason::UnknownLabel);
        }
        if c.allow_creation || c.home_label.is_some() {
            match c.home_label {
                Some(h) if c.labels.contains(&h) => {
                    if self.directory.label(h).is_some_and(|l| l.qa) {
                        return Err(SsoReason::QaHomeLabel);
                    }
                }
                _ => return Err(SsoReason::HomeLabelNotInLabels),
            }
        }
        if c.allow_creation || c.default_role.is_some() {
            match &c.default_role {
                Some(r) if self.catalog.role(r).is_some() => {}
                _ => return Err(SsoReason::UnknownRole),
            }
        }
        Ok(())
    }

    /// Decides a login under `config` at `now`, in the order of
    /// `docs/rules.md` ("SSO"): the config, the provider, a known identity,
    /// the email's own checks, a user with that email, then creation.
    pub fn sso(&self, config: &SsoConfig, login: &Login, now: Millis) -> SsoOutcome {
        if let Err(r) = self.validate_sso(config) {
            return SsoOutcome::InvalidConfig(r);
        }
        if !config
            .providers
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&login.provider))
        {
            return SsoOutcome::Rejected(SsoReason::ProviderNotAllowed);
        }
        if let Some(u) = self.directory.users.iter().find(|u| {
            u.identities
                .iter()
                .any(|i| i.iss == login.iss && i.sub == login.sub)
        }) {
            return usable(u, false, now);
        }
        let (local, domain) = match email_parts(config, login) {
            Ok(parts) => parts,
            Err(reason) => return SsoOutcome::Rejected(reason),
        };
        let email = format!("{local}@{domain}");
        if let Some(u) = self
            .directory
            .users
            .iter()
            .find(|u| u.email.eq_ignore_ascii_case(&email))
        {
            return usable(u, true, now);
        }
        if !config.allow_creation {
            return SsoOutcome::Rejected(SsoReason::CreationDisabled);
        }
        self.created(config, &local)
    }

    /// The outcome `created`: `local@suffix` of the home label, made unique.
    fn created(&self, config: &SsoConfig, local: &str) -> SsoOutcome {
        let (Some(home), Some(role)) = (config.home_label, &config.default_role) else {
            return SsoOutcome::InvalidConfig(SsoReason::HomeLabelNotInLabels);
        };
        let suffix = self
            .directory
            .label(home)
            .map(|l| l.suffix.as_str())
            .unwrap_or_default();
        let taken = |name: &str| {
            self.directory
                .users
                .iter()
                .any(|u| u.username.eq_ignore_ascii_case(name))
        };
        let mut username = format!("{local}@{suffix}");
        let mut n = 2;
        while taken(&username) {
            username = format!("{local}{n}@{suffix}");
            n += 1;
        }
        SsoOutcome::Created {
            username,
            home_label: home,
            labels: config.labels.clone(),
            role: role.clone(),
        }
    }
}

/// A matched user, unless disabled or expired.
fn usable(u: &crate::native::directory::User, linked: bool, now: Millis) -> SsoOutcome {
    if u.status == Status::Disabled {
        SsoOutcome::Rejected(SsoReason::Disabled)
    } else if u.expires_at.is_some_and(|e| now >= e) {
        SsoOutcome::Rejected(SsoReason::Expired)
    } else {
        SsoOutcome::Matched {
            user: u.id.clone(),
            linked,
        }
    }
}

/// The email's checks in order (`email_unverified`, `bad_email`,
/// `public_domain`, `domain_not_allowed`); its local part and domain, ASCII
/// lowercased.
fn email_parts(config: &SsoConfig, login: &Login) -> Result<(String, String), SsoReason> {
    if !login.email_verified {
        return Err(SsoReason::EmailUnverified);
    }
    // ASCII case folding only: Unicode folding maps other characters onto
    // ASCII ones (KELVIN SIGN `\u{212A}` onto `k`, LONG S `\u{17F}` onto `s`)
    // and would link an attacker's identity to someone else's account.
    // The same email rule as the directory's: a user created from it loads.
    if !crate::native::directory::is_email(&login.email) {
        return Err(SsoReason::BadEmail);
    }
    let email = login.email.to_ascii_lowercase();
    let (local, domain) = email.rsplit_once('@').unwrap_or(("", ""));
    if PUBLIC_DOMAINS.contains(&domain) {
        return Err(SsoReason::PublicDomain);
    }
    let listed = config
        .domains
        .iter()
        .any(|d| d.eq_ignore_ascii_case(domain));
    if local.is_empty() || !listed {
        return Err(SsoReason::DomainNotAllowed);
    }
    Ok((local.to_string(), domain.to_string()))
}

crate::core::error::map_only!(SsoConfig, Login);
