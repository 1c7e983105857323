//! The database: connecting to SQLite or PostgreSQL through sqlx's `Any`
//! driver, the schema migrations (one SQL text for both), and write
//! transactions that hold the directory's version row.
//!
//! Every write goes through [`Db::begin_write`], which serializes writers:
//! in this process by a gate (queued writers hold no pool connection), on
//! PostgreSQL across instances by locking the version row (`SELECT ... FOR
//! UPDATE`), on SQLite by a first statement that takes SQLite's write lock
//! (so a read never pins a snapshot another writer moved).

use super::error::{Result, ServerError};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{Any, AnyConnection, AnyPool, Connection, Executor, Row, Transaction};
use std::str::FromStr;
use std::time::Duration;

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// `sqlite:PATH`
    Sqlite,
    /// `postgres://...`
    Postgres,
}

/// A connection pool and what it needs to write safely.
#[derive(Debug)]
pub struct Db {
    /// the pool
    pub pool: AnyPool,
    /// the backend
    pub backend: Backend,
    gate: tokio::sync::Mutex<()>,
}

/// An open write transaction holding the version row.
pub struct WriteTx<'a> {
    /// the transaction
    pub tx: Transaction<'static, Any>,
    /// the directory version when the lock was taken
    pub version: i64,
    /// the keys version when the lock was taken
    pub keys_version: i64,
    /// the last change event id given (moved by [`super::hub::record`];
    /// written to the version row at commit)
    pub event_id: i64,
    /// the directory version and event id as the version row holds them,
    /// to write at commit what moved
    stored: (i64, i64),
    /// the directory version to write at commit, when it moves
    next_version: Option<i64>,
    /// the backend (PostgreSQL also gets a NOTIFY with each event)
    pub backend: Backend,
    _gate: tokio::sync::MutexGuard<'a, ()>,
}

