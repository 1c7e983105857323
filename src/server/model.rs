//! The glue: the only module of the server that touches the permsnap model.
//! Everything else in `server` speaks serde JSON and plain data; when the
//! library's API moves, this file alone follows it.
//!
//! It must not hold state or talk to the store: it turns text into the
//! library's types, asks the library, and turns answers back into data.

use super::error::{Result, ServerError};
use crate::{AdminOp, Catalog, Directory, LoadError, Login, Model, SsoConfig, SsoOutcome};

pub use crate::native::manifest::ManifestFile;
pub use crate::PrivateKey as SigningKey;

/// The library's loaded catalog.
pub type LoadedCatalog = Catalog;
/// The library's catalog + directory.
pub type LoadedModel = Model;
/// A user as the library loaded it.
pub type LoadedUser = crate::native::directory::User;

/// A load error as a 400, its JSON path under `prefix` (e.g. `user`).
pub fn bad_input(e: LoadError, prefix: Option<&str>) -> ServerError {
    let path = match (prefix, e.path.as_str()) {
        (Some(p), "$") => p.to_string(),
        (Some(p), rest) => format!("{p}.{rest}"),
        (None, rest) => rest.to_string(),
    };
    ServerError::bad(e.code(), e.message, Some(path))
}

/// Refuses JSON text with a duplicate key (serde would keep the last one).
pub fn reject_duplicate_keys(text: &str) -> Result<()> {
    crate::native::load::check_json(text).map_err(|e| bad_input(e, None))
}

/// A preset catalog by id.
pub fn preset_catalog(id: &str) -> Result<Catalog> {
    crate::native::presets::preset(id).map_err(|e| bad_input(e, None))
}

/// Whether `id` names a preset.
pub fn is_preset(id: &str) -> bool {
    crate::native::presets::preset_text(id).is_some()
}

/// A catalog from its JSON text; `file` names it in errors.
pub fn catalog_from_text(text: &str, file: &str) -> Result<Catalog> {
    Catalog::from_json_text(text, file).map_err(|e| bad_input(e, None))
}

/// The catalog's id.
pub fn catalog_id(c: &Catalog) -> &str {
    &c.id
}

/// A model from a catalog and directory JSON text (the directory file format).
pub fn model(catalog: &Catalog, directory_text: &str) -> Result<Model> {
    let directory = Directory::from_json_text(directory_text, "directory", catalog)
        .map_err(|e| bad_input(e, None))?;
    Ok(Model::new(catalog.clone(), directory))
}

/// A model over a shared catalog and its manifest, from a directory in
/// memory as a JSON value (a tenant's labels and the users a decision
/// needs): no catalog copied, no manifest computed again.
pub fn model_with_manifest(
    catalog: &std::sync::Arc<Catalog>,
    manifest: &ManifestFile,
    directory: &serde_json::Value,
) -> Result<Model> {
    let directory = Directory::from_value(directory, catalog).map_err(|e| bad_input(e, None))?;
    Ok(Model::with_manifest(
        catalog.clone(),
        manifest.clone(),
        directory,
    ))
}

/// A stored user (the directory file's user object) loaded by the library
/// against `catalog`; `path` names it in errors.
pub fn user_of(catalog: &Catalog, user: &serde_json::Value, path: &str) -> Result<LoadedUser> {
    crate::native::load::from_value::<crate::native::directory::UserDoc>(user)
        .and_then(|doc| LoadedUser::from_doc(doc, catalog, path))
        .map_err(|e| bad_input(e, None))
}

/// A model of these loaded users over `base`'s catalog, manifest and labels
/// (shared, not copied), the users checked against the labels.
pub fn model_of_users(base: &Model, users: Vec<LoadedUser>) -> Result<Model> {
    let directory = base
        .directory
        .with_users(users)
        .map_err(|e| bad_input(e, None))?;
    Ok(Model::with_manifest(
        base.catalog.clone(),
        base.manifest().clone(),
        directory,
    ))
}

/// The manifest of a catalog.
pub fn manifest_of(catalog: &Catalog) -> ManifestFile {
    ManifestFile::of(catalog)
}

/// Whether `username` is `name@suffix` of a label with that suffix (the
/// admin rules' `bad_username`).
pub fn username_fits(username: &str, suffix: &str) -> bool {
    crate::native::admin::username_fits(username, suffix)
}

