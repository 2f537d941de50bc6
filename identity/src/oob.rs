//! One-time codes sent by SMS or e-mail during sign-in (OOB-3..OOB-7), and the keyed hash that is
//! the only form in which a short code is ever stored (OOB-7; emergency codes reuse it, EC-3).
//!
//! A code is 6 digits drawn uniformly from the operating system's RNG. The store keeps only
//! HMAC-SHA-256 of it under a key derived from the seed key, bound to the sign-in attempt and the
//! token it was sent for: a database dump alone cannot test guesses, and a code read from one
//! attempt's row means nothing for another's. Expiry ([`OOB_CODE_TTL`]), single use and the
//! binding to the attempt are enforced by the store's conditional update.

use std::fmt;
use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::secret::SeedCipher;
use crate::session::SessionToken;
use crate::store::TokenId;

/// How long a sign-in code sent by SMS or e-mail stays valid (OOB-4 allows 10 minutes; we use 5).
pub const OOB_CODE_TTL: Duration = Duration::from_secs(5 * 60);

/// Digits in a sign-in code (OOB-3: at least 6).
pub const OOB_CODE_DIGITS: usize = 6;

/// The [`SeedCipher::derive_key`] label of the key that hashes sign-in codes.
pub const OOB_CODE_KEY_LABEL: &str = "oob-code";

/// 10^6: how many different codes there are.
const CODE_SPACE: u32 = 1_000_000;

/// Draws at or above this are thrown away: it is the largest multiple of [`CODE_SPACE`] that a
/// `u32` can hold, so every code is reached by exactly the same number of accepted draws (no
/// modulo bias). The chance of a rejection is under 0.03 %.
const ACCEPT_BELOW: u32 = (u32::MAX / CODE_SPACE) * CODE_SPACE;

/// Longest input [`OobCode::normalise`] looks at; anything longer cannot be 6 digits and spaces
/// a person typed or pasted.
const INPUT_MAX_BYTES: usize = 64;

/// A sign-in code sent by SMS or e-mail. Not printable (`Debug` shows `OobCode(***)`), not
/// serialisable, not clonable, wiped on drop. Its text leaves the process only in the message
/// that carries it ([`Self::as_str`]); the store sees only [`Self::hash`].
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct OobCode(String);

impl OobCode {
    /// A fresh code: 6 digits from the operating system's RNG, uniform, zero-padded (OOB-3).
    pub fn generate() -> Self {
        Self::from_rng(&mut OsRng)
    }

    fn from_rng(rng: &mut impl RngCore) -> Self {
        let n = loop {
            let draw = rng.next_u32();
            if draw < ACCEPT_BELOW {
                break draw % CODE_SPACE;
            }
        };
        Self(format!("{n:06}"))
    }

    /// Reads a code a person typed: spaces (any Unicode white space, as pasting brings) are
    /// dropped, and what is left must be exactly 6 ASCII digits. Anything else (fullwidth or
    /// other non-ASCII digits, letters, hyphens, 5 or 7 digits) is `None`, before any hashing or
    /// database access.
    pub fn normalise(input: &str) -> Option<Self> {
        if input.len() > INPUT_MAX_BYTES {
            return None;
        }
        // Built inside the type, so the partial code is wiped whichever way this returns.
        let mut code = Self(String::with_capacity(OOB_CODE_DIGITS));
        for c in input.chars() {
            if c.is_whitespace() {
                continue;
            }
            if !c.is_ascii_digit() || code.0.len() == OOB_CODE_DIGITS {
                return None;
            }
            code.0.push(c);
        }
        (code.0.len() == OOB_CODE_DIGITS).then_some(code)
    }

    /// The 6 digits, for the message that carries them only: never log or store them.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The keyed hash the store keeps for this code, bound to the sign-in `attempt` and the
    /// `token` it is sent for (OOB-5, OOB-7). Issuing and checking compute it the same way.
    pub fn hash(&self, hasher: &CodeHasher, attempt: &SessionToken, token: TokenId) -> [u8; 32] {
        hasher.hash(&self.0, &oob_binding(attempt, token))
    }
}

impl fmt::Debug for OobCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OobCode(***)")
    }
}

/// What a sign-in code is bound to: the SHA-256 of the attempt's token (what the store keeps of
/// it) and the token id.
fn oob_binding(attempt: &SessionToken, token: TokenId) -> [u8; 40] {
    let mut binding = [0u8; 40];
    binding[..32].copy_from_slice(&attempt.hash());
    binding[32..].copy_from_slice(&token.0.to_be_bytes());
    binding
}

