//! Locally significant certificates: the profile CAPF issues (`docs/FORMATS.md`, "Issued LSC"),
//! and the check of a certificate a phone presents — its chain reaches a trusted CA (the CAPF CA
//! for an LSC, a manufacturer CA for a MIC), it is valid at the given time, and its subject
//! names the device.

use chrono::{DateTime, Duration, Utc};
use openssl::asn1::{Asn1Integer, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private, Public};
use openssl::stack::Stack;
use openssl::x509::extension::{
    BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
};
use openssl::x509::store::X509StoreBuilder;
use openssl::x509::verify::X509VerifyParam;
use openssl::x509::{X509NameBuilder, X509StoreContext, X509};

use crate::domain::hex::lower as hex_lower;
use crate::tftp::keys;

/// Why a certificate could not be issued or was refused.
#[derive(Debug, thiserror::Error)]
pub enum LscError {
    /// The public key cannot be read.
    #[error("the public key cannot be read: {0}")]
    PublicKey(#[source] openssl::error::ErrorStack),
    /// The key is not the kind or size asked for.
    #[error("{0}")]
    Key(String),
    /// The certificate cannot be read.
    #[error("the certificate cannot be read: {0}")]
    Unreadable(#[source] openssl::error::ErrorStack),
    /// No trusted CA issued it, or it is not valid at the time given.
    #[error("{0}")]
    Untrusted(String),
    /// Its subject does not name the device.
    #[error("its subject names {found:?}, not the device {device}")]
    NameMismatch {
        /// The device.
        device: String,
        /// The common name found.
        found: String,
    },
    /// OpenSSL failed.
    #[error("OpenSSL: {0}")]
    OpenSsl(#[from] openssl::error::ErrorStack),
}

/// What the device record keeps of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// Serial number, upper-case hex.
    pub serial: String,
    /// The issuer's common name.
    pub issuer: String,
    /// Valid from.
    pub not_before: DateTime<Utc>,
    /// Valid until.
    pub not_after: DateTime<Utc>,
    /// SHA-256 fingerprint, as the Certificates page shows it.
    pub sha256: String,
}

fn common_name(name: &openssl::x509::X509NameRef) -> String {
    name.entries_by_nid(Nid::COMMONNAME)
        .next()
        .and_then(|e| e.data().to_string().ok())
        .unwrap_or_default()
}

/// What a record keeps of the certificate `der`.
pub fn record(der: &[u8]) -> Result<CertificateRecord, LscError> {
    let facts = keys::certificate_facts(der).map_err(|e| LscError::Key(e.to_string()))?;
    let cert = X509::from_der(der).map_err(LscError::Unreadable)?;
    Ok(CertificateRecord {
        serial: hex_lower(&facts.serial).to_uppercase(),
        issuer: common_name(cert.issuer_name()),
        not_before: facts.not_before,
        not_after: facts.not_after,
        sha256: facts.sha256,
    })
}

/// A phone's public key (DER SubjectPublicKeyInfo), checked to be RSA of `bits`.
pub fn phone_key(spki_der: &[u8], bits: u32) -> Result<PKey<Public>, LscError> {
    let key = PKey::public_key_from_der(spki_der).map_err(LscError::PublicKey)?;
    if key.rsa().is_err() {
        return Err(LscError::Key("the phone's key is not RSA".to_owned()));
    }
    if key.bits() != bits {
        return Err(LscError::Key(format!(
            "the phone generated a {}-bit key where {bits} bits were asked",
            key.bits()
        )));
    }
    Ok(key)
}

/// Issues the LSC of `device` for `public`: subject CN = the device (the other subject fields
/// from the CA), a random 16-byte serial, valid from `now` for `days`, Basic Constraints CA:false
/// and Key Usage digitalSignature + keyEncipherment (both critical), Extended Key Usage
/// serverAuth, clientAuth and IPsec end system, SAN URI = the device; signed by the CAPF CA with
/// SHA-256. Returns the DER.
pub fn issue(
    ca_der: &[u8],
    ca_key: &PKey<Private>,
    device: &str,
    public: &PKey<Public>,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Vec<u8>, LscError> {
    let ca = X509::from_der(ca_der).map_err(LscError::Unreadable)?;
    let mut subject = X509NameBuilder::new()?;
    for entry in ca.subject_name().entries() {
        let nid = entry.object().nid();
        if nid != Nid::COMMONNAME {
            subject.append_entry_by_nid(nid, &entry.data().to_string()?)?;
        }
    }
    subject.append_entry_by_nid(Nid::COMMONNAME, device)?;
    let subject = subject.build();
    let mut b = X509::builder()?;
    b.set_version(2)?;
    let mut serial = [0u8; 16];
    openssl::rand::rand_bytes(&mut serial)?;
    serial[0] &= 0x7f;
    serial[0] |= 0x01;
    let serial = Asn1Integer::from_bn(BigNum::from_slice(&serial)?.as_ref())?;
    b.set_serial_number(serial.as_ref())?;
    b.set_subject_name(&subject)?;
    b.set_issuer_name(ca.subject_name())?;
    b.set_pubkey(public)?;
    let from = Asn1Time::from_unix(now.timestamp())?;
    b.set_not_before(from.as_ref())?;
    let until = now + Duration::days(i64::from(days));
    let until = Asn1Time::from_unix(until.timestamp())?;
    b.set_not_after(until.as_ref())?;
    b.append_extension(BasicConstraints::new().critical().build()?)?;
    b.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .key_encipherment()
            .build()?,
    )?;
    b.append_extension(
        ExtendedKeyUsage::new()
            .server_auth()
            .client_auth()
            .other("1.3.6.1.5.5.7.3.5")
            .build()?,
    )?;
    let san = SubjectAlternativeName::new()
        .uri(device)
        .build(&b.x509v3_context(Some(&ca), None))?;
    b.append_extension(san)?;
    b.sign(ca_key, MessageDigest::sha256())?;
    Ok(b.build().to_der()?)
}

/// Checks the certificate `der` a phone presents as `device`: issued (through any intermediates
/// among `anchors`) by one of `anchors`, valid at `now`, its subject CN the device's name.
/// Returns the certificate's public key.
pub fn check_presented(
    der: &[u8],
    device: &str,
    anchors: &[Vec<u8>],
    now: DateTime<Utc>,
) -> Result<PKey<Public>, LscError> {
    let cert = X509::from_der(der).map_err(LscError::Unreadable)?;
    let found = common_name(cert.subject_name());
    if found != device {
        // The name is the phone's to choose: kept short for the record.
        return Err(LscError::NameMismatch {
            device: device.to_owned(),
            found: found.chars().take(64).collect(),
        });
    }
    let mut store = X509StoreBuilder::new()?;
    let mut any = false;
    for a in anchors {
        if let Ok(ca) = X509::from_der(a) {
            store.add_cert(ca)?;
            any = true;
        }
    }
    if !any {
        return Err(LscError::Untrusted(
            "no trusted CA is configured for it".to_owned(),
        ));
    }
    let mut param = X509VerifyParam::new()?;
    param.set_time(now.timestamp());
    store.set_param(&param)?;
    let store = store.build();
    let chain = Stack::new()?;
    let mut ctx = X509StoreContext::new()?;
    let verified = ctx.init(&store, &cert, &chain, |c| {
        let ok = c.verify_cert()?;
        Ok((ok, c.error()))
    })?;
    match verified {
        (true, _) => Ok(cert.public_key()?),
        (false, error) => Err(LscError::Untrusted(error.error_string().to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tftp::keys::{self, CertificateRequest};
    use openssl::rsa::Rsa;

    fn ca(dir: &std::path::Path, now: DateTime<Utc>) -> (Vec<u8>, PKey<Private>) {
        let request = CertificateRequest {
            common_name: "CAPF".into(),
            unit: "CAPF".into(),
            organization: "Cluster".into(),
            names: vec!["capf".into()],
            years: 5,
            ca: true,
        };
        let der = keys::generate(dir, "capf.key", &request, now).unwrap();
        let pem = std::fs::read(dir.join("capf.key")).unwrap();
        (der, PKey::private_key_from_pem(&pem).unwrap())
    }

    fn phone_pair(bits: u32) -> (PKey<Private>, Vec<u8>) {
        let key = PKey::from_rsa(Rsa::generate(bits).unwrap()).unwrap();
        let spki = key.public_key_to_der().unwrap();
        (key, spki)
    }

    #[test]
    fn an_issued_lsc_has_the_profile_and_chains_to_the_capf_ca() {
        let dir = tempfile::tempdir().unwrap();
        let now = Utc::now();
        let (ca_der, ca_key) = ca(dir.path(), now);
        let (_, spki) = phone_pair(1024);
        let public = phone_key(&spki, 1024).unwrap();
        let der = issue(&ca_der, &ca_key, "SEP0A0000000001", &public, now, 30).unwrap();
        let cert = X509::from_der(&der).unwrap();
        assert_eq!(common_name(cert.subject_name()), "SEP0A0000000001");
        let org = cert
            .subject_name()
            .entries_by_nid(Nid::ORGANIZATIONNAME)
            .next()
            .unwrap();
        assert_eq!(org.data().to_string().unwrap(), "Cluster");
        assert_eq!(cert.serial_number().to_bn().unwrap().num_bytes(), 16);
        let r = record(&der).unwrap();
        assert_eq!(r.issuer, "CAPF");
        assert_eq!(r.not_after - r.not_before, Duration::days(30));
        assert_eq!(r.sha256, keys::fingerprint(&der));
        assert!(
            check_presented(&der, "SEP0A0000000001", std::slice::from_ref(&ca_der), now).is_ok()
        );
        // Another device's name, an untrusted issuer, after its end.
        assert!(matches!(
            check_presented(&der, "SEP0A0000000002", std::slice::from_ref(&ca_der), now),
            Err(LscError::NameMismatch { .. })
        ));
        let other = tempfile::tempdir().unwrap();
        let (other_ca, _) = ca(other.path(), now);
        assert!(matches!(
            check_presented(&der, "SEP0A0000000001", &[other_ca], now),
            Err(LscError::Untrusted(_))
        ));
        assert!(matches!(
            check_presented(&der, "SEP0A0000000001", &[ca_der], now + Duration::days(31)),
            Err(LscError::Untrusted(_))
        ));
    }

    #[test]
    fn a_key_of_another_kind_or_size_is_refused() {
        let (_, spki) = phone_pair(1024);
        assert!(matches!(phone_key(&spki, 2048), Err(LscError::Key(_))));
        assert!(matches!(
            phone_key(b"junk", 1024),
            Err(LscError::PublicKey(_))
        ));
        let ec = openssl::ec::EcKey::generate(
            &openssl::ec::EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).unwrap(),
        )
        .unwrap();
        let ec = PKey::from_ec_key(ec).unwrap().public_key_to_der().unwrap();
        assert!(matches!(phone_key(&ec, 256), Err(LscError::Key(_))));
    }
}
