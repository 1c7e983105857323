//! The native integration tests, one binary made of modules (the browser
//! side's tests are `tests/wasm.rs` and the package's own, in JS).

mod cli;
mod conformance;
mod differential;
mod ed25519_known_answers;
mod fuzz_regressions;
mod jws_attacks;
mod limits;
mod properties;
#[cfg(all(feature = "server", feature = "cli"))]
mod server;
mod token_size;
