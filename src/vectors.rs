//! Vector files (`tests/vectors/*.json`): loading them, and running them
//! through the server rules and, for checks, through a snapshot (parity).
//! The CLI's `conformance`, the native tests and the wasm tests all use this.

use crate::admin::{AdminOp, AdminReason};
use crate::catalog::Catalog;
use crate::directory::{access_entry, timestamp, Directory, User};
use crate::engine::{Decision, Model};
use crate::error::{LoadError, LoadErrorKind as K};
use crate::json::{Json, Val};
use crate::presets::preset;
use crate::rules::{Reason, Resource};
use crate::sso::{Login, SsoConfig, SsoOutcome, SsoReason};
use crate::time::Millis;

/// One check case.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckCase {
    /// user id
    pub user: String,
    /// label id
    pub label: u64,
    /// permission id
    pub action: String,
    /// the resource, if any
    pub resource: Option<Resource>,
    /// expected allowed
    pub allow: bool,
    /// expected reason, when given
    pub reason: Option<Reason>,
    /// expected `by`, when given
    pub by: Option<String>,
}

/// One admin case.
#[derive(Debug, Clone, PartialEq)]
pub struct AdminCase {
    /// actor id
    pub actor: String,
    /// the op
    pub op: AdminOp,
    /// expected allowed
    pub allow: bool,
    /// expected reason, when given
    pub reason: Option<AdminReason>,
}

/// One SSO case.
#[derive(Debug, Clone, PartialEq)]
pub struct SsoCase {
    /// the config
    pub config: SsoConfig,
    /// the login
    pub login: Login,
    /// the expected outcome (`linked` is not compared)
    pub expect: SsoOutcome,
}

/// A loaded scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// the catalog and directory
    pub model: Model,
    /// the instant every case is decided at
    pub now: Millis,
    /// check cases
    pub checks: Vec<CheckCase>,
    /// admin cases
    pub admin: Vec<AdminCase>,
    /// SSO cases
    pub sso: Vec<SsoCase>,
}

/// A vector file: either a scenario or a file that must fail to load.
#[derive(Debug, Clone, PartialEq)]
pub struct VectorFile {
    /// what it shows
    pub description: String,
    /// the scenario, or the load error it came to
    pub loaded: Result<Scenario, LoadError>,
    /// `expect_error`: the code the load must fail with
    pub expect_error: Option<String>,
}

/// Reads a resource object: scalars count, any other value is as if absent.
pub fn resource(v: Val<'_>) -> Result<Resource, LoadError> {
    crate::snapshot::resource_from_json(v.v).ok_or_else(|| {
        v.error(
            K::WrongType,
            format!("a resource is an object, not {}", v.v.type_name()),
        )
    })
}

fn expect_allow(v: Val<'_>) -> Result<bool, LoadError> {
    match v.str()? {
        "allow" => Ok(true),
        "deny" => Ok(false),
        s => Err(v.error(
            K::BadValue,
            format!("expect is `allow` or `deny`, not `{s}`"),
        )),
    }
}

fn code<T>(v: Val<'_>, parse: fn(&str) -> Option<T>, what: &str) -> Result<T, LoadError> {
    let s = v.str()?;
    parse(s).ok_or_else(|| v.error(K::BadValue, format!("`{s}` is not {what}")))
}

fn target(o: &mut crate::json::Obj<'_>) -> Result<String, LoadError> {
    o.req("target", |v| v.str().map(str::to_string))
}

