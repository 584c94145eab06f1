//! Devices (phones and the R7 device types) with their security and hardening fields.

use sea_orm::entity::prelude::*;

/// A row of `devices`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "devices")]
pub struct Model {
    /// Primary key.
    #[sea_orm(primary_key)]
    pub id: i32,
    /// `SEP` + MAC for phones; unique.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The model.
    pub model_id: i32,
    /// `SCCP` or `SIP`.
    pub protocol: String,
    /// The device pool.
    pub device_pool_id: i32,
    /// Configured Device Security Mode (stored name).
    pub security_mode: String,
    /// Built In Bridge: `On`, `Off`, `Default`.
    pub built_in_bridge: String,
    /// CAPF certificate operation (label).
    pub certificate_operation: String,
    /// CAPF authentication mode (label).
    pub authentication_mode: String,
    /// CAPF authentication string (digits).
    pub authentication_string: String,
    /// CAPF key size in bits.
    pub key_size: i32,
    /// When the pending CAPF operation must complete.
    pub operation_completes_by: Option<DateTimeUtc>,
    /// CAPF operation status (read-only on the page).
    pub certificate_operation_status: String,
    /// `None` or `Installed`.
    pub lsc_status: String,
    /// The LSC's serial (upper-case hex); empty without an LSC.
    pub lsc_serial: String,
    /// The LSC's issuer (common name).
    pub lsc_issuer: String,
    /// The LSC's SHA-256 fingerprint.
    pub lsc_sha256: String,
    /// The LSC is valid from.
    pub lsc_not_before: Option<DateTimeUtc>,
    /// The LSC is valid until.
    pub lsc_not_after: Option<DateTimeUtc>,
    /// The serial of the last MIC the phone presented.
    pub mic_serial: String,
    /// Its issuer (common name).
    pub mic_issuer: String,
    /// Its SHA-256 fingerprint.
    pub mic_sha256: String,
    /// Its end of validity.
    pub mic_not_after: Option<DateTimeUtc>,
    /// The operation the CAPF status is about (label).
    pub capf_operation: String,
    /// Why the last operation failed.
    pub capf_reason: String,
    /// When the CAPF status last changed.
    pub capf_status_at: Option<DateTimeUtc>,
    /// Refused tries (wrong string, refused certificate) of the scheduled operation.
    pub capf_attempts: i32,
    /// Hardening: Gratuitous ARP enabled.
    pub gratuitous_arp: bool,
    /// Hardening: Web Access enabled.
    pub web_access: bool,
    /// Hardening: PC Voice VLAN Access enabled.
    pub pc_voice_vlan_access: bool,
    /// Hardening: Settings Access enabled.
    pub settings_access: bool,
    /// Hardening: PC Port enabled.
    pub pc_port: bool,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// Last change.
    pub updated_at: DateTimeUtc,
    /// Who made the last change.
    pub updated_by: String,
}

/// Relations of `devices`.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    /// The model.
    #[sea_orm(
        belongs_to = "super::phone_models::Entity",
        from = "Column::ModelId",
        to = "super::phone_models::Column::Id"
    )]
    Model,
    /// The device pool.
    #[sea_orm(
        belongs_to = "super::device_pools::Entity",
        from = "Column::DevicePoolId",
        to = "super::device_pools::Column::Id"
    )]
    DevicePool,
}

impl Related<super::phone_models::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Model.def()
    }
}

impl Related<super::device_pools::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::DevicePool.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
