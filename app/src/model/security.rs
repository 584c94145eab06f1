//! Data of the Security pages: the cluster's certificates, the CTL operation, the TFTP files.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::security::ClusterSecurityMode;

/// A certificate's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CertRole {
    /// A software security token that signs the CTL file.
    Sast,
    /// A server's self-signed CallManager certificate.
    CallManager,
    /// The TFTP signing identity (signs `.sgn` files).
    Tftp,
    /// The CAPF certificate authority.
    Capf,
}

impl CertRole {
    /// The stored name.
    pub fn key(self) -> &'static str {
        match self {
            CertRole::Sast => "sast",
            CertRole::CallManager => "callmanager",
            CertRole::Tftp => "tftp",
            CertRole::Capf => "capf",
        }
    }

    /// The role stored as `key`.
    pub fn from_key(key: &str) -> Option<Self> {
        [
            CertRole::Sast,
            CertRole::CallManager,
            CertRole::Tftp,
            CertRole::Capf,
        ]
        .into_iter()
        .find(|r| r.key() == key)
    }

    /// The label the page shows.
    pub fn label(self) -> &'static str {
        match self {
            CertRole::Sast => "Security token (SAST)",
            CertRole::CallManager => "CallManager",
            CertRole::Tftp => "TFTP",
            CertRole::Capf => "CAPF",
        }
    }
}

/// A certificate as the page and the API show it (never its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateInfo {
    /// Id, for downloads.
    pub id: i32,
    /// Role.
    pub role: CertRole,
    /// The server or token it belongs to.
    pub name: String,
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Serial number (hex).
    pub serial: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// Optimistic-concurrency version.
    pub version: i32,
    /// A security token whose key is kept offline as a token file: since when. None while the
    /// key is on the server.
    #[serde(default)]
    pub key_offline_at: Option<DateTime<Utc>>,
}

/// A manufacturer CA trusted for the phones' MICs (R14), as Security > Certificates lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ManufacturerCa {
    /// Id, for removal.
    pub id: i32,
    /// Subject.
    pub subject: String,
    /// Issuer.
    pub issuer: String,
    /// Serial number (hex).
    pub serial: String,
    /// SHA-256 fingerprint.
    pub sha256: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// When it was uploaded.
    pub added_at: DateTime<Utc>,
    /// Who uploaded it.
    pub added_by: String,
}

/// The largest security token file the console reads (a real one is about 4 KiB), checked
/// before any decryption, in the browser and again on the server.
pub const TOKEN_FILE_MAX: usize = 64 * 1024;

/// A security token file brought for one operation: the file (ASCII-armoured age text, as the
/// console exported it) and its passphrase. Used and forgotten; never stored or logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenUpload {
    /// The token file's text.
    pub file: String,
    /// Its passphrase.
    pub passphrase: String,
}

impl std::fmt::Debug for TokenUpload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenUpload")
            .field("file", &format_args!("{} bytes", self.file.len()))
            .finish_non_exhaustive()
    }
}

/// A security token exported as a token file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenExport {
    /// The name to save it as (`SAST1.token`).
    pub file_name: String,
    /// The token file's text (ASCII-armoured age).
    pub file: String,
}

/// The answer to a regeneration: the new certificate and what it requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Regenerated {
    /// The new certificate.
    pub certificate: CertificateInfo,
    /// Required actions (R10, R17).
    pub required_actions: Vec<String>,
}

/// The CTL operation's request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CtlRequest {
    /// The cluster security mode to set.
    pub mode: ClusterSecurityMode,
    /// The security tokens to list (one or two); the first signs the file.
    pub tokens: Vec<String>,
    /// The signing token's file, when its key is kept offline.
    #[serde(default)]
    pub token_file: Option<TokenUpload>,
    /// Sign even though the current CTL file does not list the signing token: the phones will
    /// refuse the new file, and each must have its CTL cleared by hand.
    #[serde(default)]
    pub confirm_new_signer: bool,
}

/// A record of the CTL file as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtlRecordInfo {
    /// Role.
    pub role: String,
    /// DNS name.
    pub name: String,
    /// Subject.
    pub subject: String,
}

/// The CTL page: the mode, the file, and what would refuse an operation now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtlStatus {
    /// The cluster security mode.
    pub mode: ClusterSecurityMode,
    /// The tokens that can sign.
    pub tokens: Vec<String>,
    /// The records of the current CTL file (empty: none yet).
    pub records: Vec<CtlRecordInfo>,
    /// The current file's signer.
    pub signer: Option<String>,
    /// The tokens whose key is kept offline: an operation signed by one needs its token file.
    #[serde(default)]
    pub offline_tokens: Vec<String>,
    /// The tokens whose current certificate the CTL file on this node does not list (by
    /// certificate, not name: a regenerated token is a new one to the phones). Empty when there
    /// is no CTL file yet.
    #[serde(default)]
    pub unlisted_tokens: Vec<String>,
    /// Servers where Cisco CTL Provider is not activated (R18).
    pub ctl_provider_missing: Vec<String>,
    /// Servers with auto-registration on (R2).
    pub auto_registration_on: Vec<String>,
    /// A data-only restore waits for its CTL update (R16): the mode stays as it is and the file
    /// is signed by a token the current file lists.
    #[serde(default)]
    pub restore_update_pending: bool,
}

/// The answer to a CTL operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CtlResult {
    /// The page after the operation.
    pub status: CtlStatus,
    /// What must follow (R10).
    pub required_actions: Vec<String>,
}

/// The largest list the TFTP Files page shows at once.
pub const MAX_LISTED: usize = 100;

/// A built file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TftpFile {
    /// Its name.
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// A signed file (`.sgn`).
    pub signed: bool,
}

/// The pipeline and the folder at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TftpStatus {
    /// Where the pipeline stands.
    pub status: crate::domain::builds::BuildStatus,
    /// Whether the files reflect the newest change.
    pub up_to_date: bool,
    /// Files of the current or last build.
    pub total: i64,
    /// Files written by it.
    pub written: i64,
    /// Files signed by it.
    pub signed: i64,
    /// Stale files it removed.
    pub removed: i64,
    /// The last error.
    pub last_error: Option<String>,
    /// When the current or last build started.
    pub started_at: Option<DateTime<Utc>>,
    /// When the last build finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Files in the folder.
    pub files_in_folder: u64,
    /// Signed files in the folder.
    pub signed_in_folder: u64,
    /// Whether the folder holds a CTL file.
    pub ctl_present: bool,
    /// The files whose name contains the filter (at most [`MAX_LISTED`]), by name.
    pub files: Vec<TftpFile>,
    /// How many files match the filter in all.
    pub matching: u64,
}