/// Reads an admin op (`op` and its fields, as in a vector file's `admin` case).
pub fn admin_op_fields(o: &mut crate::json::Obj<'_>, c: &Catalog) -> Result<AdminOp, LoadError> {
    let op_name = o.req("op", |v| v.str().map(str::to_string))?;
    Ok(match op_name.as_str() {
        "create_user" => AdminOp::CreateUser(Box::new(o.req("user", |v| User::from_json(v, c))?)),
        "edit_access" => AdminOp::EditAccess {
            target: target(o)?,
            label: o.req("label", |v| v.u64())?,
            access: o.req("access", |v| access_entry(v, c))?,
        },
        "edit_profile" => AdminOp::EditProfile { target: target(o)? },
        "disable" => AdminOp::Disable { target: target(o)? },
        "enable" => AdminOp::Enable { target: target(o)? },
        "delete" => AdminOp::Delete { target: target(o)? },
        "set_expiry" => AdminOp::SetExpiry {
            target: target(o)?,
            expires_at: o.req("expires_at", |v| {
                if v.v == &Json::Null {
                    Ok(None)
                } else {
                    timestamp(v).map(Some)
                }
            })?,
        },
        other => {
            return Err(LoadError::new(
                K::BadValue,
                format!("{}.op", o.path()),
                format!("`{other}` is not an admin op"),
            ))
        }
    })
}

/// Reads an admin op object (`{"op": "disable", "target": "u2"}`).
pub fn admin_op(v: Val<'_>, c: &Catalog) -> Result<AdminOp, LoadError> {
    v.object(|o| admin_op_fields(o, c))
}

fn admin_case(v: Val<'_>, c: &Catalog) -> Result<AdminCase, LoadError> {
    v.object(|o| {
        Ok(AdminCase {
            actor: o.req("actor", |v| v.str().map(str::to_string))?,
            op: admin_op_fields(o, c)?,
            allow: o.req("expect", expect_allow)?,
            reason: o.opt("reason", |v| {
                code(v, AdminReason::from_code, "an admin reason")
            })?,
        })
    })
}

fn sso_expect(v: Val<'_>) -> Result<SsoOutcome, LoadError> {
    v.object(|o| {
        let outcome = o.req("outcome", |v| v.str().map(str::to_string))?;
        let reason = |o: &mut crate::json::Obj<'_>| {
            o.req("reason", |v| code(v, SsoReason::from_code, "an SSO reason"))
        };
        Ok(match outcome.as_str() {
            "matched" => SsoOutcome::Matched {
                user: o.req("user", |v| v.str().map(str::to_string))?,
                linked: false,
            },
            "created" => SsoOutcome::Created {
                username: o.req("username", |v| v.str().map(str::to_string))?,
                home_label: o.req("home_label", |v| v.u64())?,
                labels: o.req("labels", |l| l.each(|v| v.u64()))?,
                role: o.req("role", |v| v.str().map(str::to_string))?,
            },
            "rejected" => SsoOutcome::Rejected(reason(o)?),
            "invalid_config" => SsoOutcome::InvalidConfig(reason(o)?),
            other => {
                return Err(LoadError::new(
                    K::BadValue,
                    format!("{}.outcome", o.path()),
                    format!("`{other}` is not an SSO outcome"),
                ))
            }
        })
    })
}

fn scenario(o: &mut crate::json::Obj<'_>) -> Result<Scenario, LoadError> {
    let catalog = o.req("catalog", |v| match v.v {
        Json::Str(id) => preset(id).map_err(|e| LoadError {
            path: v.path(),
            ..e
        }),
        Json::Obj(_) => Catalog::from_json(v.v).map_err(|e| e.under(&v.path())),
        other => Err(v.error(
            K::WrongType,
            format!(
                "`catalog` is a preset id or a catalog object, not {}",
                other.type_name()
            ),
        )),
    })?;
    let directory = o.req("directory", |v| {
        Directory::from_json(v.v, &catalog).map_err(|e| e.under(&v.path()))
    })?;
    let now = o.req("now", timestamp)?;
    let checks = o
        .opt("checks", |l| {
            l.each(|v| {
                v.object(|o| {
                    Ok(CheckCase {
                        user: o.req("user", |v| v.str().map(str::to_string))?,
                        label: o.req("label", |v| v.u64())?,
                        action: o.req("action", |v| v.str().map(str::to_string))?,
                        resource: o.opt("resource", resource)?,
                        allow: o.req("expect", expect_allow)?,
                        reason: o
                            .opt("reason", |v| code(v, Reason::from_code, "a check reason"))?,
                        by: o.opt("by", |v| v.str().map(str::to_string))?,
                    })
                })
            })
        })?
        .unwrap_or_default();
    let admin = o
        .opt("admin", |l| l.each(|v| admin_case(v, &catalog)))?
        .unwrap_or_default();
    let sso = o
        .opt("sso", |l| {
            l.each(|v| {
                v.object(|o| {
                    Ok(SsoCase {
                        config: o.req("config", SsoConfig::from_json)?,
                        login: o.req("login", Login::from_json)?,
                        expect: o.req("expect", sso_expect)?,
                    })
                })
            })
        })?
        .unwrap_or_default();
    Ok(Scenario {
        model: Model::new(catalog, directory),
        now,
        checks,
        admin,
        sso,
    })
}

