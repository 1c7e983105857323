//! Inputs the fuzz targets (`fuzz/`) found, replayed as tests.

use permsnap::core::snapshot::token::TYP;
use permsnap::native::issue::{issue, IssueOptions};
use permsnap::native::jws::{verify, Jwks, PrivateKey, VerifyOptions};
use permsnap::native::time::parse_rfc3339;
use permsnap::{Catalog, Directory, Model, Resource, Value};

/// token_verify, input `U9e-20` (base64 `VTllLTIw`): signing the claims
/// `9e-20` panicked with "attempt to multiply with overflow" in the
/// hand-written JSON writer (`json::write_num`, `10u64.pow(20)`), in every
/// build with overflow checks (debug, tests). Numbers m·10^-k with
/// k = 20..22 are read exactly, so they must be written too.
///
/// That writer is gone: the issuer writes the claims and the manifest with
/// serde_json (`float_roundtrip`). The property stays, on the paths that
/// write such a number: a condition on it in an access entry's direct grant
/// (written into the token's `x`) and in a role (written into the catalog
/// manifest) is issued, signed, verified and answered as the server does,
/// without a panic. The text itself changed (serde_json writes `9e-20`, the
/// old writer wrote `0.` and 19 zeros and `9`), so it is no longer pinned;
/// both texts read back to the same number.
#[test]
fn numbers_with_20_to_22_decimals_are_written_and_read_back_without_overflow() {
    let now = parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
    let key = PrivateKey::from_seed(&[5; 32], Some("k"));
    let jwks = Jwks::of(&[&key]);
    for text in [
        "9e-20",
        "1e-20",
        "1e-21",
        "1e-22",
        "-7e-22",
        "123456789e-22",
        "9007199254740991e-22",
    ] {
        let n: f64 = text.parse().unwrap();
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        let written = serde_json::to_string(&v).unwrap();
        let back: serde_json::Value = serde_json::from_str(&written).unwrap();
        assert_eq!(back.as_f64(), Some(n), "{text} -> {written}");

        let catalog = Catalog::from_json_text(
            &format!(
                r#"{{"id":"c","title":"C","admin_permission":"a.b","sections":[{{"id":"a","title":"A"}}],
                "permissions":[{{"id":"a.b","title":"B","section":"a"}},{{"id":"a.c","title":"C","section":"a"}}],
                "roles":[{{"id":"r","title":"R","grants":[{{"permission":"a.c","when":[{{"attr":"x","eq":{text}}}]}}]}}]}}"#
            ),
            "c.json",
        )
        .unwrap();
        let dir = Directory::from_json_text(
            &format!(
                r#"{{"labels":[{{"id":1,"name":"L","suffix":"l"}}],"users":[{{"id":"u","username":"u@l","email":"u@x.com","home_label":1,
                "access":{{"1":{{"roles":["r"],"grants":[{{"permission":"a.b","when":[{{"attr":"x","eq":{text}}}]}}]}}}}}}]}}"#
            ),
            "d.json",
            &catalog,
        )
        .unwrap();
        let model = Model::new(catalog, dir);
        let token = issue(&model, "u", now, &IssueOptions::default(), &key).unwrap();
        let verified = verify(&token, &jwks, &VerifyOptions::new("backoffice", now)).unwrap();
        assert_eq!(verified.claim.direct.len(), 1, "{text}");
        let served =
            permsnap::native::issue::ManifestFile::from_text(model.manifest().text()).unwrap();
        let snapshot = verified.snapshot(served.manifest()).unwrap();
        let r = Resource::new().with("x", Value::Num(n));
        for action in ["a.b", "a.c"] {
            assert!(
                model.check("u", 1, action, Some(&r), now).allowed,
                "{text} {action}"
            );
            assert!(
                snapshot.check(action, 1, Some(&r), now).allowed(),
                "{text} {action}"
            );
        }
    }
    let old_text = format!("0.{}9", "0".repeat(19));
    let v: serde_json::Value = serde_json::from_str(&old_text).unwrap();
    assert_eq!(v.as_f64(), Some(9e-20));
}

#[test]
fn a_token_whose_claims_are_a_tiny_number_is_refused_not_a_panic() {
    let key = PrivateKey::from_seed(&[5; 32], Some("k"));
    let jwks = Jwks::from_json_text(&key.to_jwks().to_string()).unwrap();
    let header = format!(r#"{{"alg":"EdDSA","typ":"{TYP}","kid":"k"}}"#);
    let now = parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
    for claims in ["9e-20", "0.00000000000000000009", "1e-22", "-7e-22"] {
        let token = key.sign_compact(header.as_bytes(), claims.as_bytes());
        let e = verify(&token, &jwks, &VerifyOptions::new("backoffice", now)).unwrap_err();
        assert_eq!(e.code(), "malformed", "{claims}");
    }
}

#[test]
fn a_condition_on_a_tiny_number_is_issued_verified_and_answered_as_the_server_does() {
    let catalog = Catalog::from_json_text(
        r#"{"id":"c","title":"C","admin_permission":"a.b","sections":[{"id":"a","title":"A"}],
        "permissions":[{"id":"a.b","title":"B","section":"a"}],
        "roles":[{"id":"r","title":"R","grants":[{"permission":"a.b","when":[{"attr":"x","eq":1e-22}]}]}]}"#,
        "c.json",
    )
    .unwrap();
    let dir = Directory::from_json_text(
        r#"{"labels":[{"id":1,"name":"L","suffix":"l"}],"users":[{"id":"u","username":"u@l","email":"u@x.com","home_label":1,"access":{"1":{"roles":["r"]}}}]}"#,
        "d.json",
        &catalog,
    )
    .unwrap();
    let model = Model::new(catalog, dir);
    let now = parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
    let key = PrivateKey::from_seed(&[5; 32], Some("k"));
    let jwks = Jwks::from_json_text(&key.to_jwks().to_string()).unwrap();
    let token = issue(&model, "u", now, &IssueOptions::default(), &key).unwrap();
    let v = verify(&token, &jwks, &VerifyOptions::new("backoffice", now)).unwrap();
    // the condition lives in the catalog manifest now, not in the token:
    // the manifest text must carry the tiny number exactly as well
    let served = permsnap::native::issue::ManifestFile::from_text(model.manifest().text()).unwrap();
    assert_eq!(served.hash(), model.manifest().hash());
    let snapshot = v.snapshot(served.manifest()).unwrap();
    let r = Resource::new().with("x", Value::Num(1e-22));
    assert!(model.check("u", 1, "a.b", Some(&r), now).allowed);
    assert!(snapshot.check("a.b", 1, Some(&r), now).allowed());
    // and a neighbouring number is not taken for it, on either side
    let next = f64::from_bits(1e-22_f64.to_bits() + 1);
    assert_ne!(next, 1e-22);
    let near = Resource::new().with("x", Value::Num(next));
    assert!(!model.check("u", 1, "a.b", Some(&near), now).allowed);
    assert!(!snapshot.check("a.b", 1, Some(&near), now).allowed());
}
