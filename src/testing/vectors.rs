//! Vector files (`tests/vectors/*.json`): loading them, and running them
//! through the server rules and, for checks, through a snapshot (parity).
//! The CLI's `conformance`, the native tests and the package's parity
//! samples all use this (feature `test-util`).

use crate::core::rules::{Reason, Resource};
use crate::native::admin::{AdminOp, AdminOpDoc, AdminReason};
use crate::native::catalog::Catalog;
use crate::native::directory::{timestamp, Directory};
use crate::native::engine::{Decision, Model};
use crate::native::load::{self, LoadError, LoadErrorKind as K};
use crate::native::presets::preset;
use crate::native::sso::{Login, SsoConfig, SsoOutcome, SsoReason};
use crate::native::time::Millis;
use serde::Deserialize;
use serde_json::Value;
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
    /// the resource as written (non-scalar attributes included), if any
    pub resource_json: Option<Value>,
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

/// `"allow"` or `"deny"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Expect {
    Allow,
    Deny,
}

/// A check case as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
pub struct CheckDoc {
    user: String,
    label: u64,
    action: String,
    #[serde(default)]
    resource: Option<Value>,
    #[serde(default)]
    expect: Option<Expect>,
    #[serde(default)]
    reason: Option<Reason>,
    #[serde(default)]
    by: Option<String>,
}

impl CheckDoc {
    /// The case; `path` is where it was written. A vector file's check must
    /// say what it expects (`expect_required`); a generated one does not.
    pub fn case(self, path: &str, expect_required: bool) -> Result<CheckCase, LoadError> {
        if expect_required && self.expect.is_none() {
            return Err(LoadError::new(
                K::MissingField,
                path,
                "missing field `expect`",
            ));
        }
        let resource = match &self.resource {
            None => None,
            Some(r) => Some(load::resource(r, &load::join(path, "resource"))?),
        };
        Ok(CheckCase {
            user: self.user,
            label: load::label_id(self.label, &load::join(path, "label"))?,
            action: self.action,
            resource,
            resource_json: self.resource,
            allow: self.expect == Some(Expect::Allow),
            reason: self.reason,
            by: self.by,
        })
    }
}

/// An SSO case's `expect` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
enum SsoExpectDoc {
    Matched {
        user: String,
    },
    Created {
        username: String,
        home_label: u64,
        labels: Vec<u64>,
        role: String,
    },
    Rejected {
        reason: SsoReason,
    },
    InvalidConfig {
        reason: SsoReason,
    },
}

