//! The phone file of Bulk Administration: its columns (every field of Phone Configuration, by the
//! page's labels), how a header row maps to them, and the values each column takes. Pure: the
//! import service applies it against the store.

use std::collections::HashMap;

use super::csv::{cell_value, Record};
use super::device::{AuthenticationMode, CertificateOperation, PhoneFields, Protocol};
use super::security::{BuiltInBridge, ConfiguredMode, Hardening};

/// The limits an import is held to before any work is done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// The largest file, in bytes.
    pub max_bytes: usize,
    /// The most data rows.
    pub max_rows: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024 * 1024,
            max_rows: 200_000,
        }
    }
}

/// A column of the phone file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Column {
    /// Device Name (required; the key of the row).
    DeviceName,
    /// Description.
    Description,
    /// Phone Model.
    PhoneModel,
    /// Device Protocol.
    DeviceProtocol,
    /// Device Pool.
    DevicePool,
    /// Device Security Mode.
    SecurityMode,
    /// Built In Bridge.
    BuiltInBridge,
    /// Certificate Operation.
    CertificateOperation,
    /// Authentication Mode.
    AuthenticationMode,
    /// Authentication String.
    AuthenticationString,
    /// Key Size (Bits).
    KeySize,
    /// Gratuitous ARP.
    GratuitousArp,
    /// Web Access.
    WebAccess,
    /// PC Voice VLAN Access.
    PcVoiceVlanAccess,
    /// Settings Access.
    SettingsAccess,
    /// PC Port.
    PcPort,
    /// Certificate Operation Status (exported; read-only, ignored on import).
    CertificateOperationStatus,
    /// LSC Status (exported; read-only, ignored on import).
    LscStatus,
    /// Template (import only): the phone template whose values fill the empty cells.
    Template,
}

impl Column {
    /// The columns of an exported file, in order.
    pub const EXPORTED: [Column; 18] = [
        Column::DeviceName,
        Column::Description,
        Column::PhoneModel,
        Column::DeviceProtocol,
        Column::DevicePool,
        Column::SecurityMode,
        Column::BuiltInBridge,
        Column::CertificateOperation,
        Column::AuthenticationMode,
        Column::AuthenticationString,
        Column::KeySize,
        Column::GratuitousArp,
        Column::WebAccess,
        Column::PcVoiceVlanAccess,
        Column::SettingsAccess,
        Column::PcPort,
        Column::CertificateOperationStatus,
        Column::LscStatus,
    ];

    /// Every column an imported file may have.
    pub const ALL: [Column; 19] = [
        Column::DeviceName,
        Column::Description,
        Column::PhoneModel,
        Column::DeviceProtocol,
        Column::DevicePool,
        Column::SecurityMode,
        Column::BuiltInBridge,
        Column::CertificateOperation,
        Column::AuthenticationMode,
        Column::AuthenticationString,
        Column::KeySize,
        Column::GratuitousArp,
        Column::WebAccess,
        Column::PcVoiceVlanAccess,
        Column::SettingsAccess,
        Column::PcPort,
        Column::CertificateOperationStatus,
        Column::LscStatus,
        Column::Template,
    ];

    /// The header name (the page's label).
    pub fn header(self) -> &'static str {
        match self {
            Column::DeviceName => "Device Name",
            Column::Description => "Description",
            Column::PhoneModel => "Phone Model",
            Column::DeviceProtocol => "Device Protocol",
            Column::DevicePool => "Device Pool",
            Column::SecurityMode => "Device Security Mode",
            Column::BuiltInBridge => "Built In Bridge",
            Column::CertificateOperation => "Certificate Operation",
            Column::AuthenticationMode => "Authentication Mode",
            Column::AuthenticationString => "Authentication String",
            Column::KeySize => "Key Size (Bits)",
            Column::GratuitousArp => "Gratuitous ARP",
            Column::WebAccess => "Web Access",
            Column::PcVoiceVlanAccess => "PC Voice VLAN Access",
            Column::SettingsAccess => "Settings Access",
            Column::PcPort => "PC Port",
            Column::CertificateOperationStatus => "Certificate Operation Status",
            Column::LscStatus => "LSC Status",
            Column::Template => "Template",
        }
    }

    /// Exported for reading, ignored on import.
    pub fn read_only(self) -> bool {
        matches!(self, Column::CertificateOperationStatus | Column::LscStatus)
    }

    /// The values the column takes, in words (for the README and refusals).
    pub fn takes(self) -> &'static str {
        match self {
            Column::DeviceName => "SEP and 12 hex digits (upper case)",
            Column::Description => "text, at most 128 characters",
            Column::PhoneModel => "a phone model's name, e.g. Cisco 7960",
            Column::DeviceProtocol => "SCCP or SIP",
            Column::DevicePool => "a device pool's name",
            Column::SecurityMode => "Use System Default, Non Secure, Authenticated or Encrypted",
            Column::BuiltInBridge => "On, Off or Default",
            Column::CertificateOperation => {
                "No Pending Operation, Install/Upgrade, Delete or Troubleshoot"
            }
            Column::AuthenticationMode => {
                "By Authentication String, By Null String, By Existing Certificate (Precedence \
                 to LSC) or By Existing Certificate (Precedence to MIC)"
            }
            Column::AuthenticationString => "4 to 10 digits; ******** keeps the stored one",
            Column::KeySize => "512, 1024 or 2048",
            Column::GratuitousArp
            | Column::WebAccess
            | Column::PcVoiceVlanAccess
            | Column::SettingsAccess
            | Column::PcPort => "Enabled or Disabled",
            Column::CertificateOperationStatus | Column::LscStatus => "read-only",
            Column::Template => "a phone template's name",
        }
    }
}

