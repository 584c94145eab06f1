//! `ccmadmin verify FILE [--cert CERT | --ctl CTLFILE]`: reads a signed file (`.sgn`) or a CTL
//! file, prints its header fields (and a CTL file's records), and checks the signature over the
//! bytes the format says are signed — only against a trust anchor it is given: the signer's
//! certificate (`--cert`), or a trusted CTL file (`--ctl`) whose TFTP records sign `.sgn` files
//! and whose token (SAST) records sign CTL files. A certificate carried inside the file checked,
//! or a CTL file found beside it, is never trusted: without an anchor the signer is not checked.
//! Exit status: 0 valid, 1 invalid, 2 unreadable, 3 not checked (no trust anchor given).

use std::path::Path;

use app::domain::hex::lower as hex;
use app::tftp::ctl::{self, DecodedRecord};
use app::tftp::keys;
use app::tftp::{sgn, trust};

/// The signature is valid.
pub const VALID: u8 = 0;
/// The signature does not verify.
pub const INVALID: u8 = 1;
/// The file (or the certificate to check it with) cannot be read.
pub const UNREADABLE: u8 = 2;
/// The signer was not checked: no trust anchor (`--cert` or `--ctl`) was given.
pub const UNCHECKED: u8 = 3;

/// What the signer of the file is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrustAnchor<'a> {
    /// The signer's certificate (PEM or DER).
    Certificate(&'a Path),
    /// A trusted CTL file: a signed file is checked against its TFTP records, a CTL file against
    /// its token (SAST) records.
    Ctl(&'a Path),
}

/// The lines a check prints: on standard output, and on standard error.
#[derive(Debug, Default)]
struct Report {
    out: Vec<String>,
    err: Vec<String>,
}

impl Report {
    fn say(&mut self, line: String) {
        self.out.push(line);
    }

    fn complain(&mut self, line: String) {
        self.err.push(format!("ccmadmin: {line}"));
    }
}

fn certificate_from(path: &Path) -> Result<Vec<u8>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    keys::certificate_der(&bytes).map_err(|e| format!("{}: not a certificate: {e}", path.display()))
}

/// The records of the trusted CTL file at `path`.
fn trusted_records(path: &Path) -> Result<Vec<DecodedRecord>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let parsed =
        sgn::parse(&bytes).map_err(|e| format!("{}: not a CTL file: {e}", path.display()))?;
    if parsed.header.signer_version.is_none() {
        return Err(format!("{}: a signed file, not a CTL file", path.display()));
    }
    ctl::decode(&parsed.content)
        .map_err(|e| format!("{}: the CTL records cannot be read: {e}", path.display()))
}

/// Checks `file` against `anchor` (none: the signer is not checked); prints what it finds;
/// returns the exit status: [`VALID`], [`INVALID`], [`UNREADABLE`] or [`UNCHECKED`].
pub fn verify(file: &Path, anchor: Option<TrustAnchor<'_>>) -> u8 {
    let mut report = Report::default();
    let status = check(file, anchor, &mut report);
    for line in &report.out {
        println!("{line}");
    }
    for line in &report.err {
        eprintln!("{line}");
    }
    status
}

