//! Token verification on any input. First byte even: the rest is a token as
//! received (header, size, signature checks). Odd: the rest is a claims
//! object, signed here with the fuzz key so the fuzzer reaches what runs
//! only after a good signature (claims, the snapshot decoder, checks).
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use permsnap::json::Json;
use permsnap::{verify, Jwks, PrivateKey, VerifyOptions};
use std::sync::OnceLock;

/// A test key (made with `permsnap keygen --kid fuzz`); the seed tokens in
/// corpus/token_verify are signed with it.
const KEY: &str = r#"{"kty":"OKP","crv":"Ed25519","x":"MbzHDUEMg3RbkNo_sFRfz_jGGBTuqy8SlxJ1Apb-VLg","d":"3AO2xtgtOyFysdZgP-9OTaFlc7wzyYk3gLQ4TVL9B_Q","kid":"fuzz","alg":"Ed25519","use":"sig"}"#;

fn fixture() -> &'static (PrivateKey, Jwks) {
    static F: OnceLock<(PrivateKey, Jwks)> = OnceLock::new();
    F.get_or_init(|| {
        let key = PrivateKey::from_json_text(KEY).expect("the fuzz key reads");
        let jwks = Jwks::from_json_text(&key.to_jwks().to_text()).expect("its JWKS reads");
        (key, jwks)
    })
}

fuzz_target!(|data: &[u8]| {
    let (key, jwks) = fixture();
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
        let Ok(claims) = Json::parse(text) else {
            return;
        };
        key.sign(&claims)
    };
    if let Ok(v) = verify(&token, jwks, &opts) {
        assert_eq!(v.claims.sub, v.snapshot.subject);
        common::assert_reencodes(&v.snapshot);
    }
});
