#![cfg(not(target_arch = "wasm32"))]
//! RFC 8725 attacks on permsnap tokens: each one is crafted against a real
//! issued token and must be refused with its own code, while the honest
//! token (and honest variants such as key rotation) keeps verifying.
//!
//! Crafted tokens are signed with [`sign_parts`], which signs arbitrary
//! header and payload bytes with `ed25519_dalek` directly; it is checked to
//! reproduce an issued token byte for byte, so a crafted token differs from a
//! real one only by the defect under test.

use ed25519_dalek::{Signer, SigningKey};
use permsnap::b64;
use permsnap::json::Json;
use permsnap::presets::preset;
use permsnap::snapshot::jws::{
    issue, verify, verify_ed25519, Jwks, PrivateKey, TokenErrorKind as T, VerifyOptions,
    DEFAULT_MAX_LEN, TYP,
};
use permsnap::{Directory, IssueOptions, Model, Reason, Verified};
use sha2::{Digest, Sha256};

/// 2026-11-18T11:06:40Z, a whole second.
const NOW: i64 = 1_795_000_000_000;
const SEED: [u8; 32] = [1; 32];
const OTHER_SEED: [u8; 32] = [2; 32];
const ATTACKER_SEED: [u8; 32] = [9; 32];
const AUDIENCE: &str = "backoffice";
const LABEL: u64 = 4444;
const ALICE: &str = "u-alice";
const BOB: &str = "u-bob";

const DIRECTORY: &str = r#"{
  "labels": [{"id": 4444, "name": "Brand A", "suffix": "branda"}],
  "users": [
    {"id": "u-alice", "username": "alice@branda", "email": "alice@example.com", "home_label": 4444,
     "access": {"4444": {"roles": ["crm_support"], "restrictions": ["no_give_bonus"]}}},
    {"id": "u-bob", "username": "bob@branda", "email": "bob@example.com", "home_label": 4444,
     "access": {"4444": {"roles": ["crm_manager"]}}}
  ]
}"#;

fn model() -> Model {
    let catalog = preset("smartico-crm").expect("the smartico-crm preset");
    let directory =
        Directory::from_json_text(DIRECTORY, "directory.json", &catalog).expect("the directory");
    Model::new(catalog, directory)
}

fn key() -> PrivateKey {
    PrivateKey::from_seed(&SEED, Some("k1"))
}

fn jwks_of(keys: &[&PrivateKey]) -> String {
    let all: Vec<Json> = keys
        .iter()
        .flat_map(|k| match k.to_jwks().get("keys") {
            Some(Json::Arr(list)) => list.clone(),
            _ => panic!("to_jwks has no `keys` list"),
        })
        .collect();
    Json::Obj(vec![("keys".into(), Json::Arr(all))]).to_text()
}

fn jwks() -> Jwks {
    Jwks::from_json_text(&key().to_jwks().to_text()).expect("our own JWKS")
}

fn opts() -> VerifyOptions {
    VerifyOptions::new(AUDIENCE, NOW)
}

fn token_for(user: &str) -> String {
    issue(&model(), user, NOW, &IssueOptions::default(), &key()).expect("issued")
}

fn accepted(token: &str) -> Verified {
    verify(token, &jwks(), &opts()).unwrap_or_else(|e| panic!("refused: {e}"))
}

fn refusal_with(token: &str, jwks: &Jwks, opts: &VerifyOptions) -> T {
    match verify(token, jwks, opts) {
        Ok(v) => panic!("accepted a token for `{}`", v.claims.sub),
        Err(e) => e.kind,
    }
}

fn refusal(token: &str) -> T {
    refusal_with(token, &jwks(), &opts())
}

/// A compact token's three raw parts and its decoded header and payload text.
struct Parts {
    h: String,
    p: String,
    s: String,
    header: String,
    payload: String,
}

fn split(token: &str) -> Parts {
    let mut it = token.split('.');
    let (Some(h), Some(p), Some(s), None) = (it.next(), it.next(), it.next(), it.next()) else {
        panic!("not three parts: {token}");
    };
    let text =
        |part: &str| String::from_utf8(b64::decode(part).expect("base64url")).expect("utf-8");
    Parts {
        header: text(h),
        payload: text(p),
        h: h.into(),
        p: p.into(),
        s: s.into(),
    }
}

