//! The CLI as ops and tests use it: JSON answers, coded errors, exit codes,
//! and `conformance`'s report format.
#![cfg(feature = "cli")]

use serde_json::Value as Json;
use std::path::PathBuf;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_permsnap"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap()
}

fn json(out: &Output) -> Json {
    serde_json::from_str(String::from_utf8_lossy(&out.stdout).trim())
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("permsnap-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const CRM: &str = "src/server/demo/crm-directory.json";

/// `permsnap issue` of Sue's smartico-crm snapshot with the key in `key`, then `extra`.
fn issue_sue(key: &std::path::Path, extra: &[&str]) -> Output {
    let key = key.to_str().unwrap();
    let base = [
        "issue",
        "--catalog",
        "smartico-crm",
        "--directory",
        CRM,
        "--user",
        "sue",
        "--key",
        key,
    ];
    run(&[&base[..], extra].concat())
}

#[test]
fn check_answers_json_with_reason_by_and_message() {
    let out = run(&[
        "check",
        "--catalog",
        "smartico-crm",
        "--directory",
        CRM,
        "--user",
        "rita",
        "--label",
        "4444",
        "--action",
        "player.give_bonus",
        "--now",
        "2026-11-23T12:00:00Z",
    ]);
    assert!(out.status.success());
    let j = json(&out);
    assert_eq!(j.get("allowed"), Some(&Json::Bool(false)));
    assert_eq!(j.get("reason").and_then(Json::as_str), Some("restricted"));
    assert_eq!(j.get("by").and_then(Json::as_str), Some("no_give_bonus"));
    assert!(j
        .get("message")
        .and_then(Json::as_str)
        .unwrap()
        .contains("Don't allow to give bonus"));
}

#[test]
fn a_bad_catalog_is_refused_with_code_file_and_path_and_exit_2() {
    let bad = tmp(
        "bad.json",
        r#"{"id":"c","title":"C","admin_permission":"a.b","sections":[{"id":"a","title":"A"}],
        "permissions":[{"id":"a.b","title":"B","section":"a"}],"roles":[{"id":"r","title":"R","grants":["a.nope"]}]}"#,
    );
    let out = run(&["lint", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = json(&out).get("error").cloned().unwrap();
    assert_eq!(
        err.get("code").and_then(Json::as_str),
        Some("unknown_permission")
    );
    let msg = err.get("message").and_then(Json::as_str).unwrap();
    assert!(
        msg.contains("bad.json") && msg.contains("roles[0].grants[0]") && msg.contains("`a.nope`"),
        "{msg}"
    );
}

#[test]
fn admin_and_sso_answer_with_their_reasons() {
    let out = run(&[
        "admin",
        "--catalog",
        "smartico-crm",
        "--directory",
        CRM,
        "--actor",
        "sue",
        "--op",
        r#"{"op":"disable","target":"sue"}"#,
        "--now",
        "2026-11-23T12:00:00Z",
    ]);
    assert_eq!(
        json(&out).get("reason").and_then(Json::as_str),
        Some("self_disable")
    );
    let out = run(&[
        "sso",
        "--catalog",
        "smartico-crm",
        "--directory",
        CRM,
        "--config",
        r#"{"providers":["google"],"domains":["mycompany.com"],"allow_creation":false}"#,
        "--login",
        r#"{"provider":"google","iss":"https://accounts.google.com","sub":"1","email":"ann@gmail.com","email_verified":true}"#,
    ]);
    let j = json(&out);
    assert_eq!(j.get("outcome").and_then(Json::as_str), Some("rejected"));
    assert_eq!(
        j.get("reason").and_then(Json::as_str),
        Some("public_domain")
    );
}

#[test]
fn keygen_issue_verify_round_trip_and_expiry_is_a_coded_error() {
    let keys = json(&run(&["keygen", "--kid", "k1"]));
    let key = tmp("bare-key.json", &keys.get("private").unwrap().to_string());
    let jwks = tmp("jwks.json", &keys.get("jwks").unwrap().to_string());
    let issued = json(&issue_sue(
        &key,
        &["--now", "2026-11-23T12:00:00Z", "--ttl", "60"],
    ));
    let token = issued
        .get("token")
        .and_then(Json::as_str)
        .unwrap()
        .to_string();
    let ok = json(&run(&[
        "verify",
        "--token",
        &token,
        "--jwks",
        jwks.to_str().unwrap(),
        "--now",
        "2026-11-23T12:00:30Z",
    ]));
    assert_eq!(
        ok.get("claims")
            .and_then(|c| c.get("sub"))
            .and_then(Json::as_str),
        Some("sue")
    );
    let late = run(&[
        "verify",
        "--token",
        &token,
        "--jwks",
        jwks.to_str().unwrap(),
        "--now",
        "2026-11-23T12:01:00Z",
    ]);
    assert_eq!(late.status.code(), Some(2));
    assert_eq!(
        json(&late)
            .get("error")
            .and_then(|e| e.get("code"))
            .and_then(Json::as_str),
        Some("expired")
    );
}

#[test]
fn conformance_reports_each_failure_and_ends_with_the_count_line() {
    let wrong = tmp(
        "wrong.json",
        r#"{"description":"wrong on purpose","catalog":"smartico-crm",
      "directory":{"labels":[{"id":1,"name":"L","suffix":"l"}],
        "users":[{"id":"u1","username":"a@l","email":"a@x.com","home_label":1,"access":{"1":{"roles":["crm_support"]}}}]},
      "now":"2026-11-23T12:00:00Z",
      "checks":[{"user":"u1","label":1,"action":"player.give_bonus","expect":"deny","reason":"not_granted"},
                {"user":"u1","label":1,"action":"player.give_bonus","expect":"allow","reason":"granted","by":"crm_support"}]}"#,
    );
    let out = run(&["conformance", wrong.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("checks[0]: expected deny not_granted, got allow granted by crm_support"),
        "{text}"
    );
    assert_eq!(text.lines().last(), Some("1 passed, 1 failed"));
    let all = run(&["conformance", "tests/vectors"]);
    assert!(all.status.success());
    let last = String::from_utf8_lossy(&all.stdout)
        .lines()
        .last()
        .unwrap()
        .to_string();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
}

#[test]
fn codegen_writes_a_typescript_union_of_the_catalog_permissions() {
    let out = run(&["codegen", "--ts", "smartico-crm"]);
    let ts = String::from_utf8_lossy(&out.stdout);
    assert!(ts.contains("export type SmarticoCrmPermission ="));
    assert!(ts.contains("| \"player.give_bonus\""));
    let n = permsnap::native::presets::preset("smartico-crm")
        .unwrap()
        .permissions
        .len();
    assert_eq!(ts.matches("\n  | ").count(), n);
}

#[test]
fn codegen_jsx_adds_reacts_data_permission_typed_with_the_union_after_the_same_types() {
    let plain = run(&["codegen", "--ts", "smartico-crm"]);
    let out = run(&["codegen", "--ts", "smartico-crm", "--jsx"]);
    assert_eq!(out.status.code(), Some(0));
    let (plain, ts) = (
        String::from_utf8_lossy(&plain.stdout),
        String::from_utf8_lossy(&out.stdout),
    );
    assert!(!plain.contains("declare module"));
    let jsx = ts.strip_prefix(plain.as_ref()).unwrap();
    assert!(jsx.contains("declare module \"react\" {\n  interface HTMLAttributes<T> {\n    \"data-permission\"?: SmarticoCrmPermission;\n  }\n}\n"), "{jsx}");
}

const COMMANDS: &[&str] = &[
    "check",
    "admin",
    "sso",
    "lint",
    "conformance",
    "differential",
    "keygen",
    "issue",
    "verify",
    "manifest",
    "codegen",
    "samples",
];

#[test]
fn help_exits_0_for_the_tool_and_every_command_and_shows_examples() {
    let top = run(&["--help"]);
    assert_eq!(top.status.code(), Some(0));
    let text = String::from_utf8_lossy(&top.stdout);
    for c in COMMANDS {
        assert!(text.contains(c), "`permsnap --help` does not list `{c}`");
    }
    for c in COMMANDS {
        let out = run(&[c, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{c} --help: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: permsnap"), "{c}: {text}");
        if *c != "samples" {
            assert!(
                text.contains("Example"),
                "`{c} --help` has no example: {text}"
            );
        }
    }
    for c in ["vectors", "differential"] {
        let out = run(&["samples", c, "--help"]);
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).contains("Example"));
    }
    // `keygen --help` once answered "usage: --help needs a value"
    let kg = run(&["keygen", "--help"]);
    assert!(String::from_utf8_lossy(&kg.stdout).contains("--kid"));
}

#[cfg(feature = "server")]
#[test]
fn help_exits_0_with_examples_for_every_server_command() {
    let commands: [&[&str]; 7] = [
        &["server"],
        &["import"],
        &["export"],
        &["apikey", "create"],
        &["apikey", "list"],
        &["apikey", "revoke"],
        &["keys", "rotate"],
    ];
    for c in commands {
        let out = run(&[c, &["--help"]].concat());
        assert_eq!(out.status.code(), Some(0), "{c:?} --help: {out:?}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("Example"),
            "`{c:?} --help` has no example: {text}"
        );
    }
}

#[test]
fn an_unknown_option_is_a_usage_error_not_ignored() {
    // `verify --isuer other` (a typo) once verified a token for another issuer.
    let out = run(&[
        "verify",
        "--token",
        "x.y.z",
        "--jwks",
        "jwks.json",
        "--isuer",
        "other",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let j = json(&out);
    assert_eq!(j["error"]["code"], "usage");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--isuer"));
    let missing = run(&["check", "--catalog", "smartico-crm"]);
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(json(&missing)["error"]["code"], "usage");
}

#[test]
fn keygen_output_issue_output_and_bare_tokens_chain_without_reshaping() {
    let keygen = run(&["keygen", "--kid", "chain"]);
    let key_file = tmp(
        "keygen-output.json",
        &String::from_utf8_lossy(&keygen.stdout),
    );
    let keys = json(&keygen);
    let jwks = tmp("chain-jwks.json", &keys["jwks"].to_string());
    let issued = issue_sue(&key_file, &["--now", "2026-11-23T12:00:00Z"]);
    assert!(issued.status.success(), "{issued:?}");
    let issue_output = tmp(
        "issue-output.json",
        &String::from_utf8_lossy(&issued.stdout),
    );
    let token = json(&issued)["token"].as_str().unwrap().to_string();
    let token_file = tmp("token.txt", &format!("\n  {token}\n\n"));
    for given in [
        issue_output.to_str().unwrap().to_string(),
        token_file.to_str().unwrap().to_string(),
        token.clone(),
        format!("  {token}\n"),
        String::from_utf8_lossy(&issued.stdout).to_string(),
    ] {
        let out = run(&[
            "verify",
            "--token",
            &given,
            "--jwks",
            jwks.to_str().unwrap(),
            "--now",
            "2026-11-23T12:00:30Z",
            "--catalog",
            "smartico-crm",
        ]);
        assert!(
            out.status.success(),
            "{given}: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        assert_eq!(json(&out)["claims"]["sub"], "sue");
    }
}

#[test]
fn issue_writes_eddsa_by_default_and_ed25519_on_request_and_whole_second_dates() {
    let keys = json(&run(&["keygen", "--kid", "alg"]));
    let key = tmp("alg-key.json", &keys.to_string());
    let header = |alg: Option<&str>| {
        let mut args = vec!["--now", "2026-11-23T12:00:00.750Z"];
        if let Some(a) = alg {
            args.extend(["--alg", a]);
        }
        let token = json(&issue_sue(&key, &args))["token"]
            .as_str()
            .unwrap()
            .to_string();
        let part = |i: usize| -> Json {
            serde_json::from_slice(
                &permsnap::native::jws::b64::decode(token.split('.').nth(i).unwrap()).unwrap(),
            )
            .unwrap()
        };
        (part(0), part(1))
    };
    let (h, claims) = header(None);
    assert_eq!(h["alg"], "EdDSA");
    assert!(claims["iat"].is_i64() && claims["exp"].is_i64(), "{claims}");
    assert_eq!(claims["iat"], 1_795_435_200);
    assert_eq!(header(Some("Ed25519")).0["alg"], "Ed25519");
    let bad = issue_sue(&key, &["--alg", "HS256"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn manifest_prints_the_exact_text_whose_hash_tokens_name() {
    let text = run(&["manifest", "smartico-crm"]);
    let hash = run(&["manifest", "smartico-crm", "--hash"]);
    let body = String::from_utf8_lossy(&text.stdout).trim_end().to_string();
    let hash = String::from_utf8_lossy(&hash.stdout).trim().to_string();
    assert_eq!(
        permsnap::native::issue::manifest_hash(body.as_bytes()),
        hash
    );
    let m: Json = serde_json::from_str(&body).unwrap();
    assert_eq!(m["catalog"], "smartico-crm");
    let keys = json(&run(&["keygen"]));
    let key = tmp("m-key.json", &keys.to_string());
    let issued = json(&issue_sue(&key, &[]));
    assert_eq!(issued["manifest"], hash.as_str());
}

#[test]
fn samples_of_the_vectors_hold_a_token_and_the_server_answers_per_user() {
    let out = std::env::temp_dir().join(format!("permsnap-samples-{}.json", std::process::id()));
    let r = run(&[
        "samples",
        "vectors",
        "tests/vectors/rules_roles_by.json",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success(), "{r:?}");
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let sessions = doc["sessions"].as_array().unwrap();
    assert!(!sessions.is_empty());
    let jwks = permsnap::Jwks::from_json_text(&doc["jwks"].to_string()).unwrap();
    for s in sessions {
        let now = s["now"].as_i64().unwrap();
        let v = permsnap::verify(
            s["token"].as_str().unwrap(),
            &jwks,
            &permsnap::VerifyOptions::new("backoffice", now),
        )
        .unwrap();
        let text = doc["manifests"][s["manifest"].as_str().unwrap()]
            .as_str()
            .unwrap();
        let m = permsnap::native::issue::ManifestFile::from_text(text).unwrap();
        let snap = v.snapshot(m.manifest()).unwrap();
        for c in s["checks"].as_array().unwrap() {
            let verdict = snap.check(
                c["action"].as_str().unwrap(),
                c["label"].as_u64().unwrap(),
                None,
                now,
            );
            assert_eq!(Json::from(verdict.reason.code()), c["reason"], "{c}");
        }
    }
}

#[test]
fn a_key_made_for_ed25519_publishes_that_alg_and_issues_tokens_that_say_it() {
    let keys = json(&run(&["keygen", "--kid", "k9", "--alg", "Ed25519"]));
    assert_eq!(keys["jwks"]["keys"][0]["alg"], "Ed25519");
    assert_eq!(keys["private"]["alg"], "Ed25519");
    let key = tmp("ed25519-key.json", &keys.to_string());
    let token = json(&issue_sue(&key, &[]))["token"]
        .as_str()
        .unwrap()
        .to_string();
    let header: Json = serde_json::from_slice(
        &permsnap::native::jws::b64::decode(token.split('.').next().unwrap()).unwrap(),
    )
    .unwrap();
    assert_eq!(header["alg"], "Ed25519");
}
