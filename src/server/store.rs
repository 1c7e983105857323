//! Reading and writing the store's rows: the directory (labels, users,
//! identities, access entries), the recorded catalog, audit records, signing
//! keys and API keys. Plain SQL that SQLite and PostgreSQL read alike;
//! booleans are stored as 0/1, times as milliseconds.

use super::doc::{DirectoryDoc, IdentityDoc, LabelDoc, Status, UserDoc};
use super::error::{Result, ServerError};
use serde::Serialize;
use sqlx::{AnyConnection, Row};

/// The catalog a store was imported with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogRecord {
    /// a preset id
    Preset(String),
    /// a catalog file's text and name
    Text {
        /// the file name given at import
        file: String,
        /// its text
        text: String,
    },
}

/// The meta row: versions, catalog, default SSO config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// directory version
    pub version: i64,
    /// keys version
    pub keys_version: i64,
    /// the catalog, once imported
    pub catalog: Option<CatalogRecord>,
    /// the default SSO config text
    pub sso_config: Option<String>,
}

/// Reads the meta row.
pub async fn meta(c: &mut AnyConnection) -> Result<Meta> {
    let r = sqlx::query(
        "SELECT version, keys_version, catalog_preset, catalog_text, catalog_file, sso_config FROM meta WHERE id = 1",
    )
    .fetch_one(&mut *c)
    .await?;
    let preset: Option<String> = r.try_get(2)?;
    let text: Option<String> = r.try_get(3)?;
    let file: Option<String> = r.try_get(4)?;
    let catalog = match (preset, text) {
        (Some(p), _) => Some(CatalogRecord::Preset(p)),
        (None, Some(text)) => Some(CatalogRecord::Text {
            file: file.unwrap_or_default(),
            text,
        }),
        (None, None) => None,
    };
    Ok(Meta {
        version: r.try_get(0)?,
        keys_version: r.try_get(1)?,
        catalog,
        sso_config: r.try_get(5)?,
    })
}

