#![doc = include_str!("../README.md")]
// The browser build (`wasm` without `std`) links no std: its panic handler
// traps, so no formatting machinery is linked (src/wasm/mod.rs).
#![cfg_attr(all(feature = "wasm", not(feature = "std")), no_std)]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

extern crate alloc;

// The source tree shows the rooms (`docs/architecture.md`):
// * `core/`: the browser core, compiled in every build (wasm and native);
// * `wasm/`: the JavaScript boundary, the browser build only;
// * `native/`: the native side (feature `native`);
// * `server/`: `permsnap server` and its store (feature `server`);
// * `testing/`: vector files and the seeded generator (feature `test-util`).
pub mod core;
#[cfg(feature = "native")]
pub mod native;
#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
pub mod server;
#[cfg(feature = "test-util")]
pub mod testing;
#[cfg(feature = "wasm")]
pub mod wasm;

pub use crate::core::error::{KeyError, VerifyError};
pub use crate::core::rules::{Reason, Resource, Scalar, Value};
pub use crate::core::snapshot::{Manifest, Snapshot};

#[cfg(feature = "native")]
pub use native::admin::{AdminDecision, AdminOp, AdminReason};
#[cfg(feature = "native")]
pub use native::catalog::Catalog;
#[cfg(feature = "native")]
pub use native::directory::Directory;
#[cfg(feature = "native")]
pub use native::engine::{Decision, Model};
#[cfg(feature = "native")]
pub use native::issue::{issue, IssueError, IssueOptions};
#[cfg(feature = "native")]
pub use native::jws::{verify, Jwks, PrivateKey, Verified, VerifyOptions};
#[cfg(feature = "native")]
pub use native::load::{LoadError, LoadErrorKind};
#[cfg(feature = "native")]
pub use native::sso::{Login, SsoConfig, SsoOutcome, SsoReason};
