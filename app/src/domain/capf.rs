//! CAPF operations as the pages and the service see them (R13, R14, R19): the state of a
//! device's certificate operation and how the read-only Certificate Operation Status reads, the
//! LSC status of Find and List's filter, and the optional window outside which scheduled
//! operations wait.

use chrono::{DateTime, Duration, NaiveTime, Timelike, Utc};
use serde::{Deserialize, Serialize};

use super::device::CertificateOperation;

/// Days before its end an LSC counts as expiring.
pub const EXPIRING_DAYS: i64 = 30;

/// Where a device's certificate operation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CapfState {
    /// Nothing has been scheduled.
    None,
    /// Scheduled; the phone has not connected yet.
    Pending,
    /// The phone is in its CAPF session.
    InProgress,
    /// The last operation succeeded.
    Success,
    /// The last operation failed (with a reason).
    Failed,
}

impl CapfState {
    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            CapfState::None => "None",
            CapfState::Pending => "Pending",
            CapfState::InProgress => "In Progress",
            CapfState::Success => "Success",
            CapfState::Failed => "Failed",
        }
    }

    /// The state with that stored name.
    pub fn parse(text: &str) -> Option<Self> {
        [
            CapfState::None,
            CapfState::Pending,
            CapfState::InProgress,
            CapfState::Success,
            CapfState::Failed,
        ]
        .into_iter()
        .find(|s| s.key() == text)
    }
}

/// The Certificate Operation Status line: "<operation> pending / in progress / success /
/// failed: <reason>" — `operation` is the one that ran (or is scheduled).
pub fn status_text(operation: &str, state: CapfState, reason: &str) -> String {
    let operation = if operation.is_empty() {
        "Operation"
    } else {
        operation
    };
    match state {
        CapfState::None => "None".to_owned(),
        CapfState::Pending => format!("{operation} pending"),
        CapfState::InProgress => format!("{operation} in progress"),
        CapfState::Success if reason.is_empty() => format!("{operation} success"),
        CapfState::Success => format!("{operation} success: {reason}"),
        CapfState::Failed => format!("{operation} failed: {reason}"),
    }
}

/// The LSC status choices of Find and List.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LscFilter {
    /// No LSC.
    None,
    /// An LSC valid for more than [`EXPIRING_DAYS`].
    Valid,
    /// An LSC ending within [`EXPIRING_DAYS`].
    Expiring,
    /// An LSC past its end.
    Expired,
    /// An operation is scheduled or running.
    OperationPending,
    /// The last operation failed.
    Failed,
}

impl LscFilter {
    /// Every choice, in the order the filter lists them.
    pub const ALL: [LscFilter; 6] = [
        LscFilter::None,
        LscFilter::Valid,
        LscFilter::Expiring,
        LscFilter::Expired,
        LscFilter::OperationPending,
        LscFilter::Failed,
    ];

    /// The label (also the API's value).
    pub fn label(self) -> &'static str {
        match self {
            LscFilter::None => "None",
            LscFilter::Valid => "Valid",
            LscFilter::Expiring => "Expiring in 30 days",
            LscFilter::Expired => "Expired",
            LscFilter::OperationPending => "Operation pending",
            LscFilter::Failed => "Failed",
        }
    }

    /// The choice with that label (or the older "Installed", which meant valid).
    pub fn parse(text: &str) -> Option<Self> {
        if text == "Installed" {
            return Some(LscFilter::Valid);
        }
        Self::ALL.into_iter().find(|c| c.label() == text)
    }
}

/// An LSC's state at `now`, by its end.
pub fn lsc_state(not_after: Option<DateTime<Utc>>, now: DateTime<Utc>) -> LscFilter {
    match not_after {
        None => LscFilter::None,
        Some(end) if end <= now => LscFilter::Expired,
        Some(end) if end <= now + Duration::days(EXPIRING_DAYS) => LscFilter::Expiring,
        Some(_) => LscFilter::Valid,
    }
}

/// The hours of the day (UTC) in which CAPF carries out scheduled operations (R19); outside
/// them a phone that connects is told nothing is scheduled and its operation waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The first hour (0–23).
    pub start: u32,
    /// The hour it ends (0–23); before `start`, the window runs past midnight; equal, all day.
    pub end: u32,
}

impl Window {
    /// The window of the two stored hours ("" = not set): `None` (any time) unless both are
    /// set.
    pub fn from_hours(start: &str, end: &str) -> Option<Self> {
        let hour = |s: &str| s.split(':').next()?.parse::<u32>().ok().filter(|h| *h < 24);
        Some(Self {
            start: hour(start)?,
            end: hour(end)?,
        })
    }

    /// Whether `at` is inside the window.
    pub fn contains(self, at: DateTime<Utc>) -> bool {
        let h = at.hour();
        match self.start.cmp(&self.end) {
            std::cmp::Ordering::Equal => true,
            std::cmp::Ordering::Less => (self.start..self.end).contains(&h),
            std::cmp::Ordering::Greater => h >= self.start || h < self.end,
        }
    }

    /// When the window next opens at or after `at` (`at` itself when it is open).
    pub fn next_opening(self, at: DateTime<Utc>) -> DateTime<Utc> {
        if self.contains(at) {
            return at;
        }
        let start = NaiveTime::from_hms_opt(self.start, 0, 0).unwrap_or_default();
        let today = at.date_naive().and_time(start).and_utc();
        if today > at {
            today
        } else {
            today + Duration::days(1)
        }
    }