impl VectorFile {
    /// Parses a vector file; `file` names it in errors. The `Err` is for a
    /// file that is not a vector file at all (not JSON, no `description`);
    /// a scenario that fails to load is kept in [`VectorFile::loaded`].
    pub fn from_text(text: &str, file: &str) -> Result<VectorFile, LoadError> {
        // A duplicate key is reported as the scenario's load error, so that
        // a file can say `"expect_error": "duplicate_key"`.
        let (json, duplicate) =
            Json::parse_noting_duplicates(text).map_err(|e| LoadError::from(e).in_file(file))?;
        let root = Val::root(&json);
        let mut description = String::new();
        let mut expect_error = None;
        let loaded = root.object(|o| {
            description = o.req("description", |v| v.str().map(str::to_string))?;
            expect_error = o.opt("expect_error", |v| {
                let s = v.str()?;
                K::from_code(s)
                    .map(|k| k.code().to_string())
                    .ok_or_else(|| v.error(K::BadValue, format!("`{s}` is not a load error code")))
            })?;
            // The scenario's fields count as known even when loading stops
            // early, so that a typo beside them is still `unknown_field`.
            for key in ["catalog", "directory", "now", "checks", "admin", "sso"] {
                o.raw(key);
            }
            let s = scenario(o);
            Ok(s)
        });
        let loaded = match loaded {
            Ok(inner) => inner,
            Err(e) if description.is_empty() => return Err(e.in_file(file)),
            Err(e) => Err(e),
        };
        let loaded = match duplicate {
            Some(d) => Err(LoadError::from(d)),
            None => loaded,
        };
        Ok(VectorFile {
            description,
            loaded: loaded.map_err(|e| e.in_file(file)),
            expect_error,
        })
    }
}

/// The snapshot side of conformance: opens one session per (scenario,
/// user), e.g. a verified snapshot, and answers that user's checks from it.
pub trait Parity {
    /// What is opened once per user and scenario.
    type Session;
    /// Issues and verifies the snapshot of `user` at the scenario's `now`.
    fn open(&self, scenario: &Scenario, user: &str) -> Result<Self::Session, String>;
    /// Answers one check from the session.
    fn check(
        &self,
        session: &Self::Session,
        scenario: &Scenario,
        case: &CheckCase,
    ) -> Result<Decision, String>;
}

/// One failed case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// e.g. `checks[3]`
    pub case: String,
    /// what the file expects
    pub expected: String,
    /// what came out
    pub got: String,
}

/// The result of running one vector file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// cases that passed
    pub passed: usize,
    /// cases that failed
    pub failures: Vec<Failure>,
}

fn decision_text(allowed: bool, reason: &str, by: Option<&str>) -> String {
    let verb = if allowed { "allow" } else { "deny" };
    match by {
        Some(b) => format!("{verb} {reason} by {b}"),
        None => format!("{verb} {reason}"),
    }
}

fn check_expected(c: &CheckCase) -> String {
    decision_text(c.allow, c.reason.map_or("*", Reason::code), c.by.as_deref())
}

fn matches(c: &CheckCase, d: &Decision) -> bool {
    d.allowed == c.allow
        && c.reason.is_none_or(|r| r == d.reason)
        && (c.by.is_none() || c.by == d.by)
}

