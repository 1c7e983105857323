//! The catalog manifest as it is served (native): its exact text, checked
//! and hashed. One per catalog; a page fetches it once and every token
//! names its hash.

use crate::core::snapshot::{
    Manifest, ManifestData, PermissionEntry, SourceEntry, SourceKind, VERSION,
};
use crate::native::jws::b64;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// A catalog manifest as it is served: its exact text, and the manifest
/// checked and hashed.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestFile {
    text: Arc<str>,
    manifest: Arc<Manifest>,
}

/// The hash of a manifest text: base64url of the first 16 bytes of its SHA-256.
pub fn manifest_hash(text: &[u8]) -> String {
    b64::encode(&Sha256::digest(text)[..16])
}

impl ManifestFile {
    /// The manifest of `catalog`.
    pub fn of(catalog: &crate::native::catalog::Catalog) -> ManifestFile {
        let grantor = |g: &crate::native::catalog::Grantor, kind| SourceEntry {
            id: g.id.clone(),
            kind,
            title: g.title.clone(),
            rules: g.rules.clone(),
        };
        let sources = catalog
            .roles
            .iter()
            .map(|g| grantor(g, SourceKind::Role))
            .chain(
                catalog
                    .additional
                    .iter()
                    .map(|g| grantor(g, SourceKind::Additional)),
            )
            .chain(
                catalog
                    .restrictions
                    .iter()
                    .map(|g| grantor(g, SourceKind::Restriction)),
            )
            .collect();
        let data = ManifestData {
            v: VERSION,
            catalog: catalog.id.clone(),
            title: catalog.title.clone(),
            permissions: catalog
                .permissions
                .iter()
                .map(|p| PermissionEntry {
                    id: p.id.clone(),
                    title: p.title.clone(),
                })
                .collect(),
            sources,
        };
        // Serializing plain data to a string cannot fail; the fallback is
        // an empty text whose hash no token names.
        let text = serde_json::to_string(&data).unwrap_or_default();
        let hash = manifest_hash(text.as_bytes());
        let manifest = Manifest::from_compiled(data, hash);
        ManifestFile {
            text: text.into(),
            manifest: Arc::new(manifest),
        }
    }

    /// Reads a served manifest text (strict JSON), hashing its exact bytes.
    pub fn from_text(text: &str) -> Result<ManifestFile, crate::core::error::VerifyError> {
        let data: ManifestData = crate::native::jws::strict_json(text.as_bytes(), "the manifest")?;
        let manifest = Manifest::new(data, manifest_hash(text.as_bytes()))?;
        Ok(ManifestFile {
            text: text.into(),
            manifest: Arc::new(manifest),
        })
    }

    /// The exact text (what is served and hashed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The hash a token names.
    pub fn hash(&self) -> &str {
        self.manifest.hash()
    }

    /// The checked manifest, to build snapshots against.
    pub fn manifest(&self) -> &Arc<Manifest> {
        &self.manifest
    }
}
