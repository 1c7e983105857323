//! What changes the store: admin ops and SSO outcomes (decided and applied
//! in one write transaction on current data), import, API keys and key
//! rotation. Each change bumps a version and writes an audit record in the
//! same transaction.

use super::db::{Db, WriteTx};
use super::doc::{self, DirectoryDoc, IdentityDoc, OpRequest, UserDoc};
use super::error::{Result, ServerError};
use super::hub::{self, Change};
use super::keys::{self, Scope};
use super::model::{self, SsoAnswer};
use super::state::{catalog_of, App, TenantView, UserView, DEFAULT_TENANT};
use super::store::{self, AuditRecord, CatalogRecord};
use serde_json::{json, Value};
use std::sync::Arc;

/// An applied admin op.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// the admin reason (`allowed`)
    pub reason: &'static str,
    /// its sentence
    pub message: &'static str,
    /// the directory version after the change
    pub version: i64,
    /// the audit record's id
    pub audit_id: i64,
}

fn record(
    tenant: &str,
    actor: &str,
    action: &str,
    target: Option<&str>,
    version: i64,
    detail: Value,
) -> AuditRecord {
    AuditRecord {
        id: 0,
        tenant: tenant.to_string(),
        at: String::new(),
        actor: actor.to_string(),
        action: action.to_string(),
        target: target.map(str::to_string),
        allowed: true,
        reason: "allowed".into(),
        version,
        detail,
    }
}

/// Records a refused admin op (nothing else changes), commits, and returns
/// the error to answer.
async fn refuse(
    mut w: WriteTx<'_>,
    tenant: &str,
    actor: &str,
    op: &OpRequest,
    detail: Value,
    error: ServerError,
    now: i64,
) -> Result<ServerError> {
    let mut r = record(
        tenant,
        actor,
        op.name(),
        Some(op.target()),
        w.version,
        detail,
    );
    r.allowed = false;
    r.reason = error.code().to_string();
    store::insert_audit(&mut w.tx, &r, now).await?;
    w.commit().await?;
    Ok(error)
}

/// The text the library reads for `op` (the vector-file shape; the
/// username is the store's business, the email the library checks too).
fn library_op_text(op: &OpRequest, raw: &Value) -> String {
    match op {
        OpRequest::EditProfile { target, email, .. } => {
            json!({"op": "edit_profile", "target": target, "email": email}).to_string()
        }
        _ => raw.to_string(),
    }
}

/// These users of a tenant (those that exist), in the given order, from
/// the caches (current: the caller holds the write lock and synced them).
async fn cached_users(app: &App, t: &TenantView, ids: &[String]) -> Result<Vec<Arc<UserView>>> {
    let mut users: Vec<Arc<UserView>> = Vec::new();
    for id in ids {
        if users.iter().any(|u| &u.doc.id == id) {
            continue;
        }
        if let Some(u) = app.user(t, id).await? {
            users.push(u);
        }
    }
    Ok(users)
}

/// Reads these users of a tenant (those that exist), in the given order.
async fn read_users(
    c: &mut sqlx::AnyConnection,
    tenant: &str,
    ids: &[String],
) -> Result<Vec<UserDoc>> {
    let mut users: Vec<UserDoc> = Vec::new();
    for id in ids {
        if users.iter().any(|u| &u.id == id) {
            continue;
        }
        if let Some(u) = store::user(c, tenant, id).await? {
            users.push(u);
        }
    }
    Ok(users)
}

/// The users an admin op's decision and application read: the actor, the
/// target, and whoever holds the id, username or email it would give.
async fn involved(
    app: &App,
    c: &mut sqlx::AnyConnection,
    t: &TenantView,
    actor: &str,
    op: &OpRequest,
) -> Result<Vec<Arc<UserView>>> {
    let tenant = t.id();
    let mut ids = vec![actor.to_string(), op.target().to_string()];
    let clash = match op {
        OpRequest::CreateUser { user } => {
            let (id, name, email) = (
                Some(user.id.as_str()),
                Some(user.username.as_str()),
                Some(user.email.as_str()),
            );
            store::users_clashing(c, tenant, id, name, email).await?
        }
        OpRequest::EditProfile {
            email, username, ..
        } => store::users_clashing(c, tenant, None, username.as_deref(), email.as_deref()).await?,
        _ => Vec::new(),
    };
    ids.extend(clash);
    cached_users(app, t, &ids).await
}

