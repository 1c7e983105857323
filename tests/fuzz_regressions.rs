//! Inputs the fuzz targets (`fuzz/`) found, replayed as tests.
#![cfg(not(target_arch = "wasm32"))]

use permsnap::json::Json;
use permsnap::time::parse_rfc3339;
use permsnap::{issue, verify, Catalog, Directory, IssueOptions, Jwks, Model, PrivateKey};

/// token_verify, input `U9e-20` (base64 `VTllLTIw`): signing the claims
/// `9e-20` panicked with "attempt to multiply with overflow" in
/// `json::write_num` (`10u64.pow(20)`), in every build with overflow checks
/// (debug, tests). Numbers m·10^-k with k = 20..22 are read exactly, so
/// they must be written too.
#[test]
fn numbers_with_20_to_22_decimals_are_written_and_read_back_without_overflow() {
    for text in [
        "9e-20",
        "1e-20",
        "1e-21",
        "1e-22",
        "-7e-22",
        "123456789e-22",
        "9007199254740991e-22",
    ] {
        let v = Json::parse(text).unwrap();
        let written = v.to_text();
        assert_eq!(Json::parse(&written).unwrap(), v, "{text} -> {written}");
    }
    assert_eq!(Json::Num(9e-20).to_text(), format!("0.{}9", "0".repeat(19)));
}

#[test]
fn a_token_whose_claims_are_a_tiny_number_is_refused_not_a_panic() {
    let key = PrivateKey::from_seed(&[5; 32], Some("k"));
    let jwks = Jwks::from_json_text(&key.to_jwks().to_text()).unwrap();
    let token = key.sign(&Json::parse("9e-20").unwrap());
    let now = parse_rfc3339("2026-11-23T12:00:00Z").unwrap();
    let e = verify(
        &token,
        &jwks,
        &permsnap::VerifyOptions::new("backoffice", now),
    )
    .unwrap_err();
    assert_eq!(e.code(), "malformed");
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
    let jwks = Jwks::from_json_text(&key.to_jwks().to_text()).unwrap();
    let token = issue(&model, "u", now, &IssueOptions::default(), &key).unwrap();
    let v = verify(
        &token,
        &jwks,
        &permsnap::VerifyOptions::new("backoffice", now),
    )
    .unwrap();
    let r = permsnap::Resource::new().with("x", permsnap::Scalar::Num(1e-22));
    assert!(model.check("u", 1, "a.b", Some(&r), now).allowed);
    assert!(v.snapshot.check("a.b", 1, Some(&r), now).allowed());
}
