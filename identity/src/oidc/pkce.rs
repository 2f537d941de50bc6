//! Proof Key for Code Exchange (RFC 7636), S256 only: a public client must send it, and every
//! client that sends a challenge must prove it (downgrade protection, RFC 9700 §4.8).

use sha2::{Digest, Sha256};

use crate::totp::constant_time_eq;

/// A `code_challenge` sent with `code_challenge_method=S256`: 43 base64url characters (the
/// SHA-256 of the verifier).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeChallenge(String);

impl CodeChallenge {
    /// The challenge of an authorization request. Only `S256` is accepted (`plain`, or no
    /// method, is refused: RFC 9700 §2.1.1); the challenge must look like a SHA-256 digest.
    pub fn parse(challenge: &str, method: Option<&str>) -> Option<Self> {
        if method != Some("S256") {
            return None;
        }
        let ok = challenge.len() == 43
            && challenge
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| Self(challenge.to_owned()))
    }

    /// A challenge as stored with its code (checked when the code was issued).
    pub(crate) fn from_challenge(stored: &str) -> Self {
        Self(stored.to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `verifier` (the token request's `code_verifier`) proves this challenge:
    /// 43 to 128 characters of `[A-Za-z0-9-._~]` whose SHA-256, base64url without padding, is
    /// the challenge (RFC 7636 §4.1, §4.6), compared in constant time.
    pub fn verified_by(&self, verifier: &str) -> bool {
        let well_formed = (43..=128).contains(&verifier.len())
            && verifier
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
        if !well_formed {
            return false;
        }
        let digest = Sha256::digest(verifier.as_bytes());
        let computed = data_encoding::BASE64URL_NOPAD.encode(&digest);
        constant_time_eq(computed.as_bytes(), self.0.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn the_rfc_7636_vector_verifies() {
        let challenge = CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        assert!(challenge.verified_by(VERIFIER));
    }

    #[test]
    fn a_wrong_or_malformed_verifier_fails() {
        let challenge = CodeChallenge::parse(CHALLENGE, Some("S256")).unwrap();
        let mut wrong = VERIFIER.to_owned();
        wrong.replace_range(0..1, "e");
        for bad in [
            wrong.as_str(),
            "",
            "short",
            CHALLENGE,
            &"a".repeat(129),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk!",
        ] {
            assert!(!challenge.verified_by(bad), "{bad}");
        }
    }

    #[test]
    fn only_s256_challenges_of_the_right_shape_are_taken() {
        assert!(CodeChallenge::parse(CHALLENGE, Some("plain")).is_none());
        assert!(CodeChallenge::parse(CHALLENGE, None).is_none());
        assert!(CodeChallenge::parse(VERIFIER, Some("s256")).is_none());
        assert!(CodeChallenge::parse("too-short", Some("S256")).is_none());
        assert!(CodeChallenge::parse(&format!("{}=", &CHALLENGE[..42]), Some("S256")).is_none());
    }
}