/// The SQL migrations, in order; each runs once, in a transaction.
/// Types are those both databases read alike: BIGINT and TEXT.
const MIGRATIONS: &[(i64, &[&str])] = &[(
    1,
    &[
        "CREATE TABLE meta (id BIGINT PRIMARY KEY, version BIGINT NOT NULL, keys_version BIGINT NOT NULL, \
         catalog_preset TEXT, catalog_text TEXT, catalog_file TEXT, sso_config TEXT)",
        "INSERT INTO meta (id, version, keys_version) VALUES (1, 0, 0)",
        "CREATE TABLE labels (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, name TEXT NOT NULL, \
         suffix TEXT NOT NULL, qa BIGINT NOT NULL, closed BIGINT NOT NULL)",
        "CREATE TABLE users (id TEXT PRIMARY KEY, seq BIGINT NOT NULL, username TEXT NOT NULL, \
         username_lc TEXT NOT NULL UNIQUE, email TEXT NOT NULL, email_lc TEXT NOT NULL, name TEXT NOT NULL, \
         home_label BIGINT NOT NULL, status TEXT NOT NULL, expires_at TEXT, owner BIGINT NOT NULL)",
        "CREATE INDEX users_email ON users (email_lc)",
        "CREATE TABLE identities (user_id TEXT NOT NULL, seq BIGINT NOT NULL, iss TEXT NOT NULL, \
         sub TEXT NOT NULL, PRIMARY KEY (user_id, seq))",
        "CREATE INDEX identities_iss_sub ON identities (iss, sub)",
        "CREATE TABLE access (user_id TEXT NOT NULL, label BIGINT NOT NULL, entry TEXT NOT NULL, \
         PRIMARY KEY (user_id, label))",
        "CREATE TABLE signing_keys (kid TEXT PRIMARY KEY, private_jwk TEXT NOT NULL, \
         created_at BIGINT NOT NULL, retired_at BIGINT)",
        "CREATE TABLE api_keys (hash TEXT PRIMARY KEY, prefix TEXT NOT NULL, scopes TEXT NOT NULL, \
         created_at BIGINT NOT NULL)",
        "CREATE TABLE audit (id BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, \
         action TEXT NOT NULL, target TEXT, allowed BIGINT NOT NULL, reason TEXT NOT NULL, \
         version BIGINT NOT NULL, detail TEXT NOT NULL)",
        "CREATE INDEX audit_at ON audit (at)",
        "CREATE INDEX audit_actor ON audit (actor)",
        "CREATE INDEX audit_target ON audit (target)",
    ],
), (
    2,
    &[
        // Live change events (`events.rs`): one row per user a change
        // concerns (`user_id` NULL: everyone), written in the change's
        // transaction; `meta.event_id` is the last id ever given, so ids
        // never go back even when old rows are pruned.
        "CREATE TABLE events (id BIGINT PRIMARY KEY, user_id TEXT, version BIGINT NOT NULL, \
         cause TEXT NOT NULL, at BIGINT NOT NULL)",
        "CREATE INDEX events_at ON events (at)",
        "ALTER TABLE meta ADD COLUMN event_id BIGINT NOT NULL DEFAULT 0",
    ],
), (
    3,
    &[
        // Tenants (docs/server.md, "Tenants"): one customer account each,
        // its own catalog, SSO config, labels, users, audit and events.
        // What the store held before is tenant `default`. The directory
        // tables are rebuilt with the tenant in their keys; every read on
        // the request path is an indexed lookup of one tenant's rows.
        "CREATE TABLE tenants (id TEXT PRIMARY KEY, catalog_preset TEXT, catalog_text TEXT, \
         catalog_file TEXT, sso_config TEXT, created_at BIGINT NOT NULL)",
        "INSERT INTO tenants (id, catalog_preset, catalog_text, catalog_file, sso_config, created_at) \
         SELECT 'default', catalog_preset, catalog_text, catalog_file, sso_config, 0 FROM meta \
         WHERE id = 1 AND (catalog_preset IS NOT NULL OR catalog_text IS NOT NULL)",
        "CREATE TABLE labels_t (tenant TEXT NOT NULL, id BIGINT NOT NULL, seq BIGINT NOT NULL, \
         name TEXT NOT NULL, suffix TEXT NOT NULL, qa BIGINT NOT NULL, closed BIGINT NOT NULL, \
         PRIMARY KEY (tenant, id))",
        "INSERT INTO labels_t SELECT 'default', id, seq, name, suffix, qa, closed FROM labels",
        "DROP TABLE labels",
        "ALTER TABLE labels_t RENAME TO labels",
        "CREATE TABLE users_t (tenant TEXT NOT NULL, id TEXT NOT NULL, seq BIGINT NOT NULL, \
         version BIGINT NOT NULL, username TEXT NOT NULL, username_lc TEXT NOT NULL, \
         email TEXT NOT NULL, email_lc TEXT NOT NULL, name TEXT NOT NULL, home_label BIGINT NOT NULL, \
         status TEXT NOT NULL, expires_at TEXT, owner BIGINT NOT NULL, PRIMARY KEY (tenant, id))",
        "INSERT INTO users_t SELECT 'default', id, seq, 1, username, username_lc, email, email_lc, \
         name, home_label, status, expires_at, owner FROM users",
        "DROP TABLE users",
        "ALTER TABLE users_t RENAME TO users",
        "CREATE UNIQUE INDEX users_username ON users (tenant, username_lc)",
        "CREATE INDEX users_email ON users (tenant, email_lc)",
        "CREATE INDEX users_seq ON users (tenant, seq)",
        "CREATE TABLE identities_t (tenant TEXT NOT NULL, user_id TEXT NOT NULL, seq BIGINT NOT NULL, \
         iss TEXT NOT NULL, sub TEXT NOT NULL, PRIMARY KEY (tenant, user_id, seq))",
        "INSERT INTO identities_t SELECT 'default', user_id, seq, iss, sub FROM identities",
        "DROP TABLE identities",
        "ALTER TABLE identities_t RENAME TO identities",
        "CREATE INDEX identities_iss_sub ON identities (tenant, iss, sub)",
        "CREATE TABLE access_t (tenant TEXT NOT NULL, user_id TEXT NOT NULL, label BIGINT NOT NULL, \
         entry TEXT NOT NULL, PRIMARY KEY (tenant, user_id, label))",
        "INSERT INTO access_t SELECT 'default', user_id, label, entry FROM access",
        "DROP TABLE access",
        "ALTER TABLE access_t RENAME TO access",
        // Events and audit name their tenant (events: NULL for a change of
        // every tenant, a key rotation); API keys are bound to one tenant,
        // NULL for the vendor's all-tenant keys. Keys made before tenants
        // were made for the one directory there was: `default`.
        "ALTER TABLE events ADD COLUMN tenant TEXT",
        "UPDATE events SET tenant = 'default'",
        "ALTER TABLE audit ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default'",
        "CREATE INDEX audit_tenant ON audit (tenant, id)",
        "ALTER TABLE api_keys ADD COLUMN tenant TEXT",
        "UPDATE api_keys SET tenant = 'default'",
        // `apikey create --require-actor-token`: the key's admin ops must
        // carry the acting user's own snapshot token (`actor_token`).
        "ALTER TABLE api_keys ADD COLUMN require_actor_token BIGINT NOT NULL DEFAULT 0",
    ],
)];

/// `sqlite:PATH` gets `mode=rwc` (create the file) unless it says otherwise.
fn normalize(url: &str) -> Result<(String, Backend)> {
    if let Some(rest) = url.strip_prefix("sqlite:") {
        if rest.is_empty() {
            return Err(ServerError::Config("`--db sqlite:` needs a path".into()));
        }
        let url = if rest.contains('?') {
            url.to_string()
        } else {
            format!("{url}?mode=rwc")
        };
        Ok((url, Backend::Sqlite))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok((url.to_string(), Backend::Postgres))
    } else {
        Err(ServerError::Config(format!(
            "`{url}` is not a database URL: use `sqlite:PATH` or `postgres://...`"
        )))
    }
}

