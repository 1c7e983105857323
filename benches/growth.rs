//! `cargo bench --features server --bench growth`: how the server's costs
//! grow with the store. For each store size it imports a generated
//! directory with the `permsnap` binary (time and peak memory), starts
//! `permsnap server` (time to its first answer, memory), and loads it over
//! HTTP on loopback (snapshots, checks and admin writes of random users,
//! p50/p99 and rates), then prints one markdown row per size:
//!
//! * SQLite, one tenant of 100 labels: 1,000, 10,000 and 100,000 users
//!   (`PERMSNAP_GROWTH_SQLITE`, comma-separated; add 1000000 for the
//!   1,000,000-user import);
//! * PostgreSQL (a throwaway cluster), 10,000 tenants of 100 users and 10
//!   labels (1,000,000 users; `PERMSNAP_GROWTH_PG_TENANTS`), two instances.
//!
//! Needs the release binary: `PERMSNAP_BIN` (scripts/bench-growth.sh builds
//! it). Bounded: each load runs a few seconds; everything is on 127.0.0.1
//! and stops by itself. `PERMSNAP_BENCH_QUICK=1`: small sizes, 1 s runs.

mod support;

use serde_json::json;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{load, pg_cluster, post, Stats};

fn bin() -> PathBuf {
    std::env::var_os("PERMSNAP_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/release/permsnap"
            ))
        })
}

fn run_time() -> Duration {
    Duration::from_secs(if support::quick() { 1 } else { 5 })
}

fn sizes(var: &str, default: &str) -> Vec<usize> {
    let quick = if var.contains("PG") {
        "20"
    } else {
        "1000,5000"
    };
    let text = std::env::var(var)
        .unwrap_or_else(|_| if support::quick() { quick } else { default }.to_string());
    text.split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// A directory of `users` users over `labels` labels, written as a stream:
/// an admin `ada` (CRM Admin everywhere) and users `u0..` with a role in
/// their home label and another in a second label (one in four restricted).
fn write_directory(path: &Path, users: usize, labels: u64) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    let list: Vec<_> = (1..=labels)
        .map(|id| json!({"id": id, "name": format!("Label {id}"), "suffix": format!("l{id}")}))
        .collect();
    write!(out, "{{\"labels\": {},\n\"users\": [\n", json!(list))?;
    let all: serde_json::Map<String, serde_json::Value> = (1..=labels)
        .map(|id| (id.to_string(), json!({"roles": ["crm_admin"]})))
        .collect();
    let ada = json!({"id": "ada", "username": "ada@l1", "email": "ada@example.com", "home_label": 1, "access": all});
    write!(out, "{ada}")?;
    let roles = ["crm_support", "crm_manager", "crm_engineer"];
    for i in 0..users.saturating_sub(1) {
        let second = 2 + (i as u64 % (labels - 1));
        let restrictions: Vec<&str> = if i % 4 == 0 {
            vec!["no_give_bonus"]
        } else {
            vec![]
        };
        let u = json!({"id": format!("u{i}"), "username": format!("u{i}@l1"), "email": format!("u{i}@example.com"),
            "home_label": 1, "access": {"1": {"roles": [roles[i % 3]], "restrictions": restrictions},
                                        second.to_string(): {"roles": ["crm_support"]}}});
        write!(out, ",\n{u}")?;
    }
    writeln!(out, "\n]}}")?;
    out.flush()
}

/// The peak resident memory of a process so far (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> Option<f64> {
    rss_field(pid, "VmHWM:")
}

/// The resident memory of a process now (VmRSS), in MB.
fn rss_mb(pid: u32) -> Option<f64> {
    rss_field(pid, "VmRSS:")
}

