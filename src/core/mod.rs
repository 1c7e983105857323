//! The browser core: what runs in the browser (compiled to wasm for the npm
//! package) and natively alike. The snapshot types, the decision rules and
//! the checker; `no_std`, `alloc` and `serde` only. Nothing here imports the
//! native side ([`crate::native`]) or the server: that is what keeps the
//! browser build small, and the compiler enforces it (without the `native`
//! feature those modules do not exist).
//!
//! Imports run one way: [`snapshot`] uses [`rules`] and [`error`]; [`rules`]
//! uses [`error`]; [`error`] uses only this module's constant.

pub mod error;
pub mod rules;
pub mod snapshot;

/// The snapshot format version this build reads and writes (claim and manifest).
pub const SNAPSHOT_VERSION: u64 = 2;
