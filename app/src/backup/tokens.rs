//! What a data-only restore takes from the archive besides the store: the security tokens and
//! the CTL file the phones hold (R16). The node keeps its own keys — its CallManager, TFTP and
//! CAPF identities — but the tokens belong to the cluster, as CallManager's USB tokens did: the
//! phones' CTL lists them, so only they can sign the CTL update the phones will accept. The
//! archive's token rows replace the node's; the keys the archive holds go into the node's keys
//! folder under new names, and a token whose key it does not hold (kept offline) stays offline.
//! The archive's CTL file becomes the node's current one, so that the update is checked against
//! what the phones hold.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};

use super::snapshot::sync_dir;
use super::BackupError;
use crate::model::security::CertRole;
use crate::store::entities::certificates;
use crate::tftp::CTL_FILE;

/// The certificates and files a data-only restore puts in place of the node's.
#[derive(Debug)]
pub struct Taken {
    /// The certificates rows to load (JSON lines): the node's own, the archive's tokens.
    pub rows: Vec<u8>,
    /// The token key files to add to the keys folder, by their new names.
    pub keys: Vec<(String, Vec<u8>)>,
    /// The node's own token key files, replaced.
    pub replaced_keys: Vec<String>,
    /// The archive's CTL file, when it holds one.
    pub ctl: Option<Vec<u8>>,
}

fn parse(rows: &[u8], whose: &str) -> Result<Vec<certificates::Model>, BackupError> {
    rows.split(|b| *b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            serde_json::from_slice(line).map_err(|e| {
                BackupError::Damaged(format!("a certificate row of {whose} cannot be read: {e}"))
            })
        })
        .collect()
}

/// The columns of the archive's certificate rows (those of its first row); none when it has
/// none.
fn archived_columns(rows: &[u8]) -> Result<Option<Vec<String>>, BackupError> {
    let Some(first) = rows.split(|b| *b == b'\n').find(|line| !line.is_empty()) else {
        return Ok(None);
    };
    let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(first)
        .map_err(|e| BackupError::Damaged(format!("a certificate row cannot be read: {e}")))?;
    Ok(Some(object.keys().cloned().collect()))
}

/// The name, free in `keys_dir` and among `taken`, for the restored key first named `file`.
fn free_name(keys_dir: &Path, file: &str, taken: &[(String, Vec<u8>)]) -> String {
    let free = |name: &str| {
        !keys_dir.join(name).exists() && !taken.iter().any(|(n, _)| n.as_str() == name)
    };
    let first = format!("{file}.restored");
    if free(&first) {
        return first;
    }
    (2..10_000)
        .map(|n| format!("{first}.{n}"))
        .find(|name| free(name))
        .unwrap_or(first)
}