/// Signs the already encoded `h.p` with `seed`, as any Ed25519 JWS signer would.
fn sign_parts(seed: &[u8; 32], h: &str, p: &str) -> String {
    let signed = format!("{h}.{p}");
    let sig = SigningKey::from_bytes(seed).sign(signed.as_bytes());
    format!("{signed}.{}", b64::encode(&sig.to_bytes()))
}

fn sign_raw(seed: &[u8; 32], header: &str, payload: &str) -> String {
    sign_parts(
        seed,
        &b64::encode(header.as_bytes()),
        &b64::encode(payload.as_bytes()),
    )
}

/// Alice's payload text under `header`, signed with our key.
fn with_header(header: &str) -> String {
    sign_raw(&SEED, header, &split(&token_for(ALICE)).payload)
}

/// Alice's claims, edited, under the real header, signed with our key.
fn with_claims(edit: impl FnOnce(&mut Json)) -> String {
    let parts = split(&token_for(ALICE));
    let mut claims = Json::parse(&parts.payload).expect("claims");
    edit(&mut claims);
    sign_raw(&SEED, &parts.header, &claims.to_text())
}

fn field_mut<'a>(j: &'a mut Json, key: &str) -> &'a mut Json {
    match j {
        Json::Obj(fields) => {
            &mut fields
                .iter_mut()
                .find(|(k, _)| k == key)
                .unwrap_or_else(|| panic!("no `{key}`"))
                .1
        }
        _ => panic!("not an object"),
    }
}

fn item_mut(j: &mut Json, i: usize) -> &mut Json {
    match j {
        Json::Arr(items) => &mut items[i],
        _ => panic!("not a list"),
    }
}

fn set(j: &mut Json, key: &str, value: Json) {
    match j {
        Json::Obj(fields) => match fields.iter_mut().find(|(k, _)| k == key) {
            Some(f) => f.1 = value,
            None => fields.push((key.to_string(), value)),
        },
        _ => panic!("not an object"),
    }
}

fn remove(j: &mut Json, key: &str) {
    match j {
        Json::Obj(fields) => fields.retain(|(k, _)| k != key),
        _ => panic!("not an object"),
    }
}

