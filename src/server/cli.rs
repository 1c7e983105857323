//! The server's commands as clap arguments, ready to be flattened into the
//! `permsnap` CLI: `server`, `import`, `export`, `apikey create|list|revoke`,
//! `keys rotate`. Each runs to a JSON answer or a coded [`ServerError`]; the
//! binary prints either with its usual conventions.

use super::{Clock, Config, DemoConfig, EventOptions, Limits, Result, ServerError};
use clap::{Args, Subcommand};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// The server's subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ServerCommand {
    /// Serve the API over HTTP on a store (SQLite file or PostgreSQL)
    #[command(
        after_help = "Logs one JSON line per request on stdout. Stops on Ctrl-C or SIGTERM.\n\nExamples:\n  permsnap server --db sqlite:permsnap.db --listen 127.0.0.1:8080\n  permsnap server --db sqlite:demo.db --demo --www www --pkg pkg   # the demo page; not for production"
    )]
    Server(ServerArgs),
    /// Replace a tenant's catalog and directory (and default SSO config)
    #[command(
        after_help = "Without --tenant: tenant `default`. A tenant that does not exist yet is made (it needs --catalog).\n\nExamples:\n  permsnap import --db sqlite:permsnap.db --catalog smartico-crm --directory directory.json\n  permsnap import --db sqlite:permsnap.db --tenant acme --directory acme.json"
    )]
    Import(ImportArgs),
    /// Print a tenant's directory in the directory file format
    #[command(
        after_help = "Examples:\n  permsnap export --db sqlite:permsnap.db > directory.json\n  permsnap export --db sqlite:permsnap.db --tenant acme > acme.json"
    )]
    Export(TenantDbArgs),
    /// Tenants: customer accounts, each on one catalog
    #[command(subcommand)]
    Tenant(TenantCommand),
    /// API keys
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// Signing keys
    #[command(subcommand)]
    Keys(KeysCommand),
}

/// `tenant` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum TenantCommand {
    /// Make a tenant on a catalog, with an empty directory (`import --tenant` fills it)
    #[command(
        after_help = "A tenant id is 1 to 64 characters of a-z, 0-9, `-` and `_`.\n\nExample:\n  permsnap tenant create acme --db sqlite:permsnap.db --catalog smartico-crm"
    )]
    Create(TenantCreateArgs),
    /// List the tenants: id and catalog
    #[command(after_help = "Example:\n  permsnap tenant list --db sqlite:permsnap.db")]
    List(DbArgs),
}

/// `tenant create` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct TenantCreateArgs {
    /// the tenant id
    pub id: String,
    /// the store: sqlite:PATH or postgres://USER@HOST/DB
    #[arg(long, default_value = "sqlite:permsnap.db")]
    pub db: String,
    /// a preset id (smartico-crm, tap-affiliate, smrtphone, loymax) or a catalog file
    #[arg(long)]
    pub catalog: String,
    /// the SSO config `/v1/tenants/{id}/sso/login` uses when a request carries none
    #[arg(long)]
    pub sso_config: Option<String>,
}

/// A store and a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct TenantDbArgs {
    /// the store: sqlite:PATH or postgres://USER@HOST/DB
    #[arg(long, default_value = "sqlite:permsnap.db")]
    pub db: String,
    /// the tenant
    #[arg(long, default_value = "default")]
    pub tenant: String,
}

