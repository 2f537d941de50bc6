//! Passwords: the policy a new password must meet, and the argon2id hashing that stores and
//! checks it. Hashing is deliberately expensive, so it runs off the async executor and behind a
//! bound of one job per core (PW-11): a burst of logins makes people wait briefly or get "busy",
//! it never exhausts memory or starves the server. Unknown usernames cost the same as known ones
//! ([`PasswordHasher::verify_dummy`]) so timing tells nothing (abuse case 1).

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use argon2::password_hash::{
    PasswordHash as PhcHash, PasswordHasher as _, PasswordVerifier as _, SaltString,
};
use argon2::{Algorithm, Argon2, Params, Version};
use rand::rngs::OsRng;
use tokio::sync::{Semaphore, TryAcquireError};
use unicode_normalization::UnicodeNormalization;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{DomainError, Result};

/// Fewest code points a password may have (PW-1: passwords are only ever used with a second
/// factor). Raise to 15 if a path ever accepts a password alone.
pub const PASSWORD_MIN_CHARS: usize = 8;

/// Longest password accepted, in bytes of the input as typed (PW-2). Checked before any other
/// work, so a megabyte of text costs nothing.
pub const PASSWORD_MAX_BYTES: usize = 1024;

/// Argon2id cost (PW-7): the OWASP minimum, also the `argon2` crate's default.
const ARGON2_M_KIB: u32 = 19_456;
const ARGON2_T: u32 = 2;
const ARGON2_P: u32 = 1;

/// A pepper shorter than this is a configuration mistake, not a secret.
const PEPPER_MIN_BYTES: usize = 16;

/// How long a hashing job waits for a free slot before the caller gets [`DomainError::Busy`].
const DEFAULT_WAIT: Duration = Duration::from_secs(2);

/// A password someone typed, normalised to NFKC (PW-3) and checked against the policy. It cannot
/// be printed, serialised or cloned, and its memory is wiped on drop.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Checks and normalises a typed password. Refuses more than [`PASSWORD_MAX_BYTES`] bytes
    /// (before normalising) and fewer than [`PASSWORD_MIN_CHARS`] code points (after). There are
    /// no composition rules (PW-4).
    pub fn new(raw: String) -> Result<Self> {
        let raw = Zeroizing::new(raw);
        if raw.len() > PASSWORD_MAX_BYTES {
            return Err(DomainError::invalid(
                "password",
                format!("is too long (at most {PASSWORD_MAX_BYTES} bytes)"),
            ));
        }
        // Size the buffer exactly so that collecting never reallocates and leaves an unwiped
        // copy behind in freed memory.
        let len: usize = raw.nfkc().map(char::len_utf8).sum();
        let mut normalised = String::with_capacity(len);
        normalised.extend(raw.nfkc());
        let password = Self(normalised);
        if password.0.chars().count() < PASSWORD_MIN_CHARS {
            return Err(DomainError::invalid(
                "password",
                format!("must be at least {PASSWORD_MIN_CHARS} characters"),
            ));
        }
        Ok(password)
    }

    /// A password someone is choosing (a new account, a change), for `username`: the checks of
    /// [`Self::new`] and the blocklist (PW-5): none of the most common passwords, not containing
    /// the username or the service's name. The reason is shown. Passwords being *checked* at
    /// sign-in use [`Self::new`] only, so an old password is never refused for being weak.
    pub fn choose(raw: String, username: &crate::Username) -> Result<Self> {
        let password = Self::new(raw)?;
        let lower = password.0.to_lowercase();
        let compact: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
        if COMMON_PASSWORDS
            .iter()
            .any(|common| lower == *common || compact == *common)
        {
            return Err(DomainError::invalid(
                "password",
                "is one of the most common passwords; choose another (a few unrelated words make a good one)",
            ));
        }
        let name = username.as_str().to_lowercase();
        if name.chars().count() >= 3 && lower.contains(&name) {
            return Err(DomainError::invalid(
                "password",
                "must not contain your username",
            ));
        }
        if compact.contains("mayiid") || lower.contains("mayi id") {
            return Err(DomainError::invalid(
                "password",
                "must not contain the name of this service",
            ));
        }
        Ok(password)
    }

    fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