/// A problem of the file at a place: the column's header (empty for the whole row) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellProblem {
    /// The column's header name, or empty.
    pub column: String,
    /// Why.
    pub reason: String,
}

fn problem(column: &str, reason: impl Into<String>) -> CellProblem {
    CellProblem {
        column: column.to_owned(),
        reason: reason.into(),
    }
}

/// The columns of a header row, in order. Refused: an unknown or repeated column (by name), and
/// a file without Device Name.
pub fn header(cells: &[String]) -> Result<Vec<Column>, CellProblem> {
    let mut out = Vec::with_capacity(cells.len());
    for cell in cells {
        let name = cell.trim();
        let column = Column::ALL
            .into_iter()
            .find(|c| c.header().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                problem(
                    name,
                    format!(
                        "{name:?} is not a column of the phone file; the columns are {}",
                        Column::ALL.map(Column::header).join(", ")
                    ),
                )
            })?;
        if out.contains(&column) {
            return Err(problem(column.header(), "the column appears twice"));
        }
        out.push(column);
    }
    if !out.contains(&Column::DeviceName) {
        return Err(problem("Device Name", "the file has no Device Name column"));
    }
    Ok(out)
}

/// One data row's non-empty cells by column, their formula guards removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Row {
    /// The line the row starts on.
    pub line: u64,
    /// The non-empty cells.
    pub cells: HashMap<Column, String>,
}

impl Row {
    /// The cell of `column`, when the row gives one.
    pub fn get(&self, column: Column) -> Option<&str> {
        self.cells.get(&column).map(String::as_str)
    }

    /// The Device Name.
    pub fn name(&self) -> &str {
        self.get(Column::DeviceName).unwrap_or_default()
    }
}

/// The row of `record` under `columns`. Refused: a record with more cells than the header, a
/// formula-like cell.
pub fn row(columns: &[Column], record: &Record) -> Result<Row, CellProblem> {
    if record.cells.len() > columns.len() {
        return Err(problem(
            "",
            format!(
                "the row has {} cells, the header {}",
                record.cells.len(),
                columns.len()
            ),
        ));
    }
    let mut cells = HashMap::new();
    for (column, cell) in columns.iter().zip(&record.cells) {
        if column.read_only() {
            continue;
        }
        let value = cell_value(cell).map_err(|r| problem(column.header(), r))?;
        if !value.is_empty() {
            cells.insert(*column, value.to_owned());
        }
    }
    Ok(Row {
        line: record.line,
        cells,
    })
}

fn parse_with<T>(
    column: Column,
    value: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, CellProblem> {
    parse(value).ok_or_else(|| {
        problem(
            column.header(),
            format!("{value:?} is not one of: {}", column.takes()),
        )
    })
}

fn switch(value: &str) -> Option<bool> {
    if value.eq_ignore_ascii_case("Enabled") {
        Some(true)
    } else if value.eq_ignore_ascii_case("Disabled") {
        Some(false)
    } else {
        None
    }
}

/// `base` with every cell of `row` applied (`mask`: the Authentication String value that keeps
/// the stored one). The first unreadable value is the refusal.
pub fn apply(row: &Row, mut base: PhoneFields, mask: &str) -> Result<PhoneFields, CellProblem> {
    for column in &Column::ALL {
        let Some(v) = row.get(*column) else {
            continue;
        };
        match column {
            Column::DeviceName => base.name = v.to_owned(),
            Column::Description => base.description = v.to_owned(),
            Column::PhoneModel => base.model = v.to_owned(),
            Column::DevicePool => base.device_pool = v.to_owned(),
            Column::DeviceProtocol => base.protocol = parse_with(*column, v, Protocol::parse)?,
            Column::SecurityMode => {
                base.security_mode = parse_with(*column, v, ConfiguredMode::parse)?;
            }
            Column::BuiltInBridge => {
                base.built_in_bridge = parse_with(*column, v, BuiltInBridge::parse)?;
            }
            Column::CertificateOperation => {
                base.certificate_operation = parse_with(*column, v, CertificateOperation::parse)?;
            }
            Column::AuthenticationMode => {
                base.authentication_mode = parse_with(*column, v, AuthenticationMode::parse)?;
            }
            Column::AuthenticationString => {
                if v != mask {
                    base.authentication_string = v.to_owned();
                }
            }
            Column::KeySize => base.key_size = parse_with(*column, v, |s| s.parse().ok())?,
            Column::GratuitousArp => {
                base.hardening.gratuitous_arp = parse_with(*column, v, switch)?;
            }
            Column::WebAccess => base.hardening.web_access = parse_with(*column, v, switch)?,
            Column::PcVoiceVlanAccess => {
                base.hardening.pc_voice_vlan_access = parse_with(*column, v, switch)?;
            }
            Column::SettingsAccess => {
                base.hardening.settings_access = parse_with(*column, v, switch)?;
            }
            Column::PcPort => base.hardening.pc_port = parse_with(*column, v, switch)?,
            Column::CertificateOperationStatus | Column::LscStatus | Column::Template => {}
        }
    }
    Ok(base)
}

fn on_off(on: bool) -> &'static str {
    if on {
        "Enabled"
    } else {
        "Disabled"
    }
}

