//! Signed files (`.sgn`, `FORMATS.md`): a TLV header, then the original file unchanged. The
//! signature covers the whole output with the signature element left out. The CTL file uses the
//! same header with version 1.2 and a signer-version element.

use super::tlv::{self, c_string, elements, put, text_of, FormatError, PADDING};

/// The hash a signature is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// SHA-1: what 4.x phone firmware verifies.
    Sha1,
    /// SHA-512.
    Sha512,
}

impl HashAlgorithm {
    /// The byte of the hash-algorithm element.
    pub fn code(self) -> u8 {
        match self {
            HashAlgorithm::Sha1 => 1,
            HashAlgorithm::Sha512 => 3,
        }
    }

    /// The algorithm of a hash-algorithm byte (SHA-256, 2, is not produced here).
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(HashAlgorithm::Sha1),
            3 => Some(HashAlgorithm::Sha512),
            _ => None,
        }
    }

    /// The enterprise parameter's value (`SHA-1`, `SHA-512`).
    pub fn from_parameter(value: &str) -> Self {
        if value == "SHA-512" {
            HashAlgorithm::Sha512
        } else {
            HashAlgorithm::Sha1
        }
    }

    /// The signed file's name for `name`: `.sgn`, or `.sha512.sgn` for SHA-512.
    pub fn signed_name(self, name: &str) -> String {
        match self {
            HashAlgorithm::Sha1 => format!("{name}.sgn"),
            HashAlgorithm::Sha512 => format!("{name}.sha512.sgn"),
        }
    }

    /// The name OpenSSL's command line gives it.
    pub fn openssl_name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha1 => "sha1",
            HashAlgorithm::Sha512 => "sha512",
        }
    }
}

/// Who signs: the facts of the signing certificate the header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignerInfo {
    /// Certificate subject (RFC 4514).
    pub subject: String,
    /// Certificate issuer (RFC 4514).
    pub issuer: String,
    /// Serial number bytes.
    pub serial: Vec<u8>,
    /// RSA modulus length in bytes (the signature's length).
    pub modulus_bytes: usize,
}

/// Header tags.
mod tag {
    pub const VERSION: u8 = 1;
    pub const HEADER_LENGTH: u8 = 2;
    pub const SIGNER_INFO: u8 = 3;
    pub const SIGNER_NAME: u8 = 4;
    pub const SERIAL: u8 = 5;
    pub const ISSUER: u8 = 6;
    pub const SIGNATURE_INFO: u8 = 7;
    pub const HASH_ALGORITHM: u8 = 8;
    pub const SIGNATURE_ALGORITHM_INFO: u8 = 9;
    pub const SIGNATURE_ALGORITHM: u8 = 10;
    pub const MODULUS: u8 = 11;
    pub const SIGNATURE: u8 = 12;
    pub const FILENAME: u8 = 14;
    pub const TIMESTAMP: u8 = 15;
    pub const SIGNER_VERSION: u8 = 28;
}

const MODULI: [usize; 4] = [64, 128, 256, 512];

/// What kind of header: a signed file, or a CTL file (version 1.2 with a signer version).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// `.sgn`: version 1.0.
    Signed,
    /// `CTLFile.tlv`: version 1.2, signer version 1.0.
    Ctl,
}

/// The fields of a header, as `verify` prints them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// Version (major, minor).
    pub version: (u8, u8),
    /// Header length in bytes, signature included.
    pub header_length: usize,
    /// Signer name.
    pub signer: String,
    /// Issuer name.
    pub issuer: String,
    /// Serial number bytes.
    pub serial: Vec<u8>,
    /// Hash algorithm.
    pub hash: HashAlgorithm,
    /// Signature length in bytes.
    pub modulus_bytes: usize,
    /// File name.
    pub filename: String,
    /// Unix timestamp.
    pub timestamp: u32,
    /// Signer version, in CTL files.
    pub signer_version: Option<(u8, u8)>,
}

/// A signed file read back: its header, its signature, the bytes the signature covers, and the
/// content after the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The header's fields.
    pub header: Header,
    /// The signature.
    pub signature: Vec<u8>,
    /// Everything but the signature element: what was signed.
    pub signed_bytes: Vec<u8>,
    /// The content after the header.
    pub content: Vec<u8>,
}

