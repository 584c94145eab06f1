//! The existing-certificate proof of a CAPF session: the phone signs its device name, a NUL and
//! the DER of the certificate it presents, over SHA-1 (SignedData) and SHA-512 (SHA2SignedData).
//! Real phones sign with a *raw* RSA private-key operation on the hash padded `00 01 FF…FF 00 ||
//! hash`, without the DigestInfo a PKCS#1 v1.5 signature carries, so it is checked by the raw
//! public operation and a comparison — and a standard PKCS#1 v1.5 signature does not match.

use openssl::pkey::{PKey, Private, Public};
use openssl::rsa::Padding;

/// The two hashes of the proof.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProofHash {
    /// SignedData.
    Sha1,
    /// SHA2SignedData (hash id 3).
    Sha512,
}

impl ProofHash {
    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            ProofHash::Sha1 => openssl::sha::sha1(data).to_vec(),
            ProofHash::Sha512 => openssl::sha::sha512(data).to_vec(),
        }
    }
}

/// Why a proof was refused.
#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    /// The key is not RSA.
    #[error("the certificate's key is not RSA")]
    NotRsa,
    /// The key is too small for the hash.
    #[error("a {bits}-bit key is too small for this hash")]
    KeyTooSmall {
        /// The key's size.
        bits: u32,
    },
    /// The signature does not match.
    #[error("the signature does not match the certificate")]
    Mismatch,
    /// OpenSSL failed.
    #[error("OpenSSL: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
}

/// What is signed: the device name, a 0x00 byte, the presented certificate's DER.
pub fn signed_data(device: &str, certificate_der: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(device.len() + 1 + certificate_der.len());
    data.extend_from_slice(device.as_bytes());
    data.push(0);
    data.extend_from_slice(certificate_der);
    data
}

/// The padded block of `hash` for a key of `size` bytes: `00 01 FF…FF 00 || hash`, at least
/// eight FF bytes.
fn block(size: usize, hash: &[u8], bits: u32) -> Result<Vec<u8>, ProofError> {
    if size < hash.len() + 11 {
        return Err(ProofError::KeyTooSmall { bits });
    }
    let mut b = vec![0xFF; size];
    b[0] = 0x00;
    b[1] = 0x01;
    b[size - hash.len() - 1] = 0x00;
    b[size - hash.len()..].copy_from_slice(hash);
    Ok(b)
}

/// Whether a key of `bits` can carry a proof over `hash`.
pub fn fits(bits: u32, hash: ProofHash) -> bool {
    let hash_len = match hash {
        ProofHash::Sha1 => 20,
        ProofHash::Sha512 => 64,
    };
    (bits as usize) / 8 >= hash_len + 11
}

/// The phone's side: the raw RSA signature of `data` over `hash` with `key`.
pub fn sign_raw(key: &PKey<Private>, hash: ProofHash, data: &[u8]) -> Result<Vec<u8>, ProofError> {
    let rsa = key.rsa().map_err(|_| ProofError::NotRsa)?;
    let size = rsa.size() as usize;
    let padded = block(size, &hash.digest(data), key.bits())?;
    let mut out = vec![0u8; size];
    let n = rsa.private_encrypt(&padded, &mut out, Padding::NONE)?;
    out.truncate(n);
    Ok(out)
}

/// CAPF's side: checks a raw RSA `signature` of `data` over `hash` with `key`.
pub fn verify_raw(
    key: &PKey<Public>,
    hash: ProofHash,
    data: &[u8],
    signature: &[u8],
) -> Result<(), ProofError> {
    let rsa = key.rsa().map_err(|_| ProofError::NotRsa)?;
    let size = rsa.size() as usize;
    let expected = block(size, &hash.digest(data), key.bits())?;
    if signature.len() != size {
        return Err(ProofError::Mismatch);
    }
    let mut out = vec![0u8; size];
    let n = rsa
        .public_decrypt(signature, &mut out, Padding::NONE)
        .map_err(|_| ProofError::Mismatch)?;
    if n != size || out != expected {
        return Err(ProofError::Mismatch);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use openssl::hash::MessageDigest;
    use openssl::rsa::Rsa;

    fn pair(bits: u32) -> (PKey<Private>, PKey<Public>) {
        let key = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
        let public = PKey::public_key_from_der(&key.public_key_to_der().unwrap()).unwrap();
        (key, public)
    }

    #[test]
    fn a_raw_proof_verifies_and_a_changed_one_does_not() {
        let (key, public) = pair(1024);
        let data = signed_data("SEP0A0000000001", b"certificate");
        assert_eq!(&data[..16], b"SEP0A0000000001\0");
        for hash in [ProofHash::Sha1, ProofHash::Sha512] {
            let mut signature = sign_raw(&key, hash, &data).unwrap();
            verify_raw(&public, hash, &data, &signature).unwrap();
            assert!(verify_raw(&public, hash, b"other data", &signature).is_err());
            signature[5] ^= 1;
            assert!(verify_raw(&public, hash, &data, &signature).is_err());
        }
        // Another key's proof.
        let (_, other) = pair(1024);
        let signature = sign_raw(&key, ProofHash::Sha1, &data).unwrap();
        assert!(verify_raw(&other, ProofHash::Sha1, &data, &signature).is_err());
    }

    #[test]
    fn a_standard_pkcs1_signature_is_refused_as_real_phones_never_send_one() {
        let (key, public) = pair(1024);
        let data = signed_data("SEP0A0000000001", b"certificate");
        for (hash, md) in [
            (ProofHash::Sha1, MessageDigest::sha1()),
            (ProofHash::Sha512, MessageDigest::sha512()),
        ] {
            let mut signer = openssl::sign::Signer::new(md, &key).unwrap();
            let standard = signer.sign_oneshot_to_vec(&data).unwrap();
            assert!(matches!(
                verify_raw(&public, hash, &data, &standard),
                Err(ProofError::Mismatch)
            ));
        }
    }

    #[test]
    fn a_512_bit_key_carries_only_the_sha1_proof() {
        let (key, public) = pair(512);
        assert!(fits(512, ProofHash::Sha1) && !fits(512, ProofHash::Sha512));
        let data = signed_data("SEP1", b"c");
        let signature = sign_raw(&key, ProofHash::Sha1, &data).unwrap();
        verify_raw(&public, ProofHash::Sha1, &data, &signature).unwrap();
        assert!(matches!(
            sign_raw(&key, ProofHash::Sha512, &data),
            Err(ProofError::KeyTooSmall { bits: 512 })
        ));
        assert!(verify_raw(&public, ProofHash::Sha512, &data, &[0; 64]).is_err());
    }
}
