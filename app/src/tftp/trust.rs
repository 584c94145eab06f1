//! Which records of a CTL may have signed a file, as a phone decides it: a security token (SAST)
//! signs a CTL file, the TFTP server (or a CallManager that runs TFTP) every other signed file,
//! and the record's serial number is the one in the file's header. `ccmadmin verify` and the
//! phone simulator both check signatures through these.

use super::ctl::{DecodedRecord, Role};
use super::{keys, sgn};

/// True when a record in `role` may sign a CTL file (`is_ctl`) or another signed file.
pub fn may_sign(is_ctl: bool, role: Role) -> bool {
    if is_ctl {
        role == Role::Sast
    } else {
        matches!(role, Role::Tftp | Role::CallManagerTftp)
    }
}

/// True when `parsed` is a CTL file (its header has a signer version), not another signed file.
pub fn is_ctl(parsed: &sgn::Parsed) -> bool {
    parsed.header.signer_version.is_some()
}

/// The records of `records` that may have signed `parsed`: in a role that may sign it, with the
/// serial number of its header.
pub fn candidates<'a>(
    parsed: &'a sgn::Parsed,
    records: &'a [DecodedRecord],
) -> impl Iterator<Item = &'a DecodedRecord> + 'a {
    let ctl = is_ctl(parsed);
    records
        .iter()
        .filter(move |r| may_sign(ctl, r.role) && r.serial == parsed.header.serial)
}

/// True when one of the [`candidates`] verifies the signature of `parsed`.
pub fn signed_by_any(parsed: &sgn::Parsed, records: &[DecodedRecord]) -> bool {
    let h = &parsed.header;
    candidates(parsed, records).any(|r| {
        matches!(
            keys::verify(
                &r.certificate,
                h.hash,
                &parsed.signed_bytes,
                &parsed.signature
            ),
            Ok(true)
        )
    })
}