/// `apikey` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ApikeyCommand {
    /// Make an API key; it is printed once and stored hashed
    #[command(
        after_help = "Scopes: snapshots, check, admin, sso, read, tenants. A key is good for one tenant (--tenant, `default` when not given) or, for the vendor's own backend, every tenant (--all-tenants).\n\nAn `admin` key speaks for whichever user its requests name as `actor`; with --require-actor-token its admin ops must carry that user's own snapshot token (`actor_token`) instead.\n\nExamples:\n  permsnap apikey create --db sqlite:permsnap.db --scopes check,snapshots\n  permsnap apikey create --db sqlite:permsnap.db --tenant acme --scopes admin,read --require-actor-token\n  permsnap apikey create --db sqlite:permsnap.db --all-tenants --scopes tenants,snapshots"
    )]
    Create(ApikeyCreateArgs),
    /// List the stored API keys: prefix, scopes, creation time (never a key)
    #[command(after_help = "Example:\n  permsnap apikey list --db sqlite:permsnap.db")]
    List(DbArgs),
    /// Revoke an API key, named by the prefix `create` and `list` print or by the whole key
    #[command(
        after_help = "Every server instance on the store refuses the key from its next request on.\n\nExamples:\n  permsnap apikey revoke --db sqlite:permsnap.db psk_AbC123\n  permsnap apikey revoke --db sqlite:permsnap.db \"$KEY\""
    )]
    Revoke(ApikeyRevokeArgs),
}

/// `keys` subcommands.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum KeysCommand {
    /// Make a new current signing key; the old one stays in the JWKS until its tokens expired
    #[command(after_help = "Example:\n  permsnap keys rotate --db sqlite:permsnap.db")]
    Rotate(DbArgs),
}

/// `--db`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct DbArgs {
    /// the store: sqlite:PATH or postgres://USER@HOST/DB
    #[arg(long, default_value = "sqlite:permsnap.db")]
    pub db: String,
}

/// `server` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ServerArgs {
    /// the store: sqlite:PATH or postgres://USER@HOST/DB
    #[arg(long, default_value = "sqlite:permsnap.db")]
    pub db: String,
    /// address to listen on
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// largest request body in bytes
    #[arg(long, default_value_t = 64 * 1024)]
    pub max_body_bytes: usize,
    /// open connections at once
    #[arg(long, default_value_t = 1024)]
    pub max_connections: usize,
    /// seconds to send a request head (also closes idle keep-alive connections)
    #[arg(long, default_value_t = 10)]
    pub header_timeout: u64,
    /// seconds to send a request body
    #[arg(long, default_value_t = 10)]
    pub body_timeout: u64,
    /// database connections
    #[arg(long, default_value_t = 8)]
    pub db_connections: u32,
    /// open event streams at once (`GET /v1/events`)
    #[arg(long, default_value_t = 512)]
    pub max_streams: usize,
    /// seconds of silence on an event stream before a heartbeat comment
    #[arg(long, default_value_t = 15)]
    pub heartbeat: u64,
    /// how many users' views (their rows and model) this instance caches
    #[arg(long, default_value_t = 8192)]
    pub cache_users: usize,
    /// demo mode, NOT FOR PRODUCTION: serve a demo page and the npm package,
    /// with routes that act as any user without a login (loopback only)
    #[arg(long)]
    pub demo: bool,
    /// the demo page's directory (index.html at /)
    #[arg(long, default_value = "www", requires = "demo")]
    pub www: PathBuf,
    /// the npm package's directory (served at /pkg/)
    #[arg(long, default_value = "pkg", requires = "demo")]
    pub pkg: PathBuf,
}

impl ServerArgs {
    /// The server configuration these arguments say.
    pub fn config(&self) -> Config {
        Config {
            db: self.db.clone(),
            listen: self.listen,
            limits: Limits {
                max_body_bytes: self.max_body_bytes,
                max_connections: self.max_connections,
                header_timeout: Duration::from_secs(self.header_timeout.max(1)),
                body_timeout: Duration::from_secs(self.body_timeout.max(1)),
                ..Limits::default()
            },
            db_connections: self.db_connections,
            clock: Clock::System,
            events: EventOptions {
                max_streams: self.max_streams,
                heartbeat: Duration::from_secs(self.heartbeat.max(1)),
                ..EventOptions::default()
            },
            demo: self.demo.then(|| DemoConfig {
                www: self.www.clone(),
                pkg: self.pkg.clone(),
            }),
            cache: super::CacheLimits {
                users: self.cache_users.max(1),
                ..super::CacheLimits::default()
            },
        }
    }
}

