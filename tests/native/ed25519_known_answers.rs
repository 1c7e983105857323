//! Known answers for the Ed25519 layer of permsnap: RFC 8032 section 7.1,
//! RFC 8037 appendix A, Wycheproof's `ed25519_test.json`, the CCTV edge cases
//! (`ed25519vectors.json`) and Wycheproof's JWS cases, none of which is
//! Ed25519 and all of which must be refused.
//!
//! Over the Wycheproof and CCTV cases it also shows what lets the browser
//! emulate `verify_strict` with WebCrypto: the core's byte checks
//! ([`strict_signature_prechecks`], [`is_small_order`]) before a plain
//! RFC 8032 verification accept exactly what `verify_strict` accepts.
//!
//! The vector files are read at test time from `tests/data/` (copies with
//! their licences, see `tests/data/README.md`); a missing file fails the
//! test, it never skips it.

use ed25519_dalek::{Signature, Verifier as _, VerifyingKey};
use permsnap::core::error::{KeyError, VerifyError};
use permsnap::core::snapshot::keys::{
    is_canonical_scalar, is_small_order, strict_signature_prechecks,
};
use permsnap::core::snapshot::token::TYP;
use permsnap::native::jws::{
    b64, thumbprint, verify, verify_ed25519, Jwks, PrivateKey, VerifyOptions,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/");

fn read_vectors(name: &str) -> Value {
    let path = format!("{VECTORS}{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!("cannot read the vector file `{path}` ({e}): see tests/data/README.md")
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("`{path}` is not JSON: {e}"))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|_| panic!("not hex: {s}")))
        .collect()
}

/// The start of a JSON value, for messages.
fn snippet(j: &Value) -> String {
    j.to_string().chars().take(80).collect()
}

fn field<'a>(j: &'a Value, key: &str) -> &'a Value {
    j.get(key)
        .unwrap_or_else(|| panic!("no `{key}` in {}", snippet(j)))
}

fn text<'a>(j: &'a Value, key: &str) -> &'a str {
    field(j, key)
        .as_str()
        .unwrap_or_else(|| panic!("`{key}` is not a string"))
}

