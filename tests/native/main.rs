//! The native integration tests, one binary made of modules (the browser
//! side's tests are `tests/wasm.rs` and the package's own, in JS).
#![cfg(not(target_arch = "wasm32"))]

mod cli;
mod conformance;
mod differential;
mod limits;
mod properties;
mod token_size;
