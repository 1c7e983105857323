//! The server's integration tests: the API against SQLite and against a
//! real PostgreSQL cluster started by the harness, two instances on one
//! PostgreSQL, a kill -9 during concurrent writes, abuse cases, conformance
//! parity with the library over every vector file, the OpenAPI document
//! and the README's curl examples, live change events, demo mode, and the
//! findings of the security review of issue 19, each over HTTP.

/// Runs an async test body on SQLite and on PostgreSQL (a module per
/// backend, named after the body).
macro_rules! both {
    ($name:ident) => {
        mod $name {
            use crate::server::common::Backend;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name(Backend::Postgres).await
            }
        }
    };
}

mod abuse;
mod api;
mod common;
mod conformance;
mod crash;
mod demo;
mod docs;
mod instances;
mod live;
mod review;
mod sse;
mod tenants;