/// Keyed hashing of short codes: HMAC-SHA-256 under a key derived from the seed key for one
/// purpose. A 6-digit code has only 10^6 values, so a plain hash would fall to a table in
/// seconds; without the key, a stolen hash cannot be tested at all. Not printable; the key is
/// wiped on drop.
#[derive(Clone)]
pub struct CodeHasher {
    key: Zeroizing<[u8; 32]>,
}

impl CodeHasher {
    /// A hasher under `cipher`'s key derived for `label` ([`OOB_CODE_KEY_LABEL`] for sign-in
    /// codes; one label per kind of code, so a hash of one kind never verifies as another).
    pub fn from_cipher(cipher: &SeedCipher, label: &str) -> Self {
        Self {
            key: cipher.derive_key(label),
        }
    }

    /// The hasher for sign-in codes sent by SMS or e-mail.
    pub fn for_oob_codes(cipher: &SeedCipher) -> Self {
        Self::from_cipher(cipher, OOB_CODE_KEY_LABEL)
    }

    fn mac(&self, code: &str, binding: &[u8]) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.as_ref())
            .expect("HMAC accepts keys of any length");
        // The binding's length first, so that no (binding, code) pair can pose as another.
        mac.update(&(binding.len() as u64).to_be_bytes());
        mac.update(binding);
        mac.update(code.as_bytes());
        mac
    }

    /// HMAC-SHA-256(key, len(binding) as 8 bytes big-endian ‖ binding ‖ code). The binding ties
    /// the hash to what the code was issued for (a sign-in attempt, an account), so the same
    /// code issued twice is stored as unrelated values.
    pub fn hash(&self, code: &str, binding: &[u8]) -> [u8; 32] {
        self.mac(code, binding).finalize().into_bytes().into()
    }

    /// Whether `expected` is the hash of `code` with `binding`, compared in constant time. For
    /// comparisons made in the application; the store compares hashes in its query instead,
    /// where timing reveals nothing useful, since a hash cannot be computed without the key.
    pub fn verify(&self, code: &str, binding: &[u8], expected: &[u8]) -> bool {
        self.mac(code, binding).verify_slice(expected).is_ok()
    }
}

