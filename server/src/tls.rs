//! HTTPS material: a configured certificate and key, or a self-signed pair generated on the first
//! start and reused afterwards. Every failure names the file it concerns.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::ServerConfig;
use rustls::sign::CertifiedKey;
use sha2::{Digest, Sha256};

/// Why the HTTPS material could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Only one of certificate and key was configured.
    #[error("CCMADMIN_TLS_CERT and CCMADMIN_TLS_KEY must be set together (only {0} is set)")]
    Incomplete(&'static str),
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The certificate file holds no PEM certificate.
    #[error("{path} holds no PEM certificate")]
    NoCertificate {
        /// The file.
        path: PathBuf,
    },
    /// The key file holds no usable private key.
    #[error("{path} holds no usable private key: {reason}")]
    BadKey {
        /// The file.
        path: PathBuf,
        /// The cause.
        reason: String,
    },
    /// The key is not the certificate's key.
    #[error("the private key in {key} does not match the certificate in {cert}")]
    KeyMismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// Generating the self-signed certificate failed.
    #[error("cannot generate a self-signed certificate: {0}")]
    Generate(#[from] rcgen::Error),
    /// rustls refused the configuration.
    #[error("TLS configuration refused: {0}")]
    Config(#[from] rustls::Error),
}

/// The server's certificate and key, ready for rustls.
#[derive(Debug)]
pub struct TlsMaterial {
    /// The rustls server configuration (TLS 1.2 and 1.3, HTTP/2 and HTTP/1.1).
    pub config: Arc<ServerConfig>,
    /// SHA-256 of the leaf certificate's DER, as colon-separated hex.
    pub fingerprint: String,
    /// The certificate file in use.
    pub cert_path: PathBuf,
    /// True when this start generated the pair.
    pub generated: bool,
}

/// Where the generated pair lives in the data dir.
pub fn generated_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("cert.pem"), dir.join("key.pem"))
}

/// Loads the configured pair, or the generated one from `data_dir`, generating it when absent.
pub fn load_or_generate(
    data_dir: &Path,
    cert: Option<&Path>,
    key: Option<&Path>,
    host_name: &str,
) -> Result<TlsMaterial, TlsError> {
    match (cert, key) {
        (Some(cert), Some(key)) => load(cert, key, false),
        (Some(_), None) => Err(TlsError::Incomplete("CCMADMIN_TLS_CERT")),
        (None, Some(_)) => Err(TlsError::Incomplete("CCMADMIN_TLS_KEY")),
        (None, None) => {
            let (cert, key) = generated_paths(data_dir);
            if cert.exists() || key.exists() {
                load(&cert, &key, false)
            } else {
                generate(&cert, &key, host_name)?;
                load(&cert, &key, true)
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    fs::read(path).map_err(|source| TlsError::Read {
        path: path.to_owned(),
        source,
    })
}

fn load(cert_path: &Path, key_path: &Path, generated: bool) -> Result<TlsMaterial, TlsError> {
    let cert_pem = read(cert_path)?;
    let key_pem = read(key_path)?;
    let certs = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| TlsError::NoCertificate {
            path: cert_path.to_owned(),
        })?;
    let Some(leaf) = certs.first() else {
        return Err(TlsError::NoCertificate {
            path: cert_path.to_owned(),
        });
    };
    let fingerprint = fingerprint(leaf);
    let key = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|e| TlsError::BadKey {
        path: key_path.to_owned(),
        reason: e.to_string(),
    })?;
    let provider = rustls::crypto::ring::default_provider();
    let certified = CertifiedKey::from_der(certs, key, &provider).map_err(|e| match e {
        rustls::Error::InconsistentKeys(_) => TlsError::KeyMismatch {
            cert: cert_path.to_owned(),
            key: key_path.to_owned(),
        },
        other => TlsError::BadKey {
            path: key_path.to_owned(),
            reason: other.to_string(),
        },
    })?;
    let mut config = ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(rustls::sign::SingleCertAndKey::from(certified)));
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        config: Arc::new(config),
        fingerprint,
        cert_path: cert_path.to_owned(),
        generated,
    })
}

/// SHA-256 of a certificate's DER as colon-separated upper-case hex.
pub fn fingerprint(cert: &CertificateDer<'_>) -> String {
    Sha256::digest(cert.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn generate(cert_path: &Path, key_path: &Path, host_name: &str) -> Result<(), TlsError> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !host_name.is_empty() && !names.iter().any(|n| n == host_name) {
        names.push(host_name.to_owned());
    }
    let mut params = rcgen::CertificateParams::new(names)?;
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("ccmadmin {host_name}"));
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(825);
    let key = rcgen::KeyPair::generate()?;
    let cert = params.self_signed(&key)?;
    let dir = cert_path.parent().unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|source| TlsError::Write {
        path: dir.to_owned(),
        source,
    })?;
    write_file(key_path, key.serialize_pem().as_bytes(), 0o600)?;
    write_file(cert_path, cert.pem().as_bytes(), 0o644)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, with `mode`.
fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), TlsError> {
    let err = |source| TlsError::Write {
        path: path.to_owned(),
        source,
    };
    let tmp = path.with_extension("tmp");
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&tmp)
        .map_err(err)?;
    file.set_permissions(fs::Permissions::from_mode(mode))
        .map_err(err)?;
    file.write_all(bytes).map_err(err)?;
    file.sync_all().map_err(err)?;
    fs::rename(&tmp, path).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn provider() {
        let _ = rustls::crypto::ring::default_provider().install_default();
    }

    #[test]
    fn certificate_is_generated_once_and_reused() {
        provider();
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_generate(dir.path(), None, None, "node1").unwrap();
        assert!(first.generated);
        let (cert, key) = generated_paths(dir.path());
        let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "key mode");
        let pem = fs::read(&cert).unwrap();
        let second = load_or_generate(dir.path(), None, None, "node1").unwrap();
        assert!(!second.generated);
        assert_eq!(first.fingerprint, second.fingerprint);
        assert_eq!(pem, fs::read(&cert).unwrap(), "certificate rewritten");
    }

    #[test]
    fn generated_certificate_names_every_local_address() {
        provider();
        let dir = tempfile::tempdir().unwrap();
        load_or_generate(dir.path(), None, None, "node1").unwrap();
        let (cert, _) = generated_paths(dir.path());
        let pem = fs::read(cert).unwrap();
        let der = CertificateDer::from_pem_slice(&pem).unwrap();
        let (_, parsed) = x509_parser::parse_x509_certificate(der.as_ref()).unwrap();
        let san = parsed.subject_alternative_name().unwrap().unwrap();
        let sans: Vec<String> = san
            .value
            .general_names
            .iter()
            .map(|name| match name {
                x509_parser::extensions::GeneralName::DNSName(dns) => (*dns).to_owned(),
                x509_parser::extensions::GeneralName::IPAddress(bytes) => match bytes.len() {
                    4 => std::net::IpAddr::from(<[u8; 4]>::try_from(*bytes).unwrap()).to_string(),
                    _ => std::net::IpAddr::from(<[u8; 16]>::try_from(*bytes).unwrap()).to_string(),
                },
                other => format!("{other:?}"),
            })
            .collect();
        for expected in ["localhost", "127.0.0.1", "::1", "node1"] {
            assert!(
                sans.iter().any(|s| s == expected),
                "{expected} missing from {sans:?}"
            );
        }
    }

    #[test]
    fn mismatched_key_is_refused_naming_both_files() {
        provider();
        let a = tempfile::tempdir().unwrap();
        let b = tempfile::tempdir().unwrap();
        load_or_generate(a.path(), None, None, "a").unwrap();
        load_or_generate(b.path(), None, None, "b").unwrap();
        let (cert, _) = generated_paths(a.path());
        let (_, other_key) = generated_paths(b.path());
        let err = load_or_generate(a.path(), Some(&cert), Some(&other_key), "a").unwrap_err();
        assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&*cert.to_string_lossy()), "{text}");
        assert!(text.contains(&*other_key.to_string_lossy()), "{text}");
    }

    #[test]
    fn missing_and_unreadable_files_are_named() {
        provider();
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.pem");
        let err = load_or_generate(dir.path(), Some(&missing), Some(&missing), "x").unwrap_err();
        assert!(err.to_string().contains("nope.pem"), "{err}");

        load_or_generate(dir.path(), None, None, "x").unwrap();
        let (cert, _) = generated_paths(dir.path());
        let garbage = dir.path().join("garbage.pem");
        fs::write(&garbage, "not a key").unwrap();
        let err = load_or_generate(dir.path(), Some(&cert), Some(&garbage), "x").unwrap_err();
        assert!(matches!(err, TlsError::BadKey { .. }), "{err:?}");
        assert!(err.to_string().contains("garbage.pem"), "{err}");

        let err = load_or_generate(dir.path(), Some(&garbage), Some(&garbage), "x").unwrap_err();
        assert!(err.to_string().contains("garbage.pem"), "{err}");
        assert!(matches!(
            load_or_generate(dir.path(), Some(&cert), None, "x"),
            Err(TlsError::Incomplete(_))
        ));
    }
}
