//! The API on both stores: snapshots, checks, admin ops, SSO, reads, keys,
//! scopes, import/export, bad input, and concurrent admins.

use crate::server::common::{request, Backend, Env, CRM};
use permsnap::server;
use serde_json::{json, Value};

fn now_ms() -> i64 {
    permsnap::server::clock::system_now()
}

/// Verifies a token as a page does: the JWKS and the manifest from the server.
async fn verify(env: &Env, token: &str) -> permsnap::Snapshot {
    let jwks = request(env.addr(), "GET", "/.well-known/jwks.json", None, None).await;
    assert_eq!(jwks.status, 200);
    let jwks = permsnap::Jwks::from_json_text(std::str::from_utf8(&jwks.body).unwrap()).unwrap();
    let v = permsnap::verify(
        token,
        &jwks,
        &permsnap::VerifyOptions::new("backoffice", now_ms()),
    )
    .unwrap();
    let m = request(env.addr(), "GET", "/v1/manifest", None, None).await;
    let m = permsnap::native::issue::ManifestFile::from_text(std::str::from_utf8(&m.body).unwrap())
        .unwrap();
    v.snapshot(m.manifest()).unwrap()
}

both!(snapshot_is_signed_by_a_published_key_and_says_what_the_rules_say);
async fn snapshot_is_signed_by_a_published_key_and_says_what_the_rules_say(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let r = env.post("/v1/snapshots", &json!({"user": "rita"})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let token = r.json()["token"].as_str().unwrap().to_string();
    assert!(r.json()["expires_at"].as_str().unwrap().ends_with('Z'));
    let v = verify(&env, &token).await;
    assert!(!v.check("player.give_bonus", 4444, None, now_ms()).allowed());
    assert!(v
        .check("player.send_message", 4444, None, now_ms())
        .allowed());
    let r = env.post("/v1/snapshots", &json!({"user": "nobody"})).await;
    assert_eq!((r.status, r.code().as_str()), (404, "unknown_user"));
}

both!(check_answers_as_permsnap_check_does);
async fn check_answers_as_permsnap_check_does(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let r = env
        .post(
            "/v1/check",
            &json!({"user": "rita", "label": 4444, "action": "player.give_bonus"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json(),
        json!({"allowed": false, "reason": "restricted", "by": "no_give_bonus",
               "message": "Restricted: Don't allow to give bonus from user profile"})
    );
    let r = env
        .post("/v1/check", &json!({"user": "max", "label": 4445, "action": "player.send_message", "resource": {"x": 1}}))
        .await;
    assert_eq!(r.json()["reason"], "granted");
}

both!(an_allowed_admin_op_is_applied_once_and_audited);
async fn an_allowed_admin_op_is_applied_once_and_audited(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let before = env
        .post(
            "/v1/check",
            &json!({"user": "max", "label": 4445, "action": "player.give_bonus"}),
        )
        .await
        .json();
    let r = env
        .post(
            "/v1/admin",
            &json!({"actor": "ada", "op": "edit_access", "target": "max",
                                   "label": 4445, "access": {"roles": ["crm_manager"]}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert_eq!(r.json()["reason"], "allowed");
    let after = env
        .post(
            "/v1/check",
            &json!({"user": "max", "label": 4445, "action": "player.give_bonus"}),
        )
        .await
        .json();
    assert_ne!(before["by"], after["by"]);
    assert_eq!(after["by"], "crm_manager");
    let u = env.get("/v1/users/max").await.json();
    assert_eq!(u["access"]["4445"], json!({"roles": ["crm_manager"]}));
    let audit = env.get("/v1/audit?user=max").await.json();
    let last = audit["records"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["actor"].as_str(), last["action"].as_str()),
        (Some("ada"), Some("edit_access"))
    );
    assert_eq!(last["allowed"], true);
    assert_eq!(last["id"], r.json()["audit_id"]);
}

both!(every_admin_op_kind_applies);
async fn every_admin_op_kind_applies(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let ops = [
        json!({"actor": "ada", "op": "create_user", "user": {"id": "ann", "username": "ann@mycasino",
               "email": "ann@mycompany.com", "home_label": 4444, "access": {"4444": {"roles": ["crm_support"]}}}}),
        json!({"actor": "ada", "op": "edit_profile", "target": "ann", "name": "Ann", "email": "ann2@mycompany.com"}),
        json!({"actor": "ada", "op": "set_expiry", "target": "ann", "expires_at": "2030-01-01T00:00:00Z"}),
        json!({"actor": "ada", "op": "disable", "target": "ann"}),
        json!({"actor": "ada", "op": "enable", "target": "ann"}),
    ];
    for op in &ops {
        let r = env.post("/v1/admin", op).await;
        assert_eq!(r.status, 200, "{op}: {:?}", r.json());
    }
    let u = env.get("/v1/users/ann").await.json();
    assert_eq!(
        (u["name"].as_str(), u["email"].as_str()),
        (Some("Ann"), Some("ann2@mycompany.com"))
    );
    assert_eq!(
        (u["status"].as_str(), u["expires_at"].as_str()),
        (Some("active"), Some("2030-01-01T00:00:00Z"))
    );
    let r = env
        .post("/v1/admin", &json!({"actor": "ada", "op": "edit_profile", "target": "ann", "email": "MAX@mycompany.com"}))
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "duplicate_user"));
    let r = env
        .post(
            "/v1/admin",
            &json!({"actor": "ada", "op": "delete", "target": "ann"}),
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(env.get("/v1/users/ann").await.status, 404);
}

both!(a_denied_admin_op_changes_nothing);
async fn a_denied_admin_op_changes_nothing(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let before = server::export(&env.db, "default").await.unwrap();
    let cases = [
        (
            json!({"actor": "sue", "op": "disable", "target": "max"}),
            "not_admin_of_home_label",
        ),
        (
            json!({"actor": "ada", "op": "disable", "target": "ada"}),
            "self_disable",
        ),
        (
            json!({"actor": "ada", "op": "delete", "target": "olga"}),
            "target_is_owner",
        ),
        (
            json!({"actor": "dina", "op": "disable", "target": "sue"}),
            "disabled",
        ),
        (
            json!({"actor": "ghost", "op": "disable", "target": "sue"}),
            "unknown_user",
        ),
    ];
    for (op, code) in cases {
        let r = env.post("/v1/admin", &op).await;
        assert_eq!((r.status, r.code()), (403, code.to_string()), "{op}");
    }
    assert_eq!(server::export(&env.db, "default").await.unwrap(), before);
    let audit = env.get("/v1/audit?user=sue").await.json();
    let denied: Vec<&Value> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["allowed"] == false)
        .collect();
    let reasons: Vec<&str> = denied
        .iter()
        .map(|r| r["reason"].as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        ["not_admin_of_home_label", "disabled", "unknown_user"],
        "denied attempts are audited"
    );
}

both!(sso_creates_users_and_links_identities_durably);
async fn sso_creates_users_and_links_identities_durably(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let config = json!({"providers": ["google"], "domains": ["mycompany.com"], "allow_creation": true,
                        "default_role": "crm_support", "labels": [4444, 4445], "home_label": 4444});
    let login = |sub: &str, email: &str| {
        json!({"provider": "google", "iss": "https://accounts.google.com",
                                              "sub": sub, "email": email, "email_verified": true})
    };
    let r = env
        .post(
            "/v1/sso/login",
            &json!({"config": config, "login": login("77", "Zoe@mycompany.com")}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let created = r.json();
    assert_eq!(
        (created["outcome"].as_str(), created["username"].as_str()),
        (Some("created"), Some("zoe@mycasino"))
    );
    let id = created["user"].as_str().unwrap().to_string();
    let r = env
        .post(
            "/v1/sso/login",
            &json!({"config": config, "login": login("77", "zoe@mycompany.com")}),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"outcome": "matched", "user": id, "linked": false})
    );
    let r = env
        .post(
            "/v1/sso/login",
            &json!({"config": config, "login": login("88", "sue@mycompany.com")}),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"outcome": "matched", "user": "sue", "linked": true})
    );
    let sue = env.get("/v1/users/sue").await.json();
    assert_eq!(
        sue["identities"],
        json!([{"iss": "https://accounts.google.com", "sub": "88"}])
    );
    let r = env
        .post(
            "/v1/sso/login",
            &json!({"config": config, "login": login("9", "x@gmail.com")}),
        )
        .await;
    assert_eq!(
        r.json(),
        json!({"outcome": "rejected", "reason": "public_domain"})
    );
    let r = env
        .post(
            "/v1/check",
            &json!({"user": id, "label": 4445, "action": "player.send_message"}),
        )
        .await;
    assert_eq!(r.json()["by"], "crm_support");
    let export: Value =
        serde_json::from_str(&server::export(&env.db, "default").await.unwrap()).unwrap();
    assert!(export["users"]
        .as_array()
        .unwrap()
        .iter()
        .any(|u| u["id"] == id.as_str()));
}

both!(keys_and_scopes_guard_every_private_route);
async fn keys_and_scopes_guard_every_private_route(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let check_only = server::apikey_create(&env.db, "check", Some("default"))
        .await
        .unwrap();
    assert!(check_only.starts_with("psk_"));
    let body = json!({"user": "sue"}).to_string();
    for (method, path, scope) in [
        ("POST", "/v1/snapshots", "snapshots"),
        ("POST", "/v1/admin", "admin"),
        ("POST", "/v1/sso/login", "sso"),
        ("GET", "/v1/users/sue", "read"),
        ("GET", "/v1/audit", "read"),
    ] {
        let b = (method == "POST").then_some(body.as_bytes());
        let r = request(env.addr(), method, path, None, b).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "unauthorized"),
            "{path}"
        );
        let r = request(env.addr(), method, path, Some("psk_wrong"), b).await;
        assert_eq!(r.status, 401, "{path}");
        let r = request(env.addr(), method, path, Some(&check_only), b).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "forbidden_scope"),
            "{path}"
        );
        assert!(r.json()["error"]["message"]
            .as_str()
            .unwrap()
            .contains(scope));
    }
    for path in ["/healthz", "/.well-known/jwks.json", "/openapi.json"] {
        assert_eq!(
            request(env.addr(), "GET", path, None, None).await.status,
            200,
            "{path}"
        );
    }
    let jwks = request(env.addr(), "GET", "/.well-known/jwks.json", None, None).await;
    assert_eq!(jwks.header("cache-control"), Some("public, max-age=60"));
    assert!(
        !String::from_utf8_lossy(&jwks.body).contains("\"d\""),
        "no private key material"
    );
}

