//! Failed-login throttling: a growing delay after a few free attempts, and a hard cap per hour.

use chrono::{DateTime, Duration, Utc};

/// How a kind of subject (an account, an address) is throttled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures allowed before any delay.
    pub free_attempts: i32,
    /// Failures allowed in one hour; past them the subject waits for the hour to end.
    pub max_per_hour: i32,
    /// The longest delay between two attempts.
    pub max_delay: Duration,
}

/// Per account and address pair, the first and tightest throttle: 5 free attempts, then 1 s,
/// 2 s, 4 s … up to 30 s; at most 100 failures an hour. A flood from one address slows only that
/// address's guesses at that account, never the owner at another address.
pub const PER_PAIR: ThrottlePolicy = ThrottlePolicy {
    free_attempts: 5,
    max_per_hour: 100,
    max_delay: Duration::seconds(30),
};

/// Per address, across accounts (password spraying): 20 free attempts, then the same growth; at
/// most 300 failures an hour.
pub const PER_ADDRESS: ThrottlePolicy = ThrottlePolicy {
    free_attempts: 20,
    max_per_hour: 300,
    max_delay: Duration::seconds(30),
};

/// Per account, across addresses, at a threshold no single address can reach (it is held to 100
/// an hour by [`PER_PAIR`]): 150 free attempts, at most 1,000 failures an hour.
pub const PER_ACCOUNT: ThrottlePolicy = ThrottlePolicy {
    free_attempts: 150,
    max_per_hour: 1_000,
    max_delay: Duration::seconds(30),
};

/// The window the hourly cap counts in.
pub const WINDOW: Duration = Duration::hours(1);

/// The failure count of one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    /// Failures since `window_start`.
    pub count: i32,
    /// Start of the counting window.
    pub window_start: DateTime<Utc>,
    /// No attempt is checked before this.
    pub blocked_until: DateTime<Utc>,
}

impl ThrottlePolicy {
    /// Seconds to wait before the next attempt may be checked, or `None` when it may be now.
    pub fn wait(&self, failures: Option<&Failures>, now: DateTime<Utc>) -> Option<i64> {
        let f = failures?;
        (f.blocked_until > now).then(|| (f.blocked_until - now).num_seconds().max(1))
    }

    /// The count after one more failure at `now`.
    pub fn after_failure(&self, failures: Option<&Failures>, now: DateTime<Utc>) -> Failures {
        let (count, window_start) = match failures {
            Some(f) if now - f.window_start < WINDOW => (f.count + 1, f.window_start),
            _ => (1, now),
        };
        let blocked_until = if count >= self.max_per_hour {
            window_start + WINDOW
        } else if count > self.free_attempts {
            let exponent = u32::try_from(count - self.free_attempts - 1).unwrap_or(u32::MAX);
            let secs = 2_i64.checked_pow(exponent.min(30)).unwrap_or(i64::MAX);
            now + Duration::seconds(secs).min(self.max_delay)
        } else {
            now
        };
        Failures {
            count,
            window_start,
            blocked_until,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::<Utc>::UNIX_EPOCH + Duration::seconds(secs)
    }

    #[test]
    fn one_address_alone_never_reaches_the_account_threshold() {
        // As many failures as one address may make in an hour, all at one account.
        let (mut pair, mut account) = (None, None);
        let mut now = at(0);
        for _ in 0..PER_PAIR.max_per_hour {
            if let Some(wait) = PER_PAIR.wait(pair.as_ref(), now) {
                now += Duration::seconds(wait);
            }
            pair = Some(PER_PAIR.after_failure(pair.as_ref(), now));
            account = Some(PER_ACCOUNT.after_failure(account.as_ref(), now));
        }
        assert!(
            PER_PAIR.wait(pair.as_ref(), now).is_some(),
            "the pair is held"
        );
        assert_eq!(
            PER_ACCOUNT.wait(account.as_ref(), now),
            None,
            "the owner elsewhere is not"
        );
    }

    #[test]
    fn delay_grows_after_the_free_attempts() {
        let mut f = None;
        let mut delays = Vec::new();
        for _ in 0..9 {
            let next = PER_PAIR.after_failure(f.as_ref(), at(0));
            delays.push(PER_PAIR.wait(Some(&next), at(0)).unwrap_or(0));
            f = Some(next);
        }
        assert_eq!(delays, vec![0, 0, 0, 0, 0, 1, 2, 4, 8]);
    }

    #[test]
    fn delay_is_capped_at_thirty_seconds() {
        let mut f = None;
        for _ in 0..40 {
            f = Some(PER_PAIR.after_failure(f.as_ref(), at(0)));
        }
        assert_eq!(PER_PAIR.wait(f.as_ref(), at(0)), Some(30));
    }

    #[test]
    fn the_hundredth_failure_in_an_hour_blocks_until_the_hour_ends() {
        let mut f = None;
        for i in 0..100 {
            f = Some(PER_PAIR.after_failure(f.as_ref(), at(i * 30)));
        }
        let f = f.unwrap();
        assert_eq!(f.count, 100);
        assert_eq!(f.blocked_until, at(3600));
        // A new hour starts a new count.
        let next = PER_PAIR.after_failure(Some(&f), at(3600));
        assert_eq!(next.count, 1);
    }
}
