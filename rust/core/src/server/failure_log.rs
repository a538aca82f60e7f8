//! The warnings of a server's failed sessions, rate-limited: a client that fails handshakes in a
//! loop cannot flood the game's output. The first failure of a quiet spell is logged as it is;
//! the ones within the next [`FAILURE_LOG_INTERVAL`] go to the debug level and are counted in
//! the next warning.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::Role;

/// At most one failure warning per server per this interval.
pub const FAILURE_LOG_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Default)]
struct State {
    /// When the last warning was printed.
    last_warning: Option<Instant>,
    /// Failures not printed since then.
    suppressed: u64,
}

/// One server's rate limiter for the warnings of its sessions' failures.
#[derive(Debug, Default)]
pub(crate) struct FailureLog {
    state: Mutex<State>,
}

impl FailureLog {
    /// Logs the failure `why` of a session at `now`: a warning, or a debug line counted in the
    /// next warning when one was printed less than [`FAILURE_LOG_INTERVAL`] ago.
    pub(crate) fn warn(&self, now: Instant, role: Role, why: &str) {
        let suppressed = {
            let mut state = self.state.lock();
            let recent = state
                .last_warning
                .is_some_and(|at| now.saturating_duration_since(at) < FAILURE_LOG_INTERVAL);
            if recent {
                state.suppressed += 1;
                None
            } else {
                state.last_warning = Some(now);
                Some(std::mem::take(&mut state.suppressed))
            }
        };
        match suppressed {
            None => log::debug!("DTLS {role:?} session: {why}"),
            Some(0) => log::warn!("DTLS {role:?} session: {why}"),
            Some(n) => log::warn!(
                "DTLS {role:?} session: {why} (and {n} more failed sessions of this server since \
                 the last warning, not shown: at most one warning per {FAILURE_LOG_INTERVAL:?})"
            ),
        }
    }
}
