//! What Device > Bulk Administration exchanges with the server: the validation report of a CSV
//! import, the import's mode, and phone templates.

use serde::{Deserialize, Serialize};

use crate::domain::device::Protocol;
use crate::domain::security::{BuiltInBridge, ConfiguredMode, Hardening};

/// What an import does with the rows that are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportMode {
    /// Nothing is applied while any row is refused.
    AllOrNothing,
    /// The valid rows are applied, the refused ones left out.
    ValidRows,
}

/// What an import does to existing and new phones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportAction {
    /// Insert new phones and update existing ones.
    #[default]
    InsertOrUpdate,
    /// Insert new phones only: a row naming an existing phone is refused.
    InsertOnly,
    /// Update existing phones only: a row naming an unknown phone is refused.
    UpdateOnly,
}

/// A refused value or a warning, where it is in the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowProblem {
    /// The line of the file the row starts on (the header is line 1).
    pub line: u64,
    /// The column's header name, empty when the problem is the whole row.
    pub column: String,
    /// Why.
    pub reason: String,
}

/// What an import would do, row by row.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Data rows in the file.
    pub rows: u64,
    /// Rows that insert a new phone.
    pub inserts: u64,
    /// Rows that change an existing phone.
    pub updates: u64,
    /// Rows equal to the phone as stored.
    pub unchanged: u64,
    /// Rows refused.
    pub refused: u64,
    /// Every refused value (at most [`MAX_REPORTED`]).
    pub problems: Vec<RowProblem>,
    /// R5 and R7 warnings of rows that would be applied (at most [`MAX_REPORTED`]).
    pub warnings: Vec<RowProblem>,
    /// Problems or warnings beyond [`MAX_REPORTED`] were counted but not listed.
    pub truncated: bool,
}

/// The most problems, and the most warnings, a report lists.
pub const MAX_REPORTED: usize = 1_000;

/// A request to validate or import a CSV file of phones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportRequest {
    /// The file's text.
    pub csv: String,
    /// Insert, update or both.
    #[serde(default)]
    pub action: ImportAction,
    /// What to do with refused rows.
    pub mode: ImportMode,
}

/// The defaults a phone template gives the columns an import row leaves empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateFields {
    /// Unique name.
    pub name: String,
    /// Phone model.
    pub model: String,
    /// Device protocol.
    pub protocol: Protocol,
    /// Device pool.
    pub device_pool: String,
    /// Device Security Mode.
    pub security_mode: ConfiguredMode,
    /// Built In Bridge.
    pub built_in_bridge: BuiltInBridge,
    /// Phone hardening.
    pub hardening: Hardening,
}

/// A stored phone template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateInfo {
    /// Its fields.
    pub fields: TemplateFields,
    /// Optimistic-concurrency version.
    pub version: i32,
}
