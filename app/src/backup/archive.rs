//! The backup archive: a tar stream — `manifest.json` first, then every entry it lists — encrypted
//! as a whole with a passphrase in the age format, so that `age -d` decrypts it too. Reading
//! checks everything before anything is used: the passphrase, every entry's size and SHA-256,
//! that every listed entry is there once and nothing else is.

use std::collections::BTreeMap;
use std::io::{Read, Write};

use age::secrecy::SecretString;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::BackupError;
use crate::domain::hex;

/// The archive format this binary writes and reads.
pub const FORMAT: u32 = 1;

/// The manifest's name: the first entry.
pub const MANIFEST: &str = "manifest.json";

/// The scrypt work factor backups are made with (`N = 2^18`: about a second and 256 MiB), the
/// same on every machine, so that any node can open any node's backup.
const WORK_FACTOR: u8 = 18;

/// The largest scrypt work factor an archive may ask for (`N = 2^20`: 1 GiB): more is refused
/// before any work, so that an uploaded file cannot take minutes and gigabytes to try.
const MAX_WORK_FACTOR: u8 = 20;

/// The largest manifest read: room for [`ENTRIES_MAX`] entries of long names.
pub const MANIFEST_MAX: u64 = 512 << 20;

/// The most entries an archive may list.
const ENTRIES_MAX: usize = 1_000_000;

/// The most bytes all entries together may hold.
pub const CONTENT_MAX: u64 = 8 << 30;

/// The shortest passphrase a backup is made with.
pub const PASSPHRASE_MIN: usize = 12;

/// The longest passphrase read.
pub const PASSPHRASE_MAX: usize = 1024;

/// What an archive holds and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// The archive format ([`FORMAT`]).
    pub format: u32,
    /// When the snapshot was taken.
    pub created_at: DateTime<Utc>,
    /// The cluster's name.
    pub cluster: String,
    /// The node that made it, when it has a name.
    pub node: Option<String>,
    /// The store's engine: `sqlite` or `postgres`.
    pub backend: String,
    /// The store's schema: the name of its last migration.
    pub schema: String,
    /// Every entry after the manifest, in order.
    pub entries: Vec<EntryInfo>,
}

/// One entry as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryInfo {
    /// Its path in the archive (`store/users.jsonl`, `keys/tftp.pem`, …).
    pub name: String,
    /// Its size in bytes.
    pub size: u64,
    /// Its SHA-256, lower-case hex.
    pub sha256: String,
}

/// An archive's content, checked.
#[derive(Debug, Clone)]
pub struct Contents {
    /// The manifest.
    pub manifest: Manifest,
    /// Every entry's bytes, by name.
    pub entries: BTreeMap<String, Vec<u8>>,
}

/// The manifest entry of `name` holding `bytes`.
pub fn entry_info(name: &str, bytes: &[u8]) -> EntryInfo {
    EntryInfo {
        name: name.to_owned(),
        size: bytes.len() as u64,
        sha256: hex::lower(&Sha256::digest(bytes)),
    }
}

/// A passphrase a backup may be made with: [`PASSPHRASE_MIN`] to [`PASSPHRASE_MAX`] characters.
pub fn checked_passphrase(text: &str) -> Result<SecretString, BackupError> {
    let n = text.chars().count();
    if n < PASSPHRASE_MIN {
        return Err(BackupError::Passphrase(format!(
            "must be at least {PASSPHRASE_MIN} characters"
        )));
    }
    if text.len() > PASSPHRASE_MAX {
        return Err(BackupError::Passphrase(format!(
            "must be at most {PASSPHRASE_MAX} bytes"
        )));
    }
    Ok(SecretString::from(text.to_owned()))
}

/// Writes `entries` (with their manifest, made from `manifest` and the entries' hashes) to
/// `out`, encrypted with `passphrase`.
pub fn write(
    out: impl Write,
    passphrase: SecretString,
    mut manifest: Manifest,
    entries: &[(String, Vec<u8>)],
) -> Result<(), BackupError> {
    manifest.entries = entries
        .iter()
        .map(|(name, bytes)| entry_info(name, bytes))
        .collect();
    // Never an archive the reader would refuse.
    check_manifest(&manifest)?;
    let manifest_bytes = serde_json::to_vec(&manifest).map_err(BackupError::Manifest)?;
    if manifest_bytes.len() as u64 > MANIFEST_MAX {
        return Err(BackupError::Unsupported(format!(
            "its manifest would be larger than {MANIFEST_MAX} bytes"
        )));
    }
    let mut recipient = age::scrypt::Recipient::new(passphrase);
    recipient.set_work_factor(WORK_FACTOR);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| BackupError::Write(std::io::Error::other(e)))?;
    let mut encrypted = encryptor.wrap_output(out).map_err(BackupError::Write)?;
    {
        let mut tar = tar::Builder::new(&mut encrypted);
        tar.mode(tar::HeaderMode::Deterministic);
        append(&mut tar, MANIFEST, &manifest_bytes)?;
        for (name, bytes) in entries {
            append(&mut tar, name, bytes)?;
        }
        tar.finish().map_err(BackupError::Write)?;
    }
    encrypted.finish().map_err(BackupError::Write)?;
    Ok(())
}

