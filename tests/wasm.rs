//! The JavaScript boundary (`permsnap::wasm`), compiled to wasm and run by
//! `wasm-bindgen-test-runner` in Node and in headless Chromium: a manifest
//! and a claim flattened as `src/wasm/flat.rs` describes answer every check
//! as the core's own `Snapshot` does; refusals cross as numbers with the
//! core's codes; input the module does not expect is refused, never a
//! panic; and the package's JS holds the Rust lists and sentences (its
//! code lists, reason messages and error messages, imported from
//! `pkg-config/` and compared here). Whole tokens, every vector file and
//! the random differential samples go through the shipped package instead
//! (`pkg-config/test/`, Node and Chromium).
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Float64Array, Object, Reflect, WebAssembly};
use permsnap::core::error::{KeyError, VerifyError};
use permsnap::core::rules::{Cond, CondRule, Op, PermSet, Reason, RuleSet, Scalar};
use permsnap::core::snapshot::{
    LabelEntry, Manifest, ManifestData, PermissionEntry, Snapshot, SnapshotClaim, SourceEntry,
    SourceKind,
};
use permsnap::wasm::{self, tag, NO_ANSWER};
use std::sync::Arc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;

#[wasm_bindgen(module = "/pkg-config/codes.js")]
extern "C" {
    #[wasm_bindgen(js_name = reasonCodes)]
    fn js_reason_codes() -> Array;
    #[wasm_bindgen(js_name = errorCodes)]
    fn js_error_codes() -> Array;
    #[wasm_bindgen(js_name = reasonMessage)]
    fn js_reason_message(i: u32, title: Option<String>) -> String;
}

#[wasm_bindgen(module = "/pkg-config/errors.js")]
extern "C" {
    #[wasm_bindgen(js_name = verifyMessage)]
    fn js_verify_message(code: &str, fields: &Object) -> String;
    #[wasm_bindgen(js_name = keyMessage)]
    fn js_key_message(kind: &str, fields: &Object) -> String;
}

// ---------------------------------------------------------------- the format, written as JS writes it

fn push_str(out: &mut Vec<f64>, text: &str) {
    out.push(text.chars().count() as f64);
    out.extend(text.chars().map(|c| f64::from(u32::from(c))));
}

fn push_rules(out: &mut Vec<f64>, r: &RuleSet) {
    let words = r.always.words();
    out.push(words.len() as f64);
    out.extend(words.iter().map(|&w| f64::from(w)));
    out.push(r.when.len() as f64);
    for rule in &r.when {
        out.extend([rule.perm as f64, rule.when.len() as f64]);
        for c in &rule.when {
            push_str(out, &c.attr);
            out.push(Op::ALL.iter().position(|o| *o == c.op).unwrap() as f64);
            out.push(c.values.len() as f64);
            for v in &c.values {
                match v {
                    Scalar::Str(s) => {
                        out.push(0.0);
                        push_str(out, s);
                    }
                    Scalar::Num(n) => out.extend([1.0, *n]),
                    Scalar::Bool(b) => out.extend([2.0, f64::from(u8::from(*b))]),
                    Scalar::User => out.push(3.0),
                }
            }
        }
    }
}

fn manifest_input(hash: &str, m: &ManifestData) -> Vec<f64> {
    let mut out = Vec::new();
    push_str(&mut out, hash);
    out.extend([m.v as f64, m.permissions.len() as f64]);
    m.permissions.iter().for_each(|p| push_str(&mut out, &p.id));
    out.push(m.sources.len() as f64);
    for s in &m.sources {
        out.push(match s.kind {
            SourceKind::Role => 0.0,
            SourceKind::Additional => 1.0,
            SourceKind::Restriction => 2.0,
        });
        push_str(&mut out, &s.id);
        push_rules(&mut out, &s.rules);
    }
    out
}

