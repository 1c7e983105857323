//! The HTTP API: routes, the JSON body reader (size limit, read timeout,
//! 400 with the JSON path), API-key scopes, JSON errors, and one log line
//! per request. Handlers are thin: they parse, authorize, and call `ops`,
//! the cache in `state`, or the glue in `model`.

use super::config::DemoConfig;
use super::doc::OpRequest;
use super::error::{Result, ServerError};
use super::events::{self, Start, Subscription};
use super::hub::EventOptions;
use super::keys::{self, KeyGrant, Scope, MAX_TTL_SECS};
use super::model::{self, SsoAnswer};
use super::ops::{self, LoginFields};
use super::state::{App, Versions, DEFAULT_TENANT};
use super::store::{self, AuditFilter};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, Query, RawPathParams, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// Every route: (method, path template). The OpenAPI document describes each.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/openapi.json"),
    ("GET", "/v1/manifest"),
    ("GET", "/v1/manifest/{hash}"),
    ("POST", "/v1/snapshots"),
    ("POST", "/v1/check"),
    ("POST", "/v1/admin"),
    ("POST", "/v1/sso/login"),
    ("GET", "/v1/users/{id}"),
    ("GET", "/v1/audit"),
    ("GET", "/v1/events"),
    ("POST", "/v1/tenants"),
    ("GET", "/v1/tenants"),
    ("GET", "/v1/tenants/{tenant}/manifest"),
    ("GET", "/v1/tenants/{tenant}/manifest/{hash}"),
    ("POST", "/v1/tenants/{tenant}/snapshots"),
    ("POST", "/v1/tenants/{tenant}/check"),
    ("POST", "/v1/tenants/{tenant}/admin"),
    ("POST", "/v1/tenants/{tenant}/sso/login"),
    ("GET", "/v1/tenants/{tenant}/users/{id}"),
    ("GET", "/v1/tenants/{tenant}/audit"),
    ("GET", "/v1/tenants/{tenant}/events"),
];

/// The OpenAPI 3.1 document served at `/openapi.json`.
pub const OPENAPI: &str = include_str!("openapi.json");

/// What the handlers need besides the state.
pub struct Ctx {
    /// the shared state
    pub app: Arc<App>,
    /// the largest accepted body
    pub max_body_bytes: usize,
    /// how long a body may take to arrive
    pub body_timeout: Duration,
    /// demo mode (`--demo`): the page's files and the demo routes; never in production
    pub demo: Option<DemoConfig>,
    /// the address the server listens on (demo mode answers requests for it only)
    pub listen: std::net::SocketAddr,
}

type S = State<Arc<Ctx>>;

/// The decision or error code of a response, for the request's log line.
#[derive(Debug, Clone)]
pub struct Outcome(pub String);

/// The route a response names for the log line when the path alone does
/// not say it (a demo page's static file).
#[derive(Debug, Clone, Copy)]
pub struct LogRoute(pub &'static str);

pub(super) fn answer(status: StatusCode, body: Value, outcome: impl Into<String>) -> Response {
    let mut r = (status, Json(body)).into_response();
    r.extensions_mut().insert(Outcome(outcome.into()));
    r
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        if self.status().is_server_error() {
            // The detail stays here; the client gets the code.
            tracing::error!(target: "permsnap::server", code = self.code(), error = %self, "request failed");
        }
        let mut e = json!({"code": self.code(), "message": self.public_message()});
        if let Some(p) = self.path() {
            e["path"] = Value::String(p.to_string());
        }
        answer(self.status(), json!({ "error": e }), self.code())
    }
}

/// The API's routes, without state, fallbacks or layers ([`super::router`]
/// adds those, and demo mode's routes).
pub fn api() -> Router<Arc<Ctx>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/.well-known/jwks.json", get(jwks))
        .route("/openapi.json", get(openapi))
        .route("/v1/manifest", get(manifest))
        .route("/v1/manifest/{hash}", get(manifest_by_hash))
        .route("/v1/snapshots", post(snapshots))
        .route("/v1/check", post(check))
        .route("/v1/admin", post(admin))
        .route("/v1/sso/login", post(sso))
        .route("/v1/users/{id}", get(user))
        .route("/v1/audit", get(audit))
        .route("/v1/events", get(events))
        .route("/v1/tenants", post(tenant_create).get(tenant_list))
        .nest("/v1/tenants/{tenant}", tenant_routes())
}

