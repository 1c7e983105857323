//! `permsnap server`: the back office's permission service over a real
//! database (SQLite by default, PostgreSQL for several instances).
//!
//! It owns the directory in the store, decides with the library's rules and
//! applies what they allow: snapshots, checks, admin ops and SSO logins over
//! JSON/HTTP (see `openapi.json` beside this file and the README), with API
//! keys and scopes, signing-key rotation, and an audit log.
//!
//! Layout: [`model`] is the only module that touches the permsnap model;
//! [`doc`] is the directory as stored; [`db`] and [`store`] the database;
//! [`state`] the cache and freshness; [`ops`] what changes the store;
//! [`events`] live change events; [`http`] the routes; [`demo`] demo
//! mode's routes and files; [`serve`] the listener; [`cli`] the commands
//! as clap arguments for the `permsnap` binary. Never compiled for wasm.

pub mod cli;
pub mod db;
pub mod demo;
pub mod doc;
pub mod error;
pub mod events;
pub mod http;
pub mod keys;
pub mod model;
pub mod ops;
pub mod serve;
pub mod state;
pub mod store;

pub use demo::DemoConfig;
pub use error::{Result, ServerError};
pub use events::EventOptions;
pub use keys::Scope;
pub use ops::ImportReport;
pub use state::Clock;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

/// Limits on connections and requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// largest request body (413 above it)
    pub max_body_bytes: usize,
    /// largest request head: request line and headers (hyper answers 431
    /// above it; at least 8 KiB)
    pub max_head_bytes: usize,
    /// open connections at once; more are closed at accept
    pub max_connections: usize,
    /// time to receive a request head; also closes an idle keep-alive connection
    pub header_timeout: Duration,
    /// time to receive a request body (408 past it)
    pub body_timeout: Duration,
    /// how long shutdown waits for open requests
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_head_bytes: 16 * 1024,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// How to run a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `sqlite:PATH` or `postgres://...`
    pub db: String,
    /// where to listen
    pub listen: SocketAddr,
    /// limits
    pub limits: Limits,
    /// database connections
    pub db_connections: u32,
    /// the clock (`Clock::System` except in conformance runs)
    pub clock: Clock,
    /// live change events (`GET /v1/events`)
    pub events: EventOptions,
    /// demo mode: a demo page, the package and the demo routes (never in production)
    pub demo: Option<DemoConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: "sqlite:permsnap.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            limits: Limits::default(),
            db_connections: 8,
            clock: Clock::System,
            events: EventOptions::default(),
            demo: None,
        }
    }
}

/// A started server.
pub struct Running {
    /// the address it listens on (the real port when asked for port 0)
    pub addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<Result<()>>,
}

impl Running {
    /// Stops accepting, lets open requests finish, and returns.
    pub async fn stop(self) -> Result<()> {
        let _ = self.stop.send(true);
        self.task
            .await
            .map_err(|e| ServerError::Io(format!("server task: {e}")))?
    }
}

/// Connects to the store (running migrations), makes a signing key if there
/// is none, starts the events pump (and on PostgreSQL its listener), binds,
/// and serves in the background.
pub async fn start(config: Config) -> Result<Running> {
    if config.demo.is_some() {
        demo::check_listen(config.listen)?;
    }
    let db = db::Db::connect(&config.db, config.db_connections).await?;
    ops::ensure_signing_key(&db, config.clock.now()).await?;
    let backend = db.backend;
    let (stop, rx) = tokio::sync::watch::channel(false);
    let hub = events::Hub::new(config.events.clone(), rx.clone());
    let app = Arc::new(state::App::new(db, config.clock, hub));
    let last = events::last_event_id(&app).await?;
    tokio::spawn(events::pump(app.clone(), last));
    if backend == db::Backend::Postgres {
        tokio::spawn(events::listen(app.clone(), config.db.clone()));
    }
    let ctx = Arc::new(http::Ctx {
        app,
        max_body_bytes: config.limits.max_body_bytes,
        body_timeout: config.limits.body_timeout,
        demo: config.demo.clone(),
    });
    let listener = serve::bind(config.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::Io(e.to_string()))?;
    let task = tokio::spawn(serve::serve(listener, http::router(ctx), config.limits, rx));
    Ok(Running { addr, stop, task })
}

