//! Reading and writing the store's rows: the directory (labels, users,
//! identities, access entries), the recorded catalog, audit records, signing
//! keys and API keys. Plain SQL that SQLite and PostgreSQL read alike;
//! booleans are stored as 0/1, times as milliseconds.

use super::doc::{DirectoryDoc, IdentityDoc, LabelDoc, Status, UserDoc};
use super::error::{Result, ServerError};
use serde::Serialize;
use sqlx::{AnyConnection, Row};
use std::collections::HashSet;

/// The catalog a tenant runs on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
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

/// The meta row: the store's versions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    /// directory version: moves with every change of any tenant's directory
    pub version: i64,
    /// keys version
    pub keys_version: i64,
    /// the last change event id given
    pub event_id: i64,
}

/// Reads the meta row.
pub async fn meta(c: &mut AnyConnection) -> Result<Meta> {
    let r = sqlx::query("SELECT version, keys_version, event_id FROM meta WHERE id = 1")
        .fetch_one(&mut *c)
        .await?;
    Ok(Meta {
        version: r.try_get(0)?,
        keys_version: r.try_get(1)?,
        event_id: r.try_get(2)?,
    })
}

/// A tenant: one customer account, on one catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRecord {
    /// its id
    pub id: String,
    /// the catalog it runs on
    pub catalog: CatalogRecord,
    /// its default SSO config text
    pub sso_config: Option<String>,
    /// when it was made (ms)
    pub created_at: i64,
}

fn catalog_record(
    preset: Option<String>,
    text: Option<String>,
    file: Option<String>,
) -> Option<CatalogRecord> {
    match (preset, text) {
        (Some(p), _) => Some(CatalogRecord::Preset(p)),
        (None, Some(text)) => Some(CatalogRecord::Text {
            file: file.unwrap_or_default(),
            text,
        }),
        (None, None) => None,
    }
}

const TENANT_COLUMNS: &str =
    "SELECT id, catalog_preset, catalog_text, catalog_file, sso_config, created_at FROM tenants";

fn tenant_row(r: &sqlx::any::AnyRow) -> Result<TenantRecord> {
    let id: String = r.try_get(0)?;
    let catalog = catalog_record(r.try_get(1)?, r.try_get(2)?, r.try_get(3)?)
        .ok_or_else(|| corrupt("tenant", format!("`{id}` has no catalog")))?;
    Ok(TenantRecord {
        id,
        catalog,
        sso_config: r.try_get(4)?,
        created_at: r.try_get(5)?,
    })
}

