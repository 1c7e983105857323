//! Bad input and abuse: every case gets its status and code, never a 500;
//! slow or idle connections are closed on time; a huge request line is
//! refused with bounded memory; the connection limit holds.

use crate::server::common::{request, Backend, Conn, Env, CRM};
use serde_json::json;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn env() -> Env {
    Env::new(Backend::Sqlite, "smartico-crm", CRM).await
}

/// Waits until the server closes the connection; returns when.
async fn closed_at(conn: &mut Conn, limit: Duration) -> Instant {
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit, conn.stream.read(&mut buf)).await {
            Err(_) => panic!("still open after {limit:?}"),
            Ok(Ok(0)) | Ok(Err(_)) => return Instant::now(),
            Ok(Ok(_)) => {}
        }
    }
}

fn rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_body_gets_413_declared_or_chunked() {
    let env = env().await;
    let big = vec![b' '; 70 * 1024];
    let r = request(env.addr(), "POST", "/v1/check", Some(&env.key), Some(&big)).await;
    assert_eq!((r.status, r.code().as_str()), (413, "body_too_large"));
    // Chunked, no length announced: the reader stops at the limit.
    let mut c = Conn::open(env.addr()).await;
    let head = format!(
        "POST /v1/check HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {}\r\ntransfer-encoding: chunked\r\n\r\n",
        env.key
    );
    c.stream.write_all(head.as_bytes()).await.unwrap();
    for _ in 0..80 {
        let chunk = format!("400\r\n{}\r\n", " ".repeat(1024));
        if c.stream.write_all(chunk.as_bytes()).await.is_err() {
            break;
        }
    }
    let _ = c.stream.write_all(b"0\r\n\r\n").await;
    let r = c.read_reply().await.expect("a reply");
    assert_eq!((r.status, r.code().as_str()), (413, "body_too_large"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_request_line_is_refused_with_bounded_memory() {
    let env = env().await;
    let before = rss_kb();
    let mut c = Conn::open(env.addr()).await;
    c.stream.write_all(b"GET /").await.unwrap();
    let chunk = vec![b'a'; 64 * 1024];
    let mut sent = 0usize;
    // Up to 200 MB: the server must answer and close long before.
    while sent < 200 * 1024 * 1024 {
        match tokio::time::timeout(Duration::from_secs(5), c.stream.write_all(&chunk)).await {
            Ok(Ok(())) => sent += chunk.len(),
            _ => break,
        }
    }
    assert!(
        sent < 50 * 1024 * 1024,
        "the server kept reading: {sent} bytes"
    );
    let grown_mb = rss_kb().saturating_sub(before) / 1024;
    assert!(grown_mb < 32, "memory grew by {grown_mb} MB");
    // The head limit answers 431 (the head guard, JSON) and the server stays healthy.
    let r = request(env.addr(), "GET", "/healthz", None, None).await;
    assert_eq!(r.status, 200);
    let long = format!("/v1/users/{}", "x".repeat(20_000));
    let r = request(env.addr(), "GET", &long, Some(&env.key), None).await;
    assert_eq!((r.status, r.code().as_str()), (431, "header_too_large"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_slow_connections_are_closed_on_time() {
    let env = env().await; // head and body timeouts: 2 s
    let limit = Duration::from_secs(4);
    let t0 = Instant::now();
    // Connected, silent.
    let mut idle = Conn::open(env.addr()).await;
    // One request, then idle on keep-alive.
    let mut kept = Conn::open(env.addr()).await;
    assert_eq!(kept.call("GET", "/healthz", None, None).await.status, 200);
    // A head sent one byte at a time (slowloris).
    let slow = Conn::open(env.addr()).await;
    let slow_task = tokio::spawn(async move {
        let mut slow = slow;
        for b in b"GET /healthz HTTP/1.1\r\nx-slow: "
            .iter()
            .chain([b'a'; 100].iter())
        {
            if slow.stream.write_all(&[*b]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        closed_at(&mut slow, limit).await
    });
    let t_idle = closed_at(&mut idle, limit).await - t0;
    let t_kept = closed_at(&mut kept, limit).await - t0;
    let t_slow = slow_task.await.unwrap() - t0;
    // The head timeout is 2 s; the slow head would take 13 s to send.
    for (what, t) in [
        ("idle", t_idle),
        ("keep-alive", t_kept),
        ("slow head", t_slow),
    ] {
        assert!(
            t >= Duration::from_millis(1500) && t < Duration::from_millis(3500),
            "{what}: {t:?}"
        );
    }
    // A body that stalls: 408 when the body timeout passes.
    let mut c = Conn::open(env.addr()).await;
    let head = format!(
        "POST /v1/check HTTP/1.1\r\nhost: t\r\nauthorization: Bearer {}\r\ncontent-length: 100\r\n\r\n{{\"user\"",
        env.key
    );
    c.stream.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    let r = c.read_reply().await.expect("a reply");
    assert_eq!((r.status, r.code().as_str()), (408, "body_timeout"));
    assert!(start.elapsed() < limit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_closed_at_once() {
    let env = Env::with(Backend::Sqlite, "smartico-crm", CRM, |mut c| {
        c.limits.max_connections = 4;
        c
    })
    .await;
    let mut held = Vec::new();
    for _ in 0..4 {
        let mut c = Conn::open(env.addr()).await;
        assert_eq!(c.call("GET", "/healthz", None, None).await.status, 200);
        held.push(c);
    }
    let mut extra = Conn::open(env.addr()).await;
    extra.send("GET", "/healthz", None, None).await;
    assert!(
        extra.read_reply().await.is_none(),
        "the fifth connection is closed"
    );
    drop(held);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        request(env.addr(), "GET", "/healthz", None, None)
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_bad_input_gets_a_500_or_a_panic() {
    let env = env().await;
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        vec![0xff, 0xfe, 0x00],
        deep.clone().into_bytes()[..60_000].to_vec(),
        br#"{"user": "sue", "label": 1e400, "action": "x"}"#.to_vec(),
        br#"{"user": "sue", "label": -1, "action": "x"}"#.to_vec(),
        br#"{"user": "sue", "label": 18446744073709551616, "action": "x"}"#.to_vec(),
        br#"{"user": "\ud800", "label": 4444, "action": "player.give_bonus"}"#.to_vec(),
        br#"{"user": "sue", "ttl": -5}"#.to_vec(),
        br#"{"user": "sue", "audience": ""}"#.to_vec(),
        br#"{"actor": "ada", "op": "create_user", "user": {"id": "", "username": "a@mycasino", "email": "a", "home_label": 4444}}"#.to_vec(),
        br#"{"actor": "ada", "op": "edit_access", "target": "sue", "label": 999999, "access": {}}"#.to_vec(),
        br#"{"actor": "ada", "op": "edit_access", "target": "sue", "label": 4444, "access": []}"#.to_vec(),
        br#"{"actor": "ada", "op": "set_expiry", "target": "sue"}"#.to_vec(),
        br#"{"config": {"providers": []}, "login": {}}"#.to_vec(),
        br#"{"config": 5, "login": {"provider": "google", "iss": "i", "sub": "s", "email": "a@b", "email_verified": true}}"#.to_vec(),
        br#"{"login": {"provider": "google", "iss": "i", "sub": "s", "email": "a@b", "email_verified": true}}"#.to_vec(),
    ];
    for path in ["/v1/check", "/v1/snapshots", "/v1/admin", "/v1/sso/login"] {
        for body in &bodies {
            let r = request(env.addr(), "POST", path, Some(&env.key), Some(body)).await;
            assert!(
                (400..500).contains(&r.status) || r.status == 200,
                "{path} {}: {} {}",
                String::from_utf8_lossy(&body[..body.len().min(80)]),
                r.status,
                String::from_utf8_lossy(&r.body)
            );
            if r.status != 200 {
                assert!(!r.code().is_empty(), "{path}: a JSON error with a code");
            }
        }
    }
    let r = request(
        env.addr(),
        "GET",
        "/v1/audit?limit=abc",
        Some(&env.key),
        None,
    )
    .await;
    assert_eq!((r.status, r.code().as_str()), (400, "bad_query"));
    let r = request(
        env.addr(),
        "POST",
        "/v1/check",
        Some(&env.key),
        Some(json!({"user": "x"}).to_string().as_bytes()),
    )
    .await;
    assert_eq!(r.status, 400);
}