fn rss_field(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Runs the binary to its end, sampling its peak memory: (seconds, peak MB).
fn run_measured(args: &[&str]) -> (f64, f64) {
    let start = Instant::now();
    let mut child = Command::new(bin())
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the permsnap binary (PERMSNAP_BIN)");
    let mut peak: f64 = 0.0;
    loop {
        if let Some(p) = peak_rss_mb(child.id()) {
            peak = peak.max(p);
        }
        if let Ok(Some(status)) = child.try_wait() {
            assert!(status.success(), "permsnap {args:?} failed");
            return (start.elapsed().as_secs_f64(), peak);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A started `permsnap server` child and how long it took to answer.
struct Server {
    child: Child,
    addr: SocketAddr,
    start_ms: f64,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(db: &str) -> Server {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().expect("addr");
    let start = Instant::now();
    let child = Command::new(bin())
        .args(["server", "--db", db, "--listen", &addr.to_string()])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("permsnap server");
    let mut server = Server {
        child,
        addr,
        start_ms: 0.0,
    };
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(mut s) = std::net::TcpStream::connect(addr) {
            use std::io::Read;
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n");
            let mut head = [0u8; 12];
            if s.read_exact(&mut head).is_ok() && head.ends_with(b"200") {
                server.start_ms = start.elapsed().as_secs_f64() * 1000.0;
                return server;
            }
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("permsnap server did not answer within 60 s");
}

/// Where requests go: the tenant of request `i` and its number of users.
#[derive(Clone, Copy)]
struct Shape {
    tenants: usize,
    users: usize,
}

impl Shape {
    fn prefix(&self, i: usize) -> String {
        if self.tenants == 1 {
            "/v1".into()
        } else {
            format!("/v1/tenants/t{}", i % self.tenants)
        }
    }

    /// A random-looking user of request `i`'s tenant (never `ada`).
    fn user(&self, i: usize) -> String {
        let spread = (i.wrapping_mul(2_654_435_761) >> 7) % (self.users - 1).max(1);
        format!("u{spread}")
    }
}

struct Measured {
    snapshot: Stats,
    check: Stats,
    admin: Stats,
}

async fn measure(addrs: &[SocketAddr], key: &str, shape: Shape) -> Measured {
    let k = key.to_string();
    let check: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync> = Arc::new(move |i| {
        let body = format!(
            r#"{{"user":"{}","label":1,"action":"player.give_bonus"}}"#,
            shape.user(i)
        );
        post(&format!("{}/check", shape.prefix(i)), &k, &body)
    });
    let check = load(addrs, 64, 1_000_000, run_time(), check).await;
    let k = key.to_string();
    let snap: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync> = Arc::new(move |i| {
        let body = format!(r#"{{"user":"{}"}}"#, shape.user(i));
        post(&format!("{}/snapshots", shape.prefix(i)), &k, &body)
    });
    let snapshot = load(addrs, 64, 1_000_000, run_time(), snap).await;
    let k = key.to_string();
    let admin: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync> = Arc::new(move |i| {
        let role = ["crm_support", "crm_manager"][(i / 7) % 2];
        let body = format!(
            r#"{{"actor":"ada","op":"edit_access","target":"{}","label":2,"access":{{"roles":["{role}"]}}}}"#,
            shape.user(i)
        );
        post(&format!("{}/admin", shape.prefix(i)), &k, &body)
    });
    let admin = load(addrs, 16, 200_000, run_time(), admin).await;
    Measured {
        snapshot,
        check,
        admin,
    }
}

fn key(db: &str) -> String {
    let out = Command::new(bin())
        .args([
            "apikey",
            "create",
            "--db",
            db,
            "--all-tenants",
            "--scopes",
            "snapshots,check,admin",
            "--key-only",
        ])
        .output()
        .expect("apikey create");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

struct Row {
    store: String,
    users: usize,
    tenants: usize,
    instances: usize,
    import_s: f64,
    import_mb: f64,
    start_ms: f64,
    rss_mb: f64,
    m: Measured,
}

fn lat(s: &Stats) -> String {
    format!("{:.2} / {:.2}", s.pct(0.5), s.pct(0.99))
}

fn rate(s: &Stats) -> String {
    let e = if s.errors > 0 {
        format!(" ({} errors)", s.errors)
    } else {
        String::new()
    };
    format!("{:.0}{e}", s.count as f64 / s.secs)
}

fn print_rows(rows: &[Row]) {
    println!("| store | users | tenants | instances | import | import peak RSS | start-up | server RSS after load | snapshot p50 / p99 ms | check p50 / p99 ms | admin op p50 / p99 ms | snapshots/s | checks/s | admin ops/s |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    for r in rows {
        println!(
            "| {} | {} | {} | {} | {:.1} s | {:.0} MB | {:.0} ms | {:.0} MB | {} | {} | {} | {} | {} | {} |",
            r.store, r.users, r.tenants, r.instances, r.import_s, r.import_mb, r.start_ms, r.rss_mb,
            lat(&r.m.snapshot), lat(&r.m.check), lat(&r.m.admin),
            rate(&r.m.snapshot), rate(&r.m.check), rate(&r.m.admin)
        );
    }
}

fn sqlite_row(rt: &tokio::runtime::Runtime, dir: &Path, users: usize) -> Row {
    let db = format!(
        "sqlite:{}",
        dir.join(format!("growth-{users}.db")).display()
    );
    let file = dir.join(format!("directory-{users}.json"));
    write_directory(&file, users, 100).expect("directory");
    let (import_s, import_mb) = run_measured(&[
        "import",
        "--db",
        &db,
        "--catalog",
        "smartico-crm",
        "--directory",
        &file.to_string_lossy(),
    ]);
    let _ = std::fs::remove_file(&file);
    let key = key(&db);
    let server = start_server(&db);
    let shape = Shape { tenants: 1, users };
    let m = rt.block_on(measure(&[server.addr], &key, shape));
    let rss_mb = rss_mb(server.child.id()).unwrap_or(f64::NAN);
    Row {
        store: "SQLite".into(),
        users,
        tenants: 1,
        instances: 1,
        import_s,
        import_mb,
        start_ms: server.start_ms,
        rss_mb,
        m,
    }
}

fn pg_row(rt: &tokio::runtime::Runtime, dir: &Path, pg: &str, tenants: usize) -> Row {
    let per = 100;
    let file = dir.join("tenant.json");
    write_directory(&file, per, 10).expect("directory");
    let db = rt.block_on(async {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut c = sqlx::AnyConnection::connect(pg).await.expect("pg");
        sqlx::query("CREATE DATABASE growth")
            .execute(&mut c)
            .await
            .expect("create db");
        format!("{}/growth", pg.rsplit_once('/').map_or("", |(p, _)| p))
    });
    // One connection imports every tenant in turn (the binary would pay a
    // process start and a connection per tenant).
    let start = Instant::now();
    rt.block_on(async {
        let store = permsnap::server::db::Db::connect(&db, 2).await.expect("db");
        for t in 0..tenants {
            let plan = permsnap::server::bulk::ImportPlan {
                tenant: &format!("t{t}"),
                catalog: permsnap::server::store::CatalogRecord::Preset("smartico-crm".into()),
                source: permsnap::server::bulk::Source::File(file.clone()),
                sso_config: None,
                now: permsnap::server::clock::system_now(),
            };
            permsnap::server::bulk::import_file(&store, plan, |_| {})
                .await
                .expect("import");
        }
    });
    let import_s = start.elapsed().as_secs_f64();
    let key = key(&db);
    let servers = [start_server(&db), start_server(&db)];
    let addrs: Vec<SocketAddr> = servers.iter().map(|s| s.addr).collect();
    let shape = Shape {
        tenants,
        users: per,
    };
    let m = rt.block_on(measure(&addrs, &key, shape));
    let rss_mb = servers
        .iter()
        .filter_map(|s| rss_mb(s.child.id()))
        .fold(0.0, f64::max);
    let start_ms = servers.iter().map(|s| s.start_ms).fold(0.0, f64::max);
    Row {
        store: "PostgreSQL".into(),
        users: tenants * per,
        tenants,
        instances: 2,
        import_s,
        import_mb: f64::NAN,
        start_ms,
        rss_mb,
        m,
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("rt");
    let dir = std::env::temp_dir().join(format!("permsnap-growth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut rows = Vec::new();
    for users in sizes("PERMSNAP_GROWTH_SQLITE", "1000,10000,100000") {
        eprintln!("growth: SQLite, {users} users");
        rows.push(sqlite_row(&rt, &dir, users));
    }
    let pg_tenants = sizes("PERMSNAP_GROWTH_PG_TENANTS", "10000");
    if !pg_tenants.is_empty() {
        let (pg, pg_dir) = pg_cluster();
        for tenants in pg_tenants {
            eprintln!("growth: PostgreSQL, {tenants} tenants");
            rows.push(pg_row(&rt, &dir, &pg, tenants));
        }
        let _ = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/pg.sh"))
            .args(["stop", &pg_dir.join("pg").to_string_lossy()])
            .status();
    }
    let _ = std::fs::remove_dir_all(&dir);
    print_rows(&rows);
}
