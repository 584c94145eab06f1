//! Password hashing with argon2id (m = 19 MiB, t = 2, p = 1) off the async threads, at most
//! [`MAX_CONCURRENT_HASHES`] at once: one more is refused at once (503) instead of queueing, so a
//! flood of logins cannot hold the memory of thousands of hashes. Argon2's 19 MiB of working
//! memory is kept for reuse (at most one buffer per slot), so the process's memory does not grow
//! with the logins it checks: freed, each would stay in the allocator arena of the thread that ran
//! it.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

use super::errors::internal;
use crate::error::AppError;

/// How many password hashes (or verifications) run at once, 19 MiB each.
pub const MAX_CONCURRENT_HASHES: usize = 8;

/// Argon2 working memory not in use; never more buffers than slots.
static MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// A node's password-hashing slots: [`MAX_CONCURRENT_HASHES`] hashes run at once.
#[derive(Debug, Clone)]
pub struct Hashing(Arc<tokio::sync::Semaphore>);

impl Default for Hashing {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::Semaphore::new(MAX_CONCURRENT_HASHES)))
    }
}

/// A hashing slot taken: one hash may run on it.
#[derive(Debug)]
pub struct HashSlot {
    /// Held until the hash ends.
    _permit: tokio::sync::OwnedSemaphorePermit,
}

impl Hashing {
    /// A hashing slot, or the refusal (503) when every slot is taken.
    pub fn slot(&self) -> Result<HashSlot, AppError> {
        let taken = self.0.clone().try_acquire_owned();
        taken.map(|p| HashSlot { _permit: p }).map_err(|_| {
            AppError::Unavailable(
                "The console is checking too many passwords at once; try again in a moment."
                    .to_owned(),
            )
        })
    }
}

/// Runs `f` on `blocks` blocks of reused working memory.
fn with_memory<T>(blocks: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let reused = MEMORY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop()
        .filter(|m| m.len() == blocks);
    let mut memory = reused.unwrap_or_else(|| vec![Block::default(); blocks]);
    let out = f(&mut memory);
    let mut free = MEMORY.lock().unwrap_or_else(PoisonError::into_inner);
    if free.len() < MAX_CONCURRENT_HASHES {
        free.push(memory);
    }
    out
}

fn params() -> Result<Params, AppError> {
    Params::new(19 * 1024, 2, 1, None).map_err(internal)
}

/// The raw argon2 output of `password` with `salt` under `argon`, into `out`.
fn compute(
    argon: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> Result<(), AppError> {
    with_memory(argon.params().block_count(), |memory| {
        argon.hash_password_into_with_memory(password, salt, out, memory)
    })
    .map_err(internal)
}

fn hash_now(password: &[u8]) -> Result<String, AppError> {
    let params = params()?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let salt = SaltString::generate(&mut OsRng);
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt
        .as_salt()
        .decode_b64(&mut salt_bytes)
        .map_err(internal)?;
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    compute(&argon, password, salt_bytes, &mut out)?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(&params).map_err(internal)?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(internal)?),
    };
    Ok(phc.to_string())
}

fn verify_now(password: &[u8], phc: &str) -> Result<bool, AppError> {
    let Ok(parsed) = PasswordHash::new(phc) else {
        tracing::error!("a stored password hash is malformed");
        return Ok(false);
    };
    let (Ok(algorithm), Ok(params), Some(salt), Some(expected)) = (
        Algorithm::try_from(parsed.algorithm),
        Params::try_from(&parsed),
        parsed.salt,
        parsed.hash,
    ) else {
        tracing::error!("a stored password hash is not an argon2 hash");
        return Ok(false);
    };
    let version = match parsed.version.map(Version::try_from).transpose() {
        Ok(version) => version.unwrap_or_default(),
        Err(_) => return Ok(false),
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt_bytes) = salt.decode_b64(&mut salt_bytes) else {
        return Ok(false);
    };
    let argon = Argon2::new(algorithm, version, params);
    let mut out = vec![0u8; expected.len()];
    compute(&argon, password, salt_bytes, &mut out)?;
    // `Output`'s comparison takes the same time wherever the bytes differ.
    Ok(Output::new(&out).map_err(internal)? == expected)
}

/// Hashes `password` into a PHC string, in one of `hashing`'s slots.
pub async fn hash(hashing: &Hashing, password: String) -> Result<String, AppError> {
    let permit = hashing.slot()?;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        hash_now(password.as_bytes())
    })
    .await
    .map_err(internal)?
}

/// Checks `password` against the PHC string `phc`, in one of `hashing`'s slots. A malformed hash
/// verifies nothing.
pub async fn verify(hashing: &Hashing, password: String, phc: String) -> Result<bool, AppError> {
    verify_in(hashing.slot()?, password, phc).await
}

/// Checks `password` against the PHC string `phc` in the slot the caller took.
pub async fn verify_in(slot: HashSlot, password: String, phc: String) -> Result<bool, AppError> {
    let permit = slot;
    tokio::task::spawn_blocking(move || {
        let _permit = permit;
        verify_now(password.as_bytes(), &phc)
    })
    .await
    .map_err(internal)?
}

/// Spends the time of one verification against a hash of nothing, so that a login for a user who
/// does not exist takes as long as one with a wrong password.
pub async fn verify_dummy(
    hashing: &Hashing,
    slot: HashSlot,
    password: String,
) -> Result<(), AppError> {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = match DUMMY.get() {
        Some(phc) => phc.clone(),
        None => {
            let phc = hash(hashing, "not a password anyone has".to_owned()).await?;
            DUMMY.get_or_init(|| phc).clone()
        }
    };
    verify_in(slot, password, phc).await.map(|_| ())
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
        let h = Hashing::default();
        let phc = hash(&h, "correct horse battery".into()).await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify(&h, "correct horse battery".into(), phc.clone())
            .await
            .unwrap());
        assert!(!verify(&h, "wrong horse battery".into(), phc).await.unwrap());
        assert!(!verify(&h, "x".into(), "not a phc".into()).await.unwrap());
    }

    #[tokio::test]
    async fn hashes_agree_with_the_argon2_crates_own_and_memory_is_reused() {
        use argon2::password_hash::{PasswordHasher, PasswordVerifier};
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params().unwrap());
        let theirs = argon
            .hash_password(b"an older stored hash", &SaltString::generate(&mut OsRng))
            .unwrap()
            .to_string();
        let h = Hashing::default();
        assert!(verify(&h, "an older stored hash".into(), theirs)
            .await
            .unwrap());
        let ours = hash(&h, "a new hash".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(argon.verify_password(b"a new hash", &parsed).is_ok());
        for _ in 0..20 {
            hash(&h, "once more".into()).await.unwrap();
        }
        let kept = MEMORY.lock().unwrap().len();
        assert!(
            (1..=MAX_CONCURRENT_HASHES).contains(&kept),
            "{kept} buffers kept"
        );
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
