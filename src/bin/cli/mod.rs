//! The commands, on clap. Each command is a function from its arguments to a
//! JSON answer or a coded error; [`main`] prints either and picks the exit
//! status (0 answered, 1 conformance or differential found failures, 2 an
//! error, usage errors included).

mod samples;

use clap::{Args, Parser, Subcommand};
use permsnap::native::issue::Alg;
use permsnap::native::time::{format_rfc3339, parse_rfc3339, Millis};
use permsnap::testing::vectors::{SnapshotParity, VectorFile};
use permsnap::{AdminOp, Catalog, Directory, LoadError, Login, Model, SsoConfig, SsoOutcome};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A command failure with a stable code.
#[derive(Debug)]
pub struct CliError {
    code: String,
    message: String,
}

impl CliError {
    fn new(code: &str, message: impl Into<String>) -> Self {
        CliError {
            code: code.to_string(),
            message: message.into(),
        }
    }

    fn json(&self) -> Value {
        json!({"error": {"code": self.code, "message": self.message}})
    }
}

macro_rules! coded {
    ($($t:ty),*) => {$(
        impl From<$t> for CliError {
            fn from(e: $t) -> Self {
                CliError::new(e.code(), e.to_string())
            }
        }
    )*};
}
coded!(
    LoadError,
    permsnap::VerifyError,
    permsnap::KeyError,
    permsnap::IssueError
);

type Out = Result<Value, CliError>;

const AFTER_HELP: &str = "\
Every answer is JSON on stdout; every error is {\"error\": {\"code\", \"message\"}}
on stdout with exit status 2 (1 is kept for conformance and differential
failures). CATALOG is a preset id (smartico-crm, tap-affiliate, smrtphone,
loymax) or a catalog file; TIME is RFC 3339 (default: now).";

/// permsnap: the server rules, signed permission snapshots, and the tools
/// around them.
#[derive(Parser)]
#[command(name = "permsnap", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decide one check with the server rules
    #[command(
        after_help = "Example:\n  permsnap check --catalog smartico-crm --directory dir.json \\\n    --user u1 --label 4444 --action player.give_bonus"
    )]
    Check(CheckArgs),
    /// Decide an admin op (create_user, edit_access, edit_profile, disable, enable, delete, set_expiry)
    #[command(
        after_help = "Example:\n  permsnap admin --catalog smartico-crm --directory dir.json --actor ada \\\n    --op '{\"op\": \"disable\", \"target\": \"sue\"}'"
    )]
    Admin(AdminArgs),
    /// Decide an SSO login
    #[command(
        after_help = "Example:\n  permsnap sso --catalog smartico-crm --directory dir.json --config sso.json \\\n    --login '{\"provider\": \"google\", \"iss\": \"https://accounts.google.com\", \"sub\": \"42\", \"email\": \"ann@mycompany.com\", \"email_verified\": true}'"
    )]
    Sso(SsoArgs),
    /// Load catalogs and report their sizes (a refused catalog is a coded error)
    #[command(after_help = "Example:\n  permsnap lint smartico-crm my-catalog.json")]
    Lint {
        /// preset ids or catalog files
        #[arg(required = true, value_name = "CATALOG")]
        catalogs: Vec<String>,
    },
    /// Run vector files through the server rules and through issue -> verify -> check
    #[command(
        after_help = "Prints each failure and ends with `N passed, M failed`; exit 1 on a failure.\n\nExample:\n  permsnap conformance tests/vectors"
    )]
    Conformance {
        /// vector files, or folders of them
        #[arg(required = true, value_name = "FILE|DIR")]
        paths: Vec<PathBuf>,
    },
    /// Random scenarios: the server rules against issue -> verify -> check
    #[command(
        after_help = "A disagreement is minimized into a vector file in --out; exit 1 when there is one.\n\nExample:\n  permsnap differential --seed 7 --checks 100000"
    )]
    Differential(DifferentialArgs),
    /// Make a signing key: a private JWK and its public JWKS
    #[command(after_help = "Example:\n  permsnap keygen --kid 2026-11 > key.json")]
    Keygen {
        /// the key id (default: the RFC 7638 thumbprint)
        #[arg(long)]
        kid: Option<String>,
        /// the `alg` its JWKs say (tokens signed with it say the same by default)
        #[arg(long, default_value = "EdDSA", value_parser = ["EdDSA", "Ed25519"])]
        alg: String,
    },
    /// Issue a signed snapshot for a user
    #[command(
        after_help = "--key takes the file keygen writes or a bare private JWK.\n\nExample:\n  permsnap issue --catalog smartico-crm --directory dir.json --user u1 --key key.json > token.json"
    )]
    Issue(IssueArgs),
    /// Verify a token and print its claims and snapshot
    #[command(
        after_help = "--token takes a bare token, a file holding one, or the JSON issue prints.\n\nExample:\n  permsnap verify --token token.json --jwks jwks.json"
    )]
    Verify(VerifyArgs),
    /// Print a catalog's manifest: what pages fetch once to check snapshots
    #[command(
        after_help = "The output is the manifest's exact text (its hash is what tokens name).\n\nExample:\n  permsnap manifest smartico-crm > manifest.json"
    )]
    Manifest {
        /// a preset id or a catalog file
        catalog: String,
        /// print only the hash
        #[arg(long)]
        hash: bool,
    },
    /// Print TypeScript types of a catalog's permission ids
    #[command(
        after_help = "Examples:\n  permsnap codegen --ts smartico-crm > permissions.ts\n  permsnap codegen --ts smartico-crm --jsx > permissions.ts   # also types React's data-permission"
    )]
    Codegen {
        /// the catalog (a preset id or a file)
        #[arg(long, value_name = "CATALOG")]
        ts: String,
        /// also type React's `data-permission` attribute with the union (needs @types/react)
        #[arg(long)]
        jsx: bool,
    },
    /// Write parity samples (tokens and the server's answers) for the package's tests
    #[command(subcommand)]
    Samples(samples::SamplesCommand),
    /// The permission service over a database: server, import, export, apikey, keys
    #[cfg(feature = "server")]
    #[command(flatten)]
    Server(permsnap::server::cli::ServerCommand),
}

