//! Session and sign-in-attempt tokens: the secrets behind the cookies (SE-1, SE-2, SE-8).
//!
//! A [`SessionToken`] is 256 bits from the operating system's RNG, sent to the browser as 43
//! characters of unpadded base64url. The database keeps only its SHA-256 ([`SessionToken::hash`]),
//! so a copy of the database (or a backup) holds no usable cookie. A token is never printed,
//! serialised or compared in the application: the database looks rows up by the hash, which
//! reveals nothing about the token a guess was close to.
//!
//! The same type serves two different tables that are never confused: sign-in attempts
//! ("password right, second factor pending", not a session, SE-8) and sessions. A token is
//! made new at each step (SE-2): the attempt's token is not promoted into a session.

use std::fmt;
use std::time::Duration;

use data_encoding::BASE64URL_NOPAD;
use rand::rngs::OsRng;
use rand::RngCore;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Random bytes in a token: 256 bits (SE-1 asks for at least 128).
const TOKEN_BYTES: usize = 32;

/// Length of a token's text: 32 bytes in unpadded base64url.
pub const SESSION_TOKEN_CHARS: usize = 43;

/// How long a sign-in attempt (password right, second factor pending) stays usable.
pub const LOGIN_ATTEMPT_TTL: Duration = Duration::from_secs(10 * 60);

/// A session ends this long after it was created, however active it is (SE-4).
pub const SESSION_ABSOLUTE: Duration = Duration::from_secs(12 * 60 * 60);

/// A session ends after this long without a request (SE-4).
pub const SESSION_IDLE: Duration = Duration::from_secs(30 * 60);

/// A session's `last_seen_at` is rewritten at most this often, to save a write per request; so
/// the idle timeout really runs from the last recorded request, up to this much earlier than the
/// last request (an idle session may end up to a minute early, never late).
pub const SESSION_TOUCH_INTERVAL: Duration = Duration::from_secs(60);

/// The secret behind a session or sign-in-attempt cookie. Not `Debug`-printable (it shows
/// `SessionToken(***)`), not serialisable, wiped on drop; the text leaves the process only in the
/// `Set-Cookie` header ([`Self::as_str`]).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionToken {
    bytes: [u8; TOKEN_BYTES],
    text: String,
}

impl SessionToken {
    /// A fresh token: 256 bits from the operating system's RNG (SE-1).
    pub fn generate() -> Self {
        let mut bytes = [0u8; TOKEN_BYTES];
        OsRng.fill_bytes(&mut bytes);
        let text = BASE64URL_NOPAD.encode(&bytes);
        Self { bytes, text }
    }

    /// Reads a token from a cookie: exactly 43 characters of unpadded base64url (`A-Z a-z 0-9
    /// - _`) in canonical form. Anything else (padding, standard base64's `+` and `/`,
    /// whitespace, another length) is `None`, before any database access.
    pub fn parse(text: &str) -> Option<Self> {
        if text.len() != SESSION_TOKEN_CHARS
            || !text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        let mut bytes = [0u8; TOKEN_BYTES];
        // Also refuses a non-zero final two bits, so each token has exactly one spelling.
        let written = BASE64URL_NOPAD
            .decode_mut(text.as_bytes(), &mut bytes)
            .ok()?;
        if written != TOKEN_BYTES {
            bytes.zeroize();
            return None;
        }
        Some(Self {
            bytes,
            text: text.to_owned(),
        })
    }

    /// The token's text, for the `Set-Cookie` header only: never log or store it.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// SHA-256 of the token's 32 random bytes: the only form the database keeps (SE-1).
    pub fn hash(&self) -> [u8; 32] {
        Sha256::digest(self.bytes).into()
    }

    /// The raw random bytes, for tests that check they are stored nowhere.
    #[cfg(test)]
    pub(crate) fn bytes(&self) -> &[u8; TOKEN_BYTES] {
        &self.bytes
    }
}

impl fmt::Debug for SessionToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionToken(***)")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn se1_token_is_256_bits_as_43_base64url_chars() {
        let t = SessionToken::generate();
        assert_eq!(t.as_str().len(), SESSION_TOKEN_CHARS);
        assert!(t
            .as_str()
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(
            BASE64URL_NOPAD.decode(t.as_str().as_bytes()).unwrap(),
            t.bytes()
        );
    }

    #[test]
    fn se1_ten_thousand_tokens_no_collision() {
        let mut texts = HashSet::new();
        let mut hashes = HashSet::new();
        for _ in 0..10_000 {
            let t = SessionToken::generate();
            assert!(hashes.insert(t.hash()));
            assert!(texts.insert(t.as_str().to_owned()));
        }
    }

    #[test]
    fn se1_parse_round_trips_and_keeps_the_hash() {
        let t = SessionToken::generate();
        let back = SessionToken::parse(t.as_str()).unwrap();
        assert_eq!(back.as_str(), t.as_str());
        assert_eq!(back.hash(), t.hash());
        assert_eq!(back.bytes(), t.bytes());
    }

    #[test]
    fn se1_parse_refuses_anything_else() {
        let good = SessionToken::generate().as_str().to_owned();
        let standard = good.replace('-', "+").replace('_', "/");
        let mut bad = vec![
            String::new(),
            good[..42].to_owned(),
            format!("{good}A"),
            format!("{good}="),
            format!(" {}", &good[1..]),
            format!("{}\n", &good[..42]),
            format!("{}.", &good[..42]),
            format!("{}é", &good[..41]),
            "=".repeat(43),
            "A".repeat(1_000_000),
        ];
        if standard != good {
            bad.push(standard);
        }
        for text in &bad {
            assert!(
                SessionToken::parse(text).is_none(),
                "{:?} should be refused",
                &text[..text.len().min(50)]
            );
        }
        // 43 characters carry 258 bits: the two spare bits must be zero (one spelling per token).
        let zero = "A".repeat(43);
        assert!(SessionToken::parse(&zero).is_some());
        let non_canonical = format!("{}B", "A".repeat(42));
        assert!(SessionToken::parse(&non_canonical).is_none());
    }

    #[test]
    fn se1_hash_is_sha256_of_the_random_bytes() {
        let t = SessionToken::parse(&"A".repeat(43)).unwrap();
        // SHA-256 of 32 zero bytes.
        assert_eq!(
            data_encoding::HEXLOWER.encode(&t.hash()),
            "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
        );
        assert_ne!(t.hash(), SessionToken::generate().hash());
    }

    #[test]
    fn se1_debug_never_shows_the_token() {
        let t = SessionToken::generate();
        let shown = format!("{t:?} {:?}", Some(&t));
        assert!(shown.contains("SessionToken(***)"));
        assert!(!shown.contains(t.as_str()));
    }

    #[test]
    fn se4_durations_are_the_documented_ones() {
        assert_eq!(LOGIN_ATTEMPT_TTL.as_secs(), 600);
        assert_eq!(SESSION_IDLE.as_secs(), 1_800);
        assert_eq!(SESSION_ABSOLUTE.as_secs(), 43_200);
        assert!(SESSION_TOUCH_INTERVAL < SESSION_IDLE);
    }
}