/// The slots' attributes and the intern table of the test's checker.
const ATTRS: [&str; 2] = ["manager", "status"];
const STRINGS: [&str; 2] = ["u7", "pending"];

fn claim_input(c: &SnapshotClaim, subject: &str, exp: f64) -> Vec<f64> {
    let mut out = vec![c.v as f64];
    push_str(&mut out, &c.manifest);
    push_str(&mut out, subject);
    let denial = c.denial.map_or(-1.0, |d| {
        Reason::ALL.iter().position(|r| *r == d).unwrap() as f64
    });
    out.extend([exp, f64::from(u8::from(c.owner)), denial]);
    out.push(c.labels.len() as f64);
    for l in &c.labels {
        out.extend([l.id as f64, f64::from(u8::from(l.closed))]);
        out.push(f64::from(u8::from(l.access.is_some())));
        if let Some((g, d)) = &l.access {
            for list in [g, d] {
                out.push(list.len() as f64);
                out.extend(list.iter().map(|&i| f64::from(i)));
            }
        }
    }
    out.push(c.direct.len() as f64);
    c.direct.iter().for_each(|r| push_rules(&mut out, r));
    for list in [&ATTRS, &STRINGS] {
        out.push(list.len() as f64);
        list.iter().for_each(|s| push_str(&mut out, s));
    }
    out
}

/// The module's exchange buffer, as JS sees it (at least `len` numbers).
fn io(len: usize) -> Float64Array {
    let memory: WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
    let at = wasm::io(len as u32);
    Float64Array::new_with_byte_offset_and_length(&memory.buffer(), at, len as u32)
}

/// Writes `data` into the buffer; its length, for the call that reads it.
fn send(data: &[f64]) -> u32 {
    if !data.is_empty() {
        io(data.len()).copy_from(data);
    }
    data.len() as u32
}

// ---------------------------------------------------------------- a manifest and a claim

const HASH: &str = "AAAAAAAAAAAAAAAAAAAAAA";
const NOW: f64 = 1_795_435_200_000.0;
const EXP: f64 = NOW + 900_000.0;

fn set(perms: &[usize]) -> PermSet {
    let mut s = PermSet::default();
    perms.iter().for_each(|&p| s.insert(p));
    s
}

fn cond(attr: &str, op: Op, values: Vec<Scalar>) -> Cond {
    Cond {
        attr: attr.into(),
        op,
        values,
    }
}

fn source(id: &str, kind: SourceKind, always: &[usize], when: Vec<CondRule>) -> SourceEntry {
    SourceEntry {
        id: id.into(),
        kind,
        title: String::new(),
        rules: RuleSet {
            always: set(always),
            when,
        },
    }
}

/// Three permissions: role `support` grants 0 and 1, role `mine` grants 2
/// when `manager` is the subject, restriction `no_bonus` denies 1, and
/// restriction `not_pending` denies 2 when `status` is `pending`.
fn manifest_data() -> ManifestData {
    let mine = CondRule {
        perm: 2,
        when: vec![cond("manager", Op::Eq, vec![Scalar::User])],
    };
    let pending = CondRule {
        perm: 2,
        when: vec![cond(
            "status",
            Op::In,
            vec![Scalar::Str("pending".into()), Scalar::Num(3.0)],
        )],
    };
    ManifestData {
        v: 2,
        catalog: String::new(),
        title: String::new(),
        permissions: ["player.view", "player.give_bonus", "affiliate.view"]
            .iter()
            .map(|id| PermissionEntry {
                id: id.to_string(),
                title: String::new(),
            })
            .collect(),
        sources: vec![
            source("support", SourceKind::Role, &[0, 1], vec![]),
            source("mine", SourceKind::Role, &[], vec![mine]),
            source("no_bonus", SourceKind::Restriction, &[1], vec![]),
            source("not_pending", SourceKind::Restriction, &[], vec![pending]),
        ],
    }
}