#[derive(Args)]
struct ModelArgs {
    /// a preset id or a catalog file
    #[arg(long)]
    catalog: String,
    /// the directory file
    #[arg(long)]
    directory: PathBuf,
    /// the time to decide at (RFC 3339; default: now)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<Millis>,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// the user id
    #[arg(long)]
    user: String,
    /// the label id
    #[arg(long)]
    label: u64,
    /// the permission id
    #[arg(long)]
    action: String,
    /// the resource: a JSON object, or a file holding one
    #[arg(long, value_name = "JSON|FILE")]
    resource: Option<String>,
}

#[derive(Args)]
struct AdminArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// the acting user
    #[arg(long)]
    actor: String,
    /// the op as in a vector file's admin case: JSON, or a file holding it
    #[arg(long, value_name = "JSON|FILE")]
    op: String,
}

#[derive(Args)]
struct SsoArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// the SSO config: JSON, or a file holding it
    #[arg(long, value_name = "JSON|FILE")]
    config: String,
    /// the login: JSON, or a file holding it
    #[arg(long, value_name = "JSON|FILE")]
    login: String,
}

#[derive(Args)]
struct DifferentialArgs {
    /// the run's seed
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// checks in all
    #[arg(long, default_value_t = 1_000_000)]
    checks: u64,
    /// checks per generated scenario
    #[arg(long, default_value_t = 200)]
    per_scenario: usize,
    /// where minimized vector files go
    #[arg(long, default_value = "target/differential")]
    out: PathBuf,
}

#[derive(Args)]
struct IssueArgs {
    #[command(flatten)]
    model: ModelArgs,
    /// the user id
    #[arg(long)]
    user: String,
    /// the private key: the file keygen writes, or a bare private JWK
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// lifetime in seconds (capped by the user's expiry)
    #[arg(long, default_value_t = 900)]
    ttl: i64,
    /// `aud`
    #[arg(long, default_value = "backoffice")]
    audience: String,
    /// `iss`
    #[arg(long, default_value = "permsnap")]
    issuer: String,
    /// `tid`: the tenant the token is issued in (not written when absent)
    #[arg(long, value_name = "ID")]
    tenant: Option<String>,
    /// the header's `alg` (default: what the key's JWK says, else EdDSA)
    #[arg(long, value_parser = ["EdDSA", "Ed25519"])]
    alg: Option<String>,
}