/// Decides `op` by `actor` on current data of `tenant` and, when the rules
/// allow it (and the target is at `expect_version`, when given), applies
/// it, all in one transaction. It reads the actor, the target, the users
/// the op could clash with and the tenant's labels, never more; `raw` is
/// the op as received (without `actor`): it is what the audit record keeps.
pub async fn admin(
    app: &App,
    tenant: &str,
    actor: &str,
    op: &OpRequest,
    raw: &Value,
    expect_version: Option<i64>,
) -> Result<Applied> {
    let mut w = app.db.begin_write().await?;
    let now = app.now(); // read under the lock: no decision on a stale clock either
    let t = app.locked_tenant(w.event_id, tenant).await?;
    let views = involved(app, &mut w.tx, &t, actor, op).await?;
    let target = op.target();
    let stored = views
        .iter()
        .find(|u| u.doc.id == target)
        .map(|u| u.doc.version);
    if let Some(expected) = expect_version.filter(|e| *e != stored.unwrap_or(0)) {
        let error = ServerError::VersionConflict {
            user: target.to_string(),
            expected,
            actual: stored.unwrap_or(0),
        };
        return Err(refuse(w, tenant, actor, op, raw.clone(), error, now).await?);
    }
    // The users as the library loaded them when they were cached: no
    // parsing again for the decision.
    let model = t.model_with(views.iter().map(|v| v.loaded()).collect::<Result<_>>()?)?;
    let users: Vec<UserDoc> = views.iter().map(|v| v.doc.clone()).collect();
    let lib_op = model::admin_op(&library_op_text(op, raw), &t.catalog.catalog)?;
    let answer = model::admin(&model, actor, &lib_op, now);
    if !answer.allowed {
        let error = ServerError::Denied {
            code: answer.reason,
            message: answer.message.to_string(),
        };
        return Err(refuse(w, tenant, actor, op, raw.clone(), error, now).await?);
    }
    let mut next = DirectoryDoc {
        labels: t.labels.clone(),
        users,
    };
    if let Err(e) = next.apply(op) {
        return match e {
            e @ ServerError::Denied { .. } => {
                Err(refuse(w, tenant, actor, op, raw.clone(), e, now).await?)
            }
            other => Err(other),
        };
    }
    let seq = match op {
        OpRequest::CreateUser { .. } => Some(store::next_user_seq(&mut w.tx, tenant).await?),
        _ => None,
    };
    // A user's version is the directory version of their last change:
    // it only grows, and a deleted id made again never repeats one.
    let version = w.version + 1;
    let written = next.users.iter_mut().find(|u| u.id == target).map(|u| {
        u.version = version;
        u.seq = seq.unwrap_or(u.seq);
        u.clone()
    });
    // The library validates the result: the one user the change wrote.
    t.model_of(written.iter().cloned().collect())?;
    let before = views.iter().map(|v| &v.doc).find(|u| u.id == target);
    store::write_user(&mut w.tx, tenant, target, before, written.as_ref()).await?;
    // An op changes what its target holds, and no one else's snapshot.
    hub::record(
        &mut w,
        version,
        &[Change::of(tenant, target, op.name())],
        now,
    )
    .await?;
    let audit = record(tenant, actor, op.name(), Some(target), version, raw.clone());
    let audit_id = commit_change(app, w, version, audit, now).await?;
    Ok(Applied {
        reason: answer.reason,
        message: answer.message,
        version,
        audit_id,
    })
}

