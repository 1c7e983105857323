//! `permsnap serve`: the demo. Serves `www/` and `pkg/` on 127.0.0.1, a JWKS
//! at `/.well-known/jwks.json`, and fresh snapshots of the demo users
//! (`/api/token?user=ID`), signed with a key generated at start. A tiny
//! HTTP/1.1 server on std only: it is a demo, not a production server.

use super::{system_now, CliError};
use clap::Args;
use permsnap::{Directory, IssueOptions, Model, PrivateKey};
use serde_json::{json, Value as Json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One demo product: its catalog id and the directory embedded in the binary.
const DEMO: &[(&str, &str)] = &[
    (
        "smartico-crm",
        include_str!("../../demo/crm-directory.json"),
    ),
    (
        "tap-affiliate",
        include_str!("../../demo/tap-directory.json"),
    ),
];

/// How long the demo's expiring user keeps access after the server starts.
const EXPIRING_USER: (&str, i64) = ("eve", 120_000);

struct Demo {
    models: Vec<Model>,
    key: PrivateKey,
    root: PathBuf,
    ttl_secs: i64,
}

impl Demo {
    fn new(root: PathBuf, ttl_secs: i64) -> Result<Demo, CliError> {
        let start = system_now();
        let mut models = Vec::new();
        for (catalog, dir) in DEMO {
            let c = permsnap::presets::preset(catalog)?;
            let mut d =
                Directory::from_json_text(dir, &format!("demo directory of {catalog}"), &c)?;
            for u in &mut d.users {
                if u.id == EXPIRING_USER.0 {
                    u.expires_at = Some(start + EXPIRING_USER.1);
                }
            }
            models.push(Model::new(c, d));
        }
        let key = PrivateKey::generate(None)
            .map_err(|e| CliError::new("io", format!("no randomness: {e}")))?;
        Ok(Demo {
            models,
            key,
            root,
            ttl_secs,
        })
    }

    fn users(&self) -> Json {
        let mut out = Vec::new();
        for m in &self.models {
            for u in &m.directory.users {
                out.push(json!({
                    "id": u.id, "name": u.name, "catalog": m.catalog.id, "home_label": u.home_label,
                }));
            }
        }
        Json::Array(out)
    }

    fn labels(&self) -> Json {
        let m = &self.models[0];
        m.directory
            .labels
            .iter()
            .map(|l| json!({"id": l.id, "name": l.name, "closed": l.closed}))
            .collect()
    }

    /// A fresh snapshot; `ttl` (seconds) may only shorten the configured lifetime.
    fn token(&self, user: &str, ttl: Option<i64>) -> Result<Json, CliError> {
        let model = self
            .models
            .iter()
            .find(|m| m.directory.user(user).is_some())
            .ok_or_else(|| CliError::new("unknown_user", format!("no demo user `{user}`")))?;
        let ttl_secs = ttl.map_or(self.ttl_secs, |t| t.clamp(1, self.ttl_secs));
        let opts = IssueOptions {
            ttl_secs,
            ..IssueOptions::default()
        };
        let token = permsnap::issue(model, user, system_now(), &opts, &self.key)?;
        Ok(
            json!({"token": token, "catalog": model.catalog.id, "manifest": model.manifest().hash()}),
        )
    }

    /// The manifest of a demo catalog, as its exact text.
    fn manifest(&self, catalog: &str) -> Option<&str> {
        self.models
            .iter()
            .find(|m| m.catalog.id == catalog)
            .map(|m| m.manifest().text())
    }

    /// Roles × permissions of a demo catalog: `yes`, `when` (conditional) or absent.
    fn matrix(&self, catalog: &str) -> Result<Json, CliError> {
        let m = self
            .models
            .iter()
            .find(|m| m.catalog.id == catalog)
            .ok_or_else(|| {
                CliError::new(
                    "unknown_preset",
                    format!("`{catalog}` is not a demo catalog"),
                )
            })?;
        let c = &m.catalog;
        let perms = c
            .permissions
            .iter()
            .map(|p| json!({"id": p.id, "title": p.title, "section": c.sections[p.section].title}))
            .collect::<Vec<_>>();
        let kinds = [
            ("role", &c.roles),
            ("additional", &c.additional),
            ("restriction", &c.restrictions),
        ];
        let mut rows = Vec::new();
        for (kind, list) in kinds {
            for g in list.iter() {
                let cells = (0..c.permissions.len())
                    .map(|p| {
                        if g.rules.always.contains(p) {
                            "yes"
                        } else if g.rules.when.iter().any(|r| r.perm == p) {
                            "when"
                        } else {
                            ""
                        }
                    })
                    .collect::<Vec<_>>();
                rows.push(json!({"kind": kind, "id": g.id, "title": g.title, "cells": cells}));
            }
        }
        Ok(json!({"catalog": c.id, "title": c.title, "permissions": perms, "rows": rows}))
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("wasm") => "application/wasm",
        Some("png") => "image/png",
        Some("svg") => "image/svg+xml",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn respond(stream: &mut TcpStream, status: &str, ctype: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {ctype}\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream
        .write_all(head.as_bytes())
        .and_then(|_| stream.write_all(body));
}

fn query<'a>(q: &'a str, key: &str) -> Option<&'a str> {
    q.split('&')
        .find_map(|kv| kv.strip_prefix(key).and_then(|rest| rest.strip_prefix('=')))
}

fn handle(mut stream: TcpStream, demo: &Demo) {
    let mut reader = BufReader::new(match stream.try_clone() {
        Ok(s) => s,
        Err(_) => return,
    });
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // drain the headers (no request body is read: GET only)
    let mut header = String::new();
    while reader
        .read_line(&mut header)
        .map(|n| n > 2)
        .unwrap_or(false)
    {
        header.clear();
    }
    let mut parts = line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    if method != "GET" {
        respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET only",
        );
        return;
    }
    let (path, q) = target.split_once('?').unwrap_or((target, ""));
    let json = |stream: &mut TcpStream, r: Result<Json, CliError>| match r {
        Ok(j) => respond(
            stream,
            "200 OK",
            "application/json",
            j.to_string().as_bytes(),
        ),
        Err(e) => respond(
            stream,
            "404 Not Found",
            "application/json",
            e.json().to_string().as_bytes(),
        ),
    };
    match path {
        "/.well-known/jwks.json" => json(&mut stream, Ok(demo.key.to_jwks())),
        "/api/users" => json(
            &mut stream,
            Ok(json!({"users": demo.users(), "labels": demo.labels()})),
        ),
        "/api/manifest" => match demo.manifest(query(q, "catalog").unwrap_or("")) {
            Some(text) => respond(&mut stream, "200 OK", "application/json", text.as_bytes()),
            None => respond(
                &mut stream,
                "404 Not Found",
                "text/plain",
                b"no such catalog",
            ),
        },
        "/api/token" => {
            let ttl = query(q, "ttl").and_then(|t| t.parse().ok());
            json(&mut stream, demo.token(query(q, "user").unwrap_or(""), ttl))
        }
        "/api/matrix" => json(&mut stream, demo.matrix(query(q, "catalog").unwrap_or(""))),
        _ => {
            let rel = if path == "/" {
                "www/index.html".to_string()
            } else if let Some(p) = path.strip_prefix("/pkg/") {
                format!("pkg/{p}")
            } else {
                format!("www{path}")
            };
            let safe = !rel
                .split('/')
                .any(|seg| seg == ".." || seg.starts_with('.'));
            let file = demo.root.join(&rel);
            match (safe, std::fs::File::open(&file)) {
                (true, Ok(mut f)) => {
                    let mut body = Vec::new();
                    if f.read_to_end(&mut body).is_ok() {
                        respond(&mut stream, "200 OK", content_type(&file), &body);
                    } else {
                        respond(&mut stream, "404 Not Found", "text/plain", b"not found");
                    }
                }
                _ => respond(&mut stream, "404 Not Found", "text/plain", b"not found"),
            }
        }
    }
}