#[derive(Args)]
struct VerifyArgs {
    /// a token, a file holding one, or the JSON `issue` prints
    #[arg(long, value_name = "TOKEN|FILE")]
    token: String,
    /// the JWKS file
    #[arg(long, value_name = "FILE")]
    jwks: PathBuf,
    /// the audience `aud` must name
    #[arg(long, default_value = "backoffice")]
    audience: String,
    /// the issuer `iss` must be
    #[arg(long)]
    issuer: Option<String>,
    /// the tenant `tid` must be (`wrong_tenant` otherwise; unchecked when absent)
    #[arg(long, value_name = "ID")]
    tenant: Option<String>,
    /// the time to verify at (RFC 3339; default: now)
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    now: Option<Millis>,
    /// seconds by which `exp` may be passed and `iat`/`nbf` be ahead
    #[arg(long, default_value_t = 0)]
    leeway: i64,
    /// seconds by which only `iat`/`nbf` may be ahead (the issuer's clock
    /// running ahead; the package's `clockSkew`); `exp` is never extended
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    clock_skew: i64,
    /// also check the snapshot against this catalog's manifest
    #[arg(long, value_name = "CATALOG")]
    catalog: Option<String>,
}

fn parse_time(text: &str) -> Result<Millis, String> {
    parse_rfc3339(text)
        .ok_or_else(|| format!("`{text}` is not an RFC 3339 time like 2026-11-23T12:00:00Z"))
}

/// Runs the CLI on `args` (without the program name); returns the exit status.
pub fn main(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(std::iter::once("permsnap".to_string()).chain(args)) {
        Ok(cli) => cli,
        Err(e) if !e.use_stderr() => {
            // --help, --version: printed as clap writes them, exit 0
            let _ = e.print();
            return 0;
        }
        Err(e) => {
            let _ = e.print();
            println!("{}", CliError::new("usage", e.kind().to_string()).json());
            return 2;
        }
    };
    let result = match cli.command {
        Command::Conformance { paths } => return conformance(&paths),
        Command::Differential(a) => return differential(&a),
        Command::Codegen { ts, jsx } => return codegen(&ts, jsx),
        Command::Manifest { catalog, hash } => return manifest(&catalog, hash),
        Command::Samples(c) => samples::run(c),
        Command::Check(a) => check(&a),
        Command::Admin(a) => admin(&a),
        Command::Sso(a) => sso(&a),
        Command::Lint { catalogs } => lint(&catalogs),
        Command::Keygen { kid, alg } => keygen(kid.as_deref(), &alg),
        Command::Issue(a) => issue(&a),
        Command::Verify(a) => verify(&a),
        #[cfg(feature = "server")]
        Command::Server(c) => return server(c),
    };
    print_result(result)
}

/// `server`, `import`, `export`, `apikey create|list|revoke`, `keys rotate`.
#[cfg(feature = "server")]
fn server(c: permsnap::server::cli::ServerCommand) -> i32 {
    let bare = c.bare_answer();
    match c.run() {
        Ok(Value::String(s)) if bare => {
            println!("{s}");
            0
        }
        Ok(Value::Null) if bare => 0, // `export` streamed its answer itself
        other => print_result(other.map_err(|e| CliError::new(e.code(), e.to_string()))),
    }
}

fn print_result(result: Out) -> i32 {
    match result {
        Ok(v) => {
            println!("{v}");
            0
        }
        Err(e) => {
            println!("{}", e.json());
            2
        }
    }
}

/// The system clock.
pub fn system_now() -> Millis {
    permsnap::native::time::now()
}

/// The text of a file, as a coded error when it cannot be read.
pub fn read(path: &Path) -> Result<String, CliError> {
    std::fs::read_to_string(path)
        .map_err(|e| CliError::new("io", format!("{}: {e}", path.display())))
}

