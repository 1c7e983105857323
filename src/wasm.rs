//! The JavaScript boundary: the only module that touches `wasm_bindgen`
//! (the package's second generation replaces this placeholder).