/// One tenant's routes (under `/v1/tenants/{tenant}`): the unprefixed
/// `/v1/...` routes are tenant `default`'s.
fn tenant_routes() -> Router<Arc<Ctx>> {
    Router::new()
        .route("/manifest", get(manifest))
        .route("/manifest/{hash}", get(manifest_by_hash))
        .route("/snapshots", post(snapshots))
        .route("/check", post(check))
        .route("/admin", post(admin))
        .route("/sso/login", post(sso))
        .route("/users/{id}", get(user))
        .route("/audit", get(audit))
        .route("/events", get(events))
}

/// The tenant a request names: the `{tenant}` path segment, else `default`.
pub struct Tenant(pub String);

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for Tenant {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &St,
    ) -> Result<Self> {
        let params = RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|_| ServerError::NotFound)?;
        match params.iter().find(|(k, _)| *k == "tenant") {
            None => Ok(Tenant(DEFAULT_TENANT.to_string())),
            Some((_, t)) => {
                keys::check_tenant_id(t)?;
                Ok(Tenant(t.to_string()))
            }
        }
    }
}

/// The `{id}` (or `{hash}`) path segment.
async fn path_param(parts: &mut axum::http::request::Parts, name: &str) -> Result<String> {
    let params = RawPathParams::from_request_parts(parts, &())
        .await
        .map_err(|_| ServerError::NotFound)?;
    params
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .ok_or(ServerError::NotFound)
}

/// The `{id}` path segment of `/users/{id}`.
pub struct UserId(pub String);

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for UserId {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &St) -> Result<Self> {
        Ok(UserId(path_param(parts, "id").await?))
    }
}

/// The `{hash}` path segment of `/manifest/{hash}`.
pub struct HashParam(pub String);

impl<St: Send + Sync> axum::extract::FromRequestParts<St> for HashParam {
    type Rejection = ServerError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &St) -> Result<Self> {
        Ok(HashParam(path_param(parts, "hash").await?))
    }
}

pub(super) async fn read_body(ctx: &Ctx, body: Body) -> Result<Bytes> {
    let read = axum::body::to_bytes(body, ctx.max_body_bytes);
    match tokio::time::timeout(ctx.body_timeout, read).await {
        Err(_) => Err(ServerError::BodyTimeout),
        Ok(Ok(b)) => Ok(b),
        Ok(Err(e)) => {
            let too_large = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>())
                || e.to_string().contains("length limit");
            Err(if too_large {
                ServerError::BodyTooLarge {
                    limit: ctx.max_body_bytes,
                }
            } else {
                ServerError::bad("bad_body", format!("the body could not be read: {e}"), None)
            })
        }
    }
}

fn data_code(message: &str) -> &'static str {
    if message.starts_with("unknown field") {
        "unknown_field"
    } else if message.starts_with("missing field") {
        "missing_field"
    } else if message.starts_with("duplicate field") {
        "duplicate_key"
    } else if message.starts_with("invalid type") || message.starts_with("invalid length") {
        "wrong_type"
    } else {
        "bad_value"
    }
}

fn json_error(e: serde_path_to_error::Error<serde_json::Error>) -> ServerError {
    let path = match e.path().to_string().as_str() {
        "." => "$".to_string(),
        p => p.to_string(),
    };
    let inner = e.into_inner();
    let code = match inner.classify() {
        serde_json::error::Category::Data => data_code(&inner.to_string()),
        _ => "json_syntax",
    };
    ServerError::bad(code, inner.to_string(), Some(path))
}

/// Parses a JSON body into `T`, naming the JSON path of what was wrong.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v = serde_path_to_error::deserialize(&mut de).map_err(json_error)?;
    de.end()
        .map_err(|e| ServerError::bad("json_syntax", e.to_string(), Some("$".into())))?;
    Ok(v)
}

