//! What the audit log records.

use serde::{Deserialize, Serialize};

/// The kind of an audit event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuditAction {
    /// A successful login.
    LoginSuccess,
    /// A refused login.
    LoginFailure,
    /// A logout.
    Logout,
    /// A request refused for lack of privilege.
    AccessDenied,
    /// A record was created.
    Create,
    /// A record was changed.
    Update,
    /// A record was deleted.
    Delete,
    /// Records were exported (Bulk Administration).
    Export,
    /// A backup was taken (never with its passphrase).
    Backup,
    /// A backup was restored.
    Restore,
}

impl AuditAction {
    /// Every action, for filters.
    pub const ALL: [AuditAction; 10] = [
        AuditAction::LoginSuccess,
        AuditAction::LoginFailure,
        AuditAction::Logout,
        AuditAction::AccessDenied,
        AuditAction::Create,
        AuditAction::Update,
        AuditAction::Delete,
        AuditAction::Export,
        AuditAction::Backup,
        AuditAction::Restore,
    ];

    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            AuditAction::LoginSuccess => "login_success",
            AuditAction::LoginFailure => "login_failure",
            AuditAction::Logout => "logout",
            AuditAction::AccessDenied => "access_denied",
            AuditAction::Create => "create",
            AuditAction::Update => "update",
            AuditAction::Delete => "delete",
            AuditAction::Export => "export",
            AuditAction::Backup => "backup",
            AuditAction::Restore => "restore",
        }
    }

    /// The label shown on the Audit Log page.
    pub fn label(self) -> &'static str {
        match self {
            AuditAction::LoginSuccess => "Login",
            AuditAction::LoginFailure => "Login failed",
            AuditAction::Logout => "Logout",
            AuditAction::AccessDenied => "Access denied",
            AuditAction::Create => "Create",
            AuditAction::Update => "Update",
            AuditAction::Delete => "Delete",
            AuditAction::Export => "Export",
            AuditAction::Backup => "Backup",
            AuditAction::Restore => "Restore",
        }
    }

    /// The action stored as `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.key() == key)
    }
}

/// Object types the audit log names.
pub mod object {
    /// A user account.
    pub const USER: &str = "User";
    /// A user group.
    pub const USER_GROUP: &str = "UserGroup";
    /// An enterprise parameter.
    pub const ENTERPRISE_PARAMETER: &str = "EnterpriseParameter";
    /// An API token.
    pub const API_TOKEN: &str = "ApiToken";
    /// A login session.
    pub const SESSION: &str = "Session";
    /// A page or API route.
    pub const ROUTE: &str = "Route";
    /// A phone.
    pub const PHONE: &str = "Phone";
    /// An SRST reference.
    pub const SRST_REFERENCE: &str = "SrstReference";
    /// A service parameter (`server/service/name`).
    pub const SERVICE_PARAMETER: &str = "ServiceParameter";
    /// A service's activation on a server (`server/service`).
    pub const SERVICE_ACTIVATION: &str = "ServiceActivation";
    /// A server (Cisco CallManager).
    pub const SERVER: &str = "Server";
    /// Another cluster sharing the TFTP servers.
    pub const TFTP_CLUSTER: &str = "TftpCluster";
    /// A certificate of the cluster (CallManager, TFTP, CAPF, security token).
    pub const CERTIFICATE: &str = "Certificate";
    /// The CTL file and the cluster security mode.
    pub const CTL: &str = "Ctl";
    /// A service's run state (Control Center).
    pub const SERVICE: &str = "Service";
    /// A device reset or restart job.
    pub const JOB: &str = "Job";
    /// A CallManager group.
    pub const CALLMANAGER_GROUP: &str = "CallManagerGroup";
    /// A device pool.
    pub const DEVICE_POOL: &str = "DevicePool";
    /// A backup archive (by the name of its file).
    pub const BACKUP: &str = "Backup";
    /// A region.
    pub const REGION: &str = "Region";
    /// A phone template.
    pub const PHONE_TEMPLATE: &str = "PhoneTemplate";

    /// The object types whose changes can change the TFTP files.
    pub const TFTP_RELEVANT: &[&str] = &[
        PHONE,
        SRST_REFERENCE,
        ENTERPRISE_PARAMETER,
        SERVICE_PARAMETER,
        SERVER,
        CERTIFICATE,
        CTL,
        CALLMANAGER_GROUP,
        DEVICE_POOL,
    ];
}
