//! The JavaScript boundary (`permsnap::wasm`), compiled to wasm and run by
//! `wasm-bindgen-test-runner` in Node and in headless Chromium: what crosses
//! (parsed JSON in, `{code, message}` objects out, typed slots for scoped
//! checks) and that the core's rules hold on the way. Whole tokens, every
//! vector file and the random differential samples go through the shipped
//! package instead (`pkg-config/test/`, Node and Chromium).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Float64Array, Object, Reflect, Uint8Array, JSON};
use permsnap::error::{KeyError, VerifyError};
use permsnap::snapshot::claim::SnapshotClaim;
use permsnap::wasm::{self, de::Js, Checker, Claim, Manifest};
use permsnap::Reason;
use serde::Deserialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

fn json(text: &str) -> JsValue {
    JSON::parse(text).unwrap_or_else(|e| panic!("test JSON {text}: {e:?}"))
}

/// The `{code, message}` object a failing export threw.
fn refusal(e: JsValue) -> (String, String) {
    assert!(
        e.is_object() && !e.is_instance_of::<js_sys::Error>(),
        "a plain object, not an Error: {e:?}"
    );
    let get = |k: &str| {
        Reflect::get(&e, &k.into())
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_default()
    };
    (get("code"), get("message"))
}

/// A manifest of three permissions: role `support` grants 0 and 1, role
/// `mine` grants 2 when `manager` is the subject, restriction `no_bonus`
/// denies 1, and restriction `not_pending` denies 2 when `status` is `pending`.
const MANIFEST: &str = r#"{"v":2,"catalog":"t","title":"T","permissions":[
  {"id":"player.view","title":"View"},{"id":"player.give_bonus","title":"Give bonus"},{"id":"affiliate.view","title":"Affiliates"}],
 "sources":[
  {"id":"support","kind":"role","title":"Support","rules":[[3]]},
  {"id":"mine","kind":"role","title":"Mine","rules":[[0],[[2,[{"attr":"manager","eq":"$user"}]]]]},
  {"id":"no_bonus","kind":"restriction","title":"No bonus","rules":[[2]]},
  {"id":"not_pending","kind":"restriction","title":"Not pending","rules":[[0],[[2,[{"attr":"status","eq":"pending"}]]]]}]}"#;
const HASH: &str = "AAAAAAAAAAAAAAAAAAAAAA";
const NOW: f64 = 1_795_435_200_000.0;

fn payload(psnap: &str) -> JsValue {
    json(&format!(
        r#"{{"iss":"permsnap","sub":"u7","aud":"backoffice","iat":1795435200,"exp":1795436100,"psnap":{psnap}}}"#
    ))
}

fn claims(psnap: &str) -> Result<Claim, JsValue> {
    wasm::check_claims(payload(psnap), "backoffice".into(), None, NOW, 0.0, 60.0)
}

/// A checker for u7: label 4444 with `mine` + `support` and restrictions
/// `no_bonus` + `not_pending`, label 4445 closed, label 4446 without access.
fn checker() -> Checker {
    let manifest =
        Manifest::parse(json(MANIFEST), HASH.into()).unwrap_or_else(|e| panic!("{:?}", refusal(e)));
    let claim = claims(&format!(
        r#"{{"v":2,"c":"t","m":"{HASH}","l":[[4444,0,[1,0],[2,3]],[4445,1],[4446]]}}"#
    ))
    .unwrap_or_else(|e| panic!("{:?}", refusal(e)));
    Checker::new(&manifest, &claim).unwrap_or_else(|e| panic!("{:?}", refusal(e)))
}

/// Writes `[tag, value]` per attribute into the checker's slots, as the JS wrapper does.
fn write_slots(c: &Checker, slots: &[(f64, f64)]) {
    let memory: js_sys::WebAssembly::Memory = wasm::wasm_memory().unchecked_into();
    let view = Float64Array::new_with_byte_offset_and_length(
        &memory.buffer(),
        c.slots_ptr(),
        c.slots_len(),
    );
    for (i, (tag, value)) in slots.iter().enumerate() {
        view.set_index(2 * i as u32, *tag);
        view.set_index(2 * i as u32 + 1, *value);
    }
}

fn reason(packed: u32) -> &'static str {
    Reason::ALL[(packed & 0x7f) as usize].code()
}

