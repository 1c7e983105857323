#![doc = include_str!("../README.md")]
// The browser build (`wasm` without `std`) links no std: its panic handler
// traps, so no formatting machinery is linked (src/wasm.rs).
#![cfg_attr(all(feature = "wasm", not(feature = "std")), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;

// The browser core: always compiled, and all the browser build compiles.
pub mod error;
pub mod rules;
#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
pub mod server;
pub mod snapshot;

#[cfg(feature = "wasm")]
pub mod wasm;

// The native side (`docs/architecture.md`).
#[cfg(feature = "native")]
pub mod admin;
#[cfg(feature = "native")]
pub mod catalog;
#[cfg(feature = "native")]
pub mod directory;
#[cfg(feature = "native")]
pub mod engine;
#[cfg(feature = "native")]
pub mod issue;
#[cfg(feature = "native")]
pub mod jws;
#[cfg(feature = "native")]
pub mod load;
#[cfg(feature = "native")]
pub mod presets;
#[cfg(feature = "native")]
pub mod sso;
#[cfg(feature = "native")]
pub mod time;

// Test support: vector files and the seeded generator.
#[cfg(feature = "test-util")]
pub mod testgen;
#[cfg(feature = "test-util")]
pub mod vectors;

pub use error::{KeyError, VerifyError};
pub use rules::{Reason, Resource, Scalar, Value};
pub use snapshot::{Manifest, Snapshot};

#[cfg(feature = "native")]
pub use admin::{AdminDecision, AdminOp, AdminReason};
#[cfg(feature = "native")]
pub use catalog::Catalog;
#[cfg(feature = "native")]
pub use directory::Directory;
#[cfg(feature = "native")]
pub use engine::{Decision, Model};
#[cfg(feature = "native")]
pub use issue::{issue, IssueError, IssueOptions};
#[cfg(feature = "native")]
pub use jws::{verify, Jwks, PrivateKey, Verified, VerifyOptions};
#[cfg(feature = "native")]
pub use load::{LoadError, LoadErrorKind};
#[cfg(feature = "native")]
pub use sso::{Login, SsoConfig, SsoOutcome, SsoReason};
