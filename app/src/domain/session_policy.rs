//! When a login session ends on its own: 30 minutes without a request, or 12 hours after login.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A session that saw no request for this long has ended.
pub const IDLE_TIMEOUT: Duration = Duration::minutes(30);
/// A session ends this long after its login, however busy it is.
pub const ABSOLUTE_TIMEOUT: Duration = Duration::hours(12);
/// `last_seen` is written back at most this often, so that reads stay reads.
pub const TOUCH_INTERVAL: Duration = Duration::minutes(1);

/// The login facts kept in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginStamp {
    /// The logged-in user's id.
    pub user_id: i32,
    /// When the user logged in.
    pub logged_in_at: DateTime<Utc>,
    /// When the session last served a request.
    pub last_seen: DateTime<Utc>,
    /// The user's session epoch at login: the session is over once the user's sessions were
    /// ended since (the account's epoch moved on).
    #[serde(default)]
    pub epoch: i32,
}

/// What the policy says of a session at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionState {
    /// Valid; `last_seen` is recent enough to leave as it is.
    Fresh,
    /// Valid; `last_seen` should be written back.
    Touch,
    /// Ended: no request for longer than the idle timeout.
    IdleExpired,
    /// Ended: the absolute lifetime has passed.
    AbsoluteExpired,
}

impl LoginStamp {
    /// A stamp for a login at `now` (in the user's first session epoch).
    pub fn new(user_id: i32, now: DateTime<Utc>) -> Self {
        Self {
            user_id,
            logged_in_at: now,
            last_seen: now,
            epoch: 0,
        }
    }

    /// The stamp of a login in the user's session epoch `epoch`.
    pub fn in_epoch(self, epoch: i32) -> Self {
        Self { epoch, ..self }
    }

    /// Judges the session at `now`.
    pub fn state_at(&self, now: DateTime<Utc>) -> SessionState {
        if now - self.logged_in_at >= ABSOLUTE_TIMEOUT {
            SessionState::AbsoluteExpired
        } else if now - self.last_seen >= IDLE_TIMEOUT {
            SessionState::IdleExpired
        } else if now - self.last_seen >= TOUCH_INTERVAL {
            SessionState::Touch
        } else {
            SessionState::Fresh
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minutes: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::minutes(minutes)
    }

    #[test]
    fn idle_session_ends_after_thirty_minutes() {
        let stamp = LoginStamp::new(1, at(0));
        assert_eq!(stamp.state_at(at(29)), SessionState::Touch);
        assert_eq!(stamp.state_at(at(30)), SessionState::IdleExpired);
    }

    #[test]
    fn busy_session_still_ends_after_twelve_hours() {
        let mut stamp = LoginStamp::new(1, at(0));
        stamp.last_seen = at(12 * 60 - 1);
        assert_eq!(stamp.state_at(at(12 * 60 - 1)), SessionState::Fresh);
        assert_eq!(stamp.state_at(at(12 * 60)), SessionState::AbsoluteExpired);
    }

    #[test]
    fn last_seen_is_written_back_once_a_minute() {
        let stamp = LoginStamp::new(1, at(0));
        assert_eq!(stamp.state_at(at(0)), SessionState::Fresh);
        assert_eq!(stamp.state_at(at(1)), SessionState::Touch);
    }
}
