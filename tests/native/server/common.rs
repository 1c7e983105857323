//! The harness: stores (a SQLite file, or a fresh database in a throwaway
//! PostgreSQL cluster that the first test starts), servers on free ports,
//! API keys, and a small HTTP/1.1 client over a raw socket (so the abuse
//! tests can also send what no client library would).

use permsnap::server::{self, store::CatalogRecord, Clock, Config, Limits, Running};
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn unique(prefix: &str) -> String {
    format!(
        "{prefix}{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// This process's scratch root, removed by a watcher process once this
/// process has exited (tests leave nothing behind).
fn scratch_root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let root =
            std::env::temp_dir().join(format!("permsnap-server-test-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        // Traversable by the `postgres` user, who runs the test cluster.
        let _ = std::process::Command::new("chmod")
            .arg("755")
            .arg(&root)
            .status();
        let watcher = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; rm -rf '{root}'",
            pid = std::process::id(),
            root = root.display()
        );
        spawn_watcher(&watcher);
        root
    })
}

#[allow(
    clippy::zombie_processes,
    reason = "the watcher outlives this process on purpose"
)]
fn spawn_watcher(script: &str) {
    std::process::Command::new("sh")
        .args(["-c", script])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
}

/// A fresh directory for one test.
pub fn temp_dir() -> PathBuf {
    let d = scratch_root().join(unique("t"));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A free local port.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The URL of the test cluster: `PERMSNAP_TEST_PG` when set, else a
/// throwaway cluster started here (once per test binary) and stopped by a
/// watcher process when this process ends. No PostgreSQL: the test fails.
pub fn pg_base_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("PERMSNAP_TEST_PG") {
            return url;
        }
        let dir = std::env::temp_dir().join(unique("permsnap-server-pg-"));
        std::fs::create_dir_all(&dir).unwrap();
        let _ = std::process::Command::new("chmod").arg("755").arg(&dir).status();
        let port = free_port().to_string();
        let pg = dir.join("pg");
        let script = repo().join("scripts/pg.sh");
        let out = std::process::Command::new(&script)
            .args(["start", pg.to_str().unwrap(), &port])
            .output()
            .expect("scripts/pg.sh runs");
        assert!(
            out.status.success(),
            "the PostgreSQL test cluster did not start (run scripts/setup.sh): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Stops the cluster once this test process has exited.
        spawn_watcher(&format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; '{script}' stop '{pg}'; rm -rf '{dir}'",
            pid = std::process::id(),
            script = script.display(),
            pg = pg.display(),
            dir = dir.display()
        ));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
    .clone()
}

/// A fresh, empty store URL.
pub async fn fresh_db(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => format!("sqlite:{}", temp_dir().join("store.db").display()),
        Backend::Postgres => {
            use sqlx::Connection;
            let base = pg_base_url();
            let name = unique("t_");
            sqlx::any::install_default_drivers();
            let mut c = sqlx::AnyConnection::connect(&base).await.unwrap();
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut c)
                .await
                .unwrap();
            let (prefix, _) = base.rsplit_once('/').unwrap();
            format!("{prefix}/{name}")
        }
    }
}

/// A test configuration on a free port with short timeouts.
pub fn config(db: &str) -> Config {
    Config {
        db: db.to_string(),
        listen: "127.0.0.1:0".parse().unwrap(),
        limits: Limits {
            header_timeout: std::time::Duration::from_secs(2),
            body_timeout: std::time::Duration::from_secs(2),
            ..Limits::default()
        },
        db_connections: 8,
        clock: Clock::System,
        ..Config::default()
    }
}

/// The CRM demo directory used by most tests.
pub const CRM: &str = include_str!("../../../src/server/demo/crm-directory.json");

/// A store with `directory` under `catalog` (a preset id) and a started server.
pub struct Env {
    pub db: String,
    pub server: Running,
    pub key: String,
}

impl Env {
    pub async fn new(backend: Backend, catalog: &str, directory: &str) -> Env {
        Env::with(backend, catalog, directory, |c| c).await
    }

    pub async fn with(
        backend: Backend,
        catalog: &str,
        directory: &str,
        tweak: impl FnOnce(Config) -> Config,
    ) -> Env {
        let db = fresh_db(backend).await;
        server::import_text(&db, CatalogRecord::Preset(catalog.into()), directory, None)
            .await
            .unwrap();
        let key = server::apikey_create(&db, "snapshots,check,admin,sso,read", Some("default"))
            .await
            .unwrap();
        let server = server::start(tweak(config(&db))).await.unwrap();
        Env { db, server, key }
    }

    pub fn addr(&self) -> SocketAddr {
        self.server.addr
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        request(
            self.addr(),
            "POST",
            path,
            Some(&self.key),
            Some(body.to_string().as_bytes()),
        )
        .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        request(self.addr(), "GET", path, Some(&self.key), None).await
    }
}

/// A response: status, headers (lowercase names) and the body.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// `error.code` of an error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

/// One request on a new connection.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&[u8]>,
) -> Reply {
    let mut c = Conn::open(addr).await;
    c.send(method, path, key, body).await;
    c.read_reply().await.expect("a reply")
}

/// A keep-alive connection.
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub async fn open(addr: SocketAddr) -> Conn {
        let stream = TcpStream::connect(addr).await.unwrap();
        stream.set_nodelay(true).unwrap();
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    pub async fn send(&mut self, method: &str, path: &str, key: Option<&str>, body: Option<&[u8]>) {
        // The server's own address, as a browser or curl names it.
        let host = self.stream.peer_addr().unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nhost: {host}\r\n");
        if let Some(k) = key {
            head.push_str(&format!("authorization: Bearer {k}\r\n"));
        }
        let body = body.unwrap_or_default();
        if method == "POST" {
            head.push_str(&format!(
                "content-type: application/json\r\ncontent-length: {}\r\n",
                body.len()
            ));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.stream.write_all(&bytes).await.unwrap();
    }

    pub async fn call(
        &mut self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let text = body.map(|b| b.to_string());
        self.send(method, path, key, text.as_deref().map(str::as_bytes))
            .await;
        self.read_reply().await.expect("a reply")
    }

    /// Reads one response; `None` when the server closed the connection.
    pub async fn read_reply(&mut self) -> Option<Reply> {
        let head_end = loop {
            if let Some(i) = find(&self.buf, b"\r\n\r\n") {
                break i;
            }
            if !self.fill().await {
                return None;
            }
        };
        let head = String::from_utf8_lossy(&self.buf[..head_end]).to_string();
        let mut lines = head.split("\r\n");
        let status: u16 = lines.next()?.split(' ').nth(1)?.parse().ok()?;
        let headers: Vec<(String, String)> = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        let len: usize = headers
            .iter()
            .find(|(n, _)| n == "content-length")
            .and_then(|(_, v)| v.parse().ok())
            .unwrap_or(0);
        let start = head_end + 4;
        while self.buf.len() < start + len {
            if !self.fill().await {
                return None;
            }
        }
        let body = self.buf[start..start + len].to_vec();
        self.buf.drain(..start + len);
        Some(Reply {
            status,
            headers,
            body,
        })
    }

    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 16384];
        match self.stream.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `permsnap server` as a child process on `db` and `port`, its stdout
/// (the request log) into `log`.
pub fn spawn_server(db: &str, port: u16, log: &std::path::Path) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_permsnap"))
        .args([
            "server",
            "--db",
            db,
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .stdout(std::fs::File::create(log).unwrap())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap()
}