/// A preset id, or a path to a catalog file.
pub fn load_catalog(name: &str) -> Result<Catalog, CliError> {
    if Path::new(name).is_file() {
        Ok(Catalog::from_json_text(&read(Path::new(name))?, name)?)
    } else {
        Ok(permsnap::native::presets::preset(name)?)
    }
}

impl ModelArgs {
    fn model(&self) -> Result<Model, CliError> {
        let catalog = load_catalog(&self.catalog)?;
        let file = self.directory.display().to_string();
        let directory = Directory::from_json_text(&read(&self.directory)?, &file, &catalog)?;
        Ok(Model::new(catalog, directory))
    }

    fn now(&self) -> Millis {
        self.now.unwrap_or_else(system_now)
    }
}

/// JSON given inline, or the path of a file holding it; `what` names the
/// argument in errors.
fn json_arg(text: &str, what: &str) -> Result<String, CliError> {
    if text.trim_start().starts_with(['{', '[']) {
        Ok(text.to_string())
    } else {
        read(Path::new(text)).map_err(|e| CliError::new("io", format!("{what}: {}", e.message)))
    }
}

fn in_arg(what: &str) -> impl Fn(LoadError) -> CliError + '_ {
    move |e| CliError::new(e.code(), format!("{what}: {e}"))
}

fn check(a: &CheckArgs) -> Out {
    let model = a.model.model()?;
    let resource = match &a.resource {
        None => None,
        Some(r) => {
            let value: Value = permsnap::native::load::from_text(&json_arg(r, "--resource")?)
                .map_err(in_arg("--resource"))?;
            Some(permsnap::native::load::resource(&value, "$").map_err(in_arg("--resource"))?)
        }
    };
    let d = model.check(
        &a.user,
        a.label,
        &a.action,
        resource.as_ref(),
        a.model.now(),
    );
    let mut out = json!({"allowed": d.allowed, "reason": d.reason.code()});
    if let Some(by) = &d.by {
        out["by"] = json!(by);
    }
    out["message"] = json!(model.message(&d));
    Ok(out)
}

fn admin(a: &AdminArgs) -> Out {
    let model = a.model.model()?;
    let op = AdminOp::from_json_text(&json_arg(&a.op, "--op")?, &model.catalog)
        .map_err(in_arg("--op"))?;
    let d = model.admin(&a.actor, &op, a.model.now());
    Ok(json!({"allowed": d.allowed, "reason": d.reason.code(), "message": d.reason.message()}))
}

fn sso(a: &SsoArgs) -> Out {
    let model = a.model.model()?;
    let config =
        SsoConfig::from_json_text(&json_arg(&a.config, "--config")?).map_err(in_arg("--config"))?;
    let login =
        Login::from_json_text(&json_arg(&a.login, "--login")?).map_err(in_arg("--login"))?;
    Ok(match model.sso(&config, &login, a.model.now()) {
        SsoOutcome::Matched { user, linked } => {
            json!({"outcome": "matched", "user": user, "link_identity": linked})
        }
        SsoOutcome::Created {
            username,
            home_label,
            labels,
            role,
        } => {
            json!({"outcome": "created", "username": username, "home_label": home_label, "labels": labels, "role": role})
        }
        SsoOutcome::Rejected(r) => json!({"outcome": "rejected", "reason": r.code()}),
        SsoOutcome::InvalidConfig(r) => json!({"outcome": "invalid_config", "reason": r.code()}),
    })
}

fn lint(files: &[String]) -> Out {
    let mut out = Vec::new();
    for f in files {
        let c = load_catalog(f)?;
        out.push(json!({
            "catalog": c.id, "ok": true, "sections": c.sections.len(),
            "permissions": c.permissions.len(), "roles": c.roles.len(),
            "additional": c.additional.len(), "restrictions": c.restrictions.len(),
        }));
    }
    Ok(Value::Array(out))
}

fn keygen(kid: Option<&str>, alg: &str) -> Out {
    let key = permsnap::PrivateKey::generate(kid)
        .map_err(|e| CliError::new("io", format!("no randomness: {e}")))?
        .with_alg(alg_named(alg));
    Ok(json!({"private": key.to_private_jwk(), "jwks": key.to_jwks()}))
}

