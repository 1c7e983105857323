//! The CLI as ops and tests use it: JSON answers, coded errors, exit codes,
//! and `conformance`'s report format.
#![cfg(all(feature = "cli", not(target_arch = "wasm32")))]

use permsnap::json::Json;
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
    Json::parse(String::from_utf8_lossy(&out.stdout).trim()).unwrap()
}

fn tmp(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("permsnap-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const CRM: &str = "src/demo/crm-directory.json";

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
    let key = tmp("key.json", &keys.get("private").unwrap().to_text());
    let jwks = tmp("jwks.json", &keys.get("jwks").unwrap().to_text());
    let issued = json(&run(&[
        "issue",
        "--catalog",
        "smartico-crm",
        "--directory",
        CRM,
        "--user",
        "sue",
        "--key",
        key.to_str().unwrap(),
        "--now",
        "2026-11-23T12:00:00Z",
        "--ttl",
        "60",
    ]));
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
    let n = permsnap::presets::preset("smartico-crm")
        .unwrap()
        .permissions
        .len();
    assert_eq!(ts.matches("\n  | ").count(), n);
}
