//! Building messages without `format!`: the browser build stays free of most
//! of `core::fmt` (each `format!` call site costs wasm bytes).

/// The parts, one after another.
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        out.push_str(p);
    }
    out
}