fn list<'a>(j: &'a Value, key: &str) -> &'a [Value] {
    field(j, key)
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` is not a list"))
}

fn number(j: &Value, key: &str) -> u64 {
    field(j, key)
        .as_u64()
        .unwrap_or_else(|| panic!("`{key}` is not a whole number"))
}

fn seed(s: &str) -> [u8; 32] {
    hex(s).try_into().expect("a seed is 32 bytes")
}

/// The `x` of the (only) key of `key.to_jwks()`.
fn jwks_x(key: &PrivateKey) -> String {
    let jwks = key.to_jwks();
    let keys = list(&jwks, "keys");
    assert_eq!(keys.len(), 1);
    text(&keys[0], "x").to_string()
}

fn flip(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[bit / 8] ^= 1 << (bit % 8);
    out
}

// ---------------------------------------------------------------------------
// RFC 8032 section 7.1

struct Rfc8032 {
    name: &'static str,
    seed: &'static str,
    public: &'static str,
    message: &'static str,
    signature: &'static str,
}

const TEST_1024_MESSAGE: &str = concat!(
    "08b8b2b733424243760fe426a4b54908632110a66c2f6591eabd3345e3e4eb98",
    "fa6e264bf09efe12ee50f8f54e9f77b1e355f6c50544e23fb1433ddf73be84d8",
    "79de7c0046dc4996d9e773f4bc9efe5738829adb26c81b37c93a1b270b20329d",
    "658675fc6ea534e0810a4432826bf58c941efb65d57a338bbd2e26640f89ffbc",
    "1a858efcb8550ee3a5e1998bd177e93a7363c344fe6b199ee5d02e82d522c4fe",
    "ba15452f80288a821a579116ec6dad2b3b310da903401aa62100ab5d1a36553e",
    "06203b33890cc9b832f79ef80560ccb9a39ce767967ed628c6ad573cb116dbef",
    "efd75499da96bd68a8a97b928a8bbc103b6621fcde2beca1231d206be6cd9ec7",
    "aff6f6c94fcd7204ed3455c68c83f4a41da4af2b74ef5c53f1d8ac70bdcb7ed1",
    "85ce81bd84359d44254d95629e9855a94a7c1958d1f8ada5d0532ed8a5aa3fb2",
    "d17ba70eb6248e594e1a2297acbbb39d502f1a8c6eb6f1ce22b3de1a1f40cc24",
    "554119a831a9aad6079cad88425de6bde1a9187ebb6092cf67bf2b13fd65f270",
    "88d78b7e883c8759d2c4f5c65adb7553878ad575f9fad878e80a0c9ba63bcbcc",
    "2732e69485bbc9c90bfbd62481d9089beccf80cfe2df16a2cf65bd92dd597b07",
    "07e0917af48bbb75fed413d238f5555a7a569d80c3414a8d0859dc65a46128ba",
    "b27af87a71314f318c782b23ebfe808b82b0ce26401d2e22f04d83d1255dc51a",
    "ddd3b75a2b1ae0784504df543af8969be3ea7082ff7fc9888c144da2af58429e",
    "c96031dbcad3dad9af0dcbaaaf268cb8fcffead94f3c7ca495e056a9b47acdb7",
    "51fb73e666c6c655ade8297297d07ad1ba5e43f1bca32301651339e22904cc8c",
    "42f58c30c04aafdb038dda0847dd988dcda6f3bfd15c4b4c4525004aa06eeff8",
    "ca61783aacec57fb3d1f92b0fe2fd1a85f6724517b65e614ad6808d6f6ee34df",
    "f7310fdc82aebfd904b01e1dc54b2927094b2db68d6f903b68401adebf5a7e08",
    "d78ff4ef5d63653a65040cf9bfd4aca7984a74d37145986780fc0b16ac451649",
    "de6188a7dbdf191f64b5fc5e2ab47b57f7f7276cd419c17a3ca8e1b939ae49e4",
    "88acba6b965610b5480109c8b17b80e1b7b750dfc7598d5d5011fd2dcc5600a3",
    "2ef5b52a1ecc820e308aa342721aac0943bf6686b64b2579376504ccc493d97e",
    "6aed3fb0f9cd71a43dd497f01f17c0e2cb3797aa2a2f256656168e6c496afc5f",
    "b93246f6b1116398a346f1a641f3b041e989f7914f90cc2c7fff357876e506b5",
    "0d334ba77c225bc307ba537152f3f1610e4eafe595f6d9d90d11faa933a15ef1",
    "369546868a7f3a45a96768d40fd9d03412c091c6315cf4fde7cb68606937380d",
    "b2eaaa707b4c4185c32eddcdd306705e4dc1ffc872eeee475a64dfac86aba41c",
    "0618983f8741c5ef68d3a101e8a3b8cac60c905c15fc910840b94c00a0b9d0",
);

const RFC_8032: &[Rfc8032] = &[
    Rfc8032 {
        name: "TEST 1",
        seed: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        public: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        message: "",
        signature: concat!(
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e06522490155",
            "5fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
    },
    Rfc8032 {
        name: "TEST 2",
        seed: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        public: "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        message: "72",
        signature: concat!(
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da",
            "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
    },
    Rfc8032 {
        name: "TEST 3",
        seed: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        public: "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
        message: "af82",
        signature: concat!(
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac",
            "18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    },
    Rfc8032 {
        name: "TEST 1024",
        seed: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
        public: "278117fc144c72340f67d0f2316e8386ceffbf2b2428c9c51fef7c597f1d426e",
        message: TEST_1024_MESSAGE,
        signature: concat!(
            "0aab4c900501b3e24d7cdf4663326a3a87df5e4843b2cbdb67cbf6e460fec350",
            "aa5371b1508f9f4528ecea23c436d94b5e8fcd4f681e30a6ac00a9704a188a03",
        ),
    },
    Rfc8032 {
        name: "TEST SHA(abc)",
        seed: "833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42",
        public: "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
        message: concat!(
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a",
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
        ),
        signature: concat!(
            "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b589",
            "09351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704",
        ),
    },
];

#[test]
fn rfc_8032_seeds_give_the_rfc_public_keys_in_our_jwks() {
    for v in RFC_8032 {
        let key = PrivateKey::from_seed(&seed(v.seed), Some("rfc8032"));
        assert_eq!(jwks_x(&key), b64::encode(&hex(v.public)), "{}", v.name);
    }
}

#[test]
fn rfc_8032_signatures_verify_and_fail_with_one_bit_flipped() {
    assert_eq!(
        hex(TEST_1024_MESSAGE).len(),
        1023,
        "TEST 1024 signs 1023 bytes"
    );
    for v in RFC_8032 {
        let (pk, msg, sig) = (hex(v.public), hex(v.message), hex(v.signature));
        assert!(verify_ed25519(&pk, &msg, &sig), "{} must verify", v.name);
        // R: lowest bit and the x sign bit; S: lowest bit and a high bit
        for bit in [0, 255, 256, 256 + 200, 511] {
            assert!(
                !verify_ed25519(&pk, &msg, &flip(&sig, bit)),
                "{}: signature bit {bit} flipped must not verify",
                v.name
            );
        }
        for bit in [0, 254] {
            assert!(
                !verify_ed25519(&flip(&pk, bit), &msg, &sig),
                "{}: public key bit {bit} flipped must not verify",
                v.name
            );
        }
        if !msg.is_empty() {
            for bit in [0, msg.len() * 8 - 1] {
                assert!(
                    !verify_ed25519(&pk, &flip(&msg, bit), &sig),
                    "{}: message bit {bit} flipped must not verify",
                    v.name
                );
            }
        } else {
            assert!(!verify_ed25519(&pk, b"\0", &sig), "{}", v.name);
        }
        // wrong lengths are refused, not truncated or padded
        assert!(!verify_ed25519(&pk, &msg, &sig[..63]), "{}", v.name);
        let mut long = sig.clone();
        long.push(0);
        assert!(!verify_ed25519(&pk, &msg, &long), "{}", v.name);
        assert!(!verify_ed25519(&pk[..31], &msg, &sig), "{}", v.name);
    }
}

#[test]
fn a_jws_signed_with_the_rfc_8032_test_1_seed_verifies_under_its_rfc_public_key() {
    let v = &RFC_8032[0];
    let key = PrivateKey::from_seed(&seed(v.seed), Some("t1"));
    let header = format!(r#"{{"alg":"EdDSA","typ":"{TYP}","kid":"t1"}}"#);
    let token = key.sign_compact(header.as_bytes(), br#"{"sub":"x"}"#);
    let (signed, sig) = token.rsplit_once('.').expect("three parts");
    let (h, p) = signed.split_once('.').expect("three parts");
    assert_eq!(b64::decode(h).expect("header"), header.as_bytes());
    assert_eq!(p, "eyJzdWIiOiJ4In0");
    let sig = b64::decode(sig).expect("base64url signature");
    assert!(verify_ed25519(&hex(v.public), signed.as_bytes(), &sig));
    assert!(!verify_ed25519(
        &hex(RFC_8032[1].public),
        signed.as_bytes(),
        &sig
    ));
}

// ---------------------------------------------------------------------------
// RFC 8037 appendix A

const A1_D: &str = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
const A1_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
const A3_THUMBPRINT: &str = "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
const A4_JWS: &str = concat!(
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.",
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg",
);

fn a1_private_jwk(kid: Option<&str>) -> String {
    let kid = kid.map_or(String::new(), |k| format!(r#","kid":"{k}""#));
    format!(r#"{{"kty":"OKP","crv":"Ed25519","d":"{A1_D}","x":"{A1_X}"{kid}}}"#)
}

fn a2_jwks(kid: Option<&str>) -> String {
    let kid = kid.map_or(String::new(), |k| format!(r#","kid":"{k}""#));
    format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{A1_X}"{kid}}}]}}"#)
}

#[test]
fn rfc_8037_a1_private_key_is_read_once_it_has_a_kid() {
    // Our JWK reader requires `kid` (keys are picked by `kid`); the RFC's
    // A.1 key has none, so it is refused as it stands.
    let Err(refused) = PrivateKey::from_json_text(&a1_private_jwk(None)) else {
        panic!("A.1 without a kid was accepted");
    };
    assert_eq!(refused, KeyError::NoKid);
    assert_eq!(refused.code(), "bad_key");

    let key = PrivateKey::from_json_text(&a1_private_jwk(Some("a1"))).expect("A.1 with a kid");
    assert_eq!(key.kid(), "a1");
    assert_eq!(jwks_x(&key), A1_X);
    let private = key.to_private_jwk();
    assert_eq!(text(&private, "d"), A1_D);
    assert_eq!(text(&private, "x"), A1_X);
    // A.1 is RFC 8032 TEST 1
    assert_eq!(b64::decode(A1_D).expect("d"), hex(RFC_8032[0].seed));
    assert_eq!(b64::decode(A1_X).expect("x"), hex(RFC_8032[0].public));
}

#[test]
fn rfc_8037_a1_private_key_with_another_keys_x_is_refused() {
    let wrong_x = b64::encode(&hex(RFC_8032[1].public));
    let jwk = a1_private_jwk(Some("a1")).replace(A1_X, &wrong_x);
    let Err(refused) = PrivateKey::from_json_text(&jwk) else {
        panic!("a key whose x is not the public key of d was accepted");
    };
    assert_eq!(refused, KeyError::MismatchedPrivateKey { kid: "a1".into() });
    assert_eq!(refused.code(), "bad_key");
}

#[test]
fn rfc_8037_a2_public_key_is_read_into_a_jwks_once_it_has_a_kid() {
    let refused = Jwks::from_json_text(&a2_jwks(None)).expect_err("no kid");
    assert_eq!(
        refused,
        KeyError::InJwks {
            index: 0,
            error: Box::new(KeyError::NoKid)
        }
    );
    assert_eq!(refused.code(), "bad_jwks");

    let jwks = Jwks::from_json_text(&a2_jwks(Some("a2"))).expect("A.2 with a kid");
    assert_eq!(jwks.kids().collect::<Vec<_>>(), ["a2"]);
    let key = jwks.get("a2").expect("kid a2");
    assert_eq!(key.as_bytes().as_slice(), hex(RFC_8032[0].public));
}

#[test]
fn rfc_8037_a3_thumbprint_matches_and_is_the_default_kid() {
    let jwks = Jwks::from_json_text(&a2_jwks(Some("a2"))).expect("A.2");
    assert_eq!(thumbprint(jwks.get("a2").expect("a2")), A3_THUMBPRINT);
    let key = PrivateKey::from_seed(&seed(RFC_8032[0].seed), None);
    assert_eq!(key.kid(), A3_THUMBPRINT);
}

#[test]
fn rfc_8037_a4_signature_verifies_but_the_token_is_not_a_permsnap_token() {
    let (signed, sig) = A4_JWS.rsplit_once('.').expect("three parts");
    let (header, payload) = signed.split_once('.').expect("three parts");
    assert_eq!(b64::decode(header).expect("header"), br#"{"alg":"EdDSA"}"#);
    assert_eq!(
        b64::decode(payload).expect("payload"),
        b"Example of Ed25519 signing"
    );
    let sig = b64::decode(sig).expect("signature");
    let public = b64::decode(A1_X).expect("x");
    assert!(verify_ed25519(&public, signed.as_bytes(), &sig));
    assert!(!verify_ed25519(&public, header.as_bytes(), &sig));

    // `alg` `EdDSA` is accepted (it is what permsnap writes by default), but
    // the header has no `typ` (and no `kid`, and the payload is not JSON):
    // our verifier refuses it at `typ`.
    let jwks = Jwks::from_json_text(&a2_jwks(Some("a2"))).expect("A.2");
    let opts = VerifyOptions::new("backoffice", 1_795_000_000_000);
    let refused = verify(A4_JWS, &jwks, &opts).expect_err("not a permsnap token");
    assert_eq!(refused, VerifyError::TypMismatch { typ: None });
}

// ---------------------------------------------------------------------------
// Wycheproof ed25519_test.json

#[test]
fn wycheproof_ed25519_results_match_strict_verification() {
    let file = read_vectors("wycheproof/ed25519_test.json");
    assert_eq!(text(&file, "algorithm"), "EDDSA");
    let mut run = 0;
    let mut valid = 0;
    let mut wrong = Vec::new();
    for group in list(&file, "testGroups") {
        assert_eq!(text(group, "type"), "EddsaVerify");
        let public_key = field(group, "publicKey");
        assert_eq!(text(public_key, "curve"), "edwards25519");
        let pk = hex(text(public_key, "pk"));
        for case in list(group, "tests") {
            let id = number(case, "tcId");
            let expected = match text(case, "result") {
                "valid" => true,
                "invalid" => false,
                // The file holds none; if a new version adds some, decide
                // what strict verification should say before accepting it.
                other => panic!("case {id}: result `{other}` is not expected in this file"),
            };
            let got = verify_ed25519(&pk, &hex(text(case, "msg")), &hex(text(case, "sig")));
            if got != expected {
                wrong.push(format!(
                    "case {id} ({}): expected {expected}, got {got}",
                    text(case, "comment")
                ));
            }
            run += 1;
            valid += usize::from(got);
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(run, 151);
    assert_eq!(run, number(&file, "numberOfTests"));
    assert_eq!(valid, 88);
}

#[test]
fn wycheproof_ed25519_public_jwks_read_to_the_same_keys() {
    let file = read_vectors("wycheproof/ed25519_test.json");
    let mut groups = 0;
    for group in list(&file, "testGroups") {
        let pk = hex(text(field(group, "publicKey"), "pk"));
        let jwk = field(group, "publicKeyJwk");
        let jwks = Jwks::from_json_text(&json!({ "keys": [jwk] }).to_string())
            .unwrap_or_else(|e| panic!("group key {}: {e}", snippet(jwk)));
        let key = jwks.get(text(jwk, "kid")).expect("the JWK's kid");
        assert_eq!(key.as_bytes().as_slice(), pk);
        groups += 1;
    }
    assert_eq!(groups, 78);
}

// ---------------------------------------------------------------------------
// CCTV ed25519vectors.json

/// The edge cases `verify_strict` accepts, as ed25519-dalek's
/// `tests/validation_criteria.rs` (`VERIFY_STRICT_ALLOWED_EDGECASES`) has
/// them: a key or an `R` with a low-order *component* (but not of low order
/// itself) is fine. Everything else is refused: low-order `A` or `R`,
/// non-canonical `A` or `R` encodings, and `low_order_residue` (valid only
/// with the cofactored equation; `verify_strict` uses the cofactorless one).
/// `reencoded_k` is refused too (it only ever shows up together with a flag
/// that is refused). No case's result differs from this rule.
const STRICT_ALLOWS: &[&str] = &["low_order_component_A", "low_order_component_R"];

const CCTV_FLAGS: &[&str] = &[
    "low_order",
    "low_order_A",
    "low_order_R",
    "non_canonical_A",
    "non_canonical_R",
    "low_order_component_A",
    "low_order_component_R",
    "low_order_residue",
    "reencoded_k",
];

#[test]
fn cctv_edge_cases_are_accepted_exactly_as_verify_strict_criteria_say() {
    let file = read_vectors("cctv/ed25519vectors.json");
    let cases = file.as_array().expect("a list of cases");
    let mut wrong = Vec::new();
    let mut accepted = 0;
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(number(case, "number"), i as u64);
        let flags: BTreeSet<&str> = match case.get("flags") {
            None | Some(Value::Null) => BTreeSet::new(),
            Some(f) => f
                .as_array()
                .expect("flags is a list")
                .iter()
                .map(|f| f.as_str().expect("a flag is a string"))
                .collect(),
        };
        if let Some(unknown) = flags.iter().find(|f| !CCTV_FLAGS.contains(f)) {
            panic!(
                "case {i}: unknown flag `{unknown}`: decide whether strict verification allows it"
            );
        }
        let expected = flags.iter().all(|f| STRICT_ALLOWS.contains(f));
        let got = verify_ed25519(
            &hex(text(case, "key")),
            text(case, "msg").as_bytes(),
            &hex(text(case, "sig")),
        );
        if got != expected {
            wrong.push(format!(
                "case {i} {flags:?}: expected {expected}, got {got}"
            ));
        }
        accepted += usize::from(got);
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(cases.len(), 914);
    assert_eq!(accepted, 43);
}

// ---------------------------------------------------------------------------
// The browser's emulation of `verify_strict`: the core's byte checks, then a
// plain RFC 8032 verification (what WebCrypto's Ed25519 does)

/// One Ed25519 verify case of a vector file: key, message, signature.
struct Case {
    name: String,
    key: Vec<u8>,
    msg: Vec<u8>,
    sig: Vec<u8>,
}

/// Every CCTV and Wycheproof `ed25519_test.json` case.
fn all_cases() -> Vec<Case> {
    let mut out = Vec::new();
    let cctv = read_vectors("cctv/ed25519vectors.json");
    for (i, case) in cctv.as_array().expect("a list of cases").iter().enumerate() {
        out.push(Case {
            name: format!("CCTV {i}"),
            key: hex(text(case, "key")),
            msg: text(case, "msg").as_bytes().to_vec(),
            sig: hex(text(case, "sig")),
        });
    }
    let wycheproof = read_vectors("wycheproof/ed25519_test.json");
    for group in list(&wycheproof, "testGroups") {
        let pk = hex(text(field(group, "publicKey"), "pk"));
        for case in list(group, "tests") {
            out.push(Case {
                name: format!("Wycheproof {}", number(case, "tcId")),
                key: pk.clone(),
                msg: hex(text(case, "msg")),
                sig: hex(text(case, "sig")),
            });
        }
    }
    assert_eq!(out.len(), 914 + 151);
    out
}

/// A plain RFC 8032 verification (ed25519-dalek's `verify`: cofactorless,
/// `S` below `L`, `R` compared as bytes, but small-order keys and `R`
/// allowed), as WebCrypto's Ed25519 does it.
fn plain_verify(key: &[u8; 32], msg: &[u8], sig: &[u8; 64]) -> bool {
    VerifyingKey::from_bytes(key).is_ok_and(|k| k.verify(msg, &Signature::from_bytes(sig)).is_ok())
}

/// What the browser does: [`strict_signature_prechecks`], then the plain
/// verification; a key or signature of the wrong length never verifies.
fn emulated_strict(key: &[u8], msg: &[u8], sig: &[u8]) -> bool {
    let (Ok(key), Ok(sig)) = (<[u8; 32]>::try_from(key), <[u8; 64]>::try_from(sig)) else {
        return false;
    };
    strict_signature_prechecks(&key, &sig) && plain_verify(&key, msg, &sig)
}

/// The core's `strict_signature_prechecks` (canonical `S`, no small-order
/// key or `R`) followed by a plain, non-strict ed25519-dalek `verify`
/// accepts exactly the cases `verify_strict` accepts, over all 914 CCTV and
/// all 151 Wycheproof cases: no case differs. That is what lets the browser
/// emulate `verify_strict` with WebCrypto. The plain verification alone
/// accepts 165 CCTV cases more (small-order keys and `R`); the prechecks are
/// what refuse those, so the test counts them, to show they are load-bearing.
///
/// The emulation here uses dalek's cofactorless equation. A WebCrypto that
/// checks the cofactored one could also accept some of CCTV's
/// `low_order_residue` cases, which `verify_strict` refuses; that is a
/// difference between equations, not a forgery: such a signature still
/// needs the private key (cofactored verification is as unforgeable), and
/// adding a torsion point to a valid `R` changes the hash `k`, so a third
/// party cannot re-spell one valid signature into another either.
#[test]
fn strict_prechecks_then_a_plain_verify_accept_exactly_what_verify_strict_accepts() {
    let mut differ = Vec::new();
    let mut accepted = 0;
    let mut only_plain = BTreeSet::new();
    for c in all_cases() {
        let strict = verify_ed25519(&c.key, &c.msg, &c.sig);
        let emulated = emulated_strict(&c.key, &c.msg, &c.sig);
        if strict != emulated {
            differ.push(format!(
                "{}: verify_strict {strict}, prechecks + plain verify {emulated}",
                c.name
            ));
        }
        accepted += usize::from(strict);
        if let (Ok(key), Ok(sig)) = (
            <[u8; 32]>::try_from(c.key.as_slice()),
            <[u8; 64]>::try_from(c.sig.as_slice()),
        ) {
            if plain_verify(&key, &c.msg, &sig) && !strict {
                only_plain.insert(c.name);
            }
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert_eq!(accepted, 43 + 88);
    // what the prechecks refuse that a plain verification would accept:
    // CCTV's small-order keys and `R` (Wycheproof has none of them)
    assert_eq!(only_plain.len(), 165, "{only_plain:?}");
    assert!(
        only_plain.iter().all(|n| n.starts_with("CCTV ")),
        "{only_plain:?}"
    );
}

/// `is_small_order` (a comparison with the encodings of the eight
/// small-order points, any sign bit) agrees with ed25519-dalek's
/// `VerifyingKey::is_weak` (multiply by the cofactor, compare with the
/// identity) for every 32-byte public key in the CCTV and Wycheproof files
/// that decompresses, and for every signature's `R` as well (the browser
/// checks `R` with it too).
#[test]
fn is_small_order_agrees_with_dalek_is_weak_for_every_point_in_the_vectors() {
    let mut points: BTreeMap<[u8; 32], String> = BTreeMap::new();
    for c in all_cases() {
        if let Ok(key) = <[u8; 32]>::try_from(c.key.as_slice()) {
            points.entry(key).or_insert(format!("{} key", c.name));
        }
        if let Some(r) = c.sig.get(..32).filter(|_| c.sig.len() == 64) {
            let r: [u8; 32] = r.try_into().expect("32 bytes");
            points.entry(r).or_insert(format!("{} R", c.name));
        }
    }
    let (mut keys, mut compared, mut small) = (0, 0, 0);
    let mut differ = Vec::new();
    for (bytes, name) in &points {
        let Ok(point) = VerifyingKey::from_bytes(bytes) else {
            continue;
        };
        compared += 1;
        keys += usize::from(name.ends_with(" key"));
        small += usize::from(point.is_weak());
        if is_small_order(bytes) != point.is_weak() {
            differ.push(format!(
                "{name} {}: is_small_order {}, is_weak {}",
                b64::encode(bytes),
                is_small_order(bytes),
                point.is_weak()
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    // not a vacuous comparison: 181 distinct points (62 of them first seen
    // as a key), among them all 14 spellings of the eight small-order
    // points (seven encodings, either sign bit; non-canonical ones included)
    assert_eq!((compared, keys, small), (181, 62, 14));
}

#[test]
fn rfc_8032_signatures_pass_the_strict_prechecks_and_their_s_plus_l_does_not() {
    // L, the order of the Ed25519 base point, little-endian
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    for v in RFC_8032 {
        let pk: [u8; 32] = hex(v.public).try_into().expect("32 bytes");
        let sig: [u8; 64] = hex(v.signature).try_into().expect("64 bytes");
        let msg = hex(v.message);
        assert!(strict_signature_prechecks(&pk, &sig), "{}", v.name);
        assert!(emulated_strict(&pk, &msg, &sig), "{}", v.name);
        let mut s_plus_l = sig;
        let mut carry = 0u16;
        for (s, l) in s_plus_l[32..].iter_mut().zip(L) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = sum as u8;
            carry = sum >> 8;
        }
        if carry != 0 {
            continue; // S + L does not fit: no second spelling to refuse
        }
        let s: [u8; 32] = s_plus_l[32..].try_into().expect("32 bytes");
        assert!(!is_canonical_scalar(&s), "{}", v.name);
        assert!(!strict_signature_prechecks(&pk, &s_plus_l), "{}", v.name);
        assert!(!verify_ed25519(&pk, &msg, &s_plus_l), "{}", v.name);
    }
}

// ---------------------------------------------------------------------------
// Wycheproof json_web_signature_test.json

/// What RFC 8725 says a verifier that accepts only Ed25519 must answer for a
/// token, from its shape and header alone: not three base64url parts with a
/// JSON object header is `malformed` (this covers the JSON serialization
/// case), and so is a header whose `alg`, `typ` or `kid` is neither a string
/// nor `null` (permsnap reads them as strings); a key in the header is
/// `key_in_header`, any other `alg` is `alg_not_allowed`. None of the file's
/// tokens gets past that.
fn expected_refusal(jws: &str) -> Option<&'static str> {
    let parts: Vec<&str> = jws.split('.').collect();
    if parts.len() != 3 {
        return Some("malformed");
    }
    let header = b64::decode(parts[0])
        .and_then(|h| String::from_utf8(h).ok())
        .and_then(|h| serde_json::from_str::<Value>(&h).ok())
        .filter(Value::is_object);
    let Some(header) = header else {
        return Some("malformed");
    };
    let text_or_null = |k: &str| header.get(k).is_none_or(|v| v.is_string() || v.is_null());
    if !["alg", "typ", "kid"].into_iter().all(text_or_null) {
        return Some("malformed");
    }
    if ["jwk", "jku", "x5u", "x5c", "x5t", "x5t#S256"]
        .iter()
        .any(|k| header.get(k).is_some())
    {
        return Some("key_in_header");
    }
    match header.get("alg").and_then(Value::as_str) {
        Some("Ed25519" | "EdDSA") => None,
        _ => Some("alg_not_allowed"),
    }
}

fn header_kid(jws: &str) -> Option<String> {
    let header = b64::decode(jws.split('.').next()?)?;
    let header: Value = serde_json::from_slice(&header).ok()?;
    header.get("kid")?.as_str().map(str::to_string)
}

#[test]
fn wycheproof_jws_tokens_are_all_refused_with_the_expected_code() {
    let file = read_vectors("wycheproof/json_web_signature_test.json");
    let groups = list(&file, "testGroups");
    let cases: Vec<&Value> = groups.iter().flat_map(|g| list(g, "tests")).collect();

    // The JWKS holds every group's public (RSA, EC) key, which permsnap
    // leaves out, and one Ed25519 key of ours under every `kid` the tokens
    // name, so no refusal is merely an unknown `kid`.
    let mut keys: Vec<Value> = groups
        .iter()
        .filter_map(|g| g.get("public"))
        .cloned()
        .collect();
    let kids: BTreeSet<String> = cases
        .iter()
        .filter_map(|c| header_kid(text(c, "jws")))
        .collect();
    assert!(kids.contains("kid-rsa-sign") && kids.contains("kid-ec-sign"));
    for (i, kid) in kids.iter().enumerate() {
        let key = PrivateKey::from_seed(&[i as u8 + 1; 32], Some(kid));
        keys.extend(list(&key.to_jwks(), "keys").iter().cloned());
    }
    let jwks_text = json!({ "keys": keys }).to_string();
    let jwks = Jwks::from_json_text(&jwks_text).expect("a JWKS of our keys");
    assert_eq!(jwks.kids().count(), kids.len());

    let allowed = [
        "malformed",
        "alg_not_allowed",
        "key_in_header",
        "typ_mismatch",
        "unknown_key",
        "crit_unsupported",
    ];
    let opts = VerifyOptions::new("backoffice", 1_795_000_000_000);
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut wrong = Vec::new();
    let mut file_valid = 0;
    for case in &cases {
        let id = number(case, "tcId");
        let jws = text(case, "jws");
        // The file's `valid` means valid for a verifier that accepts that
        // case's algorithm; permsnap accepts only Ed25519, so it refuses
        // every case, `valid` ones included (a deliberate difference).
        file_valid += usize::from(text(case, "result") == "valid");
        let flags: Vec<&str> = list(case, "flags")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let Err(e) = verify(jws, &jwks, &opts) else {
            panic!("case {id} was accepted");
        };
        assert!(
            allowed.contains(&e.code()),
            "case {id}: unexpected code {}",
            e.code()
        );
        let want =
            expected_refusal(jws).unwrap_or_else(|| panic!("case {id} has an Ed25519 header"));
        if flags.contains(&"JsonSerialization") {
            assert_eq!(e.code(), "malformed", "case {id}: JSON serialization");
        }
        if e.code() != want {
            wrong.push(format!(
                "case {id}: expected {want}, got {} ({e})",
                e.code()
            ));
        }
        *tally.entry(e.code()).or_default() += 1;
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(cases.len(), 401);
    assert_eq!(cases.len() as u64, number(&file, "numberOfTests"));
    assert_eq!(file_valid, 46);
    assert_eq!(tally.values().sum::<usize>(), 401);
    // every refusal kind the file can provoke is seen at least once
    assert_eq!(
        tally.keys().copied().collect::<Vec<_>>(),
        ["alg_not_allowed", "key_in_header", "malformed"]
    );
}
