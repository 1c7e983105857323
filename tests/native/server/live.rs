//! Live change events (`GET /v1/events`): an admin op reaches its target's
//! stream within 1 s on SQLite and on PostgreSQL, on one instance and
//! across two; a user gets only their own events (and everyone's: an
//! import, a key rotation); reconnects resume without missing a change,
//! across a restart too; tokens are refused with their codes; the stream
//! limit and heartbeats; the request log never holds a token. The delays
//! over 20 changes are printed (`cargo test ... -- --nocapture live`).

use crate::server::common::{config, request, Backend, Env, CRM};
use crate::server::sse::{self, admin, median_max, open, open_events, restrict, timed, token};
use permsnap::server::{self, Clock, EventOptions};
use serde_json::json;
use std::time::{Duration, Instant};

const SECOND: Duration = Duration::from_secs(1);

fn signed_ms(later: Instant, earlier: Instant) -> f64 {
    if later >= earlier {
        (later - earlier).as_secs_f64() * 1000.0
    } else {
        -((earlier - later).as_secs_f64() * 1000.0)
    }
}

/// Makes `n` changes of Sue's restrictions through `writer` while `rx`
/// (Sue's stream, read in its own task) receives them. Each event must
/// arrive within 1 s of the op's request; returns the delays in ms from
/// each op's response to its event (negative: the event came first).
async fn timed_changes(
    writer: &Env,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<(Instant, sse::Block)>,
    n: usize,
) -> Vec<f64> {
    let mut delays = Vec::new();
    for i in 0..n {
        let restrictions: &[&str] = if i % 2 == 0 { &["no_give_bonus"] } else { &[] };
        let sent = Instant::now();
        let r = admin(writer, restrict("sue", restrictions)).await;
        let answered = Instant::now();
        let version = r.json()["version"].clone();
        let (arrived, ev) = loop {
            let (at, ev) = tokio::time::timeout(SECOND, rx.recv())
                .await
                .unwrap_or_else(|_| panic!("change {i}: no event within 1 s of the response"))
                .expect("the stream is open");
            if ev.name == "change" && ev.json()["version"] == version {
                break (at, ev);
            }
        };
        assert_eq!(
            ev.json(),
            json!({"user": "sue", "version": version, "cause": "edit_access"})
        );
        assert!(
            arrived.saturating_duration_since(sent) < SECOND,
            "change {i}: {:?} after the request",
            arrived - sent
        );
        delays.push(signed_ms(arrived, answered));
    }
    delays
}

fn report(what: &str, delays: Vec<f64>) {
    let n = delays.len();
    let (median, max) = median_max(delays);
    println!(
        "live events, {what}: from the admin op's response to the event, over {n} changes: median {median:.2} ms, max {max:.2} ms"
    );
}

