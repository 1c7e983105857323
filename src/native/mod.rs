//! The native side (feature `native`): everything that reads the host's
//! documents, decides with the server rules, signs and verifies natively.
//! Plain idiomatic Rust on the ecosystem's crates; never compiled for the
//! browser. It builds on the browser core ([`crate::core`]) and never the
//! other way round.
//!
//! Imports run one way, leaves first: [`time`], [`load`]; [`catalog`],
//! [`directory`], [`presets`]; [`jws`] (keys, signing, verification);
//! [`manifest`] (the served catalog manifest); [`engine`] (the server
//! rules' [`Model`](engine::Model)); [`issue`], [`admin`], [`sso`] on top.

pub mod admin;
pub mod catalog;
pub mod directory;
pub mod engine;
pub mod issue;
pub mod jws;
pub mod load;
pub mod manifest;
pub mod presets;
pub mod sso;
pub mod time;