/// A phone's cells in [`Column::EXPORTED`] order (`authentication_string` as it may be shown).
pub fn export_cells(
    f: &PhoneFields,
    certificate_operation_status: &str,
    lsc_status: &str,
) -> [String; 18] {
    let Hardening {
        gratuitous_arp,
        web_access,
        pc_voice_vlan_access,
        settings_access,
        pc_port,
    } = f.hardening;
    [
        f.name.clone(),
        f.description.clone(),
        f.model.clone(),
        f.protocol.label().to_owned(),
        f.device_pool.clone(),
        f.security_mode.label().to_owned(),
        f.built_in_bridge.label().to_owned(),
        f.certificate_operation.label().to_owned(),
        f.authentication_mode.label().to_owned(),
        f.authentication_string.clone(),
        f.key_size.to_string(),
        on_off(gratuitous_arp).to_owned(),
        on_off(web_access).to_owned(),
        on_off(pc_voice_vlan_access).to_owned(),
        on_off(settings_access).to_owned(),
        on_off(pc_port).to_owned(),
        certificate_operation_status.to_owned(),
        lsc_status.to_owned(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::csv::parse;

    fn strings(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| (*c).to_owned()).collect()
    }

    #[test]
    fn headers_in_any_order_unknown_ones_refused_by_name() {
        let cols = header(&strings(&["Phone Model", "device name"])).unwrap();
        assert_eq!(cols, [Column::PhoneModel, Column::DeviceName]);
        let unknown = header(&strings(&["Device Name", "Colour"])).unwrap_err();
        assert_eq!(unknown.column, "Colour");
        assert!(unknown.reason.contains("not a column"));
        let twice = header(&strings(&["Device Name", "Description", "Description"])).unwrap_err();
        assert_eq!(twice.column, "Description");
        assert!(header(&strings(&["Description"])).is_err());
    }

    #[test]
    fn an_exported_row_reads_back_to_the_same_fields() {
        let mut f = PhoneFields::new("SEP001122AABBCC", "Cisco 7960", "Default");
        f.description = "=lobby, west".into();
        f.security_mode = ConfiguredMode::parse("Encrypted").unwrap();
        f.hardening.web_access = false;
        let mut text = String::new();
        crate::domain::csv::push_record(
            &mut text,
            Column::EXPORTED.map(Column::header).iter().copied(),
        );
        let cells = export_cells(&f, "None", "None");
        crate::domain::csv::push_record(&mut text, cells.iter().map(String::as_str));
        let records = parse(
            &text,
            crate::domain::csv::Bounds {
                records: 10,
                cells: 20,
            },
        )
        .unwrap();
        let cols = header(&records[0].cells).unwrap();
        let r = row(&cols, &records[1]).unwrap();
        let back = apply(&r, PhoneFields::new("", "", ""), "********").unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn a_bad_value_names_its_column() {
        let cols = [Column::DeviceName, Column::KeySize, Column::WebAccess];
        let rec = Record {
            line: 4,
            cells: strings(&["SEP001122AABBCC", "1024", "maybe"]),
        };
        let r = row(&cols, &rec).unwrap();
        let err = apply(&r, PhoneFields::new("", "", ""), "*").unwrap_err();
        assert_eq!(err.column, "Web Access");
        let long = Record {
            line: 5,
            cells: strings(&["a", "b", "c", "d"]),
        };
        assert!(row(&cols, &long).is_err());
        let formula = Record {
            line: 6,
            cells: strings(&["SEP001122AABBCC", "=2*512"]),
        };
        assert_eq!(row(&cols, &formula).unwrap_err().column, "Key Size (Bits)");
    }
}
