//! The backup schedule's rules: its fields (frequency, day, time, how many to keep) checked as the
//! admin types, and when a scheduled backup is due — shared by the page and the node that takes
//! it.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};

/// The most backups a schedule keeps.
pub const KEEP_MAX: u32 = 100;

/// How often a scheduled backup is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Frequency {
    /// Every day at the time.
    Daily,
    /// Every week on the day (1 Monday … 7 Sunday) at the time.
    Weekly,
}

impl Frequency {
    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
        }
    }

    /// The frequency stored as `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        [Frequency::Daily, Frequency::Weekly]
            .into_iter()
            .find(|f| f.key() == key)
    }
}

/// The days, as the page names them, from Monday (1).
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// A checked schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// Daily or weekly.
    pub frequency: Frequency,
    /// The day of a weekly backup, 1 (Monday) to 7.
    pub weekday: u32,
    /// The time of day (UTC), to the minute.
    pub at: NaiveTime,
    /// How many backups to keep.
    pub keep: u32,
}

/// The schedule's fields as typed, or the first refused field with the reason.
pub fn parse(
    frequency: &str,
    weekday: u32,
    time: &str,
    keep: u32,
) -> Result<Schedule, (&'static str, String)> {
    let frequency = Frequency::from_key(frequency)
        .ok_or(("Frequency", "must be daily or weekly".to_owned()))?;
    if !(1..=7).contains(&weekday) {
        return Err(("Day", "must be a day of the week".to_owned()));
    }
    let at = parse_time(time).ok_or((
        "Time",
        "must be a time of day as HH:MM (UTC), 00:00 to 23:59".to_owned(),
    ))?;
    if !(1..=KEEP_MAX).contains(&keep) {
        return Err(("Keep", format!("must be 1 to {KEEP_MAX} backups")));
    }
    Ok(Schedule {
        frequency,
        weekday,
        at,
        keep,
    })
}

/// `HH:MM`, two digits each.
pub fn parse_time(text: &str) -> Option<NaiveTime> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 || !(h.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

impl Schedule {
    /// The latest slot at or before `now`.
    pub fn latest_slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let today = Utc.from_utc_datetime(&now.date_naive().and_time(self.at));
        let mut slot = if today <= now {
            today
        } else {
            today - Duration::days(1)
        };
        if self.frequency == Frequency::Weekly {
            while slot.weekday().number_from_monday() != self.weekday {
                slot -= Duration::days(1);
            }
        }
        slot
    }

    /// The first slot after `now`.
    pub fn next_slot(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let step = match self.frequency {
            Frequency::Daily => Duration::days(1),
            Frequency::Weekly => Duration::days(7),
        };
        self.latest_slot(now) + step
    }

    /// The slot to run at `now`, if one is due: the latest slot, unless it ran already
    /// (`last_run`) or came before the schedule was set (`set_at`; a slot in the minute of the
    /// change still counts, so that a schedule set for "now" runs now).
    pub fn due(
        &self,
        now: DateTime<Utc>,
        set_at: DateTime<Utc>,
        last_run: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        let slot = self.latest_slot(now);
        let set_minute = set_at
            - Duration::seconds(i64::from(set_at.time().second()))
            - Duration::nanoseconds(i64::from(set_at.time().nanosecond()));
        let ran = last_run.is_some_and(|r| r >= slot);
        (slot >= set_minute && !ran).then_some(slot)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn fields_are_refused_by_name() {
        assert_eq!(parse("hourly", 1, "02:00", 7).unwrap_err().0, "Frequency");
        assert_eq!(parse("daily", 8, "02:00", 7).unwrap_err().0, "Day");
        for bad in ["2:00", "24:00", "02:60", "0200", "aa:bb", "02:00:00", ""] {
            assert_eq!(parse("daily", 1, bad, 7).unwrap_err().0, "Time", "{bad}");
        }
        assert_eq!(parse("daily", 1, "02:00", 0).unwrap_err().0, "Keep");
        assert_eq!(parse("daily", 1, "02:00", 101).unwrap_err().0, "Keep");
        assert!(parse("weekly", 7, "23:59", 100).is_ok());
    }

    #[test]
    fn a_daily_slot_runs_once_and_not_before_the_schedule_was_set() {
        let s = parse("daily", 1, "02:00", 7).unwrap();
        // 2026-12-01 is a Tuesday.
        let set = at("2026-12-01T10:00:00Z");
        assert_eq!(s.due(at("2026-12-01T12:00:00Z"), set, None), None);
        let slot = at("2026-12-02T02:00:00Z");
        assert_eq!(s.due(at("2026-12-02T02:00:05Z"), set, None), Some(slot));
        assert_eq!(s.due(at("2026-12-02T09:00:00Z"), set, Some(slot)), None);
        assert_eq!(
            s.next_slot(at("2026-12-02T09:00:00Z")),
            at("2026-12-03T02:00:00Z")
        );
        // Set for the current minute: due at once.
        let s = parse("daily", 1, "10:00", 7).unwrap();
        assert_eq!(
            s.due(at("2026-12-01T10:00:40Z"), at("2026-12-01T10:00:30Z"), None),
            Some(at("2026-12-01T10:00:00Z"))
        );
    }

    #[test]
    fn a_weekly_slot_falls_on_its_day() {
        let s = parse("weekly", 5, "03:30", 4).unwrap();
        // Friday 2026-12-04.
        assert_eq!(
            s.latest_slot(at("2026-12-06T00:00:00Z")),
            at("2026-12-04T03:30:00Z")
        );
        assert_eq!(
            s.latest_slot(at("2026-12-04T03:29:00Z")),
            at("2026-11-27T03:30:00Z")
        );
        assert_eq!(
            s.next_slot(at("2026-12-04T04:00:00Z")),
            at("2026-12-11T03:30:00Z")
        );
    }
}
