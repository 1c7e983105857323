//! The four seed products as embedded catalogs, selectable by id.
//! The JSON files beside this module are the source; `src/native/presets/README.md`
//! maps each seed sentence to the permissions and roles.

use crate::native::catalog::Catalog;
use crate::native::load::{LoadError, LoadErrorKind};

/// Preset ids with their catalog JSON.
pub const PRESETS: &[(&str, &str)] = &[
    ("smartico-crm", include_str!("presets/smartico-crm.json")),
    ("tap-affiliate", include_str!("presets/tap-affiliate.json")),
    ("smrtphone", include_str!("presets/smrtphone.json")),
    ("loymax", include_str!("presets/loymax.json")),
];

/// The catalog JSON text of a preset.
pub fn preset_text(id: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(p, _)| *p == id).map(|(_, t)| *t)
}

/// Loads a preset catalog by id (`unknown_preset` when there is none).
pub fn preset(id: &str) -> Result<Catalog, LoadError> {
    let text = preset_text(id).ok_or_else(|| {
        let known: Vec<&str> = PRESETS.iter().map(|(p, _)| *p).collect();
        LoadError::new(
            LoadErrorKind::UnknownPreset,
            "catalog",
            format!(
                "`{id}` is not a preset; the presets are `{}`",
                known.join("`, `")
            ),
        )
    })?;
    Catalog::from_json_text(text, &format!("preset {id}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_loads_and_its_id_matches_its_name() {
        for (id, _) in PRESETS {
            let c = preset(id).unwrap();
            assert_eq!(c.id, *id);
            assert!(!c.roles.is_empty(), "{id} has roles");
        }
    }

    #[test]
    fn an_unknown_preset_is_refused_with_the_known_ones_named() {
        let e = preset("smartico").unwrap_err();
        assert_eq!(e.code(), "unknown_preset");
        assert!(e.message.contains("`smartico-crm`"));
    }
}