/// The most common passwords of at least [`PASSWORD_MIN_CHARS`] characters (lower case), from
/// the public breach corpora's top lists. Shorter ones are refused by length anyway.
const COMMON_PASSWORDS: &[&str] = &[
    "12345678",
    "123456789",
    "1234567890",
    "12345678910",
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "p@ssword",
    "qwertyuiop",
    "qwerty123",
    "qwerty12",
    "qwerty1234",
    "1qaz2wsx",
    "1q2w3e4r",
    "1q2w3e4r5t",
    "zaq12wsx",
    "iloveyou",
    "iloveyou1",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "welcome123",
    "superman",
    "starwars",
    "trustno1",
    "11111111",
    "00000000",
    "88888888",
    "87654321",
    "987654321",
    "abcd1234",
    "abc12345",
    "abcdefgh",
    "asdfghjkl",
    "zxcvbnm1",
    "computer",
    "michelle",
    "jennifer",
    "letmein1",
    "whatever",
    "football1",
    "charlie1",
    "liverpool",
    "chocolate",
    "changeme",
    "admin123",
    "administrator",
    "123123123",
    "111222333",
    "1234qwer",
    "q1w2e3r4",
    "q1w2e3r4t5",
    "aa123456",
    "password!",
    "iloveyou2",
    "monkey123",
    "dragon123",
    "shadow123",
    "master123",
    "access14",
    "mustang1",
    "internet",
    "samsung1",
    "computer1",
    "secret123",
    "test1234",
    "testtest",
    "login123",
    "letmein123",
    "helloworld",
    "hello123",
    "qwertyui",
    "passwort",
    "motdepasse",
    "contraseña",
    "senha123",
    "heslo123",
    "wachtwoord",
];

/// A stored password hash: an argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
/// Not secret like a password, but an offline-guessing target, so it is never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string, refusing one that does not parse.
    pub fn from_phc(phc: String) -> Result<Self> {
        PhcHash::new(&phc)
            .map_err(|e| DomainError::invalid("password hash", format!("not a PHC string: {e}")))?;
        Ok(Self(phc))
    }

    /// Wraps a PHC string the store read back; a malformed one fails at verification.
    pub(crate) fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    /// The PHC string, for storing.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(***)")
    }
}

/// Hashes and verifies passwords with argon2id, an optional pepper and a bound on concurrent
/// jobs. Cheap to clone: clones share the bound.
#[derive(Clone)]
pub struct PasswordHasher {
    inner: Arc<Inner>,
}

struct Inner {
    pepper: Option<Zeroizing<Vec<u8>>>,
    permits: Arc<Semaphore>,
    wait: Duration,
    dummy: PasswordHash,
    /// Argon2's working memory (19 MiB each), kept between verifications: at most one per
    /// concurrent job. Allocating it fresh every time costs page faults worth ~40 % of a hash.
    memory: std::sync::Mutex<Vec<Vec<argon2::Block>>>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("pepper", &self.inner.pepper.as_ref().map(|_| "***"))
            .field("permits", &self.inner.permits.available_permits())
            .field("wait", &self.inner.wait)
            .finish()
    }
}

