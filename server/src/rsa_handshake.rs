//! RSA handshake signatures made and checked by OpenSSL, for the phones' keys: ring (behind
//! rustls here) takes RSA keys of 2048 bits and more only, while CAPF issues LSCs of 512, 1024 or
//! 2048 bits and 79xx phones use 1024. The registrar checks a device's CertificateVerify with
//! [`verify`]; the simulated phones sign theirs with [`client_certificate`]. Other key types go
//! to ring as before.

use std::sync::Arc;

use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Padding;
use openssl::sign::{RsaPssSaltlen, Signer as OpensslSigner, Verifier};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::client::ResolvesClientCert;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::CertificateDer;
use rustls::sign::{CertifiedKey, Signer, SigningKey};
use rustls::{DigitallySignedStruct, SignatureAlgorithm, SignatureScheme};

/// The RSA schemes handled here: the digest and whether the padding is PSS.
fn rsa_scheme(scheme: SignatureScheme) -> Option<(MessageDigest, bool)> {
    Some(match scheme {
        SignatureScheme::RSA_PKCS1_SHA256 => (MessageDigest::sha256(), false),
        SignatureScheme::RSA_PKCS1_SHA384 => (MessageDigest::sha384(), false),
        SignatureScheme::RSA_PKCS1_SHA512 => (MessageDigest::sha512(), false),
        SignatureScheme::RSA_PSS_SHA256 => (MessageDigest::sha256(), true),
        SignatureScheme::RSA_PSS_SHA384 => (MessageDigest::sha384(), true),
        SignatureScheme::RSA_PSS_SHA512 => (MessageDigest::sha512(), true),
        _ => return None,
    })
}

fn bad(reason: &str) -> rustls::Error {
    rustls::Error::General(reason.to_owned())
}

/// Checks the handshake signature `dss` over `message` by the key of `cert`: RSA (of any size
/// OpenSSL takes, PKCS#1 v1.5 or PSS with a digest-length salt) by OpenSSL, anything else by
/// `provider`. `tls13` refuses the PKCS#1 v1.5 schemes, as TLS 1.3 does.
pub fn verify(
    provider: &CryptoProvider,
    message: &[u8],
    cert: &CertificateDer<'_>,
    dss: &DigitallySignedStruct,
    tls13: bool,
) -> Result<HandshakeSignatureValid, rustls::Error> {
    let Some((digest, pss)) = rsa_scheme(dss.scheme) else {
        let algorithms = &provider.signature_verification_algorithms;
        return if tls13 {
            rustls::crypto::verify_tls13_signature(message, cert, dss, algorithms)
        } else {
            rustls::crypto::verify_tls12_signature(message, cert, dss, algorithms)
        };
    };
    if tls13 && !pss {
        return Err(bad("TLS 1.3 takes RSA-PSS signatures only"));
    }
    let key = openssl::x509::X509::from_der(cert.as_ref())
        .and_then(|c| c.public_key())
        .map_err(|_| bad("the certificate's key cannot be read"))?;
    if key.rsa().is_err() {
        return Err(bad("an RSA scheme with a key that is not RSA"));
    }
    let checked = (|| -> Result<bool, openssl::error::ErrorStack> {
        let mut verifier = Verifier::new(digest, &key)?;
        if pss {
            verifier.set_rsa_padding(Padding::PKCS1_PSS)?;
            verifier.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
            verifier.set_rsa_mgf1_md(digest)?;
        }
        verifier.verify_oneshot(dss.signature(), message)
    })();
    match checked {
        Ok(true) => Ok(HandshakeSignatureValid::assertion()),
        _ => Err(bad(
            "the handshake signature does not match the certificate",
        )),
    }
}

/// The schemes [`verify`] checks: the RSA ones and the provider's.
pub fn schemes(provider: &CryptoProvider) -> Vec<SignatureScheme> {
    let mut out = vec![
        SignatureScheme::RSA_PSS_SHA256,
        SignatureScheme::RSA_PSS_SHA384,
        SignatureScheme::RSA_PSS_SHA512,
        SignatureScheme::RSA_PKCS1_SHA256,
        SignatureScheme::RSA_PKCS1_SHA384,
        SignatureScheme::RSA_PKCS1_SHA512,
    ];
    for s in provider
        .signature_verification_algorithms
        .supported_schemes()
    {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

/// An RSA private key that signs with OpenSSL.
#[derive(Clone)]
struct OpensslRsa(PKey<Private>);

impl std::fmt::Debug for OpensslRsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpensslRsa")
            .field("bits", &self.0.bits())
            .finish_non_exhaustive()
    }
}

impl SigningKey for OpensslRsa {
    fn choose_scheme(&self, offered: &[SignatureScheme]) -> Option<Box<dyn Signer>> {
        // PSS first (TLS 1.3 takes nothing else), SHA-256 first (it fits the smallest keys).
        [
            SignatureScheme::RSA_PSS_SHA256,
            SignatureScheme::RSA_PKCS1_SHA256,
            SignatureScheme::RSA_PSS_SHA384,
            SignatureScheme::RSA_PKCS1_SHA384,
        ]
        .into_iter()
        .find(|s| offered.contains(s))
        .map(|scheme| {
            Box::new(RsaSigner {
                key: self.0.clone(),
                scheme,
            }) as Box<dyn Signer>
        })
    }

    fn algorithm(&self) -> SignatureAlgorithm {
        SignatureAlgorithm::RSA
    }
}

/// One signature by an [`OpensslRsa`] key under `scheme`.
struct RsaSigner {
    key: PKey<Private>,
    scheme: SignatureScheme,
}

impl std::fmt::Debug for RsaSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsaSigner")
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Signer for RsaSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rustls::Error> {
        let (digest, pss) = rsa_scheme(self.scheme).ok_or_else(|| bad("not an RSA scheme"))?;
        let signed = (|| -> Result<Vec<u8>, openssl::error::ErrorStack> {
            let mut signer = OpensslSigner::new(digest, &self.key)?;
            if pss {
                signer.set_rsa_padding(Padding::PKCS1_PSS)?;
                signer.set_rsa_pss_saltlen(RsaPssSaltlen::DIGEST_LENGTH)?;
                signer.set_rsa_mgf1_md(digest)?;
            }
            signer.sign_oneshot_to_vec(message)
        })();
        signed.map_err(|e| rustls::Error::General(format!("cannot sign: {e}")))
    }

    fn scheme(&self) -> SignatureScheme {
        self.scheme
    }
}

/// Always the one certificate and key.
#[derive(Debug)]
struct OneCertificate(Arc<CertifiedKey>);

impl ResolvesClientCert for OneCertificate {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// A client certificate (DER) with its RSA key, signing with OpenSSL.
pub fn client_certificate(der: Vec<u8>, key: PKey<Private>) -> Arc<dyn ResolvesClientCert> {
    let certified = CertifiedKey::new(vec![CertificateDer::from(der)], Arc::new(OpensslRsa(key)));
    Arc::new(OneCertificate(Arc::new(certified)))
}