/// Builds the header around `content` and signs it with `sign` (which gets the bytes to sign and
/// returns the signature, `signer.modulus_bytes` long).
pub fn build<E>(
    kind: HeaderKind,
    content: &[u8],
    filename: &str,
    timestamp: u32,
    hash: HashAlgorithm,
    signer: &SignerInfo,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, E>,
) -> Result<Vec<u8>, BuildError<E>> {
    let modulus_index = MODULI
        .iter()
        .position(|m| *m == signer.modulus_bytes)
        .ok_or_else(|| {
            BuildError::Format(FormatError::Malformed(format!(
                "a {}-byte signature has no modulus code",
                signer.modulus_bytes
            )))
        })?;
    let mut info = Vec::new();
    put(&mut info, tag::SIGNER_NAME, &c_string(&signer.subject))?;
    put(&mut info, tag::ISSUER, &c_string(&signer.issuer))?;
    put(&mut info, tag::SERIAL, &signer.serial)?;
    let mut algorithm = Vec::new();
    put(&mut algorithm, tag::SIGNATURE_ALGORITHM, &[0])?;
    put(
        &mut algorithm,
        tag::MODULUS,
        &[u8::try_from(modulus_index).unwrap_or(2)],
    )?;
    let mut sig_info = Vec::new();
    put(&mut sig_info, tag::HASH_ALGORITHM, &[hash.code()])?;
    put(&mut sig_info, tag::SIGNATURE_ALGORITHM_INFO, &algorithm)?;

    // Everything but the version, the header length and the signature, in order.
    let mut before_signature = Vec::new();
    put(&mut before_signature, tag::SIGNER_INFO, &info)?;
    put(&mut before_signature, tag::SIGNATURE_INFO, &sig_info)?;
    let mut after_signature = Vec::new();
    put(&mut after_signature, tag::FILENAME, &c_string(filename))?;
    put(
        &mut after_signature,
        tag::TIMESTAMP,
        &timestamp.to_be_bytes(),
    )?;
    if kind == HeaderKind::Ctl {
        put(&mut after_signature, tag::SIGNER_VERSION, &[1, 0])?;
    }
    let version: [u8; 2] = match kind {
        HeaderKind::Signed => [1, 0],
        HeaderKind::Ctl => [1, 2],
    };
    let unpadded =
        5 + 5 + before_signature.len() + 3 + signer.modulus_bytes + after_signature.len();
    let padding = (4 - unpadded % 4) % 4;
    let header_length = unpadded + padding;
    let header_length_u16 = u16::try_from(header_length)
        .map_err(|_| BuildError::Format(FormatError::TooLong(tag::HEADER_LENGTH, header_length)))?;

    let mut head = Vec::with_capacity(header_length);
    put(&mut head, tag::VERSION, &version)?;
    put(
        &mut head,
        tag::HEADER_LENGTH,
        &header_length_u16.to_be_bytes(),
    )?;
    head.extend_from_slice(&before_signature);
    let mut tail = after_signature;
    tail.extend(std::iter::repeat_n(PADDING, padding));

    let mut signed = Vec::with_capacity(head.len() + tail.len() + content.len());
    signed.extend_from_slice(&head);
    signed.extend_from_slice(&tail);
    signed.extend_from_slice(content);
    let signature = sign(&signed).map_err(BuildError::Sign)?;
    if signature.len() != signer.modulus_bytes {
        return Err(BuildError::Format(FormatError::Malformed(format!(
            "the signature is {} bytes, not {}",
            signature.len(),
            signer.modulus_bytes
        ))));
    }
    let mut out = head;
    put(&mut out, tag::SIGNATURE, &signature)?;
    out.extend_from_slice(&tail);
    out.extend_from_slice(content);
    Ok(out)
}

/// Why a signed file could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError<E> {
    /// The header cannot hold the values.
    #[error(transparent)]
    Format(#[from] FormatError),
    /// The signer failed.
    #[error("signing failed: {0}")]
    Sign(E),
}

fn value<'a>(bytes: &'a [u8], e: &tlv::Element) -> &'a [u8] {
    &bytes[e.value_start..e.end]
}

fn pair(v: &[u8], what: &'static str) -> Result<(u8, u8), FormatError> {
    match v {
        [a, b] => Ok((*a, *b)),
        _ => Err(FormatError::Malformed(format!("{what} is not two bytes"))),
    }
}