/// Records the catalog and the default SSO config.
pub async fn set_catalog(
    c: &mut AnyConnection,
    catalog: &CatalogRecord,
    sso_config: Option<&str>,
) -> Result<()> {
    let (preset, text, file) = match catalog {
        CatalogRecord::Preset(p) => (Some(p.as_str()), None, None),
        CatalogRecord::Text { file, text } => (None, Some(text.as_str()), Some(file.as_str())),
    };
    sqlx::query(
        "UPDATE meta SET catalog_preset = $1, catalog_text = $2, catalog_file = $3, sso_config = $4 WHERE id = 1",
    )
    .bind(preset)
    .bind(text)
    .bind(file)
    .bind(sso_config)
    .execute(&mut *c)
    .await?;
    Ok(())
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> ServerError {
    ServerError::Corrupt(format!("{what}: {e}"))
}

/// Reads the whole directory, in stored order.
pub async fn load_directory(c: &mut AnyConnection) -> Result<DirectoryDoc> {
    let labels = sqlx::query("SELECT id, name, suffix, qa, closed FROM labels ORDER BY seq")
        .fetch_all(&mut *c)
        .await?
        .iter()
        .map(|r| {
            Ok(LabelDoc {
                id: r.try_get::<i64, _>(0)? as u64,
                name: r.try_get(1)?,
                suffix: r.try_get(2)?,
                qa: r.try_get::<i64, _>(3)? != 0,
                closed: r.try_get::<i64, _>(4)? != 0,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mut users = load_users(c).await?;
    let index: std::collections::HashMap<String, usize> = users
        .iter()
        .enumerate()
        .map(|(i, u)| (u.id.clone(), i))
        .collect();
    for r in sqlx::query("SELECT user_id, iss, sub FROM identities ORDER BY user_id, seq")
        .fetch_all(&mut *c)
        .await?
    {
        let id: String = r.try_get(0)?;
        if let Some(&i) = index.get(&id) {
            users[i].identities.push(IdentityDoc {
                iss: r.try_get(1)?,
                sub: r.try_get(2)?,
            });
        }
    }
    for r in sqlx::query("SELECT user_id, label, entry FROM access ORDER BY user_id, label")
        .fetch_all(&mut *c)
        .await?
    {
        let id: String = r.try_get(0)?;
        let label: i64 = r.try_get(1)?;
        let entry: String = r.try_get(2)?;
        let entry = serde_json::from_str(&entry).map_err(|e| corrupt("access entry", e))?;
        if let Some(&i) = index.get(&id) {
            users[i].access.insert(label.to_string(), entry);
        }
    }
    Ok(DirectoryDoc { labels, users })
}

async fn load_users(c: &mut AnyConnection) -> Result<Vec<UserDoc>> {
    let rows = sqlx::query(
        "SELECT id, seq, username, email, name, home_label, status, expires_at, owner FROM users ORDER BY seq",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get(6)?;
            Ok(UserDoc {
                id: r.try_get(0)?,
                seq: r.try_get(1)?,
                username: r.try_get(2)?,
                email: r.try_get(3)?,
                name: r.try_get(4)?,
                home_label: r.try_get::<i64, _>(5)? as u64,
                status: if status == "disabled" {
                    Status::Disabled
                } else {
                    Status::Active
                },
                expires_at: r.try_get(7)?,
                owner: r.try_get::<i64, _>(8)? != 0,
                identities: Vec::new(),
                access: Default::default(),
            })
        })
        .collect()
}

/// Replaces the whole directory.
pub async fn replace_directory(c: &mut AnyConnection, d: &DirectoryDoc) -> Result<()> {
    for table in ["access", "identities", "users", "labels"] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *c)
            .await?;
    }
    for (i, l) in d.labels.iter().enumerate() {
        sqlx::query(
            "INSERT INTO labels (id, seq, name, suffix, qa, closed) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(l.id as i64)
        .bind(i as i64)
        .bind(&l.name)
        .bind(&l.suffix)
        .bind(i64::from(l.qa))
        .bind(i64::from(l.closed))
        .execute(&mut *c)
        .await?;
    }
    for (i, u) in d.users.iter().enumerate() {
        let mut u = u.clone();
        u.seq = i as i64 + 1;
        insert_user(c, &u).await?;
    }
    Ok(())
}

async fn insert_user(c: &mut AnyConnection, u: &UserDoc) -> Result<()> {
    sqlx::query(
        "INSERT INTO users (id, seq, username, username_lc, email, email_lc, name, home_label, status, expires_at, owner) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(&u.id)
    .bind(u.seq)
    .bind(&u.username)
    .bind(u.username.to_lowercase())
    .bind(&u.email)
    .bind(u.email.to_lowercase())
    .bind(&u.name)
    .bind(u.home_label as i64)
    .bind(u.status.as_str())
    .bind(u.expires_at.as_deref())
    .bind(i64::from(u.owner))
    .execute(&mut *c)
    .await?;
    for (i, id) in u.identities.iter().enumerate() {
        sqlx::query("INSERT INTO identities (user_id, seq, iss, sub) VALUES ($1, $2, $3, $4)")
            .bind(&u.id)
            .bind(i as i64)
            .bind(&id.iss)
            .bind(&id.sub)
            .execute(&mut *c)
            .await?;
    }
    for (label, entry) in &u.access {
        let label: i64 = label
            .parse()
            .map_err(|_| ServerError::bad("wrong_type", "a label id is a number", None))?;
        sqlx::query("INSERT INTO access (user_id, label, entry) VALUES ($1, $2, $3)")
            .bind(&u.id)
            .bind(label)
            .bind(entry.to_string())
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Writes one user as `u` says (all its rows), or deletes it when `u` is `None`.
pub async fn write_user(c: &mut AnyConnection, id: &str, u: Option<&UserDoc>) -> Result<()> {
    for table in ["access", "identities"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE user_id = $1"))
            .bind(id)
            .execute(&mut *c)
            .await?;
    }
    sqlx::query("DELETE FROM users WHERE id = $1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    match u {
        Some(u) => insert_user(c, u).await,
        None => Ok(()),
    }
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// increasing id
    pub id: i64,
    /// when (RFC 3339)
    pub at: String,
    /// who: a user id, `sso` or `cli`
    pub actor: String,
    /// what: an admin op, `sso_create`, `sso_link`, `import`, `apikey_create`, `keys_rotate`
    pub action: String,
    /// the user it concerns
    pub target: Option<String>,
    /// whether it was applied
    pub allowed: bool,
    /// the admin reason (`allowed` when applied)
    pub reason: String,
    /// the directory version after it
    pub version: i64,
    /// the request as received (admin ops) or what was done
    pub detail: serde_json::Value,
}

/// Appends an audit record (inside a write transaction); returns its id.
pub async fn insert_audit(c: &mut AnyConnection, r: &AuditRecord, at_ms: i64) -> Result<i64> {
    let next: i64 = sqlx::query("SELECT COALESCE(MAX(id), 0) + 1 FROM audit")
        .fetch_one(&mut *c)
        .await?
        .try_get(0)?;
    sqlx::query(
        "INSERT INTO audit (id, at, actor, action, target, allowed, reason, version, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(next)
    .bind(at_ms)
    .bind(&r.actor)
    .bind(&r.action)
    .bind(r.target.as_deref())
    .bind(i64::from(r.allowed))
    .bind(&r.reason)
    .bind(r.version)
    .bind(r.detail.to_string())
    .execute(&mut *c)
    .await?;
    Ok(next)
}

/// Which audit records to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// records whose actor or target is this user
    pub user: Option<String>,
    /// records at or after this instant (ms); without it, the latest ones
    pub since_ms: Option<i64>,
    /// at most this many
    pub limit: i64,
}

/// Reads audit records, oldest first.
pub async fn audit(c: &mut AnyConnection, f: &AuditFilter) -> Result<Vec<AuditRecord>> {
    let order = if f.since_ms.is_some() { "ASC" } else { "DESC" };
    let sql = format!(
        "SELECT id, at, actor, action, target, allowed, reason, version, detail FROM audit \
         WHERE ($1 = '' OR actor = $1 OR target = $1) AND at >= $2 ORDER BY id {order} LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(f.user.clone().unwrap_or_default())
        .bind(f.since_ms.unwrap_or(i64::MIN))
        .bind(f.limit)
        .fetch_all(&mut *c)
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            let detail: String = r.try_get(8)?;
            Ok(AuditRecord {
                id: r.try_get(0)?,
                at: super::model::format_time(r.try_get(1)?),
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                target: r.try_get(4)?,
                allowed: r.try_get::<i64, _>(5)? != 0,
                reason: r.try_get(6)?,
                version: r.try_get(7)?,
                detail: serde_json::from_str(&detail).unwrap_or(serde_json::Value::Null),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    out.sort_by_key(|r| r.id);
    Ok(out)
}

/// A stored signing key.
#[derive(Clone)]
pub struct KeyRow {
    /// key id
    pub kid: String,
    /// the private JWK text (secret)
    pub private_jwk: String,
    /// when it was made (ms)
    pub created_at: i64,
    /// when it stopped signing (ms)
    pub retired_at: Option<i64>,
}

impl std::fmt::Debug for KeyRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the private JWK.
        f.debug_struct("KeyRow")
            .field("kid", &self.kid)
            .field("retired_at", &self.retired_at)
            .finish_non_exhaustive()
    }
}

/// Every stored signing key, newest first.
pub async fn signing_keys(c: &mut AnyConnection) -> Result<Vec<KeyRow>> {
    let rows = sqlx::query(
        "SELECT kid, private_jwk, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid",
    )
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(KeyRow {
                kid: r.try_get(0)?,
                private_jwk: r.try_get(1)?,
                created_at: r.try_get(2)?,
                retired_at: r.try_get(3)?,
            })
        })
        .collect()
}

/// Retires the current key(s) at `now`, drops keys retired before
/// `forget_before`, and stores a new current key.
pub async fn rotate_keys(
    c: &mut AnyConnection,
    new: &KeyRow,
    now: i64,
    forget_before: i64,
) -> Result<()> {
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(now)
        .execute(&mut *c)
        .await?;
    sqlx::query("DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1")
        .bind(forget_before)
        .execute(&mut *c)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_jwk, created_at, retired_at) VALUES ($1, $2, $3, NULL)",
    )
    .bind(&new.kid)
    .bind(&new.private_jwk)
    .bind(new.created_at)
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Stores an API key's hash and scopes.
pub async fn insert_api_key(
    c: &mut AnyConnection,
    hash: &str,
    prefix: &str,
    scopes: &str,
    now: i64,
) -> Result<()> {
    insert_api_key_with(c, hash, prefix, scopes, false, now).await
}

/// Stores an API key (its hash) with its scopes and whether its admin ops
/// must carry an actor token.
pub async fn insert_api_key_with(
    c: &mut AnyConnection,
    hash: &str,
    prefix: &str,
    scopes: &str,
    require_actor_token: bool,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (hash, prefix, scopes, created_at, require_actor_token) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(hash)
    .bind(prefix)
    .bind(scopes)
    .bind(now)
    .bind(i64::from(require_actor_token))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// The scopes of the API key with this hash, and whether its admin ops
/// must carry an actor token.
pub async fn api_key_scopes(c: &mut AnyConnection, hash: &str) -> Result<Option<(String, bool)>> {
    let row = sqlx::query("SELECT scopes, require_actor_token FROM api_keys WHERE hash = $1")
        .bind(hash)
        .fetch_optional(&mut *c)
        .await?;
    Ok(match row {
        Some(r) => Some((r.try_get(0)?, r.try_get::<i64, _>(1)? != 0)),
        None => None,
    })
}

/// An API key as operators see it: never its hash, never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKeyInfo {
    /// the key's first characters (`psk_` and six more), printed at creation
    pub prefix: String,
    /// comma-separated scopes
    pub scopes: String,
    /// when it was made, milliseconds since the epoch
    pub created_at: i64,
    /// its admin ops must carry the actor's own snapshot token
    pub require_actor_token: bool,
}

/// Every stored API key, oldest first.
pub async fn api_keys(c: &mut AnyConnection) -> Result<Vec<ApiKeyInfo>> {
    let rows =
        sqlx::query("SELECT prefix, scopes, created_at, require_actor_token FROM api_keys ORDER BY created_at, prefix")
            .fetch_all(&mut *c)
            .await?;
    rows.iter().map(|r| api_key_info(r, 0)).collect()
}

/// The prefix, scopes, creation time and actor-token flag in a row's
/// columns from `at` on.
fn api_key_info(r: &sqlx::any::AnyRow, at: usize) -> Result<ApiKeyInfo> {
    Ok(ApiKeyInfo {
        prefix: r.try_get(at)?,
        scopes: r.try_get(at + 1)?,
        created_at: r.try_get(at + 2)?,
        require_actor_token: r.try_get::<i64, _>(at + 3)? != 0,
    })
}

/// The hashes and infos of the keys this hash or prefix names.
pub async fn api_keys_named(
    c: &mut AnyConnection,
    hash: &str,
    prefix: &str,
) -> Result<Vec<(String, ApiKeyInfo)>> {
    let rows = sqlx::query(
        "SELECT hash, prefix, scopes, created_at, require_actor_token FROM api_keys \
         WHERE hash = $1 OR prefix = $2",
    )
    .bind(hash)
    .bind(prefix)
    .fetch_all(&mut *c)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get(0)?, api_key_info(r, 1)?)))
        .collect()
}

/// Forgets the API key with this hash.
pub async fn delete_api_key(c: &mut AnyConnection, hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM api_keys WHERE hash = $1")
        .bind(hash)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// One stored change event: a change that concerns `user` (or everyone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// increasing id (the SSE `id`)
    pub id: i64,
    /// the user it concerns; `None`: every user
    pub user: Option<String>,
    /// the directory version after the change
    pub version: i64,
    /// what happened: an admin op, `sso_create`, `sso_link`, `import`, `keys_rotate`
    pub cause: String,
    /// when (ms)
    pub at: i64,
}

/// Appends an event (inside a write transaction).
pub async fn insert_event(c: &mut AnyConnection, e: &EventRow) -> Result<()> {
    sqlx::query("INSERT INTO events (id, user_id, version, cause, at) VALUES ($1, $2, $3, $4, $5)")
        .bind(e.id)
        .bind(e.user.as_deref())
        .bind(e.version)
        .bind(&e.cause)
        .bind(e.at)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Records the last event id given (inside a write transaction).
pub async fn set_event_id(c: &mut AnyConnection, id: i64) -> Result<()> {
    sqlx::query("UPDATE meta SET event_id = $1 WHERE id = 1")
        .bind(id)
        .execute(&mut *c)
        .await?;
    Ok(())
}

/// Drops events older than `before` (ms).
pub async fn prune_events(c: &mut AnyConnection, before: i64) -> Result<()> {
    sqlx::query("DELETE FROM events WHERE at < $1")
        .bind(before)
        .execute(&mut *c)
        .await?;
    Ok(())
}

const EVENT_COLUMNS: &str = "SELECT id, user_id, version, cause, at FROM events";

fn event_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<EventRow>> {
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                id: r.try_get(0)?,
                user: r.try_get(1)?,
                version: r.try_get(2)?,
                cause: r.try_get(3)?,
                at: r.try_get(4)?,
            })
        })
        .collect()
}