    /// "02:00–05:00 UTC".
    pub fn label(self) -> String {
        format!("{:02}:00–{:02}:00 UTC", self.start, self.end)
    }
}

/// The hours a window may start or end at, for the service parameters: "" (not set) and
/// "00:00" … "23:00".
pub const WINDOW_HOURS: [(&str, &str); 25] = [
    ("", "Any time"),
    ("00:00", "00:00"),
    ("01:00", "01:00"),
    ("02:00", "02:00"),
    ("03:00", "03:00"),
    ("04:00", "04:00"),
    ("05:00", "05:00"),
    ("06:00", "06:00"),
    ("07:00", "07:00"),
    ("08:00", "08:00"),
    ("09:00", "09:00"),
    ("10:00", "10:00"),
    ("11:00", "11:00"),
    ("12:00", "12:00"),
    ("13:00", "13:00"),
    ("14:00", "14:00"),
    ("15:00", "15:00"),
    ("16:00", "16:00"),
    ("17:00", "17:00"),
    ("18:00", "18:00"),
    ("19:00", "19:00"),
    ("20:00", "20:00"),
    ("21:00", "21:00"),
    ("22:00", "22:00"),
    ("23:00", "23:00"),
];

/// When a scheduled operation will run, as the phone page says it: at the phone's next CAPF
/// session (after a reset, or when the user enters the string), no earlier than the window's
/// opening, and no later than its deadline.
pub fn when_it_runs(
    operation: CertificateOperation,
    completes_by: Option<DateTime<Utc>>,
    window: Option<Window>,
    now: DateTime<Utc>,
) -> Option<String> {
    if operation == CertificateOperation::NoPendingOperation {
        return None;
    }
    let deadline = completes_by.map(|d| d.format("%Y-%m-%d %H:%M UTC").to_string());
    if let Some(d) = completes_by.filter(|d| *d <= now) {
        return Some(format!(
            "The deadline {} has passed: the phone will be told nothing is scheduled.",
            d.format("%Y-%m-%d %H:%M UTC")
        ));
    }
    let when = match window {
        Some(w) if !w.contains(now) => format!(
            "Runs when the phone next contacts CAPF inside the window {}, from {}",
            w.label(),
            w.next_opening(now).format("%Y-%m-%d %H:%M UTC")
        ),
        Some(w) => format!(
            "Runs when the phone next contacts CAPF (window {}, open now)",
            w.label()
        ),
        None => "Runs when the phone next contacts CAPF".to_owned(),
    };
    Some(match deadline {
        Some(d) => format!("{when}, before {d}."),
        None => format!("{when}."),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, h, m, 0).unwrap()
    }

    #[test]
    fn status_reads_operation_then_state() {
        assert_eq!(
            status_text("Install/Upgrade", CapfState::Pending, ""),
            "Install/Upgrade pending"
        );
        assert_eq!(
            status_text("Delete", CapfState::Failed, "expired"),
            "Delete failed: expired"
        );
        assert_eq!(status_text("", CapfState::None, ""), "None");
        for s in ["None", "Pending", "In Progress", "Success", "Failed"] {
            assert_eq!(CapfState::parse(s).unwrap().key(), s);
        }
    }

    #[test]
    fn lsc_states_by_end() {
        let now = at(12, 0);
        assert_eq!(lsc_state(None, now), LscFilter::None);
        assert_eq!(lsc_state(Some(now), now), LscFilter::Expired);
        assert_eq!(
            lsc_state(Some(now + Duration::days(29)), now),
            LscFilter::Expiring
        );
        assert_eq!(
            lsc_state(Some(now + Duration::days(31)), now),
            LscFilter::Valid
        );
        for f in LscFilter::ALL {
            assert_eq!(LscFilter::parse(f.label()), Some(f));
        }
    }

    /// R19: operations wait for the window; one past midnight wraps.
    #[test]
    fn r19_windows_open_and_wrap() {
        assert_eq!(Window::from_hours("", "05:00"), None);
        let night = Window::from_hours("22:00", "04:00").unwrap();
        assert!(night.contains(at(23, 0)) && night.contains(at(3, 59)));
        assert!(!night.contains(at(4, 0)) && !night.contains(at(12, 0)));
        assert_eq!(night.next_opening(at(12, 0)), at(22, 0));
        assert_eq!(night.next_opening(at(23, 30)), at(23, 30));
        let early = Window::from_hours("02:00", "05:00").unwrap();
        assert_eq!(early.next_opening(at(6, 0)), at(2, 0) + Duration::days(1));
        assert!(Window::from_hours("07:00", "07:00")
            .unwrap()
            .contains(at(1, 0)));
        let text = when_it_runs(
            CertificateOperation::InstallUpgrade,
            Some(at(12, 0) + Duration::days(10)),
            Some(early),
            at(6, 0),
        )
        .unwrap();
        assert!(text.contains("02:00–05:00 UTC") && text.contains("2026-12-03 02:00"));
        assert!(when_it_runs(
            CertificateOperation::NoPendingOperation,
            None,
            None,
            at(1, 0)
        )
        .is_none());
    }
}
