//! Conformance parity: for every vector file in `tests/vectors`, the HTTP
//! answers of `/v1/check`, `/v1/admin` and `/v1/sso/login` equal the
//! library's. The server runs with the file's `now` as its clock; before
//! each admin or SSO case the file's directory is imported again, so every
//! case starts from the directory as the file writes it.
//!
//! Each file's directory is a tenant of its own (`acme`, through the
//! `/v1/tenants/acme/...` routes) in a store whose `default` tenant holds
//! another directory on another catalog: answers come from the tenant's
//! own data, never from the other tenant's.

use crate::server::common::{config, fresh_db, Backend, Conn};
use permsnap::server::{self, store::CatalogRecord, Clock};
use permsnap::testing::vectors::VectorFile;
use permsnap::SsoOutcome;
use serde_json::{json, Value};

struct Case<'a> {
    file: &'a str,
    raw: &'a Value,
    scenario: &'a permsnap::testing::vectors::Scenario,
}

fn catalog_record(raw: &Value) -> CatalogRecord {
    match &raw["catalog"] {
        Value::String(id) => CatalogRecord::Preset(id.clone()),
        other => CatalogRecord::Text {
            file: "inline".into(),
            text: other.to_string(),
        },
    }
}

fn list<'a>(raw: &'a Value, key: &str) -> &'a [Value] {
    raw.get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// The tenant every file's directory is imported into.
const TENANT: &str = "acme";

fn route(path: &str) -> String {
    format!("/v1/tenants/{TENANT}{path}")
}

async fn reimport(db: &str, raw: &Value) {
    let dir = raw["directory"].to_string();
    server::import_tenant_text(db, TENANT, catalog_record(raw), &dir, None)
        .await
        .unwrap();
}

/// The other tenant: the tap-affiliate demo directory as `default`.
async fn decoy(db: &str) {
    let tap = include_str!("../../../src/server/demo/tap-directory.json");
    server::import_text(db, CatalogRecord::Preset("tap-affiliate".into()), tap, None)
        .await
        .unwrap();
}

/// Every check: same `allowed`, `reason`, `by` and message as the library.
async fn checks(c: &Case<'_>, conn: &mut Conn, key: &str) -> usize {
    let s = c.scenario;
    for (i, (case, raw)) in s.checks.iter().zip(list(c.raw, "checks")).enumerate() {
        let mut body = json!({"user": raw["user"], "label": raw["label"], "action": raw["action"]});
        if let Some(r) = raw.get("resource") {
            body["resource"] = r.clone();
        }
        let got = conn
            .call("POST", &route("/check"), Some(key), Some(&body))
            .await;
        let d = s.model.check(
            &case.user,
            case.label,
            &case.action,
            case.resource.as_ref(),
            s.now,
        );
        let mut want = json!({"allowed": d.allowed, "reason": d.reason.code()});
        if let Some(by) = &d.by {
            want["by"] = json!(by);
        }
        want["message"] = json!(s.model.message(&d));
        assert_eq!(got.json(), want, "{} checks[{i}]", c.file);
    }
    s.checks.len()
}

/// Every admin case on a freshly imported directory: 200 `allowed` and a
/// new version exactly when the library allows; else 403 with its reason
/// and the directory unchanged.
async fn admin(c: &Case<'_>, db: &str, conn: &mut Conn, key: &str) -> usize {
    let s = c.scenario;
    for (i, (case, raw)) in s.admin.iter().zip(list(c.raw, "admin")).enumerate() {
        reimport(db, c.raw).await;
        let before = server::export(db, TENANT).await.unwrap();
        let mut body = raw.clone();
        let obj = body.as_object_mut().unwrap();
        obj.remove("expect");
        obj.remove("reason");
        let got = conn
            .call("POST", &route("/admin"), Some(key), Some(&body))
            .await;
        let d = s.model.admin(&case.actor, &case.op, s.now);
        let at = format!("{} admin[{i}]", c.file);
        if d.allowed {
            assert_eq!(got.status, 200, "{at}: {:?}", got.json());
            assert_eq!(got.json()["reason"], "allowed", "{at}");
            assert!(
                got.json()["version"].as_i64().is_some(),
                "{at}: applied with a new version"
            );
        } else {
            assert_eq!(
                (got.status, got.code().as_str()),
                (403, d.reason.code()),
                "{at}"
            );
            assert!(
                server::export(db, TENANT).await.unwrap() == before,
                "{at}: nothing changes"
            );
        }
    }
    s.admin.len()
}

fn sso_expected(o: &SsoOutcome) -> Value {
    match o {
        SsoOutcome::Matched { user, linked } => {
            json!({"outcome": "matched", "user": user, "linked": linked})
        }
        SsoOutcome::Created {
            username,
            home_label,
            labels,
            role,
        } => json!({"outcome": "created",
            "username": username, "home_label": home_label, "labels": labels, "role": role}),
        SsoOutcome::Rejected(r) => json!({"outcome": "rejected", "reason": r.code()}),
        SsoOutcome::InvalidConfig(r) => json!({"outcome": "invalid_config", "reason": r.code()}),
    }
}

/// Every SSO case on a freshly imported directory: the library's outcome.
async fn sso(c: &Case<'_>, db: &str, conn: &mut Conn, key: &str) -> usize {
    let s = c.scenario;
    for (i, (case, raw)) in s.sso.iter().zip(list(c.raw, "sso")).enumerate() {
        reimport(db, c.raw).await;
        let body = json!({"config": raw["config"], "login": raw["login"]});
        let mut got = conn
            .call("POST", &route("/sso/login"), Some(key), Some(&body))
            .await
            .json();
        if got["outcome"] == "created" {
            got.as_object_mut().unwrap().remove("user");
        }
        let want = sso_expected(&s.model.sso(&case.config, &case.login, s.now));
        assert_eq!(got, want, "{} sso[{i}]", c.file);
    }
    s.sso.len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_file_answers_over_http_as_the_library_does_in_its_own_tenant() {
    let mut files: Vec<_> =
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
    files.sort();
    let (mut scenarios, mut cases) = (0, 0);
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let file = VectorFile::from_text(&text, &name).unwrap();
        let (Ok(scenario), None) = (&file.loaded, &file.expect_error) else {
            continue; // a file that must fail to load has no scenario to serve
        };
        let raw: Value = serde_json::from_str(&text).unwrap();
        let db = fresh_db(Backend::Sqlite).await;
        decoy(&db).await;
        reimport(&db, &raw).await;
        let key = server::apikey_create(&db, "check,admin,sso", Some(TENANT))
            .await
            .unwrap();
        let mut cfg = config(&db);
        cfg.clock = Clock::Fixed(scenario.now);
        let running = server::start(cfg).await.unwrap();
        let mut conn = Conn::open(running.addr).await;
        let c = Case {
            file: &name,
            raw: &raw,
            scenario,
        };
        cases += checks(&c, &mut conn, &key).await;
        cases += admin(&c, &db, &mut conn, &key).await;
        cases += sso(&c, &db, &mut conn, &key).await;
        running.stop().await.unwrap();
        scenarios += 1;
    }
    assert!(scenarios >= 40, "{scenarios} scenario files");
    assert!(cases >= 1700, "{cases} cases");
    eprintln!("conformance over HTTP: {scenarios} files, {cases} cases");
}
