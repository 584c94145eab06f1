//! Keys and certificates of the cluster: RSA-2048 keys made and used with OpenSSL (the only
//! implementation here that signs PKCS#1 v1.5 with SHA-1 at OpenSSL's speed), self-signed
//! certificates made with rcgen. Private keys live in 0600 PEM files of the keys folder and are
//! never serialised anywhere else.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use openssl::hash::MessageDigest;
use openssl::md::Md;
use openssl::pkey::{PKey, Private, Public};
use openssl::pkey_ctx::PkeyCtx;
use openssl::rsa::Padding;
use openssl::rsa::Rsa;
use openssl::sign::Verifier;
use sha2::{Digest, Sha256};

use super::sgn::{HashAlgorithm, SignerInfo};

/// RSA key size: what 4.x phones verify.
pub const RSA_BITS: u32 = 2048;

/// Why a key or certificate could not be made, read or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// OpenSSL refused.
    #[error("OpenSSL: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
    /// rcgen refused.
    #[error("certificate generation: {0}")]
    Rcgen(#[from] rcgen::Error),
    /// A key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// A certificate could not be read.
    #[error("certificate: {0}")]
    Certificate(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// A private key with the facts of its certificate: what signs `.sgn` and CTL files.
pub struct SigningIdentity {
    key: PKey<Private>,
    /// The certificate's facts the signed header carries.
    pub info: SignerInfo,
    /// The certificate (DER).
    pub certificate: Vec<u8>,
}

impl std::fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningIdentity")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl SigningIdentity {
    /// The identity of the key in `key_file` and the certificate `der`.
    pub fn load(key_file: &Path, der: &[u8]) -> Result<Arc<Self>, KeyError> {
        let pem = fs::read(key_file).map_err(io(key_file))?;
        Self::from_pem(&pem, der)
    }

    /// The identity of the PEM private key `pem` and the certificate `der`; refused when the key
    /// is not the certificate's (a file of another token, or of an older certificate).
    pub fn from_pem(pem: &[u8], der: &[u8]) -> Result<Arc<Self>, KeyError> {
        let key = PKey::private_key_from_pem(pem)?;
        if !public_key(der)?.public_eq(&key) {
            return Err(KeyError::Certificate(
                "the private key is not the key of this certificate".to_owned(),
            ));
        }
        let facts = certificate_facts(der)?;
        Ok(Arc::new(Self {
            info: SignerInfo {
                subject: facts.subject,
                issuer: facts.issuer,
                serial: facts.serial,
                modulus_bytes: key.size(),
            },
            key,
            certificate: der.to_vec(),
        }))
    }

    /// RSA PKCS#1 v1.5 signature of `data` with `hash`.
    pub fn sign(&self, hash: HashAlgorithm, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        self.signer(hash)?.sign(data)
    }

    /// A signer for many files with `hash`: one per thread, its OpenSSL context set up once
    /// (what `openssl speed` measures) instead of once per signature.
    pub fn signer(&self, hash: HashAlgorithm) -> Result<FileSigner, KeyError> {
        let mut context = PkeyCtx::new(&self.key)?;
        context.sign_init()?;
        context.set_rsa_padding(Padding::PKCS1)?;
        context.set_signature_md(match hash {
            HashAlgorithm::Sha1 => Md::sha1(),
            HashAlgorithm::Sha512 => Md::sha512(),
        })?;
        Ok(FileSigner { context, hash })
    }
}

/// Signs with one identity and hash, reusing its OpenSSL context (see
/// [`SigningIdentity::signer`]).
pub struct FileSigner {
    context: PkeyCtx<Private>,
    hash: HashAlgorithm,
}

impl FileSigner {
    /// RSA PKCS#1 v1.5 signature of `data`.
    pub fn sign(&mut self, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        let digest = match self.hash {
            HashAlgorithm::Sha1 => openssl::sha::sha1(data).to_vec(),
            HashAlgorithm::Sha512 => openssl::sha::sha512(data).to_vec(),
        };
        let mut signature = Vec::new();
        self.context.sign_to_vec(&digest, &mut signature)?;
        Ok(signature)
    }
}

fn digest(hash: HashAlgorithm) -> MessageDigest {
    match hash {
        HashAlgorithm::Sha1 => MessageDigest::sha1(),
        HashAlgorithm::Sha512 => MessageDigest::sha512(),
    }
}

/// Whether `signature` over `data` verifies with the public key of certificate `der`.
pub fn verify(
    der: &[u8],
    hash: HashAlgorithm,
    data: &[u8],
    signature: &[u8],
) -> Result<bool, KeyError> {
    let key = public_key(der)?;
    let mut verifier = Verifier::new(digest(hash), &key)?;
    verifier.update(data)?;
    Ok(verifier.verify(signature).unwrap_or(false))
}

/// The PEM private key in `key_file` (for a security token's export, never anything else).
pub fn key_pem(key_file: &Path) -> Result<Vec<u8>, KeyError> {
    fs::read(key_file).map_err(io(key_file))
}

/// The public key of certificate `der`.
pub fn public_key(der: &[u8]) -> Result<PKey<Public>, KeyError> {
    Ok(openssl::x509::X509::from_der(der)?.public_key()?)
}

/// The facts of a certificate the pages and the signed headers show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateFacts {
    /// Subject, RFC 4514.
    pub subject: String,
    /// Issuer, RFC 4514.
    pub issuer: String,
    /// Serial number bytes.
    pub serial: Vec<u8>,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// SHA-256 fingerprint, colon-separated upper-case hex.
    pub sha256: String,
}