/// What [`verify`] does, the lines kept in `report`.
fn check(file: &Path, anchor: Option<TrustAnchor<'_>>, report: &mut Report) -> u8 {
    let bytes = match std::fs::read(file) {
        Ok(b) => b,
        Err(e) => {
            report.complain(format!("{}: {e}", file.display()));
            return UNREADABLE;
        }
    };
    let parsed = match sgn::parse(&bytes) {
        Ok(p) => p,
        Err(e) => {
            report.complain(format!("{}: not a signed file: {e}", file.display()));
            return UNREADABLE;
        }
    };
    let h = &parsed.header;
    let is_ctl = trust::is_ctl(&parsed);
    report.say(format!("file:             {}", file.display()));
    report.say(format!(
        "kind:             {}",
        if is_ctl { "CTL file" } else { "signed file" }
    ));
    report.say(format!("version:          {}.{}", h.version.0, h.version.1));
    report.say(format!("header length:    {}", h.header_length));
    report.say(format!("signer:           {}", h.signer));
    report.say(format!("issuer:           {}", h.issuer));
    report.say(format!("serial number:    {}", hex(&h.serial)));
    report.say(format!("hash algorithm:   {}", h.hash.openssl_name()));
    report.say(format!("signature length: {} bytes", h.modulus_bytes));
    report.say(format!("file name:        {}", h.filename));
    report.say(format!("timestamp:        {}", h.timestamp));
    if is_ctl {
        match ctl::decode(&parsed.content) {
            Ok(records) => {
                report.say(format!("records:          {}", records.len()));
                for r in &records {
                    report.say(format!(
                        "  {:<16} {:<20} {} (serial {})",
                        r.role.label(),
                        r.dns_name,
                        r.subject,
                        hex(&r.serial)
                    ));
                }
            }
            Err(e) => {
                report.complain(format!("the CTL records cannot be read: {e}"));
                return UNREADABLE;
            }
        }
    } else {
        report.say(format!("content:          {} bytes", parsed.content.len()));
    }
    // The certificates the signer may be, each with how it is named; never one the file carries.
    let candidates: Vec<(String, Vec<u8>)> = match anchor {
        None => {
            report.say(
                "signature:        NOT CHECKED: the signer could not be checked, no trust anchor \
                 was given (--cert CERT or --ctl CTLFILE)"
                    .to_owned(),
            );
            report.complain(
                "the signer was not checked: no trust anchor was given (--cert CERT or --ctl \
                 CTLFILE); the certificates a file carries are never trusted"
                    .to_owned(),
            );
            return UNCHECKED;
        }
        Some(TrustAnchor::Certificate(path)) => match certificate_from(path) {
            Ok(der) => vec![(format!("the certificate {}", path.display()), der)],
            Err(e) => {
                report.complain(e);
                return UNREADABLE;
            }
        },
        Some(TrustAnchor::Ctl(path)) => {
            let records = match trusted_records(path) {
                Ok(records) => records,
                Err(e) => {
                    report.complain(e);
                    return UNREADABLE;
                }
            };
            let found: Vec<(String, Vec<u8>)> = trust::candidates(&parsed, &records)
                .map(|r| {
                    (
                        format!(
                            "the {} record {} of the trusted CTL {}",
                            r.role.label(),
                            r.dns_name,
                            path.display()
                        ),
                        r.certificate.clone(),
                    )
                })
                .collect();
            if found.is_empty() {
                report.say("signature:        INVALID".to_owned());
                report.complain(format!(
                    "the trusted CTL {} lists no {} with serial number {}",
                    path.display(),
                    if is_ctl {
                        "token (SAST) record"
                    } else {
                        "TFTP record"
                    },
                    hex(&h.serial)
                ));
                return INVALID;
            }
            found
        }
    };
    let mut checked = false;
    let mut unusable = Vec::new();
    for (name, der) in &candidates {
        match keys::verify(der, h.hash, &parsed.signed_bytes, &parsed.signature) {
            Ok(true) => {
                report.say(format!("checked with:     {name}"));
                report.say("signature:        valid".to_owned());
                return VALID;
            }
            Ok(false) => checked = true,
            Err(e) => unusable.push(format!("{name} cannot be used: {e}")),
        }
    }
    for e in unusable {
        report.complain(e);
    }
    if checked {
        report.say("signature:        INVALID".to_owned());
        INVALID
    } else {
        // Not one certificate to check with could be read.
        UNREADABLE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::path::PathBuf;

    use app::tftp::ctl::{Record, Role};
    use app::tftp::keys::{CertificateRequest, SigningIdentity};
    use app::tftp::sgn::{HashAlgorithm, HeaderKind};
    use app::tftp::CTL_FILE;
    use chrono::Utc;

    /// A new key (in `dir`) and its certificate.
    fn identity(dir: &Path, name: &str) -> std::sync::Arc<SigningIdentity> {
        let request = CertificateRequest {
            common_name: name.to_owned(),
            unit: name.to_owned(),
            organization: "cluster".to_owned(),
            names: vec![name.to_lowercase()],
            years: 5,
            ca: false,
        };
        let file = format!("{name}.pem");
        let der = keys::generate(dir, &file, &request, Utc::now()).unwrap();
        SigningIdentity::load(&dir.join(&file), &der).unwrap()
    }

    /// A CTL file at `path` listing `sast` and `tftp`, signed by `signer`.
    fn write_ctl(
        path: &Path,
        signer: &SigningIdentity,
        sast: &SigningIdentity,
        tftp: &SigningIdentity,
    ) {
        let records = [
            Record {
                role: Role::Sast,
                dns_name: "SAST1".to_owned(),
                ip_address: String::new(),
                certificate: sast.certificate.clone(),
            },
            Record {
                role: Role::Tftp,
                dns_name: "TFTP".to_owned(),
                ip_address: "192.0.2.1".to_owned(),
                certificate: tftp.certificate.clone(),
            },
        ];
        let body = ctl::encode(&records).unwrap();
        let file = sgn::build(
            HeaderKind::Ctl,
            &body,
            CTL_FILE,
            1_700_000_000,
            HashAlgorithm::Sha1,
            &signer.info,
            |data| signer.sign(HashAlgorithm::Sha1, data),
        )
        .unwrap();
        std::fs::write(path, file).unwrap();
    }

    /// A signed config file at `path`, signed by `signer`.
    fn write_sgn(path: &Path, signer: &SigningIdentity) {
        let file = sgn::build(
            HeaderKind::Signed,
            b"<device><deviceSecurityMode>2</deviceSecurityMode></device>",
            "SEP001122334455.cnf.xml",
            1_700_000_000,
            HashAlgorithm::Sha1,
            &signer.info,
            |data| signer.sign(HashAlgorithm::Sha1, data),
        )
        .unwrap();
        std::fs::write(path, file).unwrap();
    }

    fn run(file: &Path, anchor: Option<TrustAnchor<'_>>) -> (u8, String) {
        let mut report = Report::default();
        let status = check(file, anchor, &mut report);
        let mut text = report.out.join("\n");
        text.push('\n');
        text.push_str(&report.err.join("\n"));
        (status, text)
    }

    /// The cluster's folder: its CTL file (signed by its token) and a config file signed by its
    /// TFTP identity beside it; the keys elsewhere.
    struct Cluster {
        _dirs: (tempfile::TempDir, tempfile::TempDir),
        folder: PathBuf,
        sast: std::sync::Arc<SigningIdentity>,
        tftp: std::sync::Arc<SigningIdentity>,
    }

    impl Cluster {
        fn new() -> Self {
            let keys_dir = tempfile::tempdir().unwrap();
            let folder = tempfile::tempdir().unwrap();
            let sast = identity(keys_dir.path(), "SAST1");
            let tftp = identity(keys_dir.path(), "TFTP");
            write_ctl(&folder.path().join(CTL_FILE), &sast, &sast, &tftp);
            write_sgn(&folder.path().join("SEP001122334455.cnf.xml.sgn"), &tftp);
            Self {
                folder: folder.path().to_path_buf(),
                _dirs: (keys_dir, folder),
                sast,
                tftp,
            }
        }

        fn ctl(&self) -> PathBuf {
            self.folder.join(CTL_FILE)
        }

        fn sgn(&self) -> PathBuf {
            self.folder.join("SEP001122334455.cnf.xml.sgn")
        }
    }

    /// Issue 13, point 11: without `--cert` or `--ctl` neither a CTL file (whose own token record
    /// would verify it) nor a signed file (with a CTL file beside it) is reported valid: the
    /// header is printed, the signer is not checked, and the status is neither 0 nor 1.
    #[test]
    fn verify_without_trust_anchor_never_says_valid() {
        let cluster = Cluster::new();
        for file in [cluster.ctl(), cluster.sgn()] {
            let (status, text) = run(&file, None);
            assert_eq!(status, UNCHECKED, "{text}");
            assert_ne!(status, VALID);
            assert!(text.contains("signer:           CN="), "{text}");
            assert!(text.contains("serial number:"), "{text}");
            assert!(text.contains("NOT CHECKED"), "{text}");
            assert!(text.contains("no trust anchor"), "{text}");
            assert!(!text.contains("signature:        valid"), "{text}");
        }
        let (_, text) = run(&cluster.ctl(), None);
        assert!(
            text.contains("records:          2") && text.contains("SAST"),
            "{text}"
        );

        // With an anchor the same files are valid: the trusted CTL, or the signer's certificate.
        let trusted = cluster.ctl();
        for file in [cluster.ctl(), cluster.sgn()] {
            let (status, text) = run(&file, Some(TrustAnchor::Ctl(&trusted)));
            assert_eq!(status, VALID, "{text}");
            assert!(text.contains("signature:        valid"), "{text}");
        }
        let pem = cluster.folder.join("tftp.pem");
        std::fs::write(&pem, keys::pem(&cluster.tftp.certificate).unwrap()).unwrap();
        let (status, text) = run(&cluster.sgn(), Some(TrustAnchor::Certificate(&pem)));
        assert_eq!(status, VALID, "{text}");
        let der = cluster.folder.join("sast.der");
        std::fs::write(&der, &cluster.sast.certificate).unwrap();
        let (status, text) = run(&cluster.ctl(), Some(TrustAnchor::Certificate(&der)));
        assert_eq!(status, VALID, "{text}");
        // The wrong certificate: invalid.
        let (status, text) = run(&cluster.ctl(), Some(TrustAnchor::Certificate(&pem)));
        assert_eq!(status, INVALID, "{text}");
        assert!(text.contains("signature:        INVALID"), "{text}");
    }

    /// Issue 13, point 11: a CTL file signed by a token it lists itself, but which the trusted CTL
    /// (`--ctl`) does not list, is invalid; so is a signed file whose TFTP signer only such a CTL
    /// file lists, and one byte changed in a file the trusted CTL's records sign.
    #[test]
    fn verify_ctl_against_its_own_token_is_not_trusted() {
        let cluster = Cluster::new();
        let trusted = cluster.ctl();
        let elsewhere = tempfile::tempdir().unwrap();
        let rogue_keys = tempfile::tempdir().unwrap();
        let rogue_sast = identity(rogue_keys.path(), "ROGUE-SAST");
        let rogue_tftp = identity(rogue_keys.path(), "ROGUE-TFTP");
        let rogue_ctl = elsewhere.path().join(CTL_FILE);
        write_ctl(&rogue_ctl, &rogue_sast, &rogue_sast, &rogue_tftp);
        let rogue_sgn = elsewhere.path().join("SEP001122334455.cnf.xml.sgn");
        write_sgn(&rogue_sgn, &rogue_tftp);

        // Self-consistent (its own token record verifies it), yet not trusted.
        let records = ctl::decode(
            &sgn::parse(&std::fs::read(&rogue_ctl).unwrap())
                .unwrap()
                .content,
        )
        .unwrap();
        let parsed = sgn::parse(&std::fs::read(&rogue_ctl).unwrap()).unwrap();
        assert!(records.iter().any(|r| r.role == Role::Sast
            && keys::verify(
                &r.certificate,
                parsed.header.hash,
                &parsed.signed_bytes,
                &parsed.signature
            )
            .unwrap()));
        for file in [&rogue_ctl, &rogue_sgn] {
            let (status, text) = run(file, Some(TrustAnchor::Ctl(&trusted)));
            assert_eq!(status, INVALID, "{text}");
            assert!(!text.contains("signature:        valid"), "{text}");
        }
        // Without an anchor, not valid either.
        let (status, _) = run(&rogue_ctl, None);
        assert_eq!(status, UNCHECKED);
        // A CTL signed by the trusted token but not the one trusted: checked against the trusted
        // CTL's token records, not its own (which list only the rogue token).
        let resigned = elsewhere.path().join("resigned.tlv");
        write_ctl(&resigned, &cluster.sast, &rogue_sast, &rogue_tftp);
        let (status, text) = run(&resigned, Some(TrustAnchor::Ctl(&trusted)));
        assert_eq!(status, VALID, "{text}");
        let (status, text) = run(&resigned, Some(TrustAnchor::Ctl(&rogue_ctl)));
        assert_eq!(status, INVALID, "{text}");

        // One byte flipped in the signed content: the trusted TFTP record refuses it.
        let mut bytes = std::fs::read(cluster.sgn()).unwrap();
        let last = bytes.len() - 10;
        bytes[last] ^= 0x01;
        let flipped = elsewhere.path().join("flipped.cnf.xml.sgn");
        std::fs::write(&flipped, &bytes).unwrap();
        let (status, text) = run(&flipped, Some(TrustAnchor::Ctl(&trusted)));
        assert_eq!(status, INVALID, "{text}");
        assert!(text.contains("signature:        INVALID"), "{text}");

        // A trust anchor that cannot be read, or a signed file given as the trusted CTL.
        let missing = elsewhere.path().join("missing.tlv");
        assert_eq!(
            run(&cluster.sgn(), Some(TrustAnchor::Ctl(&missing))).0,
            UNREADABLE
        );
        assert_eq!(
            run(&cluster.sgn(), Some(TrustAnchor::Ctl(&cluster.sgn()))).0,
            UNREADABLE
        );
    }
}