#[wasm_bindgen_test]
fn a_refused_header_throws_a_plain_code_and_message_object_never_a_string() {
    let e =
        wasm::check_header(json(r#"{"alg":"none","typ":"permsnap+jwt","kid":"k1"}"#)).unwrap_err();
    let (code, message) = refusal(e);
    assert_eq!(code, "alg_not_allowed");
    assert!(message.contains("`none`"), "{message}");
}

#[wasm_bindgen_test]
fn the_header_rules_are_the_cores_and_a_present_null_counts_as_present() {
    let code = |h: &str| wasm::check_header(json(h)).map_err(|e| refusal(e).0);
    assert_eq!(
        code(r#"{"alg":"EdDSA","typ":"permsnap+jwt","kid":"k1"}"#),
        Ok("k1".into())
    );
    assert_eq!(
        code(r#"{"alg":"Ed25519","typ":"application/PERMSNAP+JWT","kid":"k2"}"#),
        Ok("k2".into())
    );
    assert_eq!(
        code(r#"{"alg":"EdDSA","typ":"permsnap+jwt","kid":"k1","crit":null}"#),
        Err("crit_unsupported".into())
    );
    assert_eq!(
        code(r#"{"alg":"EdDSA","typ":"permsnap+jwt","kid":"k1","jku":"https://x"}"#),
        Err("key_in_header".into())
    );
    assert_eq!(
        code(r#"{"alg":"EdDSA","typ":"JWT","kid":"k1"}"#),
        Err("typ_mismatch".into())
    );
    assert_eq!(
        code(r#"{"alg":"EdDSA","typ":"permsnap+jwt"}"#),
        Err("unknown_key".into())
    );
    assert_eq!(
        code(r#"{"alg":5,"typ":"permsnap+jwt","kid":"k1"}"#),
        Err("malformed".into())
    );
    assert_eq!(
        code(r#"["EdDSA","permsnap+jwt","k1"]"#),
        Err("malformed".into())
    );
}

const KEY_X: &str = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"; // RFC 8032 test 1

#[wasm_bindgen_test]
fn a_jwks_is_read_by_the_core_rules_into_kid_and_32_bytes() {
    let jwks = json(&format!(
        r#"{{"keys":[{{"kty":"RSA","kid":"r"}},{{"kty":"OKP","crv":"Ed25519","x":"{KEY_X}","kid":"k1","alg":"EdDSA","use":"sig"}}]}}"#
    ));
    let keys = wasm::read_jwks(jwks).unwrap_or_else(|e| panic!("{:?}", refusal(e)));
    assert_eq!(keys.length(), 1, "the RSA key is left out");
    let pair: Array = keys.get(0).unchecked_into();
    assert_eq!(pair.get(0).as_string().as_deref(), Some("k1"));
    let bytes: Uint8Array = pair.get(1).unchecked_into();
    assert_eq!(bytes.to_vec()[..4], [0xd7, 0x5a, 0x98, 0x01]);
}

#[wasm_bindgen_test]
fn a_jwks_with_a_private_key_a_small_order_key_or_twice_a_kid_is_refused_as_bad_jwks() {
    let code = |j: &str| {
        wasm::read_jwks(json(j))
            .map(|_| ())
            .map_err(|e| refusal(e).0)
    };
    let key =
        |extra: &str| format!(r#"{{"kty":"OKP","crv":"Ed25519","x":"{KEY_X}","kid":"k1"{extra}}}"#);
    assert_eq!(
        code(&format!(r#"{{"keys":[{}]}}"#, key(r#","d":"x""#))),
        Err("bad_jwks".into())
    );
    let zero = r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","kid":"z"}]}"#;
    assert_eq!(
        code(zero),
        Err("bad_jwks".into()),
        "the identity point is of small order"
    );
    assert_eq!(
        code(&format!(r#"{{"keys":[{},{}]}}"#, key(""), key(""))),
        Err("bad_jwks".into())
    );
    assert_eq!(
        code(&format!(r#"{{"keys":[{}]}}"#, key(r#","use":"enc""#))),
        Err("bad_jwks".into())
    );
    let padded =
        format!(r#"{{"keys":[{{"kty":"OKP","crv":"Ed25519","x":"{KEY_X}=","kid":"k1"}}]}}"#);
    assert_eq!(
        code(&padded),
        Err("bad_jwks".into()),
        "strict base64url: no padding"
    );
    assert_eq!(code(r#"{"nokeys":[]}"#), Err("bad_jwks".into()));
    assert_eq!(KeyError::CODES, &["bad_jwks", "bad_key"]);
}

#[wasm_bindgen_test]
fn the_strict_prechecks_refuse_a_non_canonical_s_and_a_small_order_r_or_key() {
    let key = [0x11u8; 32];
    let mut sig = [0u8; 64];
    sig[0] = 0x58; // R: some point encoding that is not of small order
    sig[32] = 1;
    assert!(wasm::strict_prechecks(&key, &sig));
    let mut big_s = sig;
    big_s[63] = 0x10; // S >= L
    big_s[32..63].fill(0xff);
    assert!(!wasm::strict_prechecks(&key, &big_s));
    let mut small_r = sig;
    small_r[..32].fill(0);
    small_r[0] = 1; // R = the identity
    assert!(!wasm::strict_prechecks(&key, &small_r));
    assert!(
        !wasm::strict_prechecks(&[0; 32], &sig),
        "the key 0 is of small order"
    );
    assert!(!wasm::strict_prechecks(&key, &sig[..63]), "not 64 bytes");
}

#[wasm_bindgen_test]
fn the_claim_rules_are_the_cores_with_the_clock_skew_for_iat_only() {
    let psnap = format!(r#"{{"v":2,"c":"t","m":"{HASH}","l":[]}}"#);
    let code = |aud: &str, now: f64, skew: f64| {
        wasm::check_claims(payload(&psnap), aud.into(), None, now, 0.0, skew)
            .map(|_| ())
            .map_err(|e| refusal(e).0)
    };
    assert_eq!(code("backoffice", NOW, 0.0), Ok(()));
    assert_eq!(code("other", NOW, 0.0), Err("wrong_audience".into()));
    assert_eq!(
        code("backoffice", NOW - 3000.0, 0.0),
        Err("not_yet_valid".into())
    );
    assert_eq!(
        code("backoffice", NOW - 3000.0, 60.0),
        Ok(()),
        "an issuer 3 s ahead"
    );
    assert_eq!(
        code("backoffice", 1_795_436_100_000.0, 600.0),
        Err("expired".into()),
        "the skew never extends exp"
    );
    let v3 = claims(r#"{"v":3,"c":"t","m":"x","l":[],"future":true}"#)
        .map(|_| ())
        .map_err(|e| refusal(e).0);
    assert_eq!(
        v3,
        Err("unsupported_version".into()),
        "the version first, before the rest of the claim"
    );
}

#[wasm_bindgen_test]
fn a_snapshot_claim_is_read_as_strictly_as_natively() {
    let code = |p: &str| claims(p).map(|_| ()).map_err(|e| refusal(e));
    let (c, m) = code(&format!(
        r#"{{"v":2,"c":"t","m":"{HASH}","l":[],"extra":1}}"#
    ))
    .unwrap_err();
    assert_eq!(c, "malformed");
    assert!(m.contains("unknown field `extra`"), "{m}");
    assert_eq!(
        code(&format!(
            r#"{{"v":2,"c":"t","m":"{HASH}","l":[[4444,0,[1]]]}}"#
        ))
        .unwrap_err()
        .0,
        "malformed"
    );
    assert_eq!(
        code(&format!(r#"{{"v":2,"c":"t","m":"{HASH}","l":[[4444,2]]}}"#))
            .unwrap_err()
            .0,
        "malformed"
    );
    assert_eq!(
        code(&format!(r#"{{"v":2,"c":"t","m":"{HASH}","l":[[1.5]]}}"#))
            .unwrap_err()
            .0,
        "malformed"
    );
    assert_eq!(
        code(&format!(
            r#"{{"v":2,"c":"t","m":"{HASH}","l":[[9007199254740992]]}}"#
        ))
        .unwrap_err()
        .0,
        "malformed"
    );
    let ok = claims(&format!(
        r#"{{"v":2,"c":"t","m":"{HASH}","l":[[4444]],"o":1,"d":null}}"#
    ))
    .unwrap_or_else(|e| panic!("{:?}", refusal(e)));
    assert_eq!(
        (ok.subject(), ok.catalog(), ok.manifest_hash()),
        ("u7".into(), "t".into(), HASH.into())
    );
    assert_eq!(ok.issued_at(), Some(NOW));
}

#[wasm_bindgen_test]
fn the_deserializer_reads_own_members_only_and_refuses_by_kind_without_printing_values() {
    let object = json(&format!(r#"{{"v":2,"c":"t","m":"{HASH}","l":[]}}"#));
    let child: Object = Object::create(object.unchecked_ref::<Object>());
    let inherited = SnapshotClaim::deserialize(Js(child.into()));
    assert!(inherited.is_err(), "inherited members are not read");
    let e =
        SnapshotClaim::deserialize(Js(json(r#"{"v":2.5,"c":"t","m":"x","l":[]}"#))).unwrap_err();
    assert!(e.to_string().starts_with("a number where"), "{e}");
}

#[wasm_bindgen_test]
fn a_claim_for_another_manifest_is_refused_as_manifest_mismatch() {
    let manifest =
        Manifest::parse(json(MANIFEST), HASH.into()).unwrap_or_else(|e| panic!("{:?}", refusal(e)));
    let claim = claims(r#"{"v":2,"c":"t","m":"BBBBBBBBBBBBBBBBBBBBBB","l":[]}"#)
        .unwrap_or_else(|e| panic!("{:?}", refusal(e)));
    let Err(e) = Checker::new(&manifest, &claim) else {
        panic!("accepted")
    };
    assert_eq!(refusal(e).0, "manifest_mismatch");
    let bad = Manifest::parse(
        json(r#"{"v":2,"catalog":"t","title":"T","permissions":[],"sources":[],"x":1}"#),
        HASH.into(),
    );
    assert_eq!(
        bad.map(|_| ()).map_err(|e| refusal(e).0),
        Err("malformed".into())
    );
}

#[wasm_bindgen_test]
fn a_label_table_answers_without_a_resource_and_flags_what_a_resource_could_change() {
    let c = checker();
    let t = c.table(4444.0, NOW);
    assert_eq!(reason(u32::from(t[0])), "granted");
    assert_eq!(reason(u32::from(t[1])), "restricted");
    assert_eq!(
        reason(u32::from(t[2])),
        "restricted",
        "no resource: the conditional deny applies"
    );
    assert_eq!(
        [t[0] & 0x80, t[1] & 0x80, t[2] & 0x80],
        [0, 0, 0x80],
        "only permission 2 has conditions"
    );
    assert_eq!(reason(u32::from(c.table(4445.0, NOW)[0])), "label_closed");
    assert_eq!(
        reason(u32::from(c.table(4446.0, NOW)[0])),
        "no_label_access"
    );
    assert_eq!(
        reason(u32::from(c.table(9999.0, NOW)[0])),
        "no_label_access"
    );
    assert_eq!(
        reason(u32::from(c.table(4444.0, 1_795_436_100_000.0)[0])),
        "expired"
    );
    assert_eq!(c.labels(), vec![4444.0, 4445.0, 4446.0]);
}

#[wasm_bindgen_test]
fn a_scoped_check_reads_the_resource_from_typed_slots_with_interned_strings() {
    let mut c = checker();
    assert!(
        c.attrs().is_empty(),
        "nothing made before the first scoped check"
    );
    c.prepare_scoped();
    let attrs = c.attrs();
    let strings = c.strings();
    let slot = |a: &str| attrs.iter().position(|x| x == a).unwrap_or(usize::MAX);
    let id = |s: &str| {
        strings
            .iter()
            .position(|x| x == s)
            .map(|i| i as f64)
            .unwrap_or(-1.0)
    };
    assert_eq!((slot("manager"), slot("status")), (0, 1));
    let (str_tag, other_str, absent) = (3.0, 4.0, 0.0);
    let mut slots = [(absent, 0.0); 2];
    slots[slot("manager")] = (str_tag, id("u7"));
    slots[slot("status")] = (other_str, 0.0);
    write_slots(&c, &slots);
    assert!(
        c.allows(2, 4444.0, NOW),
        "manager is the subject, status is some other string"
    );
    let packed = c.check(2, 4444.0, NOW, true);
    assert_eq!(
        (reason(packed), c.source_id((packed >> 8) - 1)),
        ("granted", "mine".to_string())
    );
    slots[slot("status")] = (str_tag, id("pending"));
    write_slots(&c, &slots);
    assert_eq!(reason(c.check(2, 4444.0, NOW, true)), "restricted");
    slots = [(other_str, 0.0), (absent, 0.0)];
    write_slots(&c, &slots);
    assert_eq!(
        reason(c.check(2, 4444.0, NOW, true)),
        "restricted",
        "status absent: the deny cannot be evaluated"
    );
    slots = [(other_str, 0.0), (1.0, 7.0)];
    write_slots(&c, &slots);
    assert_eq!(
        reason(c.check(2, 4444.0, NOW, true)),
        "condition_failed",
        "manager is another string"
    );
}

#[wasm_bindgen_test]
fn messages_name_the_source_title() {
    let c = checker();
    let packed = c.check(1, 4444.0, NOW, false);
    assert_eq!(c.message(packed), "Restricted: No bonus");
    assert_eq!(
        c.message(c.check(0, 4444.0, NOW, false)),
        "Allowed by Support"
    );
}

#[wasm_bindgen_test]
fn the_exported_code_lists_are_the_rust_lists() {
    let reasons: Vec<String> = Reason::ALL.iter().map(|r| r.code().to_string()).collect();
    assert_eq!(wasm::reason_codes(), reasons);
    assert_eq!(
        wasm::verify_error_codes(),
        VerifyError::CODES
            .iter()
            .map(|c| c.to_string())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        wasm::key_error_codes(),
        vec!["bad_jwks".to_string(), "bad_key".to_string()]
    );
}