both!(a_revoked_api_key_is_refused_from_its_next_request_on);
async fn a_revoked_api_key_is_refused_from_its_next_request_on(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let key = server::apikey_create(&env.db, "check", Some("default"))
        .await
        .unwrap();
    let body = json!({"user": "rita", "label": 4444, "action": "player.give_bonus"}).to_string();
    let check = |k: String| {
        let body = body.clone();
        let addr = env.addr();
        async move { request(addr, "POST", "/v1/check", Some(&k), Some(body.as_bytes())).await }
    };
    assert_eq!(
        check(key.clone()).await.status,
        200,
        "the server now knows the key"
    );

    let listed = server::apikey_list(&env.db).await.unwrap();
    assert_eq!(
        listed.len(),
        2,
        "the harness's key and this one: {listed:?}"
    );
    let mine = listed.iter().find(|k| key.starts_with(&k.prefix)).unwrap();
    assert_eq!((mine.prefix.len(), mine.scopes.as_str()), (10, "check"));

    let revoked = server::apikey_revoke(&env.db, &mine.prefix).await.unwrap();
    assert_eq!(&revoked, mine);
    let r = check(key.clone()).await;
    assert_eq!((r.status, r.code().as_str()), (401, "unauthorized"));
    let other = env
        .post("/v1/check", &serde_json::from_str(&body).unwrap())
        .await;
    assert_eq!(other.status, 200, "the other key still works");

    let again = server::apikey_revoke(&env.db, &key).await.unwrap_err();
    assert_eq!(again.code(), "unknown_api_key");
    assert!(again.to_string().contains(&mine.prefix) && !again.to_string().contains(&key));
    let audit = env.get("/v1/audit?limit=1").await.json();
    let last = &audit["records"][0];
    assert_eq!(
        (last["action"].as_str(), last["actor"].as_str()),
        (Some("apikey_revoke"), Some("cli"))
    );
    assert_eq!(last["detail"]["prefix"], mine.prefix.as_str());
}

