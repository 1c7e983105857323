//! The findings of issue 19's security review, each tried again as the
//! attacker tried it, over HTTP: a weaker admin stripping a stronger one,
//! a planted SSO identity, the acting user taken from the body, ids and
//! emails that look like others, conflicting event-stream credentials, and
//! request heads HTTP refuses.

use crate::server::common::{request, Backend, Conn, Env, Reply, CRM};
use crate::server::sse::{open, token};
use permsnap::server::{self, store::CatalogRecord};
use serde_json::{json, Value};
use tokio::io::AsyncWriteExt;

/// The CRM store, with Lim: CRM Admin in 4444 only, restricted there.
async fn with_lim(b: Backend) -> Env {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let lim = json!({"actor": "olga", "op": "create_user", "user": {"id": "lim",
        "username": "lim@mycasino", "email": "lim@mycompany.com", "home_label": 4444,
        "access": {"4444": {"roles": ["crm_admin"], "restrictions": ["no_give_bonus"]}}}});
    let r = env.post("/v1/admin", &lim).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    env
}

async fn holds(env: &Env, user: &str, label: u64, action: &str) -> bool {
    let r = env
        .post(
            "/v1/check",
            &json!({"user": user, "label": label, "action": action}),
        )
        .await;
    r.json()["allowed"] == true
}

