//! Argument parsing and the commands. Kept apart from `main` so each command
//! is a function from arguments to a JSON answer or a coded error.

mod serve;

use permsnap::json::{Json, Val};
use permsnap::time::{parse_rfc3339, Millis};
use permsnap::vectors::{resource, VectorFile};
use permsnap::{Catalog, Directory, LoadError, Model};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// A command failure with a stable code.
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
}

impl From<permsnap::TokenError> for CliError {
    fn from(e: permsnap::TokenError) -> Self {
        CliError {
            code: e.code().to_string(),
            message: e.message,
        }
    }
}

impl From<LoadError> for CliError {
    fn from(e: LoadError) -> Self {
        CliError {
            code: e.code().to_string(),
            message: e.to_string(),
        }
    }
}

type Out = Result<Json, CliError>;

const USAGE: &str = "usage: permsnap COMMAND [OPTIONS]

commands:
  check --catalog C --directory D --user U --label L --action A [--resource JSON] [--now T]
  admin --catalog C --directory D --actor U --op JSON [--now T]
  sso --catalog C --directory D --config FILE|JSON --login JSON [--now T]
  lint CATALOG...
  conformance FILE|DIR...
  differential [--seed S] [--checks N] [--per-scenario N] [--out DIR]
                                         random scenarios: server rules vs issue -> verify -> check;
                                         a disagreement is minimized into a vector file in DIR
  keygen [--kid K]                       a private JWK and its public JWKS
  issue --catalog C --directory D --user U --key JWK_FILE [--now T] [--ttl SECS] [--audience A] [--issuer I]
  verify --token TOKEN|FILE --jwks FILE [--audience A] [--issuer I] [--now T] [--leeway SECS]
  codegen --ts CATALOG                   a TypeScript union of the catalog's permission ids
  serve [--port 8080] [--root .] [--ttl 300]   the demo: www/, pkg/, a JWKS and demo snapshots on 127.0.0.1

C is a preset id (smartico-crm, tap-affiliate, smrtphone, loymax) or a catalog file;
T is an RFC 3339 time (default: now).";

/// Runs the CLI; returns the exit status.
pub fn main(args: Vec<String>) -> i32 {
    let Some((cmd, rest)) = args.split_first() else {
        eprintln!("{USAGE}");
        return 2;
    };
    let result = match cmd.as_str() {
        "conformance" => return conformance(rest),
        "differential" => return differential(rest),
        "check" => Opts::parse(rest).and_then(|o| check(&o)),
        "admin" => Opts::parse(rest).and_then(|o| admin(&o)),
        "sso" => Opts::parse(rest).and_then(|o| sso(&o)),
        "lint" => lint(rest),
        "keygen" => Opts::parse(rest).and_then(|o| keygen(&o)),
        "codegen" => return codegen(rest),
        "serve" => Opts::parse(rest).and_then(|o| serve::serve(&o)),
        "issue" => Opts::parse(rest).and_then(|o| issue(&o)),
        "verify" => Opts::parse(rest).and_then(|o| verify(&o)),
        "help" | "--help" | "-h" => {
            println!("{USAGE}");
            return 0;
        }
        other => Err(CliError::new(
            "usage",
            format!("unknown command `{other}`\n{USAGE}"),
        )),
    };
    match result {
        Ok(json) => {
            println!("{}", json.to_text());
            0
        }
        Err(e) => {
            let err = obj(vec![(
                "error",
                obj(vec![("code", s(&e.code)), ("message", s(&e.message))]),
            )]);
            println!("{}", err.to_text());
            2
        }
    }
}

/// `--name value` options.
pub struct Opts {
    map: HashMap<String, String>,
}

impl Opts {
    pub fn parse(args: &[String]) -> Result<Opts, CliError> {
        let mut map = HashMap::new();
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if let Some(name) = a.strip_prefix("--") {
                let v = it
                    .next()
                    .ok_or_else(|| CliError::new("usage", format!("`--{name}` needs a value")))?;
                map.insert(name.to_string(), v.clone());
            } else {
                return Err(CliError::new("usage", format!("unexpected argument `{a}`")));
            }
        }
        Ok(Opts { map })
    }

    pub fn req(&self, name: &str) -> Result<&str, CliError> {
        self.map
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| CliError::new("usage", format!("missing `--{name}`")))
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    pub fn now(&self) -> Result<Millis, CliError> {
        match self.opt("now") {
            None => Ok(system_now()),
            Some(t) => parse_rfc3339(t).ok_or_else(|| {
                CliError::new(
                    "bad_timestamp",
                    format!("`--now {t}` is not an RFC 3339 time"),
                )
            }),
        }
    }

    pub fn model(&self) -> Result<Model, CliError> {
        let catalog = load_catalog(self.req("catalog")?)?;
        let path = self.req("directory")?;
        let directory = Directory::from_json_text(&read(path)?, path, &catalog)?;
        Ok(Model::new(catalog, directory))
    }
}