/// Events after id `after`, oldest first, at most `limit`: every user's
/// (`user` `None`), or those concerning `user` (theirs and everyone's).
pub async fn events_after(
    c: &mut AnyConnection,
    after: i64,
    user: Option<&str>,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let rows = match user {
        None => {
            sqlx::query(&format!(
                "{EVENT_COLUMNS} WHERE id > $1 ORDER BY id LIMIT $2"
            ))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?
        }
        Some(u) => {
            let sql = format!(
                "{EVENT_COLUMNS} WHERE id > $1 AND (user_id = $2 OR user_id IS NULL) ORDER BY id LIMIT $3"
            );
            sqlx::query(&sql)
                .bind(after)
                .bind(u)
                .bind(limit)
                .fetch_all(&mut *c)
                .await?
        }
    };
    event_rows(&rows)
}

/// Events concerning `user` at or after `at` (ms), oldest first, at most `limit`.
pub async fn events_from(
    c: &mut AnyConnection,
    at: i64,
    user: &str,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let sql = format!(
        "{EVENT_COLUMNS} WHERE at >= $1 AND (user_id = $2 OR user_id IS NULL) ORDER BY id LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(at)
        .bind(user)
        .bind(limit)
        .fetch_all(&mut *c)
        .await?;
    event_rows(&rows)
}

/// Where the event log stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventBounds {
    /// the last event id ever given (0: none yet)
    pub last: i64,
    /// the oldest id still kept (`None`: none kept)
    pub oldest: Option<i64>,
    /// the directory version
    pub version: i64,
}

/// Reads the event log's bounds: the last id first, so that every event up
/// to it is visible to a read that follows.
pub async fn event_bounds(c: &mut AnyConnection) -> Result<EventBounds> {
    let r = sqlx::query("SELECT event_id, version FROM meta WHERE id = 1")
        .fetch_one(&mut *c)
        .await?;
    let (last, version) = (r.try_get(0)?, r.try_get(1)?);
    let oldest = sqlx::query("SELECT MIN(id) FROM events")
        .fetch_one(&mut *c)
        .await?
        .try_get(0)?;
    Ok(EventBounds {
        last,
        oldest,
        version,
    })
}
