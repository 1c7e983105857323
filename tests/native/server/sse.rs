//! A small Server-Sent Events client over a raw socket (chunked transfer
//! decoding, event blocks, heartbeat comments), as EventSource reads a
//! stream, plus helpers to issue tokens and wait for events.

use crate::server::common::{Env, Reply};
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One SSE block: an event (`name`, `id`, `data`) or a comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    pub name: String,
    pub id: Option<String>,
    pub data: String,
    pub retry: Option<u64>,
    pub comment: Option<String>,
}

impl Block {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap_or_else(|e| panic!("{e}: {}", self.data))
    }

    pub fn id(&self) -> i64 {
        self.id.as_deref().unwrap().parse().unwrap()
    }
}

/// An open stream, or the error answer that refused it.
pub struct Stream {
    sock: TcpStream,
    raw: Vec<u8>,
    text: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
}

/// Opens `GET path` with extra request headers.
pub async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Stream {
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.set_nodelay(true).unwrap();
    let mut head = format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\naccept: text/event-stream\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str("\r\n");
    sock.write_all(head.as_bytes()).await.unwrap();
    let mut s = Stream {
        sock,
        raw: Vec::new(),
        text: String::new(),
        status: 0,
        headers: Vec::new(),
    };
    s.read_head().await;
    s
}

/// Opens `/v1/events?token=...` (and `&since=` when given).
pub async fn open_events(addr: SocketAddr, token: &str, since: Option<i64>) -> Stream {
    let since = since.map(|s| format!("&since={s}")).unwrap_or_default();
    open(addr, &format!("/v1/events?token={token}{since}"), &[]).await
}

impl Stream {
    async fn fill(&mut self, deadline: Instant) -> bool {
        let mut chunk = [0u8; 8192];
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, self.sock.read(&mut chunk)).await {
            Ok(Ok(n)) if n > 0 => {
                self.raw.extend_from_slice(&chunk[..n]);
                true
            }
            _ => false,
        }
    }

    async fn read_head(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        let end = loop {
            if let Some(i) = find(&self.raw, b"\r\n\r\n") {
                break i;
            }
            assert!(self.fill(deadline).await, "no response head");
        };
        let head = String::from_utf8_lossy(&self.raw[..end]).to_string();
        self.raw.drain(..end + 4);
        let mut lines = head.split("\r\n");
        self.status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        self.headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
            .collect();
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body of a refused (non-streaming) answer.
    pub async fn error_reply(mut self) -> Reply {
        let len: usize = self.header("content-length").unwrap().parse().unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.raw.len() < len {
            assert!(self.fill(deadline).await, "short body");
        }
        Reply {
            status: self.status,
            headers: self.headers.clone(),
            body: self.raw[..len].to_vec(),
        }
    }

    /// Moves whole chunks from `raw` to `text`; `false` at the last chunk.
    fn dechunk(&mut self) -> bool {
        while let Some(i) = find(&self.raw, b"\r\n") {
            let size_text = String::from_utf8_lossy(&self.raw[..i]).to_string();
            let size = usize::from_str_radix(size_text.trim(), 16).unwrap();
            if size == 0 {
                return false;
            }
            if self.raw.len() < i + 2 + size + 2 {
                return true;
            }
            let data = self.raw[i + 2..i + 2 + size].to_vec();
            self.text.push_str(&String::from_utf8(data).unwrap());
            self.raw.drain(..i + 2 + size + 2);
        }
        true
    }

    /// The next block (event or comment) within `wait`; `None` at the end
    /// of the stream or on timeout.
    pub async fn next_block(&mut self, wait: Duration) -> Option<Block> {
        let deadline = Instant::now() + wait;
        loop {
            let open = self.dechunk();
            if let Some(i) = self.text.find("\n\n") {
                let block: String = self.text.drain(..i + 2).collect();
                return Some(parse_block(&block));
            }
            if !open || !self.fill(deadline).await {
                return None;
            }
        }
    }

    /// The next event (heartbeat comments skipped) within `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Option<Block> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let b = self.next_block(left).await?;
            if b.comment.is_none() {
                return Some(b);
            }
        }
    }

    /// Events up to and including the first `ready`.
    pub async fn until_ready(&mut self) -> Vec<Block> {
        let mut out = Vec::new();
        loop {
            let b = self
                .next_event(Duration::from_secs(10))
                .await
                .expect("a ready event");
            let ready = b.name == "ready";
            out.push(b);
            if ready {
                return out;
            }
        }
    }

    /// The next `change` event within `wait`.
    pub async fn next_change(&mut self, wait: Duration) -> Option<Block> {
        let deadline = Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let b = self.next_event(left).await?;
            if b.name == "change" {
                return Some(b);
            }
        }
    }
}

fn parse_block(block: &str) -> Block {
    let mut b = Block {
        name: "message".into(),
        id: None,
        data: String::new(),
        retry: None,
        comment: None,
    };
    for line in block.lines() {
        if let Some(c) = line.strip_prefix(':') {
            b.comment = Some(c.trim().to_string());
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value);
        match field {
            "event" => b.name = value.to_string(),
            "id" => b.id = Some(value.to_string()),
            "data" => b.data.push_str(value),
            "retry" => b.retry = value.parse().ok(),
            _ => {}
        }
    }
    b
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A snapshot token for `user` from `env`'s server.
pub async fn token(env: &Env, user: &str) -> String {
    let r = env.post("/v1/snapshots", &json!({"user": user})).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    r.json()["token"].as_str().unwrap().to_string()
}

/// An admin op on `env` that must be allowed; returns its reply.
pub async fn admin(env: &Env, op: Value) -> Reply {
    let r = env.post("/v1/admin", &op).await;
    assert_eq!(r.status, 200, "{:?}", r.json());
    r
}

/// `edit_access` by Ada on `target` in 4444 with these restrictions.
pub fn restrict(target: &str, restrictions: &[&str]) -> Value {
    let role = if target == "max" || target == "rita" {
        "crm_manager"
    } else {
        "crm_support"
    };
    json!({"actor": "ada", "op": "edit_access", "target": target, "label": 4444,
           "access": {"roles": [role], "restrictions": restrictions}})
}

/// Reads `stream` in a task of its own and hands over each event with the
/// instant it arrived (to time events against requests made meanwhile).
pub fn timed(mut stream: Stream) -> tokio::sync::mpsc::UnboundedReceiver<(Instant, Block)> {
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(b) = stream.next_event(Duration::from_secs(3600)).await {
            if tx.send((Instant::now(), b)).is_err() {
                return;
            }
        }
    });
    rx
}

/// Median and maximum of some milliseconds.
pub fn median_max(mut ms: Vec<f64>) -> (f64, f64) {
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let mid = ms.len() / 2;
    let median = if ms.len() % 2 == 0 {
        (ms[mid - 1] + ms[mid]) / 2.0
    } else {
        ms[mid]
    };
    (median, *ms.last().unwrap())
}