/// Runs a server until Ctrl-C or SIGTERM. In demo mode it also says where
/// the page is, on stderr (the log is on stdout).
pub async fn run(config: Config) -> Result<()> {
    let demo = config.demo.is_some();
    let running = start(config).await?;
    tracing::info!(target: "permsnap::server", addr = %running.addr, "listening");
    if demo {
        eprintln!(
            "permsnap demo (not for production) on http://{}/  (Ctrl-C to stop)",
            running.addr
        );
    }
    shutdown_signal().await;
    tracing::info!(target: "permsnap::server", "shutting down");
    running.stop().await
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate());
        match term {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {},
                    _ = term.recv() => {},
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Installs the JSON log subscriber (one line per event on stdout;
/// `RUST_LOG` filters, default `info`). For the binary, not for libraries.
pub fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .try_init();
}

fn read_file(path: &str) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| ServerError::Io(format!("{path}: {e}")))
}

/// A catalog argument: the path of a catalog file, else a preset id.
pub fn catalog_arg(arg: &str) -> Result<store::CatalogRecord> {
    if std::path::Path::new(arg).is_file() {
        return Ok(store::CatalogRecord::Text {
            file: arg.to_string(),
            text: read_file(arg)?,
        });
    }
    if model::is_preset(arg) {
        return Ok(store::CatalogRecord::Preset(arg.to_string()));
    }
    Err(ServerError::bad(
        "unknown_preset",
        format!("`{arg}` is neither a catalog file nor a preset (smartico-crm, tap-affiliate, smrtphone, loymax)"),
        None,
    ))
}

/// `permsnap import`: replaces the store's catalog and directory with a
/// catalog (preset id or file) and a directory file (and, optionally, the
/// default SSO config file `/v1/sso/login` uses when a request has none).
pub async fn import(
    db_url: &str,
    catalog: &str,
    directory_file: &str,
    sso_config_file: Option<&str>,
) -> Result<ImportReport> {
    let record = catalog_arg(catalog)?;
    let directory = read_file(directory_file)?;
    let sso = sso_config_file.map(read_file).transpose()?;
    let db = db::Db::connect(db_url, 1).await?;
    ops::import(&db, record, &directory, sso.as_deref(), state::system_now()).await
}

/// [`import`] from texts (for tests and embedding).
pub async fn import_text(
    db_url: &str,
    catalog: store::CatalogRecord,
    directory: &str,
    sso_config: Option<&str>,
) -> Result<ImportReport> {
    let db = db::Db::connect(db_url, 1).await?;
    ops::import(&db, catalog, directory, sso_config, state::system_now()).await
}

/// `permsnap export`: the store's directory in the directory file format.
pub async fn export(db_url: &str) -> Result<String> {
    let db = db::Db::connect(db_url, 1).await?;
    let mut conn = db.pool.acquire().await?;
    let doc = store::load_directory(&mut conn).await?;
    serde_json::to_string_pretty(&doc).map_err(|e| ServerError::Corrupt(e.to_string()))
}

/// `permsnap apikey create --scopes a,b`: a new API key, returned once.
pub async fn apikey_create(db_url: &str, scopes: &str) -> Result<String> {
    let scopes = Scope::parse_list(scopes)?;
    let db = db::Db::connect(db_url, 1).await?;
    ops::apikey_create(&db, &scopes, state::system_now()).await
}

/// `permsnap apikey list`: the stored API keys (prefixes and scopes, never a key).
pub async fn apikey_list(db_url: &str) -> Result<Vec<store::ApiKeyInfo>> {
    let db = db::Db::connect(db_url, 1).await?;
    ops::apikey_list(&db).await
}

/// `permsnap apikey revoke KEY|PREFIX`: forgets one API key; every instance
/// refuses it from its next request on.
pub async fn apikey_revoke(db_url: &str, which: &str) -> Result<store::ApiKeyInfo> {
    let db = db::Db::connect(db_url, 1).await?;
    ops::apikey_revoke(&db, which, state::system_now()).await
}

/// `permsnap keys rotate`: a new current signing key; returns its `kid`.
pub async fn keys_rotate(db_url: &str) -> Result<String> {
    let db = db::Db::connect(db_url, 1).await?;
    ops::keys_rotate(&db, state::system_now()).await
}
