//! Live change events: the pump that brings new event rows (written by
//! [`super::hub::record`] in each change's own transaction) to this
//! process's streams, and one page's subscription.
//!
//! Delivery: a write in this process wakes the pump at once; on PostgreSQL
//! each committed change also sends `NOTIFY permsnap_events`, which wakes
//! the pump of every other instance (a listener task per instance); and the
//! pump polls the log at a short interval in any case (changes made by
//! another process on SQLite, such as `permsnap import` or `permsnap keys
//! rotate`, and notifications lost while a LISTEN connection was down).
//! The pump reads the rows after the last one it has seen, in id order, and
//! broadcasts them; each stream forwards those that concern its user.
//!
//! Resume: event ids are one increasing sequence per store, stored with the
//! change, so a page that reconnects with the last id it saw gets every
//! event it missed at once, across restarts and instances. A page that
//! comes back after the log dropped what it missed gets one `resync` event.
//!
//! It must not decide anything or carry permissions: an event only says
//! "your snapshot is stale"; the page fetches a new one.

use super::error::{Result, ServerError};
use super::hub::{CHANNEL, ISSUE_SKEW_MS, REPLAY_LIMIT};
use super::state::App;
use super::store::{self, EventBounds, EventRow, Whose};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch, OwnedSemaphorePermit};

/// Rows the pump reads at once.
const PAGE: i64 = 500;

/// Reads every row after `last` and broadcasts it; returns the new last id.
async fn deliver(app: &App, mut last: i64) -> Result<i64> {
    let mut conn = app.db.pool.acquire().await?;
    loop {
        let rows = store::events_after(&mut conn, last, None, PAGE).await?;
        let full = rows.len() as i64 == PAGE;
        for r in rows {
            last = r.id;
            // No stream listening is not an error.
            let _ = app.events.sender.send(Arc::new(r));
        }
        if !full {
            return Ok(last);
        }
    }
}

/// The last event id in the store: where a new pump starts.
pub async fn last_event_id(app: &App) -> Result<i64> {
    let mut conn = app.db.pool.acquire().await?;
    Ok(store::event_bounds(&mut conn).await?.last)
}

/// The pump: after a wake-up, a notification or the poll interval, reads
/// the rows after the last one seen and broadcasts them, until closing.
pub async fn pump(app: Arc<App>, mut last: i64) {
    let mut closing = app.events.closing.clone();
    let mut tick = tokio::time::interval(app.events.options.poll);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !app.events.closed() {
        tokio::select! {
            // Stopped, or the server's handle was dropped: either ends it.
            changed = closing.changed() => match changed {
                Ok(()) => continue,
                Err(_) => return,
            },
            _ = app.events.wake.notified() => {}
            _ = tick.tick() => {}
        }
        match deliver(&app, last).await {
            Ok(l) => last = l,
            Err(e) => {
                tracing::warn!(target: "permsnap::server", code = e.code(), error = %e, "events: reading the log failed");
            }
        }
    }
}

/// PostgreSQL: listens on [`CHANNEL`] and wakes the pump on each
/// notification, and after (re)connecting (what was sent meanwhile is then
/// read from the log). Never logs the URL (it may hold a password).
pub async fn listen(app: Arc<App>, url: String) {
    let mut closing = app.events.closing.clone();
    let mut listener = None;
    while !app.events.closed() {
        tokio::select! {
            changed = closing.changed() => if changed.is_err() {
                return;
            },
            _ = listen_once(&app, &url, &mut listener) => {}
        }
    }
}

async fn listen_once(app: &App, url: &str, slot: &mut Option<sqlx::postgres::PgListener>) {
    let pause = app.events.options.poll;
    let Some(listener) = slot else {
        match connect_listener(url).await {
            Ok(l) => {
                *slot = Some(l);
                app.events.wake();
            }
            Err(e) => {
                tracing::warn!(target: "permsnap::server", error = %e, "events: LISTEN failed; polling meanwhile");
                tokio::time::sleep(pause * 4).await;
            }
        }
        return;
    };
    match listener.try_recv().await {
        // A notification, or the connection was lost and is back: read the log.
        Ok(_) => app.events.wake(),
        Err(e) => {
            tracing::warn!(target: "permsnap::server", error = %e, "events: LISTEN connection failed; polling meanwhile");
            *slot = None;
            tokio::time::sleep(pause).await;
        }
    }
}

async fn connect_listener(url: &str) -> Result<sqlx::postgres::PgListener> {
    let mut l = sqlx::postgres::PgListener::connect(url).await?;
    l.listen(CHANNEL).await?;
    Ok(l)
}

/// Where a new stream starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// after this event id (`Last-Event-ID` or `?since=`)
    After(i64),
    /// at this instant (ms): the token's `iat`, for a stream opened fresh
    IssuedAt(i64),
}

/// One message of a stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// the SSE event name: `change` or `ready`
    pub name: &'static str,
    /// the SSE id: the event id a reconnect resumes after
    pub id: i64,
    /// the JSON data: `{"user", "version", "cause"}` (`ready`: `{"user", "version"}`)
    pub data: Value,
}

