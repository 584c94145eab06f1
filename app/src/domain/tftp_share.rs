//! R3: clusters that share TFTP servers must all use the same cluster security mode, and each
//! cluster's TFTP path and alternate TFTP path must be unique — otherwise one cluster's CTL file
//! overwrites another's.

use serde::{Deserialize, Serialize};

use super::net::record_name;
use super::security::ClusterSecurityMode;
use crate::error::AppError;

/// A cluster that uses the shared TFTP servers: this one, or another the console is told about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TftpCluster {
    /// The cluster's name.
    pub name: String,
    /// Its TFTP path.
    pub tftp_path: String,
    /// Its alternate TFTP path (may be empty).
    #[serde(default)]
    pub alternate_tftp_path: String,
    /// Its cluster security mode.
    pub security_mode: ClusterSecurityMode,
}

/// Checks another cluster's entry; the first refusal names its field.
pub fn validate_tftp_cluster(c: &TftpCluster) -> Result<(), AppError> {
    record_name("Cluster Name", &c.name, 64)?;
    if c.tftp_path.trim().is_empty() {
        return Err(AppError::invalid("TFTP Path", "is required"));
    }
    for (field, path) in [
        ("TFTP Path", &c.tftp_path),
        ("Alternate TFTP Path", &c.alternate_tftp_path),
    ] {
        if path.len() > 255 || path.chars().any(char::is_control) {
            return Err(AppError::invalid(
                field,
                "must be at most 255 characters, without control characters",
            ));
        }
    }
    Ok(())
}

/// A path as compared: trimmed, `\` as `/`, without a trailing `/`, case-insensitive.
fn normal(path: &str) -> Option<String> {
    let p = path.trim().replace('\\', "/");
    let p = p.trim_end_matches('/');
    (!p.is_empty()).then(|| p.to_lowercase())
}

/// R3's warnings for this cluster among the clusters sharing its TFTP servers.
pub fn r3_warnings(this: &TftpCluster, others: &[TftpCluster]) -> Vec<String> {
    let mut warnings = Vec::new();
    let all: Vec<&TftpCluster> = std::iter::once(this).chain(others.iter()).collect();
    let mut seen: Vec<(String, &str, &str)> = Vec::new();
    for c in &all {
        for (which, path) in [
            ("TFTP path", &c.tftp_path),
            ("alternate TFTP path", &c.alternate_tftp_path),
        ] {
            let Some(p) = normal(path) else { continue };
            if let Some((_, other, other_which)) =
                seen.iter().find(|(q, n, _)| *q == p && *n != c.name)
            {
                warnings.push(format!(
                    "The {which} of {} ({}) is also the {other_which} of {other}: one cluster's CTL \
                     file would overwrite the other's (R3).",
                    c.name,
                    path.trim()
                ));
            }
            seen.push((p, &c.name, which));
        }
    }
    for c in others {
        if c.security_mode != this.security_mode {
            warnings.push(format!(
                "Cluster {} is {} but {} is {}: clusters sharing TFTP servers must use the same \
                 cluster security mode (R3).",
                c.name,
                c.security_mode.label(),
                this.name,
                this.security_mode.label()
            ));
        }
    }
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cluster(name: &str, path: &str, alt: &str, mode: ClusterSecurityMode) -> TftpCluster {
        TftpCluster {
            name: name.into(),
            tftp_path: path.into(),
            alternate_tftp_path: alt.into(),
            security_mode: mode,
        }
    }

    #[test]
    fn r3_colliding_paths_and_modes_are_warned() {
        use ClusterSecurityMode::{Mixed, NonSecure};
        let this = cluster("A", "/tftp/a", "", NonSecure);
        let fine = cluster("B", "/tftp/b", "/tftp/b2", NonSecure);
        assert!(r3_warnings(&this, std::slice::from_ref(&fine)).is_empty());
        let same_path = cluster("C", "/TFTP/A/", "", NonSecure);
        let w = r3_warnings(&this, &[same_path]);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("R3") && w[0].contains("overwrite"));
        let alt_collides = cluster("D", "/tftp/d", "/tftp/b", NonSecure);
        assert_eq!(r3_warnings(&this, &[fine.clone(), alt_collides]).len(), 1);
        let mixed = cluster("E", "/tftp/e", "", Mixed);
        let w = r3_warnings(&this, &[mixed]);
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("same cluster security mode"));
        assert!(r3_warnings(
            &cluster("A", "", "", NonSecure),
            &[cluster("B", "", "", NonSecure)]
        )
        .is_empty());
    }

    #[test]
    fn tftp_cluster_fields_are_validated() {
        let ok = cluster("B", "/tftp/b", "", ClusterSecurityMode::NonSecure);
        assert!(validate_tftp_cluster(&ok).is_ok());
        let no_path = TftpCluster {
            tftp_path: " ".into(),
            ..ok
        };
        assert_eq!(
            validate_tftp_cluster(&no_path).unwrap_err().field(),
            Some("TFTP Path")
        );
    }
}
