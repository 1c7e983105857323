//! What the server benchmarks share: HTTP/1.1 keep-alive load on loopback
//! with latencies, and a throwaway PostgreSQL cluster.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// `PERMSNAP_BENCH_QUICK=1`: short runs (a smoke run, not for publishing).
pub fn quick() -> bool {
    std::env::var("PERMSNAP_BENCH_QUICK").is_ok()
}

/// The answers of one load run.
pub struct Stats {
    /// requests answered 200
    pub count: usize,
    /// requests answered otherwise, or not at all
    pub errors: usize,
    /// how long the run took
    pub secs: f64,
    /// the 200s' latencies, sorted
    pub latencies_us: Vec<u32>,
}

impl Stats {
    /// The `p` percentile latency, in milliseconds.
    pub fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies_us.len() as f64 - 1.0) * p).round() as usize;
        self.latencies_us[i] as f64 / 1000.0
    }
}

/// One keep-alive connection: writes a request, reads one response.
pub async fn call(stream: &mut TcpStream, req: &[u8], buf: &mut Vec<u8>) -> Option<u16> {
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

pub fn post(path: &str, key: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: bench\r\nauthorization: Bearer {key}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// `conns` connections spread over `addrs`, each sending `make(i)` requests
/// back to back until the run time or `budget` requests have passed.
pub async fn load(
    addrs: &[SocketAddr],
    conns: usize,
    budget: usize,
    run_time: Duration,
    make: Arc<dyn Fn(usize) -> Vec<u8> + Send + Sync>,
) -> Stats {
    let start = Instant::now();
    let deadline = start + run_time;
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

/// A throwaway PostgreSQL cluster (scripts/pg.sh): its URL and directory.
pub fn pg_cluster() -> (String, std::path::PathBuf) {
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
