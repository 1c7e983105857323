//! What changes the store: admin ops and SSO outcomes (decided and applied
//! in one write transaction on current data), import, API keys and key
//! rotation. Each change bumps a version and writes an audit record in the
//! same transaction.

use super::db::{Db, WriteTx};
use super::doc::{self, DirectoryDoc, IdentityDoc, OpRequest};
use super::error::{Result, ServerError};
use super::hub::{self, Change};
use super::keys::{self, Scope};
use super::model::{self, SsoAnswer};
use super::state::{catalog_of, App, Loaded};
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
    actor: &str,
    action: &str,
    target: Option<&str>,
    version: i64,
    detail: Value,
) -> AuditRecord {
    AuditRecord {
        id: 0,
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

/// The directory at the locked version: the cache when it is that version,
/// else read inside the transaction.
async fn locked_directory(app: &App, w: &mut WriteTx<'_>) -> Result<Arc<Loaded>> {
    if let Some(l) = app.cached_at(w.version) {
        return Ok(l);
    }
    // Committed data at the locked version: worth caching for readers too.
    let l = Arc::new(app.load(&mut w.tx).await?);
    app.install(l.clone());
    Ok(l)
}

/// Records a denied admin op (nothing else changes) and commits.
async fn deny(
    mut w: WriteTx<'_>,
    actor: &str,
    op: &OpRequest,
    detail: Value,
    code: &'static str,
    message: String,
    now: i64,
) -> Result<ServerError> {
    let mut r = record(actor, op.name(), Some(op.target()), w.version, detail);
    r.allowed = false;
    r.reason = code.to_string();
    store::insert_audit(&mut w.tx, &r, now).await?;
    w.commit().await?;
    Ok(ServerError::Denied { code, message })
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

/// Decides `op` by `actor` on current data and, when the rules allow it,
/// applies it, all in one transaction. `raw` is the op as received
/// (without `actor`): it is what the audit record keeps.
pub async fn admin(app: &App, actor: &str, op: &OpRequest, raw: &Value) -> Result<Applied> {
    let mut w = app.db.begin_write().await?;
    let now = app.now(); // read under the lock: no decision on a stale clock either
    let loaded = locked_directory(app, &mut w).await?;
    let lib_op = model::admin_op(&library_op_text(op, raw), &loaded.catalog)?;
    let answer = model::admin(&loaded.model, actor, &lib_op, now);
    if !answer.allowed {
        let msg = answer.message.to_string();
        return Err(deny(w, actor, op, raw.clone(), answer.reason, msg, now).await?);
    }
    let mut next = (*loaded.doc).clone();
    if let Err(e) = next.apply(op) {
        return match e {
            ServerError::Denied { code, message } => {
                Err(deny(w, actor, op, raw.clone(), code, message, now).await?)
            }
            other => Err(other),
        };
    }
    let target = op.target();
    store::write_user(&mut w.tx, target, next.user(target)).await?;
    let version = w.version + 1;
    // An op changes what its target holds, and no one else's snapshot.
    hub::record(&mut w, version, &[Change::of(target, op.name())], now).await?;
    let detail = raw.clone();
    let audit_id = commit_change(
        app,
        w,
        &loaded,
        next,
        version,
        record(actor, op.name(), Some(target), version, detail),
        now,
    )
    .await?;
    Ok(Applied {
        reason: answer.reason,
        message: answer.message,
        version,
        audit_id,
    })
}

/// Validates `next` with the library, bumps the version, audits, commits,
/// installs the new model in the cache, and wakes the events pump.
async fn commit_change(
    app: &App,
    mut w: WriteTx<'_>,
    loaded: &Loaded,
    next: DirectoryDoc,
    version: i64,
    audit: AuditRecord,
    now: i64,
) -> Result<i64> {
    let model = model::model_of_value(&loaded.catalog, &next.to_value()?)?;
    w.set_version(version).await?;
    let audit_id = store::insert_audit(&mut w.tx, &audit, now).await?;
    w.commit().await?;
    app.install(Arc::new(Loaded {
        version,
        catalog_record: loaded.catalog_record.clone(),
        catalog: loaded.catalog.clone(),
        doc: Arc::new(next),
        model: Arc::new(model),
        sso_config: loaded.sso_config.clone(),
    }));
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

fn decide_sso(l: &Loaded, config: Option<&str>, login_text: &str, now: i64) -> Result<SsoAnswer> {
    let config = config.or(l.sso_config.as_deref()).ok_or_else(|| {
        ServerError::bad(
            "missing_field",
            "no `config` in the request and no SSO config in the store",
            Some("config".into()),
        )
    })?;
    let cfg = model::sso_config(config)?;
    let login = model::login(login_text)?;
    Ok(model::sso(&l.model, &cfg, &login, now))
}

/// Decides an SSO login; a `created` user or a newly linked identity is
/// stored (decided again under the write lock, on current data).
pub async fn sso(
    app: &App,
    config: Option<&str>,
    login_text: &str,
    login: &LoginFields,
) -> Result<SsoResult> {
    let now = app.now();
    let first = decide_sso(&*app.loaded().await?, config, login_text, now)?;
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
    apply_sso(app, config, login_text, login).await
}

/// The write half of [`sso`]: decides again under the write lock and
/// stores a created user or a linked identity.
async fn apply_sso(
    app: &App,
    config: Option<&str>,
    login_text: &str,
    login: &LoginFields,
) -> Result<SsoResult> {
    let mut w = app.db.begin_write().await?;
    let now = app.now();
    let loaded = locked_directory(app, &mut w).await?;
    let answer = decide_sso(&loaded, config, login_text, now)?;
    let identity = IdentityDoc {
        iss: login.iss.clone(),
        sub: login.sub.clone(),
    };
    let mut next = (*loaded.doc).clone();
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
            u.seq = next.next_seq();
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
    store::write_user(&mut w.tx, &user, next.user(&user)).await?;
    let version = w.version + 1;
    hub::record(&mut w, version, &[Change::of(&user, action)], now).await?;
    let detail = json!({"provider": login.provider, "iss": login.iss, "sub": login.sub});
    let audit = record("sso", action, Some(&user), version, detail);
    commit_change(app, w, &loaded, next, version, audit, now).await?;
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

/// Replaces the store's catalog and directory (and default SSO config)
/// after the library loaded them; one transaction, audited.
pub async fn import(
    db: &Db,
    catalog: CatalogRecord,
    directory_text: &str,
    sso_config: Option<&str>,
    now: i64,
) -> Result<ImportReport> {
    let parsed = catalog_of(&catalog)?;
    let m = model::model(&parsed, directory_text)?;
    if let Some(text) = sso_config {
        if let Some(code) = model::sso_config_problem(&m, &model::sso_config(text)?) {
            return Err(ServerError::bad(
                code,
                "the SSO config does not fit the directory",
                Some("config".into()),
            ));
        }
    }
    let doc: DirectoryDoc = serde_json::from_str(directory_text)
        .map_err(|e| ServerError::bad("wrong_type", e.to_string(), None))?;
    let mut w = db.begin_write().await?;
    store::replace_directory(&mut w.tx, &doc).await?;
    store::set_catalog(&mut w.tx, &catalog, sso_config).await?;
    let version = w.version + 1;
    w.set_version(version).await?;
    // A new directory or catalog: every page refetches.
    hub::record(&mut w, version, &[Change::everyone("import")], now).await?;
    let detail = json!({"catalog": model::catalog_id(&parsed), "labels": doc.labels.len(), "users": doc.users.len()});
    store::insert_audit(
        &mut w.tx,
        &record("cli", "import", None, version, detail),
        now,
    )
    .await?;
    w.commit().await?;
    Ok(ImportReport {
        catalog: model::catalog_id(&parsed).to_string(),
        labels: doc.labels.len(),
        users: doc.users.len(),
        version,
    })
}

/// Creates an API key with these scopes (and, with `require_actor_token`,
/// admin ops that must carry the actor's own snapshot token); returns the
/// key (shown once).
pub async fn apikey_create(
    db: &Db,
    scopes: &[Scope],
    require_actor_token: bool,
    now: i64,
) -> Result<String> {
    let (hash, key, prefix) = keys::new_api_key()?;
    let names: Vec<&str> = scopes.iter().map(|s| s.name()).collect();
    let mut w = db.begin_write().await?;
    let scopes = names.join(",");
    store::insert_api_key_with(&mut w.tx, &hash, &prefix, &scopes, require_actor_token, now)
        .await?;
    w.bump_keys_version().await?;
    let detail =
        json!({"prefix": prefix, "scopes": names, "require_actor_token": require_actor_token});
    commit_cli(w, "apikey_create", detail, now).await?;
    Ok(key)
}

/// Audits a command's change (actor `cli`) and commits it.
async fn commit_cli(mut w: WriteTx<'_>, action: &str, detail: Value, now: i64) -> Result<()> {
    let r = record("cli", action, None, w.version, detail);
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