fn header(extra: &str) -> String {
    format!(r#"{{"alg":"Ed25519","typ":"{TYP}","kid":"k1"{extra}}}"#)
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
    let mut block = [0u8; 64];
    if key.len() > 64 {
        block[..32].copy_from_slice(&Sha256::digest(key));
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .into()
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

// ---------------------------------------------------------------------------
// the honest token and the crafting helper

#[test]
fn issued_token_verifies_and_its_snapshot_answers() {
    let v = accepted(&token_for(ALICE));
    assert_eq!(v.kid, "k1");
    assert_eq!(v.claims.sub, ALICE);
    assert_eq!(v.claims.iss.as_deref(), Some("permsnap"));
    assert_eq!(v.claims.aud, [AUDIENCE]);
    assert_eq!(v.claims.iat, Some(NOW / 1000));
    assert_eq!(v.claims.exp, NOW / 1000 + 900);
    let give_bonus = v.snapshot.check("player.give_bonus", LABEL, None, NOW);
    assert_eq!(give_bonus.reason, Reason::Restricted);
    assert_eq!(give_bonus.by, Some("no_give_bonus"));
    assert_eq!(
        v.snapshot.check("player.view", LABEL, None, NOW).reason,
        Reason::Granted
    );
}

#[test]
fn crafting_helper_reproduces_the_issued_token_byte_for_byte() {
    let token = token_for(ALICE);
    let parts = split(&token);
    assert_eq!(
        parts.header,
        format!(r#"{{"alg":"Ed25519","typ":"{TYP}","kid":"k1"}}"#)
    );
    assert_eq!(sign_raw(&SEED, &parts.header, &parts.payload), token);
    assert_eq!(header(""), parts.header);
}

#[test]
fn hmac_helper_matches_rfc_4231() {
    // test case 2 and test case 6 (a key longer than the block)
    assert_eq!(
        hmac_sha256(b"Jefe", b"what do ya want for nothing?").to_vec(),
        hex("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    );
    assert_eq!(
        hmac_sha256(
            &[0xaa; 131],
            b"Test Using Larger Than Block-Size Key - Hash Key First"
        )
        .to_vec(),
        hex("60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    );
}

// ---------------------------------------------------------------------------
// alg

#[test]
fn alg_none_is_refused_unsigned_and_with_a_signature_kept() {
    let parts = split(&token_for(ALICE));
    for alg in ["none", "None", "NONE", "nOnE"] {
        let h = b64::encode(format!(r#"{{"alg":"{alg}","typ":"{TYP}","kid":"k1"}}"#).as_bytes());
        // RFC 7519 unsecured JWT: empty signature
        assert_eq!(
            refusal(&format!("{h}.{}.", parts.p)),
            T::AlgNotAllowed,
            "{alg}"
        );
        // the original Ed25519 signature kept
        assert_eq!(
            refusal(&format!("{h}.{}.{}", parts.p, parts.s)),
            T::AlgNotAllowed,
            "{alg}"
        );
        // signed by our own key: still not allowed
        assert_eq!(
            refusal(&with_header(&format!(
                r#"{{"alg":"{alg}","typ":"{TYP}","kid":"k1"}}"#
            ))),
            T::AlgNotAllowed,
            "{alg}"
        );
    }
}

#[test]
fn hs256_keyed_with_the_public_key_is_refused() {
    let jwks_json = key().to_jwks();
    let jwks_text = jwks_json.to_text();
    let x = match jwks_json.get("keys") {
        Some(Json::Arr(keys)) => keys[0].get("x").and_then(Json::as_str).expect("x"),
        _ => panic!("no keys"),
    };
    let public = b64::decode(x).expect("x");
    assert_eq!(public.len(), 32);
    let parts = split(&token_for(ALICE));
    let h = b64::encode(format!(r#"{{"alg":"HS256","typ":"{TYP}","kid":"k1"}}"#).as_bytes());
    let signed = format!("{h}.{}", parts.p);
    // the raw key bytes, the `x` text and the whole JWKS text: the usual
    // ways a confused verifier turns a public key into an HMAC secret
    for secret in [public.as_slice(), x.as_bytes(), jwks_text.as_bytes()] {
        let mac = hmac_sha256(secret, signed.as_bytes());
        let token = format!("{signed}.{}", b64::encode(&mac));
        assert_eq!(refusal(&token), T::AlgNotAllowed);
    }
}

#[test]
fn rsa_ecdsa_and_other_algs_are_refused() {
    let fake_sig = b64::encode(&[7u8; 64]);
    let parts = split(&token_for(ALICE));
    for alg in [
        r#""RS256""#,
        r#""ES256""#,
        r#""PS256""#,
        r#""ES256K""#,
        r#""HS512""#,
        r#""Ed448""#,
        r#""ed25519""#,
        r#""EDDSA""#,
        r#""""#,
        r#"["Ed25519"]"#,
        "null",
    ] {
        let h = format!(r#"{{"alg":{alg},"typ":"{TYP}","kid":"k1"}}"#);
        let token = format!("{}.{}.{fake_sig}", b64::encode(h.as_bytes()), parts.p);
        assert_eq!(refusal(&token), T::AlgNotAllowed, "{alg}");
        assert_eq!(refusal(&with_header(&h)), T::AlgNotAllowed, "{alg} signed");
    }
    let no_alg = format!(r#"{{"typ":"{TYP}","kid":"k1"}}"#);
    assert_eq!(refusal(&with_header(&no_alg)), T::AlgNotAllowed);
}

#[test]
fn alg_eddsa_of_rfc_8037_is_accepted() {
    let h = format!(r#"{{"alg":"EdDSA","typ":"{TYP}","kid":"k1"}}"#);
    assert_eq!(accepted(&with_header(&h)).claims.sub, ALICE);
}

// ---------------------------------------------------------------------------
// header parameters

#[test]
fn keys_carried_or_pointed_to_by_the_header_are_refused() {
    // the attacker signs with their own key and ships it (or its address)
    let attacker = PrivateKey::from_seed(&ATTACKER_SEED, Some("k1"));
    let attacker_jwk = match attacker.to_jwks().get("keys") {
        Some(Json::Arr(keys)) => keys[0].to_text(),
        _ => panic!("no keys"),
    };
    let payload = split(&token_for(ALICE)).payload;
    for extra in [
        format!(r#","jwk":{attacker_jwk}"#),
        r#","jku":"https://attacker.example/jwks.json""#.to_string(),
        r#","x5u":"https://attacker.example/cert.pem""#.to_string(),
        r#","x5c":["MIIBszCCAVmgAwIBAgIUB"]"#.to_string(),
    ] {
        let token = sign_raw(&ATTACKER_SEED, &header(&extra), &payload);
        assert_eq!(refusal(&token), T::KeyInHeader, "{extra}");
        // even when the token is really signed by our key
        assert_eq!(
            refusal(&with_header(&header(&extra))),
            T::KeyInHeader,
            "{extra}"
        );
    }
}

#[test]
fn crit_is_refused() {
    for extra in [
        r#","crit":["x-permsnap"],"x-permsnap":1"#,
        r#","crit":["exp"]"#,
        r#","crit":[]"#,
        r#","crit":"b64","b64":false"#,
    ] {
        assert_eq!(
            refusal(&with_header(&header(extra))),
            T::CritUnsupported,
            "{extra}"
        );
    }
}

#[test]
fn wrong_or_missing_typ_is_refused() {
    for typ in [r#""JWT""#, r#""at+jwt""#, r#""permsnap""#, r#""""#, "1"] {
        let h = format!(r#"{{"alg":"Ed25519","typ":{typ},"kid":"k1"}}"#);
        assert_eq!(refusal(&with_header(&h)), T::TypMismatch, "{typ}");
    }
    let h = r#"{"alg":"Ed25519","kid":"k1"}"#;
    assert_eq!(refusal(&with_header(h)), T::TypMismatch);
}

#[test]
fn kid_missing_or_not_in_the_jwks_is_unknown_key() {
    for h in [
        format!(r#"{{"alg":"Ed25519","typ":"{TYP}","kid":"k9"}}"#),
        format!(r#"{{"alg":"Ed25519","typ":"{TYP}","kid":""}}"#),
        format!(r#"{{"alg":"Ed25519","typ":"{TYP}"}}"#),
        format!(r#"{{"alg":"Ed25519","typ":"{TYP}","kid":1}}"#),
    ] {
        assert_eq!(refusal(&with_header(&h)), T::UnknownKey, "{h}");
    }
    // a real token of a key the verifier does not hold
    let other = PrivateKey::from_seed(&OTHER_SEED, Some("k2"));
    let token = issue(&model(), ALICE, NOW, &IssueOptions::default(), &other).expect("issued");
    assert_eq!(refusal(&token), T::UnknownKey);
}

// ---------------------------------------------------------------------------
// claims

#[test]
fn a_token_for_another_audience_is_refused() {
    let opts = IssueOptions {
        audience: "reports".into(),
        ..IssueOptions::default()
    };
    let token = issue(&model(), ALICE, NOW, &opts, &key()).expect("issued");
    assert_eq!(refusal(&token), T::WrongAudience);
    let reports = VerifyOptions::new("reports", NOW);
    assert_eq!(
        verify(&token, &jwks(), &reports)
            .expect("for reports")
            .claims
            .sub,
        ALICE
    );

    let missing = with_claims(|c| remove(c, "aud"));
    assert_eq!(refusal(&missing), T::WrongAudience);
    let listed = with_claims(|c| {
        set(
            c,
            "aud",
            Json::Arr(vec![
                Json::Str("reports".into()),
                Json::Str(AUDIENCE.into()),
            ]),
        )
    });
    assert_eq!(accepted(&listed).claims.aud, ["reports", AUDIENCE]);
    let others = with_claims(|c| set(c, "aud", Json::Arr(vec![Json::Str("reports".into())])));
    assert_eq!(refusal(&others), T::WrongAudience);
}

#[test]
fn a_token_of_another_issuer_is_refused_when_the_issuer_is_checked() {
    let token = token_for(ALICE);
    let mut want = opts();
    want.issuer = Some("https://sso.example".into());
    assert_eq!(refusal_with(&token, &jwks(), &want), T::WrongIssuer);
    want.issuer = Some("permsnap".into());
    assert!(verify(&token, &jwks(), &want).is_ok());

    let no_iss = with_claims(|c| remove(c, "iss"));
    assert_eq!(refusal_with(&no_iss, &jwks(), &want), T::WrongIssuer);
    // without an expected issuer, `iss` is not checked
    assert_eq!(accepted(&no_iss).claims.iss, None);
}

#[test]
fn a_token_is_expired_from_exp_on_and_leeway_extends_it() {
    let token = token_for(ALICE);
    let exp_ms = accepted(&token).claims.exp * 1000;
    let at = |now: i64, leeway_secs: i64| {
        let mut o = VerifyOptions::new(AUDIENCE, now);
        o.leeway_secs = leeway_secs;
        verify(&token, &jwks(), &o)
            .map(|v| v.claims.sub)
            .map_err(|e| e.kind)
    };
    assert_eq!(at(exp_ms - 1, 0), Ok(ALICE.to_string()));
    assert_eq!(at(exp_ms, 0), Err(T::Expired));
    assert_eq!(at(exp_ms + 3_600_000, 0), Err(T::Expired));
    assert_eq!(at(exp_ms + 59_999, 60), Ok(ALICE.to_string()));
    assert_eq!(at(exp_ms + 60_000, 60), Err(T::Expired));
    // a negative leeway counts as none
    assert_eq!(at(exp_ms - 1, -60), Ok(ALICE.to_string()));
}

#[test]
fn a_token_from_the_future_is_not_yet_valid() {
    let token = token_for(ALICE);
    let at = |now: i64, leeway_secs: i64| {
        let mut o = VerifyOptions::new(AUDIENCE, now);
        o.leeway_secs = leeway_secs;
        verify(&token, &jwks(), &o)
            .map(|v| v.claims.sub)
            .map_err(|e| e.kind)
    };
    // `iat` is NOW: one second earlier it is in the future
    assert_eq!(at(NOW - 1000, 0), Err(T::NotYetValid));
    assert_eq!(at(NOW - 1000, 1), Ok(ALICE.to_string()));
    assert_eq!(at(NOW, 0), Ok(ALICE.to_string()));

    let nbf = with_claims(|c| set(c, "nbf", Json::Num((NOW / 1000 + 60) as f64)));
    assert_eq!(refusal(&nbf), T::NotYetValid);
    let later = VerifyOptions::new(AUDIENCE, NOW + 60_000);
    assert!(verify(&nbf, &jwks(), &later).is_ok());

    let iat = with_claims(|c| set(c, "iat", Json::Num((NOW / 1000 + 60) as f64)));
    assert_eq!(refusal(&iat), T::NotYetValid);
}

// ---------------------------------------------------------------------------
// signatures

#[test]
fn a_payload_or_header_edited_after_signing_is_bad_signature() {
    let token = token_for(ALICE);
    let parts = split(&token);
    let resend = |header: &str, claims: &Json| {
        format!(
            "{}.{}.{}",
            b64::encode(header.as_bytes()),
            b64::encode(claims.to_text().as_bytes()),
            parts.s
        )
    };
    let claims = Json::parse(&parts.payload).expect("claims");

    // sub changed to another user
    let mut other = claims.clone();
    set(&mut other, "sub", Json::Str(BOB.into()));
    assert_eq!(refusal(&resend(&parts.header, &other)), T::BadSignature);

    // the restriction dropped from label 4444: [4444, 0, [grants], [denies]]
    let mut unrestricted = claims.clone();
    let label = item_mut(field_mut(field_mut(&mut unrestricted, "psnap"), "l"), 0);
    assert_eq!(item_mut(label, 0), &Json::Num(LABEL as f64));
    *item_mut(label, 3) = Json::Arr(vec![]);
    assert_eq!(
        refusal(&resend(&parts.header, &unrestricted)),
        T::BadSignature
    );
    // ... which is an edit that matters: signed, it would allow the bonus
    let signed = sign_raw(&SEED, &parts.header, &unrestricted.to_text());
    let v = accepted(&signed);
    assert!(v
        .snapshot
        .check("player.give_bonus", LABEL, None, NOW)
        .allowed());

    // exp pushed a day later
    let mut longer = claims.clone();
    set(&mut longer, "exp", Json::Num((NOW / 1000 + 86_400) as f64));
    assert_eq!(refusal(&resend(&parts.header, &longer)), T::BadSignature);

    // the header edited (a harmless extra parameter)
    assert_eq!(
        refusal(&resend(&header(r#","cty":"json""#), &claims)),
        T::BadSignature
    );

    // one bit of the signature flipped
    let mut sig = b64::decode(&parts.s).expect("signature");
    sig[10] ^= 1;
    let flipped = format!("{}.{}.{}", parts.h, parts.p, b64::encode(&sig));
    assert_eq!(refusal(&flipped), T::BadSignature);
}

#[test]
fn a_signature_by_another_key_under_the_same_kid_is_bad_signature() {
    let impostor = PrivateKey::from_seed(&ATTACKER_SEED, Some("k1"));
    let token = issue(&model(), ALICE, NOW, &IssueOptions::default(), &impostor).expect("issued");
    assert_eq!(split(&token).header, split(&token_for(ALICE)).header);
    assert_eq!(refusal(&token), T::BadSignature);
}

#[test]
fn a_non_canonical_s_plus_l_signature_is_bad_signature() {
    // L, the order of the Ed25519 base point, little-endian
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
        0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let token = token_for(ALICE);
    let parts = split(&token);
    let sig = b64::decode(&parts.s).expect("signature");
    let mut malleable = sig.clone();
    let mut carry = 0u16;
    for (s, l) in malleable[32..].iter_mut().zip(L) {
        let sum = u16::from(*s) + u16::from(l) + carry;
        *s = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "S + L fits in 32 bytes");
    assert_ne!(malleable, sig);
    let signed = format!("{}.{}", parts.h, parts.p);
    let public = jwks().get("k1").expect("k1").to_bytes();
    assert!(verify_ed25519(&public, signed.as_bytes(), &sig));
    // S + L is the same scalar mod L: a lenient verifier would accept it
    assert!(!verify_ed25519(&public, signed.as_bytes(), &malleable));
    let respelled = format!("{signed}.{}", b64::encode(&malleable));
    assert_eq!(refusal(&respelled), T::BadSignature);
}

#[test]
fn signed_bytes_are_verified_before_the_payload_is_decoded() {
    // Any change to the payload text, even one that would make it
    // undecodable, fails the signature first: the exact bytes are verified.
    let parts = split(&token_for(ALICE));
    for p in [
        format!(" {}", parts.p),
        format!("{}=", parts.p),
        format!("{}!", parts.p),
        parts.p.replacen(|c: char| c.is_ascii_alphabetic(), "+", 1),
    ] {
        assert_eq!(
            refusal(&format!("{}.{p}.{}", parts.h, parts.s)),
            T::BadSignature,
            "{p}"
        );
    }
}

#[test]
fn a_signature_of_the_wrong_length_is_bad_signature() {
    let parts = split(&token_for(ALICE));
    let sig = b64::decode(&parts.s).expect("signature");
    // The signature part decodes but is not 64 bytes: permsnap answers
    // `bad_signature` (not `malformed`) for these.
    for s in [
        String::new(),
        parts.s[..parts.s.len() - 2].to_string(),
        b64::encode(&sig[..32]),
        b64::encode(&[sig.as_slice(), &[0]].concat()),
    ] {
        assert_eq!(
            refusal(&format!("{}.{}.{s}", parts.h, parts.p)),
            T::BadSignature,
            "{s}"
        );
    }
}

// ---------------------------------------------------------------------------
// shape

#[test]
fn truncated_tokens_and_extra_parts_are_malformed() {
    let token = token_for(ALICE);
    let parts = split(&token);
    for bad in [
        String::new(),
        ".".to_string(),
        "..".to_string(),
        parts.h.clone(),
        format!("{}.{}", parts.h, parts.p),
        token[..parts.h.len() + 1 + parts.p.len() / 2].to_string(),
        // 85 base64url characters cannot be a whole number of bytes
        token[..token.len() - 1].to_string(),
        format!("{token}."),
        format!("{token}.e30"),
        format!("{}..{}.{}", parts.h, parts.p, parts.s),
    ] {
        assert_eq!(refusal(&bad), T::Malformed, "{bad}");
    }
}

#[test]
fn padding_non_base64url_characters_and_white_space_are_malformed() {
    let token = token_for(ALICE);
    let parts = split(&token);
    let (h, p, s) = (&parts.h, &parts.p, &parts.s);
    let std_alphabet = format!("+{}", &s[1..]);
    for bad in [
        format!("{token}=="),
        format!("{h}=.{p}.{s}"),
        format!("{h}.{p}.{std_alphabet}"),
        format!("{h}.{p}./{}", &s[1..]),
        format!("{}!.{p}.{s}", &h[..h.len() - 1]),
        format!(" {token}"),
        format!("{token}\n"),
        format!("{token} "),
        format!("{h}.{p}.{}\n{}", &s[..40], &s[40..]),
        format!("\t{h}.{p}.{s}"),
    ] {
        assert_eq!(refusal(&bad), T::Malformed, "{bad:?}");
    }
}

#[test]
fn signed_payloads_that_permsnap_does_not_write_are_malformed() {
    let parts = split(&token_for(ALICE));
    let h = &parts.h;
    let sign = |p: &str| sign_parts(&SEED, h, p);
    let enc = |text: &str| b64::encode(text.as_bytes());
    for (what, token) in [
        ("padding", sign(&format!("{}==", parts.p))),
        ("white space", sign(&format!("{} ", parts.p))),
        (
            "standard alphabet",
            sign(&format!("{}+", &parts.p[..parts.p.len() - 1])),
        ),
        ("not JSON", sign(&enc("Example of Ed25519 signing"))),
        ("not an object", sign(&enc("[1,2]"))),
        ("not UTF-8", sign(&b64::encode(&[0xff, 0xfe, b'{', b'}']))),
    ] {
        assert_eq!(refusal(&token), T::Malformed, "{what}");
    }
    for (what, token) in [
        ("no sub", with_claims(|c| remove(c, "sub"))),
        ("no exp", with_claims(|c| remove(c, "exp"))),
        (
            "exp as text",
            with_claims(|c| set(c, "exp", Json::Str("tomorrow".into()))),
        ),
        (
            "sub as number",
            with_claims(|c| set(c, "sub", Json::Num(7.0))),
        ),
        ("no psnap", with_claims(|c| remove(c, "psnap"))),
        (
            "unknown psnap field",
            with_claims(|c| set(field_mut(c, "psnap"), "x", Json::Null)),
        ),
        (
            "no version",
            with_claims(|c| remove(field_mut(c, "psnap"), "v")),
        ),
    ] {
        assert_eq!(refusal(&token), T::Malformed, "{what}");
    }
    // a signed header that is not a JSON object
    assert_eq!(refusal(&with_header("[]")), T::Malformed);
    assert_eq!(refusal(&with_header("")), T::Malformed);
}

#[test]
fn duplicate_keys_in_the_header_or_payload_are_malformed() {
    let payload = split(&token_for(ALICE)).payload;
    for h in [
        format!(r#"{{"alg":"none","typ":"{TYP}","kid":"k1","alg":"Ed25519"}}"#),
        format!(r#"{{"alg":"Ed25519","typ":"{TYP}","kid":"k9","kid":"k1"}}"#),
        format!(r#"{{"alg":"Ed25519","typ":"JWT","typ":"{TYP}","kid":"k1"}}"#),
        // the same key spelled with an escape is still the same key
        format!(r#"{{"alg":"Ed25519","typ":"{TYP}","kid":"k1","\u0061lg":"none"}}"#),
    ] {
        assert_eq!(refusal(&sign_raw(&SEED, &h, &payload)), T::Malformed, "{h}");
    }
    let h = header("");
    for edited in [
        payload.replacen('{', &format!(r#"{{"sub":"{BOB}","#), 1),
        payload.replacen('{', r#"{"exp":99999999999,"#, 1),
        payload.replacen(r#""psnap":{"#, r#""psnap":{"o":1,"o":1,"#, 1),
        payload.replacen(r#""psnap":{"#, r#""psnap":{"v":1,"#, 1),
    ] {
        assert_ne!(edited, payload);
        assert_eq!(
            refusal(&sign_raw(&SEED, &h, &edited)),
            T::Malformed,
            "{edited}"
        );
    }
}

#[test]
fn an_oversized_token_is_too_large_before_any_parsing() {
    let token = token_for(ALICE);
    let mut o = opts();
    o.max_len = token.len();
    assert!(verify(&token, &jwks(), &o).is_ok());
    o.max_len = token.len() - 1;
    assert_eq!(refusal_with(&token, &jwks(), &o), T::TooLarge);

    // garbage is `malformed` at the limit and `too_large` past it: the size
    // is checked before anything is parsed
    let garbage = "x".repeat(DEFAULT_MAX_LEN + 1);
    assert_eq!(refusal(&garbage[..DEFAULT_MAX_LEN]), T::Malformed);
    assert_eq!(refusal(&garbage), T::TooLarge);

    // a validly signed token padded past the limit
    let padding = "a".repeat(DEFAULT_MAX_LEN);
    let padded = with_header(&header(&format!(r#","pad":"{padding}""#)));
    assert_eq!(refusal(&padded), T::TooLarge);
}

// ---------------------------------------------------------------------------
// snapshot

#[test]
fn an_unsupported_snapshot_version_is_refused() {
    for v in [0.0, 2.0] {
        let token = with_claims(|c| set(field_mut(c, "psnap"), "v", Json::Num(v)));
        assert_eq!(refusal(&token), T::UnsupportedVersion, "v {v}");
    }
    let token = with_claims(|c| set(field_mut(c, "psnap"), "v", Json::Num(1.0)));
    assert!(verify(&token, &jwks(), &opts()).is_ok());
}

#[test]
fn a_token_of_another_user_verifies_and_names_that_user() {
    // A valid token of Bob presented in Alice's session: the signature is
    // fine, so the verifier accepts it; the API exposes whose it is, and the
    // UI must bind that to its session.
    let session_user = ALICE;
    let v = accepted(&token_for(BOB));
    assert_eq!(v.claims.sub, BOB);
    assert_eq!(v.snapshot.subject, BOB);
    assert_ne!(v.claims.sub, session_user);
    // and Bob's snapshot would allow what Alice's denies
    assert!(v
        .snapshot
        .check("player.give_bonus", LABEL, None, NOW)
        .allowed());
    let alice = accepted(&token_for(ALICE));
    assert!(!alice
        .snapshot
        .check("player.give_bonus", LABEL, None, NOW)
        .allowed());
}

// ---------------------------------------------------------------------------
// JWKS

#[test]
fn a_jwks_holding_a_private_key_is_refused() {
    let text = format!(r#"{{"keys":[{}]}}"#, key().to_private_jwk().to_text());
    assert_eq!(
        Jwks::from_json_text(&text).expect_err("private key").kind,
        T::BadJwks
    );
}

#[test]
fn a_jwks_with_two_keys_under_one_kid_is_refused() {
    let other = PrivateKey::from_seed(&OTHER_SEED, Some("k1"));
    for text in [jwks_of(&[&key(), &other]), jwks_of(&[&key(), &key()])] {
        assert_eq!(
            Jwks::from_json_text(&text).expect_err("two k1").kind,
            T::BadJwks
        );
    }
}

#[test]
fn a_jwks_with_two_kids_verifies_tokens_of_both_during_rotation() {
    let (old, new) = (key(), PrivateKey::from_seed(&OTHER_SEED, Some("k2")));
    let both = Jwks::from_json_text(&jwks_of(&[&old, &new])).expect("two keys");
    assert_eq!(both.kids().collect::<Vec<_>>(), ["k1", "k2"]);
    let model = model();
    for (signer, kid) in [(&old, "k1"), (&new, "k2")] {
        let token = issue(&model, ALICE, NOW, &IssueOptions::default(), signer).expect("issued");
        let v = verify(&token, &both, &opts()).unwrap_or_else(|e| panic!("{kid}: {e}"));
        assert_eq!(v.kid, kid);
        assert_eq!(v.claims.sub, ALICE);
    }
    // once k1 is retired, its tokens are refused
    let only_new = Jwks::from_json_text(&jwks_of(&[&new])).expect("k2");
    assert_eq!(
        refusal_with(&token_for(ALICE), &only_new, &opts()),
        T::UnknownKey
    );
}