/// One page's stream: its user's events, in id order, after where it started.
pub struct Subscription {
    app: Arc<App>,
    tenant: String,
    user: String,
    cursor: i64,
    pending: VecDeque<Message>,
    rx: broadcast::Receiver<Arc<EventRow>>,
    closing: watch::Receiver<bool>,
    _permit: OwnedSemaphorePermit,
}

/// Whether the log cannot show every event after `after`: it comes from
/// the future (another store, a restored backup), or older rows are gone.
fn gap(after: i64, b: &EventBounds) -> bool {
    after > b.last || (after < b.last && b.oldest.is_none_or(|o| after + 1 < o))
}

/// Opens a stream for `user` of `tenant` (the stream limit applies): first
/// the events it missed since `start`, then `ready`, then live events.
pub async fn subscribe(
    app: &Arc<App>,
    tenant: String,
    user: String,
    start: Start,
) -> Result<Subscription> {
    let permit = app
        .events
        .streams
        .clone()
        .try_acquire_owned()
        .map_err(|_| ServerError::TooManyStreams)?;
    // Subscribed before reading the log: a row committed after the read is
    // broadcast after it, so it reaches this receiver.
    let rx = app.events.sender.subscribe();
    let mut conn = app.db.pool.acquire().await?;
    let b = store::event_bounds(&mut conn).await?;
    let limit = REPLAY_LIMIT + 1;
    let whose = Whose {
        tenant: &tenant,
        user: &user,
    };
    let missed = match start {
        Start::After(n) if gap(n, &b) => None,
        Start::After(n) => Some(store::events_after(&mut conn, n, Some(whose), limit).await?),
        Start::IssuedAt(t) => {
            Some(store::events_from(&mut conn, t - ISSUE_SKEW_MS, whose, limit).await?)
        }
    };
    drop(conn);
    let mut s = Subscription {
        app: app.clone(),
        tenant,
        user,
        cursor: b.last,
        pending: VecDeque::new(),
        rx,
        closing: app.events.closing.clone(),
        _permit: permit,
    };
    s.replay(missed, b.version);
    s.pending.push_back(Message {
        name: "ready",
        id: s.cursor,
        data: json!({"user": s.user, "version": b.version}),
    });
    Ok(s)
}

impl Subscription {
    /// The user this stream is for.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// Queues missed rows, or one `resync` when they are too many or unknown.
    fn replay(&mut self, missed: Option<Vec<EventRow>>, version: i64) {
        match missed {
            Some(rows) if rows.len() as i64 <= REPLAY_LIMIT => {
                for r in rows {
                    self.pending.push_back(self.message(&r));
                    self.cursor = self.cursor.max(r.id);
                }
            }
            _ => self.pending.push_back(Message {
                name: "change",
                id: self.cursor,
                data: json!({"user": self.user, "version": version, "cause": "resync"}),
            }),
        }
    }

    fn message(&self, e: &EventRow) -> Message {
        Message {
            name: "change",
            id: e.id,
            data: json!({"user": self.user, "version": e.version, "cause": e.cause}),
        }
    }

    /// The next message; `None` when the server is closing (or the log
    /// cannot be read after this stream fell behind: the page reconnects).
    pub async fn next(&mut self) -> Option<Message> {
        loop {
            if let Some(m) = self.pending.pop_front() {
                return Some(m);
            }
            if *self.closing.borrow() {
                return None;
            }
            let got = tokio::select! {
                changed = self.closing.changed() => match changed {
                    Ok(()) => continue,
                    Err(_) => return None,
                },
                got = self.rx.recv() => got,
            };
            match got {
                Ok(e) => self.forward(&e),
                Err(RecvError::Lagged(_)) => self.catch_up().await?,
                Err(RecvError::Closed) => return None,
            }
        }
    }

    /// A live row: queued when it is after the cursor and concerns the user.
    fn forward(&mut self, e: &EventRow) {
        if e.id > self.cursor {
            let tenant = e.tenant.as_deref().is_none_or(|t| t == self.tenant);
            if tenant && e.user.as_deref().is_none_or(|u| u == self.user) {
                self.pending.push_back(self.message(e));
            }
            self.cursor = e.id;
        }
    }

    /// The broadcast ran ahead of this stream: read what it missed from the log.
    async fn catch_up(&mut self) -> Option<()> {
        let mut conn = self.app.db.pool.acquire().await.ok()?;
        let b = store::event_bounds(&mut conn).await.ok()?;
        let whose = Whose {
            tenant: &self.tenant,
            user: &self.user,
        };
        let rows = store::events_after(&mut conn, self.cursor, Some(whose), REPLAY_LIMIT + 1)
            .await
            .ok()?;
        if rows.len() as i64 > REPLAY_LIMIT {
            self.cursor = b.last;
            self.replay(None, b.version);
        } else {
            rows.iter().for_each(|r| self.forward(r));
            self.cursor = self.cursor.max(b.last);
        }
        Some(())
    }
}
