//! System > Cisco CallManager Group, Device Pool and Region: their fields and validation, shared
//! by the pages (checked while the admin types) and the services (checked again on save).

use serde::{Deserialize, Serialize};

use super::net::record_name;
use crate::error::AppError;

/// The most servers a CallManager group lists.
pub const MAX_GROUP_MEMBERS: usize = 3;
/// The longest group, pool or region name.
pub const MAX_NAME: usize = 50;
/// The name of the group, pool and region every install has.
pub const DEFAULT_NAME: &str = "Default";
/// The Date/Time Group every pool uses (this console has no Date/Time Group page).
pub const DATE_TIME_GROUP: &str = "CMLocal";

/// The fields of a CallManager group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupFields {
    /// Unique name.
    pub name: String,
    /// The group auto-registered phones get (at most one group has it).
    #[serde(default)]
    pub auto_registration: bool,
    /// Server names in order: the first is the primary a phone tries first.
    pub members: Vec<String>,
}

/// Checks a group's own fields (not whether its servers exist).
pub fn validate_group(f: &GroupFields) -> Result<(), AppError> {
    record_name("Cisco CallManager Group Name", &f.name, MAX_NAME)?;
    const FIELD: &str = "Selected Cisco CallManagers";
    if f.members.is_empty() {
        return Err(AppError::invalid(FIELD, "select at least one server"));
    }
    if f.members.len() > MAX_GROUP_MEMBERS {
        return Err(AppError::invalid(
            FIELD,
            format!("a group lists at most {MAX_GROUP_MEMBERS} servers"),
        ));
    }
    for (i, m) in f.members.iter().enumerate() {
        if f.members[..i].contains(m) {
            return Err(AppError::invalid(FIELD, format!("{m} is listed twice")));
        }
    }
    Ok(())
}

/// A device pool's SRST choice.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "reference", rename_all = "snake_case")]
pub enum SrstChoice {
    /// No SRST.
    Disable,
    /// The phone's default gateway acts as SRST.
    UseDefaultGateway,
    /// A named SRST reference.
    Reference(String),
}

impl SrstChoice {
    /// The stored `srst_option`.
    pub fn key(&self) -> &'static str {
        match self {
            SrstChoice::Disable => "disable",
            SrstChoice::UseDefaultGateway => "default_gateway",
            SrstChoice::Reference(_) => "reference",
        }
    }

    /// As the page and the CSV files show it: `Disable`, `Use Default Gateway` or the reference's
    /// name.
    pub fn label(&self) -> String {
        match self {
            SrstChoice::Disable => "Disable".to_owned(),
            SrstChoice::UseDefaultGateway => "Use Default Gateway".to_owned(),
            SrstChoice::Reference(name) => name.clone(),
        }
    }

    /// The choice a label names (the inverse of [`SrstChoice::label`]).
    pub fn from_label(label: &str) -> Self {
        match label {
            "" | "Disable" => SrstChoice::Disable,
            "Use Default Gateway" => SrstChoice::UseDefaultGateway,
            name => SrstChoice::Reference(name.to_owned()),
        }
    }
}

/// The fields of a device pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolFields {
    /// Unique name.
    pub name: String,
    /// The CallManager group its devices register to.
    pub callmanager_group: String,
    /// Its region.
    pub region: String,
    /// Its SRST choice.
    pub srst: SrstChoice,
}

/// Checks a pool's own fields (not whether the group, region or reference exist).
pub fn validate_pool(f: &PoolFields) -> Result<(), AppError> {
    record_name("Device Pool Name", &f.name, MAX_NAME)?;
    if f.callmanager_group.is_empty() {
        return Err(AppError::invalid("Cisco CallManager Group", "is required"));
    }
    if f.region.is_empty() {
        return Err(AppError::invalid("Region", "is required"));
    }
    if let SrstChoice::Reference(name) = &f.srst {
        if name.is_empty() {
            return Err(AppError::invalid("SRST Reference", "choose a reference"));
        }
    }
    Ok(())
}

/// The audio codec used between devices of a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AudioCodec {
    /// G.711 (64 kb/s).
    G711,
    /// G.729 (8 kb/s).
    G729,
    /// G.722 wideband: R6 concerns regions that use it.
    G722,
    /// Cisco wideband (256 kb/s): R6 concerns regions that use it.
    Wideband,
}

impl AudioCodec {
    /// Every codec, in the order the page lists them.
    pub const ALL: [AudioCodec; 4] = [
        AudioCodec::G711,
        AudioCodec::G729,
        AudioCodec::G722,
        AudioCodec::Wideband,
    ];

    /// As stored and shown.
    pub fn label(self) -> &'static str {
        match self {
            AudioCodec::G711 => "G.711",
            AudioCodec::G729 => "G.729",
            AudioCodec::G722 => "G.722",
            AudioCodec::Wideband => "Wideband",
        }
    }

    /// The codec a label names.
    pub fn parse(label: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.label() == label)
    }

    /// A wideband codec (R6: an encrypted 7940/7960 falls back to a narrowband one).
    pub fn is_wideband(self) -> bool {
        matches!(self, AudioCodec::G722 | AudioCodec::Wideband)
    }
}

/// The fields of a region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionFields {
    /// Unique name.
    pub name: String,
    /// The codec between its devices.
    pub audio_codec: AudioCodec,
}

/// Checks a region's fields.
pub fn validate_region(f: &RegionFields) -> Result<(), AppError> {
    record_name("Region Name", &f.name, MAX_NAME)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(members: &[&str]) -> GroupFields {
        GroupFields {
            name: "G1".into(),
            auto_registration: false,
            members: members.iter().map(|m| (*m).to_owned()).collect(),
        }
    }

    #[test]
    fn a_group_lists_one_to_three_distinct_servers() {
        assert!(validate_group(&group(&["A"])).is_ok());
        assert!(validate_group(&group(&["A", "B", "C"])).is_ok());
        let none = validate_group(&group(&[])).unwrap_err();
        assert_eq!(none.field(), Some("Selected Cisco CallManagers"));
        let four = validate_group(&group(&["A", "B", "C", "D"])).unwrap_err();
        assert!(four.to_string().contains("at most 3"), "{four}");
        let twice = validate_group(&group(&["A", "A"])).unwrap_err();
        assert!(twice.to_string().contains("A is listed twice"));
    }

    #[test]
    fn srst_labels_round_trip() {
        for choice in [
            SrstChoice::Disable,
            SrstChoice::UseDefaultGateway,
            SrstChoice::Reference("SRST-Site1".into()),
        ] {
            assert_eq!(SrstChoice::from_label(&choice.label()), choice);
        }
    }

    #[test]
    fn a_pool_needs_its_group_and_region() {
        let mut pool = PoolFields {
            name: "DP-1".into(),
            callmanager_group: "Default".into(),
            region: "Default".into(),
            srst: SrstChoice::Reference(String::new()),
        };
        assert_eq!(
            validate_pool(&pool).unwrap_err().field(),
            Some("SRST Reference")
        );
        pool.srst = SrstChoice::Disable;
        assert!(validate_pool(&pool).is_ok());
        pool.callmanager_group.clear();
        assert_eq!(
            validate_pool(&pool).unwrap_err().field(),
            Some("Cisco CallManager Group")
        );
    }

    #[test]
    fn wideband_codecs_are_the_ones_r6_names() {
        assert!(AudioCodec::G722.is_wideband());
        assert!(!AudioCodec::G711.is_wideband());
        assert_eq!(AudioCodec::parse("G.729"), Some(AudioCodec::G729));
    }
}
