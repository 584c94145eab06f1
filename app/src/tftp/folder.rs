//! The TFTP folder on disk: the names it holds and atomic writes into it.
//!
//! A file that exists is replaced through its hidden shadow `.NAME.tmp`: the new bytes are
//! written there and the two names are exchanged in one step (`renameat2(RENAME_EXCHANGE)`), so
//! the shadow keeps the previous version and the next change writes over it — from a file's
//! second replacement on, replacing it creates and frees no file (on this machine's journal-less
//! ext4, freeing thousands of inodes makes the next thousands of creations scan past them for
//! minutes). A new file is written unnamed (`O_TMPFILE`) and linked under its name once durable,
//! or written to its shadow and renamed where the file system has no unnamed files. Each batch:
//! every file written, one `syncfs` (the data is durable before any name points at it), the
//! names switched, one folder sync. A `kill -9` at any moment leaves each name with its old or
//! its new bytes. One build at a time holds the folder (an exclusive `flock`, across processes);
//! readers use [`read_served`], which never returns bytes a later build wrote over.

use std::collections::HashSet;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

use rustix::fs::{AtFlags, FlockOperation, Mode, OFlags, RenameFlags, CWD};
use rustix::io::Errno;

/// Why a file of the folder could not be read, written, synced, renamed or removed.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {source}")]
pub struct FolderError {
    /// The file or folder.
    pub path: String,
    /// Why.
    pub source: std::io::Error,
}

fn error(path: &Path) -> impl FnOnce(std::io::Error) -> FolderError + '_ {
    move |source| FolderError {
        path: path.display().to_string(),
        source,
    }
}

fn errno(path: &Path) -> impl FnOnce(Errno) -> FolderError + '_ {
    move |e| error(path)(e.into())
}

/// The hidden name `name` is written under before it takes its place (its shadow).
fn temporary(name: &str) -> String {
    format!(".{name}.tmp")
}

/// The TFTP folder, open for a build.
#[derive(Debug)]
pub struct Folder {
    path: PathBuf,
    dir: File,
    names: HashSet<String>,
    unnamed: bool,
}

