//! TOTP (RFC 6238): the seed, the codes, and the acceptance rule. The rule lives here, not in
//! totp-rs, because totp-rs does not prevent replay (security.md decision 4): a code is accepted
//! only within ±1 step of the server clock and only for a step later than the last one accepted
//! for the same token (OTP-5, OTP-6). The store makes that "later" atomic with a conditional
//! UPDATE; this module decides which step a code belongs to.
//!
//! Parameters are the ones every authenticator app supports: HMAC-SHA-1, 6 digits, 30 seconds.

use std::fmt;
use std::sync::LazyLock;

use data_encoding::{Encoding, Specification};
use rand::rngs::OsRng;
use rand::RngCore;
use totp_rs::{Algorithm, Builder};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::{DomainError, Result};
use crate::secret::SeedCipher;
use crate::store::AccountId;

/// Digits in a code (OTP-3).
pub const TOTP_DIGITS: usize = 6;

/// Seconds per time step.
pub const TOTP_STEP_SECS: u64 = 30;

/// Shortest seed accepted from elsewhere (an imported secret): 128 bits, RFC 4226 §4 R6's
/// minimum. Seeds made here are 160 bits (OTP-1).
pub const TOTP_MIN_IMPORTED_SECRET_BYTES: usize = 16;

/// Longest seed accepted from elsewhere: SHA-1's block size; more is pointless (and absurd input).
const MAX_SECRET_BYTES: usize = 64;

/// Length of a generated seed: 160 bits, HMAC-SHA-1's output size (OTP-1).
const GENERATED_SECRET_BYTES: usize = 20;

/// Steps either side of the current one that are still accepted (OTP-5).
const SKEW_STEPS: i64 = 1;

