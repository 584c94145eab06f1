//! `ccmadmin verify FILE [--cert CERT]`: reads a signed file (`.sgn`) or a CTL file, prints its
//! header fields (and a CTL file's records), and checks the signature over the bytes the format
//! says are signed. Exit status: 0 valid, 1 invalid, 2 unreadable.

use std::path::Path;

use app::service::certificates::hex;
use app::tftp::ctl::{self, Role};
use app::tftp::keys;
use app::tftp::sgn;
use app::tftp::CTL_FILE;

/// The signature is valid.
pub const VALID: u8 = 0;
/// The signature does not verify.
pub const INVALID: u8 = 1;
/// The file (or the certificate to check it with) cannot be read.
pub const UNREADABLE: u8 = 2;

fn certificate_from(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    keys::certificate_der(&bytes).map_err(|e| format!("{}: not a certificate: {e}", path.display()))
}

/// Checks `file`; prints what it finds; returns the exit status.
pub fn verify(file: &Path, cert: Option<&Path>) -> u8 {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("ccmadmin: {}: {e}", file.display());
            return UNREADABLE;
        }
    };
    let parsed = match sgn::parse(&bytes) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("ccmadmin: {}: not a signed file: {e}", file.display());
            return UNREADABLE;
        }
    };
    let h = &parsed.header;
    let is_ctl = h.signer_version.is_some();
    println!("file:             {}", file.display());
    println!(
        "kind:             {}",
        if is_ctl { "CTL file" } else { "signed file" }
    );
    println!("version:          {}.{}", h.version.0, h.version.1);
    println!("header length:    {}", h.header_length);
    println!("signer:           {}", h.signer);
    println!("issuer:           {}", h.issuer);
    println!("serial number:    {}", hex(&h.serial));
    println!("hash algorithm:   {}", h.hash.openssl_name());
    println!("signature length: {} bytes", h.modulus_bytes);
    println!("file name:        {}", h.filename);
    println!("timestamp:        {}", h.timestamp);
    let mut own_records = Vec::new();
    if is_ctl {
        match ctl::decode(&parsed.content) {
            Ok(records) => {
                println!("records:          {}", records.len());
                for r in &records {
                    println!(
                        "  {:<16} {:<20} {} (serial {})",
                        r.role.label(),
                        r.dns_name,
                        r.subject,
                        hex(&r.serial)
                    );
                }
                own_records = records;
            }
            Err(e) => {
                eprintln!("ccmadmin: the CTL records cannot be read: {e}");
                return UNREADABLE;
            }
        }
    } else {
        println!("content:          {} bytes", parsed.content.len());
    }
    let der = match cert {
        Some(path) => match certificate_from(path) {
            Ok(der) => der,
            Err(e) => {
                eprintln!("ccmadmin: {e}");
                return UNREADABLE;
            }
        },
        None => {
            let records = if is_ctl {
                own_records
            } else {
                let beside = file.with_file_name(CTL_FILE);
                match std::fs::read(&beside)
                    .ok()
                    .and_then(|b| sgn::parse(&b).ok())
                    .and_then(|p| ctl::decode(&p.content).ok())
                {
                    Some(records) => records,
                    None => {
                        eprintln!(
                            "ccmadmin: no --cert and no readable {} beside the file to find the signer in",
                            beside.display()
                        );
                        return UNREADABLE;
                    }
                }
            };
            let wanted = |role: Role| {
                if is_ctl {
                    role == Role::Sast
                } else {
                    matches!(role, Role::Tftp | Role::CallManagerTftp)
                }
            };
            match records
                .into_iter()
                .find(|r| wanted(r.role) && r.serial == h.serial)
            {
                Some(r) => {
                    println!(
                        "checked with:     the {} record {} of the CTL",
                        r.role.label(),
                        r.dns_name
                    );
                    r.certificate
                }
                None => {
                    eprintln!(
                        "ccmadmin: the CTL lists no signer with serial number {}",
                        hex(&h.serial)
                    );
                    return INVALID;
                }
            }
        }
    };
    match keys::verify(&der, h.hash, &parsed.signed_bytes, &parsed.signature) {
        Ok(true) => {
            println!("signature:        valid");
            VALID
        }
        Ok(false) => {
            println!("signature:        INVALID");
            INVALID
        }
        Err(e) => {
            eprintln!("ccmadmin: the certificate cannot be used: {e}");
            UNREADABLE
        }
    }
}
