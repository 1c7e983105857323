//! Lists `tests/vectors/*.json` for the tests, which embed them with
//! `include_str!` (the wasm tests have no file system).

use std::fmt::Write as _;

fn main() {
    println!("cargo:rerun-if-changed=tests/vectors");
    let mut files: Vec<String> = std::fs::read_dir("tests/vectors")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let mut out = String::from(
        "/// Every vector file: (name, text).\npub const VECTOR_FILES: &[(&str, &str)] = &[\n",
    );
    for f in &files {
        let _ = writeln!(out, "    ({f:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/tests/vectors/{f}\"))),");
    }
    out.push_str("];\n");
    let dest = std::path::Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("vectors.rs");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}
