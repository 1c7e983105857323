//! JWKS and private JWK parsing on any input. A private key that reads must
//! publish a JWKS that reads, write a private JWK that reads back to the
//! same key, and a token it issues (under either `alg` spelling) must verify
//! against its JWKS and answer as the server does.
#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use permsnap::native::issue::{issue, Alg, IssueOptions};
use permsnap::{verify, Catalog, Directory, Jwks, Model, PrivateKey, VerifyOptions};
use std::sync::OnceLock;

const CATALOG: &str = r#"{"id":"c","title":"C","admin_permission":"c.d","sections":[{"id":"a","title":"A"},{"id":"c","title":"C"}],
  "permissions":[{"id":"a.b","title":"B","section":"a"},{"id":"c.d","title":"D","section":"c"}],
  "roles":[{"id":"r","title":"R","grants":["a.b"]}]}"#;

const DIRECTORY: &str = r#"{"labels":[{"id":1,"name":"One","suffix":"one"}],
  "users":[{"id":"u1","username":"a@one","email":"a@x.com","home_label":1,"access":{"1":{"roles":["r"]}}}]}"#;

fn model() -> &'static Model {
    static M: OnceLock<Model> = OnceLock::new();
    M.get_or_init(|| {
        let catalog = Catalog::from_json_text(CATALOG, "c.json").expect("the catalog loads");
        let directory =
            Directory::from_json_text(DIRECTORY, "d.json", &catalog).expect("the directory loads");
        Model::new(catalog, directory)
    })
}

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
        let jwks = Jwks::from_json_text(&key.to_jwks().to_string())
            .expect("the JWKS of a key that reads, reads");
        assert_eq!(jwks, Jwks::of(&[&key]));
        let again = PrivateKey::from_json_text(&key.to_private_jwk().to_string())
            .expect("the private JWK of a key that reads, reads");
        assert_eq!(again.kid(), key.kid());
        assert_eq!(again.verifying_key(), key.verifying_key());
        let model = model();
        for alg in [Alg::EdDsa, Alg::Ed25519] {
            let issue_opts = IssueOptions {
                alg,
                ..IssueOptions::default()
            };
            let token = issue(model, "u1", common::NOW, &issue_opts, &key).expect("u1 is known");
            let v = verify(&token, &jwks, &opts)
                .expect("a token issued with a key that reads verifies");
            assert_eq!(v.kid, key.kid());
            let s = v
                .snapshot(model.manifest().manifest())
                .expect("its snapshot checks against its manifest");
            assert!(s.check("a.b", 1, None, common::NOW).allowed());
            assert!(!s.check("c.d", 1, None, common::NOW).allowed());
        }
    }
});
