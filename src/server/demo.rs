//! Demo mode (`permsnap server --demo --www DIR --pkg DIR`), **not for
//! production**: it serves a demo page and the npm package, and routes that
//! play the host's backend for whichever user the page picks. There is no
//! login: anyone who reaches a demo server may act as any user. Without
//! `--demo` none of this exists (the router never sees these routes), and
//! `--demo` listens on loopback addresses only.
//!
//! It owns the demo routes' shapes and the static files; everything they do
//! goes through the same code as the API (`http`, `ops`), without API keys.

use super::config::DemoConfig;
use super::error::{Result, ServerError};
use super::http::{self, answer, Ctx, LogRoute, Outcome, Tenant};
use super::model;
use super::store;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::Response;
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::{json, Value};
use std::path::PathBuf;
use std::sync::Arc;

/// The demo routes (method, path), besides `/`, `/pkg/{*file}` and the
/// page's other files.
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/"),
    ("GET", "/demo/users"),
    ("GET", "/demo/catalog"),
    ("POST", "/demo/token"),
    ("POST", "/demo/admin"),
    ("POST", "/demo/sso"),
    ("GET", "/demo/audit"),
];

type S = State<Arc<Ctx>>;

/// Adds the demo routes and the static files to `api`.
pub fn routes(api: Router<Arc<Ctx>>) -> Router<Arc<Ctx>> {
    api.nest("/demo", demo_routes())
        .nest("/demo/tenants/{tenant}", demo_routes())
        .route("/pkg/{*file}", get(pkg_file))
        .route("/", get(index))
        .fallback(www_file)
}

/// The demo routes of one tenant: under `/demo` tenant `default`'s, under
/// `/demo/tenants/{tenant}` that tenant's.
fn demo_routes() -> Router<Arc<Ctx>> {
    Router::new()
        .route("/users", get(users))
        .route("/catalog", get(catalog))
        .route("/token", post(token))
        .route("/admin", post(admin))
        .route("/sso", post(sso))
        .route("/audit", get(audit))
}

/// The `Host` values that name a demo server listening on `addr`: its
/// address and port as written in a URL, and `localhost` with the port.
fn own_hosts(addr: std::net::SocketAddr) -> [String; 2] {
    let port = addr.port();
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) => v4.to_string(),
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
    };
    [format!("{ip}:{port}"), format!("localhost:{port}")]
}

/// Whether a request with these headers could only have come from the demo's
/// own page (or a tool on this machine): `Host` names the listen address
/// (else a rebound DNS name is reaching in), and a state-changing request
/// is `application/json` with no `Origin` or the demo's own (else any page
/// the developer visits could post as the owner).
fn same_site(addr: std::net::SocketAddr, method: &Method, headers: &HeaderMap) -> Result<()> {
    let hosts = own_hosts(addr);
    let named = |v: &str| hosts.iter().any(|h| h.eq_ignore_ascii_case(v));
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    if !host.is_some_and(named) {
        return Err(ServerError::CrossSite(format!(
            "the demo answers requests for http://{}/ only, not for Host `{}`",
            hosts[0],
            host.unwrap_or("(none)").escape_debug()
        )));
    }
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return Ok(());
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/json"));
    if !json {
        return Err(ServerError::CrossSite(
            "the demo takes state-changing requests as `content-type: application/json` only"
                .into(),
        ));
    }
    let origin = headers
        .get(header::ORIGIN)
        .map(|v| v.to_str().unwrap_or(""));
    let own_origin = |o: &str| o.strip_prefix("http://").is_some_and(named);
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if origin.is_some_and(|o| !own_origin(o)) || fetch_site == Some("cross-site") {
        return Err(ServerError::CrossSite(format!(
            "the demo takes state-changing requests from its own page (http://{}) only",
            hosts[0]
        )));
    }
    Ok(())
}

/// Demo mode's guard around every route: [`same_site`] or 403 `cross_site`.
pub async fn same_site_only(
    State(ctx): S,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match same_site(ctx.listen, req.method(), req.headers()) {
        Ok(()) => next.run(req).await,
        Err(e) => axum::response::IntoResponse::into_response(e),
    }
}

/// Checks that demo mode listens where only this machine reaches it.
pub fn check_listen(addr: std::net::SocketAddr) -> Result<()> {
    if addr.ip().is_loopback() {
        return Ok(());
    }
    Err(ServerError::Config(format!(
        "`--demo` lets anyone act as any user: it listens on a loopback address only, not `{addr}`"
    )))
}

fn demo(ctx: &Ctx) -> Result<&DemoConfig> {
    ctx.demo.as_ref().ok_or(ServerError::NotFound)
}

/// The content type of a file, by its extension.
pub fn content_type(path: &std::path::Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("wasm") => "application/wasm",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("ico") => "image/x-icon",
        Some("txt" | "md" | "ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `rel` as a path under a root: plain segments only (no `..`, no hidden
/// files, no backslash or NUL), else `None`.
fn safe_relative(rel: &str) -> Option<PathBuf> {
    let segments: Vec<&str> = rel.split('/').collect();
    let fine = |s: &&str| !s.is_empty() && !s.starts_with('.') && !s.contains(['\\', '\0', ':']);
    segments.iter().all(fine).then(|| segments.iter().collect())
}

/// A file under `root`, or 404; never a file outside it (symbolic links
/// included).
async fn file(root: &std::path::Path, rel: &str) -> Result<Response> {
    let rel = safe_relative(rel).ok_or(ServerError::NotFound)?;
    let root = tokio::fs::canonicalize(root)
        .await
        .map_err(|_| ServerError::NotFound)?;
    let path = tokio::fs::canonicalize(root.join(rel))
        .await
        .map_err(|_| ServerError::NotFound)?;
    if !path.starts_with(&root) || !path.is_file() {
        return Err(ServerError::NotFound);
    }
    let bytes = tokio::fs::read(&path)
        .await
        .map_err(|_| ServerError::NotFound)?;
    let mut r = Response::new(Body::from(bytes));
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&path)),
    );
    // The package is rebuilt while the demo runs: never a stale copy.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    r.extensions_mut().insert(Outcome("ok".into()));
    Ok(r)
}