/// Whether the snapshot answer `s` agrees with the server answer `d`
/// (DESIGN.md "Parity": an unknown label may be `no_label_access`).
pub fn parity_agrees(d: &Decision, s: &Decision) -> bool {
    d == s || (d.reason == Reason::UnknownLabel && s.reason == Reason::NoLabelAccess && !s.allowed)
}

fn sso_text(o: &SsoOutcome) -> String {
    match o {
        SsoOutcome::Matched { user, .. } => format!("matched {user}"),
        SsoOutcome::Created {
            username,
            home_label,
            labels,
            role,
        } => {
            format!("created {username} home {home_label} labels {labels:?} role {role}")
        }
        SsoOutcome::Rejected(r) => format!("rejected {r}"),
        SsoOutcome::InvalidConfig(r) => format!("invalid_config {r}"),
    }
}

fn sso_matches(expect: &SsoOutcome, got: &SsoOutcome) -> bool {
    match (expect, got) {
        (SsoOutcome::Matched { user: a, .. }, SsoOutcome::Matched { user: b, .. }) => a == b,
        _ => expect == got,
    }
}

impl VectorFile {
    /// Runs every case through the server rules only.
    pub fn run_server(&self) -> Report {
        self.run_inner(None::<&NoParity>)
    }

    /// Runs every case through the server rules and every check through
    /// `parity` as well (a case passes when both agree with the file).
    pub fn run<P: Parity>(&self, parity: &P) -> Report {
        self.run_inner(Some(parity))
    }

    fn run_inner<P: Parity>(&self, parity: Option<&P>) -> Report {
        let mut r = Report::default();
        let mut fail = |case: String, expected: String, got: String| {
            r.failures.push(Failure {
                case,
                expected,
                got,
            })
        };
        let mut passed = 0;
        match (&self.loaded, &self.expect_error) {
            (Err(e), Some(code)) if e.code() == code => passed += 1,
            (Err(e), Some(code)) => fail(
                "load".into(),
                format!("error {code}"),
                format!("error {}: {e}", e.code()),
            ),
            (Err(e), None) => fail(
                "load".into(),
                "loads".into(),
                format!("error {}: {e}", e.code()),
            ),
            (Ok(_), Some(code)) => fail("load".into(), format!("error {code}"), "loaded".into()),
            (Ok(s), None) => {
                let mut sessions: std::collections::HashMap<&str, Result<P::Session, String>> =
                    Default::default();
                for (i, c) in s.checks.iter().enumerate() {
                    let d = s
                        .model
                        .check(&c.user, c.label, &c.action, c.resource.as_ref(), s.now);
                    let got = decision_text(d.allowed, d.reason.code(), d.by.as_deref());
                    if !matches(c, &d) {
                        fail(format!("checks[{i}]"), check_expected(c), got);
                        continue;
                    }
                    if let (Some(parity), false) = (parity, d.reason == Reason::UnknownUser) {
                        let session = sessions
                            .entry(c.user.as_str())
                            .or_insert_with(|| parity.open(s, &c.user));
                        let answer = session
                            .as_ref()
                            .map_err(String::clone)
                            .and_then(|sess| parity.check(sess, s, c));
                        let wrong = match answer {
                            Ok(sd) if parity_agrees(&d, &sd) => None,
                            Ok(sd) => Some(decision_text(
                                sd.allowed,
                                sd.reason.code(),
                                sd.by.as_deref(),
                            )),
                            Err(e) => Some(format!("error {e}")),
                        };
                        if let Some(snapshot_said) = wrong {
                            fail(format!("checks[{i}] (snapshot)"), got, snapshot_said);
                            continue;
                        }
                    }
                    passed += 1;
                }
                for (i, c) in s.admin.iter().enumerate() {
                    let d = s.model.admin(&c.actor, &c.op, s.now);
                    if d.allowed == c.allow && c.reason.is_none_or(|x| x == d.reason) {
                        passed += 1;
                    } else {
                        fail(
                            format!("admin[{i}]"),
                            decision_text(c.allow, c.reason.map_or("*", AdminReason::code), None),
                            decision_text(d.allowed, d.reason.code(), None),
                        );
                    }
                }
                for (i, c) in s.sso.iter().enumerate() {
                    let got = s.model.sso(&c.config, &c.login, s.now);
                    if sso_matches(&c.expect, &got) {
                        passed += 1;
                    } else {
                        fail(format!("sso[{i}]"), sso_text(&c.expect), sso_text(&got));
                    }
                }
            }
        }
        r.passed = passed;
        r
    }

