//! How to run a server: the listen address, the store, limits, the clock,
//! live events and demo mode. Plain data, read by the command line
//! ([`super::cli`]) and the listener.

use super::clock::Clock;
use super::hub::EventOptions;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Limits on connections and requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// largest request body (413 above it)
    pub max_body_bytes: usize,
    /// largest request head: request line and headers (431
    /// `header_too_large` above it, answered by the head guard)
    pub max_head_bytes: usize,
    /// open connections at once; more are closed at accept
    pub max_connections: usize,
    /// time to receive a request head; also closes an idle keep-alive connection
    pub header_timeout: Duration,
    /// time to receive a request body (408 past it)
    pub body_timeout: Duration,
    /// how long shutdown waits for open requests
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            max_head_bytes: 16 * 1024,
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// How to run a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `sqlite:PATH` or `postgres://...`
    pub db: String,
    /// where to listen
    pub listen: SocketAddr,
    /// limits
    pub limits: Limits,
    /// database connections
    pub db_connections: u32,
    /// the clock (`Clock::System` except in conformance runs)
    pub clock: Clock,
    /// live change events (`GET /v1/events`)
    pub events: EventOptions,
    /// demo mode: a demo page, the package and the demo routes (never in production)
    pub demo: Option<DemoConfig>,
    /// how many tenant and user views the caches hold
    pub cache: CacheLimits,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            db: "sqlite:permsnap.db".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            limits: Limits::default(),
            db_connections: 8,
            clock: Clock::System,
            events: EventOptions::default(),
            demo: None,
            cache: CacheLimits::default(),
        }
    }
}

/// Where the demo page and the package are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoConfig {
    /// the page: `index.html` at `/`, other files at their paths
    pub www: PathBuf,
    /// the npm package, at `/pkg/`
    pub pkg: PathBuf,
}

/// How many views the caches hold at most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheLimits {
    /// tenant views
    pub tenants: usize,
    /// user views
    pub users: usize,
    /// parsed catalogs (shared by the tenants on one catalog)
    pub catalogs: usize,
}

impl Default for CacheLimits {
    fn default() -> Self {
        CacheLimits {
            tenants: 1024,
            users: 8192,
            catalogs: 64,
        }
    }
}