impl PasswordHasher {
    /// A hasher with one concurrent job per available core and a 2-second wait for a slot.
    /// `pepper` (PW-8) is a server secret kept outside the database, at least 16 bytes; it is
    /// fed to argon2 as its secret input, so hashes made with another pepper never verify.
    ///
    /// Computes one hash now (for [`Self::verify_dummy`]): call it once at start-up.
    pub fn new(pepper: Option<&[u8]>) -> Result<Self> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        Self::with_limits(pepper, cores, DEFAULT_WAIT)
    }

    /// Like [`Self::new`] with an explicit number of concurrent jobs and wait for a slot.
    pub fn with_limits(pepper: Option<&[u8]>, max_jobs: usize, wait: Duration) -> Result<Self> {
        if max_jobs == 0 {
            return Err(DomainError::Config(
                "password hashing needs at least one concurrent job".into(),
            ));
        }
        let pepper = match pepper {
            None => None,
            Some(p) if p.len() < PEPPER_MIN_BYTES => {
                return Err(DomainError::Config(format!(
                    "the password pepper must be at least {PEPPER_MIN_BYTES} bytes"
                )))
            }
            Some(p) => {
                // Refuse a pepper argon2 cannot take now rather than at the first login.
                argon2(Some(p))?;
                Some(Zeroizing::new(p.to_vec()))
            }
        };
        let dummy_password = Zeroizing::new(random_text());
        let dummy = hash_blocking(
            pepper.as_deref().map(Vec::as_slice),
            dummy_password.as_bytes(),
        )?;
        Ok(Self {
            inner: Arc::new(Inner {
                pepper,
                permits: Arc::new(Semaphore::new(max_jobs)),
                wait,
                dummy,
                memory: std::sync::Mutex::new(Vec::new()),
            }),
        })
    }

    /// Hashes a new password with a fresh 16-byte random salt.
    pub async fn hash(&self, password: &Password) -> Result<PasswordHash> {
        let inner = Arc::clone(&self.inner);
        let pw = Zeroizing::new(password.as_bytes().to_vec());
        self.run(move || hash_blocking(inner.pepper.as_deref().map(Vec::as_slice), &pw))
            .await
    }

    /// Whether `password` matches `hash`. A malformed stored hash is an error, never `true`.
    pub async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool> {
        let inner = Arc::clone(&self.inner);
        let pw = Zeroizing::new(password.as_bytes().to_vec());
        let phc = hash.0.clone();
        self.run(move || {
            // Take a kept working memory (or none: the first use allocates it), give it back.
            let mut memory = inner
                .memory
                .lock()
                .map(|mut kept| kept.pop().unwrap_or_default())
                .unwrap_or_default();
            let result = verify_blocking(
                inner.pepper.as_deref().map(Vec::as_slice),
                &pw,
                &phc,
                &mut memory,
            );
            if let Ok(mut kept) = inner.memory.lock() {
                kept.push(memory);
            }
            result
        })
        .await
    }

    /// Spends the time of a real verification for a username that does not exist, so that
    /// "unknown user" and "wrong password" cannot be told apart by timing (abuse case 1).
    pub async fn verify_dummy(&self, password: &Password) -> Result<()> {
        let dummy = self.inner.dummy.clone();
        self.verify(password, &dummy).await.map(|_| ())
    }

    /// Runs one job on the blocking pool once a slot is free. The permit moves into the job, so
    /// a caller that gives up (a dropped request) does not free the slot before argon2 ends.
    async fn run<T, F>(&self, job: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce() -> Result<T> + Send + 'static,
    {
        let permits = Arc::clone(&self.inner.permits);
        let permit = match Arc::clone(&permits).try_acquire_owned() {
            Ok(p) => {
                crate::telemetry::argon2_waited(std::time::Duration::ZERO);
                p
            }
            Err(TryAcquireError::NoPermits) => {
                let queued = std::time::Instant::now();
                match tokio::time::timeout(self.inner.wait, permits.acquire_owned()).await {
                    Ok(Ok(p)) => {
                        crate::telemetry::argon2_waited(queued.elapsed());
                        p
                    }
                    Ok(Err(_)) => return Err(DomainError::Internal("hashing bound closed".into())),
                    Err(_) => {
                        crate::telemetry::argon2_busy();
                        tracing::warn!("password hashing saturated; answering busy");
                        return Err(DomainError::Busy);
                    }
                }
            }
            Err(TryAcquireError::Closed) => {
                return Err(DomainError::Internal("hashing bound closed".into()))
            }
        };
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            job()
        })
        .await
        .map_err(|e| DomainError::Internal(format!("password hashing task failed: {e}")))?
    }

    #[cfg(test)]
    fn available_slots(&self) -> usize {
        self.inner.permits.available_permits()
    }
}