/// `import` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ImportArgs {
    /// the store: sqlite:PATH or postgres://USER@HOST/DB
    #[arg(long, default_value = "sqlite:permsnap.db")]
    pub db: String,
    /// the tenant
    #[arg(long, default_value = "default")]
    pub tenant: String,
    /// a preset id (smartico-crm, tap-affiliate, smrtphone, loymax) or a catalog file
    /// (required for a new tenant; else the tenant's own)
    #[arg(long)]
    pub catalog: Option<String>,
    /// a directory file
    #[arg(long)]
    pub directory: String,
    /// the SSO config `/v1/sso/login` uses when a request carries none
    #[arg(long)]
    pub sso_config: Option<String>,
}

/// `apikey revoke` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ApikeyRevokeArgs {
    /// the store: sqlite:PATH or postgres://USER@HOST/DB
    #[arg(long, default_value = "sqlite:permsnap.db")]
    pub db: String,
    /// the key's prefix (`psk_` and six characters, as `apikey list` prints it) or the whole key
    pub key: String,
}

/// `apikey create` arguments.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ApikeyCreateArgs {
    /// the store: sqlite:PATH or postgres://USER@HOST/DB
    #[arg(long, default_value = "sqlite:permsnap.db")]
    pub db: String,
    /// comma-separated: snapshots, check, admin, sso, read, tenants
    #[arg(long)]
    pub scopes: String,
    /// the one tenant the key is good for (`default` when neither this nor --all-tenants)
    #[arg(long, conflicts_with = "all_tenants")]
    pub tenant: Option<String>,
    /// a key good for every tenant (the vendor's own backend)
    #[arg(long)]
    pub all_tenants: bool,
    /// print only the key (for `export KEY=$(...)`), not the JSON answer
    #[arg(long)]
    pub key_only: bool,
    /// `POST /v1/admin` with this key must carry the acting user's own
    /// snapshot token (`actor_token`): a leaked key cannot act as anyone
    #[arg(long)]
    pub require_actor_token: bool,
}

impl ServerCommand {
    /// Whether the answer is printed as bare text rather than JSON
    /// (`apikey create --key-only`), or not at all (`export` writes its own).
    pub fn bare_answer(&self) -> bool {
        matches!(self, ServerCommand::Apikey(ApikeyCommand::Create(a)) if a.key_only)
            || matches!(self, ServerCommand::Export(_))
    }

    /// Runs the command on a new runtime. `server` runs until Ctrl-C or
    /// SIGTERM and answers `{"stopped": true}`; `apikey create --key-only`
    /// answers the key as a JSON string.
    pub fn run(self) -> Result<Value> {
        let rt = tokio::runtime::Runtime::new()
            .map_err(|e| ServerError::Io(format!("no async runtime: {e}")))?;
        rt.block_on(self.run_async())
    }