/// Reads the facts of certificate `der`.
pub fn certificate_facts(der: &[u8]) -> Result<CertificateFacts, KeyError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| KeyError::Certificate(e.to_string()))?;
    let instant = |t: x509_parser::time::ASN1Time| {
        DateTime::<Utc>::from_timestamp(t.timestamp(), 0)
            .ok_or_else(|| KeyError::Certificate("a validity date is out of range".to_owned()))
    };
    Ok(CertificateFacts {
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        serial: cert.raw_serial().to_vec(),
        not_before: instant(cert.validity().not_before)?,
        not_after: instant(cert.validity().not_after)?,
        sha256: fingerprint(der),
    })
}

/// The SHA-256 fingerprint of `der`, colon-separated upper-case hex.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// What a new certificate says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRequest {
    /// Common name.
    pub common_name: String,
    /// Organizational unit (a server's GUID, a token's role).
    pub unit: String,
    /// Organization (the cluster).
    pub organization: String,
    /// Names and addresses it is for.
    pub names: Vec<String>,
    /// Years of validity.
    pub years: i64,
    /// A certificate authority (the CAPF CA, which issues the phones' LSCs): Basic Constraints
    /// CA:true and Key Usage keyCertSign, cRLSign, digitalSignature, keyEncipherment.
    pub ca: bool,
}

/// A new RSA key, written to the new file `keys_dir/key_file` (0600), and its self-signed
/// certificate (DER). A `key_file` that exists is refused (an I/O error, `AlreadyExists`), never
/// overwritten.
pub fn generate(
    keys_dir: &Path,
    key_file: &str,
    request: &CertificateRequest,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, KeyError> {
    let rsa = Rsa::generate(RSA_BITS)?;
    let key = PKey::from_rsa(rsa)?;
    let pkcs8 = key.private_key_to_pem_pkcs8()?;
    let pem = String::from_utf8(pkcs8).map_err(|e| KeyError::Certificate(e.to_string()))?;
    let pair = rcgen::KeyPair::from_pem_and_sign_algo(&pem, &rcgen::PKCS_RSA_SHA256)?;
    let mut params = rcgen::CertificateParams::new(request.names.clone())?;
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, request.common_name.clone());
    params
        .distinguished_name
        .push(rcgen::DnType::OrganizationalUnitName, request.unit.clone());
    params.distinguished_name.push(
        rcgen::DnType::OrganizationName,
        request.organization.clone(),
    );
    let mut serial = [0u8; 16];
    openssl::rand::rand_bytes(&mut serial)?;
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    params.not_before = offset(now - Duration::days(1))?;
    params.not_after = offset(now + Duration::days(365 * request.years))?;
    if request.ca {
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0));
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
            rcgen::KeyUsagePurpose::DigitalSignature,
            rcgen::KeyUsagePurpose::KeyEncipherment,
        ];
    }
    let cert = params.self_signed(&pair)?;
    write_key(&keys_dir.join(key_file), pem.as_bytes())?;
    Ok(cert.der().to_vec())
}

fn offset(t: DateTime<Utc>) -> Result<time::OffsetDateTime, KeyError> {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp())
        .map_err(|e| KeyError::Certificate(e.to_string()))
}

/// Writes a new key file readable by the owner only (0600), never over an existing file: it is
/// created exclusively (`O_EXCL`), so a path that exists — another certificate's key — is
/// refused with [`std::io::ErrorKind::AlreadyExists`] and left as it was. A key is stored in a
/// certificate row only after this returns, so a file a crash left half-written is never used.
fn write_key(path: &Path, pem: &[u8]) -> Result<(), KeyError> {
    write_new_private(path, pem).map_err(io(path))
}