async fn index(State(ctx): S) -> Result<Response> {
    file(&demo(&ctx)?.www, "index.html").await
}

async fn pkg_file(State(ctx): S, Path(rel): Path<String>) -> Result<Response> {
    file(&demo(&ctx)?.pkg, &rel).await
}

/// Any other GET: a file of the page; anything else 404.
async fn www_file(State(ctx): S, method: Method, uri: Uri) -> Result<Response> {
    if method != Method::GET && method != Method::HEAD {
        return Err(ServerError::NotFound);
    }
    let rel = uri.path().trim_start_matches('/');
    let mut r = file(&demo(&ctx)?.www, rel).await?;
    r.extensions_mut().insert(LogRoute("/{*file}"));
    Ok(r)
}

/// `GET /demo/users`: `{"labels", "users"}` as stored (the directory file
/// format: access entries, status, expiry, owner, identities).
async fn users(State(ctx): S, Tenant(tenant): Tenant) -> Result<Response> {
    ctx.app.tenant(&tenant).await?;
    let mut conn = ctx.app.db.pool.acquire().await?;
    let doc = store::load_directory(&mut conn, &tenant).await?;
    let body = json!({"labels": doc.labels, "users": doc.users});
    Ok(answer(StatusCode::OK, body, "ok"))
}

/// `GET /demo/catalog`: the catalog's permissions and, per role, additional
/// role and restriction role, what it grants or denies (for pickers and
/// a roles table).
async fn catalog(State(ctx): S, Tenant(tenant): Tenant) -> Result<Response> {
    ctx.app.versions().await?;
    let t = ctx.app.tenant(&tenant).await?;
    let body = model::catalog_table(&t.catalog.catalog);
    Ok(answer(StatusCode::OK, body, "ok"))
}

/// `POST /demo/token {"user", "ttl"?}`: the user's signed snapshot, as
/// `/v1/snapshots` answers it (`{"token", "expires_at", "kid"}`).
async fn token(State(ctx): S, Tenant(tenant): Tenant, body: Body) -> Result<Response> {
    let versions = ctx.app.versions().await?;
    let bytes = http::read_body(&ctx, body).await?;
    let req: http::SnapshotRequest = http::parse(&bytes)?;
    let body = http::issue_snapshot(&ctx, &tenant, versions, &req).await?;
    Ok(answer(StatusCode::OK, body, "issued"))
}

/// `POST /demo/admin {"actor", "op", ...}`: exactly what `/v1/admin`
/// answers (200 with the result, 403 with the reason and nothing changed).
async fn admin(State(ctx): S, Tenant(tenant): Tenant, body: Body) -> Result<Response> {
    ctx.app.versions().await?;
    let bytes = http::read_body(&ctx, body).await?;
    http::apply_admin(&ctx, &tenant, &bytes, false).await
}

/// `POST /demo/sso` body: an email the demo turns into a verified Google
/// login, or a whole login as `/v1/sso/login` takes it.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SsoRequest {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    login: Option<Value>,
}

/// The verified Google login a demo's email stands for; the subject is
/// derived from the email, so the same email logs in as the same identity.
fn google_login(email: &str) -> Value {
    json!({"provider": "google", "iss": "https://accounts.google.com",
           "sub": format!("demo:{}", email.to_ascii_lowercase()),
           "email": email, "email_verified": true})
}

/// `POST /demo/sso {"email"} | {"login"}`: an SSO login with the store's
/// default config (a first login may create the user); answers what
/// `/v1/sso/login` answers and, when someone is logged in, their snapshot
/// (`token`, `expires_at`).
async fn sso(State(ctx): S, Tenant(tenant): Tenant, body: Body) -> Result<Response> {
    let bytes = http::read_body(&ctx, body).await?;
    let req: SsoRequest = http::parse(&bytes)?;
    let login = match (req.email, req.login) {
        (Some(e), None) => google_login(&e),
        (None, Some(l)) => l,
        _ => {
            let msg = "give `email` or `login`, not both";
            return Err(ServerError::bad("bad_value", msg, Some("$".into())));
        }
    };
    ctx.app.versions().await?;
    let result = http::login(&ctx, &tenant, None, &login).await?;
    let (mut body, outcome) = http::sso_body(&result);
    if let Some(user) = &result.user {
        let req = http::SnapshotRequest {
            user: user.clone(),
            audience: None,
            ttl: None,
        };
        let v = ctx.app.versions().await?;
        let issued = http::issue_snapshot(&ctx, &tenant, v, &req).await?;
        body["token"] = issued["token"].clone();
        body["expires_at"] = issued["expires_at"].clone();
    }
    Ok(answer(StatusCode::OK, body, outcome))
}

/// `GET /demo/audit?user=&since=&limit=`: what `/v1/audit` answers
/// (`{"records"}`, oldest first; without `since` the latest `limit`, 100 by
/// default).
async fn audit(
    State(ctx): S,
    Tenant(tenant): Tenant,
    query: std::result::Result<Query<http::AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response> {
    let Query(q) = query.map_err(|e| ServerError::bad("bad_query", e.body_text(), None))?;
    http::audit_records(&ctx, &tenant, q).await
}