/// Base32 (RFC 4648) without padding; trailing bits are not checked because some issuers leave
/// them set.
static BASE32: LazyLock<Encoding> = LazyLock::new(|| {
    let mut spec = Specification::new();
    spec.symbols.push_str("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
    spec.check_trailing_bits = false;
    spec.encoding().expect("the base32 specification is valid")
});

/// A TOTP seed. Never printed or serialised; wiped on drop. It leaves the process only twice: as
/// text or QR code at enrolment ([`Self::to_base32`], [`Self::otpauth_uri`]), and sealed for the
/// database ([`Self::seal`]).
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TotpSecret(Vec<u8>);

impl TotpSecret {
    /// A fresh 160-bit seed from the operating system's RNG (OTP-1).
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; GENERATED_SECRET_BYTES];
        OsRng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Reads a base32 seed as authenticator apps and other servers print it: case-insensitive,
    /// spaces allowed, `=` padding optional. Refuses seeds shorter than
    /// [`TOTP_MIN_IMPORTED_SECRET_BYTES`] bytes.
    pub fn from_base32(text: &str) -> Result<Self> {
        const FIELD: &str = "TOTP secret";
        if text.len() > MAX_SECRET_BYTES * 4 {
            return Err(DomainError::invalid(FIELD, "is too long"));
        }
        let mut clean = Zeroizing::new(String::with_capacity(text.len()));
        for c in text.chars().filter(|c| !c.is_whitespace()) {
            clean.push(c.to_ascii_uppercase());
        }
        let unpadded = clean.trim_end_matches('=');
        let bytes = BASE32.decode(unpadded.as_bytes()).map_err(|_| {
            DomainError::invalid(FIELD, "is not valid base32 (letters A-Z, digits 2-7)")
        })?;
        let secret = Self(bytes);
        if secret.0.len() < TOTP_MIN_IMPORTED_SECRET_BYTES {
            return Err(DomainError::invalid(
                FIELD,
                format!(
                    "is too short (at least {} bits)",
                    TOTP_MIN_IMPORTED_SECRET_BYTES * 8
                ),
            ));
        }
        if secret.0.len() > MAX_SECRET_BYTES {
            return Err(DomainError::invalid(FIELD, "is too long"));
        }
        Ok(secret)
    }

    /// The seed in unpadded base32, for showing once at enrolment.
    pub fn to_base32(&self) -> Zeroizing<String> {
        Zeroizing::new(BASE32.encode(&self.0))
    }

    /// The `otpauth://totp/` URI authenticator apps read from a QR code or a link, for showing
    /// once at enrolment. `issuer` and `account` are percent-encoded.
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> Zeroizing<String> {
        let issuer = percent_encode(issuer);
        let account = percent_encode(account);
        Zeroizing::new(format!(
            "otpauth://totp/{issuer}:{account}?secret={}&issuer={issuer}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECS}",
            BASE32.encode(&self.0)
        ))
    }

    /// The code for the step that contains `unix_secs`.
    pub fn code_at(&self, unix_secs: u64) -> String {
        code(
            &self.0,
            Algorithm::SHA1,
            TOTP_DIGITS,
            TOTP_STEP_SECS,
            unix_secs,
        )
    }

    /// Checks a typed code at `unix_secs` (server time, OTP-8). Returns the step it belongs to
    /// when it matches one within ±1 step of now and that step is later than
    /// `last_accepted_step` (OTP-5, OTP-6); the caller must then record that step atomically.
    ///
    /// The code may have surrounding whitespace and one space in the middle, as apps display
    /// it ("123 456"); otherwise it must be exactly six ASCII digits.
    pub fn verify(
        &self,
        code_typed: &str,
        unix_secs: u64,
        last_accepted_step: Option<i64>,
    ) -> Option<i64> {
        let typed = normalise_code(code_typed)?;
        let now = step_at(unix_secs);
        let mut accepted = None;
        // Every candidate is computed and compared, whatever matches, so timing does not reveal
        // which step a guess hit.
        for step in (now - SKEW_STEPS)..=(now + SKEW_STEPS) {
            let Ok(counter) = u64::try_from(step) else {
                continue;
            };
            let expected = Zeroizing::new(code(
                &self.0,
                Algorithm::SHA1,
                TOTP_DIGITS,
                TOTP_STEP_SECS,
                counter * TOTP_STEP_SECS,
            ));
            let fresh = last_accepted_step.is_none_or(|last| step > last);
            if constant_time_eq(expected.as_bytes(), typed.as_bytes())
                && fresh
                && accepted.is_none()
            {
                accepted = Some(step);
            }
        }
        accepted
    }

    /// Seals the seed for the database, bound to the account that owns the token (OTP-9).
    pub fn seal(&self, cipher: &SeedCipher, account: AccountId) -> Result<Vec<u8>> {
        cipher.encrypt(&self.0, &seed_aad(account))
    }

    /// Opens a seed sealed by [`Self::seal`] for the same account.
    pub fn open(cipher: &SeedCipher, sealed: &[u8], account: AccountId) -> Result<Self> {
        let bytes = cipher.decrypt(sealed, &seed_aad(account))?;
        Ok(Self(bytes.to_vec()))
    }

    #[cfg(test)]
    fn from_bytes(bytes: &[u8]) -> Self {
        Self(bytes.to_vec())
    }
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(***)")
    }
}

/// The time step that contains `unix_secs`.
pub(crate) fn step_at(unix_secs: u64) -> i64 {
    i64::try_from(unix_secs / TOTP_STEP_SECS).unwrap_or(i64::MAX)
}

/// Associated data for sealed seeds: the seed is encrypted before its token row exists, so the
/// owning account, not the token id, is what it is bound to.
fn seed_aad(account: AccountId) -> Vec<u8> {
    format!("mayi-id/totp-seed/v1/account/{}", account.0).into_bytes()
}

/// RFC 4226 HOTP over counter `unix_secs / step` (so `step == 1` gives plain HOTP).
fn code(secret: &[u8], algorithm: Algorithm, digits: usize, step: u64, unix_secs: u64) -> String {
    let totp = Builder::new()
        .with_algorithm(algorithm)
        .with_digits(u8::try_from(digits).unwrap_or(6))
        .with_step_duration(step)
        .with_secret(secret)
        // The checks `build` makes (length, digits, step) are guaranteed by this module's types
        // and constants; the RFC test vectors need other parameters than ours.
        .build_noncompliant();
    totp.generate(unix_secs).to_string()
}

