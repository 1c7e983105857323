//! The documentation runs: the README's curl examples against a server,
//! and the OpenAPI document describes exactly the routes that exist.

use crate::server::common::{request, Backend, Env, CRM};
use permsnap::server::http::{OPENAPI, ROUTES};
use serde_json::Value;

/// The JSON answers a script printed, one a line, and the `data` of the
/// Server-Sent Events it printed (their other lines skipped).
fn split_answers(stdout: &str) -> (Vec<Value>, Vec<Value>) {
    let parse = |l: &str| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
    let mut answers = Vec::new();
    let mut events = Vec::new();
    for l in stdout.lines().filter(|l| !l.trim().is_empty()) {
        if let Some(data) = l.strip_prefix("data: ") {
            events.push(parse(data));
        } else if !["event:", "id:", "retry:", ":"]
            .iter()
            .any(|p| l.starts_with(p))
        {
            answers.push(parse(l));
        }
    }
    (answers, events)
}

fn readme_block(marker: &str) -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let after = readme.split(marker).nth(1).expect("the README marker");
    let start = after.find("```sh\n").expect("a sh block after the marker") + 6;
    let end = after[start..].find("```").unwrap();
    after[start..start + end].to_string()
}

/// The README's server section, setup then curl, as written but for two
/// things: the binary is the one cargo built for this test (the block's
/// `cargo build` line is skipped) and the port is a free one, not 8080.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_server_examples_run_as_written() {
    let dir = crate::server::common::temp_dir();
    std::fs::create_dir_all(dir.join("src/server/demo")).unwrap();
    std::fs::write(dir.join("src/server/demo/crm-directory.json"), CRM).unwrap();
    let tap = include_str!("../../../src/server/demo/tap-directory.json");
    std::fs::write(dir.join("src/server/demo/tap-directory.json"), tap).unwrap();
    let setup: String = readme_block("<!-- server-setup -->")
        .lines()
        .filter(|l| !l.starts_with("cargo build"))
        .map(|l| format!("{l}\n"))
        .collect();
    let curl = readme_block("<!-- server-curl -->");
    let tenants = readme_block("<!-- server-tenants -->");
    let port = crate::server::common::free_port();
    let script = format!("trap 'kill $(jobs -p) 2>/dev/null' EXIT\n{setup}{curl}{tenants}")
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"));
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_permsnap"))
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cwd = dir.clone();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .current_dir(cwd)
            .env("PATH", path)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (answers, events) = split_answers(&stdout);
    let find = |pred: &dyn Fn(&Value) -> bool| answers.iter().any(pred);
    assert!(
        find(&|v| v["catalog"] == "smartico-crm" && v["users"] == 9),
        "import"
    );
    assert!(find(&|v| v["kid"].is_string()), "keys rotate");
    assert!(
        find(&|v| v["tenants"].as_array().is_some_and(|t| t.len() == 2)),
        "tenant list: default and affiliates"
    );
    assert!(
        find(&|v| v["reason"] == "granted" && v["by"] == "affiliate_manager"),
        "a check in the affiliates tenant"
    );
    assert!(
        find(&|v| v["error"]["code"] == "forbidden_tenant"),
        "the CRM key on the affiliates tenant"
    );
    assert!(
        find(&|v| v["error"]["code"] == "version_conflict"),
        "the second op with the same expect_version"
    );
    assert!(find(&|v| v["status"] == "ok"), "healthz");
    assert!(
        find(&|v| v["reason"] == "restricted" && v["by"] == "no_give_bonus"),
        "check"
    );
    assert!(find(&|v| v["token"].is_string()), "snapshot");
    assert!(
        find(&|v| v["keys"].as_array().is_some_and(|k| k.len() == 2)),
        "jwks after the rotation"
    );
    assert!(
        find(&|v| v["reason"] == "allowed" && v["audit_id"].is_number()),
        "admin allowed"
    );
    assert!(
        find(&|v| v["error"]["code"] == "not_admin_of_home_label"),
        "admin denied"
    );
    assert!(find(&|v| v["outcome"] == "created"), "sso");
    assert!(
        find(&|v| v["access"]["4445"]["roles"][0] == "crm_manager"),
        "user"
    );
    assert!(find(&|v| v["records"].is_array()), "audit");
    assert!(
        find(&|v| v["api_keys"].as_array().is_some_and(|k| k.len() == 1)),
        "apikey list"
    );
    assert!(
        find(&|v| v["revoked"]["scopes"][0] == "check"),
        "apikey revoke"
    );
    assert!(
        find(&|v| v["error"]["code"] == "unauthorized"),
        "a revoked key is refused"
    );
    assert!(
        find(&|v| v["error"]["code"] == "actor_token_required"),
        "a key that requires an actor token refuses a bare actor"
    );
    let allowed = answers.iter().filter(|v| v["reason"] == "allowed").count();
    assert_eq!(
        allowed, 3,
        "Ada's op by `actor`, by her actor token, and Tina's in the affiliates tenant"
    );
    let causes: Vec<&str> = events.iter().filter_map(|e| e["cause"].as_str()).collect();
    assert_eq!(
        causes,
        ["import", "keys_rotate", "edit_access"],
        "Max's events since the first: {events:?}"
    );
    assert!(events.iter().all(|e| e["user"] == "max"));
    let export: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("directory.json")).unwrap())
            .unwrap();
    assert_eq!(export["users"].as_array().unwrap().len(), 9);
    let log = std::fs::read_to_string(dir.join("server.log")).unwrap();
    assert!(
        log.lines().any(|l| l.contains("\"path\":\"/v1/admin\"")),
        "the server logs each request"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_describes_every_route_and_no_other() {
    let doc: Value = serde_json::from_str(OPENAPI).unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in ROUTES {
        let op = &paths
            .get(*path)
            .unwrap_or_else(|| panic!("{path} is not documented"))[method.to_lowercase()];
        assert!(op.is_object(), "{method} {path} is not documented");
        let ok = &op["responses"];
        assert!(
            ok["200"].is_object() || ok["201"].is_object(),
            "{method} {path}: 200"
        );
    }
    let documented: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(documented, ROUTES.len(), "no undocumented or stale route");
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    // Every documented route exists: none answers 404 `not_found` or 405.
    let m = request(env.addr(), "GET", "/v1/manifest", None, None).await;
    let hash = m.header("etag").unwrap().trim_matches('"').to_string();
    for (method, path) in ROUTES {
        let path = path.replace("{id}", "sue").replace("{hash}", &hash);
        let body = (*method == "POST").then_some(&b"{}"[..]);
        let r = request(env.addr(), method, &path, Some(&env.key), body).await;
        assert!(
            r.status != 404 && r.status != 405,
            "{method} {path}: {}",
            r.status
        );
    }
    let served = request(env.addr(), "GET", "/openapi.json", None, None).await;
    assert_eq!(served.body, OPENAPI.as_bytes());
    assert_eq!(served.header("content-type"), Some("application/json"));
}

/// The README's demo-mode curl examples against a demo server on the demo's
/// store (the CRM directory with the demo SSO config), on a free port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_demo_examples_run_as_written() {
    use permsnap::server::{self, store::CatalogRecord, DemoConfig};
    let db = crate::server::common::fresh_db(Backend::Sqlite).await;
    let sso = include_str!("../../../src/server/demo/crm-sso.json");
    let record = CatalogRecord::Preset("smartico-crm".into());
    server::import_text(&db, record, CRM, Some(sso))
        .await
        .unwrap();
    let dir = crate::server::common::temp_dir();
    let demo = Some(DemoConfig {
        www: dir.clone(),
        pkg: dir,
    });
    let config = crate::server::common::config(&db);
    let s = server::start(server::Config { demo, ..config })
        .await
        .unwrap();
    let script = readme_block("<!-- demo-curl -->").replace("127.0.0.1:8080", &s.addr.to_string());
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("bash")
            .args(["-euo", "pipefail", "-c", &script])
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    let (answers, _) = split_answers(&stdout);
    assert_eq!(answers.len(), 6, "{stdout}");
    assert_eq!(answers[0]["users"].as_array().unwrap().len(), 9);
    assert!(answers[1]["token"].is_string());
    assert_eq!(answers[2]["reason"], "allowed");
    assert_eq!(answers[3]["error"]["code"], "not_admin_of_home_label");
    assert_eq!(answers[4]["outcome"], "created");
    let records = answers[5]["records"].as_array().unwrap();
    let actions: Vec<&str> = records
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    assert_eq!(actions, ["import", "edit_access", "disable", "sso_create"]);
    s.stop().await.unwrap();
}
