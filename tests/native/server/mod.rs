//! The server's integration tests: the API against SQLite and against a
//! real PostgreSQL cluster started by the harness, two instances on one
//! PostgreSQL, a kill -9 during concurrent writes, abuse cases, conformance
//! parity with the library over every vector file, the OpenAPI document
//! and the README's curl examples, live change events, and demo mode.

mod abuse;
mod api;
mod common;
mod conformance;
mod crash;
mod demo;
mod docs;
mod instances;
mod live;
mod sse;