/// `serve`'s options.
#[derive(Args)]
pub struct ServeArgs {
    /// the port on 127.0.0.1
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// the repository root (holding www/ and pkg/)
    #[arg(long, default_value = ".")]
    root: PathBuf,
    /// the snapshots' lifetime in seconds
    #[arg(long, default_value_t = 300, value_parser = clap::value_parser!(i64).range(1..=86_400))]
    ttl: i64,
}

/// Runs the demo server until killed.
pub fn serve(a: &ServeArgs) -> Result<Json, CliError> {
    let root = a.root.clone();
    if !root.join("www/index.html").is_file() || !root.join("pkg/index.js").is_file() {
        return Err(CliError::new(
            "io",
            format!("`{}` has no www/index.html or pkg/index.js: run from the repository root after scripts/build-pkg.sh", root.display()),
        ));
    }
    let demo = Arc::new(Demo::new(root, a.ttl)?);
    let port = a.port;
    let listener = TcpListener::bind(("127.0.0.1", port))
        .map_err(|e| CliError::new("io", format!("127.0.0.1:{port}: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CliError::new("io", e.to_string()))?;
    println!(
        "permsnap demo on http://{addr}/  (key {}; Ctrl-C to stop)",
        demo.key.kid()
    );
    let _ = std::io::stdout().flush();
    for stream in listener.incoming().flatten() {
        let demo = Arc::clone(&demo);
        std::thread::spawn(move || handle(stream, &demo));
    }
    Ok(Json::Null)
}
