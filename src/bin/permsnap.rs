//! `permsnap`: the command-line face of the server rules, for servers, ops
//! and tests. Every answer is JSON on stdout; every error is
//! `{"error": {"code", "message"}}` on stdout with exit status 2 (exit 1 is
//! kept for "conformance found failures").

mod cli;

fn main() {
    std::process::exit(cli::main(std::env::args().skip(1).collect()));
}
