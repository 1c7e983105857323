//! The change feed's write side and this instance's hub: which users a
//! change concerns, the event rows written in the change's own transaction,
//! and the broadcast that the pump ([`super::events`]) feeds and each
//! stream reads. It knows nothing of the server's state.

use super::db::{Backend, WriteTx};
use super::error::Result;
use super::store::{self, EventRow};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{broadcast, watch, Notify, Semaphore};

/// Events are pruned when the event id passes a multiple of this.
const PRUNE_EVERY: i64 = 64;

/// The PostgreSQL channel every instance listens on.
pub const CHANNEL: &str = "permsnap_events";

/// How long the log keeps events: longer than any snapshot lives
/// ([`super::keys::MAX_TTL_SECS`]), so a page holding a live token can
/// always resume from where it was.
pub const RETENTION_MS: i64 = 2 * 86_400 * 1000;

/// At most this many missed events are replayed to a stream; more come as
/// one `resync` event (the page needs one event to refetch, not all).
pub const REPLAY_LIMIT: i64 = 100;

/// A stream opened with a token and no resume id replays its user's events
/// from the token's `iat` (whole seconds), less this much for clocks of
/// other instances: a change between issuing and opening is never lost, at
/// the price of a rare extra refetch.
pub const ISSUE_SKEW_MS: i64 = 2_000;

/// How the events route behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventOptions {
    /// an SSE comment is sent when a stream was silent this long
    pub heartbeat: Duration,
    /// open streams at once, on this instance; more get 503 `too_many_streams`
    pub max_streams: usize,
    /// the pump reads the log at least this often
    pub poll: Duration,
    /// a token that expired less than this long ago may still open a stream
    pub token_grace: Duration,
    /// the reconnection delay the stream asks of EventSource (`retry:`)
    pub retry: Duration,
    /// rows the in-process broadcast holds for a slow stream; one that falls
    /// further behind rereads the log
    pub buffer: usize,
}

impl Default for EventOptions {
    fn default() -> Self {
        EventOptions {
            heartbeat: Duration::from_secs(15),
            max_streams: 512,
            poll: Duration::from_millis(500),
            token_grace: Duration::from_secs(60),
            retry: Duration::from_secs(1),
            buffer: 1024,
        }
    }
}

/// A change as one event row: the tenant and user it concerns, a whole
/// tenant, or every tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// the tenant; `None`: every tenant
    pub tenant: Option<String>,
    /// the user; `None`: every user (of the tenant)
    pub user: Option<String>,
    /// what happened
    pub cause: String,
}

impl Change {
    /// A change of one user's permissions.
    pub fn of(tenant: &str, user: &str, cause: &str) -> Change {
        Change {
            tenant: Some(tenant.to_string()),
            user: Some(user.to_string()),
            cause: cause.to_string(),
        }
    }

    /// A change that concerns every user of a tenant (an import).
    pub fn tenant(tenant: &str, cause: &str) -> Change {
        Change {
            tenant: Some(tenant.to_string()),
            user: None,
            cause: cause.to_string(),
        }
    }

    /// A change that concerns every user of every tenant (a key rotation).
    pub fn everyone(cause: &str) -> Change {
        Change {
            tenant: None,
            user: None,
            cause: cause.to_string(),
        }
    }
}

/// Writes the events of a change inside its write transaction (so an event
/// exists exactly when its change was committed), drops events older than
/// [`RETENTION_MS`], and on PostgreSQL queues a NOTIFY (sent at commit).
pub async fn record(w: &mut WriteTx<'_>, version: i64, changes: &[Change], now: i64) -> Result<()> {
    for c in changes {
        w.event_id += 1;
        let row = EventRow {
            id: w.event_id,
            tenant: c.tenant.clone(),
            user: c.user.clone(),
            version,
            cause: c.cause.clone(),
            at: now,
        };
        store::insert_event(&mut w.tx, &row).await?;
    }
    // Old events go now and then (every write would cost a statement for
    // what a day's retention does not need); the version row takes the
    // last event id at commit.
    if w.event_id / PRUNE_EVERY > (w.event_id - changes.len() as i64) / PRUNE_EVERY {
        store::prune_events(&mut w.tx, now - RETENTION_MS).await?;
    }
    if w.backend == Backend::Postgres {
        sqlx::query(&format!("NOTIFY {CHANNEL}"))
            .execute(&mut *w.tx)
            .await?;
    }
    Ok(())
}

/// This instance's side of the events: the broadcast of new rows, the
/// pump's wake-up, the stream limit.
pub struct Hub {
    pub(super) sender: broadcast::Sender<Arc<EventRow>>,
    pub(super) wake: Notify,
    pub(super) streams: Arc<Semaphore>,
    /// the options
    pub options: EventOptions,
    pub(super) closing: watch::Receiver<bool>,
}

impl Hub {
    /// A hub whose streams end when `closing` turns true.
    pub fn new(options: EventOptions, closing: watch::Receiver<bool>) -> Hub {
        Hub {
            sender: broadcast::channel(options.buffer.max(1)).0,
            wake: Notify::new(),
            streams: Arc::new(Semaphore::new(options.max_streams.max(1))),
            options,
            closing,
        }
    }

    /// Tells the pump that a change was committed in this process.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(super) fn closed(&self) -> bool {
        *self.closing.borrow()
    }
}
