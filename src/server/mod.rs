//! `permsnap server`: the back office's permission service over a real
//! database (SQLite by default, PostgreSQL for several instances).
//!
//! It owns the directory in the store, decides with the library's rules and
//! applies what they allow: snapshots, checks, admin ops and SSO logins over
//! JSON/HTTP (see `openapi.json` beside this file and the README), with API
//! keys and scopes, signing-key rotation, and an audit log.
//!
//! Layout: [`config`] how to run one and [`clock`] its clock; [`model`] is
//! the only module that touches the permsnap model; [`doc`] is the
//! directory as stored; [`db`] and [`store`] the database; [`state`] the
//! caches and freshness; [`ops`] what changes the store, [`bulk`] import
//! and export that stream; [`hub`] the change
//! feed's write side and this instance's broadcast, [`events`] the pump and
//! the streams; [`http`] the API's handlers, [`demo`] demo mode's routes
//! and files, [`router`] both with logging; [`serve`] the listener; [`cli`]
//! the commands as clap arguments for the `permsnap` binary. Never
//! compiled for wasm.

pub mod bulk;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod doc;
pub mod error;
pub mod events;
pub mod head;
pub mod http;
pub mod hub;
pub mod keys;
pub mod model;
pub mod ops;
pub mod router;
pub mod serve;
pub mod state;
pub mod store;

pub use clock::Clock;
pub use config::{CacheLimits, Config, DemoConfig, Limits};
pub use error::{Result, ServerError};
pub use hub::EventOptions;
pub use keys::Scope;
pub use ops::ImportReport;

use std::net::SocketAddr;
use std::sync::Arc;

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
    let hub = hub::Hub::new(config.events.clone(), rx.clone());
    let app = Arc::new(state::App::new(db, config.clock, hub, config.cache));
    let last = events::last_event_id(&app).await?;
    tokio::spawn(events::pump(app.clone(), last));
    if backend == db::Backend::Postgres {
        tokio::spawn(events::listen(app.clone(), config.db.clone()));
    }
    let listener = serve::bind(config.listen).await?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::Io(e.to_string()))?;
    let ctx = Arc::new(http::Ctx {
        app,
        max_body_bytes: config.limits.max_body_bytes,
        body_timeout: config.limits.body_timeout,
        demo: config.demo.clone(),
        listen: addr,
    });
    let task = tokio::spawn(serve::serve(
        listener,
        router::router(ctx),
        config.limits,
        rx,
    ));
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

/// `permsnap import`: replaces a tenant's catalog and directory with a
/// catalog (preset id or file; the tenant's own when omitted) and a
/// directory file read as a stream (and, optionally, the default SSO
/// config file `/v1/sso/login` uses when a request has none). A new tenant
/// is made. Progress goes to stderr.
pub async fn import(
    db_url: &str,
    tenant: &str,
    catalog: Option<&str>,
    directory_file: &str,
    sso_config_file: Option<&str>,
) -> Result<ImportReport> {
    let sso = sso_config_file.map(read_file).transpose()?;
    let db = db::Db::connect(db_url, 1).await?;
    let record = match catalog {
        Some(c) => catalog_arg(c)?,
        None => existing_catalog(&db, tenant).await?,
    };
    if !std::path::Path::new(directory_file).is_file() {
        return Err(ServerError::Io(format!("{directory_file}: not a file")));
    }
    let plan = bulk::ImportPlan {
        tenant,
        catalog: record,
        source: bulk::Source::File(directory_file.into()),
        sso_config: sso.as_deref(),
        now: clock::system_now(),
    };
    bulk::import_file(&db, plan, |n| eprintln!("import: {n} users written")).await
}

async fn existing_catalog(db: &db::Db, tenant: &str) -> Result<store::CatalogRecord> {
    let mut conn = db.pool.acquire().await?;
    match store::tenant(&mut conn, tenant).await? {
        Some(t) => Ok(t.catalog),
        None => Err(ServerError::Config(format!(
            "tenant `{tenant}` does not exist yet: give `--catalog` (or `permsnap tenant create`)"
        ))),
    }
}