impl fmt::Debug for CodeHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CodeHasher(***)")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    fn hasher(byte: u8) -> CodeHasher {
        CodeHasher::for_oob_codes(&SeedCipher::from_key_bytes([byte; 32]))
    }

    fn code(text: &str) -> OobCode {
        OobCode::normalise(text).unwrap()
    }

    #[test]
    fn oob3_ten_thousand_codes_are_six_ascii_digits() {
        for _ in 0..10_000 {
            let c = OobCode::generate();
            assert_eq!(c.as_str().len(), OOB_CODE_DIGITS);
            assert!(c.as_str().bytes().all(|b| b.is_ascii_digit()), "{}", c.0);
        }
    }

    #[test]
    fn oob3_codes_are_spread_evenly() {
        // Each digit at each position is expected 1,000 times in 10,000 codes (standard
        // deviation 30): 800..1200 never fails by chance, yet catches a stuck or biased position.
        // Zero-padding is exercised too: about 1,000 codes start with 0.
        let mut counts = [[0u32; 10]; OOB_CODE_DIGITS];
        let mut seen = HashSet::new();
        for _ in 0..10_000 {
            let c = OobCode::generate();
            for (pos, b) in c.as_str().bytes().enumerate() {
                counts[pos][usize::from(b - b'0')] += 1;
            }
            seen.insert(c.as_str().to_owned());
        }
        for (pos, digits) in counts.iter().enumerate() {
            for (digit, &n) in digits.iter().enumerate() {
                assert!((800..=1200).contains(&n), "digit {digit} at {pos}: {n}");
            }
        }
        // About 50 collisions are expected among 10,000 draws from 10^6 (sd about 7).
        assert!(seen.len() > 9_850, "{} distinct", seen.len());
    }

    /// Replays fixed draws, to check what is done with each.
    struct Draws(Vec<u32>);

    impl RngCore for Draws {
        fn next_u32(&mut self) -> u32 {
            self.0.remove(0)
        }
        fn next_u64(&mut self) -> u64 {
            (u64::from(self.next_u32()) << 32) | u64::from(self.next_u32())
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            for chunk in dest.chunks_mut(4) {
                let bytes = self.next_u32().to_le_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
            self.fill_bytes(dest);
            Ok(())
        }
    }

    #[test]
    fn oob3_draws_in_the_biased_tail_are_rejected_not_folded() {
        assert_eq!(ACCEPT_BELOW, 4_294_000_000);
        // The top 967,296 values would make codes below 967,296 more likely: they are redrawn.
        let mut rng = Draws(vec![u32::MAX, ACCEPT_BELOW, ACCEPT_BELOW - 1]);
        assert_eq!(OobCode::from_rng(&mut rng).as_str(), "999999");
        let mut rng = Draws(vec![ACCEPT_BELOW + 5, 42]);
        assert_eq!(OobCode::from_rng(&mut rng).as_str(), "000042");
        let mut rng = Draws(vec![0]);
        assert_eq!(OobCode::from_rng(&mut rng).as_str(), "000000");
        assert!(rng.0.is_empty(), "one 32-bit draw per accepted code");
    }

    #[test]
    fn oob3_normalise_accepts_six_digits_with_spaces_only() {
        for (input, expected) in [
            ("123456", Some("123456")),
            (" 123 456", Some("123456")),
            ("123 456 ", Some("123456")),
            ("\t12 34 56\n", Some("123456")),
            ("1 2 3 4 5 6", Some("123456")),
            ("000000", Some("000000")),
            ("123\u{a0}456", Some("123456")),
            ("１２３４５６", None),
            ("12345", None),
            ("1234567", None),
            ("123 4567", None),
            ("123-456", None),
            ("12345a", None),
            ("", None),
            ("      ", None),
            ("١٢٣٤٥٦", None),
            ("+123456", None),
            ("123456\0", None),
        ] {
            assert_eq!(
                OobCode::normalise(input).as_ref().map(OobCode::as_str),
                expected,
                "{input:?}"
            );
        }
        assert!(OobCode::normalise(&" ".repeat(100_000)).is_none());
        assert!(OobCode::normalise(&format!("{}123456", " ".repeat(60))).is_none());
    }

    #[test]
    fn oob7_debug_never_shows_the_code() {
        let c = code("917352");
        let shown = format!("{c:?} {:?} {:?}", Some(&c), hasher(1));
        assert_eq!(shown, "OobCode(***) Some(OobCode(***)) CodeHasher(***)");
    }

    #[test]
    fn oob5_oob7_hash_is_bound_to_attempt_and_token() {
        let h = hasher(1);
        let attempt = SessionToken::generate();
        let other = SessionToken::generate();
        let c = code("123456");
        let base = c.hash(&h, &attempt, TokenId(7));
        assert_eq!(base, code("123 456").hash(&h, &attempt, TokenId(7)));
        assert_ne!(base, c.hash(&h, &other, TokenId(7)));
        assert_ne!(base, c.hash(&h, &attempt, TokenId(8)));
        assert_ne!(base, code("123457").hash(&h, &attempt, TokenId(7)));
        assert_ne!(base, c.hash(&hasher(2), &attempt, TokenId(7)));
    }

    #[test]
    fn ec3_oob7_code_hasher_binding_and_labels() {
        let cipher = SeedCipher::from_key_bytes([3; 32]);
        let h = CodeHasher::from_cipher(&cipher, "oob-code");
        let a = h.hash("123456", b"attempt A");
        assert_eq!(a, h.hash("123456", b"attempt A"));
        // Same code, different binding: unrelated hashes.
        assert_ne!(a, h.hash("123456", b"attempt B"));
        // The binding's length is hashed: moving bytes between binding and code changes it.
        assert_ne!(h.hash("3456", b"12"), h.hash("123456", b""));
        // Another label is another key.
        let ec = CodeHasher::from_cipher(&cipher, "emergency-code");
        assert_ne!(a, ec.hash("123456", b"attempt A"));
        // A plain SHA-256 of the code (or of binding and code) is not what is stored.
        use sha2::Digest;
        assert_ne!(a, <[u8; 32]>::from(Sha256::digest(b"123456")));
        assert_ne!(a, <[u8; 32]>::from(Sha256::digest(b"attempt A123456")));
    }

    #[test]
    fn ec3_verify_is_exact() {
        let h = hasher(4);
        let good = h.hash("123456", b"x");
        assert!(h.verify("123456", b"x", &good));
        assert!(!h.verify("123457", b"x", &good));
        assert!(!h.verify("123456", b"y", &good));
        let mut flipped = good;
        flipped[31] ^= 1;
        assert!(!h.verify("123456", b"x", &flipped));
        assert!(!h.verify("123456", b"x", &good[..31]));
        assert!(!h.verify("123456", b"x", &[]));
    }

    #[test]
    fn oob4_ttl_is_five_minutes() {
        assert_eq!(OOB_CODE_TTL.as_secs(), 300);
        assert!(OOB_CODE_TTL <= Duration::from_secs(600));
    }
}