fn append(tar: &mut tar::Builder<impl Write>, name: &str, bytes: &[u8]) -> Result<(), BackupError> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_entry_type(tar::EntryType::Regular);
    tar.append_data(&mut header, name, bytes)
        .map_err(BackupError::Write)
}

/// Decrypts and checks the archive read from `input`: a wrong passphrase, an altered or
/// truncated archive, or an entry that is not what the manifest says, is an error and nothing
/// of it is returned.
pub fn read(input: impl Read, passphrase: SecretString) -> Result<Contents, BackupError> {
    let decryptor = age::Decryptor::new(input).map_err(not_an_archive)?;
    if !decryptor.is_scrypt() {
        return Err(BackupError::NotAnArchive(
            "it is not encrypted with a passphrase".to_owned(),
        ));
    }
    let mut identity = age::scrypt::Identity::new(passphrase);
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let plain = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                BackupError::WrongPassphrase
            }
            other => not_an_archive(other),
        })?;
    let mut tar = tar::Archive::new(plain);
    let mut entries = tar.entries().map_err(damaged)?;
    let manifest = match entries.next() {
        Some(first) => {
            let mut first = first.map_err(damaged)?;
            if first.path_bytes().as_ref() != MANIFEST.as_bytes() {
                return Err(BackupError::Damaged(format!(
                    "its first entry is not {MANIFEST}"
                )));
            }
            let bytes = bounded(&mut first, MANIFEST_MAX, MANIFEST)?;
            let manifest: Manifest =
                serde_json::from_slice(&bytes).map_err(BackupError::Manifest)?;
            check_manifest(&manifest)?;
            manifest
        }
        None => return Err(BackupError::Damaged("it is empty".to_owned())),
    };
    let expected: BTreeMap<&str, &EntryInfo> = manifest
        .entries
        .iter()
        .map(|e| (e.name.as_str(), e))
        .collect();
    let mut found = BTreeMap::new();
    for entry in entries {
        let mut entry = entry.map_err(damaged)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let Some(info) = expected.get(name.as_str()) else {
            return Err(BackupError::Damaged(format!(
                "{name} is not in the manifest"
            )));
        };
        if found.contains_key(&name) {
            return Err(BackupError::Damaged(format!("{name} is there twice")));
        }
        if entry.size() != info.size {
            return Err(BackupError::Damaged(format!(
                "{name} holds {} bytes, the manifest says {}",
                entry.size(),
                info.size
            )));
        }
        let bytes = bounded(&mut entry, info.size, &name)?;
        if hex::lower(&Sha256::digest(&bytes)) != info.sha256 {
            return Err(BackupError::Damaged(format!(
                "{name} does not match its SHA-256"
            )));
        }
        found.insert(name, bytes);
    }
    if let Some(missing) = manifest
        .entries
        .iter()
        .find(|e| !found.contains_key(&e.name))
    {
        return Err(BackupError::Damaged(format!("{} is missing", missing.name)));
    }
    Ok(Contents {
        manifest,
        entries: found,
    })
}

/// The manifest's own limits: format, entry count, total size, entry names.
fn check_manifest(m: &Manifest) -> Result<(), BackupError> {
    if m.format != FORMAT {
        return Err(BackupError::Unsupported(format!(
            "archive format {} (this console reads format {FORMAT})",
            m.format
        )));
    }
    if m.entries.len() > ENTRIES_MAX {
        return Err(BackupError::Damaged(format!(
            "its manifest lists {} entries (at most {ENTRIES_MAX})",
            m.entries.len()
        )));
    }
    let total = m
        .entries
        .iter()
        .try_fold(0u64, |sum, e| sum.checked_add(e.size));
    if total.is_none_or(|t| t > CONTENT_MAX) {
        return Err(BackupError::Damaged(format!(
            "its entries would hold more than {CONTENT_MAX} bytes"
        )));
    }
    if let Some(bad) = m.entries.iter().find(|e| !is_entry_name(&e.name)) {
        return Err(BackupError::Damaged(format!(
            "entry name {:?} is not allowed",
            bad.name.chars().take(80).collect::<String>()
        )));
    }
    Ok(())
}

/// `folder/file` with a known folder and a plain file name.
fn is_entry_name(name: &str) -> bool {
    name.split_once('/').is_some_and(|(folder, file)| {
        ["store", "keys", "tls", "tftp"].contains(&folder) && crate::tftp::is_served_name(file)
    })
}

