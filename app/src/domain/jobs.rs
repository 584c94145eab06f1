//! Reset and restart jobs: the status of a job and of each device in it.

use serde::{Deserialize, Serialize};

/// The default pace of a reset job, in devices per second.
pub const DEFAULT_RATE: u32 = 50;
/// The fastest pace an administrator may set (beyond it: unthrottled).
pub const MAX_RATE: u32 = 10_000;

/// Where a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(
    feature = "ssr",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "Text")
)]
pub enum JobStatus {
    /// Working (or waiting for Cisco CallManager to be started).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "running"))]
    Running,
    /// Paused by an administrator: no new device is reached.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "paused"))]
    Paused,
    /// Cancelled: the devices not yet reached never will be.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "cancelled"))]
    Cancelled,
    /// Every device has a final status.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "done"))]
    Done,
    /// Stopped by an error.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "failed"))]
    Failed,
}

impl JobStatus {
    /// Every status.
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Running,
        JobStatus::Paused,
        JobStatus::Cancelled,
        JobStatus::Done,
        JobStatus::Failed,
    ];

    /// The stored name.
    pub const fn key(self) -> &'static str {
        match self {
            JobStatus::Running => "running",
            JobStatus::Paused => "paused",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
        }
    }

    /// The status with that stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == text)
    }

    /// The label the pages show.
    pub fn label(self) -> &'static str {
        match self {
            JobStatus::Running => "Running",
            JobStatus::Paused => "Paused",
            JobStatus::Cancelled => "Cancelled",
            JobStatus::Done => "Done",
            JobStatus::Failed => "Failed",
        }
    }

    /// Whether the job has ended.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            JobStatus::Cancelled | JobStatus::Done | JobStatus::Failed
        )
    }
}

/// A [`JobStatus`] written as its stored name (`running`, `done`…): the form of the bulk
/// change and import jobs in the API (`#[serde(with = "stored_key")]`).
pub mod stored_key {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    use super::JobStatus;

    /// Writes the stored name.
    pub fn serialize<S: Serializer>(status: &JobStatus, to: S) -> Result<S::Ok, S::Error> {
        to.serialize_str(status.key())
    }

    /// Reads a stored name.
    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<JobStatus, D::Error> {
        let text = String::deserialize(from)?;
        JobStatus::parse(&text)
            .ok_or_else(|| D::Error::custom(format!("{text:?} is not a job status")))
    }
}

/// What an administrator asks of a running job.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum JobControl {
    /// Stop reaching new devices for now.
    Pause,
    /// Go on after a pause.
    Resume,
    /// Give up the devices not reached yet.
    Cancel,
}

impl JobControl {
    /// The name in URLs.
    pub fn key(self) -> &'static str {
        match self {
            JobControl::Pause => "pause",
            JobControl::Resume => "resume",
            JobControl::Cancel => "cancel",
        }
    }

    /// The control with that name.
    pub fn parse(text: &str) -> Option<Self> {
        [JobControl::Pause, JobControl::Resume, JobControl::Cancel]
            .into_iter()
            .find(|c| c.key() == text)
    }

    /// The status a job in `status` moves to, or why it cannot.
    pub fn apply(self, status: JobStatus) -> Result<JobStatus, String> {
        match (self, status) {
            (JobControl::Pause, JobStatus::Running) => Ok(JobStatus::Paused),
            (JobControl::Resume, JobStatus::Paused) => Ok(JobStatus::Running),
            (JobControl::Cancel, JobStatus::Running | JobStatus::Paused) => {
                Ok(JobStatus::Cancelled)
            }
            (JobControl::Pause, _) => Err(format!(
                "a {} job cannot be paused",
                status.label().to_lowercase()
            )),
            (JobControl::Resume, _) => Err(format!(
                "a {} job cannot be resumed",
                status.label().to_lowercase()
            )),
            (JobControl::Cancel, _) => Err(format!(
                "a {} job cannot be cancelled",
                status.label().to_lowercase()
            )),
        }
    }
}