both!(an_admin_op_reaches_the_targets_stream_within_1s_20_times);
async fn an_admin_op_reaches_the_targets_stream_within_1s_20_times(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let mut s = open_events(env.addr(), &token(&env, "sue").await, None).await;
    assert_eq!(s.status, 200);
    assert_eq!(s.header("content-type"), Some("text/event-stream"));
    let opening = s.until_ready().await;
    // A fresh token's stream replays the changes from 2 s before its `iat`
    // on: here only the import that just made the store.
    let ready = opening.last().unwrap();
    assert_eq!(ready.json()["user"], "sue");
    let replayed: Vec<_> = opening[..opening.len() - 1]
        .iter()
        .map(|b| b.json()["cause"].clone())
        .collect();
    assert!(replayed.iter().all(|c| c == "import"), "{opening:?}");
    assert_eq!(
        opening[0].retry,
        Some(1000),
        "the stream says how soon to reconnect"
    );
    let mut rx = timed(s);
    let delays = timed_changes(&env, &mut rx, 20).await;
    report(&format!("{b:?}, one instance"), delays);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_through_one_postgres_instance_reaches_a_stream_on_the_other_within_1s() {
    let a = Env::new(Backend::Postgres, "smartico-crm", CRM).await;
    let b = server::start(config(&a.db)).await.unwrap();
    let t = token(&a, "sue").await;
    let mut s = open_events(b.addr, &t, None).await;
    assert_eq!(s.status, 200);
    s.until_ready().await;
    let mut rx = timed(s);
    let delays = timed_changes(&a, &mut rx, 20).await;
    report("PostgreSQL, written through A, streamed by B", delays);
    b.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_gets_only_their_own_events() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let mut sue = open_events(env.addr(), &token(&env, "sue").await, None).await;
    let mut max = open_events(env.addr(), &token(&env, "max").await, None).await;
    sue.until_ready().await;
    max.until_ready().await;
    let r = admin(&env, restrict("max", &["no_give_bonus"])).await;
    let ev = max.next_change(SECOND).await.expect("Max's own event");
    assert_eq!(ev.json()["version"], r.json()["version"]);
    assert_eq!(ev.json()["user"], "max");
    let r = admin(&env, restrict("sue", &["hide_links"])).await;
    let ev = sue.next_change(SECOND).await.expect("Sue's own event");
    assert_eq!(
        ev.json(),
        json!({"user": "sue", "version": r.json()["version"], "cause": "edit_access"}),
        "the first event Sue gets is hers, not Max's"
    );
    assert!(max.next_change(Duration::from_millis(300)).await.is_none());
    // A denied op changes nothing and tells no one.
    let r = env
        .post(
            "/v1/admin",
            &json!({"actor": "sue", "op": "disable", "target": "max"}),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(max.next_change(Duration::from_millis(300)).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_import_and_a_key_rotation_reach_every_users_stream() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let mut sue = open_events(env.addr(), &token(&env, "sue").await, None).await;
    let mut max = open_events(env.addr(), &token(&env, "max").await, None).await;
    sue.until_ready().await;
    max.until_ready().await;
    // Another process's writes (the CLI's): the pump finds them by polling.
    let start = Instant::now();
    server::keys_rotate(&env.db).await.unwrap();
    for s in [&mut sue, &mut max] {
        let ev = s.next_change(SECOND).await.expect("a rotation event");
        assert_eq!(ev.json()["cause"], "keys_rotate");
    }
    let record = server::store::CatalogRecord::Preset("smartico-crm".into());
    server::import_text(&env.db, record, CRM, None)
        .await
        .unwrap();
    for s in [&mut sue, &mut max] {
        let ev = s.next_change(SECOND).await.expect("an import event");
        assert_eq!(ev.json()["cause"], "import");
    }
    assert!(start.elapsed() < 2 * SECOND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_falls_behind_the_broadcast_rereads_the_log_and_misses_nothing() {
    let env = Env::with(Backend::Sqlite, "smartico-crm", CRM, |c| server::Config {
        events: EventOptions {
            buffer: 1,
            ..EventOptions::default()
        },
        ..c
    })
    .await;
    let mut s = open_events(env.addr(), &token(&env, "sue").await, None).await;
    let ready = s.until_ready().await.pop().unwrap().id();
    // Three changes by another process land between two polls: the pump
    // broadcasts them at once into a buffer of one.
    for _ in 0..3 {
        server::keys_rotate(&env.db).await.unwrap();
    }
    let mut ids = Vec::new();
    for _ in 0..3 {
        let ev = s.next_change(2 * SECOND).await.expect("every rotation");
        assert_eq!(ev.json()["cause"], "keys_rotate");
        ids.push(ev.id());
    }
    assert_eq!(ids, [ready + 1, ready + 2, ready + 3]);
    assert!(
        s.next_change(Duration::from_millis(700)).await.is_none(),
        "no duplicate"
    );
}

both!(a_reconnect_with_last_event_id_receives_the_change_it_missed);
async fn a_reconnect_with_last_event_id_receives_the_change_it_missed(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let t = token(&env, "sue").await;
    let mut s = open_events(env.addr(), &t, None).await;
    let last = s.until_ready().await.pop().unwrap().id.unwrap();
    drop(s);
    let r = admin(&env, restrict("sue", &["no_give_bonus"])).await;
    admin(&env, restrict("max", &["no_give_bonus"])).await;
    let path = format!("/v1/events?token={t}");
    let mut s = open(env.addr(), &path, &[("last-event-id", &last)]).await;
    let got = s.until_ready().await;
    assert_eq!(got.len(), 2, "the missed change, then ready: {got:?}");
    assert_eq!(got[0].json()["version"], r.json()["version"]);
    assert!(got[0].id() > last.parse().unwrap());
    // `?since=` does the same; `Last-Event-ID` (a later id) wins over it.
    let mut s = open_events(env.addr(), &t, Some(last.parse().unwrap())).await;
    assert_eq!(s.until_ready().await.len(), 2);
    let newest = got[1].id.clone().unwrap();
    let path = format!("{path}&since={last}");
    let mut s = open(env.addr(), &path, &[("last-event-id", &newest)]).await;
    assert_eq!(
        s.until_ready().await.len(),
        1,
        "nothing after the newest id"
    );
    let r = open(env.addr(), &path, &[("last-event-id", "x")])
        .await
        .error_reply()
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_event_id"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_opened_after_its_token_was_issued_gets_the_change_in_between() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let t = token(&env, "sue").await;
    let r = admin(&env, restrict("sue", &["no_give_bonus"])).await;
    let mut s = open_events(env.addr(), &t, None).await;
    let got = s.until_ready().await;
    // (The import that made the store, seconds before, may come first.)
    let change = &got[got.len() - 2];
    assert_eq!(change.json()["version"], r.json()["version"], "{got:?}");
    assert_eq!(change.json()["cause"], "edit_access");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_id_the_log_does_not_cover_gets_one_resync() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let t = token(&env, "sue").await;
    let mut s = open_events(env.addr(), &t, Some(1_000_000)).await;
    let got = s.until_ready().await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].json()["cause"], "resync");
    assert_eq!(got[0].id(), got[1].id());
}

both!(a_restart_loses_nothing_for_a_page_that_reconnects);
async fn a_restart_loses_nothing_for_a_page_that_reconnects(b: Backend) {
    let env = Env::new(b, "smartico-crm", CRM).await;
    let addr = env.addr();
    let t = token(&env, "sue").await;
    let mut s = open_events(addr, &t, None).await;
    let last = s.until_ready().await.pop().unwrap().id.unwrap();
    // Stopping ends open streams at once (shutdown does not wait for them).
    let stopping = Instant::now();
    env.server.stop().await.unwrap();
    assert!(stopping.elapsed() < 2 * SECOND, "{:?}", stopping.elapsed());
    assert!(s.next_event(SECOND).await.is_none(), "the stream ended");
    // While it is down, another instance writes.
    let other = Env {
        server: server::start(config(&env.db)).await.unwrap(),
        db: env.db.clone(),
        key: env.key.clone(),
    };
    let r = admin(&other, restrict("sue", &["no_give_bonus"])).await;
    other.server.stop().await.unwrap();
    // Back on the same address: the page reconnects as EventSource does.
    let back = server::start(server::Config {
        listen: addr,
        ..config(&env.db)
    })
    .await
    .unwrap();
    let path = format!("/v1/events?token={t}");
    let mut s = open(addr, &path, &[("last-event-id", &last)]).await;
    let got = s.until_ready().await;
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].json()["version"], r.json()["version"]);
    back.stop().await.unwrap();
}

async fn refused(
    addr: std::net::SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, String) {
    let r = open(addr, path, headers).await.error_reply().await;
    (r.status, r.code())
}

/// A token for `user` signed by another key: unknown to the server, or
/// claiming the server's own `kid`.
fn foreign_token(user: &str, kid: Option<&str>) -> String {
    let catalog = permsnap::native::presets::preset("smartico-crm").unwrap();
    let dir = permsnap::Directory::from_json_text(CRM, "crm", &catalog).unwrap();
    let model = permsnap::Model::new(catalog, dir);
    let key = permsnap::PrivateKey::from_seed(&[7; 32], kid);
    let now = server::clock::system_now();
    permsnap::issue(&model, user, now, &permsnap::IssueOptions::default(), &key).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_or_foreign_tokens_are_refused_with_their_code() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let addr = env.addr();
    assert_eq!(
        refused(addr, "/v1/events", &[]).await,
        (401, "missing_token".into())
    );
    assert_eq!(
        refused(addr, "/v1/events?token=abc", &[]).await,
        (401, "malformed".into())
    );
    let key = format!("Bearer {}", env.key);
    let api_key = refused(addr, "/v1/events", &[("authorization", &key)]).await;
    assert_eq!(
        api_key,
        (401, "malformed".into()),
        "an API key is no snapshot token"
    );
    let foreign = foreign_token("sue", None);
    let path = format!("/v1/events?token={foreign}");
    assert_eq!(refused(addr, &path, &[]).await, (401, "unknown_key".into()));
    let jwks = request(addr, "GET", "/.well-known/jwks.json", None, None)
        .await
        .json();
    let kid = jwks["keys"][0]["kid"].as_str().unwrap().to_string();
    let forged = foreign_token("sue", Some(&kid));
    let path = format!("/v1/events?token={forged}");
    assert_eq!(
        refused(addr, &path, &[]).await,
        (401, "bad_signature".into())
    );
    // Another audience: refused unless the stream names it.
    let r = env
        .post(
            "/v1/snapshots",
            &json!({"user": "sue", "audience": "reports"}),
        )
        .await;
    let other = r.json()["token"].as_str().unwrap().to_string();
    let path = format!("/v1/events?token={other}");
    assert_eq!(
        refused(addr, &path, &[]).await,
        (401, "wrong_audience".into())
    );
    let mut s = open(addr, &format!("{path}&audience=reports"), &[]).await;
    assert_eq!(s.status, 200);
    s.until_ready().await;
    // The header works as well as the query.
    let bearer = format!("Bearer {}", token(&env, "sue").await);
    let mut s = open(addr, "/v1/events", &[("authorization", &bearer)]).await;
    assert_eq!(s.status, 200);
    s.until_ready().await;
    let r = open(addr, "/v1/events?tokn=x", &[])
        .await
        .error_reply()
        .await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_query"));
}

/// A token for Sue that expired `ago` seconds ago, signed by the store's key
/// (issued by an instance whose clock is behind).
async fn expired_token(env: &Env, ago: i64) -> String {
    let then = server::clock::system_now() - (ago + 60) * 1000;
    let past = server::start(server::Config {
        clock: Clock::Fixed(then),
        ..config(&env.db)
    })
    .await
    .unwrap();
    let body = json!({"user": "sue", "ttl": 60}).to_string();
    let r = request(
        past.addr,
        "POST",
        "/v1/snapshots",
        Some(&env.key),
        Some(body.as_bytes()),
    )
    .await;
    past.stop().await.unwrap();
    r.json()["token"].as_str().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_token_opens_a_stream_only_within_the_grace() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let grace = EventOptions::default().token_grace.as_secs() as i64;
    let lately = expired_token(&env, grace / 2).await;
    let mut s = open_events(env.addr(), &lately, None).await;
    assert_eq!(
        s.status,
        200,
        "expired {}s ago, within the grace",
        grace / 2
    );
    s.until_ready().await;
    let long_ago = expired_token(&env, grace + 30).await;
    let path = format!("/v1/events?token={long_ago}");
    assert_eq!(
        refused(env.addr(), &path, &[]).await,
        (401, "expired".into())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_beyond_the_limit_get_503_and_idle_streams_get_heartbeats() {
    let env = Env::with(Backend::Sqlite, "smartico-crm", CRM, |c| server::Config {
        events: EventOptions {
            max_streams: 2,
            heartbeat: Duration::from_millis(200),
            ..EventOptions::default()
        },
        ..c
    })
    .await;
    let t = token(&env, "sue").await;
    let mut one = open_events(env.addr(), &t, None).await;
    let mut two = open_events(env.addr(), &t, None).await;
    one.until_ready().await;
    two.until_ready().await;
    let path = format!("/v1/events?token={t}");
    assert_eq!(
        refused(env.addr(), &path, &[]).await,
        (503, "too_many_streams".into())
    );
    let beat = one.next_block(SECOND).await.unwrap();
    assert_eq!(beat.comment.as_deref(), Some("ping"), "{beat:?}");
    // A page that leaves frees its place (found at the next heartbeat).
    drop(two);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let mut three = open_events(env.addr(), &t, None).await;
    assert_eq!(three.status, 200);
    three.until_ready().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_request_log_never_contains_a_token() {
    let env = Env::new(Backend::Sqlite, "smartico-crm", CRM).await;
    let log = crate::server::common::temp_dir().join("server.log");
    let port = crate::server::common::free_port();
    let mut child = crate::server::common::spawn_server(&env.db, port, &log);
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let start = Instant::now();
    while tokio::net::TcpStream::connect(addr).await.is_err() {
        assert!(
            start.elapsed() < 30 * SECOND,
            "the child server did not start"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let t = token(&env, "sue").await;
    let mut s = open_events(addr, &t, Some(0)).await;
    s.until_ready().await;
    let bearer = format!("Bearer {t}");
    let mut s2 = open(addr, "/v1/events", &[("authorization", &bearer)]).await;
    s2.until_ready().await;
    let bad = format!("{t}x");
    open_events(addr, &bad, None).await.error_reply().await;
    drop((s, s2));
    let _ = child.kill();
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("/v1/events")).collect();
    assert_eq!(lines.len(), 3, "{text}");
    for part in t.split('.') {
        assert!(!text.contains(part), "a token part in the log: {text}");
    }
    assert!(!text.contains("token="), "{text}");
    assert!(
        lines.iter().all(|l| l.contains("\"path\":\"/v1/events\"")),
        "{text}"
    );
}
