//! Security token files: a security token (SAST) kept offline, as CallManager kept its USB
//! tokens away from the server. The file is the token's certificate and private key (PEM, after
//! a line naming the token), encrypted with the token's own passphrase in the age format and
//! ASCII-armoured, so that `age -d` decrypts it too and it can be kept as text. The console reads
//! one only for the one signature it is uploaded for (`docs/FORMATS.md`).

use std::io::{Read, Write};

use age::secrecy::SecretString;

use super::keys::{self, KeyError, SigningIdentity};

pub use crate::model::security::TOKEN_FILE_MAX as FILE_MAX;

/// The scrypt work factor (`N = 2^18`, about a second and 256 MiB) token files are made with,
/// and the largest one accepted: a file asking for more is refused before any work.
const WORK_FACTOR: u8 = 18;

/// The first line of the decrypted file.
const HEADER: &str = "ccmadmin security token file, version 1";

/// The line naming the token.
const TOKEN_LINE: &str = "token: ";

/// Why a token file could not be made or used.
#[derive(Debug, thiserror::Error)]
pub enum TokenFileError {
    /// Larger than [`FILE_MAX`].
    #[error("is larger than {FILE_MAX} bytes: it is not a token file")]
    TooLarge,
    /// Not an age file with a passphrase, or not what a token file holds.
    #[error("is not a ccmadmin token file ({0})")]
    NotATokenFile(String),
    /// The passphrase does not open it.
    #[error("does not open with this passphrase")]
    WrongPassphrase,
    /// The file of another token.
    #[error("holds the security token {found}, not {expected}")]
    OtherToken {
        /// The token the console asked for.
        expected: String,
        /// The token the file holds.
        found: String,
    },
    /// The key in it is not the key of the token's certificate.
    #[error("holds a key that is not the key of {0}'s certificate (an older token file?)")]
    KeyMismatch(String),
    /// The key or certificate could not be read.
    #[error("could not be used: {0}")]
    Key(#[from] KeyError),
    /// The file could not be written.
    #[error("could not be written: {0}")]
    Write(#[source] std::io::Error),
}

/// The token file of token `name`: its private key `key_pem` and certificate `der`, encrypted
/// with `passphrase`.
pub fn seal(
    name: &str,
    key_pem: &[u8],
    der: &[u8],
    passphrase: SecretString,
) -> Result<Vec<u8>, TokenFileError> {
    // Never a file that would not open again.
    SigningIdentity::from_pem(key_pem, der)?;
    let mut plain = format!(
        "{HEADER}\n{TOKEN_LINE}{name}\nsha256: {}\n",
        keys::fingerprint(der)
    )
    .into_bytes();
    plain.extend_from_slice(keys::pem(der)?.as_bytes());
    plain.extend_from_slice(key_pem);
    let mut recipient = age::scrypt::Recipient::new(passphrase);
    recipient.set_work_factor(WORK_FACTOR);
    let encryptor =
        age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
            .map_err(|e| TokenFileError::Write(std::io::Error::other(e)))?;
    let mut out = Vec::new();
    let armored = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .map_err(TokenFileError::Write)?;
    let mut writer = encryptor
        .wrap_output(armored)
        .map_err(TokenFileError::Write)?;
    writer.write_all(&plain).map_err(TokenFileError::Write)?;
    writer
        .finish()
        .and_then(|armored| armored.finish())
        .map_err(TokenFileError::Write)?;
    Ok(out)
}

/// The signing identity in token file `bytes` for token `name`, whose certificate is `der`:
/// refused when the file is too large, does not open with `passphrase`, is another token's, or
/// holds a key that is not the certificate's.
pub fn open(
    bytes: &[u8],
    passphrase: SecretString,
    name: &str,
    der: &[u8],
) -> Result<std::sync::Arc<SigningIdentity>, TokenFileError> {
    if bytes.len() > FILE_MAX {
        return Err(TokenFileError::TooLarge);
    }
    let not_one = |e: &dyn std::fmt::Display| TokenFileError::NotATokenFile(e.to_string());
    let decryptor =
        age::Decryptor::new(age::armor::ArmoredReader::new(bytes)).map_err(|e| not_one(&e))?;
    if !decryptor.is_scrypt() {
        return Err(TokenFileError::NotATokenFile(
            "it is not encrypted with a passphrase".to_owned(),
        ));
    }
    let mut identity = age::scrypt::Identity::new(passphrase);
    identity.set_max_work_factor(WORK_FACTOR);
    let reader = decryptor
        .decrypt(std::iter::once(&identity as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::DecryptionFailed | age::DecryptError::NoMatchingKeys => {
                TokenFileError::WrongPassphrase
            }
            other => not_one(&other),
        })?;
    let mut plain = Vec::new();
    reader
        .take(FILE_MAX as u64 + 1)
        .read_to_end(&mut plain)
        .map_err(|e| not_one(&e))?;
    if plain.len() > FILE_MAX {
        return Err(TokenFileError::TooLarge);
    }
    let text = std::str::from_utf8(&plain).map_err(|e| not_one(&e))?;
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(TokenFileError::NotATokenFile(
            "its first line is not a token file's".to_owned(),
        ));
    }
    let found = lines
        .next()
        .and_then(|l| l.strip_prefix(TOKEN_LINE))
        .ok_or_else(|| TokenFileError::NotATokenFile("it names no token".to_owned()))?;
    if found != name {
        return Err(TokenFileError::OtherToken {
            expected: name.to_owned(),
            found: found.chars().take(64).collect(),
        });
    }
    SigningIdentity::from_pem(&plain, der).map_err(|e| match e {
        KeyError::Certificate(_) => TokenFileError::KeyMismatch(name.to_owned()),
        other => TokenFileError::Key(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tftp::keys::CertificateRequest;

    fn token(dir: &std::path::Path, name: &str) -> (Vec<u8>, Vec<u8>) {
        let request = CertificateRequest {
            common_name: name.to_owned(),
            unit: "Security Token".to_owned(),
            organization: "Test".to_owned(),
            names: vec![name.to_owned()],
            years: 10,
            ca: false,
        };
        let file = format!("{name}.key");
        let der = keys::generate(dir, &file, &request, chrono::Utc::now()).unwrap();
        (keys::key_pem(&dir.join(file)).unwrap(), der)
    }

    fn pass(text: &str) -> SecretString {
        SecretString::from(text.to_owned())
    }

    /// A token file opens with its passphrase into the token's identity, and is refused for a
    /// wrong passphrase, another token's name or certificate, a flipped byte, a cut and a
    /// file too large (issue 16, item 4).
    #[test]
    fn a_token_file_opens_only_as_the_token_it_holds() {
        let dir = tempfile::tempdir().unwrap();
        let (key1, der1) = token(dir.path(), "SAST1");
        let (_, der2) = token(dir.path(), "SAST2");
        let file = seal("SAST1", &key1, &der1, pass("correct horse battery")).unwrap();
        assert!(file.starts_with(b"-----BEGIN AGE ENCRYPTED FILE-----"));
        let identity = open(&file, pass("correct horse battery"), "SAST1", &der1).unwrap();
        assert_eq!(identity.certificate, der1);

        assert!(matches!(
            open(&file, pass("wrong horse battery"), "SAST1", &der1),
            Err(TokenFileError::WrongPassphrase)
        ));
        assert!(matches!(
            open(&file, pass("correct horse battery"), "SAST2", &der2),
            Err(TokenFileError::OtherToken { .. })
        ));
        assert!(matches!(
            open(&file, pass("correct horse battery"), "SAST1", &der2),
            Err(TokenFileError::KeyMismatch(_))
        ));
        let mut flipped = file.clone();
        let middle = flipped.len() / 2;
        flipped[middle] = if flipped[middle] == b'A' { b'B' } else { b'A' };
        assert!(open(&flipped, pass("correct horse battery"), "SAST1", &der1).is_err());
        let cut = &file[..file.len() - 40];
        assert!(open(cut, pass("correct horse battery"), "SAST1", &der1).is_err());
        let big = vec![b'A'; FILE_MAX + 1];
        assert!(matches!(
            open(&big, pass("correct horse battery"), "SAST1", &der1),
            Err(TokenFileError::TooLarge)
        ));
        // A key that is not the certificate's is never sealed.
        assert!(seal("SAST2", &key1, &der2, pass("correct horse battery")).is_err());
    }

    /// A file asking for more scrypt work than token files are made with is refused without
    /// the work (a crafted upload cannot take minutes and gigabytes).
    #[test]
    fn a_token_file_asking_for_more_work_is_refused() {
        let mut recipient = age::scrypt::Recipient::new(pass("correct horse battery"));
        recipient.set_work_factor(WORK_FACTOR);
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .unwrap();
        let mut out = Vec::new();
        let mut writer = encryptor.wrap_output(&mut out).unwrap();
        writer.write_all(HEADER.as_bytes()).unwrap();
        writer.finish().unwrap();
        // The stanza `-> scrypt <salt> 18` asks for 2^26 instead (64 GiB of scrypt memory).
        let at = out
            .windows(4)
            .position(|w| w == b" 18\n")
            .expect("the scrypt stanza");
        out[at + 1..at + 3].copy_from_slice(b"26");
        let started = std::time::Instant::now();
        let dir = tempfile::tempdir().unwrap();
        let (_, der) = token(dir.path(), "SAST1");
        assert!(matches!(
            open(&out, pass("correct horse battery"), "SAST1", &der),
            Err(TokenFileError::NotATokenFile(_))
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
    }
}
