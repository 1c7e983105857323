//! Kill -9 during 1,000 concurrent admin writes: after a restart every
//! acknowledged write is there and none is half-applied. The server is the
//! `permsnap server` binary in a child process, whose log is then read: one
//! JSON line per request, never a key, a token or an email.

use crate::server::common::{config, fresh_db, request, temp_dir, Backend, Conn, CRM};
use permsnap::server::{self, store::CatalogRecord};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WRITES: usize = 1000;
const KILL_AFTER: usize = 300;
const WORKERS: usize = 32;

async fn wait_ready(addr: std::net::SocketAddr) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) {
        if tokio::net::TcpStream::connect(addr).await.is_ok()
            && request(addr, "GET", "/healthz", None, None).await.status == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the child server did not start");
}

fn create(i: usize) -> Value {
    json!({"actor": "ada", "op": "create_user", "user": {"id": format!("w{i}"),
        "username": format!("w{i}@mycasino"), "email": format!("w{i}@mycompany.com"), "home_label": 4444,
        "access": {"4444": {"roles": ["crm_support"]}, "4445": {"roles": ["crm_support"], "restrictions": ["hide_links"]}}}})
}

/// Runs the writes from `WORKERS` connections; kills the child after
/// `KILL_AFTER` acknowledgements. Returns the acknowledged indices.
async fn write_until_killed(
    addr: std::net::SocketAddr,
    key: &str,
    child: Arc<Mutex<std::process::Child>>,
) -> Vec<usize> {
    let next = Arc::new(AtomicUsize::new(0));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let mut tasks = Vec::new();
    for _ in 0..WORKERS {
        let (next, acked, child, key) =
            (next.clone(), acked.clone(), child.clone(), key.to_string());
        tasks.push(tokio::spawn(async move {
            let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
                return;
            };
            drop(stream);
            let mut c = Conn::open(addr).await;
            loop {
                let i = next.fetch_add(1, Ordering::SeqCst);
                if i >= WRITES {
                    return;
                }
                let text = create(i).to_string();
                c.send("POST", "/v1/admin", Some(&key), Some(text.as_bytes()))
                    .await;
                match c.read_reply().await {
                    Some(r) if r.status == 200 => {
                        let mut a = acked.lock().unwrap();
                        a.push(i);
                        if a.len() == KILL_AFTER {
                            child.lock().unwrap().kill().unwrap(); // SIGKILL
                        }
                    }
                    Some(r) => panic!(
                        "write {i}: {} {}",
                        r.status,
                        String::from_utf8_lossy(&r.body)
                    ),
                    None => return, // the server died with this write in flight
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let a = acked.lock().unwrap().clone();
    a
}

/// Every acknowledged user is there whole; every user there is whole and audited.
async fn check_store(db: &str, acked: &[usize]) -> usize {
    let env_key = server::apikey_create(db, "read").await.unwrap();
    let running = server::start(config(db)).await.unwrap();
    let mut c = Conn::open(running.addr).await;
    let export: Value = serde_json::from_str(&server::export(db).await.unwrap()).unwrap();
    let present: Vec<&Value> = export["users"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|u| u["id"].as_str().unwrap().starts_with('w'))
        .collect();
    for u in &present {
        let i: usize = u["id"].as_str().unwrap()[1..].parse().unwrap();
        let want = &create(i)["user"];
        assert_eq!(u["access"], want["access"], "user w{i} whole");
    }
    for i in acked {
        let r = c
            .call("GET", &format!("/v1/users/w{i}"), Some(&env_key), None)
            .await;
        assert_eq!(r.status, 200, "acknowledged write w{i} is there");
    }
    let audit = c
        .call("GET", "/v1/audit?user=ada&limit=1000", Some(&env_key), None)
        .await
        .json();
    let applied = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "create_user" && r["allowed"] == true)
        .count();
    assert_eq!(
        applied,
        present.len(),
        "one audit record per applied write, no more, no less"
    );
    running.stop().await.unwrap();
    present.len()
}

fn check_log(log: &std::path::Path, secrets: &[&str]) {
    let text = std::fs::read_to_string(log).unwrap();
    let mut requests = 0;
    for line in text.lines() {
        for s in secrets {
            assert!(!line.contains(s), "the log carries a secret: {line}");
        }
        if !line.starts_with('{') {
            continue; // the test harness's own lines
        }
        let v: Value =
            serde_json::from_str(line).unwrap_or_else(|_| panic!("not a JSON line: {line}"));
        if v["target"] == "permsnap::http" {
            let f = &v["fields"];
            for k in ["method", "path", "status", "latency_us", "outcome"] {
                assert!(!f[k].is_null(), "{k} in {line}");
            }
            requests += 1;
        }
    }
    assert!(requests >= KILL_AFTER, "one line per request: {requests}");
}

async fn kill_during_writes(b: Backend) {
    let db = fresh_db(b).await;
    server::import_text(&db, CatalogRecord::Preset("smartico-crm".into()), CRM, None)
        .await
        .unwrap();
    let key = server::apikey_create(&db, "snapshots,admin").await.unwrap();
    let log = temp_dir().join("server.log");
    let port = crate::server::common::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let child = Arc::new(Mutex::new(crate::server::common::spawn_server(
        &db, port, &log,
    )));
    wait_ready(addr).await;
    let token = request(
        addr,
        "POST",
        "/v1/snapshots",
        Some(&key),
        Some(br#"{"user": "sue"}"#),
    )
    .await
    .json()["token"]
        .as_str()
        .unwrap()
        .to_string();
    let acked = write_until_killed(addr, &key, child.clone()).await;
    child.lock().unwrap().wait().unwrap();
    assert!(
        acked.len() >= KILL_AFTER && acked.len() < WRITES,
        "killed mid-way: {} acknowledged",
        acked.len()
    );
    let present = check_store(&db, &acked).await;
    assert!(
        present >= acked.len() && present <= acked.len() + WORKERS,
        "{present} present"
    );
    check_log(&log, &[&key, &token, "@mycompany.com"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_1000_admin_writes_sqlite() {
    kill_during_writes(Backend::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_1000_admin_writes_postgres() {
    kill_during_writes(Backend::Postgres).await
}