    /// [`run`](Self::run) on the caller's runtime.
    pub async fn run_async(self) -> Result<Value> {
        match self {
            ServerCommand::Server(a) => {
                super::init_logging();
                super::run(a.config()).await?;
                Ok(json!({"stopped": true}))
            }
            ServerCommand::Import(a) => {
                let (catalog, sso) = (a.catalog.as_deref(), a.sso_config.as_deref());
                let r = super::import(&a.db, &a.tenant, catalog, &a.directory, sso).await?;
                Ok(
                    json!({"tenant": a.tenant, "catalog": r.catalog, "labels": r.labels, "users": r.users, "version": r.version}),
                )
            }
            ServerCommand::Export(a) => {
                // Streamed to stdout as it is read: nothing else to print.
                let stdout = std::io::stdout();
                let mut out = std::io::BufWriter::new(stdout.lock());
                super::export_to(&a.db, &a.tenant, &mut out).await?;
                std::io::Write::flush(&mut out)
                    .map_err(|e| ServerError::Io(format!("export: {e}")))?;
                Ok(Value::Null)
            }
            ServerCommand::Tenant(TenantCommand::Create(a)) => {
                let t =
                    super::tenant_create(&a.db, &a.id, &a.catalog, a.sso_config.as_deref()).await?;
                Ok(tenant_json(&t))
            }
            ServerCommand::Tenant(TenantCommand::List(a)) => {
                let list = super::tenant_list(&a.db).await?;
                Ok(json!({"tenants": list.iter().map(tenant_json).collect::<Vec<_>>()}))
            }
            ServerCommand::Apikey(ApikeyCommand::Create(a)) => {
                let tenant = match (&a.tenant, a.all_tenants) {
                    (_, true) => None,
                    (Some(t), false) => Some(t.as_str()),
                    (None, false) => Some(super::state::DEFAULT_TENANT),
                };
                let actor_token = a.require_actor_token;
                let key = super::apikey_create_with(&a.db, &a.scopes, tenant, actor_token).await?;
                if a.key_only {
                    return Ok(Value::String(key));
                }
                let scopes: Vec<_> = a.scopes.split(',').map(str::trim).collect();
                Ok(
                    json!({"key": key, "scopes": scopes, "tenant": tenant, "require_actor_token": actor_token}),
                )
            }
            ServerCommand::Apikey(ApikeyCommand::List(a)) => {
                let keys: Vec<Value> = super::apikey_list(&a.db)
                    .await?
                    .iter()
                    .map(key_json)
                    .collect();
                Ok(json!({ "api_keys": keys }))
            }
            ServerCommand::Apikey(ApikeyCommand::Revoke(a)) => {
                let revoked = super::apikey_revoke(&a.db, &a.key).await?;
                Ok(json!({ "revoked": key_json(&revoked) }))
            }
            ServerCommand::Keys(KeysCommand::Rotate(a)) => {
                Ok(json!({"kid": super::keys_rotate(&a.db).await?}))
            }
        }
    }
}

/// An API key as the CLI prints it: prefix, scopes, creation time (RFC
/// 3339), tenant (`null`: every tenant).
fn key_json(k: &super::store::ApiKeyInfo) -> Value {
    json!({
        "prefix": k.prefix,
        "scopes": k.scopes.split(',').collect::<Vec<_>>(),
        "created_at": super::model::format_time(k.created_at),
        "tenant": k.tenant,
        "require_actor_token": k.require_actor_token,
    })
}

