//! Demo mode (`permsnap server --demo`): the page's files with their
//! content types and nothing outside its directories, the demo routes
//! answering as the README documents them, and none of it without `--demo`.

use crate::server::common::{config, fresh_db, request, temp_dir, Backend, Reply, CRM};
use crate::server::sse::{open_events, restrict};
use permsnap::server::{self, store::CatalogRecord, DemoConfig, Running};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::Duration;

const SSO: &str = include_str!("../../../src/server/demo/crm-sso.json");
const WASM: &[u8] = b"\0asm\x01\0\0\0";

/// A demo server on the CRM directory with the demo's SSO config, and a page.
async fn demo_server() -> Running {
    let dir = temp_dir();
    let (www, pkg) = (dir.join("www"), dir.join("pkg"));
    std::fs::create_dir_all(www.join("img")).unwrap();
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(www.join("index.html"), "<!doctype html><title>demo</title>").unwrap();
    std::fs::write(www.join("app.js"), "export {};").unwrap();
    std::fs::write(www.join("style.css"), "body{}").unwrap();
    std::fs::write(www.join("img/logo.svg"), "<svg/>").unwrap();
    std::fs::write(www.join(".secret"), "no").unwrap();
    std::fs::write(pkg.join("index.js"), "export {};").unwrap();
    std::fs::write(pkg.join("permsnap_wasm_bg.wasm"), WASM).unwrap();
    std::fs::write(dir.join("outside.txt"), "no").unwrap();
    let db = fresh_db(Backend::Sqlite).await;
    let record = CatalogRecord::Preset("smartico-crm".into());
    server::import_text(&db, record, CRM, Some(SSO))
        .await
        .unwrap();
    let demo = Some(DemoConfig { www, pkg });
    server::start(server::Config {
        demo,
        ..config(&db)
    })
    .await
    .unwrap()
}

async fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, None, None).await
}