/// Two stored keys that share a prefix (made here with a chosen one: real
/// keys share one with a chance of 2^-36): the prefix is refused, each
/// whole key revokes its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_api_key_prefix_that_names_two_keys_is_refused_and_whole_keys_revoke_each() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let db = server::db::Db::connect(&env.db, 1).await.unwrap();
    let keys = ["psk_SAME00first", "psk_SAME00second"];
    for k in keys {
        let mut conn = db.pool.acquire().await.unwrap();
        let hash = server::keys::api_key_hash(k);
        let new = server::store::NewApiKey {
            hash: &hash,
            prefix: "psk_SAME00",
            scopes: "read",
            tenant: Some("default"),
            require_actor_token: false,
        };
        server::store::insert_api_key(&mut conn, &new, 1)
            .await
            .unwrap();
    }
    let e = server::apikey_revoke(&env.db, "psk_SAME00")
        .await
        .unwrap_err();
    assert_eq!(e.code(), "ambiguous_api_key");
    assert!(
        e.to_string()
            .starts_with("2 API keys start with `psk_SAME00`"),
        "{e}"
    );
    for k in keys {
        assert_eq!(
            server::apikey_revoke(&env.db, k).await.unwrap().prefix,
            "psk_SAME00"
        );
    }
    assert_eq!(server::apikey_list(&env.db).await.unwrap().len(), 1);
}