fn parse_value<T: DeserializeOwned>(v: &Value) -> Result<T> {
    serde_path_to_error::deserialize(v).map_err(json_error)
}

/// The credential of `Authorization: Bearer X`.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, key)| key.trim())
        .filter(|k| !k.is_empty())
}

/// Checks the bearer key's scope and tenant (`None`: a route of no tenant,
/// which only an all-tenant key may use) at the keys version this request
/// reads at; what the key grants.
async fn authorize(
    ctx: &Ctx,
    headers: &HeaderMap,
    scope: Scope,
    tenant: Option<&str>,
    keys_version: i64,
) -> Result<KeyGrant> {
    let key = bearer(headers)
        .filter(|k| k.len() <= 256)
        .ok_or(ServerError::Unauthorized)?;
    let grant = ctx
        .app
        .api_key(key, keys_version)
        .await?
        .ok_or(ServerError::Unauthorized)?;
    if !grant.scopes.has(scope) {
        return Err(ServerError::ForbiddenScope(scope.name()));
    }
    match (&grant.tenant, tenant) {
        (None, _) => Ok(grant),
        (Some(k), Some(t)) if k == t => Ok(grant),
        (Some(k), t) => Err(ServerError::ForbiddenTenant {
            key: k.clone(),
            route: t.unwrap_or("(all tenants)").to_string(),
        }),
    }
}

/// Reads the versions, authorizes, and reads the body.
async fn begin(
    ctx: &Ctx,
    headers: &HeaderMap,
    scope: Scope,
    tenant: &str,
    body: Body,
) -> Result<(Versions, Bytes)> {
    let versions = ctx.app.versions().await?;
    authorize(ctx, headers, scope, Some(tenant), versions.keys_version).await?;
    Ok((versions, read_body(ctx, body).await?))
}

async fn healthz(State(ctx): S) -> Response {
    match ctx.app.versions().await {
        Ok(v) => answer(
            StatusCode::OK,
            json!({"status": "ok", "version": v.version}),
            "ok",
        ),
        Err(_) => answer(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": {"code": "unavailable", "message": "the store does not answer"}}),
            "unavailable",
        ),
    }
}

async fn jwks(State(ctx): S) -> Result<Response> {
    let ring = ctx.app.keys().await?;
    let mut r = answer(StatusCode::OK, ring.jwks(ctx.app.now()), "ok");
    // Short: a rotated-in key must reach verifiers soon. Verifiers refetch on
    // an unknown `kid`.
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=60"),
    );
    Ok(r)
}

async fn openapi() -> Response {
    let mut r = (StatusCode::OK, OPENAPI).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.extensions_mut().insert(Outcome("ok".into()));
    r
}