fn issue(a: &IssueArgs) -> Out {
    let model = a.model.model()?;
    let key = permsnap::PrivateKey::from_json_text(&read(&a.key)?)?;
    let opts = permsnap::IssueOptions {
        issuer: a.issuer.clone(),
        audience: a.audience.clone(),
        tenant: a.tenant.clone(),
        ttl_secs: a.ttl,
        alg: a.alg.as_deref().map_or(key.alg(), alg_named),
    };
    let now = a.model.now();
    let compiled = permsnap::native::issue::compile(&model, &a.user, now, opts.ttl_secs)
        .ok_or_else(|| permsnap::IssueError::UnknownUser {
            user: a.user.clone(),
        })?;
    let token = permsnap::native::issue::sign(&compiled, &a.user, now, &opts, &key);
    Ok(json!({
        "token": token, "bytes": token.len(), "kid": key.kid(),
        "expires_at": format_rfc3339(compiled.expires_at),
        "manifest": model.manifest().hash(),
    }))
}

fn alg_named(name: &str) -> Alg {
    if name == "Ed25519" {
        Alg::Ed25519
    } else {
        Alg::EdDsa
    }
}

/// A token given bare, in a file, or as the JSON `issue` prints; surrounding
/// white space is ignored.
fn token_arg(arg: &str) -> Result<String, CliError> {
    let text = if Path::new(arg).is_file() {
        read(Path::new(arg))?
    } else {
        arg.to_string()
    };
    let text = text.trim();
    if !text.starts_with('{') {
        return Ok(text.to_string());
    }
    let v: Value = permsnap::native::load::from_text(text).map_err(in_arg("--token"))?;
    v.get("token")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| CliError::new("malformed", "--token: the JSON has no `token` string"))
}

fn verify(a: &VerifyArgs) -> Out {
    let token = token_arg(&a.token)?;
    let jwks = permsnap::Jwks::from_json_text(&read(&a.jwks)?)?;
    let mut opts = permsnap::VerifyOptions::new(&a.audience, a.now.unwrap_or_else(system_now));
    opts.issuer = a.issuer.clone();
    opts.tenant = a.tenant.clone();
    opts.leeway_secs = a.leeway;
    opts.max_clock_skew_secs = a.clock_skew;
    let v = permsnap::verify(&token, &jwks, &opts)?;
    if let Some(catalog) = &a.catalog {
        let manifest = permsnap::native::issue::ManifestFile::of(&load_catalog(catalog)?);
        v.snapshot(manifest.manifest())?;
    }
    let c = &v.claims;
    Ok(json!({
        "kid": v.kid,
        "claims": {
            "iss": c.iss, "sub": c.sub, "aud": c.aud.as_ref().map(|a| a.to_vec()),
            "iat": c.iat.map(|t| t.secs()), "exp": c.exp.secs(),
            "nbf": c.nbf.map(|t| t.secs()), "jti": c.jti, "tid": c.tid,
        },
        "snapshot": v.claim,
    }))
}

fn manifest(catalog: &str, hash: bool) -> i32 {
    match load_catalog(catalog) {
        Ok(c) => {
            // The exact text, without a final newline: a file written from
            // it has the hash tokens name.
            let m = permsnap::native::issue::ManifestFile::of(&c);
            print!("{}", if hash { m.hash() } else { m.text() });
            0
        }
        Err(e) => print_result(Err(e)),
    }
}

/// `codegen --ts CATALOG [--jsx]`: prints TypeScript, not JSON (it is meant for a `.ts` file).
fn codegen(catalog: &str, jsx: bool) -> i32 {
    match load_catalog(catalog) {
        Ok(c) => {
            print!("{}", typescript(&c, jsx));
            0
        }
        Err(e) => print_result(Err(e)),
    }
}

