//! `cargo bench --features server --bench server`: the server over HTTP on
//! loopback. Snapshots/s, checks/s and admin writes/s with p50/p99 latency
//! on SQLite (one instance) and on PostgreSQL (one and two instances on one
//! database; the cluster is a throwaway one started by scripts/pg.sh).
//! Bounded: each run stops after a few seconds or a request budget. Prints
//! markdown tables; scripts/bench.sh puts them in BENCHMARKS.md.
//! `PERMSNAP_BENCH_QUICK=1`: one-second runs (a smoke run, not for publishing).

mod support;

use permsnap::server::{self, store::CatalogRecord, Clock, Config, Limits};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use support::{load, pg_cluster, post, Stats};

/// Generated users (`PERMSNAP_BENCH_USERS`, default 500).
fn users() -> usize {
    std::env::var("PERMSNAP_BENCH_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500)
}

/// The CRM demo's labels with `PERMSNAP_BENCH_USERS` generated users (roles, additional
/// roles and restriction roles on two labels), plus an admin.
fn run_time() -> Duration {
    Duration::from_secs(if support::quick() { 1 } else { 5 })
}

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
    let stats = load(addrs, 64, 400_000, run_time(), check).await;
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
    let stats = load(addrs, 64, 200_000, run_time(), snap).await;
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
    let stats = load(addrs, 16, 50_000, run_time(), admin).await;
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