both!(a_rotated_key_stays_published_and_old_tokens_verify);
async fn a_rotated_key_stays_published_and_old_tokens_verify(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let old = env
        .post("/v1/snapshots", &json!({"user": "sue"}))
        .await
        .json();
    let kid = server::keys_rotate(&env.db).await.unwrap();
    let new = env
        .post("/v1/snapshots", &json!({"user": "sue"}))
        .await
        .json();
    assert_eq!(new["kid"].as_str(), Some(kid.as_str()));
    assert_ne!(old["kid"], new["kid"]);
    let jwks = request(env.addr(), "GET", "/.well-known/jwks.json", None, None)
        .await
        .json();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    verify(&env, old["token"].as_str().unwrap()).await;
    verify(&env, new["token"].as_str().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retired_key_leaves_the_jwks_once_its_last_token_expired() {
    use permsnap::server::{db::Db, keys, ops, store};
    let db = Db::connect(&crate::server::common::fresh_db(Backend::Sqlite).await, 1)
        .await
        .unwrap();
    let t0 = 1_800_000_000_000;
    ops::ensure_signing_key(&db, t0).await.unwrap();
    ops::keys_rotate(&db, t0 + 1000).await.unwrap();
    let mut c = db.pool.acquire().await.unwrap();
    let ring = keys::KeyRing::from_rows(0, &store::signing_keys(&mut c).await.unwrap()).unwrap();
    let count = |now: i64| ring.jwks(now)["keys"].as_array().unwrap().len();
    let last_exp = t0 + 1000 + keys::MAX_TTL_SECS * 1000;
    assert_eq!(
        count(last_exp),
        2,
        "published while a token it signed may live"
    );
    assert_eq!(count(t0 + 1000 + keys::RETIRED_KEY_MS), 1);
}

both!(import_then_export_round_trips);
async fn import_then_export_round_trips(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let first = server::export(&env.db, "default").await.unwrap();
    let db2 = crate::server::common::fresh_db(b).await;
    let rec = server::store::CatalogRecord::Preset("smartico-crm".into());
    server::import_text(&db2, rec, &first, None).await.unwrap();
    assert_eq!(server::export(&db2, "default").await.unwrap(), first);
    let bad = r#"{"labels": [], "users": [{"id": "x", "username": "x@y", "email": "e@y.example", "home_label": 1}]}"#;
    let rec = server::store::CatalogRecord::Preset("smartico-crm".into());
    let e = server::import_text(&db2, rec, bad, None).await.unwrap_err();
    assert_eq!(e.code(), "unknown_home_label");
    assert_eq!(
        server::export(&db2, "default").await.unwrap(),
        first,
        "a refused import changes nothing"
    );
}

both!(bad_input_gets_400_with_a_code_and_the_json_path);
async fn bad_input_gets_400_with_a_code_and_the_json_path(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let cases: Vec<(&str, &str, &str, Option<&str>)> = vec![
        ("/v1/check", "{\"user\": ", "json_syntax", None),
        ("/v1/check", "\"text\"", "wrong_type", Some("$")),
        (
            "/v1/check",
            r#"{"user": "sue", "label": 4444, "action": "x", "colour": 1}"#,
            "unknown_field",
            Some("colour"),
        ),
        (
            "/v1/check",
            r#"{"user": "sue", "label": "4444", "action": "x"}"#,
            "wrong_type",
            Some("label"),
        ),
        (
            "/v1/check",
            r#"{"user": "sue", "action": "x"}"#,
            "missing_field",
            Some("$"),
        ),
        (
            "/v1/check",
            r#"{"user": "sue", "label": 4444, "action": "player.view", "resource": {"account": 9007199254740993}}"#,
            "bad_value",
            Some("resource.account"),
        ),
        (
            "/v1/check",
            r#"{"user": "sue", "label": 1, "action": "x"} x"#,
            "json_syntax",
            Some("$"),
        ),
        (
            "/v1/snapshots",
            r#"{"user": "sue", "ttl": 0}"#,
            "bad_value",
            Some("ttl"),
        ),
        (
            "/v1/snapshots",
            r#"{"user": "sue", "ttl": 99999999}"#,
            "bad_value",
            Some("ttl"),
        ),
        (
            "/v1/admin",
            r#"{"op": "disable", "target": "sue"}"#,
            "missing_field",
            Some("actor"),
        ),
        (
            "/v1/admin",
            r#"{"actor": "ada", "op": "explode", "target": "sue"}"#,
            "bad_value",
            Some("op"),
        ),
        (
            "/v1/admin",
            r#"{"actor": "ada", "op": "disable", "target": "sue", "target": "max"}"#,
            "duplicate_key",
            None,
        ),
        (
            "/v1/admin",
            r#"{"actor": "ada", "op": "create_user", "user": {"id": "z", "username": "z@mycasino", "email": "z@x", "home_label": 4444, "access": {"4444": {"roles": ["pilot"]}}}}"#,
            "unknown_role",
            Some("user.access.4444.roles[0]"),
        ),
        (
            "/v1/admin",
            r#"{"actor": "ada", "op": "set_expiry", "target": "sue", "expires_at": "soon"}"#,
            "bad_timestamp",
            Some("expires_at"),
        ),
        (
            "/v1/sso/login",
            r#"{"login": {"provider": "google"}}"#,
            "missing_field",
            Some("login"),
        ),
    ];
    for (path, body, code, json_path) in cases {
        let r = request(
            env.addr(),
            "POST",
            path,
            Some(&env.key),
            Some(body.as_bytes()),
        )
        .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (400, code),
            "{body}: {:?}",
            r.json()
        );
        if let Some(p) = json_path {
            assert_eq!(r.json()["error"]["path"].as_str(), Some(p), "{body}");
        }
    }
    let r = request(env.addr(), "GET", "/v1/nothing", Some(&env.key), None).await;
    assert_eq!((r.status, r.code().as_str()), (404, "not_found"));
    let r = request(env.addr(), "GET", "/v1/check", Some(&env.key), None).await;
    assert_eq!((r.status, r.code().as_str()), (405, "method_not_allowed"));
    let r = env.get("/v1/audit?limit=0").await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_value"));
    let r = env.get("/v1/audit?since=yesterday").await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_timestamp"));
}

both!(concurrent_admins_never_lose_an_update_nor_act_on_stale_data);
async fn concurrent_admins_never_lose_an_update_nor_act_on_stale_data(b: Backend) {
    let env = std::sync::Arc::new(Env::new(b, "smartico-crm", CRM).await);
    // 40 users created at once by two admins: every one is there.
    let mut tasks = Vec::new();
    for i in 0..40 {
        let env = env.clone();
        tasks.push(tokio::spawn(async move {
            let actor = if i % 2 == 0 { "ada" } else { "olga" };
            let op = json!({"actor": actor, "op": "create_user", "user": {"id": format!("n{i}"),
                "username": format!("n{i}@mycasino"), "email": format!("n{i}@mycompany.com"), "home_label": 4444,
                "access": {"4444": {"roles": ["crm_support"]}}}});
            env.post("/v1/admin", &op).await.status
        }));
    }
    // Meanwhile the owner disables ada, and ada keeps trying to disable sue.
    let disable_ada = {
        let env = env.clone();
        tokio::spawn(async move {
            env.post(
                "/v1/admin",
                &json!({"actor": "olga", "op": "disable", "target": "ada"}),
            )
            .await
            .status
        })
    };
    for t in tasks {
        let s = t.await.unwrap();
        assert!(s == 200 || s == 403, "{s}");
    }
    assert_eq!(disable_ada.await.unwrap(), 200);
    let export: Value =
        serde_json::from_str(&server::export(&env.db, "default").await.unwrap()).unwrap();
    let audit = env.get("/v1/audit?limit=1000").await.json();
    let records = audit["records"].as_array().unwrap();
    let disabled_at = records
        .iter()
        .find(|r| r["action"] == "disable" && r["target"] == "ada")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    for r in records.iter().filter(|r| r["action"] == "create_user") {
        let id = r["target"].as_str().unwrap();
        let present = export["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["id"] == id);
        // Applied iff allowed; ada's ops after her disabling were denied.
        assert_eq!(present, r["allowed"] == true, "{r}");
        if r["actor"] == "ada" {
            let after = r["id"].as_i64().unwrap() > disabled_at;
            assert_eq!(r["allowed"] == false, after, "{r}");
            if after {
                assert_eq!(r["reason"], "disabled");
            }
        } else {
            assert_eq!(r["allowed"], true);
        }
    }
    let versions: Vec<i64> = records
        .iter()
        .filter(|r| r["allowed"] == true && r["target"].is_string())
        .map(|r| r["version"].as_i64().unwrap())
        .collect();
    let mut sorted = versions.clone();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        versions.len(),
        "each applied write has its own version"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_records_a_catalog_file_and_the_default_sso_config() {
    let dir = crate::server::common::temp_dir();
    let sso = dir.join("sso.json");
    std::fs::write(
        &sso,
        r#"{"providers": ["microsoft"], "domains": ["mycompany.com"], "allow_creation": false}"#,
    )
    .unwrap();
    let directory = dir.join("directory.json");
    std::fs::write(&directory, CRM).unwrap();
    let db = crate::server::common::fresh_db(Backend::Sqlite).await;
    let catalog = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/native/presets/smartico-crm.json"
    );
    let report = server::import(
        &db,
        "default",
        Some(catalog),
        directory.to_str().unwrap(),
        Some(sso.to_str().unwrap()),
    )
    .await
    .unwrap();
    assert_eq!(
        (report.catalog.as_str(), report.labels, report.users),
        ("smartico-crm", 3, 9)
    );
    let key = server::apikey_create(&db, "sso,check", Some("default"))
        .await
        .unwrap();
    let running = server::start(crate::server::common::config(&db))
        .await
        .unwrap();
    let login = json!({"login": {"provider": "microsoft", "iss": "https://login.microsoftonline.com", "sub": "1",
                                 "email": "sue@mycompany.com", "email_verified": true}});
    let r = request(
        running.addr,
        "POST",
        "/v1/sso/login",
        Some(&key),
        Some(login.to_string().as_bytes()),
    )
    .await;
    assert_eq!(
        r.json(),
        json!({"outcome": "matched", "user": "sue", "linked": true}),
        "the stored config applies"
    );
    let r = request(
        running.addr,
        "POST",
        "/v1/check",
        Some(&key),
        Some(br#"{"user": "rita", "label": 4444, "action": "player.give_bonus"}"#),
    )
    .await;
    assert_eq!(
        r.json()["reason"],
        "restricted",
        "the catalog file is in force"
    );
    running.stop().await.unwrap();
    // A config that does not fit the directory is refused at import.
    std::fs::write(&sso, r#"{"providers": [], "domains": [], "allow_creation": true, "default_role": "pilot", "labels": [4444], "home_label": 4444}"#).unwrap();
    let e = server::import(
        &db,
        "default",
        Some("smartico-crm"),
        directory.to_str().unwrap(),
        Some(sso.to_str().unwrap()),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "unknown_role");
    let e = server::import(
        &db,
        "default",
        Some("no-such-preset"),
        directory.to_str().unwrap(),
        None,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "unknown_preset");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_without_a_directory_says_so() {
    let db = crate::server::common::fresh_db(Backend::Sqlite).await;
    let key = server::apikey_create(&db, "check", Some("default"))
        .await
        .unwrap();
    let running = server::start(crate::server::common::config(&db))
        .await
        .unwrap();
    let r = request(
        running.addr,
        "POST",
        "/v1/check",
        Some(&key),
        Some(br#"{"user": "rita", "label": 4444, "action": "player.give_bonus"}"#),
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (409, "not_imported"));
    assert_eq!(
        request(running.addr, "GET", "/healthz", None, None)
            .await
            .status,
        200
    );
    // Importing while it runs: the next request sees the directory.
    server::import_text(
        &db,
        server::store::CatalogRecord::Preset("smartico-crm".into()),
        CRM,
        None,
    )
    .await
    .unwrap();
    let r = request(
        running.addr,
        "POST",
        "/v1/check",
        Some(&key),
        Some(br#"{"user": "rita", "label": 4444, "action": "player.give_bonus"}"#),
    )
    .await;
    assert_eq!(r.json()["reason"], "restricted");
    running.stop().await.unwrap();
}

both!(concurrent_edits_of_one_user_keep_the_last_write_of_every_field);
async fn concurrent_edits_of_one_user_keep_the_last_write_of_every_field(b: Backend) {
    let env = std::sync::Arc::new(Env::new(b, "smartico-crm", CRM).await);
    let mut tasks = Vec::new();
    for round in 0..8 {
        let role = ["crm_support", "crm_manager"][round % 2];
        let ops = [
            json!({"actor": "ada", "op": "set_expiry", "target": "sam", "expires_at": format!("2031-01-0{}T00:00:00Z", round + 1)}),
            json!({"actor": "olga", "op": "edit_profile", "target": "sam", "name": format!("Sam {round}")}),
            json!({"actor": "ada", "op": "edit_access", "target": "sam", "label": 4445, "access": {"roles": [role]}}),
            json!({"actor": "olga", "op": "edit_access", "target": "sam", "label": 4444, "access": {"roles": [role], "additional": ["complete_missions"]}}),
        ];
        for op in ops {
            let env = env.clone();
            tasks.push(tokio::spawn(async move {
                let r = env.post("/v1/admin", &op).await;
                assert_eq!(r.status, 200, "{op}: {:?}", r.json());
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    let sam = env.get("/v1/users/sam").await.json();
    let audit = env.get("/v1/audit?user=sam&limit=1000").await.json();
    let last = |pred: &dyn Fn(&Value) -> bool| -> Value {
        audit["records"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| pred(r))
            .max_by_key(|r| r["id"].as_i64())
            .unwrap()["detail"]
            .clone()
    };
    assert_eq!(
        sam["expires_at"],
        last(&|r| r["action"] == "set_expiry")["expires_at"]
    );
    assert_eq!(
        sam["name"],
        last(&|r| r["action"] == "edit_profile")["name"]
    );
    for label in [4444, 4445] {
        let detail = last(&|r| r["action"] == "edit_access" && r["detail"]["label"] == label);
        assert_eq!(
            sam["access"][label.to_string()],
            detail["access"],
            "label {label}"
        );
    }
}

both!(the_manifest_is_served_with_its_hash_and_cached_by_it);
async fn the_manifest_is_served_with_its_hash_and_cached_by_it(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let r = request(env.addr(), "GET", "/v1/manifest", None, None).await;
    assert_eq!(r.status, 200);
    let text = std::str::from_utf8(&r.body).unwrap();
    let file = permsnap::native::issue::ManifestFile::from_text(text).unwrap();
    let hash = file.hash().to_string();
    assert_eq!(r.header("etag"), Some(format!("\"{hash}\"").as_str()));
    assert_eq!(r.header("cache-control"), Some("no-cache"));
    assert_eq!(
        hash,
        permsnap::native::issue::manifest_hash(&r.body),
        "the hash of the exact bytes"
    );
    // Revalidation, and the immutable address.
    let mut c = crate::server::common::Conn::open(env.addr()).await;
    let head = format!("GET /v1/manifest HTTP/1.1\r\nhost: t\r\nif-none-match: \"{hash}\"\r\n\r\n");
    tokio::io::AsyncWriteExt::write_all(&mut c.stream, head.as_bytes())
        .await
        .unwrap();
    assert_eq!(c.read_reply().await.unwrap().status, 304);
    let r = request(
        env.addr(),
        "GET",
        &format!("/v1/manifest/{hash}"),
        None,
        None,
    )
    .await;
    assert_eq!((r.status, r.body.as_slice()), (200, text.as_bytes()));
    assert_eq!(
        r.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let r = request(
        env.addr(),
        "GET",
        "/v1/manifest/AAAAAAAAAAAAAAAAAAAAAA",
        None,
        None,
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (404, "unknown_manifest"));
    // A token names this manifest.
    let token = env
        .post("/v1/snapshots", &json!({"user": "sue"}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    verify(&env, &token).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_answers_the_json_permsnap_check_prints() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let dir = crate::server::common::temp_dir().join("crm.json");
    std::fs::write(&dir, CRM).unwrap();
    for (user, label, action) in [
        ("rita", "4444", "player.give_bonus"),
        ("max", "4445", "player.send_message"),
        ("dina", "4444", "player.view"),
        ("olga", "4446", "player.view"),
        ("ghost", "4444", "player.view"),
    ] {
        let cli = std::process::Command::new(env!("CARGO_BIN_EXE_permsnap"))
            .args([
                "check",
                "--catalog",
                "smartico-crm",
                "--directory",
                dir.to_str().unwrap(),
            ])
            .args(["--user", user, "--label", label, "--action", action])
            .output()
            .unwrap();
        let cli: Value = serde_json::from_slice(&cli.stdout).unwrap();
        let body = json!({"user": user, "label": label.parse::<u64>().unwrap(), "action": action});
        let http = env.post("/v1/check", &body).await.json();
        assert_eq!(http, cli, "{user} {label} {action}");
    }
}
