//! Token verification on any input. First byte even: the rest is a token as
//! received (header, size, signature checks). Odd: the rest is a payload,
//! signed here with the fuzz key (bit 1 of the first byte picks the `alg`
//! spelling, `EdDSA` or `Ed25519`), so the fuzzer reaches what runs only
//! after a good signature (claims, the snapshot claim, the checks against a
//! catalog manifest). The high four bits set the leeway.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use permsnap::native::issue::ManifestFile;
use permsnap::core::snapshot::token::{ALG_ED25519, ALG_EDDSA, TYP};
use permsnap::native::presets;
use permsnap::{verify, Jwks, PrivateKey, VerifyError, VerifyOptions};
use std::sync::OnceLock;

/// A test key (made with `permsnap keygen --kid fuzz`); the seed tokens in
/// corpus/token_verify are signed with it.
const KEY: &str = r#"{"kty":"OKP","crv":"Ed25519","x":"MbzHDUEMg3RbkNo_sFRfz_jGGBTuqy8SlxJ1Apb-VLg","d":"3AO2xtgtOyFysdZgP-9OTaFlc7wzyYk3gLQ4TVL9B_Q","kid":"fuzz","alg":"Ed25519","use":"sig"}"#;

struct Fixture {
    key: PrivateKey,
    jwks: Jwks,
    /// the presets' catalog manifests: a token naming one of them gets its
    /// snapshot checked against it
    manifests: Vec<ManifestFile>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let key = PrivateKey::from_json_text(KEY).expect("the fuzz key reads");
        let jwks = Jwks::from_json_text(&key.to_jwks().to_string()).expect("its JWKS reads");
        let manifests = presets::PRESETS
            .iter()
            .map(|(id, _)| ManifestFile::of(&presets::preset(id).expect("presets load")))
            .collect();
        Fixture {
            key,
            jwks,
            manifests,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut opts = VerifyOptions::new("backoffice", common::NOW);
    opts.leeway_secs = i64::from(mode >> 4) * 60;
    let token = if mode & 1 == 0 {
        text.to_string()
    } else {
        let alg = if mode & 2 == 0 {
            ALG_EDDSA
        } else {
            ALG_ED25519
        };
        let header = format!(r#"{{"alg":"{alg}","typ":"{TYP}","kid":"fuzz"}}"#);
        f.key.sign_compact(header.as_bytes(), text.as_bytes())
    };
    let Ok(v) = verify(&token, &f.jwks, &opts) else {
        return;
    };
    assert_eq!(v.kid, "fuzz");
    for m in &f.manifests {
        match v.snapshot(m.manifest()) {
            Ok(s) => {
                assert_eq!(v.claim.manifest, m.hash());
                assert_eq!(s.subject(), v.claims.sub);
                assert_eq!(s.expires_at(), v.claims.exp.secs() * 1000);
                common::assert_reencodes(&s, m.manifest(), &v.claim);
            }
            // a token compiled against another manifest says so
            Err(VerifyError::ManifestMismatch { found, .. }) => {
                assert_ne!(v.claim.manifest, m.hash());
                assert_eq!(found, v.claim.manifest);
            }
            Err(e) => {
                assert_eq!(v.claim.manifest, m.hash(), "{e}");
                assert_eq!(e.code(), "malformed", "{e}");
            }
        }
    }
});