/// Bumps the version, audits, commits, drops this instance's cached view of
/// the user the change concerns (the audit record's target), and wakes the
/// events pump.
async fn commit_change(
    app: &App,
    mut w: WriteTx<'_>,
    version: i64,
    audit: AuditRecord,
    now: i64,
) -> Result<i64> {
    w.set_version(version).await?;
    let audit_id = store::insert_audit(&mut w.tx, &audit, now).await?;
    let events = w.events_written();
    w.commit().await?;
    app.applied_own(events);
    app.forget(Some(&audit.tenant), audit.target.as_deref());
    app.events.wake();
    Ok(audit_id)
}

/// The login fields the store needs (the library reads the login itself).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct LoginFields {
    /// provider
    pub provider: String,
    /// issuer
    pub iss: String,
    /// subject
    pub sub: String,
    /// email
    pub email: String,
    /// whether verified
    pub email_verified: bool,
}

/// An SSO login's answer, after any change was stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsoResult {
    /// the outcome
    pub answer: SsoAnswer,
    /// the user logged in (matched or created)
    pub user: Option<String>,
}

fn needs_write(a: &SsoAnswer) -> bool {
    matches!(
        a,
        SsoAnswer::Created { .. } | SsoAnswer::Matched { linked: true, .. }
    )
}

/// The users an SSO decision reads: the identity's holder, the users with
/// the login's email, and (when the answer creates a user) the holders of
/// the usernames it tried, read until the one it picks is free.
async fn decide_sso(
    c: &mut sqlx::AnyConnection,
    t: &TenantView,
    config: Option<&str>,
    login_text: &str,
    login: &LoginFields,
    now: i64,
) -> Result<(SsoAnswer, Vec<UserDoc>)> {
    let config = config.or(t.record.sso_config.as_deref()).ok_or_else(|| {
        ServerError::bad(
            "missing_field",
            "no `config` in the request and no SSO config in the store",
            Some("config".into()),
        )
    })?;
    let cfg = model::sso_config(config)?;
    let lib_login = model::login(login_text)?;
    let tenant = t.id();
    let mut ids = store::users_with_identity(c, tenant, &login.iss, &login.sub).await?;
    if login.email.is_ascii() {
        let email = login.email.to_ascii_lowercase();
        ids.extend(store::users_clashing(c, tenant, None, None, Some(&email)).await?);
    }
    let mut users = read_users(c, tenant, &ids).await?;
    for _ in 0..MAX_USERNAME_TRIES {
        let answer = model::sso(&t.model_of(users.clone())?, &cfg, &lib_login, now);
        let SsoAnswer::Created { username, .. } = &answer else {
            return Ok((answer, users));
        };
        let holders = store::users_clashing(c, tenant, None, Some(username), None).await?;
        let known = |id: &String| users.iter().any(|u| &u.id == id);
        if holders.iter().all(known) {
            return Ok((answer, users));
        }
        users.extend(read_users(c, tenant, &holders).await?);
    }
    Err(ServerError::Busy)
}

/// How many taken usernames an SSO creation reads before giving up.
const MAX_USERNAME_TRIES: usize = 64;

/// Decides an SSO login for `tenant`; a `created` user or a newly linked
/// identity is stored (decided again under the write lock, on current data).
pub async fn sso(
    app: &App,
    tenant: &str,
    config: Option<&str>,
    login_text: &str,
    login: &LoginFields,
) -> Result<SsoResult> {
    let now = app.now();
    let t = app.tenant(tenant).await?;
    let mut conn = app.db.pool.acquire().await?;
    let (first, _) = decide_sso(&mut conn, &t, config, login_text, login, now).await?;
    drop(conn);
    if !needs_write(&first) {
        let user = match &first {
            SsoAnswer::Matched { user, .. } => Some(user.clone()),
            _ => None,
        };
        return Ok(SsoResult {
            answer: first,
            user,
        });
    }
    apply_sso(app, tenant, config, login_text, login).await
}