/// [`import`] from texts into tenant `default` (for tests and embedding).
pub async fn import_text(
    db_url: &str,
    catalog: store::CatalogRecord,
    directory: &str,
    sso_config: Option<&str>,
) -> Result<ImportReport> {
    import_tenant_text(
        db_url,
        state::DEFAULT_TENANT,
        catalog,
        directory,
        sso_config,
    )
    .await
}

/// [`import`] from texts into `tenant` (for tests and embedding).
pub async fn import_tenant_text(
    db_url: &str,
    tenant: &str,
    catalog: store::CatalogRecord,
    directory: &str,
    sso_config: Option<&str>,
) -> Result<ImportReport> {
    let db = db::Db::connect(db_url, 1).await?;
    let plan = bulk::ImportPlan {
        tenant,
        catalog,
        source: bulk::Source::Text(directory.into()),
        sso_config,
        now: clock::system_now(),
    };
    bulk::import_file(&db, plan, |_| {}).await
}

/// `permsnap export`: a tenant's directory in the directory file format,
/// written to `out` a page of users at a time; returns the users written.
pub async fn export_to(db_url: &str, tenant: &str, out: &mut impl std::io::Write) -> Result<usize> {
    let db = db::Db::connect(db_url, 1).await?;
    bulk::export_to(&db, tenant, out).await
}

/// [`export_to`] as a text (for tests and embedding).
pub async fn export(db_url: &str, tenant: &str) -> Result<String> {
    let mut out = Vec::new();
    export_to(db_url, tenant, &mut out).await?;
    String::from_utf8(out).map_err(|e| ServerError::Corrupt(e.to_string()))
}

/// `permsnap tenant create ID --catalog C [--sso-config FILE]`.
pub async fn tenant_create(
    db_url: &str,
    tenant: &str,
    catalog: &str,
    sso_config_file: Option<&str>,
) -> Result<store::TenantRecord> {
    let record = catalog_arg(catalog)?;
    let sso = sso_config_file.map(read_file).transpose()?;
    let db = db::Db::connect(db_url, 1).await?;
    ops::tenant_create(&db, tenant, record, sso.as_deref(), clock::system_now()).await
}

/// `permsnap tenant list`: every tenant, in id order.
pub async fn tenant_list(db_url: &str) -> Result<Vec<store::TenantRecord>> {
    let db = db::Db::connect(db_url, 1).await?;
    let mut conn = db.pool.acquire().await?;
    let mut out = Vec::new();
    loop {
        let after = out
            .last()
            .map_or(String::new(), |t: &store::TenantRecord| t.id.clone());
        let page = store::tenants(&mut conn, &after, 1000).await?;
        if page.is_empty() {
            return Ok(out);
        }
        out.extend(page);
    }
}

/// `permsnap apikey create --scopes a,b [--tenant ID | --all-tenants]`: a
/// new API key, returned once, good for one tenant (`None`: every tenant).
pub async fn apikey_create(db_url: &str, scopes: &str, tenant: Option<&str>) -> Result<String> {
    apikey_create_with(db_url, scopes, tenant, false).await
}

/// [`apikey_create`] `[--require-actor-token]`: with `require_actor_token`
/// the key's `POST /v1/admin` calls must carry the acting user's own
/// snapshot token (`actor_token`).
pub async fn apikey_create_with(
    db_url: &str,
    scopes: &str,
    tenant: Option<&str>,
    require_actor_token: bool,
) -> Result<String> {
    let scopes = Scope::parse_list(scopes)?;
    let db = db::Db::connect(db_url, 1).await?;
    let now = clock::system_now();
    ops::apikey_create(&db, &scopes, tenant, require_actor_token, now).await
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
    ops::apikey_revoke(&db, which, clock::system_now()).await
}

/// `permsnap keys rotate`: a new current signing key; returns its `kid`.
pub async fn keys_rotate(db_url: &str) -> Result<String> {
    let db = db::Db::connect(db_url, 1).await?;
    ops::keys_rotate(&db, clock::system_now()).await
}