/// A file written but not yet under its name.
enum Staged<'a> {
    /// Its shadow holds the new bytes; exchanged with the current file.
    Shadow(&'a str),
    /// Written unnamed; linked under its name.
    Unnamed(&'a str, File),
    /// Its shadow holds the new bytes and it has no current file: renamed.
    New(&'a str),
}

impl Folder {
    /// Opens `path` for a build — waiting while another build holds it — and lists the names it
    /// holds (names that are not UTF-8 are not the pipeline's and are left alone).
    pub fn open(path: &Path) -> Result<Self, FolderError> {
        let dir = File::open(path).map_err(error(path))?;
        rustix::fs::flock(&dir, FlockOperation::LockExclusive).map_err(errno(path))?;
        let names = fs::read_dir(path)
            .map_err(error(path))?
            .flatten()
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        let unnamed = Self::unnamed_file(&dir).is_ok() && Path::new("/proc/self/fd").is_dir();
        Ok(Self {
            path: path.to_owned(),
            dir,
            names,
            unnamed,
        })
    }

    fn unnamed_file(dir: &File) -> Result<File, Errno> {
        rustix::fs::openat(
            dir,
            ".",
            OFlags::WRONLY | OFlags::TMPFILE | OFlags::CLOEXEC,
            Mode::from_raw_mode(0o644),
        )
        .map(File::from)
    }

    fn link(dir: &File, file: &File, name: &str) -> Result<(), Errno> {
        rustix::fs::linkat(
            CWD,
            format!("/proc/self/fd/{}", file.as_raw_fd()),
            dir,
            name,
            AtFlags::SYMLINK_FOLLOW,
        )
    }

    /// Whether the folder held `name` when it was opened.
    pub fn holds(&self, name: &str) -> bool {
        self.names.contains(name)
    }

    /// The bytes of `name`, if the folder held it when opened and it can be read.
    pub fn read(&self, name: &str) -> Option<Vec<u8>> {
        if self.holds(name) {
            fs::read(self.path.join(name)).ok()
        } else {
            None
        }
    }

    /// Writes `files` (name, bytes) atomically, as one batch (see the module's comment). A name
    /// appears at most once per build.
    pub fn write_batch(&self, files: &[(String, Vec<u8>)]) -> Result<(), FolderError> {
        if files.is_empty() {
            return Ok(());
        }
        let mut staged = Vec::with_capacity(files.len());
        for (name, bytes) in files {
            staged.push(self.stage(name, bytes)?);
        }
        rustix::fs::syncfs(&self.dir).map_err(errno(&self.path))?;
        for file in staged {
            match file {
                Staged::Shadow(name) => self.exchange(name)?,
                Staged::Unnamed(name, file) => {
                    let path = self.path.join(name);
                    Self::link(&self.dir, &file, name).map_err(errno(&path))?;
                }
                Staged::New(name) => {
                    let path = self.path.join(name);
                    fs::rename(self.path.join(temporary(name)), &path).map_err(error(&path))?;
                }
            }
        }
        self.dir.sync_all().map_err(error(&self.path))
    }

    fn stage<'a>(&self, name: &'a str, bytes: &[u8]) -> Result<Staged<'a>, FolderError> {
        if self.unnamed && !self.holds(name) {
            // Out of descriptors or unnamed files: the shadow and a rename below.
            if let Ok(mut file) = Self::unnamed_file(&self.dir) {
                let path = self.path.join(name);
                file.write_all(bytes).map_err(error(&path))?;
                return Ok(Staged::Unnamed(name, file));
            }
        }
        let shadow = self.path.join(temporary(name));
        let mut file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&shadow)
            .map_err(error(&shadow))?;
        file.write_all(bytes)
            .and_then(|()| file.set_len(bytes.len() as u64))
            .map_err(error(&shadow))?;
        Ok(if self.holds(name) {
            Staged::Shadow(name)
        } else {
            Staged::New(name)
        })
    }

    /// Puts the shadow of `name` in its place, keeping the previous version as the shadow (a
    /// plain rename where the file system cannot exchange names).
    fn exchange(&self, name: &str) -> Result<(), FolderError> {
        let path = self.path.join(name);
        let shadow = temporary(name);
        match rustix::fs::renameat_with(&self.dir, &shadow, &self.dir, name, RenameFlags::EXCHANGE)
        {
            Ok(()) => Ok(()),
            Err(Errno::INVAL | Errno::NOSYS | Errno::NOTSUP) => {
                fs::rename(self.path.join(&shadow), &path).map_err(error(&path))
            }
            Err(e) => Err(errno(&path)(e)),
        }
    }

    /// Removes the names held when opened that `stale` selects, and their shadows; returns
    /// how many of the names it removed (one already gone counts as removed by someone else).
    pub fn remove(&self, stale: impl Fn(&str) -> bool) -> Result<u64, FolderError> {
        let mut removed = 0;
        for name in &self.names {
            let shadow_of = name.strip_prefix('.').and_then(|n| n.strip_suffix(".tmp"));
            if stale(shadow_of.unwrap_or(name)) {
                let path = self.path.join(name);
                match fs::remove_file(&path) {
                    Ok(()) => removed += u64::from(shadow_of.is_none()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(error(&path)(e)),
                }
            }
        }
        Ok(removed)
    }
}

/// How many times [`read_served`] reads a file that changes while it reads before giving up.
const READ_ATTEMPTS: usize = 5;

/// The bytes of the file at `path`, read whole and known to be one version: the file did not
/// change while it was read and its name still points at it. (A build writes over a replaced
/// file's previous version — its shadow — so a read that began before the replacement could
/// otherwise mix two versions.)
pub fn read_served(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let version = |m: &fs::Metadata| {
        (
            m.ino(),
            m.len(),
            (m.mtime(), m.mtime_nsec()),
            (m.ctime(), m.ctime_nsec()),
        )
    };
    for _ in 0..READ_ATTEMPTS {
        let mut file = File::open(path)?;
        let before = version(&file.metadata()?);
        let mut bytes = Vec::with_capacity(usize::try_from(before.1).unwrap_or(0));
        file.read_to_end(&mut bytes)?;
        if version(&file.metadata()?) == before && version(&fs::metadata(path)?) == before {
            return Ok(bytes);
        }
    }
    Err(std::io::Error::other(format!(
        "{} changed while it was read, {READ_ATTEMPTS} times",
        path.display()
    )))
}