/// Where one device of a job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(
    feature = "ssr",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "Text")
)]
pub enum DeviceStatus {
    /// Not reached yet.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "pending"))]
    Pending,
    /// NOTIFY sent, no answer yet.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "sent"))]
    Sent,
    /// The device answered 200.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "acknowledged"))]
    Acknowledged,
    /// The device answered with an error.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "rejected"))]
    Rejected,
    /// No answer before the transaction timed out (RFC 3261 Timer F).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "timed_out"))]
    TimedOut,
    /// No contact is known for the device: it fetches its files when it next registers.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "not_registered"))]
    NotRegistered,
    /// The job was cancelled before the device was reached.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "cancelled"))]
    Cancelled,
}

impl DeviceStatus {
    /// Every status, in the order the pages list them.
    pub const ALL: [DeviceStatus; 7] = [
        DeviceStatus::Pending,
        DeviceStatus::Sent,
        DeviceStatus::Acknowledged,
        DeviceStatus::Rejected,
        DeviceStatus::TimedOut,
        DeviceStatus::NotRegistered,
        DeviceStatus::Cancelled,
    ];

    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "pending",
            DeviceStatus::Sent => "sent",
            DeviceStatus::Acknowledged => "acknowledged",
            DeviceStatus::Rejected => "rejected",
            DeviceStatus::TimedOut => "timed_out",
            DeviceStatus::NotRegistered => "not_registered",
            DeviceStatus::Cancelled => "cancelled",
        }
    }

    /// The status with that stored name.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.key() == text)
    }

    /// The label the pages show.
    pub fn label(self) -> &'static str {
        match self {
            DeviceStatus::Pending => "Pending",
            DeviceStatus::Sent => "Sent",
            DeviceStatus::Acknowledged => "Acknowledged",
            DeviceStatus::Rejected => "Rejected",
            DeviceStatus::TimedOut => "Timed out",
            DeviceStatus::NotRegistered => "Not registered",
            DeviceStatus::Cancelled => "Cancelled",
        }
    }

    /// Whether nothing more happens to the device in this job.
    pub fn is_final(self) -> bool {
        !matches!(self, DeviceStatus::Pending | DeviceStatus::Sent)
    }

    /// Whether a reset reaching the device this way counts as done (R10): it acknowledged, or it
    /// is not registered and fetches its files when it next registers.
    pub fn counts_as_reset(self) -> bool {
        matches!(
            self,
            DeviceStatus::Acknowledged | DeviceStatus::NotRegistered
        )
    }
}

/// The pause between two devices at `rate` devices per second (`None`: no pause).
pub fn pace(rate: Option<u32>) -> Option<std::time::Duration> {
    rate.filter(|r| *r > 0)
        .map(|r| std::time::Duration::from_secs_f64(1.0 / f64::from(r)))
}

/// Checks a rate typed by an administrator: empty or 0 is unthrottled.
pub fn parse_rate(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(0) => Ok(None),
        Ok(n) if n <= MAX_RATE => Ok(Some(n)),
        _ => Err(format!(
            "must be a whole number of devices per second from 1 to {MAX_RATE}, or 0 for no limit"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_controls_follow_the_status() {
        assert_eq!(
            JobControl::Pause.apply(JobStatus::Running),
            Ok(JobStatus::Paused)
        );
        assert_eq!(
            JobControl::Resume.apply(JobStatus::Paused),
            Ok(JobStatus::Running)
        );
        assert_eq!(
            JobControl::Cancel.apply(JobStatus::Paused),
            Ok(JobStatus::Cancelled)
        );
        assert!(JobControl::Resume.apply(JobStatus::Running).is_err());
        assert!(JobControl::Cancel.apply(JobStatus::Done).is_err());
        assert!(JobControl::Pause.apply(JobStatus::Cancelled).is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in DeviceStatus::ALL {
            assert_eq!(DeviceStatus::parse(s.key()), Some(s));
        }
        for s in JobStatus::ALL {
            assert_eq!(JobStatus::parse(s.key()), Some(s));
        }
        assert!(!DeviceStatus::Sent.is_final());
        assert!(DeviceStatus::TimedOut.is_final());
        assert!(!DeviceStatus::TimedOut.counts_as_reset());
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate(""), Ok(None));
        assert_eq!(parse_rate("0"), Ok(None));
        assert_eq!(parse_rate("50"), Ok(Some(50)));
        assert!(parse_rate("-1").is_err());
        assert!(parse_rate("10001").is_err());
        assert!(parse_rate("fast").is_err());
        assert_eq!(pace(Some(50)), Some(std::time::Duration::from_millis(20)));
        assert_eq!(pace(None), None);
    }
}
