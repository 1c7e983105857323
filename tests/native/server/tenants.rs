//! Tenants: two customer accounts on two catalogs in one server, each
//! answering from its own directory; API keys bound to one tenant; tenants
//! made over HTTP; `expect_version` against lost updates.

use crate::server::common::{request, Backend, Env, CRM};
use permsnap::native::presets;
use permsnap::server::{self, store::CatalogRecord};
use permsnap::{Directory, Model};
use serde_json::{json, Value};

/// The affiliate platform's demo directory (labels 4444 and 4445, as the CRM's).
const TAP: &str = include_str!("../../../src/server/demo/tap-directory.json");

/// A CRM store (tenant `default`) with the affiliate platform as tenant
/// `tap`, and a key for `tap` only.
async fn two_tenants(backend: Backend) -> (Env, String) {
    let env = Env::new(backend, "smartico-crm", CRM).await;
    let record = CatalogRecord::Preset("tap-affiliate".into());
    server::import_tenant_text(&env.db, "tap", record, TAP, None)
        .await
        .unwrap();
    let scopes = "snapshots,check,admin,read";
    let tap_key = server::apikey_create(&env.db, scopes, Some("tap"))
        .await
        .unwrap();
    (env, tap_key)
}

async fn post(env: &Env, key: &str, path: &str, body: &Value) -> crate::server::common::Reply {
    let body = body.to_string();
    request(env.addr(), "POST", path, Some(key), Some(body.as_bytes())).await
}

async fn get(env: &Env, key: Option<&str>, path: &str) -> crate::server::common::Reply {
    request(env.addr(), "GET", path, key, None).await
}