pub fn system_now() -> Millis {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as Millis)
        .unwrap_or(0)
}

pub fn read(path: &str) -> Result<String, CliError> {
    std::fs::read_to_string(path).map_err(|e| CliError::new("io", format!("{path}: {e}")))
}

/// A preset id, or a path to a catalog file.
pub fn load_catalog(name: &str) -> Result<Catalog, CliError> {
    if Path::new(name).is_file() {
        Ok(Catalog::from_json_text(&read(name)?, name)?)
    } else {
        Ok(permsnap::presets::preset(name)?)
    }
}

/// JSON given inline, or the path of a JSON file.
fn json_arg(text: &str, what: &str) -> Result<Json, CliError> {
    let text = if text.trim_start().starts_with(['{', '[']) {
        text.to_string()
    } else {
        read(text)?
    };
    Json::parse(&text).map_err(|e| CliError::new(e.kind.code(), format!("{what}: {e}")))
}

pub fn s(v: &str) -> Json {
    Json::Str(v.to_string())
}

pub fn obj(fields: Vec<(&str, Json)>) -> Json {
    Json::Obj(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

fn check(o: &Opts) -> Out {
    let model = o.model()?;
    let label: u64 = o
        .req("label")?
        .parse()
        .map_err(|_| CliError::new("wrong_type", "`--label` is a label id"))?;
    let res = match o.opt("resource") {
        Some(r) => Some(resource(Val::root(&json_arg(r, "--resource")?))?),
        None => None,
    };
    let d = model.check(
        o.req("user")?,
        label,
        o.req("action")?,
        res.as_ref(),
        o.now()?,
    );
    let mut fields = vec![
        ("allowed", Json::Bool(d.allowed)),
        ("reason", s(d.reason.code())),
    ];
    if let Some(by) = &d.by {
        fields.push(("by", s(by)));
    }
    fields.push(("message", s(&model.message(&d))));
    Ok(obj(fields))
}

fn admin(o: &Opts) -> Out {
    let model = o.model()?;
    // The op is written as in a vector file's `admin` case, without `actor` and `expect`.
    let op =
        permsnap::vectors::admin_op(Val::root(&json_arg(o.req("op")?, "--op")?), &model.catalog)?;
    let d = model.admin(o.req("actor")?, &op, o.now()?);
    Ok(obj(vec![
        ("allowed", Json::Bool(d.allowed)),
        ("reason", s(d.reason.code())),
        ("message", s(d.reason.message())),
    ]))
}

fn sso(o: &Opts) -> Out {
    let model = o.model()?;
    let config =
        permsnap::SsoConfig::from_json(Val::root(&json_arg(o.req("config")?, "--config")?))?;
    let login = permsnap::Login::from_json(Val::root(&json_arg(o.req("login")?, "--login")?))?;
    Ok(match model.sso(&config, &login, o.now()?) {
        permsnap::SsoOutcome::Matched { user, linked } => obj(vec![
            ("outcome", s("matched")),
            ("user", s(&user)),
            ("link_identity", Json::Bool(linked)),
        ]),
        permsnap::SsoOutcome::Created {
            username,
            home_label,
            labels,
            role,
        } => obj(vec![
            ("outcome", s("created")),
            ("username", s(&username)),
            ("home_label", Json::Num(home_label as f64)),
            (
                "labels",
                Json::Arr(labels.iter().map(|l| Json::Num(*l as f64)).collect()),
            ),
            ("role", s(&role)),
        ]),
        permsnap::SsoOutcome::Rejected(r) => {
            obj(vec![("outcome", s("rejected")), ("reason", s(r.code()))])
        }
        permsnap::SsoOutcome::InvalidConfig(r) => obj(vec![
            ("outcome", s("invalid_config")),
            ("reason", s(r.code())),
        ]),
    })
}

fn keygen(o: &Opts) -> Out {
    let mut seed = [0u8; 32];
    getrandom::getrandom(&mut seed)
        .map_err(|e| CliError::new("io", format!("no randomness: {e}")))?;
    let key = permsnap::PrivateKey::from_seed(&seed, o.opt("kid"));
    Ok(obj(vec![
        ("private", key.to_private_jwk()),
        ("jwks", key.to_jwks()),
    ]))
}

fn int_opt(o: &Opts, name: &str, default: i64) -> Result<i64, CliError> {
    o.opt(name).map_or(Ok(default), |v| {
        v.parse().map_err(|_| {
            CliError::new(
                "wrong_type",
                format!("`--{name} {v}` is not a whole number"),
            )
        })
    })
}

fn issue(o: &Opts) -> Out {
    let model = o.model()?;
    let key = permsnap::PrivateKey::from_json_text(&read(o.req("key")?)?)?;
    let defaults = permsnap::IssueOptions::default();
    let opts = permsnap::IssueOptions {
        issuer: o.opt("issuer").map_or(defaults.issuer, str::to_string),
        audience: o.opt("audience").map_or(defaults.audience, str::to_string),
        ttl_secs: int_opt(o, "ttl", defaults.ttl_secs)?,
    };
    let token = permsnap::issue(&model, o.req("user")?, o.now()?, &opts, &key)?;
    Ok(obj(vec![
        ("token", s(&token)),
        ("bytes", Json::Num(token.len() as f64)),
        ("kid", s(key.kid())),
    ]))
}

fn verify(o: &Opts) -> Out {
    let token_arg = o.req("token")?;
    let token = if Path::new(token_arg).is_file() {
        read(token_arg)?.trim().to_string()
    } else {
        token_arg.to_string()
    };
    let jwks = permsnap::Jwks::from_json_text(&read(o.req("jwks")?)?)?;
    let mut opts =
        permsnap::VerifyOptions::new(o.opt("audience").unwrap_or("backoffice"), o.now()?);
    opts.issuer = o.opt("issuer").map(str::to_string);
    opts.leeway_secs = int_opt(o, "leeway", 0)?;
    let v = permsnap::verify(&token, &jwks, &opts)?;
    let opt_num = |x: Option<i64>| x.map_or(Json::Null, |n| Json::Num(n as f64));
    let opt_str = |x: &Option<String>| x.as_deref().map_or(Json::Null, s);
    Ok(obj(vec![
        ("kid", s(&v.kid)),
        (
            "claims",
            obj(vec![
                ("iss", opt_str(&v.claims.iss)),
                ("sub", s(&v.claims.sub)),
                (
                    "aud",
                    Json::Arr(v.claims.aud.iter().map(|a| s(a)).collect()),
                ),
                ("iat", opt_num(v.claims.iat)),
                ("exp", Json::Num(v.claims.exp as f64)),
                ("nbf", opt_num(v.claims.nbf)),
                ("jti", opt_str(&v.claims.jti)),
            ]),
        ),
        ("snapshot", v.snapshot.to_claim()),
    ]))
}

/// `codegen --ts CATALOG`: prints TypeScript, not JSON (it is meant for a `.ts` file).
fn codegen(args: &[String]) -> i32 {
    let catalog = match args {
        [flag, catalog] if flag == "--ts" => load_catalog(catalog),
        _ => Err(CliError::new(
            "usage",
            "usage: permsnap codegen --ts CATALOG",
        )),
    };
    match catalog {
        Ok(c) => {
            print!("{}", typescript(&c));
            0
        }
        Err(e) => {
            let err = obj(vec![(
                "error",
                obj(vec![("code", s(&e.code)), ("message", s(&e.message))]),
            )]);
            println!("{}", err.to_text());
            2
        }
    }
}

/// The permission ids of `c` as a TypeScript union type named after the catalog.
pub fn typescript(c: &Catalog) -> String {
    let name: String =
        c.id.split(['-', '_'])
            .map(|w| {
                let mut cs = w.chars();
                cs.next()
                    .map(|f| f.to_ascii_uppercase().to_string() + cs.as_str())
                    .unwrap_or_default()
            })
            .collect();
    let mut out = format!(
        "// Generated by `permsnap codegen --ts {}`: do not edit.\n// {}\n\n/** A permission id of the `{}` catalog. */\nexport type {name}Permission =\n",
        c.id, c.title, c.id
    );
    for p in &c.permissions {
        out.push_str("  | ");
        let mut lit = String::new();
        permsnap::json::write_str(&p.id, &mut lit);
        out.push_str(&lit);
        out.push_str(" // ");
        out.push_str(&p.title.replace('\n', " "));
        out.push('\n');
    }
    out.push_str(";\n\n/** Every permission id of the catalog, in catalog order. */\n");
    out.push_str(&format!(
        "export const {}_PERMISSIONS: readonly {name}Permission[] = [\n",
        c.id.to_uppercase().replace('-', "_")
    ));
    for p in &c.permissions {
        let mut lit = String::new();
        permsnap::json::write_str(&p.id, &mut lit);
        out.push_str(&format!("  {lit},\n"));
    }
    out.push_str("];\n");
    out
}

fn lint(files: &[String]) -> Out {
    if files.is_empty() {
        return Err(CliError::new(
            "usage",
            "lint needs at least one catalog (file or preset id)",
        ));
    }
    let mut out = Vec::new();
    for f in files {
        let c = load_catalog(f)?;
        out.push(obj(vec![
            ("catalog", s(&c.id)),
            ("ok", Json::Bool(true)),
            ("sections", Json::Num(c.sections.len() as f64)),
            ("permissions", Json::Num(c.permissions.len() as f64)),
            ("roles", Json::Num(c.roles.len() as f64)),
            ("additional", Json::Num(c.additional.len() as f64)),
            ("restrictions", Json::Num(c.restrictions.len() as f64)),
        ]));
    }
    Ok(Json::Arr(out))
}

/// Every `*.json` under the given files and folders, sorted.
pub fn vector_files(args: &[String]) -> Result<Vec<PathBuf>, CliError> {
    let mut files = Vec::new();
    for a in args {
        let p = PathBuf::from(a);
        if p.is_dir() {
            let entries =
                std::fs::read_dir(&p).map_err(|e| CliError::new("io", format!("{a}: {e}")))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "json"))
                .collect();
            found.sort();
            files.extend(found);
        } else if p.is_file() {
            files.push(p);
        } else {
            return Err(CliError::new("io", format!("{a}: no such file or folder")));
        }
    }
    Ok(files)
}

