//! Network values of the configuration pages: IPv4 addresses and ports, each refused with the
//! field's label and the reason.

use std::net::Ipv4Addr;

use crate::error::AppError;

/// The lowest and highest valid port.
pub const PORT_RANGE: (i64, i64) = (1, 65_535);

/// `text` as a dotted IPv4 address, or a refusal naming `field`.
pub fn ipv4(field: &str, text: &str) -> Result<Ipv4Addr, AppError> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    trimmed.parse::<Ipv4Addr>().map_err(|_| {
        AppError::invalid(
            field,
            format!("{trimmed:?} is not an IPv4 address (four numbers 0–255, e.g. 10.1.1.1)"),
        )
    })
}

/// `value` as a port, or a refusal naming `field`.
pub fn port(field: &str, value: i64) -> Result<u16, AppError> {
    if (PORT_RANGE.0..=PORT_RANGE.1).contains(&value) {
        u16::try_from(value).map_err(|_| out_of_range(field))
    } else {
        Err(out_of_range(field))
    }
}

fn out_of_range(field: &str) -> AppError {
    AppError::invalid(
        field,
        format!("must be a port from {} to {}", PORT_RANGE.0, PORT_RANGE.1),
    )
}

/// A name of a record: 1–`max` letters, digits, `-`, `_`, `.` or spaces, not blank.
pub fn record_name(field: &str, text: &str, max: usize) -> Result<(), AppError> {
    if text.trim().is_empty() {
        return Err(AppError::invalid(field, "is required"));
    }
    if text != text.trim() {
        return Err(AppError::invalid(
            field,
            "must not start or end with a space",
        ));
    }
    if text.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if !text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '))
    {
        return Err(AppError::invalid(
            field,
            "may contain only letters, digits, spaces, '-', '_' and '.'",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_ports_are_checked() {
        assert!(ipv4("IP Address", "10.1.2.3").is_ok());
        let err = ipv4("IP Address", "10.1.2.300").unwrap_err();
        assert_eq!(err.field(), Some("IP Address"));
        assert!(ipv4("IP Address", "").is_err());
        assert!(port("Port", 0).is_err());
        assert!(port("Port", 65_536).is_err());
        assert_eq!(port("Port", 2445).unwrap(), 2445);
        assert!(record_name("Name", "Branch 1", 50).is_ok());
        assert!(record_name("Name", "a/b", 50).is_err());
        assert!(record_name("Name", " a", 50).is_err());
    }
}