both!(two_tenants_on_two_catalogs_answer_each_from_their_own_directory);
async fn two_tenants_on_two_catalogs_answer_each_from_their_own_directory(backend: Backend) {
    let (env, tap_key) = two_tenants(backend).await;
    let tap_catalog = presets::preset("tap-affiliate").unwrap();
    let tap_dir = Directory::from_json_text(TAP, "tap", &tap_catalog).unwrap();
    let tap = Model::new(tap_catalog, tap_dir);
    let now = permsnap::server::clock::system_now();
    for (user, action) in [
        ("tina", "affiliate.view"),
        ("u7", "affiliate.edit"),
        ("lea", "affiliate.view"),
        ("sue", "affiliate.view"),
    ] {
        let body = json!({"user": user, "label": 4444, "action": action});
        let got = post(&env, &tap_key, "/v1/tenants/tap/check", &body).await;
        let want = tap.check(user, 4444, action, None, now);
        assert_eq!(got.status, 200, "{user} {action}: {:?}", got.json());
        assert_eq!(
            (
                got.json()["allowed"].as_bool(),
                got.json()["reason"].as_str()
            ),
            (Some(want.allowed), Some(want.reason.code())),
            "tap answers {user} {action} from its own directory"
        );
    }
    // The CRM's users are not the affiliate platform's, and back.
    let sue = json!({"user": "sue", "label": 4444, "action": "affiliate.view"});
    let r = post(&env, &tap_key, "/v1/tenants/tap/check", &sue).await;
    assert_eq!(r.json()["reason"], "unknown_user");
    let tina = json!({"user": "tina", "label": 4444, "action": "player.give_bonus"});
    assert_eq!(
        env.post("/v1/check", &tina).await.json()["reason"],
        "unknown_user"
    );
    // Each tenant's manifest is its catalog's.
    let crm_m = get(&env, None, "/v1/manifest").await.json();
    let tap_m = get(&env, None, "/v1/tenants/tap/manifest").await.json();
    assert_eq!(
        (crm_m["catalog"].as_str(), tap_m["catalog"].as_str()),
        (Some("smartico-crm"), Some("tap-affiliate"))
    );
    let default_m = get(&env, None, "/v1/tenants/default/manifest").await.json();
    assert_eq!(
        default_m, crm_m,
        "the unprefixed routes are tenant default's"
    );
    // An admin op in one tenant changes that tenant only, audited there.
    let crm_before = server::export(&env.db, "default").await.unwrap();
    let op = json!({"actor": "tina", "op": "disable", "target": "u9"});
    let r = post(&env, &tap_key, "/v1/tenants/tap/admin", &op).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let tap_now: Value =
        serde_json::from_str(&server::export(&env.db, "tap").await.unwrap()).unwrap();
    let u9 = tap_now["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["id"] == "u9")
        .unwrap();
    assert_eq!(u9["status"], "disabled");
    assert_eq!(
        server::export(&env.db, "default").await.unwrap(),
        crm_before
    );
    let tap_audit = get(&env, Some(&tap_key), "/v1/tenants/tap/audit")
        .await
        .json();
    let crm_audit = env.get("/v1/audit").await.json();
    let has_op = |a: &Value| {
        a["records"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "disable" && r["target"] == "u9")
    };
    assert!(
        has_op(&tap_audit) && !has_op(&crm_audit),
        "audit is per tenant"
    );
    // A snapshot names the tenant's manifest.
    let r = post(
        &env,
        &tap_key,
        "/v1/tenants/tap/snapshots",
        &json!({"user": "tina"}),
    )
    .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
}

both!(a_key_bound_to_one_tenant_is_refused_on_another_and_on_tenant_admin);
async fn a_key_bound_to_one_tenant_is_refused_on_another_and_on_tenant_admin(backend: Backend) {
    let (env, tap_key) = two_tenants(backend).await;
    let body = json!({"user": "tina", "label": 4444, "action": "affiliate.view"});
    // The default tenant's key on tap's routes, tap's key on default's.
    let r = post(&env, &env.key, "/v1/tenants/tap/check", &body).await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden_tenant"));
    let r = post(&env, &tap_key, "/v1/check", &body).await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden_tenant"));
    let r = get(&env, Some(&tap_key), "/v1/users/sue").await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden_tenant"));
    let r = get(&env, Some(&tap_key), "/v1/tenants/tap/users/tina").await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    // A tenant-bound key never makes or lists tenants, whatever its scopes.
    let tenants_key = server::apikey_create(&env.db, "tenants", Some("tap"))
        .await
        .unwrap();
    let r = get(&env, Some(&tenants_key), "/v1/tenants").await;
    assert_eq!((r.status, r.code().as_str()), (403, "forbidden_tenant"));
    // The vendor's all-tenant key: every tenant, and the tenants routes.
    let all = server::apikey_create(&env.db, "check,tenants", None)
        .await
        .unwrap();
    for path in ["/v1/check", "/v1/tenants/tap/check"] {
        assert_eq!(post(&env, &all, path, &body).await.status, 200, "{path}");
    }
    let r = post(
        &env,
        &all,
        "/v1/tenants",
        &json!({"id": "loy", "catalog": "loymax"}),
    )
    .await;
    assert_eq!(r.status, 201, "{:?}", r.json());
    assert_eq!(r.json()["catalog"], json!({"preset": "loymax"}));
    let r = post(
        &env,
        &all,
        "/v1/tenants",
        &json!({"id": "loy", "catalog": "loymax"}),
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (409, "tenant_exists"));
    let r = post(
        &env,
        &all,
        "/v1/tenants",
        &json!({"id": "Bad/Id", "catalog": "loymax"}),
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_tenant_id"));
    let r = post(
        &env,
        &all,
        "/v1/tenants",
        &json!({"id": "x", "catalog": "nope"}),
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_value"));
    let ids: Vec<Value> = get(&env, Some(&all), "/v1/tenants").await.json()["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].clone())
        .collect();
    assert_eq!(ids, [json!("default"), json!("loy"), json!("tap")]);
    let page = get(&env, Some(&all), "/v1/tenants?after=default&limit=1")
        .await
        .json();
    assert_eq!(page["tenants"][0]["id"], "loy");
    // A tenant with no users answers unknown_user; no such tenant is 404.
    let loy = json!({"user": "tina", "label": 1, "action": "x.y"});
    let r = post(&env, &all, "/v1/tenants/loy/check", &loy).await;
    assert!(
        r.status == 200 && r.json()["allowed"] == false,
        "{:?}",
        r.json()
    );
    let r = post(&env, &all, "/v1/tenants/nobody/check", &body).await;
    assert_eq!((r.status, r.code().as_str()), (404, "unknown_tenant"));
}

both!(two_admins_editing_one_user_with_expect_version_one_applies_one_gets_409);
async fn two_admins_editing_one_user_with_expect_version_one_applies_one_gets_409(
    backend: Backend,
) {
    let env = Env::new(backend, "smartico-crm", CRM).await;
    let max = env.get("/v1/users/max").await.json();
    let v = max["version"].as_i64().expect("the user's version");
    let edit = |name: &str| json!({"actor": "ada", "op": "edit_profile", "target": "max", "name": name, "expect_version": v});
    let (edit_a, edit_b) = (edit("Max A"), edit("Max B"));
    let (a, b) = tokio::join!(
        env.post("/v1/admin", &edit_a),
        env.post("/v1/admin", &edit_b)
    );
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "a: {:?} b: {:?}", a.json(), b.json());
    let (won, lost) = if a.status == 200 { (a, b) } else { (b, a) };
    assert_eq!(lost.code(), "version_conflict");
    let now = env.get("/v1/users/max").await.json();
    assert_eq!(
        now["version"],
        won.json()["version"],
        "the applied edit is the last"
    );
    assert!(
        now["name"] == "Max A" || now["name"] == "Max B",
        "the applied edit stands: {now}"
    );
    assert!(now["version"].as_i64().unwrap() > v, "the version moved");
    // The refusal is audited; nothing else changed.
    let audit = env.get("/v1/audit?user=max").await.json();
    let refused: Vec<&Value> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["reason"] == "version_conflict")
        .collect();
    assert_eq!(refused.len(), 1, "{audit}");
    assert_eq!(refused[0]["allowed"], false);
    // With the fresh version the retry applies; `expect_version: 0` says
    // the user must not exist yet.
    let retry = json!({"actor": "ada", "op": "edit_profile", "target": "max", "name": "Max C",
                       "expect_version": now["version"]});
    assert_eq!(env.post("/v1/admin", &retry).await.status, 200);
    let create = json!({"actor": "ada", "op": "create_user", "expect_version": 0,
        "user": {"id": "max", "username": "max2@mycasino", "email": "max2@mycompany.com", "home_label": 4444}});
    let r = env.post("/v1/admin", &create).await;
    assert_eq!((r.status, r.code().as_str()), (409, "version_conflict"));
    let bad = json!({"actor": "ada", "op": "disable", "target": "max", "expect_version": "1"});
    let r = env.post("/v1/admin", &bad).await;
    assert_eq!((r.status, r.code().as_str()), (400, "wrong_type"));
}

/// A directory of `n` users (`g0` .. ), all in label 4444 of the CRM demo's labels.
fn generated(n: usize) -> Value {
    let crm: Value = serde_json::from_str(CRM).unwrap();
    let users: Vec<Value> = (0..n)
        .map(|i| {
            json!({"id": format!("g{i}"), "username": format!("g{i}@mycasino"),
                   "email": format!("g{i}@mycompany.com"), "home_label": 4444,
                   "access": {"4444": {"roles": ["crm_support"]}}})
        })
        .collect();
    json!({"labels": crm["labels"], "users": users})
}

async fn import_file(db: &str, tenant: &str, dir: &Value) -> Result<usize, (String, String)> {
    let path = crate::server::common::temp_dir().join("directory.json");
    std::fs::write(&path, serde_json::to_string_pretty(dir).unwrap()).unwrap();
    server::import(
        db,
        tenant,
        Some("smartico-crm"),
        path.to_str().unwrap(),
        None,
    )
    .await
    .map(|r| r.users)
    .map_err(|e| {
        (
            e.code().to_string(),
            e.path().unwrap_or_default().to_string(),
        )
    })
}

/// How a case spoils a generated directory.
type Spoil = Box<dyn Fn(&mut Value)>;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streamed_import_checks_every_chunk_and_across_chunks_and_fails_whole() {
    let db = crate::server::common::fresh_db(Backend::Sqlite).await;
    let n = 2_500; // three chunks
    assert_eq!(import_file(&db, "big", &generated(n)).await, Ok(n));
    let before = server::export(&db, "big").await.unwrap();
    let exported: Value = serde_json::from_str(&before).unwrap();
    let ids: Vec<&str> = exported["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    let want: Vec<String> = (0..n).map(|i| format!("g{i}")).collect();
    assert!(ids == want, "export gives every user back, in order");
    let last = &exported["users"][n - 1]["access"];
    assert_eq!(last, &generated(n)["users"][n - 1]["access"]);
    let cases: [(&str, Spoil, (&str, &str)); 4] = [
        (
            "an unknown home label in the third chunk",
            Box::new(|d| d["users"][2100]["home_label"] = json!(9)),
            ("unknown_home_label", "users[2100].home_label"),
        ),
        (
            "an id of the first chunk again in the second",
            Box::new(|d| d["users"][1500]["id"] = json!("g10")),
            ("duplicate_id", "users[1500].id"),
        ),
        (
            "a username of the first chunk again in the third, in other case",
            Box::new(|d| d["users"][2400]["username"] = json!("G3@mycasino")),
            ("duplicate_id", "users[2400].username"),
        ),
        (
            "two owners in two chunks",
            Box::new(|d| {
                d["users"][5]["owner"] = json!(true);
                d["users"][2001]["owner"] = json!(true);
            }),
            ("two_owners", "users[2001].owner"),
        ),
    ];
    for (what, spoil, (code, path)) in cases {
        let mut dir = generated(n);
        spoil(&mut dir);
        let got = import_file(&db, "big", &dir).await;
        assert_eq!(got, Err((code.into(), path.into())), "{what}");
        assert_eq!(
            server::export(&db, "big").await.unwrap(),
            before,
            "{what}: nothing changed"
        );
    }
    // A duplicate key inside one user, and a syntax error, with where they are.
    let path = crate::server::common::temp_dir().join("bad.json");
    let text = serde_json::to_string(&generated(3)).unwrap().replacen(
        r#""id":"g2","#,
        r#""id":"g2","id":"g9","#,
        1,
    );
    std::fs::write(&path, &text).unwrap();
    let e = server::import(&db, "big", None, path.to_str().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.path()),
        ("duplicate_key", Some("users[2]")),
        "{e}"
    );
    std::fs::write(&path, &text[..text.len() / 2]).unwrap();
    let e = server::import(&db, "big", None, path.to_str().unwrap(), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "json_syntax", "{e}");
    assert!(e.path().unwrap().starts_with("line 1 column"), "{e}");
    assert_eq!(server::export(&db, "big").await.unwrap(), before);
}

both!(a_token_of_one_tenant_opens_its_own_event_stream_and_no_other);
async fn a_token_of_one_tenant_opens_its_own_event_stream_and_no_other(backend: Backend) {
    use crate::server::sse::open;
    use std::time::Duration;
    // `max` is a user of both tenants: only the tenant tells them apart.
    let env = Env::new(backend, "smartico-crm", CRM).await;
    let mut tap: Value = serde_json::from_str(TAP).unwrap();
    tap["users"].as_array_mut().unwrap().push(json!({"id": "max", "username": "max@mycasino",
        "email": "max@mycompany.com", "home_label": 4444, "access": {"4444": {"roles": ["affiliate_manager"]}}}));
    let record = CatalogRecord::Preset("tap-affiliate".into());
    server::import_tenant_text(&env.db, "tap", record, &tap.to_string(), None)
        .await
        .unwrap();
    let tap_key = server::apikey_create(&env.db, "snapshots,admin", Some("tap"))
        .await
        .unwrap();
    let r = post(
        &env,
        &tap_key,
        "/v1/tenants/tap/snapshots",
        &json!({"user": "max"}),
    )
    .await;
    let tap_token = r.json()["token"].as_str().unwrap().to_string();
    let crm_token = env
        .post("/v1/snapshots", &json!({"user": "max"}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    for (path, token) in [
        ("/v1/events", &tap_token),
        ("/v1/tenants/default/events", &tap_token),
        ("/v1/tenants/tap/events", &crm_token),
    ] {
        let r = request(
            env.addr(),
            "GET",
            &format!("{path}?token={token}"),
            None,
            None,
        )
        .await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (401, "wrong_tenant"),
            "{path} with another tenant's token"
        );
    }
    let mut s = open(
        env.addr(),
        &format!("/v1/tenants/tap/events?token={tap_token}"),
        &[],
    )
    .await;
    assert_eq!(s.status, 200, "tap's stream with tap's token");
    // An op on default's max does not reach tap's max; an op on tap's max does.
    let op = json!({"actor": "ada", "op": "edit_access", "target": "max", "label": 4445, "access": {"roles": ["crm_manager"]}});
    assert_eq!(env.post("/v1/admin", &op).await.status, 200);
    let op = json!({"actor": "tina", "op": "disable", "target": "max"});
    assert_eq!(
        post(&env, &tap_key, "/v1/tenants/tap/admin", &op)
            .await
            .status,
        200
    );
    let mut causes = Vec::new();
    while let Some(b) = s.next_block(Duration::from_millis(1500)).await {
        if b.name == "change" {
            causes.push(b.json()["cause"].as_str().unwrap_or("").to_string());
        }
        if causes.last().is_some_and(|c| c == "disable") {
            break;
        }
    }
    assert!(
        causes.iter().any(|c| c == "disable"),
        "tap's op reaches tap's max: {causes:?}"
    );
    assert!(
        !causes.iter().any(|c| c == "edit_access"),
        "default's op does not: {causes:?}"
    );
}