/// The certificates of a data-only restore: `own` (this node's rows) without its tokens, and
/// the tokens of `archived` with the key files `entries` holds for them, renamed to be free in
/// `keys_dir`; a token without its key in the archive is offline from `now` on.
pub fn take(
    own: &[u8],
    archived: &[u8],
    entries: &BTreeMap<String, Vec<u8>>,
    keys_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Taken, BackupError> {
    let sast = CertRole::Sast.key();
    let own = parse(own, "this node")?;
    let archived_text = archived;
    let archived = parse(archived, "the backup")?;
    let mut next_id = own.iter().map(|c| c.id).max().unwrap_or(0);
    let mut rows: Vec<certificates::Model> =
        own.iter().filter(|c| c.role != sast).cloned().collect();
    let replaced_keys = own
        .iter()
        .filter(|c| c.role == sast && c.key_offline_at.is_none())
        .map(|c| c.key_file.clone())
        .collect();
    let mut keys = Vec::new();
    for token in archived.into_iter().filter(|c| c.role == sast) {
        let mut row = token;
        row.id = match own.iter().find(|c| c.role == sast && c.name == row.name) {
            Some(mine) => mine.id,
            None => {
                next_id += 1;
                next_id
            }
        };
        let key = entries.get(&format!("keys/{}", row.key_file));
        match (row.key_offline_at, key) {
            (None, Some(bytes)) => {
                let name = free_name(keys_dir, &row.key_file, &keys);
                row.key_file.clone_from(&name);
                keys.push((name, bytes.clone()));
            }
            (None, None) => row.key_offline_at = Some(now),
            (Some(_), _) => {}
        }
        rows.push(row);
    }
    rows.sort_by_key(|c| c.id);
    // The archive's columns: an archive of an older schema is loaded at that schema.
    let columns: Option<Vec<String>> = archived_columns(archived_text)?;
    let mut out = Vec::new();
    for row in &rows {
        let mut value = serde_json::to_value(row).map_err(BackupError::Manifest)?;
        if let (Some(columns), Some(object)) = (&columns, value.as_object_mut()) {
            object.retain(|key, _| columns.contains(key));
        }
        serde_json::to_writer(&mut out, &value).map_err(BackupError::Manifest)?;
        out.push(b'\n');
    }
    Ok(Taken {
        rows: out,
        keys,
        replaced_keys,
        ctl: entries.get(&format!("tftp/{CTL_FILE}")).cloned(),
    })
}

/// Stages `staging/keys` (the node's keys but its replaced token keys, and the archive's token
/// keys) and, when the archive holds a CTL file, `staging/tftp` (the node's TFTP files, hard
/// links, with the archive's CTL file), each synced. Returns the files written.
pub fn stage(staging: &Path, data_dir: &Path, taken: &Taken) -> Result<usize, BackupError> {
    let keys = staging.join("keys");
    let own_keys = data_dir.join("keys");
    let mut written = copy_folder(&own_keys, &keys, &taken.replaced_keys, false)?;
    for (name, bytes) in &taken.keys {
        write_new(&keys.join(name), bytes, 0o600)?;
        written += 1;
    }
    sync_dir(&keys)?;
    if let Some(ctl) = &taken.ctl {
        let tftp = staging.join("tftp");
        copy_folder(&data_dir.join("tftp"), &tftp, &[CTL_FILE.to_owned()], true)?;
        write_new(&tftp.join(CTL_FILE), ctl, 0o644)?;
        written += 1;
        sync_dir(&tftp)?;
    }
    Ok(written)
}

/// Makes `to` (0700) with the regular files of `from` but `leave_out`: hard links when `link`
/// (files that are only ever replaced by a rename, never written in place), else copies.
fn copy_folder(
    from: &Path,
    to: &Path,
    leave_out: &[String],
    link: bool,
) -> Result<usize, BackupError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .mode(0o700)
        .create(to)
        .map_err(BackupError::file(to))?;
    let entries = match std::fs::read_dir(from) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(BackupError::file(from)(e)),
    };
    let mut done = 0;
    for entry in entries {
        let entry = entry.map_err(BackupError::file(from))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type().map_err(BackupError::file(from))?;
        if !kind.is_file() || leave_out.contains(&name) {
            continue;
        }
        let (source, target) = (entry.path(), to.join(&name));
        if link {
            std::fs::hard_link(&source, &target).map_err(BackupError::file(&target))?;
        } else {
            let bytes = std::fs::read(&source).map_err(BackupError::file(&source))?;
            write_new(&target, &bytes, 0o600)?;
        }
        done += 1;
    }
    Ok(done)
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), BackupError> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .map_err(BackupError::file(path))?;
    std::io::Write::write_all(&mut out, bytes).map_err(BackupError::file(path))?;
    out.sync_all().map_err(BackupError::file(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i32, role: &str, name: &str, key_file: &str) -> certificates::Model {
        certificates::Model {
            id,
            role: role.to_owned(),
            name: name.to_owned(),
            der: vec![u8::try_from(id).unwrap()],
            subject: format!("CN={name}"),
            issuer: format!("CN={name}"),
            serial: "01".to_owned(),
            not_before: Utc::now(),
            not_after: Utc::now(),
            sha256: String::new(),
            key_file: key_file.to_owned(),
            key_offline_at: None,
            version: 1,
            created_at: Utc::now(),
        }
    }

    fn lines(rows: &[certificates::Model]) -> Vec<u8> {
        rows.iter()
            .flat_map(|r| {
                let mut line = serde_json::to_vec(r).unwrap();
                line.push(b'\n');
                line
            })
            .collect()
    }

    /// R16: a data-only restore keeps the node's own identities and takes the archive's tokens
    /// (the ones the phones' CTL lists) with the keys it holds, under names that are free; a
    /// token whose key the archive does not hold is offline.
    #[test]
    fn r16_a_data_only_restore_takes_the_clusters_tokens_and_keeps_the_nodes_identities() {
        let keys = tempfile::tempdir().unwrap();
        std::fs::write(keys.path().join("sast-SAST1.key.restored"), b"taken").unwrap();
        let own = lines(&[
            row(1, "sast", "SAST1", "sast-SAST1.key"),
            row(2, "sast", "SAST2", "sast-SAST2.key"),
            row(3, "tftp", "TFTP", "tftp-TFTP.key"),
        ]);
        let mut offline = row(8, "sast", "SAST2", "sast-SAST2.key");
        offline.key_offline_at = Some(Utc::now());
        let archived = lines(&[
            row(7, "sast", "SAST1", "sast-SAST1.key"),
            offline,
            row(9, "tftp", "TFTP", "tftp-TFTP.key"),
        ]);
        let mut entries = BTreeMap::new();
        entries.insert("keys/sast-SAST1.key".to_owned(), b"token one".to_vec());
        entries.insert("keys/tftp-TFTP.key".to_owned(), b"their tftp".to_vec());
        entries.insert(format!("tftp/{CTL_FILE}"), b"their ctl".to_vec());
        let taken = take(&own, &archived, &entries, keys.path(), Utc::now()).unwrap();
        let rows = parse(&taken.rows, "test").unwrap();
        let summary: Vec<(i32, &str, &str, u8, bool)> = rows
            .iter()
            .map(|r| {
                (
                    r.id,
                    r.role.as_str(),
                    r.key_file.as_str(),
                    r.der[0],
                    r.key_offline_at.is_some(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                (1, "sast", "sast-SAST1.key.restored.2", 7, false),
                (2, "sast", "sast-SAST2.key", 8, true),
                (3, "tftp", "tftp-TFTP.key", 3, false),
            ]
        );
        assert_eq!(
            taken.keys,
            [(
                "sast-SAST1.key.restored.2".to_owned(),
                b"token one".to_vec()
            )]
        );
        assert_eq!(taken.replaced_keys, ["sast-SAST1.key", "sast-SAST2.key"]);
        assert_eq!(taken.ctl.as_deref(), Some(&b"their ctl"[..]));
    }
}