/// A tenant as the CLI and `GET /v1/tenants` show it.
pub fn tenant_json(t: &super::store::TenantRecord) -> Value {
    let catalog = match &t.catalog {
        super::store::CatalogRecord::Preset(p) => json!({"preset": p}),
        super::store::CatalogRecord::Text { file, .. } => json!({"file": file}),
    };
    json!({
        "id": t.id,
        "catalog": catalog,
        "sso_config": t.sso_config.is_some(),
        "created_at": super::model::format_time(t.created_at),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        command: ServerCommand,
    }

    fn parse(args: &[&str]) -> std::result::Result<ServerCommand, clap::Error> {
        Cli::try_parse_from(std::iter::once("permsnap").chain(args.iter().copied()))
            .map(|c| c.command)
    }

    #[test]
    fn server_defaults_are_the_documented_ones() {
        let ServerCommand::Server(a) = parse(&["server"]).unwrap() else {
            panic!("not server")
        };
        let c = a.config();
        assert_eq!(c.db, "sqlite:permsnap.db");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.limits, Limits::default());
    }

    #[test]
    fn demo_mode_is_off_unless_asked_and_its_directories_need_it() {
        let ServerCommand::Server(a) = parse(&["server"]).unwrap() else {
            panic!("not server")
        };
        assert_eq!(a.config().demo, None);
        let ServerCommand::Server(a) = parse(&["server", "--demo"]).unwrap() else {
            panic!("not server")
        };
        let demo = a.config().demo.unwrap();
        assert_eq!(
            (demo.www.to_str(), demo.pkg.to_str()),
            (Some("www"), Some("pkg"))
        );
        assert!(parse(&["server", "--www", "site"]).is_err());
        assert!(parse(&["server", "--pkg", "p"]).is_err());
    }

    #[test]
    fn unknown_options_and_missing_arguments_are_errors() {
        assert!(parse(&["server", "--lisen", "1.2.3.4:5"]).is_err());
        assert!(parse(&["import", "--db", "sqlite:x"]).is_err());
        assert!(parse(&["apikey", "create"]).is_err());
        assert!(parse(&["keys"]).is_err());
    }

    #[test]
    fn import_apikey_create_list_revoke_rotate_export_run_on_a_store() {
        let dir = std::env::temp_dir().join(format!("permsnap-server-cli-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = format!("sqlite:{}", dir.join("s.db").display());
        let directory = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/src/server/demo/crm-directory.json"
        );
        let run = |args: &[&str]| parse(args).unwrap().run();
        let r = run(&[
            "import",
            "--db",
            &db,
            "--catalog",
            "smartico-crm",
            "--directory",
            directory,
        ])
        .unwrap();
        assert_eq!(
            (r["catalog"].as_str(), r["users"].as_u64()),
            (Some("smartico-crm"), Some(9))
        );
        let r = run(&["apikey", "create", "--db", &db, "--scopes", "check,read"]).unwrap();
        let key = r["key"].as_str().unwrap().to_string();
        assert!(key.starts_with("psk_"));
        let r = run(&["apikey", "list", "--db", &db]).unwrap();
        let listed = &r["api_keys"][0];
        assert_eq!(listed["prefix"].as_str(), Some(&key[..10]));
        assert_eq!(listed["scopes"], serde_json::json!(["check", "read"]));
        assert!(listed["created_at"].as_str().unwrap().ends_with('Z'));
        let r = run(&["apikey", "revoke", "--db", &db, &key[..10]]).unwrap();
        assert_eq!(r["revoked"]["prefix"].as_str(), Some(&key[..10]));
        let e = run(&["apikey", "revoke", "--db", &db, &key]).unwrap_err();
        assert_eq!(e.code(), "unknown_api_key");
        assert_eq!(
            run(&["apikey", "list", "--db", &db]).unwrap()["api_keys"],
            serde_json::json!([])
        );
        let e = run(&["apikey", "create", "--db", &db, "--scopes", "chek"]).unwrap_err();
        assert_eq!(e.code(), "bad_config");
        let args = ["apikey", "create", "--db", &db, "--scopes", "admin"];
        let r = run(&[&args[..], &["--require-actor-token"]].concat()).unwrap();
        assert_eq!(r["require_actor_token"], true);
        let r = run(&["apikey", "list", "--db", &db]).unwrap();
        assert_eq!(r["api_keys"][0]["require_actor_token"], true);
        run(&[
            "apikey",
            "revoke",
            "--db",
            &db,
            r["api_keys"][0]["prefix"].as_str().unwrap(),
        ])
        .unwrap();
        let r = run(&["keys", "rotate", "--db", &db]).unwrap();
        assert!(r["kid"].is_string());
        let r = run(&["export", "--db", &db]).unwrap();
        assert!(r.is_null(), "export writes the directory to stdout itself");
        let rt = tokio::runtime::Runtime::new().unwrap();
        let text = rt.block_on(crate::server::export(&db, "default")).unwrap();
        let exported: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(exported["users"].as_array().unwrap().len(), 9);
        let e = run(&["export", "--db", "mysql://x"]).unwrap_err();
        assert_eq!(e.code(), "bad_config");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