/// At most `max` bytes of `r` (more is an error).
fn bounded(r: &mut impl Read, max: u64, name: &str) -> Result<Vec<u8>, BackupError> {
    let mut bytes = Vec::new();
    r.take(max + 1).read_to_end(&mut bytes).map_err(damaged)?;
    if bytes.len() as u64 > max {
        return Err(BackupError::Damaged(format!(
            "{name} is larger than {max} bytes"
        )));
    }
    Ok(bytes)
}

fn damaged(e: std::io::Error) -> BackupError {
    BackupError::Damaged(format!("it is altered or truncated ({e})"))
}

fn not_an_archive(e: age::DecryptError) -> BackupError {
    BackupError::NotAnArchive(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manifest() -> Manifest {
        Manifest {
            format: FORMAT,
            created_at: DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            cluster: "StandAloneCluster".to_owned(),
            node: None,
            backend: "sqlite".to_owned(),
            schema: "m1".to_owned(),
            entries: Vec::new(),
        }
    }

    fn pass(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    fn archive(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, pass("correct horse battery"), manifest(), entries).unwrap();
        out
    }

    #[test]
    fn an_archive_reads_back_and_refuses_a_wrong_passphrase_a_flipped_byte_and_a_cut() {
        let entries = vec![
            ("store/users.jsonl".to_owned(), b"{\"id\":1}\n".to_vec()),
            ("keys/tftp.pem".to_owned(), vec![7; 70_000]),
        ];
        let bytes = archive(&entries);
        let read_back = read(bytes.as_slice(), pass("correct horse battery")).unwrap();
        assert_eq!(read_back.manifest.entries.len(), 2);
        assert_eq!(read_back.entries["keys/tftp.pem"], vec![7; 70_000]);

        let wrong = read(bytes.as_slice(), pass("incorrect horse")).unwrap_err();
        assert!(matches!(wrong, BackupError::WrongPassphrase), "{wrong}");
        let mut flipped = bytes.clone();
        let middle = flipped.len() / 2;
        flipped[middle] ^= 1;
        let err = read(flipped.as_slice(), pass("correct horse battery")).unwrap_err();
        assert!(matches!(err, BackupError::Damaged(_)), "{err}");
        let cut = &bytes[..bytes.len() - 100];
        let err = read(cut, pass("correct horse battery")).unwrap_err();
        assert!(matches!(err, BackupError::Damaged(_)), "{err}");
        let err = read(&b"not an archive"[..], pass("correct horse battery")).unwrap_err();
        assert!(matches!(err, BackupError::NotAnArchive(_)), "{err}");
    }

    #[test]
    fn a_manifest_of_the_most_entries_fits_the_limit_the_reader_sets() {
        let widest = EntryInfo {
            name: format!("tftp/{}", "x".repeat(250)),
            size: u64::MAX,
            sha256: "f".repeat(64),
        };
        let per_entry = serde_json::to_vec(&widest).unwrap().len() as u64 + 1;
        assert!(per_entry * ENTRIES_MAX as u64 + 4096 <= MANIFEST_MAX);
        // And a real one of many files reads back.
        let entries: Vec<(String, Vec<u8>)> = (0..20_000)
            .map(|i| (format!("tftp/SEP{i:012X}.cnf.xml.sgn"), vec![1]))
            .collect();
        let read_back = read(archive(&entries).as_slice(), pass("correct horse battery")).unwrap();
        assert_eq!(read_back.entries.len(), 20_000);
    }

    #[test]
    fn entry_names_stay_inside_their_folders() {
        assert!(is_entry_name("store/users.jsonl"));
        assert!(is_entry_name("tftp/CTLFile.tlv"));
        for bad in [
            "users.jsonl",
            "store/../x",
            "etc/passwd",
            "keys/.hidden",
            "keys/a/b",
            "/keys/a",
        ] {
            assert!(!is_entry_name(bad), "{bad}");
        }
        let mut m = manifest();
        m.entries.push(EntryInfo {
            name: "keys/../../etc/passwd".to_owned(),
            size: 1,
            sha256: String::new(),
        });
        assert!(check_manifest(&m).is_err());
        let mut m = manifest();
        m.entries = vec![
            EntryInfo {
                name: "store/a".to_owned(),
                size: u64::MAX,
                sha256: String::new(),
            },
            EntryInfo {
                name: "store/b".to_owned(),
                size: 2,
                sha256: String::new(),
            },
        ];
        assert!(check_manifest(&m).is_err(), "the sum overflows");
    }

    #[test]
    fn a_passphrase_has_a_length() {
        assert!(checked_passphrase("short").is_err());
        assert!(checked_passphrase(&"x".repeat(2000)).is_err());
        assert!(checked_passphrase("twelve chars").is_ok());
    }
}