/// Writes the new file `path` (0600, created exclusively: never over an existing file) and
/// syncs it and its folder's entry; a file that could not be written whole is removed.
pub fn write_new_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    drop(file);
    if let Err(e) = written {
        // Ours, just created: not a key anyone uses.
        if let Err(removal) = fs::remove_file(path) {
            tracing::warn!("{}: not removed: {removal}", path.display());
        }
        return Err(e);
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::File::open(dir).and_then(|d| d.sync_all())?;
    }
    Ok(())
}

/// A certificate given as PEM or DER, as DER.
pub fn certificate_der(bytes: &[u8]) -> Result<Vec<u8>, KeyError> {
    if bytes.starts_with(b"-----BEGIN") {
        Ok(openssl::x509::X509::from_pem(bytes)?.to_der()?)
    } else {
        Ok(bytes.to_vec())
    }
}

/// The PEM text of certificate `der`.
pub fn pem(der: &[u8]) -> Result<String, KeyError> {
    let pem = openssl::x509::X509::from_der(der)?.to_pem()?;
    String::from_utf8(pem).map_err(|e| KeyError::Certificate(e.to_string()))
}

/// The RSA public key of certificate `der` as PKCS#1 DER (what CTL records carry).
pub fn rsa_public_pkcs1(der: &[u8]) -> Result<Vec<u8>, KeyError> {
    Ok(public_key(der)?.rsa()?.public_key_to_der_pkcs1()?)
}

/// The signature value of certificate `der`.
pub fn certificate_signature(der: &[u8]) -> Result<Vec<u8>, KeyError> {
    let (_, cert) = x509_parser::parse_x509_certificate(der)
        .map_err(|e| KeyError::Certificate(e.to_string()))?;
    Ok(cert.signature_value.data.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 13, point 8: a key is never written over an existing file — another certificate's
    /// key stays as it was, and the new key file is the owner's only.
    #[test]
    fn writing_a_key_onto_an_existing_path_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let keys = tempfile::tempdir().unwrap();
        let request = CertificateRequest {
            common_name: "CM 1".to_owned(),
            unit: "guid".to_owned(),
            organization: "cluster".to_owned(),
            names: vec!["cm1".to_owned()],
            years: 5,
            ca: false,
        };
        let path = keys.path().join("callmanager-CM_201.key");
        let der = generate(keys.path(), "callmanager-CM_201.key", &request, Utc::now()).unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let before = fs::read(&path).unwrap();
        let err =
            generate(keys.path(), "callmanager-CM_201.key", &request, Utc::now()).unwrap_err();
        match err {
            KeyError::Io { source, .. } => {
                assert_eq!(source.kind(), std::io::ErrorKind::AlreadyExists)
            }
            other => panic!("not refused as existing: {other}"),
        }
        assert_eq!(fs::read(&path).unwrap(), before, "the key was overwritten");
        SigningIdentity::load(&path, &der).unwrap();
        // Not even an empty or foreign file is replaced.
        let foreign = keys.path().join("other.key");
        fs::write(&foreign, b"not ours").unwrap();
        assert!(generate(keys.path(), "other.key", &request, Utc::now()).is_err());
        assert_eq!(fs::read(&foreign).unwrap(), b"not ours");
        // Nothing else was left in the folder.
        let mut names: Vec<String> = fs::read_dir(keys.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["callmanager-CM_201.key", "other.key"]);
    }

    /// One reused context signs file after file with each hash exactly as a fresh digest-and-sign
    /// does, and every signature verifies with the certificate (R12's signatures).
    #[test]
    fn a_reused_signer_signs_each_file_as_a_fresh_one_would() {
        let keys = tempfile::tempdir().unwrap();
        let request = CertificateRequest {
            common_name: "CM-PUB".to_owned(),
            unit: "TFTP".to_owned(),
            organization: "cluster".to_owned(),
            names: vec!["cm-pub".to_owned()],
            years: 5,
            ca: false,
        };
        let der = generate(keys.path(), "tftp.pem", &request, Utc::now()).unwrap();
        let identity = SigningIdentity::load(&keys.path().join("tftp.pem"), &der).unwrap();
        for hash in [HashAlgorithm::Sha1, HashAlgorithm::Sha512] {
            let mut signer = identity.signer(hash).unwrap();
            for data in [&b"SEP001122334455.cnf.xml"[..], b"", &[7u8; 5000][..]] {
                let signature = signer.sign(data).unwrap();
                assert_eq!(signature.len(), 256);
                assert!(verify(&der, hash, data, &signature).unwrap(), "{hash:?}");
                let mut fresh = openssl::sign::Signer::new(digest(hash), &identity.key).unwrap();
                fresh.update(data).unwrap();
                assert_eq!(signature, fresh.sign_to_vec().unwrap(), "deterministic");
                let mut flipped = data.to_vec();
                flipped.push(1);
                assert!(!verify(&der, hash, &flipped, &signature).unwrap());
            }
        }
    }
}