async fn sqlite_pragmas(conn: &mut AnyConnection) -> Result<(), sqlx::Error> {
    // WAL lets readers run beside the writer; FULL makes a commit durable
    // before it is acknowledged; the busy timeout waits for another process.
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute("PRAGMA synchronous = FULL").await?;
    conn.execute("PRAGMA busy_timeout = 5000").await?;
    Ok(())
}

impl Db {
    /// Connects and runs the migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db> {
        sqlx::any::install_default_drivers();
        let (url, backend) = normalize(url)?;
        let opts = AnyConnectOptions::from_str(&url)
            .map_err(|e| ServerError::Config(format!("bad database URL: {e}")))?;
        let mut pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10));
        if backend == Backend::Sqlite {
            pool = pool.after_connect(|conn, _| Box::pin(sqlite_pragmas(conn)));
        }
        let pool = pool.connect_with(opts).await?;
        let db = Db {
            pool,
            backend,
            gate: tokio::sync::Mutex::new(()),
        };
        db.migrate().await?;
        Ok(db)
    }

    async fn migrate(&self) -> Result<()> {
        let _gate = self.gate.lock().await;
        let mut conn = self.pool.acquire().await?;
        let mut tx = conn.begin().await?;
        if self.backend == Backend::Postgres {
            // Two instances starting at once: one migrates, the other waits.
            sqlx::query("SELECT COUNT(*) FROM (SELECT pg_advisory_xact_lock(72620012)) AS l")
                .execute(&mut *tx)
                .await?;
        }
        tx.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await?;
        let applied: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>(0))
            .collect::<Result<_, _>>()?;
        for (version, statements) in MIGRATIONS {
            if applied.contains(version) {
                continue;
            }
            for s in *statements {
                tx.execute(*s).await?;
            }
            sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
                .bind(*version)
                .bind(super::clock::system_now())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Opens a write transaction holding the version row: until it ends, no
    /// other writer (in this process or, on PostgreSQL, in another instance)
    /// can decide or apply anything.
    pub async fn begin_write(&self) -> Result<WriteTx<'_>> {
        // Writers queue here first on both backends: they serialize on the
        // version row anyway, and queued writers must not hold pool
        // connections that reads need.
        let gate = self.gate.lock().await;
        let mut tx = self.pool.begin().await?;
        // The first statement takes the version row and reads it: on SQLite
        // it writes, so SQLite's write lock is taken now (waiting on the
        // busy timeout), before any read.
        let lock = match self.backend {
            Backend::Sqlite => {
                "UPDATE meta SET version = version WHERE id = 1 RETURNING version, keys_version, event_id"
            }
            Backend::Postgres => {
                "SELECT version, keys_version, event_id FROM meta WHERE id = 1 FOR UPDATE"
            }
        };
        let row = sqlx::query(lock).fetch_one(&mut *tx).await?;
        let (version, event_id) = (row.try_get(0)?, row.try_get(2)?);
        Ok(WriteTx {
            version,
            keys_version: row.try_get(1)?,
            event_id,
            stored: (version, event_id),
            next_version: None,
            backend: self.backend,
            tx,
            _gate: gate,
        })
    }

    /// The directory and keys versions now committed.
    pub async fn versions(&self) -> Result<(i64, i64)> {
        let row = sqlx::query("SELECT version, keys_version FROM meta WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }
}

impl WriteTx<'_> {
    /// Sets the directory version (the caller passes the next one); it is
    /// written at commit, with the last event id, in one statement.
    pub async fn set_version(&mut self, version: i64) -> Result<()> {
        self.next_version = Some(version);
        Ok(())
    }

    /// Bumps the keys version (signing keys or API keys changed).
    pub async fn bump_keys_version(&mut self) -> Result<i64> {
        let next = self.keys_version + 1;
        sqlx::query("UPDATE meta SET keys_version = $1 WHERE id = 1")
            .bind(next)
            .execute(&mut *self.tx)
            .await?;
        Ok(next)
    }

    /// The change events this transaction wrote: ids after the first, up to
    /// the second.
    pub fn events_written(&self) -> (i64, i64) {
        (self.stored.1, self.event_id)
    }

    /// Writes what moved of the version row (directory version, last event
    /// id) and commits.
    pub async fn commit(mut self) -> Result<()> {
        let version = self.next_version.unwrap_or(self.stored.0);
        if (version, self.event_id) != self.stored {
            sqlx::query("UPDATE meta SET version = $1, event_id = $2 WHERE id = 1")
                .bind(version)
                .bind(self.event_id)
                .execute(&mut *self.tx)
                .await?;
        }
        self.tx.commit().await?;
        Ok(())
    }
}
