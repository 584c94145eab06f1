//! Where the TFTP file pipeline stands: as stored in its state row, and as the TFTP Files page
//! and `GET /api/v1/tftp-files/status` show it (`idle`, `running`, `failed`).

use serde::{Deserialize, Serialize};

/// The state of the last or current build of the TFTP files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(
    feature = "ssr",
    derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter),
    sea_orm(rs_type = "String", db_type = "Text")
)]
pub enum BuildStatus {
    /// No build running; the last one finished.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "idle"))]
    Idle,
    /// A build is running (or was, when a node stopped in the middle of one).
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "running"))]
    Running,
    /// The last build stopped with an error.
    #[cfg_attr(feature = "ssr", sea_orm(string_value = "failed"))]
    Failed,
}
