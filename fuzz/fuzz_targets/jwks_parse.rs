//! JWKS and private JWK parsing on any input. A private key that reads must
//! publish a JWKS that reads, and a token it signs must verify against it.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use permsnap::json::Json;
use permsnap::{verify, Jwks, PrivateKey, VerifyOptions};

const CLAIMS: &str = r#"{"iss":"permsnap","sub":"u1","aud":"backoffice","iat":1795435200,"exp":1795436100,
  "psnap":{"v":1,"c":"c","p":"a.b,c","s":[["r","R","Aw"]],"l":[[1,0,[0],[]]]}}"#;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = VerifyOptions::new("backoffice", common::NOW);
    if let Ok(jwks) = Jwks::from_json_text(text) {
        let kids: Vec<String> = jwks.kids().map(str::to_string).collect();
        for kid in &kids {
            assert!(jwks.get(kid).is_some());
        }
    }
    if let Ok(key) = PrivateKey::from_json_text(text) {
        let jwks = Jwks::from_json_text(&key.to_jwks().to_text())
            .expect("the JWKS of a key that reads, reads");
        let claims = Json::parse(CLAIMS).expect("claims");
        let token = key.sign(&claims);
        let v = verify(&token, &jwks, &opts).expect("a token signed by a key that reads verifies");
        assert_eq!(v.kid, key.kid());
        assert!(v.snapshot.check("a.b", 1, None, common::NOW).allowed());
    }
});
