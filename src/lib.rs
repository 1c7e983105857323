#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod admin;
pub mod b64;
pub mod catalog;
pub mod directory;
pub mod engine;
pub mod error;
pub mod json;
pub mod presets;
pub mod rules;
#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
pub mod server;
pub mod snapshot;
pub mod sso;
#[cfg(feature = "testgen")]
pub mod testgen;
pub mod text;
pub mod time;
pub mod vectors;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use admin::{AdminDecision, AdminOp, AdminReason};
pub use catalog::Catalog;
pub use directory::Directory;
pub use engine::{Decision, Model};
pub use error::{LoadError, LoadErrorKind};
pub use rules::{Reason, Resource, Scalar};
pub use snapshot::jws::{issue, verify, Jwks, PrivateKey, Verified};
pub use snapshot::{IssueOptions, Snapshot, TokenError, TokenErrorKind, VerifyOptions};
pub use sso::{Login, SsoConfig, SsoOutcome, SsoReason};