impl From<SsoExpectDoc> for SsoOutcome {
    fn from(d: SsoExpectDoc) -> SsoOutcome {
        match d {
            SsoExpectDoc::Matched { user } => SsoOutcome::Matched {
                user,
                linked: false,
            },
            SsoExpectDoc::Created {
                username,
                home_label,
                labels,
                role,
            } => SsoOutcome::Created {
                username,
                home_label,
                labels,
                role,
            },
            SsoExpectDoc::Rejected { reason } => SsoOutcome::Rejected(reason),
            SsoExpectDoc::InvalidConfig { reason } => SsoOutcome::InvalidConfig(reason),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
struct SsoCaseDoc {
    config: Value,
    login: Login,
    expect: SsoExpectDoc,
}

/// A vector file as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(remote = "Self")]
#[serde(deny_unknown_fields)]
struct VectorDoc {
    #[serde(rename = "description")]
    _description: String,
    #[serde(default, rename = "expect_error")]
    _expect_error: Option<String>,
    catalog: Value,
    directory: Value,
    now: String,
    #[serde(default)]
    checks: Vec<CheckDoc>,
    #[serde(default)]
    admin: Vec<Value>,
    #[serde(default)]
    sso: Vec<SsoCaseDoc>,
}

/// The catalog of a vector file: a preset id or an inline catalog object.
fn catalog_of(v: &Value) -> Result<Catalog, LoadError> {
    match v {
        Value::String(id) => preset(id).map_err(|e| LoadError {
            path: "catalog".into(),
            ..e
        }),
        Value::Object(_) => Catalog::from_value(v).map_err(|e| e.under("catalog")),
        other => Err(LoadError::new(
            K::WrongType,
            "catalog",
            format!("`catalog` is a preset id or a catalog object, not `{other}`"),
        )),
    }
}

/// An admin case: `actor`, `expect`, `reason`, and the op's own fields.
fn admin_case(v: &Value, c: &Catalog, path: &str) -> Result<AdminCase, LoadError> {
    let mut op = v.clone();
    let fields = op.as_object_mut().ok_or_else(|| {
        LoadError::new(
            K::WrongType,
            path,
            format!("an admin case is an object, not `{v}`"),
        )
    })?;
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct CaseDoc {
        actor: String,
        expect: Expect,
        #[serde(default)]
        reason: Option<AdminReason>,
    }
    let mut case = serde_json::Map::new();
    for key in ["actor", "expect", "reason"] {
        if let Some(x) = fields.remove(key) {
            case.insert(key.to_string(), x);
        }
    }
    let case: CaseDoc = load::from_value(&Value::Object(case)).map_err(|e| e.under(path))?;
    let doc: AdminOpDoc = load::from_value(&op).map_err(|e| e.under(path))?;
    Ok(AdminCase {
        actor: case.actor,
        op: AdminOp::from_doc(doc, c, path)?,
        allow: case.expect == Expect::Allow,
        reason: case.reason,
    })
}

fn scenario(doc: VectorDoc) -> Result<Scenario, LoadError> {
    let catalog = catalog_of(&doc.catalog)?;
    let directory =
        Directory::from_value(&doc.directory, &catalog).map_err(|e| e.under("directory"))?;
    let now = timestamp(&doc.now, "now")?;
    let checks = doc
        .checks
        .into_iter()
        .enumerate()
        .map(|(i, c)| c.case(&format!("checks[{i}]"), true))
        .collect::<Result<_, _>>()?;
    let admin = doc
        .admin
        .iter()
        .enumerate()
        .map(|(i, v)| admin_case(v, &catalog, &format!("admin[{i}]")))
        .collect::<Result<_, _>>()?;
    let sso = doc
        .sso
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let config = SsoConfig::from_value(&c.config)
                .map_err(|e| e.under(&format!("sso[{i}].config")))?;
            Ok(SsoCase {
                config,
                login: c.login,
                expect: c.expect.into(),
            })
        })
        .collect::<Result<_, LoadError>>()?;
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
    /// a scenario that fails to load is kept in [`VectorFile::loaded`], so
    /// that a file can say `"expect_error": CODE` (a duplicate key anywhere
    /// included).
    pub fn from_text(text: &str, file: &str) -> Result<VectorFile, LoadError> {
        let duplicate = match load::check_json(text) {
            Err(e) if e.kind == K::DuplicateKey => Some(e),
            Err(e) => return Err(e.in_file(file)),
            Ok(()) => None,
        };
        let json: Value = serde_json::from_str(text)
            .map_err(|e| LoadError::new(K::JsonSyntax, "$", e.to_string()).in_file(file))?;
        let description = match json.get("description") {
            Some(Value::String(d)) => d.clone(),
            _ => {
                return Err(LoadError::new(
                    K::MissingField,
                    "$",
                    "a vector file has a `description` string",
                )
                .in_file(file))
            }
        };
        let (expect_error, expect_problem) = match json.get("expect_error") {
            None => (None, None),
            Some(Value::String(c)) if K::from_code(c).is_some() => (Some(c.clone()), None),
            Some(other) => (
                None,
                Some(LoadError::new(
                    K::BadValue,
                    "expect_error",
                    format!("`{other}` is not a load error code"),
                )),
            ),
        };
        let loaded = match (duplicate, expect_problem) {
            (Some(d), _) | (None, Some(d)) => Err(d),
            (None, None) => load::from_value::<VectorDoc>(&json).and_then(scenario),
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
/// (`docs/rules.md`, "Parity": an unknown label may be `no_label_access`).
pub fn parity_agrees(d: &Decision, s: &Decision) -> bool {
    d == s || (d.reason == Reason::UnknownLabel && s.reason == Reason::NoLabelAccess && !s.allowed)
}

/// [`parity_agrees`], and the second exception of "Parity": `exp` is whole
/// seconds rounded down, so a user whose `expires_at` falls less than a
/// second after `now` may already be `expired` in the snapshot (never later
/// than on the server).
pub fn parity_agrees_in(scenario: &Scenario, user: &str, d: &Decision, s: &Decision) -> bool {
    let within_a_second = scenario
        .model
        .directory
        .user(user)
        .and_then(|u| u.expires_at)
        .is_some_and(|e| e > scenario.now && e.div_euclid(1000) * 1000 <= scenario.now);
    parity_agrees(d, s) || (within_a_second && s.reason == Reason::Expired && !s.allowed)
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
        match (&self.loaded, &self.expect_error) {
            (Err(e), Some(code)) if e.code() == code => r.passed += 1,
            (Err(e), Some(code)) => r.fail(
                "load".into(),
                format!("error {code}"),
                format!("error {}: {e}", e.code()),
            ),
            (Err(e), None) => r.fail(
                "load".into(),
                "loads".into(),
                format!("error {}: {e}", e.code()),
            ),
            (Ok(_), Some(code)) => r.fail("load".into(), format!("error {code}"), "loaded".into()),
            (Ok(s), None) => {
                run_checks(s, parity, &mut r);
                run_admin(s, &mut r);
                run_sso(s, &mut r);
            }
        }
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

impl Report {
    fn fail(&mut self, case: String, expected: String, got: String) {
        self.failures.push(Failure {
            case,
            expected,
            got,
        });
    }
}

/// Every check through the server rules, then (unless the user is unknown)
/// through `parity`, one session per user.
fn run_checks<P: Parity>(s: &Scenario, parity: Option<&P>, r: &mut Report) {
    let mut sessions: std::collections::HashMap<&str, Result<P::Session, String>> =
        Default::default();
    for (i, c) in s.checks.iter().enumerate() {
        let d = s
            .model
            .check(&c.user, c.label, &c.action, c.resource.as_ref(), s.now);
        let got = decision_text(d.allowed, d.reason.code(), d.by.as_deref());
        if !matches(c, &d) {
            r.fail(format!("checks[{i}]"), check_expected(c), got);
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
                Ok(sd) if parity_agrees_in(s, &c.user, &d, &sd) => None,
                Ok(sd) => Some(decision_text(
                    sd.allowed,
                    sd.reason.code(),
                    sd.by.as_deref(),
                )),
                Err(e) => Some(format!("error {e}")),
            };
            if let Some(snapshot_said) = wrong {
                r.fail(format!("checks[{i}] (snapshot)"), got, snapshot_said);
                continue;
            }
        }
        r.passed += 1;
    }
}

fn run_admin(s: &Scenario, r: &mut Report) {
    for (i, c) in s.admin.iter().enumerate() {
        let d = s.model.admin(&c.actor, &c.op, s.now);
        if d.allowed == c.allow && c.reason.is_none_or(|x| x == d.reason) {
            r.passed += 1;
        } else {
            r.fail(
                format!("admin[{i}]"),
                decision_text(c.allow, c.reason.map_or("*", AdminReason::code), None),
                decision_text(d.allowed, d.reason.code(), None),
            );
        }
    }
}

fn run_sso(s: &Scenario, r: &mut Report) {
    for (i, c) in s.sso.iter().enumerate() {
        let got = s.model.sso(&c.config, &c.login, s.now);
        if sso_matches(&c.expect, &got) {
            r.passed += 1;
        } else {
            r.fail(format!("sso[{i}]"), sso_text(&c.expect), sso_text(&got));
        }
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
    key: crate::PrivateKey,
    jwks: crate::Jwks,
}

impl SnapshotParity {
    /// A parity checker with a fixed key (conformance must be reproducible).
    pub fn new() -> Self {
        let key = crate::PrivateKey::from_seed(&[7; 32], Some("conformance"));
        let jwks = crate::Jwks::of(&[&key]);
        SnapshotParity { key, jwks }
    }

    /// The signed token of `user` in `scenario`, as the server would issue it.
    pub fn token(&self, scenario: &Scenario, user: &str) -> Result<String, String> {
        let opts = crate::IssueOptions::default();
        crate::issue(&scenario.model, user, scenario.now, &opts, &self.key)
            .map_err(|e| e.to_string())
    }

    /// The JWKS of the test key.
    pub fn jwks(&self) -> serde_json::Value {
        self.key.to_jwks()
    }
}

impl Default for SnapshotParity {
    fn default() -> Self {
        SnapshotParity::new()
    }
}

impl Parity for SnapshotParity {
    type Session = crate::Snapshot;
    fn open(&self, s: &Scenario, user: &str) -> Result<crate::Snapshot, String> {
        let token = self.token(s, user)?;
        let opts = crate::VerifyOptions::new(&crate::IssueOptions::default().audience, s.now);
        crate::verify(&token, &self.jwks, &opts)
            .and_then(|v| v.snapshot(s.model.manifest().manifest()))
            .map_err(|e| format!("{}: {e}", e.code()))
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

crate::core::error::map_only!(CheckDoc, SsoExpectDoc, SsoCaseDoc, VectorDoc);