async fn post(addr: SocketAddr, path: &str, body: &Value) -> Reply {
    request(addr, "POST", path, None, Some(body.to_string().as_bytes())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_serves_its_page_and_the_package_with_their_content_types_and_nothing_else() {
    let s = demo_server().await;
    let types = [
        ("/", "text/html; charset=utf-8"),
        ("/app.js", "text/javascript; charset=utf-8"),
        ("/style.css", "text/css; charset=utf-8"),
        ("/img/logo.svg", "image/svg+xml"),
        ("/pkg/index.js", "text/javascript; charset=utf-8"),
        ("/pkg/permsnap_wasm_bg.wasm", "application/wasm"),
    ];
    for (path, ctype) in types {
        let r = get(s.addr, path).await;
        assert_eq!(
            (r.status, r.header("content-type")),
            (200, Some(ctype)),
            "{path}"
        );
        assert_eq!(r.header("cache-control"), Some("no-store"));
    }
    assert_eq!(get(s.addr, "/pkg/permsnap_wasm_bg.wasm").await.body, WASM);
    assert_eq!(
        get(s.addr, "/").await.body,
        b"<!doctype html><title>demo</title>"
    );
    for path in [
        "/missing.js",
        "/.secret",
        "/../outside.txt",
        "/img/../../outside.txt",
        "/pkg/../www/index.html",
        "/%2e%2e/outside.txt",
        "/img",
        "/img/",
    ] {
        let r = get(s.addr, path).await;
        assert_eq!((r.status, r.code().as_str()), (404, "not_found"), "{path}");
    }
    let r = post(s.addr, "/app.js", &json!({})).await;
    assert_eq!(r.status, 404);
    // The API is still there, behind its keys.
    assert_eq!(get(s.addr, "/v1/audit").await.status, 401);
    s.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_routes_answer_as_documented() {
    let s = demo_server().await;
    let users = get(s.addr, "/demo/users").await.json();
    assert_eq!(users["labels"].as_array().unwrap().len(), 3);
    assert_eq!(users["users"].as_array().unwrap().len(), 9);
    let sue = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "sue")
        .unwrap();
    assert_eq!(sue["name"], "Sue (CRM Support)");
    assert_eq!(sue["access"]["4444"]["roles"][0], "crm_support");
    let cat = get(s.addr, "/demo/catalog").await.json();
    assert_eq!(cat["catalog"], "smartico-crm");
    let rows = cat["rows"].as_array().unwrap();
    let no_bonus = rows.iter().find(|r| r["id"] == "no_give_bonus").unwrap();
    assert_eq!(no_bonus["kind"], "restriction");
    assert_eq!(
        no_bonus["title"],
        "Don't allow to give bonus from user profile"
    );
    assert_eq!(
        no_bonus["cells"].as_array().unwrap().len(),
        cat["permissions"].as_array().unwrap().len()
    );
    // A token for the picked user, and her stream.
    let t = post(s.addr, "/demo/token", &json!({"user": "sue"}))
        .await
        .json();
    assert!(t["expires_at"].as_str().unwrap().ends_with('Z'));
    let token = t["token"].as_str().unwrap();
    let mut stream = open_events(s.addr, token, None).await;
    stream.until_ready().await;
    let r = post(s.addr, "/demo/token", &json!({"user": "nobody"})).await;
    assert_eq!((r.status, r.code().as_str()), (404, "unknown_user"));
    // Ada restricts Sue: applied, and Sue's stream hears of it.
    let r = post(s.addr, "/demo/admin", &restrict("sue", &["no_give_bonus"])).await;
    assert_eq!(
        (r.status, r.json()["reason"].as_str()),
        (200, Some("allowed"))
    );
    let ev = stream.next_change(Duration::from_secs(1)).await.unwrap();
    assert_eq!(ev.json()["version"], r.json()["version"]);
    // An escalation is refused with its reason; Sue hears nothing.
    let rita_admin = json!({"actor": "ada", "op": "edit_access", "target": "rita", "label": 4444,
        "access": {"roles": ["crm_admin"], "restrictions": ["no_give_bonus"]}});
    assert_eq!(post(s.addr, "/demo/admin", &rita_admin).await.status, 200);
    let lift = json!({"actor": "rita", "op": "edit_access", "target": "sue", "label": 4444,
        "access": {"roles": ["crm_support"]}});
    let r = post(s.addr, "/demo/admin", &lift).await;
    assert_eq!((r.status, r.code().as_str()), (403, "escalation"));
    assert!(r.json()["error"]["message"].as_str().unwrap().len() > 10);
    assert!(stream
        .next_change(Duration::from_millis(300))
        .await
        .is_none());
    sso_and_audit(s.addr).await;
    s.stop().await.unwrap();
}

/// SSO logins with the store's config, then the audit panel's records.
async fn sso_and_audit(addr: SocketAddr) {
    let r = post(addr, "/demo/sso", &json!({"email": "zoe@mycompany.com"}))
        .await
        .json();
    assert_eq!(
        (r["outcome"].as_str(), r["username"].as_str()),
        (Some("created"), Some("zoe@mycasino"))
    );
    assert!(r["token"].is_string() && r["expires_at"].is_string());
    let zoe = r["user"].clone();
    let users = get(addr, "/demo/users").await.json();
    assert!(
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == zoe),
        "JIT user listed"
    );
    let again = post(addr, "/demo/sso", &json!({"email": "Zoe@MyCompany.com"}))
        .await
        .json();
    assert_eq!(
        (again["outcome"].as_str(), &again["user"]),
        (Some("matched"), &zoe)
    );
    let r = post(addr, "/demo/sso", &json!({"email": "zoe@gmail.com"}))
        .await
        .json();
    assert_eq!(r, json!({"outcome": "rejected", "reason": "public_domain"}));
    let r = post(
        addr,
        "/demo/sso",
        &json!({"email": "a@mycompany.com", "login": {}}),
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_value"));
    let audit = get(addr, "/demo/audit?limit=3").await.json();
    let records = audit["records"].as_array().unwrap();
    assert_eq!(records.len(), 3);
    let last = records.last().unwrap();
    assert_eq!(
        (last["action"].as_str(), &last["target"]),
        (Some("sso_create"), &zoe)
    );
    assert_eq!(
        (
            records[1]["reason"].as_str(),
            records[1]["allowed"].as_bool()
        ),
        (Some("escalation"), Some(false))
    );
    let r = get(addr, "/demo/audit?limit=0").await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_value"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_demo_mode_no_demo_route_or_file_exists() {
    let env = crate::server::common::Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    for (method, path) in server::demo::ROUTES
        .iter()
        .chain(&[("GET", "/pkg/index.js"), ("GET", "/index.html")])
    {
        let body = (*method == "POST").then_some(&b"{\"user\": \"sue\"}"[..]);
        let r = request(env.addr(), method, path, None, body).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (404, "not_found"),
            "{method} {path}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_mode_listens_on_loopback_only() {
    let db = fresh_db(Backend::Sqlite).await;
    let demo = Some(DemoConfig {
        www: "www".into(),
        pkg: "pkg".into(),
    });
    let listen = "0.0.0.0:0".parse().unwrap();
    let e = server::start(server::Config {
        demo,
        listen,
        ..config(&db)
    })
    .await
    .err()
    .unwrap();
    assert_eq!(e.code(), "bad_config");
}

/// Sends `head` and `body` as they are on a new connection; the answer.
async fn raw(addr: SocketAddr, head: &str, body: &str) -> Reply {
    use tokio::io::AsyncWriteExt;
    let mut c = crate::server::common::Conn::open(addr).await;
    let text = format!("{head}content-length: {}\r\n\r\n{body}", body.len());
    c.stream.write_all(text.as_bytes()).await.unwrap();
    c.read_reply().await.expect("a reply")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_answers_only_its_own_page_not_other_sites_or_rebound_names() {
    let s = demo_server().await;
    let addr = s.addr;
    let disable = r#"{"actor": "olga", "op": "disable", "target": "ada"}"#;
    let post =
        |host: &str, extra: &str| format!("POST /demo/admin HTTP/1.1\r\nhost: {host}\r\n{extra}");
    let me = addr.to_string();
    // The finding: a text/plain form-like POST from another site, as the owner.
    let evil = post(
        &me,
        "content-type: text/plain\r\norigin: https://evil.example\r\n",
    );
    let r = raw(addr, &evil, disable).await;
    assert_eq!((r.status, r.code().as_str()), (403, "cross_site"));
    // JSON from another site (its preflight would fail; refused anyway).
    let evil_json = post(
        &me,
        "content-type: application/json\r\norigin: https://evil.example\r\n",
    );
    assert_eq!(raw(addr, &evil_json, disable).await.code(), "cross_site");
    let null_origin = post(&me, "content-type: application/json\r\norigin: null\r\n");
    assert_eq!(raw(addr, &null_origin, disable).await.code(), "cross_site");
    let fetch_site = post(
        &me,
        "content-type: application/json\r\nsec-fetch-site: cross-site\r\n",
    );
    assert_eq!(raw(addr, &fetch_site, disable).await.code(), "cross_site");
    // DNS rebinding: another name for 127.0.0.1, reads included.
    let rebound = raw(
        addr,
        "GET /demo/users HTTP/1.1\r\nhost: rebind.evil.example\r\n",
        "",
    )
    .await;
    assert_eq!(
        (rebound.status, rebound.code().as_str()),
        (403, "cross_site")
    );
    let r = raw(
        addr,
        &post("rebind.evil.example", "content-type: application/json\r\n"),
        disable,
    )
    .await;
    assert_eq!(r.code(), "cross_site");
    // Nothing changed: Ada is active.
    let users = get(addr, "/demo/users").await.json();
    let ada = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "ada")
        .unwrap()
        .clone();
    assert_eq!(ada["status"], "active");
    // The page itself: its own origin, JSON, by address or by localhost.
    let own = post(&me, &format!("content-type: application/json\r\norigin: http://{me}\r\nsec-fetch-site: same-origin\r\n"));
    let token = r#"{"user": "sue"}"#;
    let own_token = own.replace("/demo/admin", "/demo/token");
    assert_eq!(raw(addr, &own_token, token).await.status, 200);
    let local = format!("localhost:{}", addr.port());
    let by_name = format!("POST /demo/token HTTP/1.1\r\nhost: {local}\r\ncontent-type: application/json; charset=utf-8\r\norigin: http://{local}\r\n");
    assert_eq!(raw(addr, &by_name, token).await.status, 200);
}
