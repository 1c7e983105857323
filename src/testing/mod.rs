//! Test support (feature `test-util`): the vector files and their runner,
//! the seeded scenario generator. Used by the tests, the benchmarks and the
//! CLI's `conformance` and `samples` commands; never by the server or the
//! browser build.

pub mod testgen;
pub mod vectors;