fn manifest_answer(text: &str, hash: &str, cache: &'static str, headers: &HeaderMap) -> Response {
    let etag = format!("\"{hash}\"");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut r = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut r = (StatusCode::OK, text.to_string()).into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        r
    };
    if let Ok(v) = HeaderValue::from_str(&etag) {
        r.headers_mut().insert(header::ETAG, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    r.extensions_mut()
        .insert(Outcome(if fresh { "not_modified" } else { "ok" }.into()));
    r
}

/// The current catalog's manifest, exact bytes; `ETag` is its hash
/// (revalidate: the catalog changes when a new one is imported).
async fn manifest(State(ctx): S, Tenant(tenant): Tenant, headers: HeaderMap) -> Result<Response> {
    ctx.app.versions().await?;
    let t = ctx.app.tenant(&tenant).await?;
    let m = &t.catalog.manifest;
    Ok(manifest_answer(m.text(), m.hash(), "no-cache", &headers))
}

/// The manifest with this hash: immutable, cacheable for a year.
async fn manifest_by_hash(
    State(ctx): S,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    HashParam(want): HashParam,
) -> Result<Response> {
    ctx.app.versions().await?;
    let t = ctx.app.tenant(&tenant).await?;
    let (text, hash) = (t.catalog.manifest.text(), t.catalog.manifest.hash());
    if want != hash {
        return Err(ServerError::UnknownManifest(
            want.chars().take(64).collect(),
        ));
    }
    Ok(manifest_answer(
        text,
        hash,
        "public, max-age=31536000, immutable",
        &headers,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SnapshotRequest {
    pub(super) user: String,
    #[serde(default)]
    pub(super) audience: Option<String>,
    #[serde(default)]
    pub(super) ttl: Option<i64>,
}

async fn snapshots(
    State(ctx): S,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let (v, bytes) = begin(&ctx, &headers, Scope::Snapshots, &tenant, body).await?;
    let req: SnapshotRequest = parse(&bytes)?;
    let body = issue_snapshot(&ctx, &tenant, v, &req).await?;
    Ok(answer(StatusCode::OK, body, "issued"))
}

/// `{"token", "expires_at", "kid"}` for a snapshot request of a tenant's
/// user, at the versions the request reads at.
pub(super) async fn issue_snapshot(
    ctx: &Ctx,
    tenant: &str,
    v: Versions,
    req: &SnapshotRequest,
) -> Result<Value> {
    if let Some(t) = req.ttl.filter(|t| !(1..=MAX_TTL_SECS).contains(t)) {
        let msg = format!("`ttl` is 1 to {MAX_TTL_SECS} seconds, not {t}");
        return Err(ServerError::bad("bad_value", msg, Some("ttl".into())));
    }
    if req
        .audience
        .as_ref()
        .is_some_and(|a| a.is_empty() || a.len() > 256)
    {
        let msg = "`audience` is 1 to 256 characters";
        return Err(ServerError::bad("bad_value", msg, Some("audience".into())));
    }
    let t = ctx.app.tenant(tenant).await?;
    let u = ctx
        .app
        .user(&t, &req.user)
        .await?
        .ok_or_else(|| ServerError::UnknownUser(req.user.clone()))?;
    let ring = ctx.app.keys_at(v.keys_version).await?;
    let key = ring
        .current
        .as_ref()
        .ok_or_else(|| ServerError::Corrupt("no current signing key".into()))?;
    let now = ctx.app.now();
    let t = model::issue(
        &u.model,
        (tenant, &req.user),
        now,
        req.audience.as_deref(),
        req.ttl,
        key,
    )?;
    Ok(json!({
        "token": t.token,
        "expires_at": model::format_time(t.expires_at_ms),
        "kid": model::kid(key),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckRequest {
    user: String,
    label: u64,
    action: String,
    #[serde(default)]
    resource: Option<Map<String, Value>>,
}

async fn check(
    State(ctx): S,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let (_, bytes) = begin(&ctx, &headers, Scope::Check, &tenant, body).await?;
    let req: CheckRequest = parse(&bytes)?;
    let t = ctx.app.tenant(&tenant).await?;
    // An unknown user is a decision (`unknown_user`), made on the tenant's
    // labels alone.
    let m = match ctx.app.user(&t, &req.user).await? {
        Some(u) => u.model.clone(),
        None => t.without_users()?,
    };
    let now = ctx.app.now();
    let d = model::check(
        &m,
        &req.user,
        req.label,
        &req.action,
        req.resource.as_ref(),
        now,
    )?;
    let mut body = json!({"allowed": d.allowed, "reason": d.reason});
    if let Some(by) = &d.by {
        body["by"] = Value::String(by.clone());
    }
    body["message"] = Value::String(d.message);
    Ok(answer(StatusCode::OK, body, d.reason))
}

/// Who an admin request says acts: `actor` (the host backend's word) and
/// `actor_token` (the acting user's own snapshot token), as given.
struct ActorClaim {
    actor: Option<String>,
    token: Option<String>,
    /// the target's version the op expects (`GET /v1/users/{id}`)
    expect_version: Option<i64>,
}

/// Takes the string field `name` out of `obj`, if there.
fn take_string(obj: &mut Map<String, Value>, name: &str, what: &str) -> Result<Option<String>> {
    match obj.remove(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(ServerError::bad(
            "wrong_type",
            format!("`{name}` is {what} (a string)"),
            Some(name.into()),
        )),
    }
}

/// Splits `{"actor" | "actor_token", "op", ...}` into who acts and the op
/// (vector-file shape).
fn split_actor(bytes: &[u8]) -> Result<(ActorClaim, Value)> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ServerError::bad("json_syntax", "the body is not UTF-8", None))?;
    model::reject_duplicate_keys(text)?;
    let mut v: Value = parse(bytes)?;
    let obj = v.as_object_mut().ok_or_else(|| {
        ServerError::bad("wrong_type", "the body is a JSON object", Some("$".into()))
    })?;
    let claim = ActorClaim {
        actor: take_string(obj, "actor", "a user id")?,
        token: take_string(obj, "actor_token", "a snapshot token")?,
        expect_version: take_version(obj)?,
    };
    Ok((claim, v))
}

/// Takes `expect_version` out of `obj`, if there: an integer >= 0.
fn take_version(obj: &mut Map<String, Value>) -> Result<Option<i64>> {
    match obj.remove("expect_version") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) if n.as_i64().is_some_and(|n| n >= 0) => Ok(n.as_i64()),
        Some(_) => Err(ServerError::bad(
            "wrong_type",
            "`expect_version` is the target's version as `GET /v1/users/{id}` answers it (an integer >= 0; 0: the user must not exist)",
            Some("expect_version".into()),
        )),
    }
}

/// The acting user: the subject of `actor_token`, verified with this
/// server's keys for the default audience and without leeway, or `actor`
/// when the key does not require a token. A token and an `actor` that name
/// different users are refused.
async fn resolve_actor(
    ctx: &Ctx,
    tenant: &str,
    claim: ActorClaim,
    require_token: bool,
) -> Result<String> {
    let Some(token) = claim.token else {
        if require_token {
            return Err(ServerError::TokenRefused {
                code: "actor_token_required",
                message: "this API key acts only with the acting user's own snapshot token: \
                          send `actor_token`"
                    .into(),
            });
        }
        return claim.actor.ok_or_else(|| {
            ServerError::bad(
                "missing_field",
                "missing field `actor`",
                Some("actor".into()),
            )
        });
    };
    let ring = ctx.app.keys().await?;
    let expect = model::TokenExpect {
        audience: DEFAULT_AUDIENCE,
        tenant,
        grace_secs: 0,
    };
    let subject =
        model::verify_token(&ring.verifier, &token, &expect, ctx.app.now()).map_err(|r| {
            ServerError::TokenRefused {
                code: r.code,
                message: format!("`actor_token` is refused: {}", r.message),
            }
        })?;
    match claim.actor {
        Some(a) if a != subject.user => Err(ServerError::bad(
            "conflicting_credentials",
            "`actor` and `actor_token` name different users",
            Some("actor".into()),
        )),
        _ => Ok(subject.user),
    }
}

async fn admin(
    State(ctx): S,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let v = ctx.app.versions().await?;
    let grant = authorize(&ctx, &headers, Scope::Admin, Some(&tenant), v.keys_version).await?;
    let bytes = read_body(&ctx, body).await?;
    apply_admin(&ctx, &tenant, &bytes, grant.require_actor_token).await
}

/// Decides and applies `{"actor" | "actor_token", "op", "expect_version"?,
/// ...}` in `tenant`: 200 with the result, or the 403 of a denial (409 when
/// the target is not at `expect_version`). With `require_token`, only
/// `actor_token` says who acts.
pub(super) async fn apply_admin(
    ctx: &Ctx,
    tenant: &str,
    bytes: &[u8],
    require_token: bool,
) -> Result<Response> {
    let (claim, raw) = split_actor(bytes)?;
    let expect = claim.expect_version;
    let actor = resolve_actor(ctx, tenant, claim, require_token).await?;
    let op: OpRequest = parse_value(&raw)?;
    let done = ops::admin(&ctx.app, tenant, &actor, &op, &raw, expect).await?;
    let body = json!({
        "allowed": true,
        "reason": done.reason,
        "message": done.message,
        "version": done.version,
        "audit_id": done.audit_id,
    });
    Ok(answer(StatusCode::OK, body, done.reason))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SsoRequest {
    #[serde(default)]
    config: Option<Value>,
    login: Value,
}

pub(super) fn sso_body(r: &ops::SsoResult) -> (Value, String) {
    match &r.answer {
        SsoAnswer::Matched { user, linked } => (
            json!({"outcome": "matched", "user": user, "linked": linked}),
            "matched".into(),
        ),
        SsoAnswer::Created {
            username,
            home_label,
            labels,
            role,
        } => (
            json!({"outcome": "created", "user": r.user, "username": username,
                   "home_label": home_label, "labels": labels, "role": role}),
            "created".into(),
        ),
        SsoAnswer::Rejected(reason) => (
            json!({"outcome": "rejected", "reason": reason}),
            format!("rejected:{reason}"),
        ),
        SsoAnswer::InvalidConfig(reason) => (
            json!({"outcome": "invalid_config", "reason": reason}),
            format!("invalid_config:{reason}"),
        ),
    }
}

async fn sso(
    State(ctx): S,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    body: Body,
) -> Result<Response> {
    let (_, bytes) = begin(&ctx, &headers, Scope::Sso, &tenant, body).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ServerError::bad("json_syntax", "the body is not UTF-8", None))?;
    model::reject_duplicate_keys(text)?;
    let req: SsoRequest = parse(&bytes)?;
    let result = login(&ctx, &tenant, req.config.as_ref(), &req.login).await?;
    let (body, outcome) = sso_body(&result);
    Ok(answer(StatusCode::OK, body, outcome))
}

/// Decides an SSO login (with the store's default config when `config` is
/// `None`) and stores what it creates or links.
pub(super) async fn login(
    ctx: &Ctx,
    tenant: &str,
    config: Option<&Value>,
    login: &Value,
) -> Result<ops::SsoResult> {
    let login_text = login.to_string();
    model::login(&login_text)?;
    let fields: LoginFields = parse_value(login).map_err(|e| under("login", e))?;
    let config = config.map(Value::to_string);
    ops::sso(&ctx.app, tenant, config.as_deref(), &login_text, &fields).await
}

fn under(prefix: &str, e: ServerError) -> ServerError {
    match e {
        ServerError::BadRequest {
            code,
            message,
            path,
        } => {
            let path = match path.as_deref() {
                None | Some("$") => prefix.to_string(),
                Some(p) => format!("{prefix}.{p}"),
            };
            ServerError::bad(code, message, Some(path))
        }
        other => other,
    }
}

/// A user as stored, with their `version` (what `expect_version` names).
async fn user(
    State(ctx): S,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    UserId(id): UserId,
) -> Result<Response> {
    let v = ctx.app.versions().await?;
    authorize(&ctx, &headers, Scope::Read, Some(&tenant), v.keys_version).await?;
    let t = ctx.app.tenant(&tenant).await?;
    let u = ctx
        .app
        .user(&t, &id)
        .await?
        .ok_or(ServerError::UnknownUser(id))?;
    let mut body = serde_json::to_value(&u.doc).map_err(|e| ServerError::Corrupt(e.to_string()))?;
    body["version"] = json!(u.doc.version);
    Ok(answer(StatusCode::OK, body, "ok"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AuditQuery {
    user: Option<String>,
    since: Option<String>,
    limit: Option<i64>,
}

async fn audit(
    State(ctx): S,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    query: std::result::Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    let v = ctx.app.versions().await?;
    authorize(&ctx, &headers, Scope::Read, Some(&tenant), v.keys_version).await?;
    let Query(q) = query.map_err(|e| ServerError::bad("bad_query", e.body_text(), None))?;
    audit_records(&ctx, &tenant, q).await
}

/// `{"records": [...]}` for an audit query.
pub(super) async fn audit_records(ctx: &Ctx, tenant: &str, q: AuditQuery) -> Result<Response> {
    let since_ms = match q.since.as_deref() {
        None => None,
        Some(s) => Some(model::parse_time(s).ok_or_else(|| {
            ServerError::bad(
                "bad_timestamp",
                format!("`since` is an RFC 3339 time, not `{s}`"),
                Some("since".into()),
            )
        })?),
    };
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        return Err(ServerError::bad(
            "bad_value",
            "`limit` is 1 to 1000",
            Some("limit".into()),
        ));
    }
    let filter = AuditFilter {
        tenant: tenant.to_string(),
        user: q.user.filter(|u| !u.is_empty()),
        since_ms,
        limit,
    };
    let mut conn = ctx.app.db.pool.acquire().await?;
    let records = store::audit(&mut conn, &filter).await?;
    Ok(answer(StatusCode::OK, json!({ "records": records }), "ok"))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    token: Option<String>,
    since: Option<i64>,
    audience: Option<String>,
}

/// The audience a stream's token is verified for when the query names none
/// (the one `/v1/snapshots` signs by default).
pub const DEFAULT_AUDIENCE: &str = "backoffice";

/// `Last-Event-ID` (EventSource sends it when it reconnects), if any.
fn last_event_id(headers: &HeaderMap) -> Result<Option<i64>> {
    let Some(v) = headers.get("last-event-id") else {
        return Ok(None);
    };
    let text = v.to_str().unwrap_or("x").trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<i64>() {
        Ok(n) if n >= 0 => Ok(Some(n)),
        _ => Err(ServerError::bad(
            "bad_event_id",
            "`Last-Event-ID` is an event id this server sent (an integer)",
            Some("Last-Event-ID".into()),
        )),
    }
}

/// `GET /v1/events`: one user's change events as Server-Sent Events. The
/// page's own snapshot token authenticates it (`Authorization: Bearer` or
/// `?token=`, since EventSource cannot set headers), verified with this
/// server's keys; a token that expired less than the grace ago still opens.
async fn events(
    State(ctx): S,
    Tenant(tenant): Tenant,
    headers: HeaderMap,
    query: std::result::Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    let Query(q) = query.map_err(|e| ServerError::bad("bad_query", e.body_text(), None))?;
    let subject = stream_subject(&ctx, &tenant, &headers, &q).await?;
    let start = match last_event_id(&headers)?.or(q.since) {
        Some(n) if n >= 0 => Start::After(n),
        Some(_) => {
            let msg = "`since` is an event id";
            return Err(ServerError::bad("bad_value", msg, Some("since".into())));
        }
        None => Start::IssuedAt(subject.issued_at_ms.unwrap_or(0)),
    };
    // The token's user is read in this tenant; a token naming another
    // tenant is refused (`wrong_tenant`) before this.
    ctx.app.tenant(&tenant).await?;
    let sub = events::subscribe(&ctx.app, tenant, subject.user, start).await?;
    Ok(sse(sub, &ctx.app.events.options))
}

/// Whose stream it is: the verified snapshot token's subject. A header
/// and a query that carry two different tokens are refused
/// (`conflicting_credentials`): which one would win is nobody's guess.
async fn stream_subject(
    ctx: &Ctx,
    tenant: &str,
    headers: &HeaderMap,
    q: &EventsQuery,
) -> Result<model::TokenSubject> {
    let query_token = q.token.as_deref().filter(|t| !t.is_empty());
    if let (Some(h), Some(t)) = (bearer(headers), query_token) {
        if h != t {
            return Err(ServerError::bad(
                "conflicting_credentials",
                "`Authorization: Bearer` and `?token=` carry different tokens: send one",
                Some("token".into()),
            ));
        }
    }
    let token = bearer(headers)
        .or(query_token)
        .ok_or_else(|| ServerError::TokenRefused {
            code: "missing_token",
            message: "a snapshot token is required: `?token=` or `Authorization: Bearer`".into(),
        })?;
    let ring = ctx.app.keys().await?;
    let grace = ctx.app.events.options.token_grace.as_secs() as i64;
    let expect = model::TokenExpect {
        audience: q.audience.as_deref().unwrap_or(DEFAULT_AUDIENCE),
        tenant,
        grace_secs: grace,
    };
    model::verify_token(&ring.verifier, token, &expect, ctx.app.now()).map_err(|r| {
        ServerError::TokenRefused {
            code: r.code,
            message: r.message,
        }
    })
}

/// The SSE response: each message as `event`, `id` and JSON `data` (the
/// first also says how soon to reconnect), heartbeat comments when idle.
fn sse(sub: Subscription, o: &EventOptions) -> Response {
    let retry = o.retry;
    let stream = futures_util::stream::unfold((sub, true), move |(mut sub, first)| async move {
        let m = sub.next().await?;
        let mut e = Event::default()
            .event(m.name)
            .id(m.id.to_string())
            .data(m.data.to_string());
        if first {
            e = e.retry(retry);
        }
        Some((Ok::<_, std::convert::Infallible>(e), (sub, false)))
    });
    let keep_alive = KeepAlive::new().interval(o.heartbeat).text("ping");
    let mut r = Sse::new(stream).keep_alive(keep_alive).into_response();
    // Proxies must pass each event on at once.
    r.headers_mut()
        .insert("x-accel-buffering", HeaderValue::from_static("no"));
    r.extensions_mut().insert(Outcome("stream".into()));
    r
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantRequest {
    id: String,
    catalog: Value,
    #[serde(default)]
    sso_config: Option<Value>,
}

/// `POST /v1/tenants` (scope `tenants`, an all-tenant key): a new tenant on
/// a preset (`"catalog": "smartico-crm"`) or a catalog document, with an
/// empty directory.
async fn tenant_create(State(ctx): S, headers: HeaderMap, body: Body) -> Result<Response> {
    let v = ctx.app.versions().await?;
    authorize(&ctx, &headers, Scope::Tenants, None, v.keys_version).await?;
    let bytes = read_body(&ctx, body).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| ServerError::bad("json_syntax", "the body is not UTF-8", None))?;
    model::reject_duplicate_keys(text)?;
    let req: TenantRequest = parse(&bytes)?;
    let catalog = match &req.catalog {
        Value::String(id) if model::is_preset(id) => store::CatalogRecord::Preset(id.clone()),
        Value::Object(_) => store::CatalogRecord::Text {
            file: "catalog".into(),
            text: req.catalog.to_string(),
        },
        _ => {
            let msg = "`catalog` is a preset id (smartico-crm, tap-affiliate, smrtphone, loymax) or a catalog document";
            return Err(ServerError::bad("bad_value", msg, Some("catalog".into())));
        }
    };
    let sso = req.sso_config.as_ref().map(Value::to_string);
    let now = ctx.app.now();
    let t = ops::tenant_create(&ctx.app.db, &req.id, catalog, sso.as_deref(), now).await?;
    Ok(answer(
        StatusCode::CREATED,
        super::cli::tenant_json(&t),
        "created",
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TenantListQuery {
    after: Option<String>,
    limit: Option<i64>,
}

/// `GET /v1/tenants?after=ID&limit=N` (scope `tenants`, an all-tenant key):
/// tenants in id order, a page at a time.
async fn tenant_list(
    State(ctx): S,
    headers: HeaderMap,
    query: std::result::Result<Query<TenantListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    let v = ctx.app.versions().await?;
    authorize(&ctx, &headers, Scope::Tenants, None, v.keys_version).await?;
    let Query(q) = query.map_err(|e| ServerError::bad("bad_query", e.body_text(), None))?;
    let limit = q.limit.unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        let msg = "`limit` is 1 to 1000";
        return Err(ServerError::bad("bad_value", msg, Some("limit".into())));
    }
    let mut conn = ctx.app.db.pool.acquire().await?;
    let after = q.after.unwrap_or_default();
    let page = store::tenants(&mut conn, &after, limit).await?;
    let list: Vec<Value> = page.iter().map(super::cli::tenant_json).collect();
    Ok(answer(StatusCode::OK, json!({ "tenants": list }), "ok"))
}