/// Reads a signed file or a CTL file.
pub fn parse(bytes: &[u8]) -> Result<Parsed, FormatError> {
    if bytes.len() < 10 || bytes[0] != tag::VERSION || bytes[5] != tag::HEADER_LENGTH {
        return Err(FormatError::Malformed(
            "the file does not start with a version and a header length".to_owned(),
        ));
    }
    let header_length = usize::from(u16::from_be_bytes([bytes[8], bytes[9]]));
    if header_length > bytes.len() || header_length < 10 {
        return Err(FormatError::Malformed(format!(
            "the header length {header_length} does not fit the {}-byte file",
            bytes.len()
        )));
    }
    let top = elements(bytes, 0, header_length)?;
    let find = |t: u8, what: &'static str| {
        top.iter()
            .find(|e| e.tag == t)
            .ok_or(FormatError::Missing(what))
    };
    let version = pair(value(bytes, find(tag::VERSION, "version")?), "the version")?;
    let info = find(tag::SIGNER_INFO, "signer info")?;
    let info_elements = elements(bytes, info.value_start, info.end)?;
    let in_info = |t: u8, what: &'static str| {
        info_elements
            .iter()
            .find(|e| e.tag == t)
            .map(|e| value(bytes, e))
            .ok_or(FormatError::Missing(what))
    };
    let sig_info = find(tag::SIGNATURE_INFO, "signature info")?;
    let sig_elements = elements(bytes, sig_info.value_start, sig_info.end)?;
    let hash_code = sig_elements
        .iter()
        .find(|e| e.tag == tag::HASH_ALGORITHM)
        .and_then(|e| value(bytes, e).first().copied())
        .ok_or(FormatError::Missing("hash algorithm"))?;
    let hash = HashAlgorithm::from_code(hash_code)
        .ok_or_else(|| FormatError::Malformed(format!("hash algorithm {hash_code} is unknown")))?;
    let signature = find(tag::SIGNATURE, "signature")?;
    let timestamp = value(bytes, find(tag::TIMESTAMP, "timestamp")?);
    let timestamp: [u8; 4] = timestamp
        .try_into()
        .map_err(|_| FormatError::Malformed("the timestamp is not four bytes".to_owned()))?;
    let signer_version = match top.iter().find(|e| e.tag == tag::SIGNER_VERSION) {
        Some(e) => Some(pair(value(bytes, e), "the signer version")?),
        None => None,
    };
    let mut signed_bytes = Vec::with_capacity(bytes.len());
    signed_bytes.extend_from_slice(&bytes[..signature.start]);
    signed_bytes.extend_from_slice(&bytes[signature.end..]);
    Ok(Parsed {
        header: Header {
            version,
            header_length,
            signer: text_of(in_info(tag::SIGNER_NAME, "signer name")?),
            issuer: text_of(in_info(tag::ISSUER, "issuer name")?),
            serial: in_info(tag::SERIAL, "serial number")?.to_vec(),
            hash,
            modulus_bytes: signature.end - signature.value_start,
            filename: text_of(value(bytes, find(tag::FILENAME, "filename")?)),
            timestamp: u32::from_be_bytes(timestamp),
            signer_version,
        },
        signature: value(bytes, signature).to_vec(),
        signed_bytes,
        content: bytes[header_length..].to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer() -> SignerInfo {
        SignerInfo {
            subject: "CN=TFTP".into(),
            issuer: "CN=TFTP".into(),
            serial: vec![1, 2, 3],
            modulus_bytes: 256,
        }
    }

    #[test]
    fn header_round_trips_and_the_signature_covers_all_but_itself() {
        let content = b"<device/>";
        let mut seen = Vec::new();
        let out = build(
            HeaderKind::Signed,
            content,
            "SEP001122334455.cnf.xml",
            1_700_000_000,
            HashAlgorithm::Sha1,
            &signer(),
            |bytes| {
                seen = bytes.to_vec();
                Ok::<_, ()>(vec![7u8; 256])
            },
        )
        .unwrap();
        let parsed = parse(&out).unwrap();
        assert_eq!(parsed.header.header_length % 4, 0);
        assert_eq!(parsed.header.version, (1, 0));
        assert_eq!(parsed.header.filename, "SEP001122334455.cnf.xml");
        assert_eq!(parsed.header.signer, "CN=TFTP");
        assert_eq!(parsed.header.serial, vec![1, 2, 3]);
        assert_eq!(parsed.content, content);
        assert_eq!(parsed.signature, vec![7u8; 256]);
        assert_eq!(parsed.signed_bytes, seen);
        assert_eq!(out.len(), seen.len() + 3 + 256);
    }

    #[test]
    fn ctl_headers_carry_version_1_2_and_a_signer_version() {
        let out = build(
            HeaderKind::Ctl,
            b"records",
            "CTLFile.tlv",
            1,
            HashAlgorithm::Sha1,
            &signer(),
            |_| Ok::<_, ()>(vec![0u8; 256]),
        )
        .unwrap();
        let parsed = parse(&out).unwrap();
        assert_eq!(parsed.header.version, (1, 2));
        assert_eq!(parsed.header.signer_version, Some((1, 0)));
    }

    #[test]
    fn garbage_is_refused_without_panic() {
        assert!(parse(b"").is_err());
        assert!(parse(&[1, 0, 2, 1, 0, 2, 0, 2, 255, 255]).is_err());
        let mut bytes = vec![1, 0, 2, 1, 0, 2, 0, 2, 0, 16];
        bytes.extend_from_slice(&[3, 0, 200, 0, 0, 0]);
        assert!(parse(&bytes).is_err());
    }
}
