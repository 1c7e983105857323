//! The server's clock: the system's, or a fixed instant for conformance runs.

/// Milliseconds since the epoch, from the system clock.
pub fn system_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Where `now` comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// the system clock
    System,
    /// a fixed instant (ms): for conformance runs and tests only
    Fixed(i64),
}

impl Clock {
    /// Now, in milliseconds.
    pub fn now(self) -> i64 {
        match self {
            Clock::System => system_now(),
            Clock::Fixed(ms) => ms,
        }
    }
}