fn conformance(args: &[String]) -> i32 {
    let files = match vector_files(args) {
        Ok(f) if !f.is_empty() => f,
        Ok(_) => {
            eprintln!("conformance: no vector files given");
            return 2;
        }
        Err(e) => {
            eprintln!("conformance: {}", e.message);
            return 2;
        }
    };
    let (mut passed, mut failed) = (0, 0);
    let parity = match permsnap::vectors::SnapshotParity::new() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("conformance: {e}");
            return 2;
        }
    };
    for f in files {
        let name = f.display().to_string();
        let text = match std::fs::read_to_string(&f) {
            Ok(t) => t,
            Err(e) => {
                println!("FAIL {name}: cannot read: {e}");
                failed += 1;
                continue;
            }
        };
        let vf = match VectorFile::from_text(&text, &name) {
            Ok(v) => v,
            Err(e) => {
                println!("FAIL {name}: not a vector file: {e}");
                failed += 1;
                continue;
            }
        };
        let report = vf.run(&parity);
        passed += report.passed;
        for fl in &report.failures {
            failed += 1;
            println!(
                "FAIL {name} {}: expected {}, got {}",
                fl.case, fl.expected, fl.got
            );
        }
    }
    println!("{passed} passed, {failed} failed");
    i32::from(failed > 0)
}

