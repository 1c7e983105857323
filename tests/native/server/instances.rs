//! Two server instances on one PostgreSQL: a write through one shows in a
//! snapshot and a check answered by the other at once, and concurrent
//! writes through both are serialized by the store.

use crate::server::common::{config, Backend, Conn, Env, CRM};
use permsnap::server;
use serde_json::json;

async fn snapshot_from(conn: &mut Conn, key: &str, now: i64) -> permsnap::Snapshot {
    let body = json!({"user": "max"});
    let r = conn
        .call("POST", "/v1/snapshots", Some(key), Some(&body))
        .await;
    let jwks = conn.call("GET", "/.well-known/jwks.json", None, None).await;
    let jwks = permsnap::Jwks::from_json_text(std::str::from_utf8(&jwks.body).unwrap()).unwrap();
    let token = r.json()["token"].as_str().unwrap().to_string();
    let v = permsnap::verify(
        &token,
        &jwks,
        // Read the clock now: the token's `iat` may be a second past the test's start.
        &permsnap::VerifyOptions::new("backoffice", now.max(server::clock::system_now())),
    )
    .unwrap();
    let m = conn.call("GET", "/v1/manifest", None, None).await;
    let m = permsnap::native::issue::ManifestFile::from_text(std::str::from_utf8(&m.body).unwrap())
        .unwrap();
    v.snapshot(m.manifest()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_instance_shows_in_a_snapshot_issued_by_the_other() {
    let a = Env::new(Backend::Postgres, "smartico-crm", CRM).await;
    let b = server::start(config(&a.db)).await.unwrap();
    let mut to_b = Conn::open(b.addr).await;
    let key = Some(a.key.as_str());
    let now = server::clock::system_now();
    // B has loaded and cached the directory before the write.
    let before = snapshot_from(&mut to_b, &a.key, now).await;
    assert!(!before
        .check("campaign.activate_marketing", 4445, None, now)
        .allowed());
    for round in 0..5 {
        let role = if round % 2 == 0 {
            "crm_manager"
        } else {
            "crm_support"
        };
        let r = a
            .post(
                "/v1/admin",
                &json!({"actor": "ada", "op": "edit_access", "target": "max",
                                       "label": 4445, "access": {"roles": [role]}}),
            )
            .await;
        assert_eq!(r.status, 200, "{:?}", r.json());
        let after = snapshot_from(&mut to_b, &a.key, now).await;
        let allowed = after
            .check("campaign.activate_marketing", 4445, None, now)
            .allowed();
        assert_eq!(
            allowed,
            role == "crm_manager",
            "round {round}: B answers from the new directory"
        );
        let check = to_b
            .call(
                "POST",
                "/v1/check",
                key,
                Some(
                    &json!({"user": "max", "label": 4445, "action": "campaign.activate_marketing"}),
                ),
            )
            .await;
        assert_eq!(
            check.json()["by"].as_str(),
            allowed.then_some("crm_manager")
        );
    }
    // Concurrent creates through both instances: all applied, versions distinct.
    let mut tasks = Vec::new();
    for i in 0..30 {
        let addr = if i % 2 == 0 { a.addr() } else { b.addr };
        let key = a.key.clone();
        tasks.push(tokio::spawn(async move {
            let mut c = Conn::open(addr).await;
            let op = json!({"actor": "ada", "op": "create_user", "user": {"id": format!("p{i}"),
                "username": format!("p{i}@mycasino"), "email": format!("p{i}@mycompany.com"), "home_label": 4444}});
            let r = c.call("POST", "/v1/admin", Some(&key), Some(&op)).await;
            assert_eq!(r.status, 200, "{:?}", r.json());
            r.json()["version"].as_i64().unwrap()
        }));
    }
    let mut versions = Vec::new();
    for t in tasks {
        versions.push(t.await.unwrap());
    }
    versions.sort();
    versions.dedup();
    assert_eq!(versions.len(), 30);
    let r = to_b.call("GET", "/v1/users/p29", key, None).await;
    assert_eq!(r.status, 200);
    b.stop().await.unwrap();
}