    /// How many cases the file holds (an `expect_error` file is one).
    pub fn case_count(&self) -> usize {
        match &self.loaded {
            Ok(s) if self.expect_error.is_none() => s.checks.len() + s.admin.len() + s.sso.len(),
            _ => 1,
        }
    }
}

/// Runs named vector texts through the server rules and `parity`: the number
/// of cases passed, and one line per failure (`FILE CASE: expected X, got Y`).
pub fn run_texts<'a, P: Parity>(
    files: impl IntoIterator<Item = (&'a str, &'a str)>,
    parity: &P,
) -> (usize, Vec<String>) {
    let (mut passed, mut failures) = (0, Vec::new());
    for (name, text) in files {
        match VectorFile::from_text(text, name) {
            Ok(vf) => {
                let r = vf.run(parity);
                passed += r.passed;
                failures.extend(r.failures.iter().map(|f| f.line(name)));
            }
            Err(e) => failures.push(format!("{name}: not a vector file: {e}")),
        }
    }
    (passed, failures)
}

impl Failure {
    /// `FILE CASE: expected X, got Y`.
    pub fn line(&self, file: &str) -> String {
        format!(
            "{file} {}: expected {}, got {}",
            self.case, self.expected, self.got
        )
    }
}

/// Never used: the type of "no parity" for [`VectorFile::run_server`].
enum NoParity {}

impl Parity for NoParity {
    type Session = ();
    fn open(&self, _: &Scenario, _: &str) -> Result<(), String> {
        match *self {}
    }
    fn check(&self, _: &(), _: &Scenario, _: &CheckCase) -> Result<Decision, String> {
        match *self {}
    }
}

/// Native parity: issue the user's snapshot at the scenario's `now` with a
/// fixed test key, verify it, and ask the verified [`crate::Snapshot`].
pub struct SnapshotParity {
    key: crate::snapshot::jws::PrivateKey,
    jwks: crate::snapshot::jws::Jwks,
}

impl SnapshotParity {
    /// A parity checker with a fixed key (conformance must be reproducible).
    pub fn new() -> Result<Self, crate::TokenError> {
        let key = crate::snapshot::jws::PrivateKey::from_seed(&[7; 32], Some("conformance"));
        let jwks = crate::snapshot::jws::Jwks::from_json_text(&key.to_jwks().to_text())?;
        Ok(SnapshotParity { key, jwks })
    }

    /// The signed token of `user` in `scenario`, as the server would issue it.
    pub fn token(&self, scenario: &Scenario, user: &str) -> Result<String, String> {
        let opts = crate::snapshot::IssueOptions::default();
        crate::snapshot::jws::issue(&scenario.model, user, scenario.now, &opts, &self.key)
            .map_err(|e| e.to_string())
    }

    /// The JWKS text of the test key.
    pub fn jwks_text(&self) -> String {
        self.key.to_jwks().to_text()
    }
}

impl Parity for SnapshotParity {
    type Session = crate::Snapshot;
    fn open(&self, s: &Scenario, user: &str) -> Result<crate::Snapshot, String> {
        let token = self.token(s, user)?;
        let opts = crate::snapshot::VerifyOptions::new(
            &crate::snapshot::IssueOptions::default().audience,
            s.now,
        );
        crate::snapshot::jws::verify(&token, &self.jwks, &opts)
            .map(|v| v.snapshot)
            .map_err(|e| e.to_string())
    }
    fn check(
        &self,
        snap: &crate::Snapshot,
        s: &Scenario,
        c: &CheckCase,
    ) -> Result<Decision, String> {
        Ok(snap
            .check(&c.action, c.label, c.resource.as_ref(), s.now)
            .into())
    }
}
