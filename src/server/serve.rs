//! The listener: accepts connections up to a limit, checks each request
//! head before hyper sees it ([`super::head`]: a refused head gets a JSON
//! error like every other refusal), serves each connection with hyper's
//! HTTP/1 (head read timeout that also closes idle keep-alive
//! connections), and shuts down gracefully.

use super::error::{Result, ServerError};
use super::head::{HeadGuard, RefusalSlot, MAX_HEADERS};
use super::Limits;
use axum::response::Response;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// hyper refuses a smaller read buffer.
const MIN_HEAD_BUFFER: usize = 8192;

/// Serves `router` on `listener` until `stop` turns true, then lets open
/// requests finish (for at most `limits.shutdown_grace`).
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    // The guard holds heads to `max_head_bytes` and MAX_HEADERS first;
    // hyper's own limits stay above them, so hyper never refuses a head
    // with its empty-bodied answers.
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_buf_size((2 * limits.max_head_bytes).max(MIN_HEAD_BUFFER))
        .max_headers(MAX_HEADERS + 1)
        .keep_alive(true);
    loop {
        let (stream, _peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, go on.
                    tracing::warn!(target: "permsnap::server", error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => break,
        };
        // Over the connection limit: close at once rather than queue.
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let slot = RefusalSlot::default();
        let io = HeadGuard::new(stream, limits.max_head_bytes, slot.clone());
        let conn = http.serve_connection(TokioIo::new(io), connection_service(&router, slot));
        let conn = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = conn.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await;
    Ok(())
}

/// One connection's service: the router, except for the stand-in request of
/// a refused head, which gets the refusal's JSON error.
fn connection_service(
    router: &axum::Router,
    slot: RefusalSlot,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = Response,
    Error = std::convert::Infallible,
    Future = impl Send,
> + Clone {
    let router = router.clone();
    hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let refused = slot.lock().ok().and_then(|mut s| s.take());
        let router = router.clone();
        async move {
            match refused {
                Some(r) => {
                    tracing::info!(target: "permsnap::http", status = r.status.as_u16(),
                        outcome = r.code, "request head refused");
                    Ok(r.response())
                }
                None => router.oneshot(req.map(axum::body::Body::new)).await,
            }
        }
    })
}

/// Binds `addr`.
pub async fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr)
        .await
        .map_err(|e| ServerError::Io(format!("cannot listen on {addr}: {e}")))
}