fn argon2(pepper: Option<&[u8]>) -> Result<Argon2<'_>> {
    let params = Params::new(ARGON2_M_KIB, ARGON2_T, ARGON2_P, None)
        .map_err(|e| DomainError::Internal(format!("argon2 parameters: {e}")))?;
    match pepper {
        None => Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params)),
        Some(p) => Argon2::new_with_secret(p, Algorithm::Argon2id, Version::V0x13, params)
            .map_err(|e| DomainError::Config(format!("unusable password pepper: {e}"))),
    }
}

fn hash_blocking(pepper: Option<&[u8]>, password: &[u8]) -> Result<PasswordHash> {
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2(pepper)?
        .hash_password(password, &salt)
        .map_err(|e| DomainError::Internal(format!("argon2 hashing failed: {e}")))?;
    Ok(PasswordHash(hash.to_string()))
}

/// Verifies `password` against the PHC string `phc`. Our own argon2id hashes are recomputed in
/// `memory` (reused between calls: no fresh 19 MiB per sign-in) and compared in constant time;
/// any other PHC string goes through the crate's general verification. Malformed: an error,
/// never `true`.
fn verify_blocking(
    pepper: Option<&[u8]>,
    password: &[u8],
    phc: &str,
    memory: &mut Vec<argon2::Block>,
) -> Result<bool> {
    let parsed = PhcHash::new(phc)
        .map_err(|e| DomainError::Internal(format!("stored password hash is malformed: {e}")))?;
    let fast = (|| {
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = parsed.version.map(Version::try_from)?.ok()?;
        let params = Params::try_from(&parsed).ok()?;
        let expected = parsed.hash?;
        let mut salt = [0u8; 64];
        let salt = parsed.salt?.decode_b64(&mut salt).ok()?.to_vec();
        Some((algorithm, version, params, expected, salt))
    })();
    let Some((algorithm, version, params, expected, salt)) = fast else {
        return match argon2(pepper)?.verify_password(password, &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::Password) => Ok(false),
            Err(e) => Err(DomainError::Internal(format!(
                "password verification failed: {e}"
            ))),
        };
    };
    let context = match pepper {
        None => Argon2::new(algorithm, version, params.clone()),
        Some(p) => Argon2::new_with_secret(p, algorithm, version, params.clone())
            .map_err(|e| DomainError::Config(format!("unusable password pepper: {e}")))?,
    };
    let blocks = params.block_count();
    if memory.len() < blocks {
        memory.resize(blocks, argon2::Block::default());
    }
    let mut computed = Zeroizing::new(vec![0u8; expected.len()]);
    context
        .hash_password_into_with_memory(password, &salt, &mut computed, &mut memory[..blocks])
        .map_err(|e| DomainError::Internal(format!("password verification failed: {e}")))?;
    let differs = computed
        .iter()
        .zip(expected.as_bytes())
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    Ok(differs == 0 && computed.len() == expected.len())
}