/// The permission ids of `c` as a TypeScript union type named after the catalog;
/// with `jsx`, also React's `data-permission` attribute typed with the union
/// (the same file as the npm package's `permsnap-types [--jsx]`).
pub fn typescript(c: &Catalog, jsx: bool) -> String {
    let name: String =
        c.id.split(['-', '_'])
            .map(|w| {
                let mut cs = w.chars();
                cs.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                    .unwrap_or_default()
            })
            .collect();
    let lit = |s: &str| Value::String(s.to_string()).to_string();
    let mut out = format!(
        "// Generated by `permsnap codegen --ts {}`: do not edit.\n// {}\n\n/** A permission id of the `{}` catalog. */\nexport type {name}Permission =\n",
        c.id, c.title, c.id
    );
    for p in &c.permissions {
        out.push_str(&format!(
            "  | {} // {}\n",
            lit(&p.id),
            p.title.replace('\n', " ")
        ));
    }
    out.push_str(";\n\n/** Every permission id of the catalog, in catalog order. */\n");
    out.push_str(&format!(
        "export const {}_PERMISSIONS: readonly {name}Permission[] = [\n",
        c.id.to_uppercase().replace('-', "_")
    ));
    for p in &c.permissions {
        out.push_str(&format!("  {},\n", lit(&p.id)));
    }
    out.push_str("];\n");
    if jsx {
        out.push_str(&jsx_attribute(&name));
    }
    out
}

/// A module augmentation of `react`: in JSX, `data-permission` takes only a
/// permission id of the catalog (otherwise every `data-*` attribute is unchecked).
fn jsx_attribute(name: &str) -> String {
    format!(
        "\n/** In JSX, `data-permission` takes only a permission id of this catalog. */\ndeclare module \"react\" {{\n  interface HTMLAttributes<T> {{\n    \"data-permission\"?: {name}Permission;\n  }}\n}}\n"
    )
}

/// Every `*.json` under the given files and folders, sorted.
pub fn vector_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for p in args {
        if p.is_dir() {
            let entries = std::fs::read_dir(p)
                .map_err(|e| CliError::new("io", format!("{}: {e}", p.display())))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            return Err(CliError::new(
                "io",
                format!("{}: no such file or folder", p.display()),
            ));
        }
    }
    if files.is_empty() {
        return Err(CliError::new("io", "no vector files given"));
    }
    Ok(files)
}

fn conformance(paths: &[PathBuf]) -> i32 {
    let files = match vector_files(paths) {
        Ok(f) => f,
        Err(e) => return print_result(Err(e)),
    };
    let parity = SnapshotParity::new();
    let (mut passed, mut failed) = (0, 0);
    for f in files {
        let name = f.display().to_string();
        let vf = match std::fs::read_to_string(&f)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|text| {
                VectorFile::from_text(&text, &name).map_err(|e| format!("not a vector file: {e}"))
            }) {
            Ok(v) => v,
            Err(e) => {
                println!("FAIL {name}: {e}");
                failed += 1;
                continue;
            }
        };
        let report = vf.run(&parity);
        passed += report.passed;
        for fl in &report.failures {
            failed += 1;
            println!("FAIL {}", fl.line(&name));
        }
    }
    println!("{passed} passed, {failed} failed");
    i32::from(failed > 0)
}

/// `differential`: seeded random scenarios through the server rules and the
/// native snapshot path; prints a JSON summary and exits 1 on a disagreement.
fn differential(a: &DifferentialArgs) -> i32 {
    let mut cfg = permsnap::testing::testgen::DiffConfig::new(a.seed, a.checks);
    cfg.checks_per_scenario = a.per_scenario.max(1);
    let started = std::time::Instant::now();
    let report = permsnap::testing::testgen::differential(&SnapshotParity::new(), &cfg);
    let seconds = started.elapsed().as_secs_f64();
    let mut files = Vec::new();
    for f in &report.failures {
        eprintln!("DISAGREEMENT {}", f.message);
        if f.vector.is_empty() {
            continue;
        }
        match f.write_to(&a.out) {
            Ok(path) => {
                eprintln!("  minimized vector file: {}", path.display());
                files.push(path.display().to_string());
            }
            Err(e) => {
                return print_result(Err(CliError::new(
                    "io",
                    format!("{}: {e}", a.out.display()),
                )))
            }
        }
    }
    println!(
        "{}",
        json!({
            "seed": cfg.seed, "scenarios": report.scenarios, "checks": report.checks,
            "compared": report.compared, "server_only": report.server_only,
            "disagreements": report.failures.len(), "files": files,
            "seconds": (seconds * 1000.0).round() / 1000.0,
        })
    );
    i32::from(!report.failures.is_empty())
}
