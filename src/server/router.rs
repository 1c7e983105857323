//! The router: the API's routes ([`super::http`]), in demo mode the demo's
//! ([`super::demo`]), the fallbacks, one log line per request, and panic
//! containment.

use super::error::ServerError;
use super::http::{Ctx, LogRoute, Outcome, ROUTES};
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use std::sync::Arc;
use std::time::Instant;

/// The routes (and, in demo mode, the demo's), with logging and panic containment.
pub fn router(ctx: Arc<Ctx>) -> Router {
    let api = super::http::api();
    let routes = match ctx.demo {
        Some(_) => super::demo::routes(api).layer(axum::middleware::from_fn_with_state(
            ctx.clone(),
            super::demo::same_site_only,
        )),
        None => api.fallback(|| async { ServerError::NotFound }),
    };
    routes
        .method_not_allowed_fallback(|| async { ServerError::MethodNotAllowed })
        .with_state(ctx)
        .layer(axum::middleware::from_fn(log_request))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ServerError::Corrupt("a handler panicked".into()).into_response()
            },
        ))
}

/// The route template a path belongs to: logs never carry raw path text
/// (a user id segment could be anything, an email included).
pub fn route_label(path: &str) -> &'static str {
    // `/v1/tenants/{tenant}/rest` is labelled as `/v1/rest` is, with the prefix.
    if let Some((_, rest)) = path
        .strip_prefix("/v1/tenants/")
        .and_then(|r| r.split_once('/'))
    {
        let inner = route_label(&format!("/v1/{rest}"));
        return ROUTES
            .iter()
            .map(|(_, p)| *p)
            .find(|p| p.strip_prefix("/v1/tenants/{tenant}") == inner.strip_prefix("/v1"))
            .unwrap_or("(unmatched)");
    }
    if let Some((_, rest)) = path
        .strip_prefix("/demo/tenants/")
        .and_then(|r| r.split_once('/'))
    {
        return match route_label(&format!("/demo/{rest}")) {
            "(unmatched)" => "(unmatched)",
            _ => "/demo/tenants/{tenant}/*",
        };
    }
    if path.starts_with("/v1/users/") {
        return "/v1/users/{id}";
    }
    if path.starts_with("/v1/manifest/") {
        return "/v1/manifest/{hash}";
    }
    if path.starts_with("/pkg/") {
        return "/pkg/{*file}";
    }
    ROUTES
        .iter()
        .chain(super::demo::ROUTES)
        .find(|(_, p)| *p == path)
        .map_or("(unmatched)", |(_, p)| p)
}

/// One line per request. The path is the route's template, never the raw
/// path or its query (`/v1/events?token=...` logs as `/v1/events`).
async fn log_request(req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().clone();
    let route = route_label(req.uri().path());
    let res = next.run(req).await;
    let route = res.extensions().get::<LogRoute>().map_or(route, |r| r.0);
    let outcome = res
        .extensions()
        .get::<Outcome>()
        .map_or("", |o| o.0.as_str());
    tracing::info!(
        target: "permsnap::http",
        method = %method,
        path = route,
        status = res.status().as_u16(),
        latency_us = start.elapsed().as_micros() as u64,
        outcome,
        "request"
    );
    res
}