fn random_text() -> String {
    use rand::RngCore;
    let mut bytes = Zeroizing::new([0u8; 24]);
    OsRng.fill_bytes(bytes.as_mut());
    data_encoding::HEXLOWER.encode(bytes.as_ref())
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;
    use std::time::Instant;

    use super::*;

    /// One hasher for the tests that need no special setting: building one costs a hash.
    static HASHER: LazyLock<PasswordHasher> = LazyLock::new(|| PasswordHasher::new(None).unwrap());

    fn pw(s: &str) -> Password {
        Password::new(s.to_owned()).unwrap()
    }

    fn reason(s: String) -> String {
        match Password::new(s) {
            Err(DomainError::InvalidInput { field, reason }) => {
                assert_eq!(field, "password");
                reason
            }
            Err(e) => panic!("unexpected error {e:?}"),
            Ok(_) => panic!("should be refused"),
        }
    }

    #[test]
    fn pw1_length_limit_at_eight_code_points() {
        assert!(reason("1234567".into()).contains("at least 8"));
        assert!(Password::new("12345678".into()).is_ok());
        assert!(reason("short".into()).contains("at least 8"));
        // Code points, not bytes: seven two-byte letters are still too short.
        assert!(Password::new("ééééééé".into()).is_err());
        assert!(Password::new("éééééééé".into()).is_ok());
    }

    #[test]
    fn pw2_over_long_input_refused_fast_without_normalising() {
        let start = Instant::now();
        assert!(reason("x".repeat(1 << 20)).contains("too long"));
        assert!(start.elapsed() < Duration::from_millis(200));
        assert!(reason("x".repeat(PASSWORD_MAX_BYTES + 1)).contains("too long"));
        assert!(Password::new("x".repeat(PASSWORD_MAX_BYTES)).is_ok());
        // The limit is on bytes as typed: 512 two-byte letters fit, 513 do not.
        assert!(Password::new("é".repeat(512)).is_ok());
        assert!(Password::new("é".repeat(513)).is_err());
    }

    #[test]
    fn pw2_hostile_refused_list() {
        // hostile-inputs.json passwords_refused.
        assert!(Password::new("short".into()).is_err());
        assert!(Password::new("x".repeat(1100)).is_err());
    }

    #[test]
    fn pw3_nfkc_normalisation() {
        assert_eq!(
            pw("caf\u{e9} au lait 1234").0,
            pw("cafe\u{301} au lait 1234").0
        );
        assert_eq!(pw("ｐａｓｓｗｏｒｄ").0, "password");
    }

    #[test]
    fn pw4_no_composition_rules() {
        assert!(Password::new("correct horse battery staple".into()).is_ok());
        assert!(Password::new("aaaaaaaaaaaaaaa".into()).is_ok());
    }

    #[test]
    fn password_is_never_printed() {
        let p = pw("super secret value");
        assert_eq!(format!("{p:?}"), "Password(***)");
    }

    #[tokio::test]
    async fn pw7_argon2id_with_required_parameters_and_random_salt() {
        let p = pw("correct horse battery staple");
        let a = HASHER.hash(&p).await.unwrap();
        let b = HASHER.hash(&p).await.unwrap();
        assert_ne!(a, b, "same password, two hashes: salts differ");
        let parsed = PhcHash::new(a.as_str()).unwrap();
        assert_eq!(parsed.algorithm.as_str(), "argon2id");
        assert_eq!(parsed.version, Some(19));
        let params = Params::try_from(&parsed).unwrap();
        assert_eq!(
            (params.m_cost(), params.t_cost(), params.p_cost()),
            (19_456, 2, 1)
        );
        let mut salt = [0u8; 64];
        assert_eq!(
            parsed.salt.unwrap().decode_b64(&mut salt).unwrap().len(),
            16
        );
        assert!(HASHER.verify(&p, &a).await.unwrap());
        assert!(HASHER.verify(&p, &b).await.unwrap());
        assert!(format!("{a:?}").ends_with("(***)"));
    }

    #[tokio::test]
    async fn pw2_no_truncation_pw3_equivalent_forms_verify() {
        let long = "0123456789abcdef".repeat(4);
        let hash = HASHER.hash(&pw(&long)).await.unwrap();
        assert!(HASHER.verify(&pw(&long), &hash).await.unwrap());
        assert!(!HASHER.verify(&pw(&long[..63]), &hash).await.unwrap());

        let hash = HASHER.hash(&pw("caf\u{e9} au lait 1234")).await.unwrap();
        assert!(HASHER
            .verify(&pw("cafe\u{301} au lait 1234"), &hash)
            .await
            .unwrap());
    }

    #[tokio::test]
    async fn pw8_wrong_pepper_fails() {
        let peppered = PasswordHasher::new(Some(&[7u8; 32])).unwrap();
        let other = PasswordHasher::new(Some(&[8u8; 32])).unwrap();
        let p = pw("correct horse battery staple");
        let hash = peppered.hash(&p).await.unwrap();
        assert!(peppered.verify(&p, &hash).await.unwrap());
        assert!(!other.verify(&p, &hash).await.unwrap());
        assert!(!HASHER.verify(&p, &hash).await.unwrap());
        assert!(format!("{peppered:?}").contains("***"));
        assert!(!format!("{peppered:?}").contains("7, 7"));
    }

    #[test]
    fn pw8_short_pepper_is_a_config_error() {
        assert!(matches!(
            PasswordHasher::new(Some(b"short")),
            Err(DomainError::Config(_))
        ));
    }

    #[tokio::test]
    async fn malformed_stored_hash_is_an_error_not_a_match() {
        let bad = PasswordHash::from_stored("not a hash".into());
        assert!(HASHER.verify(&pw("whatever123"), &bad).await.is_err());
        assert!(PasswordHash::from_phc("nope".into()).is_err());
        let good = HASHER.hash(&pw("whatever123")).await.unwrap();
        assert!(PasswordHash::from_phc(good.as_str().to_owned()).is_ok());
    }

    #[tokio::test]
    async fn verify_dummy_runs_a_real_verification() {
        // Abuse case 1: comparable cost for unknown users. Debug builds make absolute timing
        // meaningless, so compare against a real verification on the same machine.
        let p = pw("guess guess guess");
        let hash = HASHER.hash(&p).await.unwrap();
        let t = Instant::now();
        HASHER.verify(&p, &hash).await.unwrap();
        let real = t.elapsed();
        let t = Instant::now();
        HASHER.verify_dummy(&p).await.unwrap();
        let dummy = t.elapsed();
        assert!(dummy * 3 > real, "dummy {dummy:?} vs real {real:?}");
    }

    #[test]
    fn pw5_chosen_passwords_are_checked_against_the_blocklist_with_a_reason() {
        let erin = crate::Username::parse("erin.example").unwrap();
        for (raw, reason) in [
            ("password123", "most common"),
            ("Password123", "most common"),
            ("P@ssw0rd", "most common"),
            ("qwerty 123", "most common"),
            ("my name is erin.example!", "username"),
            ("ERIN.EXAMPLE rules", "username"),
            ("i love MAYI ID so much", "name of this service"),
            ("mayi-id-password", "name of this service"),
        ] {
            let err = Password::choose(raw.into(), &erin).unwrap_err();
            assert!(err.to_string().contains(reason), "{raw}: {err}");
        }
        // A lower-case passphrase (PW-4: no composition rules) is fine, and the blocklist never
        // applies to a password being checked at sign-in.
        assert!(Password::choose("correct horse battery staple".into(), &erin).is_ok());
        assert!(Password::new("password123".into()).is_ok());
        assert!(COMMON_PASSWORDS
            .iter()
            .all(|p| p.chars().count() >= PASSWORD_MIN_CHARS));
    }

    #[tokio::test]
    async fn pw11_reused_memory_gives_the_same_answers_for_any_stored_parameters() {
        // Our parameters, again and again with the kept memory: right is right, wrong is wrong.
        let right = pw("reused memory passphrase");
        let hash = HASHER.hash(&right).await.unwrap();
        for _ in 0..3 {
            assert!(HASHER.verify(&right, &hash).await.unwrap());
            assert!(!HASHER
                .verify(&pw("reused memory passphrasE"), &hash)
                .await
                .unwrap());
        }
        // A hash made with other (larger, then smaller) parameters still verifies.
        for m in [32 * 1024, 8 * 1024] {
            let params = Params::new(m, 2, 1, None).unwrap();
            let salt = SaltString::generate(&mut OsRng);
            let other = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                .hash_password(right.as_bytes(), &salt)
                .unwrap()
                .to_string();
            let other = PasswordHash::from_phc(other).unwrap();
            assert!(HASHER.verify(&right, &other).await.unwrap(), "m={m}");
            assert!(!HASHER
                .verify(&pw("not the passphrase"), &other)
                .await
                .unwrap());
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pw11_saturated_hasher_answers_busy_after_bounded_wait() {
        let hasher = PasswordHasher::with_limits(None, 1, Duration::from_millis(5)).unwrap();
        // The one slot is held (as a running hash would hold it) for as long as this permit
        // lives: no race with how fast a real hash finishes on a loaded machine.
        let held = hasher.inner.permits.clone().acquire_owned().await.unwrap();
        assert_eq!(hasher.available_slots(), 0);
        let second = hasher.hash(&pw("second password")).await;
        assert!(matches!(second, Err(DomainError::Busy)), "{second:?}");
        drop(held);
        // The slot is back once the holder is done.
        assert!(hasher.hash(&pw("third password")).await.is_ok());
    }
}