/// The write half of [`sso`]: decides again under the write lock and
/// stores a created user or a linked identity.
async fn apply_sso(
    app: &App,
    tenant: &str,
    config: Option<&str>,
    login_text: &str,
    login: &LoginFields,
) -> Result<SsoResult> {
    let mut w = app.db.begin_write().await?;
    let now = app.now();
    let t = app.read_tenant(&mut w.tx, tenant).await?;
    let (answer, users) = decide_sso(&mut w.tx, &t, config, login_text, login, now).await?;
    let identity = IdentityDoc {
        iss: login.iss.clone(),
        sub: login.sub.clone(),
    };
    let mut next = DirectoryDoc {
        labels: t.labels.clone(),
        users,
    };
    let version = w.version + 1;
    let (user, action) = match &answer {
        SsoAnswer::Created {
            username,
            home_label,
            labels,
            role,
        } => {
            let id = keys::random_user_id()?;
            let email = login.email.clone();
            let mut u = doc::sso_user(
                id.clone(),
                username.clone(),
                email,
                *home_label,
                labels,
                role,
                identity,
            );
            u.seq = store::next_user_seq(&mut w.tx, tenant).await?;
            next.users.push(u);
            (id, "sso_create")
        }
        SsoAnswer::Matched { user, linked: true } => {
            next.link_identity(user, identity)?;
            (user.clone(), "sso_link")
        }
        SsoAnswer::Matched { user, .. } => {
            let user = Some(user.clone());
            return Ok(SsoResult { answer, user });
        }
        _ => return Ok(SsoResult { answer, user: None }),
    };
    let written = next.users.iter_mut().find(|u| u.id == user).map(|u| {
        u.version = version;
        u.clone()
    });
    // The library validates the result: the one user the change wrote.
    t.model_of(written.iter().cloned().collect())?;
    store::write_user(&mut w.tx, tenant, &user, None, written.as_ref()).await?;
    hub::record(&mut w, version, &[Change::of(tenant, &user, action)], now).await?;
    let detail = json!({"provider": login.provider, "iss": login.iss, "sub": login.sub});
    let audit = record(tenant, "sso", action, Some(&user), version, detail);
    commit_change(app, w, version, audit, now).await?;
    Ok(SsoResult {
        answer,
        user: Some(user),
    })
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// the catalog id
    pub catalog: String,
    /// labels imported
    pub labels: usize,
    /// users imported
    pub users: usize,
    /// the directory version after it
    pub version: i64,
}