fn entry(id: u64, grants: &[u32], denies: &[u32]) -> LabelEntry {
    LabelEntry {
        id,
        closed: false,
        access: Some((grants.to_vec(), denies.to_vec())),
    }
}

/// u7: label 4444 with `mine` + `support` and restrictions `no_bonus` +
/// `not_pending`, label 4445 closed, label 4446 without access, label 4447
/// with the direct list (grants 0) only.
fn claim() -> SnapshotClaim {
    SnapshotClaim {
        v: 2,
        catalog: String::new(),
        manifest: HASH.into(),
        labels: vec![
            entry(4444, &[1, 0], &[2, 3]),
            LabelEntry {
                id: 4445,
                closed: true,
                access: None,
            },
            LabelEntry {
                id: 4446,
                closed: false,
                access: None,
            },
            entry(4447, &[4], &[]),
        ],
        direct: vec![RuleSet {
            always: set(&[0]),
            when: vec![],
        }],
        owner: false,
        denial: None,
    }
}

fn load_manifest() -> u32 {
    let h = wasm::manifest(send(&manifest_input(HASH, &manifest_data())));
    assert!(h >= 0, "manifest refused: {h}");
    h as u32
}

fn load_checker(m: u32, c: &SnapshotClaim) -> i32 {
    wasm::checker(m, send(&claim_input(c, "u7", EXP)))
}

fn checker() -> u32 {
    let h = load_checker(load_manifest(), &claim());
    assert!(h >= 0, "claim refused: {h}");
    h as u32
}

/// The code a refusal names.
fn code(refusal: i32) -> &'static str {
    VerifyError::CODES[(-1 - refusal) as usize]
}

fn reason(packed: u32) -> &'static str {
    Reason::ALL[(packed & 0x7f) as usize].code()
}

/// Writes `[tag, value]` per attribute of `ATTRS` into the slots, as the JS wrapper does.
fn write_slots(slots: &[(u32, f64)]) {
    let view = io(2 * slots.len());
    for (i, (t, value)) in slots.iter().enumerate() {
        view.set_index(2 * i as u32, f64::from(*t));
        view.set_index(2 * i as u32 + 1, *value);
    }
}

// ---------------------------------------------------------------- checks