both!(a_weaker_admin_can_neither_strip_a_stronger_admin_nor_take_away_what_they_lack);
async fn a_weaker_admin_can_neither_strip_a_stronger_admin_nor_take_away_what_they_lack(
    b: Backend,
) {
    let env = with_lim(b).await;
    // The finding: Lim empties Ada's entry in 4445, where Lim is no admin.
    let r = env
        .post(
            "/v1/admin",
            &json!({"actor": "lim", "op": "edit_access", "target": "ada", "label": 4445, "access": {}}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "not_admin_of_label"));
    assert!(holds(&env, "ada", 4445, "users.manage").await);
    // In 4444, Lim may not take Sue's give-bonus away: Lim does not hold it.
    let r = env
        .post(
            "/v1/admin",
            &json!({"actor": "lim", "op": "edit_access", "target": "sue", "label": 4444, "access": {}}),
        )
        .await;
    assert_eq!((r.status, r.code().as_str()), (403, "escalation"));
    assert!(holds(&env, "sue", 4444, "player.give_bonus").await);
    // Ada, who holds all of it, may.
    let r = env
        .post(
            "/v1/admin",
            &json!({"actor": "ada", "op": "edit_access", "target": "sue", "label": 4444, "access": {}}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    assert!(!holds(&env, "sue", 4444, "player.give_bonus").await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_cannot_plant_an_sso_identity_and_a_directory_holding_one_twice_is_refused() {
    let env = with_lim(Backend::Sqlite).await;
    let google = "https://accounts.google.com";
    let planted = json!({"actor": "lim", "op": "create_user", "user": {"id": "zzz",
        "username": "zzz@mycasino", "email": "zzz@mycompany.com", "home_label": 4444,
        "identities": [{"iss": google, "sub": "sam-real"}]}});
    let r = env.post("/v1/admin", &planted).await;
    assert_eq!((r.status, r.code().as_str()), (403, "identity_not_allowed"));
    assert_eq!(env.get("/v1/users/zzz").await.status, 404);
    // Sam's first SSO login lands in Sam (by email), not in a planted user.
    let config =
        json!({"providers": ["google"], "domains": ["mycompany.com"], "allow_creation": false});
    let login = json!({"provider": "google", "iss": google, "sub": "sam-real",
                       "email": "sam@mycompany.com", "email_verified": true});
    let r = env
        .post("/v1/sso/login", &json!({"config": config, "login": login}))
        .await;
    assert_eq!(
        (r.json()["outcome"].as_str(), r.json()["user"].as_str()),
        (Some("matched"), Some("sam"))
    );
    // A directory in which two users hold one identity does not import.
    let mut doc: Value = serde_json::from_str(CRM).unwrap();
    for u in doc["users"].as_array_mut().unwrap().iter_mut().take(2) {
        u["identities"] = json!([{"iss": google, "sub": "sam-real"}]);
    }
    let db = crate::server::common::fresh_db(Backend::Sqlite).await;
    let record = CatalogRecord::Preset("smartico-crm".into());
    let e = server::import_text(&db, record, &doc.to_string(), None)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "duplicate_identity", "{e}");
    assert_eq!(e.path(), Some("users[1].identities[0]"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ids_and_emails_that_look_like_others_are_refused() {
    let env = with_lim(Backend::Sqlite).await;
    for email in [
        "",
        "ada@mycompany.com\u{0}",
        "ＡＤＡ@mycompany.com",
        "<script>@x",
    ] {
        let op = json!({"actor": "ada", "op": "edit_profile", "target": "sue", "email": email});
        let r = env.post("/v1/admin", &op).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "bad_email"),
            "{email:?}"
        );
    }
    assert_eq!(
        env.get("/v1/users/sue").await.json()["email"],
        "sue@mycompany.com"
    );
    for (i, id) in ["😀", "ada\u{200b}", "ＡＤＡ", "../../etc/passwd"]
        .into_iter()
        .enumerate()
    {
        let op = json!({"actor": "ada", "op": "create_user", "user": {"id": id,
            "username": format!("n{i}@mycasino"), "email": format!("n{i}@mycompany.com"),
            "home_label": 4444}});
        let r = env.post("/v1/admin", &op).await;
        assert_eq!(
            (r.status, r.code().as_str()),
            (403, "bad_user_id"),
            "{id:?}"
        );
    }
    let users = request(env.addr(), "GET", "/v1/users/n0", Some(&env.key), None).await;
    assert_eq!(users.status, 404);
}

both!(a_key_that_requires_an_actor_token_acts_only_as_the_tokens_user);
async fn a_key_that_requires_an_actor_token_acts_only_as_the_tokens_user(b: Backend) {
    let env = with_lim(b).await;
    let strict = server::apikey_create_with(&env.db, "admin", Some("default"), true)
        .await
        .unwrap();
    let post = |body: Value| {
        let key = strict.clone();
        let addr = env.addr();
        async move {
            request(
                addr,
                "POST",
                "/v1/admin",
                Some(&key),
                Some(body.to_string().as_bytes()),
            )
            .await
        }
    };
    let disable_max = json!({"op": "disable", "target": "max"});
    let with = |extra: Value| {
        let mut v = disable_max.clone();
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    // The finding: a leaked key names the owner as the actor.
    let r = post(with(json!({"actor": "olga"}))).await;
    assert_eq!((r.status, r.code().as_str()), (401, "actor_token_required"));
    // A token that is not this server's, or tampered with.
    let sue = token(&env, "sue").await;
    // One character of the signature changed (not the last: its low bits are padding).
    let at = sue.len() - 10;
    let other = if &sue[at..at + 1] == "A" { "B" } else { "A" };
    let tampered = format!("{}{other}{}", &sue[..at], &sue[at + 1..]);
    let r = post(with(json!({"actor_token": tampered}))).await;
    assert_eq!(r.status, 401);
    assert!(
        ["bad_signature", "malformed"].contains(&r.code().as_str()),
        "{}",
        r.code()
    );
    // Sue's own token: Sue acts (and Sue is no admin).
    let r = post(with(json!({"actor_token": sue}))).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (403, "not_admin_of_home_label")
    );
    // A token and an actor that disagree.
    let ada = token(&env, "ada").await;
    let r = post(with(json!({"actor_token": ada, "actor": "olga"}))).await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "conflicting_credentials")
    );
    // Ada's token: Ada acts, and the audit says so.
    let r = post(with(json!({"actor_token": ada}))).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    let audit = env.get("/v1/audit?user=max").await.json();
    let last = audit["records"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "ada");
    assert!(
        !last["detail"].to_string().contains(&ada),
        "the token is not stored"
    );
    // An expired token: refused with the verification code.
    let short = env
        .post("/v1/snapshots", &json!({"user": "ada", "ttl": 1}))
        .await
        .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let enable = json!({"op": "enable", "target": "max", "actor_token": short});
    let r = post(enable).await;
    assert_eq!((r.status, r.code().as_str()), (401, "expired"));
    // A key without the flag still takes `actor` (the documented trust model).
    let r = env
        .post(
            "/v1/admin",
            &json!({"actor": "ada", "op": "enable", "target": "max"}),
        )
        .await;
    assert_eq!(r.status, 200, "{:?}", r.json());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_stream_with_two_different_tokens_is_refused() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let (sue, max) = (token(&env, "sue").await, token(&env, "max").await);
    let auth = format!("Bearer {sue}");
    let s = open(
        env.addr(),
        &format!("/v1/events?token={max}"),
        &[("authorization", &auth)],
    )
    .await;
    let r = s.error_reply().await;
    assert_eq!(
        (r.status, r.code().as_str()),
        (400, "conflicting_credentials")
    );
    // The same token twice is one credential.
    let s = open(
        env.addr(),
        &format!("/v1/events?token={sue}"),
        &[("authorization", &auth)],
    )
    .await;
    assert_eq!(s.status, 200);
}

/// Sends `head` (and nothing else) on a new connection; the answer.
async fn raw(env: &Env, head: &[u8]) -> Reply {
    let mut c = Conn::open(env.addr()).await;
    c.stream.write_all(head).await.unwrap();
    c.read_reply().await.expect("a reply")
}

fn head_with(lines: &str) -> String {
    format!("GET /healthz HTTP/1.1\r\nhost: x\r\n{lines}\r\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_refused_request_head_gets_a_json_error_at_the_documented_limits() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let r = raw(&env, head_with("x-a: a\0b\r\n").as_bytes()).await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_request"));
    // 100 headers pass (host and 99 more); 101 do not.
    let lines = |n: usize| -> String { (0..n).map(|i| format!("x-{i}: 1\r\n")).collect() };
    assert_eq!(
        raw(&env, head_with(&lines(99)).as_bytes()).await.status,
        200
    );
    let r = raw(&env, head_with(&lines(100)).as_bytes()).await;
    assert_eq!((r.status, r.code().as_str()), (431, "too_many_headers"));
    // A head of 16 KiB exactly passes; one byte more does not.
    let base = head_with("x-pad: \r\n").len();
    let pad = |n: usize| head_with(&format!("x-pad: {}\r\n", "p".repeat(n)));
    let exact = pad(16 * 1024 - base);
    assert_eq!(exact.len(), 16 * 1024);
    assert_eq!(raw(&env, exact.as_bytes()).await.status, 200);
    let r = raw(&env, pad(16 * 1024 - base + 1).as_bytes()).await;
    assert_eq!((r.status, r.code().as_str()), (431, "header_too_large"));
    // A request line that is not HTTP.
    let r = raw(&env, b"GET /healthz HTTP/1.1 extra\r\nhost: x\r\n\r\n").await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_request"));
    // Keep-alive after bodies, sized and chunked: each next head is checked.
    let mut c = Conn::open(env.addr()).await;
    let body = r#"{"user": "sue", "label": 4444, "action": "player.view"}"#;
    let sized = format!(
        "POST /v1/check HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        env.key,
        body.len()
    );
    let chunked = format!(
        "POST /v1/check HTTP/1.1\r\nhost: x\r\nauthorization: Bearer {}\r\ntransfer-encoding: chunked\r\n\r\n{:x}\r\n{body}\r\n0\r\n\r\n",
        env.key,
        body.len()
    );
    let all = format!("{sized}{chunked}{}", head_with("x-a: a\0b\r\n"));
    c.stream.write_all(all.as_bytes()).await.unwrap();
    for _ in 0..2 {
        let r = c.read_reply().await.expect("a reply");
        assert_eq!(r.json()["reason"], "granted", "{:?}", r.json());
    }
    let r = c.read_reply().await.expect("a reply");
    assert_eq!((r.status, r.code().as_str()), (400, "bad_request"));
    assert!(c.read_reply().await.is_none(), "the connection is closed");
}