/// `differential`: seeded random scenarios through the server rules and the
/// native snapshot path; prints a JSON summary and exits 1 on a disagreement.
fn differential(args: &[String]) -> i32 {
    let run = || -> Result<(Json, bool), CliError> {
        let o = Opts::parse(args)?;
        let int = |name: &str, default: u64| -> Result<u64, CliError> {
            match o.opt(name) {
                None => Ok(default),
                Some(v) => v.parse().map_err(|_| {
                    CliError::new("usage", format!("`--{name} {v}` is not a whole number"))
                }),
            }
        };
        let mut cfg =
            permsnap::testgen::DiffConfig::new(int("seed", 1)?, int("checks", 1_000_000)?);
        cfg.checks_per_scenario = int("per-scenario", 200)?.max(1) as usize;
        let out = PathBuf::from(o.opt("out").unwrap_or("target/differential"));
        let parity = permsnap::vectors::SnapshotParity::new()?;
        let started = std::time::Instant::now();
        let report = permsnap::testgen::differential(&parity, &cfg);
        let seconds = started.elapsed().as_secs_f64();
        let mut files = Vec::new();
        for f in &report.failures {
            eprintln!("DISAGREEMENT {}", f.message);
            if !f.vector.is_empty() {
                let path = f
                    .write_to(&out)
                    .map_err(|e| CliError::new("io", format!("{}: {e}", out.display())))?;
                eprintln!("  minimized vector file: {}", path.display());
                files.push(s(&path.display().to_string()));
            }
        }
        let n = |x: u64| Json::Num(x as f64);
        let summary = obj(vec![
            ("seed", n(cfg.seed)),
            ("scenarios", n(report.scenarios)),
            ("checks", n(report.checks)),
            ("compared", n(report.compared)),
            ("server_only", n(report.server_only)),
            ("disagreements", n(report.failures.len() as u64)),
            ("files", Json::Arr(files)),
            ("seconds", Json::Num((seconds * 1000.0).round() / 1000.0)),
        ]);
        Ok((summary, report.failures.is_empty()))
    };
    match run() {
        Ok((summary, ok)) => {
            println!("{}", summary.to_text());
            i32::from(!ok)
        }
        Err(e) => {
            let err = obj(vec![(
                "error",
                obj(vec![("code", s(&e.code)), ("message", s(&e.message))]),
            )]);
            println!("{}", err.to_text());
            2
        }
    }
}