/// A decision of `/v1/check`, as `permsnap check` prints it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckAnswer {
    /// allowed or not
    pub allowed: bool,
    /// the reason code
    pub reason: &'static str,
    /// the role, additional role, restriction or `direct`
    pub by: Option<String>,
    /// a sentence a person reads
    pub message: String,
}

/// Decides a check at `now` (milliseconds). The resource is read as the
/// CLI and vector files read it (scalars count; a number JavaScript cannot
/// hold is `bad_value`, so the server and the browser are asked the same).
pub fn check(
    m: &Model,
    user: &str,
    label: u64,
    action: &str,
    res: Option<&serde_json::Map<String, serde_json::Value>>,
    now: i64,
) -> Result<CheckAnswer> {
    let res = match res {
        None => None,
        Some(fields) => Some(
            crate::native::load::resource(&serde_json::Value::Object(fields.clone()), "resource")
                .map_err(|e| bad_input(e, None))?,
        ),
    };
    let d = m.check(user, label, action, res.as_ref(), now);
    Ok(CheckAnswer {
        allowed: d.allowed,
        reason: d.reason.code(),
        message: m.message(&d),
        by: d.by,
    })
}

/// Reads an admin op (`{"op": ..., fields}`, the vector-file shape without
/// `actor`), resolving roles against the catalog.
pub fn admin_op(text: &str, c: &Catalog) -> Result<AdminOp> {
    AdminOp::from_json_text(text, c).map_err(|e| bad_input(e, None))
}

/// The admin rules' answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdminAnswer {
    /// allowed or not
    pub allowed: bool,
    /// the reason code (`allowed` when allowed)
    pub reason: &'static str,
    /// a sentence a person reads
    pub message: &'static str,
}

/// Decides whether `actor` may perform `op` at `now`.
pub fn admin(m: &Model, actor: &str, op: &AdminOp, now: i64) -> AdminAnswer {
    let d = m.admin(actor, op, now);
    AdminAnswer {
        allowed: d.allowed,
        reason: d.reason.code(),
        message: d.reason.message(),
    }
}

/// Reads an SSO config from JSON text.
pub fn sso_config(text: &str) -> Result<SsoConfig> {
    SsoConfig::from_json_text(text).map_err(|e| bad_input(e, Some("config")))
}

/// Reads an SSO login from JSON text.
pub fn login(text: &str) -> Result<Login> {
    Login::from_json_text(text).map_err(|e| bad_input(e, Some("login")))
}

/// Checks an SSO config against the model: `None` when it is valid, else
/// the reason code (`unknown_label`, `home_label_not_in_labels`, ...).
pub fn sso_config_problem(m: &Model, config: &SsoConfig) -> Option<&'static str> {
    m.validate_sso(config).err().map(|r| r.code())
}

/// What an SSO login comes to: the library's outcome, as it is.
pub type SsoAnswer = SsoOutcome;

/// Decides an SSO login at `now`.
pub fn sso(m: &Model, config: &SsoConfig, login: &Login, now: i64) -> SsoAnswer {
    m.sso(config, login, now)
}

/// A signed snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// the compact JWS
    pub token: String,
    /// its `exp`, in milliseconds
    pub expires_at_ms: i64,
}

/// What a token the server reads must say: its audience and tenant (a
/// token of another tenant is `wrong_tenant`), and how long past `exp` it
/// may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenExpect<'a> {
    /// `aud`
    pub audience: &'a str,
    /// `tid`
    pub tenant: &'a str,
    /// leeway past `exp`, in seconds
    pub grace_secs: i64,
}

/// Issues the signed snapshot of `user` at `now`, naming `tenant` (`tid`).
pub fn issue(
    m: &Model,
    (tenant, user): (&str, &str),
    now: i64,
    audience: Option<&str>,
    ttl_secs: Option<i64>,
    key: &SigningKey,
) -> Result<Issued> {
    let mut opts = crate::IssueOptions {
        tenant: Some(tenant.to_string()),
        ..Default::default()
    };
    if let Some(a) = audience {
        opts.audience = a.to_string();
    }
    if let Some(t) = ttl_secs {
        opts.ttl_secs = t;
    }
    let compiled = crate::native::issue::compile(m, user, now, opts.ttl_secs)
        .ok_or_else(|| ServerError::UnknownUser(user.to_string()))?;
    Ok(Issued {
        token: crate::native::issue::sign(&compiled, user, now, &opts, key),
        expires_at_ms: compiled.expires_at,
    })
}

/// A new signing key from 32 random bytes (its `kid` is its RFC 7638 thumbprint).
pub fn new_signing_key(seed: &[u8; 32]) -> SigningKey {
    SigningKey::from_seed(seed, None)
}