/// One tenant, if the store has it.
pub async fn tenant(c: &mut AnyConnection, id: &str) -> Result<Option<TenantRecord>> {
    let row = sqlx::query(&format!("{TENANT_COLUMNS} WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut *c)
        .await?;
    row.as_ref().map(tenant_row).transpose()
}

/// Tenants in id order, at most `limit` after id `after`.
pub async fn tenants(c: &mut AnyConnection, after: &str, limit: i64) -> Result<Vec<TenantRecord>> {
    sqlx::query(&format!(
        "{TENANT_COLUMNS} WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(tenant_row)
    .collect()
}

/// Records a tenant's catalog and default SSO config (a new tenant, or a
/// new catalog for one).
pub async fn put_tenant(
    c: &mut AnyConnection,
    id: &str,
    catalog: &CatalogRecord,
    sso_config: Option<&str>,
    now: i64,
) -> Result<()> {
    let (preset, text, file) = match catalog {
        CatalogRecord::Preset(p) => (Some(p.as_str()), None, None),
        CatalogRecord::Text { file, text } => (None, Some(text.as_str()), Some(file.as_str())),
    };
    let updated = sqlx::query(
        "UPDATE tenants SET catalog_preset = $2, catalog_text = $3, catalog_file = $4, sso_config = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(preset)
    .bind(text)
    .bind(file)
    .bind(sso_config)
    .execute(&mut *c)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO tenants (id, catalog_preset, catalog_text, catalog_file, sso_config, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(preset)
        .bind(text)
        .bind(file)
        .bind(sso_config)
        .bind(now)
        .execute(&mut *c)
        .await?;
    }
    Ok(())
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> ServerError {
    ServerError::Corrupt(format!("{what}: {e}"))
}

/// A tenant's labels, in stored order.
pub async fn labels(c: &mut AnyConnection, tenant: &str) -> Result<Vec<LabelDoc>> {
    sqlx::query("SELECT id, name, suffix, qa, closed FROM labels WHERE tenant = $1 ORDER BY seq")
        .bind(tenant)
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
        .collect()
}

const USER_COLUMNS: &str =
    "SELECT id, seq, username, email, name, home_label, status, expires_at, owner, version FROM users";

fn user_row(r: &sqlx::any::AnyRow) -> Result<UserDoc> {
    user_parts(&r.try_get::<String, _>(0)?, r)
}

/// One user of a tenant with their identities and access entries, in one
/// statement (one round trip): the user's row, then their identities, then
/// their access entries, each an indexed lookup, whatever the store holds.
pub async fn user(c: &mut AnyConnection, tenant: &str, id: &str) -> Result<Option<UserDoc>> {
    const NULLS: &str = "CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS TEXT), \
                         CAST(NULL AS TEXT), CAST(NULL AS BIGINT), CAST(NULL AS BIGINT)";
    let sql = format!(
        "SELECT CAST(0 AS BIGINT), seq, username, email, name, home_label, status, expires_at, owner, version \
         FROM users WHERE tenant = $1 AND id = $2 \
         UNION ALL SELECT CAST(1 AS BIGINT), seq, iss, sub, {NULLS} \
         FROM identities WHERE tenant = $1 AND user_id = $2 \
         UNION ALL SELECT CAST(2 AS BIGINT), label, entry, CAST(NULL AS TEXT), {NULLS} \
         FROM access WHERE tenant = $1 AND user_id = $2 \
         ORDER BY 1, 2"
    );
    let rows = sqlx::query(&sql)
        .bind(tenant)
        .bind(id)
        .fetch_all(&mut *c)
        .await?;
    let mut user: Option<UserDoc> = None;
    for r in &rows {
        match (r.try_get::<i64, _>(0)?, user.as_mut()) {
            (0, _) => user = Some(user_parts(id, r)?),
            (1, Some(u)) => u.identities.push(IdentityDoc {
                iss: r.try_get(2)?,
                sub: r.try_get(3)?,
            }),
            (2, Some(u)) => {
                let label: i64 = r.try_get(1)?;
                let entry: String = r.try_get(2)?;
                let entry = serde_json::from_str(&entry).map_err(|e| corrupt("access entry", e))?;
                u.access.insert(label.to_string(), entry);
            }
            _ => return Err(corrupt("user", format!("rows of `{id}` without the user"))),
        }
    }
    Ok(user)
}

/// A user row whose columns 1 to 9 are `seq` to `version` (as
/// [`USER_COLUMNS`] and [`user`]'s statement write them).
fn user_parts(id: &str, r: &sqlx::any::AnyRow) -> Result<UserDoc> {
    let status: String = r.try_get(6)?;
    Ok(UserDoc {
        id: id.to_string(),
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
        version: r.try_get(9)?,
    })
}

async fn fill_user(c: &mut AnyConnection, tenant: &str, u: &mut UserDoc) -> Result<()> {
    for r in sqlx::query(
        "SELECT iss, sub FROM identities WHERE tenant = $1 AND user_id = $2 ORDER BY seq",
    )
    .bind(tenant)
    .bind(&u.id)
    .fetch_all(&mut *c)
    .await?
    {
        u.identities.push(IdentityDoc {
            iss: r.try_get(0)?,
            sub: r.try_get(1)?,
        });
    }
    for r in sqlx::query(
        "SELECT label, entry FROM access WHERE tenant = $1 AND user_id = $2 ORDER BY label",
    )
    .bind(tenant)
    .bind(&u.id)
    .fetch_all(&mut *c)
    .await?
    {
        let label: i64 = r.try_get(0)?;
        let entry: String = r.try_get(1)?;
        let entry = serde_json::from_str(&entry).map_err(|e| corrupt("access entry", e))?;
        u.access.insert(label.to_string(), entry);
    }
    Ok(())
}

/// Ids of a tenant's users with this id, username or email (ASCII case
/// folded, as the rules compare them): who a new or edited user could clash with.
pub async fn users_clashing(
    c: &mut AnyConnection,
    tenant: &str,
    id: Option<&str>,
    username: Option<&str>,
    email: Option<&str>,
) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    if let Some(id) = id {
        ids.extend(user_ids(c, "WHERE tenant = $1 AND id = $2", tenant, id).await?);
    }
    if let Some(n) = username {
        let n = n.to_ascii_lowercase();
        ids.extend(user_ids(c, "WHERE tenant = $1 AND username_lc = $2", tenant, &n).await?);
    }
    if let Some(e) = email {
        let e = e.to_ascii_lowercase();
        ids.extend(user_ids(c, "WHERE tenant = $1 AND email_lc = $2", tenant, &e).await?);
    }
    ids.sort();
    ids.dedup();
    Ok(ids)
}

async fn user_ids(
    c: &mut AnyConnection,
    filter: &str,
    tenant: &str,
    value: &str,
) -> Result<Vec<String>> {
    sqlx::query(&format!(
        "SELECT id FROM users {filter} ORDER BY seq LIMIT 16"
    ))
    .bind(tenant)
    .bind(value)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

/// The ids of the users holding the identity `(iss, sub)` (at most one in a
/// valid store).
pub async fn users_with_identity(
    c: &mut AnyConnection,
    tenant: &str,
    iss: &str,
    sub: &str,
) -> Result<Vec<String>> {
    sqlx::query(
        "SELECT DISTINCT user_id FROM identities WHERE tenant = $1 AND iss = $2 AND sub = $3",
    )
    .bind(tenant)
    .bind(iss)
    .bind(sub)
    .fetch_all(&mut *c)
    .await?
    .iter()
    .map(|r| Ok(r.try_get(0)?))
    .collect()
}

/// A page of a tenant's users in stored order, after ordering key `after`.
pub async fn users_page(
    c: &mut AnyConnection,
    tenant: &str,
    after: i64,
    limit: i64,
) -> Result<Vec<UserDoc>> {
    let rows = sqlx::query(&format!(
        "{USER_COLUMNS} WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    ))
    .bind(tenant)
    .bind(after)
    .bind(limit)
    .fetch_all(&mut *c)
    .await?;
    let mut users = rows.iter().map(user_row).collect::<Result<Vec<_>>>()?;
    for u in &mut users {
        fill_user(c, tenant, u).await?;
    }
    Ok(users)
}

/// Reads a tenant's whole directory, in stored order (export and the demo's
/// user list; never on the API's request path).
pub async fn load_directory(c: &mut AnyConnection, tenant: &str) -> Result<DirectoryDoc> {
    let labels = labels(c, tenant).await?;
    let mut users = Vec::new();
    let mut after = i64::MIN;
    loop {
        let page = users_page(c, tenant, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = last.seq;
        users.extend(page);
    }
    Ok(DirectoryDoc { labels, users })
}

/// The next ordering key for a new user of a tenant.
pub async fn next_user_seq(c: &mut AnyConnection, tenant: &str) -> Result<i64> {
    let r = sqlx::query("SELECT MAX(seq) FROM users WHERE tenant = $1")
        .bind(tenant)
        .fetch_one(&mut *c)
        .await?;
    Ok(r.try_get::<Option<i64>, _>(0)?.unwrap_or(0) + 1)
}

/// Empties a tenant's directory (labels, users, identities, access).
pub async fn clear_directory(c: &mut AnyConnection, tenant: &str) -> Result<()> {
    for table in ["access", "identities", "users", "labels"] {
        sqlx::query(&format!("DELETE FROM {table} WHERE tenant = $1"))
            .bind(tenant)
            .execute(&mut *c)
            .await?;
    }
    Ok(())
}

/// Adds one label to a tenant's directory at position `seq`.
pub async fn insert_label(
    c: &mut AnyConnection,
    tenant: &str,
    seq: i64,
    l: &LabelDoc,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO labels (tenant, id, seq, name, suffix, qa, closed) VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant)
    .bind(l.id as i64)
    .bind(seq)
    .bind(&l.name)
    .bind(&l.suffix)
    .bind(i64::from(l.qa))
    .bind(i64::from(l.closed))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// Adds one user (all its rows) to a tenant's directory, keeping its
/// ordering key and version.
pub async fn insert_user(c: &mut AnyConnection, tenant: &str, u: &UserDoc) -> Result<()> {
    insert_users(c, tenant, std::slice::from_ref(u), u.seq, u.version).await
}

/// Which of these user ids and (ASCII-lowercased) usernames a tenant's
/// users already hold.
pub async fn taken(
    c: &mut AnyConnection,
    tenant: &str,
    ids: &[&str],
    usernames: &[String],
) -> Result<(HashSet<String>, HashSet<String>)> {
    let mut out = (HashSet::new(), HashSet::new());
    for (column, values, set) in [
        (
            "id",
            ids.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            &mut out.0,
        ),
        ("username_lc", usernames.to_vec(), &mut out.1),
    ] {
        for part in values.chunks(500) {
            let marks: Vec<String> = (0..part.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {column} FROM users WHERE tenant = $1 AND {column} IN ({})",
                marks.join(", ")
            );
            let mut q = sqlx::query(&sql).bind(tenant);
            for v in part {
                q = q.bind(v);
            }
            for r in q.fetch_all(&mut *c).await? {
                set.insert(r.try_get(0)?);
            }
        }
    }
    Ok(out)
}

/// A multi-row `INSERT` of `rows` rows of `columns` columns, `$1` being the tenant.
fn insert_sql(table: &str, columns: &[&str], rows: usize) -> String {
    let width = columns.len();
    let values: Vec<String> = (0..rows)
        .map(|r| {
            let marks: Vec<String> = (0..width)
                .map(|c| format!("${}", 2 + r * width + c))
                .collect();
            format!("($1, {})", marks.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO {table} (tenant, {}) VALUES {}",
        columns.join(", "),
        values.join(", ")
    )
}

/// Adds many users (all their rows) to a tenant in a few multi-row
/// statements; the `k`-th gets ordering key `first_seq + k` and `version`.
pub async fn insert_users(
    c: &mut AnyConnection,
    tenant: &str,
    users: &[UserDoc],
    first_seq: i64,
    version: i64,
) -> Result<()> {
    const COLUMNS: [&str; 12] = [
        "id",
        "seq",
        "version",
        "username",
        "username_lc",
        "email",
        "email_lc",
        "name",
        "home_label",
        "status",
        "expires_at",
        "owner",
    ];
    for (part_no, part) in users.chunks(250).enumerate() {
        let sql = insert_sql("users", &COLUMNS, part.len());
        let mut q = sqlx::query(&sql).bind(tenant);
        for (k, u) in part.iter().enumerate() {
            let seq = first_seq + (part_no * 250 + k) as i64;
            q = q
                .bind(&u.id)
                .bind(seq)
                .bind(version)
                .bind(&u.username)
                .bind(u.username.to_ascii_lowercase())
                .bind(&u.email)
                .bind(u.email.to_ascii_lowercase())
                .bind(&u.name)
                .bind(u.home_label as i64)
                .bind(u.status.as_str())
                .bind(u.expires_at.as_deref())
                .bind(i64::from(u.owner));
        }
        q.execute(&mut *c).await?;
    }
    let identities: Vec<(&str, i64, &str, &str)> = users
        .iter()
        .flat_map(|u| {
            u.identities
                .iter()
                .enumerate()
                .map(move |(i, id)| (u.id.as_str(), i as i64, id.iss.as_str(), id.sub.as_str()))
        })
        .collect();
    for part in identities.chunks(500) {
        let sql = insert_sql("identities", &["user_id", "seq", "iss", "sub"], part.len());
        let mut q = sqlx::query(&sql).bind(tenant);
        for (user, seq, iss, sub) in part {
            q = q.bind(*user).bind(*seq).bind(*iss).bind(*sub);
        }
        q.execute(&mut *c).await?;
    }
    insert_access(c, tenant, users).await
}

/// The access rows of these users, in multi-row statements.
async fn insert_access(c: &mut AnyConnection, tenant: &str, users: &[UserDoc]) -> Result<()> {
    let mut access: Vec<(&str, i64, String)> = Vec::new();
    for u in users {
        for (label, entry) in &u.access {
            let label: i64 = label
                .parse()
                .map_err(|_| ServerError::bad("wrong_type", "a label id is a number", None))?;
            access.push((u.id.as_str(), label, entry.to_string()));
        }
    }
    for part in access.chunks(500) {
        let sql = insert_sql("access", &["user_id", "label", "entry"], part.len());
        let mut q = sqlx::query(&sql).bind(tenant);
        for (user, label, entry) in part {
            q = q.bind(*user).bind(*label).bind(entry.as_str());
        }
        q.execute(&mut *c).await?;
    }
    Ok(())
}

/// Writes one user of a tenant as `u` says, or deletes it when `u` is
/// `None`. `before` is the user as stored (`None`: a new user): only the
/// parts that moved are written (an access edit rewrites the access rows
/// and the user's version, not the identities).
pub async fn write_user(
    c: &mut AnyConnection,
    tenant: &str,
    id: &str,
    before: Option<&UserDoc>,
    u: Option<&UserDoc>,
) -> Result<()> {
    let (Some(old), Some(new)) = (before, u) else {
        return replace_user(c, tenant, id, u).await;
    };
    let same_row = |a: &UserDoc, b: &UserDoc| {
        (
            &a.username,
            &a.email,
            &a.name,
            a.home_label,
            a.status,
            &a.expires_at,
            a.owner,
            a.seq,
        ) == (
            &b.username,
            &b.email,
            &b.name,
            b.home_label,
            b.status,
            &b.expires_at,
            b.owner,
            b.seq,
        )
    };
    if !same_row(old, new) || old.identities != new.identities {
        return replace_user(c, tenant, id, u).await;
    }
    sqlx::query("UPDATE users SET version = $3 WHERE tenant = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .bind(new.version)
        .execute(&mut *c)
        .await?;
    if old.access != new.access {
        sqlx::query("DELETE FROM access WHERE tenant = $1 AND user_id = $2")
            .bind(tenant)
            .bind(id)
            .execute(&mut *c)
            .await?;
        insert_access(c, tenant, std::slice::from_ref(new)).await?;
    }
    Ok(())
}

/// Deletes a user's rows and, when `u` is given, writes them anew.
async fn replace_user(
    c: &mut AnyConnection,
    tenant: &str,
    id: &str,
    u: Option<&UserDoc>,
) -> Result<()> {
    for table in ["access", "identities"] {
        sqlx::query(&format!(
            "DELETE FROM {table} WHERE tenant = $1 AND user_id = $2"
        ))
        .bind(tenant)
        .bind(id)
        .execute(&mut *c)
        .await?;
    }
    sqlx::query("DELETE FROM users WHERE tenant = $1 AND id = $2")
        .bind(tenant)
        .bind(id)
        .execute(&mut *c)
        .await?;
    match u {
        Some(u) => insert_user(c, tenant, u).await,
        None => Ok(()),
    }
}

/// One audit record.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditRecord {
    /// increasing id
    pub id: i64,
    /// the tenant it concerns
    pub tenant: String,
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
    // The next id and the insert in one statement (writers hold the
    // version row, so no other takes the same id).
    let row = sqlx::query(
        "INSERT INTO audit (id, at, actor, action, target, allowed, reason, version, detail, tenant) \
         SELECT COALESCE(MAX(id), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9 FROM audit RETURNING id",
    )
    .bind(at_ms)
    .bind(&r.actor)
    .bind(&r.action)
    .bind(r.target.as_deref())
    .bind(i64::from(r.allowed))
    .bind(&r.reason)
    .bind(r.version)
    .bind(r.detail.to_string())
    .bind(&r.tenant)
    .fetch_one(&mut *c)
    .await?;
    Ok(row.try_get(0)?)
}

/// Which audit records to read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// the tenant
    pub tenant: String,
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
        "SELECT id, at, actor, action, target, allowed, reason, version, detail, tenant FROM audit \
         WHERE tenant = $4 AND ($1 = '' OR actor = $1 OR target = $1) AND at >= $2 ORDER BY id {order} LIMIT $3"
    );
    let rows = sqlx::query(&sql)
        .bind(f.user.clone().unwrap_or_default())
        .bind(f.since_ms.unwrap_or(i64::MIN))
        .bind(f.limit)
        .bind(&f.tenant)
        .fetch_all(&mut *c)
        .await?;
    let mut out = rows
        .iter()
        .map(|r| {
            let detail: String = r.try_get(8)?;
            Ok(AuditRecord {
                id: r.try_get(0)?,
                tenant: r.try_get(9)?,
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

/// An API key to store: its hash, the prefix operators see, its scopes,
/// the tenant it is bound to (`None`: every tenant) and whether its admin
/// ops must carry the actor's own snapshot token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApiKey<'a> {
    /// SHA-256 of the key
    pub hash: &'a str,
    /// `psk_` and six characters
    pub prefix: &'a str,
    /// comma-separated scopes
    pub scopes: &'a str,
    /// the one tenant it is good for; `None`: every tenant
    pub tenant: Option<&'a str>,
    /// its admin ops must carry an `actor_token`
    pub require_actor_token: bool,
}

/// Stores an API key (its hash, never the key).
pub async fn insert_api_key(c: &mut AnyConnection, k: &NewApiKey<'_>, now: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO api_keys (hash, prefix, scopes, created_at, tenant, require_actor_token) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(k.hash)
    .bind(k.prefix)
    .bind(k.scopes)
    .bind(now)
    .bind(k.tenant)
    .bind(i64::from(k.require_actor_token))
    .execute(&mut *c)
    .await?;
    Ok(())
}

/// What a stored API key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGrant {
    /// comma-separated scopes
    pub scopes: String,
    /// the tenant it is bound to; `None`: every tenant
    pub tenant: Option<String>,
    /// its admin ops must carry an `actor_token`
    pub require_actor_token: bool,
}

/// What the API key with this hash may do, if it is stored.
pub async fn api_key_grant(c: &mut AnyConnection, hash: &str) -> Result<Option<StoredGrant>> {
    let row =
        sqlx::query("SELECT scopes, tenant, require_actor_token FROM api_keys WHERE hash = $1")
            .bind(hash)
            .fetch_optional(&mut *c)
            .await?;
    Ok(match row {
        Some(r) => Some(StoredGrant {
            scopes: r.try_get(0)?,
            tenant: r.try_get(1)?,
            require_actor_token: r.try_get::<i64, _>(2)? != 0,
        }),
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
    /// the one tenant it is good for; `null`: every tenant (`--all-tenants`)
    pub tenant: Option<String>,
    /// its admin ops must carry the actor's own snapshot token
    pub require_actor_token: bool,
}

const KEY_INFO: &str = "prefix, scopes, created_at, tenant, require_actor_token";

/// Every stored API key, oldest first.
pub async fn api_keys(c: &mut AnyConnection) -> Result<Vec<ApiKeyInfo>> {
    let sql = format!("SELECT {KEY_INFO} FROM api_keys ORDER BY created_at, prefix");
    let rows = sqlx::query(&sql).fetch_all(&mut *c).await?;
    rows.iter().map(|r| api_key_info(r, 0)).collect()
}

/// The prefix, scopes, creation time, tenant and actor-token flag in a
/// row's columns from `at` on.
fn api_key_info(r: &sqlx::any::AnyRow, at: usize) -> Result<ApiKeyInfo> {
    Ok(ApiKeyInfo {
        prefix: r.try_get(at)?,
        scopes: r.try_get(at + 1)?,
        created_at: r.try_get(at + 2)?,
        tenant: r.try_get(at + 3)?,
        require_actor_token: r.try_get::<i64, _>(at + 4)? != 0,
    })
}

/// The hashes and infos of the keys this hash or prefix names.
pub async fn api_keys_named(
    c: &mut AnyConnection,
    hash: &str,
    prefix: &str,
) -> Result<Vec<(String, ApiKeyInfo)>> {
    let sql = format!("SELECT hash, {KEY_INFO} FROM api_keys WHERE hash = $1 OR prefix = $2");
    let rows = sqlx::query(&sql)
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
    /// the tenant it concerns; `None`: every tenant (a key rotation)
    pub tenant: Option<String>,
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
    sqlx::query(
        "INSERT INTO events (id, user_id, version, cause, at, tenant) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(e.id)
        .bind(e.user.as_deref())
        .bind(e.version)
        .bind(&e.cause)
        .bind(e.at)
        .bind(e.tenant.as_deref())
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

const EVENT_COLUMNS: &str = "SELECT id, user_id, version, cause, at, tenant FROM events";

fn event_rows(rows: &[sqlx::any::AnyRow]) -> Result<Vec<EventRow>> {
    rows.iter()
        .map(|r| {
            Ok(EventRow {
                id: r.try_get(0)?,
                user: r.try_get(1)?,
                version: r.try_get(2)?,
                cause: r.try_get(3)?,
                at: r.try_get(4)?,
                tenant: r.try_get(5)?,
            })
        })
        .collect()
}

/// Whose events a stream reads: one user of one tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Whose<'a> {
    /// the tenant
    pub tenant: &'a str,
    /// the user
    pub user: &'a str,
}

const CONCERNS: &str = "(tenant = $2 OR tenant IS NULL) AND (user_id = $3 OR user_id IS NULL)";

/// Events after id `after`, oldest first, at most `limit`: every tenant's
/// and user's (`whose` `None`), or those concerning one user of one tenant
/// (theirs, their tenant's and everyone's).
pub async fn events_after(
    c: &mut AnyConnection,
    after: i64,
    whose: Option<Whose<'_>>,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let rows = match whose {
        None => {
            sqlx::query(&format!(
                "{EVENT_COLUMNS} WHERE id > $1 ORDER BY id LIMIT $2"
            ))
            .bind(after)
            .bind(limit)
            .fetch_all(&mut *c)
            .await?
        }
        Some(w) => {
            let sql = format!("{EVENT_COLUMNS} WHERE id > $1 AND {CONCERNS} ORDER BY id LIMIT $4");
            sqlx::query(&sql)
                .bind(after)
                .bind(w.tenant)
                .bind(w.user)
                .bind(limit)
                .fetch_all(&mut *c)
                .await?
        }
    };
    event_rows(&rows)
}

/// Events concerning one user at or after `at` (ms), oldest first, at most `limit`.
pub async fn events_from(
    c: &mut AnyConnection,
    at: i64,
    whose: Whose<'_>,
    limit: i64,
) -> Result<Vec<EventRow>> {
    let sql = format!("{EVENT_COLUMNS} WHERE at >= $1 AND {CONCERNS} ORDER BY id LIMIT $4");
    let rows = sqlx::query(&sql)
        .bind(at)
        .bind(whose.tenant)
        .bind(whose.user)
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
