//! `cargo bench --features server --bench server`: the server over HTTP on
//! loopback. Snapshots/s, checks/s and admin writes/s with p50/p99 latency
//! on SQLite (one instance) and on PostgreSQL (one and two instances on one
//! database; the cluster is a throwaway one started by scripts/pg.sh).
//! Bounded: each run stops after a few seconds or a request budget. Prints
//! markdown tables; scripts/bench.sh puts them in BENCHMARKS.md.
//! `PERMSNAP_BENCH_QUICK=1`: one-second runs (a smoke run, not for publishing).

use permsnap::server::{self, store::CatalogRecord, Clock, Config, Limits};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generated users (`PERMSNAP_BENCH_USERS`, default 500).
fn users() -> usize {
    std::env::var("PERMSNAP_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

fn quick() -> bool {
    std::env::var("PERMSNAP_BENCH_QUICK").is_ok()
}

fn run_time() -> Duration {
    Duration::from_secs(if quick() { 1 } else { 5 })
}

/// The CRM demo's labels with `PERMSNAP_BENCH_USERS` generated users (roles, additional
/// roles and restriction roles on two labels), plus an admin.
fn directory() -> String {
    let mut list = vec![
        serde_json::json!({"id": "ada", "username": "ada@mycasino", "email": "ada@example.com",
        "home_label": 4444, "access": {"4444": {"roles": ["crm_admin"]}, "4445": {"roles": ["crm_admin"]}}}),
    ];
    let roles = ["crm_support", "crm_manager", "crm_engineer"];
    for i in 0..users() {
        list.push(serde_json::json!({"id": format!("u{i}"), "username": format!("u{i}@mycasino"),
            "email": format!("u{i}@example.com"), "home_label": 4444,
            "access": {"4444": {"roles": [roles[i % 3]], "restrictions": if i % 4 == 0 { vec!["no_give_bonus"] } else { vec![] }},
                       "4445": {"roles": ["crm_support"], "additional": ["complete_missions"]}}}));
    }
    serde_json::json!({"labels": [{"id": 4444, "name": "MyCasino Europe", "suffix": "mycasino"},
                                  {"id": 4445, "name": "MyCasino USA", "suffix": "mycasinous"}],
                       "users": list})
    .to_string()
}

struct Stats {
    count: usize,
    errors: usize,
    secs: f64,
    latencies_us: Vec<u32>,
}

impl Stats {
    fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

/// One keep-alive connection: writes a request, reads one response.
async fn call(stream: &mut TcpStream, req: &[u8], buf: &mut Vec<u8>) -> Option<u16> {
    stream.write_all(req).await.ok()?;
    buf.clear();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = std::str::from_utf8(&buf[..end]).ok()?;
            let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
            let len: usize = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse().ok())
                })
                .flatten()?;
            while buf.len() < end + 4 + len {
                let n = stream.read(&mut chunk).await.ok()?;
                if n == 0 {
                    return None;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return Some(status);
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn post(path: &str, key: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `conns` connections spread over `addrs`, each sending `make(i)` requests
/// back to back until the run time or `budget` requests have passed.
async fn load(
    addrs: &[SocketAddr],
    conns: usize,
    budget: usize,
    make: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>,
) -> Stats {
    let start = Instant::now();
    let deadline = start + run_time();
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..conns {
        let (addr, next, make) = (addrs[c % addrs.len()], next.clone(), make.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            let Ok(mut s) = TcpStream::connect(addr).await else {
                return (lat, 1);
            };
            let _ = s.set_nodelay(true);
            let mut buf = Vec::with_capacity(8192);
            while Instant::now() < deadline {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= budget {
                    break;
                }
                let req = make(i);
                let t = Instant::now();
                match call(&mut s, &req, &mut buf).await {
                    Some(200) => lat.push(t.elapsed().as_micros().min(u32::MAX as u128) as u32),
                    Some(_) => errors += 1,
                    None => {
                        errors += 1;
                        break;
                    }
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            latencies_us.extend(l);
            errors += e;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    latencies_us.sort_unstable();
    Stats {
        count: latencies_us.len(),
        errors,
        secs,
        latencies_us,
    }
}

struct Row {
    store: &'static str,
    instances: usize,
    op: &'static str,
    conns: usize,
    stats: Stats,
}

async fn scenario(rows: &mut Vec<Row>, store: &'static str, addrs: &[SocketAddr], key: &str) {
    let instances = addrs.len();
    let users = users();
    let k = key.to_string();
    let check: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync> = Arc::new(move |i| {
        let actions = [
            "player.give_bonus",
            "campaign.activate_marketing",
            "player.send_message",
            "settings.view",
        ];
        post(
            "/v1/check",
            &k,
            &format!(
                r#"{{"user":"u{}","label":{},"action":"{}"}}"#,
                i % users,
                4444 + (i % 2),
                actions[i % 4]
            ),
        )
    });
    let stats = load(addrs, 64, 400_000, check).await;
    rows.push(Row {
        store,
        instances,
        op: "check",
        conns: 64,
        stats,
    });
    let k = key.to_string();
    let snap: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync> = Arc::new(move |i| {
        post(
            "/v1/snapshots",
            &k,
            &format!(r#"{{"user":"u{}"}}"#, i % users),
        )
    });
    let stats = load(addrs, 64, 200_000, snap).await;
    rows.push(Row {
        store,
        instances,
        op: "snapshot",
        conns: 64,
        stats,
    });
    let k = key.to_string();
    let admin: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync> = Arc::new(move |i| {
        let role = ["crm_support", "crm_manager"][(i / users) % 2];
        post(
            "/v1/admin",
            &k,
            &format!(
                r#"{{"actor":"ada","op":"edit_access","target":"u{}","label":4445,"access":{{"roles":["{role}"]}}}}"#,
                i % users
            ),
        )
    });
    let stats = load(addrs, 16, 50_000, admin).await;
    rows.push(Row {
        store,
        instances,
        op: "admin write",
        conns: 16,
        stats,
    });
}

fn config(db: &str) -> Config {
    Config {
        db: db.to_string(),
        listen: "127.0.0.1:0".parse().unwrap_or_else(|_| unreachable!()),
        limits: Limits::default(),
        db_connections: 8,
        clock: Clock::System,
        ..Config::default()
    }
}

/// Prepares a store and starts `instances` servers on it (in `rt`).
fn start(
    rt: &tokio::runtime::Runtime,
    db: &str,
    instances: usize,
) -> (Vec<server::Running>, String) {
    rt.block_on(async {
        server::import_text(
            db,
            CatalogRecord::Preset("smartico-crm".into()),
            &directory(),
            None,
        )
        .await
        .expect("import");
        let key = server::apikey_create(db, "snapshots,check,admin", Some("default"))
            .await
            .expect("key");
        let mut running = Vec::new();
        for _ in 0..instances {
            running.push(server::start(config(db)).await.expect("start"));
        }
        (running, key)
    })
}

fn pg_cluster() -> (String, std::path::PathBuf) {
    let dir = std::env::temp_dir().join(format!("permsnap-bench-pg-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a port");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh");
    let out = std::process::Command::new(script)
        .args([
            "start",
            &dir.join("pg").to_string_lossy(),
            &port.to_string(),
        ])
        .output()
        .expect("scripts/pg.sh");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (String::from_utf8_lossy(&out.stdout).trim().to_string(), dir)
}

fn table(rows: &[Row]) {
    println!("| store | instances | operation | connections | requests | per second | p50 ms | p99 ms | errors |");
    println!("| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        let s = &r.stats;
        println!(
            "| {} | {} | {} | {} | {} | {:.0} | {:.2} | {:.2} | {} |",
            r.store,
            r.instances,
            r.op,
            r.conns,
            s.count,
            s.count as f64 / s.secs,
            s.pct(0.5),
            s.pct(0.99),
            s.errors
        );
    }
}

fn targets(rows: &[Row]) {
    let find = |op: &str| rows.iter().find(|r| r.store == "SQLite" && r.op == op);
    println!();
    println!("| target (SQLite, one instance, over HTTP) | measured | verdict |");
    println!("| --- | --- | --- |");
    for (op, want) in [("snapshot", 5_000.0), ("check", 20_000.0)] {
        if let Some(r) = find(op) {
            let rate = r.stats.count as f64 / r.stats.secs;
            let p99 = r.stats.pct(0.99);
            let ok = rate >= want && p99 < 20.0;
            println!(
                "| {op}s ≥ {want:.0}/s with p99 < 20 ms | {rate:.0}/s, p99 {p99:.2} ms | {} |",
                if ok { "**met**" } else { "**missed**" }
            );
        }
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` and the like: nothing to list
    }
    // The servers on their own runtime (2 workers), the load on another.
    let servers = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let client = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let mut rows = Vec::new();

    let dir = std::env::temp_dir().join(format!("permsnap-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    let sqlite = format!("sqlite:{}", dir.join("bench.db").display());
    let (running, key) = start(&servers, &sqlite, 1);
    let addrs: Vec<SocketAddr> = running.iter().map(|r| r.addr).collect();
    client.block_on(scenario(&mut rows, "SQLite", &addrs, &key));
    servers.block_on(async {
        for r in running {
            let _ = r.stop().await;
        }
    });

    let (pg, pg_dir) = pg_cluster();
    for instances in [1, 2] {
        let db = client.block_on(async {
            use sqlx::Connection;
            sqlx::any::install_default_drivers();
            let mut c = sqlx::AnyConnection::connect(&pg).await.expect("pg");
            let name = format!("bench{instances}");
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .expect("create db");
            format!("{}/{name}", pg.rsplit_once('/').map_or("", |(p, _)| p))
        });
        let (running, key) = start(&servers, &db, instances);
        let addrs: Vec<SocketAddr> = running.iter().map(|r| r.addr).collect();
        client.block_on(scenario(&mut rows, "PostgreSQL", &addrs, &key));
        servers.block_on(async {
            for r in running {
                let _ = r.stop().await;
            }
        });
    }
    let _ = std::process::Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh"))
        .args(["stop", &pg_dir.join("pg").to_string_lossy()])
        .status();
    let _ = std::fs::remove_dir_all(&dir);

    println!("### 6a. Over HTTP on loopback ({} users, `smartico-crm`; load generator in the same process, same 2 cores)", users());
    println!();
    table(&rows);
    targets(&rows);
}