/// Six ASCII digits, after dropping surrounding whitespace and one inner space.
fn normalise_code(typed: &str) -> Option<Zeroizing<String>> {
    let t = typed.trim();
    if t.len() > TOTP_DIGITS + 1 {
        return None;
    }
    let joined: Zeroizing<String> = Zeroizing::new(match t.split_once(' ') {
        Some((a, b)) => format!("{a}{b}"),
        None => t.to_owned(),
    });
    (joined.len() == TOTP_DIGITS && joined.bytes().all(|b| b.is_ascii_digit())).then_some(joined)
}

/// Equality whose time does not depend on where the inputs differ.
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED_SHA1: &[u8] = b"12345678901234567890";
    const SEED_SHA256: &[u8] = b"12345678901234567890123456789012";
    const SEED_SHA512: &[u8] = b"1234567890123456789012345678901234567890123456789012345678901234";

    #[test]
    fn otp2_rfc4226_appendix_d_hotp_vectors() {
        let expected = [
            "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583",
            "399871", "520489",
        ];
        for (count, want) in expected.iter().enumerate() {
            // A step of one second makes the TOTP counter equal the HOTP count.
            assert_eq!(
                code(SEED_SHA1, Algorithm::SHA1, 6, 1, count as u64),
                *want,
                "count {count}"
            );
        }
    }

    #[test]
    fn otp2_rfc6238_appendix_b_totp_vectors() {
        let table: [(u64, &str, &str, &str); 6] = [
            (59, "94287082", "46119246", "90693936"),
            (1111111109, "07081804", "68084774", "25091201"),
            (1111111111, "14050471", "67062674", "99943326"),
            (1234567890, "89005924", "91819424", "93441116"),
            (2000000000, "69279037", "90698825", "38618901"),
            (20000000000, "65353130", "77737706", "47863826"),
        ];
        for (t, sha1, sha256, sha512) in table {
            assert_eq!(code(SEED_SHA1, Algorithm::SHA1, 8, 30, t), sha1, "SHA1 {t}");
            assert_eq!(
                code(SEED_SHA256, Algorithm::SHA256, 8, 30, t),
                sha256,
                "SHA256 {t}"
            );
            assert_eq!(
                code(SEED_SHA512, Algorithm::SHA512, 8, 30, t),
                sha512,
                "SHA512 {t}"
            );
        }
    }

    #[test]
    fn otp3_six_digits_zero_padded() {
        let s = TotpSecret::from_bytes(SEED_SHA1);
        assert_eq!(s.code_at(59), "287082");
        assert_eq!(s.code_at(1111111109), "081804");
        // Past 2038: the step is computed in 64 bits.
        assert_eq!(s.code_at(20000000000).len(), 6);
    }

    #[test]
    fn otp5_window_is_plus_minus_one_step() {
        let s = TotpSecret::generate();
        let t: u64 = 1_700_000_000;
        let now = step_at(t);
        for (offset, accepted) in [(-2i64, false), (-1, true), (0, true), (1, true), (2, false)] {
            let at = t.checked_add_signed(offset * 30).unwrap();
            let got = s.verify(&s.code_at(at), t, None);
            if accepted {
                assert_eq!(got, Some(now + offset), "offset {offset}");
            } else {
                assert_eq!(got, None, "offset {offset}");
            }
        }
    }

    #[test]
    fn otp6_replay_refused() {
        let s = TotpSecret::generate();
        let t: u64 = 1_700_000_000;
        let code = s.code_at(t);
        let step = s.verify(&code, t, None).expect("first use accepted");
        // The same code again, even a second later within the step: refused.
        assert_eq!(s.verify(&code, t + 1, Some(step)), None);
        // T-1 after T: refused although inside the window.
        assert_eq!(s.verify(&s.code_at(t - 30), t, Some(step)), None);
        // T+1 after T: accepted.
        assert_eq!(s.verify(&s.code_at(t + 30), t, Some(step)), Some(step + 1));
    }

    #[test]
    fn otp8_code_format_is_strict_but_allows_app_spacing() {
        let s = TotpSecret::from_bytes(SEED_SHA1);
        let t = 1111111109; // code 081804: leading zero kept.
        assert!(s.verify("081804", t, None).is_some());
        assert!(s.verify(" 081804 ", t, None).is_some());
        assert!(s.verify("081 804", t, None).is_some());
        // hostile-inputs.json codes_refused / otp_edge shapes.
        for bad in [
            "81804",
            "0818044",
            "+81804",
            "-81804",
            "０８１８０４",
            "08 18 04",
            "",
            "abcdef",
        ] {
            assert_eq!(s.verify(bad, t, None), None, "{bad:?}");
        }
    }

    #[test]
    fn wrong_code_refused() {
        let s = TotpSecret::from_bytes(SEED_SHA1);
        let t = 1111111109;
        let right = s.code_at(t);
        let wrong = if right == "000000" {
            "000001"
        } else {
            "000000"
        };
        assert_eq!(s.verify(wrong, t, None), None);
    }

    #[test]
    fn otp1_generated_seed_is_160_bits_and_unique() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            let s = TotpSecret::generate();
            assert_eq!(s.0.len(), 20);
            assert!(seen.insert(s.0.clone()));
        }
    }

    #[test]
    fn base32_round_trip_and_lenient_input() {
        let s = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
        assert_eq!(s.0, SEED_SHA1);
        assert_eq!(&*s.to_base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let spaced = TotpSecret::from_base32(" gezd gnbv gy3t qojq gezd gnbv gy3t qojq ").unwrap();
        assert_eq!(spaced.0, SEED_SHA1);
        // 16 bytes: 26 characters unpadded, 32 with padding.
        let sixteen = BASE32.encode(&[0xAB; 16]);
        assert_eq!(TotpSecret::from_base32(&sixteen).unwrap().0, [0xAB; 16]);
        assert_eq!(
            TotpSecret::from_base32(&format!("{sixteen}======"))
                .unwrap()
                .0,
            [0xAB; 16]
        );
    }

    #[test]
    fn base32_short_or_invalid_refused() {
        let fifteen = BASE32.encode(&[1; 15]);
        let err = TotpSecret::from_base32(&fifteen).err().unwrap();
        assert!(err.to_string().contains("at least 128 bits"), "{err}");
        assert!(TotpSecret::from_base32("GEZDGNBVGY3TQOJ1GEZDGNBVGY3TQOJQ").is_err());
        assert!(TotpSecret::from_base32("").is_err());
        assert!(TotpSecret::from_base32(&"A".repeat(10_000)).is_err());
    }

    #[test]
    fn otp9_seed_never_printed_and_sealed_per_account() {
        let s = TotpSecret::from_bytes(SEED_SHA1);
        assert_eq!(format!("{s:?}"), "TotpSecret(***)");
        let cipher = SeedCipher::from_key_bytes([3; 32]);
        let sealed = s.seal(&cipher, AccountId(7)).unwrap();
        assert!(!sealed.windows(SEED_SHA1.len()).any(|w| w == SEED_SHA1));
        let opened = TotpSecret::open(&cipher, &sealed, AccountId(7)).unwrap();
        assert_eq!(opened.code_at(59), "287082");
        // Moved to another account's row: refused.
        assert!(TotpSecret::open(&cipher, &sealed, AccountId(8)).is_err());
    }

    #[test]
    fn otpauth_uri_is_encoded() {
        let s = TotpSecret::from_bytes(SEED_SHA1);
        let uri = s.otpauth_uri("MAYI ID", "alice@example.com");
        assert_eq!(
            &*uri,
            "otpauth://totp/MAYI%20ID:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
             &issuer=MAYI%20ID&algorithm=SHA1&digits=6&period=30"
        );
    }
}