/// Makes a new tenant on a catalog, with an empty directory (`import
/// --tenant` fills it) and optionally a default SSO config. Refused when
/// the id is taken (`tenant_exists`).
pub async fn tenant_create(
    db: &Db,
    tenant: &str,
    catalog: CatalogRecord,
    sso_config: Option<&str>,
    now: i64,
) -> Result<store::TenantRecord> {
    keys::check_tenant_id(tenant)?;
    let parsed = catalog_of(&catalog)?;
    if let Some(text) = sso_config {
        let m = model::model(&parsed, r#"{"labels":[],"users":[]}"#)?;
        if let Some(code) = model::sso_config_problem(&m, &model::sso_config(text)?) {
            let msg =
                "the SSO config does not fit the tenant's (empty) directory: import one with it";
            return Err(ServerError::bad(code, msg, Some("config".into())));
        }
    }
    let mut w = db.begin_write().await?;
    if store::tenant(&mut w.tx, tenant).await?.is_some() {
        return Err(ServerError::TenantExists(tenant.to_string()));
    }
    store::put_tenant(&mut w.tx, tenant, &catalog, sso_config, now).await?;
    let detail = json!({"catalog": model::catalog_id(&parsed)});
    let audit = record(tenant, "cli", "tenant_create", None, w.version, detail);
    store::insert_audit(&mut w.tx, &audit, now).await?;
    w.commit().await?;
    Ok(store::TenantRecord {
        id: tenant.to_string(),
        catalog,
        sso_config: sso_config.map(str::to_string),
        created_at: now,
    })
}

/// Creates an API key with these scopes, bound to `tenant` (`None`: every
/// tenant), and with `require_actor_token` admin ops that must carry the
/// actor's own snapshot token; returns the key (shown once).
pub async fn apikey_create(
    db: &Db,
    scopes: &[Scope],
    tenant: Option<&str>,
    require_actor_token: bool,
    now: i64,
) -> Result<String> {
    if let Some(t) = tenant {
        keys::check_tenant_id(t)?;
    }
    let (hash, key, prefix) = keys::new_api_key()?;
    let names: Vec<&str> = scopes.iter().map(|s| s.name()).collect();
    let mut w = db.begin_write().await?;
    let scopes = names.join(",");
    let new = store::NewApiKey {
        hash: &hash,
        prefix: &prefix,
        scopes: &scopes,
        tenant,
        require_actor_token,
    };
    store::insert_api_key(&mut w.tx, &new, now).await?;
    w.bump_keys_version().await?;
    let detail = json!({"prefix": prefix, "scopes": names, "tenant": tenant,
                        "require_actor_token": require_actor_token});
    commit_cli(w, "apikey_create", detail, now).await?;
    Ok(key)
}

/// Audits a command's change (actor `cli`) and commits it.
async fn commit_cli(mut w: WriteTx<'_>, action: &str, detail: Value, now: i64) -> Result<()> {
    let r = record(DEFAULT_TENANT, "cli", action, None, w.version, detail);
    store::insert_audit(&mut w.tx, &r, now).await?;
    w.commit().await
}

/// The stored API keys, oldest first (prefixes and scopes only).
pub async fn apikey_list(db: &Db) -> Result<Vec<store::ApiKeyInfo>> {
    let mut conn = db.pool.acquire().await?;
    store::api_keys(&mut conn).await
}

/// Revokes the API key `which` names: the whole key, or the prefix
/// `apikey create` and `apikey list` print (it must name one key only).
/// Every instance refuses it from its next request on (the keys version
/// moves, so their caches of keys are dropped). Returns what was revoked.
pub async fn apikey_revoke(db: &Db, which: &str, now: i64) -> Result<store::ApiKeyInfo> {
    let which = which.trim();
    let prefix: String = which.chars().take(keys::API_KEY_PREFIX_LEN).collect();
    let mut w = db.begin_write().await?;
    let named = store::api_keys_named(&mut w.tx, &keys::api_key_hash(which), which).await?;
    let (hash, info) = match named.len() {
        0 => return Err(ServerError::UnknownApiKey(prefix)),
        1 => named
            .into_iter()
            .next()
            .ok_or(ServerError::UnknownApiKey(prefix))?,
        count => return Err(ServerError::AmbiguousApiKey { prefix, count }),
    };
    store::delete_api_key(&mut w.tx, &hash).await?;
    w.bump_keys_version().await?;
    let detail =
        json!({"prefix": info.prefix, "scopes": info.scopes.split(',').collect::<Vec<_>>()});
    commit_cli(w, "apikey_revoke", detail, now).await?;
    Ok(info)
}

/// Makes a new current signing key; the old one stays published until the
/// tokens it signed have expired. Returns the new `kid`.
pub async fn keys_rotate(db: &Db, now: i64) -> Result<String> {
    let mut w = db.begin_write().await?;
    let kid = rotate_in(&mut w, now).await?;
    let version = w.version;
    hub::record(&mut w, version, &[Change::everyone("keys_rotate")], now).await?;
    commit_cli(w, "keys_rotate", json!({"kid": kid}), now).await?;
    Ok(kid)
}

async fn rotate_in(w: &mut WriteTx<'_>, now: i64) -> Result<String> {
    let row = keys::new_key_row(now)?;
    store::rotate_keys(&mut w.tx, &row, now, now - keys::RETIRED_KEY_MS).await?;
    w.bump_keys_version().await?;
    Ok(row.kid)
}

/// Makes a signing key when the store has none (first start).
pub async fn ensure_signing_key(db: &Db, now: i64) -> Result<()> {
    let mut w = db.begin_write().await?;
    let rows = store::signing_keys(&mut w.tx).await?;
    if rows.iter().all(|r| r.retired_at.is_some()) {
        rotate_in(&mut w, now).await?;
    }
    w.commit().await
}