/// The private JWK text of a key (for the store only; never answered or logged).
pub fn private_jwk_text(k: &SigningKey) -> String {
    k.to_private_jwk().to_string()
}

/// A signing key from its private JWK text.
pub fn signing_key_from_jwk(text: &str) -> Result<SigningKey> {
    SigningKey::from_json_text(text)
        .map_err(|e| ServerError::Corrupt(format!("stored signing key: {}", e.code())))
}

/// The key's id.
pub fn kid(k: &SigningKey) -> &str {
    k.kid()
}

/// The public JWK of a key.
pub fn public_jwk(k: &SigningKey) -> Result<serde_json::Value> {
    Ok(k.to_public_jwk())
}

/// The catalog manifest pages fetch to read snapshots: (its exact text, its hash).
pub fn manifest(m: &Model) -> (&str, &str) {
    let f = m.manifest();
    (f.text(), f.hash())
}

/// Parses an RFC 3339 time to milliseconds.
pub fn parse_time(s: &str) -> Option<i64> {
    crate::native::time::parse_rfc3339(s)
}

/// Formats milliseconds as RFC 3339 (whole seconds, `Z`).
pub fn format_time(ms: i64) -> String {
    crate::native::time::format_rfc3339(ms)
}

/// The keys a snapshot token is verified with (the server's own).
pub type Verifier = crate::Jwks;

/// A verifier holding the public half of each of these keys.
pub fn verifier(keys: &[&SigningKey]) -> Verifier {
    crate::Jwks::of(keys)
}

/// Who a verified snapshot token is for, and when it was issued and ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSubject {
    /// the user (`sub`)
    pub user: String,
    /// `iat` in milliseconds, when the token has one
    pub issued_at_ms: Option<i64>,
    /// `exp` in milliseconds
    pub expires_at_ms: i64,
}

/// A refused token: the library's verification code (`expired`,
/// `bad_signature`, `unknown_key`, `malformed` ...) and its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRefusal {
    /// the stable code, as `permsnap verify` gives it
    pub code: &'static str,
    /// what was wrong (never the token itself)
    pub message: String,
}

/// Verifies a snapshot token this server signed, as the page does (the
/// library's steps), for `audience` at `now`. `grace_secs` lets a token
/// that expired less than that long ago through (and nothing else: the
/// library applies it as its leeway).
pub fn verify_token(
    keys: &Verifier,
    token: &str,
    expect: &TokenExpect<'_>,
    now: i64,
) -> std::result::Result<TokenSubject, TokenRefusal> {
    let mut opts = crate::VerifyOptions::new(expect.audience, now);
    opts.leeway_secs = expect.grace_secs;
    opts.tenant = Some(expect.tenant.to_string());
    let v = crate::verify(token, keys, &opts).map_err(|e| TokenRefusal {
        code: e.code(),
        message: e.to_string(),
    })?;
    Ok(TokenSubject {
        user: v.claims.sub,
        issued_at_ms: v.claims.iat.map(|t| t.millis()),
        expires_at_ms: v.claims.exp.millis(),
    })
}

/// The catalog as a table for a demo page: its permissions (id, title,
/// section title) and a row per role, additional role and restriction role
/// (`kind`, `id`, `title`, and per permission `yes`, `when` for a
/// conditional grant or deny, or empty).
pub fn catalog_table(c: &Catalog) -> serde_json::Value {
    let section = |i: usize| c.sections.get(i).map_or("", |s| s.title.as_str());
    let perms: Vec<serde_json::Value> = c
        .permissions
        .iter()
        .map(|p| serde_json::json!({"id": p.id, "title": p.title, "section": section(p.section)}))
        .collect();
    let kinds = [
        ("role", &c.roles),
        ("additional", &c.additional),
        ("restriction", &c.restrictions),
    ];
    let mut rows = Vec::new();
    for (kind, list) in kinds {
        for g in list.iter() {
            let cells: Vec<&str> = (0..c.permissions.len())
                .map(|p| {
                    if g.rules.always.contains(p) {
                        "yes"
                    } else if g.rules.when.iter().any(|r| r.perm == p) {
                        "when"
                    } else {
                        ""
                    }
                })
                .collect();
            rows.push(
                serde_json::json!({"kind": kind, "id": g.id, "title": g.title, "cells": cells}),
            );
        }
    }
    serde_json::json!({"catalog": c.id, "title": c.title, "permissions": perms, "rows": rows})
}