#[wasm_bindgen_test]
fn the_flattened_snapshot_answers_every_check_as_the_cores_own_snapshot() {
    let h = checker();
    let manifest = Arc::new(Manifest::new(manifest_data(), HASH.into()).unwrap());
    let core = Snapshot::new(manifest, claim(), "u7".into(), EXP as i64).unwrap();
    let resources: [Option<[(u32, f64); 2]>; 5] = [
        None,
        Some([(tag::STR, 0.0), (tag::OTHER_STR, 0.0)]),
        Some([(tag::OTHER_STR, 0.0), (tag::STR, 1.0)]),
        Some([(tag::ABSENT, 0.0), (tag::NUM, 3.0)]),
        Some([(tag::STR, 0.0), (tag::BOOL, 1.0)]),
    ];
    let mut compared = 0;
    for resource in resources {
        for label in [4444, 4445, 4446, 4447, 9999] {
            for p in 0..4 {
                for now in [NOW, EXP] {
                    if let Some(slots) = resource {
                        write_slots(&slots);
                    }
                    let packed = wasm::check(h, p, label as f64, now, resource.is_some()) & !0x80;
                    let view = resource.map(|slots| test_resource(&slots));
                    let want = core.check_index(p as usize, label, view.as_ref(), now as i64);
                    assert_eq!(reason(packed), want.reason.code(), "{p} in {label}");
                    let by = core.by_source(&want).map_or(0, |i| i as u32 + 1);
                    assert_eq!(packed >> 8, by, "{p} in {label}: by");
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 5 * 5 * 4 * 2);
}

/// The resource the slots say, as the core reads a resource.
fn test_resource(slots: &[(u32, f64); 2]) -> permsnap::Resource {
    let mut r = permsnap::Resource::new();
    for (attr, (t, v)) in ATTRS.iter().zip(slots) {
        let value = match *t {
            tag::NUM => permsnap::Value::Num(*v),
            tag::BOOL => permsnap::Value::Bool(*v != 0.0),
            tag::STR => permsnap::Value::Str(STRINGS[*v as usize].into()),
            tag::OTHER_STR => permsnap::Value::Str("a string no condition names".into()),
            _ => continue,
        };
        r.insert(attr.to_string(), value);
    }
    r
}

#[wasm_bindgen_test]
fn a_check_without_a_resource_flags_the_answers_a_resource_could_change() {
    let h = checker();
    let check = |p: u32, label: f64, now: f64| wasm::check(h, p, label, now, false);
    assert_eq!(
        [
            check(0, 4444.0, NOW),
            check(1, 4444.0, NOW),
            check(2, 4444.0, NOW)
        ]
        .map(reason),
        ["granted", "restricted", "restricted"],
        "no resource: the conditional deny of 2 applies"
    );
    assert_eq!(
        [0, 1, 2].map(|p| check(p, 4444.0, NOW) & 0x80),
        [0, 0, 0x80],
        "only permission 2 has conditions"
    );
    assert_eq!(
        check(2, 4447.0, NOW) & 0x80,
        0,
        "not in a label whose sources have none"
    );
    assert_eq!(
        check(2, 4445.0, NOW) & 0x80,
        0,
        "nor when the label decided"
    );
    assert_eq!(reason(check(0, 4445.0, NOW)), "label_closed");
    assert_eq!(reason(check(0, 4446.0, NOW)), "no_label_access");
    assert_eq!(reason(check(0, 9999.0, NOW)), "no_label_access");
    assert_eq!(reason(check(0, 4444.0, EXP)), "expired");
}

#[wasm_bindgen_test]
fn a_scoped_check_reads_the_resource_from_typed_slots_with_interned_strings() {
    let h = checker();
    let check = |slots: [(u32, f64); 2]| {
        write_slots(&slots);
        wasm::check(h, 2, 4444.0, NOW, true)
    };
    let packed = check([(tag::STR, 0.0), (tag::OTHER_STR, 0.0)]);
    assert_eq!(
        (reason(packed), packed >> 8),
        ("granted", 2),
        "manager is the subject: granted by source 1, `mine`"
    );
    assert_eq!(
        reason(check([(tag::STR, 0.0), (tag::STR, 1.0)])),
        "restricted"
    );
    assert_eq!(
        reason(check([(tag::STR, 0.0), (tag::NUM, 3.0)])),
        "restricted",
        "in: a number of the list"
    );
    assert_eq!(
        reason(check([(tag::STR, 0.0), (tag::ABSENT, 0.0)])),
        "restricted",
        "status absent: the deny cannot be evaluated"
    );
    assert_eq!(
        reason(check([(tag::OTHER_STR, 0.0), (tag::NUM, 7.0)])),
        "condition_failed",
        "manager is another string"
    );
    assert_eq!(
        wasm::check(h, 0, 4447.0, NOW, false) >> 8,
        5,
        "granted by the direct list: past the 4 manifest sources"
    );
}

// ---------------------------------------------------------------- refusals

#[wasm_bindgen_test]
fn a_claim_for_another_manifest_or_version_is_refused_with_the_cores_code() {
    let m = load_manifest();
    let mut other = claim();
    other.manifest = "BBBBBBBBBBBBBBBBBBBBBB".into();
    assert_eq!(code(load_checker(m, &other)), "manifest_mismatch");
    let mut v3 = claim();
    v3.v = 3;
    assert_eq!(code(load_checker(m, &v3)), "unsupported_version");
    let mut data = manifest_data();
    data.v = 1;
    let refused = wasm::manifest(send(&manifest_input(HASH, &data)));
    assert_eq!(code(refused), "unsupported_version");
}

/// The detail of the last `malformed` refusal, as JS reads it.
fn detail() -> String {
    io(256);
    let n = wasm::detail() as usize;
    let bytes: Vec<u8> = io(n).to_vec().into_iter().map(|b| b as u8).collect();
    String::from_utf8(bytes).unwrap()
}

#[wasm_bindgen_test]
fn a_claim_or_manifest_the_issuer_would_not_write_is_malformed_with_the_cores_detail() {
    let m = load_manifest();
    let mut unordered = claim();
    unordered.labels.swap(0, 1);
    assert_eq!(code(load_checker(m, &unordered)), "malformed");
    assert_eq!(
        detail(),
        "the snapshot's labels are not in ascending order, once each"
    );
    let mut dangling = claim();
    dangling.labels[0] = entry(4444, &[9], &[]);
    assert_eq!(code(load_checker(m, &dangling)), "malformed");
    assert_eq!(detail(), "a label names a source that is not there");
    let mut granting = claim();
    granting.denial = Some(Reason::Granted);
    assert_eq!(code(load_checker(m, &granting)), "malformed");
    let mut data = manifest_data();
    data.sources.swap(0, 2);
    assert_eq!(
        code(wasm::manifest(send(&manifest_input(HASH, &data)))),
        "malformed"
    );
    assert_eq!(
        detail(),
        "the manifest's sources are not roles, then additional roles, then restriction roles"
    );
}

#[wasm_bindgen_test]
fn flattened_input_cut_short_or_overlong_anywhere_is_malformed_never_a_trap() {
    let m = load_manifest();
    let whole = claim_input(&claim(), "u7", EXP);
    for len in 0..whole.len() {
        let refused = wasm::checker(m, send(&whole[..len]));
        assert_eq!(code(refused), "malformed", "cut at {len}");
    }
    let mut overlong = whole.clone();
    overlong.push(0.0);
    assert_eq!(code(wasm::checker(m, send(&overlong))), "malformed");
    let mut not_whole = whole;
    not_whole[0] = 2.5;
    assert_eq!(code(wasm::checker(m, send(&not_whole))), "malformed");
    let manifest = manifest_input(HASH, &manifest_data());
    for len in 0..manifest.len() {
        let refused = wasm::manifest(send(&manifest[..len]));
        assert_eq!(code(refused), "malformed", "manifest cut at {len}");
    }
    assert_eq!(
        code(wasm::checker(9999, send(&[]))),
        "malformed",
        "no such manifest"
    );
}

#[wasm_bindgen_test]
fn a_released_checker_answers_nothing_and_its_handle_is_used_again() {
    let m = load_manifest();
    let h = load_checker(m, &claim());
    wasm::release(h as u32);
    assert_eq!(wasm::check(h as u32, 0, 4444.0, NOW, false), NO_ANSWER);
    assert_eq!(
        load_checker(m, &claim()),
        h,
        "the free handle is taken again"
    );
}

// ---------------------------------------------------------------- strict signatures

fn prechecks(key: &[u8; 32], sig: &[u8]) -> bool {
    let view = io(96);
    for (i, b) in key.iter().chain(sig).enumerate() {
        view.set_index(i as u32, f64::from(*b));
    }
    wasm::strict_prechecks()
}

#[wasm_bindgen_test]
fn the_strict_prechecks_refuse_a_non_canonical_s_and_a_small_order_r_or_key() {
    let key = [0x11u8; 32];
    let mut sig = [0u8; 64];
    sig[0] = 0x58; // R: some point encoding that is not of small order
    sig[32] = 1;
    assert!(prechecks(&key, &sig));
    let mut big_s = sig;
    big_s[63] = 0x10; // S >= L
    big_s[32..63].fill(0xff);
    assert!(!prechecks(&key, &big_s));
    let mut small_r = sig;
    small_r[..32].fill(0);
    small_r[0] = 1; // R = the identity
    assert!(!prechecks(&key, &small_r));
    assert!(!prechecks(&[0; 32], &sig), "the key 0 is of small order");
    io(32).fill(0.0, 0, 32);
    assert!(wasm::small_order(), "the identity is of small order");
    io(32).fill(17.0, 0, 32);
    assert!(!wasm::small_order());
}

// ---------------------------------------------------------------- the JS holds the Rust lists and sentences

fn strings(a: Array) -> Vec<String> {
    a.iter().map(|v| v.as_string().unwrap()).collect()
}

#[wasm_bindgen_test]
fn the_js_code_lists_are_the_rust_lists_in_order_then_the_js_ones() {
    let reasons = strings(js_reason_codes());
    let rust: Vec<&str> = Reason::ALL.iter().map(|r| r.code()).collect();
    assert_eq!(reasons[..rust.len()], rust[..]);
    assert_eq!(
        reasons[rust.len()..],
        ["unverified", "bad_resource", "snapshot_expired", "pending"]
    );
    let errors = strings(js_error_codes());
    let rust: Vec<&str> = VerifyError::CODES
        .iter()
        .chain(KeyError::CODES)
        .copied()
        .collect();
    assert_eq!(errors[..rust.len()], rust[..]);
    assert_eq!(errors.len(), rust.len() + 5);
}

#[wasm_bindgen_test]
fn the_js_reason_sentences_are_reason_message_for_every_reason_with_and_without_a_title() {
    for (i, r) in Reason::ALL.iter().enumerate() {
        for title in [None, Some(""), Some("Don't allow to give bonus")] {
            let js = js_reason_message(i as u32, title.map(str::to_string));
            assert_eq!(js, r.message(title), "{} with {title:?}", r.code());
        }
    }
}

fn fields(pairs: &[(&str, JsValue)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v).unwrap();
    }
    o
}

#[wasm_bindgen_test]
fn the_js_error_sentences_are_the_display_of_every_verify_error() {
    let s = |v: &str| JsValue::from_str(v);
    let n = |v: f64| JsValue::from_f64(v);
    let cases: Vec<(VerifyError, Object)> = vec![
        (
            VerifyError::malformed("the header is not JSON"),
            fields(&[("detail", s("the header is not JSON"))]),
        ),
        (
            VerifyError::TooLarge {
                len: 70_000,
                max: 65_536,
            },
            fields(&[("len", n(70_000.0)), ("max", n(65_536.0))]),
        ),
        (
            VerifyError::BadSignature { kid: "k1".into() },
            fields(&[("kid", s("k1"))]),
        ),
        (VerifyError::UnknownKey { kid: None }, fields(&[])),
        (
            VerifyError::UnknownKey {
                kid: Some("k9".into()),
            },
            fields(&[("kid", s("k9"))]),
        ),
        (VerifyError::AlgNotAllowed { alg: None }, fields(&[])),
        (
            VerifyError::AlgNotAllowed {
                alg: Some("HS256".into()),
            },
            fields(&[("alg", s("HS256"))]),
        ),
        (VerifyError::TypMismatch { typ: None }, fields(&[])),
        (
            VerifyError::TypMismatch {
                typ: Some("JWT".into()),
            },
            fields(&[("typ", s("JWT"))]),
        ),
        (VerifyError::CritUnsupported, fields(&[])),
        (
            VerifyError::KeyInHeader { param: "x5t#S256" },
            fields(&[("param", s("x5t#S256"))]),
        ),
        (
            VerifyError::Expired { exp: 1_795_436_100 },
            fields(&[("exp", n(1_795_436_100.0))]),
        ),
        (
            VerifyError::NotYetValid {
                claim: "nbf",
                at: 1_795_436_100,
            },
            fields(&[("claim", s("nbf")), ("at", n(1_795_436_100.0))]),
        ),
        (
            VerifyError::WrongAudience {
                expected: "backoffice".into(),
            },
            fields(&[("expected", s("backoffice"))]),
        ),
        (
            VerifyError::WrongIssuer {
                expected: "a".into(),
                found: None,
            },
            fields(&[("expected", s("a"))]),
        ),
        (
            VerifyError::WrongIssuer {
                expected: "a".into(),
                found: Some("b".into()),
            },
            fields(&[("expected", s("a")), ("found", s("b"))]),
        ),
        (
            VerifyError::UnsupportedVersion { version: 3 },
            fields(&[("version", n(3.0))]),
        ),
        (
            VerifyError::ManifestMismatch {
                expected: "e".into(),
                found: "f".into(),
            },
            fields(&[("expected", s("e")), ("found", s("f"))]),
        ),
        (
            VerifyError::WrongTenant {
                expected: "a".into(),
                found: None,
            },
            fields(&[("expected", s("a"))]),
        ),
        (
            VerifyError::WrongTenant {
                expected: "a".into(),
                found: Some("b".into()),
            },
            fields(&[("expected", s("a")), ("found", s("b"))]),
        ),
    ];
    let mut seen: Vec<&str> = Vec::new();
    for (e, f) in &cases {
        assert_eq!(
            js_verify_message(e.code(), f),
            e.to_string(),
            "{}",
            e.code()
        );
        seen.push(e.code());
    }
    seen.dedup();
    assert_eq!(seen, VerifyError::CODES, "every code, in order");
}

#[wasm_bindgen_test]
fn the_js_error_sentences_are_the_display_of_every_key_set_refusal() {
    let s = |v: &str| JsValue::from_str(v);
    let n = |v: f64| JsValue::from_f64(v);
    let in_jwks = |error: KeyError| KeyError::InJwks {
        index: 2,
        error: Box::new(error),
    };
    let cases: Vec<(KeyError, &str, Object)> = vec![
        (
            KeyError::NotAJwks {
                detail: "no `keys` list".into(),
            },
            "NotAJwks",
            fields(&[("detail", s("no `keys` list"))]),
        ),
        (KeyError::NoEd25519Key, "NoEd25519Key", fields(&[])),
        (
            KeyError::PrivateKeyInJwks { index: 1 },
            "PrivateKeyInJwks",
            fields(&[("index", n(1.0))]),
        ),
        (
            KeyError::DuplicateKid { kid: "k1".into() },
            "DuplicateKid",
            fields(&[("kid", s("k1"))]),
        ),
        (
            in_jwks(KeyError::AlgNotEdDsa {
                alg: "RS256".into(),
            }),
            "InJwks",
            fields(&[
                ("index", n(2.0)),
                ("kind", s("AlgNotEdDsa")),
                ("alg", s("RS256")),
            ]),
        ),
        (
            in_jwks(KeyError::UseNotSig {
                key_use: "enc".into(),
            }),
            "InJwks",
            fields(&[
                ("index", n(2.0)),
                ("kind", s("UseNotSig")),
                ("use", s("enc")),
            ]),
        ),
        (
            in_jwks(KeyError::NoKid),
            "InJwks",
            fields(&[("index", n(2.0)), ("kind", s("NoKid"))]),
        ),
        (
            in_jwks(KeyError::BadBytes {
                kid: "k1".into(),
                field: "x",
            }),
            "InJwks",
            fields(&[("index", n(2.0)), ("kind", s("BadBytes")), ("kid", s("k1"))]),
        ),
        (
            in_jwks(KeyError::WeakKey { kid: "k1".into() }),
            "InJwks",
            fields(&[("index", n(2.0)), ("kind", s("WeakKey")), ("kid", s("k1"))]),
        ),
    ];
    for (e, kind, f) in &cases {
        assert_eq!(js_key_message(kind, f), e.to_string(), "{kind}");
        assert_eq!(e.code(), "bad_jwks");
    }
}
