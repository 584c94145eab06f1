//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1) off the async threads.

use std::collections::HashSet;
use std::sync::OnceLock;

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use super::state::internal;
use crate::error::AppError;

fn hasher() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(19 * 1024, 2, 1, None).map_err(internal)?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// Hashes `password` into a PHC string.
pub async fn hash(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        hasher()?
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(internal)
    })
    .await
    .map_err(internal)?
}

/// Checks `password` against the PHC string `phc`. A malformed hash verifies nothing.
pub async fn verify(password: String, phc: String) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let Ok(parsed) = PasswordHash::new(&phc) else {
            tracing::error!("a stored password hash is malformed");
            return Ok(false);
        };
        Ok(hasher()?
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(internal)?
}

/// Spends the time of one verification against a hash of nothing, so that a login for a user who
/// does not exist takes as long as one with a wrong password.
pub async fn verify_dummy(password: String) -> Result<(), AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = match DUMMY.get() {
        Some(phc) => phc.clone(),
        None => {
            let phc = hash("not a password anyone has".to_owned()).await?;
            DUMMY.get_or_init(|| phc).clone()
        }
    };
    verify(password, phc).await.map(|_| ())
}

/// The common-password list shipped with the console (zxcvbn's 30,000 most used passwords).
const COMMON_PASSWORDS: &str = include_str!("common_passwords.txt");

/// Refuses a password of the common-password list (compared without case), naming `field`.
pub fn refuse_common(field: &str, password: &str) -> Result<(), AppError> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let list = LIST.get_or_init(|| COMMON_PASSWORDS.lines().collect());
    if list.contains(password.to_lowercase().as_str()) {
        return Err(AppError::invalid(
            field,
            "is one of the most common passwords; choose another",
        ));
    }
    Ok(())
}

/// A random password of 20 characters from an alphabet without look-alikes (about 114 bits).
pub fn generate() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::with_capacity(20);
    while out.len() < 20 {
        let mut byte = [0u8; 1];
        OsRng.fill_bytes(&mut byte);
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ALPHABET.len());
        if usize::from(byte[0]) < limit {
            out.push(char::from(ALPHABET[usize::from(byte[0]) % ALPHABET.len()]));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_verifies_only_the_same_password() {
        let phc = hash("correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse battery".into(), phc.clone())
            .await
            .unwrap());
        assert!(!verify("wrong horse battery".into(), phc).await.unwrap());
        assert!(!verify("x".into(), "not a phc".into()).await.unwrap());
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        assert!(refuse_common("Password", "QWERTY123456").is_err());
        assert!(refuse_common("Password", "1qaz2wsx3edc").is_err());
        assert!(refuse_common("Password", "correct horse battery staple").is_ok());
    }

    #[test]
    fn generated_passwords_are_long_and_differ() {
        let (a, b) = (generate(), generate());
        assert_eq!(a.chars().count(), 20);
        assert_ne!(a, b);
        assert!(crate::domain::account::validate_new_password("p", &a).is_ok());
    }
}