/// Writes one file atomically (temporary file, fsync, rename, folder sync).
pub fn atomic_write(folder: &Path, name: &str, bytes: &[u8]) -> Result<(), FolderError> {
    let tmp = folder.join(temporary(name));
    {
        let mut f = File::create(&tmp).map_err(error(&tmp))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .map_err(error(&tmp))?;
    }
    let path = folder.join(name);
    fs::rename(&tmp, &path).map_err(error(&path))?;
    File::open(folder)
        .and_then(|d| d.sync_all())
        .map_err(error(folder))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> Vec<(String, Vec<u8>)> {
        pairs
            .iter()
            .map(|(n, b)| ((*n).to_owned(), b.as_bytes().to_vec()))
            .collect()
    }

    fn shown(dir: &Path) -> Vec<(String, String)> {
        let mut all: Vec<(String, String)> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read_to_string(e.path()).unwrap(),
                )
            })
            .collect();
        all.sort();
        all
    }

    /// New files appear, replaced ones keep their previous bytes in their shadow (reused by the
    /// next change), stale ones go with their shadows — with and without unnamed files.
    #[test]
    fn writes_replace_through_shadows_and_remove_stale_files() {
        for unnamed in [true, false] {
            let tmp = tempfile::tempdir().unwrap();
            let dir = tmp.path();
            let mut folder = Folder::open(dir).unwrap();
            if !unnamed {
                folder.unnamed = false;
            }
            folder
                .write_batch(&files(&[("a.cnf.xml", "a1"), ("b.cnf.xml", "b1")]))
                .unwrap();
            assert_eq!(
                shown(dir),
                [
                    ("a.cnf.xml".into(), "a1".into()),
                    ("b.cnf.xml".into(), "b1".into())
                ]
            );

            drop(folder);
            let folder = Folder::open(dir).unwrap();
            assert!(folder.holds("a.cnf.xml") && !folder.holds("c.cnf.xml"));
            assert_eq!(folder.read("b.cnf.xml").as_deref(), Some(&b"b1"[..]));
            folder
                .write_batch(&files(&[("a.cnf.xml", "a-second, longer")]))
                .unwrap();
            drop(folder);
            let folder = Folder::open(dir).unwrap();
            folder.write_batch(&files(&[("a.cnf.xml", "a3")])).unwrap();
            assert_eq!(
                shown(dir),
                [
                    (".a.cnf.xml.tmp".into(), "a-second, longer".into()),
                    ("a.cnf.xml".into(), "a3".into()),
                    ("b.cnf.xml".into(), "b1".into()),
                ]
            );

            drop(folder);
            let folder = Folder::open(dir).unwrap();
            assert_eq!(folder.remove(|n| n == "a.cnf.xml").unwrap(), 1);
            assert_eq!(shown(dir), [("b.cnf.xml".into(), "b1".into())]);
        }
    }

    /// A read returns one whole version; a name that is not there is an error.
    #[test]
    fn served_reads_return_the_current_version() {
        let tmp = tempfile::tempdir().unwrap();
        let folder = Folder::open(tmp.path()).unwrap();
        folder.write_batch(&files(&[("a.cnf.xml", "a1")])).unwrap();
        assert_eq!(read_served(&tmp.path().join("a.cnf.xml")).unwrap(), b"a1");
        drop(folder);
        let folder = Folder::open(tmp.path()).unwrap();
        folder.write_batch(&files(&[("a.cnf.xml", "a2")])).unwrap();
        assert_eq!(read_served(&tmp.path().join("a.cnf.xml")).unwrap(), b"a2");
        assert!(read_served(&tmp.path().join("b.cnf.xml")).is_err());
    }

    /// A second build waits until the first lets go of the folder.
    #[test]
    fn one_build_at_a_time_holds_the_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let first = Folder::open(tmp.path()).unwrap();
        let (sender, receiver) = std::sync::mpsc::channel();
        let path = tmp.path().to_owned();
        let second = std::thread::spawn(move || {
            let folder = Folder::open(&path).unwrap();
            sender.send(()).unwrap();
            drop(folder);
        });
        assert!(receiver
            .recv_timeout(std::time::Duration::from_millis(300))
            .is_err());
        drop(first);
        receiver
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        second.join().unwrap();
    }

    #[test]
    fn atomic_write_replaces_a_file_and_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        atomic_write(tmp.path(), "CTLFile.tlv", b"one").unwrap();
        atomic_write(tmp.path(), "CTLFile.tlv", b"two").unwrap();
        assert_eq!(shown(tmp.path()), [("CTLFile.tlv".into(), "two".into())]);
    }
}
