//! The TFTP side's files (ssr only): the cluster's keys and certificates, the signed-file and CTL
//! formats (`docs/FORMATS.md`), the per-device config files, the static files, the folder's
//! atomic writes and the signature checks (`trust`). The pipeline that keeps the TFTP folder in
//! step with the store runs in the server (`server::pipeline`).

pub mod cnf;
pub mod ctl;
pub mod folder;
pub mod keys;
pub mod sgn;
pub mod static_files;
pub mod tlv;
pub mod token_file;
pub mod trust;

use std::path::{Path, PathBuf};

/// Where the TFTP side keeps its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TftpDirs {
    /// The folder the TFTP server serves (built files, signed files, the CTL file).
    pub files: PathBuf,
    /// The private keys, one 0600 PEM file each.
    pub keys: PathBuf,
}

impl TftpDirs {
    /// The folders under `data_dir`: `tftp/` and `keys/`.
    pub fn under(data_dir: &Path) -> Self {
        Self {
            files: data_dir.join("tftp"),
            keys: data_dir.join("keys"),
        }
    }

    /// Creates both folders (the keys folder readable by the owner only).
    pub fn create(&self) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.files)?;
        std::fs::create_dir_all(&self.keys)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&self.keys, std::fs::Permissions::from_mode(0o700))?;
        }
        Ok(())
    }
}

/// The name of the CTL file.
pub const CTL_FILE: &str = "CTLFile.tlv";

/// Whether `name` may be served from the TFTP folder (over TFTP or HTTPS): a plain file name —
/// not empty, not hidden, nothing that would leave the folder.
pub fn is_served_name(name: &str) -> bool {
    !(name.is_empty()
        || name.contains("..")
        || name.contains('/')
        || name.contains('\\')
        || name.starts_with('.'))
}
