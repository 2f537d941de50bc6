//! The keys that sign ID tokens (issue 18): ES256 (P-256), made on first use, kept sealed
//! with the seed key (AES-256-GCM, bound to the key's id), published as a JWKS. Signing comes
//! from `jsonwebtoken`; the key pair and its public coordinates from `p256`.

use std::fmt;

use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{DomainError, SeedCipher};

/// The algorithm of MAYI ID's ID tokens.
pub const ID_TOKEN_ALG: &str = "ES256";

/// A private signing key and its public JWK. Never printed or serialised.
pub struct SigningKey {
    kid: String,
    pkcs8: Zeroizing<Vec<u8>>,
    encoding: EncodingKey,
    jwk: Jwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

fn crypto(what: &str, e: impl fmt::Display) -> DomainError {
    DomainError::Crypto(format!("{what}: {e}"))
}

impl SigningKey {
    /// A new P-256 key from the operating system's random source.
    pub(crate) fn generate() -> Result<Self, DomainError> {
        use p256::elliptic_curve::Generate;
        use p256::pkcs8::EncodePrivateKey;
        let key = p256::ecdsa::SigningKey::generate();
        let der = key
            .to_pkcs8_der()
            .map_err(|e| crypto("encoding a new signing key", e))?;
        Self::from_pkcs8(Zeroizing::new(der.as_bytes().to_vec()))
    }

    /// The key in PKCS#8 DER `pkcs8`; its id is its public JWK's RFC 7638 thumbprint.
    fn from_pkcs8(pkcs8: Zeroizing<Vec<u8>>) -> Result<Self, DomainError> {
        use p256::pkcs8::DecodePrivateKey;
        // Checked here: jsonwebtoken's constructor accepts any bytes and fails only at signing.
        let key = p256::ecdsa::SigningKey::from_pkcs8_der(&pkcs8)
            .map_err(|e| crypto("reading a signing key", e))?;
        let point = key.verifying_key().to_sec1_point(false);
        let (Some(x), Some(y)) = (point.x(), point.y()) else {
            return Err(DomainError::Crypto(
                "a signing key without coordinates".into(),
            ));
        };
        let b64 = data_encoding::BASE64URL_NOPAD;
        let (x, y) = (b64.encode(x), b64.encode(y));
        // RFC 7638: the SHA-256 of the required members, in lexicographic order, no spaces.
        let thumbprint = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
        let kid = b64.encode(&Sha256::digest(thumbprint.as_bytes()));
        let jwk = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_algorithm: Some(KeyAlgorithm::ES256),
                key_id: Some(kid.clone()),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x,
                y,
            }),
        };
        let encoding = EncodingKey::from_ec_der(&pkcs8);
        Ok(Self {
            kid,
            pkcs8,
            encoding,
            jwk,
        })
    }

    fn aad(kid: &str) -> Vec<u8> {
        format!("oidc-signing-key:{kid}").into_bytes()
    }

    /// The private key sealed with `cipher`, bound to its id.
    pub(crate) fn seal(&self, cipher: &SeedCipher) -> Result<Vec<u8>, DomainError> {
        cipher.encrypt(&self.pkcs8, &Self::aad(&self.kid))
    }

    /// The key `kid` from its sealed form; a key sealed under another id or key is refused.
    pub(crate) fn open(cipher: &SeedCipher, kid: &str, sealed: &[u8]) -> Result<Self, DomainError> {
        let pkcs8 = cipher.decrypt(sealed, &Self::aad(kid))?;
        let key = Self::from_pkcs8(Zeroizing::new(pkcs8.to_vec()))?;
        if key.kid != kid {
            return Err(DomainError::Crypto("a signing key under another id".into()));
        }
        Ok(key)
    }

    /// The key's id (`kid`).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a JWK (`kty` EC, `crv` P-256, `x`, `y`, `alg`, `use`, `kid`).
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// `claims` as a signed JWT (ES256, with this key's `kid`).
    pub fn sign(&self, claims: &impl serde::Serialize) -> Result<String, DomainError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| crypto("signing", e))
    }
}

/// The JWKS document of `keys` (the current one and those still verifying tokens).
pub fn jwks<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> JwkSet {
    JwkSet {
        keys: keys.into_iter().map(|k| k.jwk.clone()).collect(),
    }
}

/// What an ID token says (OIDC Core §2).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// How the person signed in (RFC 8176): `pwd` and `otp`, `sms`, `hwk` or `swk`.
    pub amr: Vec<String>,
    pub acr: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    fn claims() -> IdTokenClaims {
        IdTokenClaims {
            iss: "https://id.example.org".into(),
            sub: "42".into(),
            aud: "abcdefghijklmnopqrst".into(),
            exp: 4_000_000_000,
            iat: 1_800_000_000,
            auth_time: 1_800_000_000,
            nonce: Some("n-0S6_WzA2Mj".into()),
            amr: vec!["pwd".into(), "otp".into()],
            acr: "urn:mayi-id:mfa".into(),
        }
    }

    fn validation(aud: &str) -> Validation {
        let mut v = Validation::new(Algorithm::ES256);
        v.set_issuer(&["https://id.example.org"]);
        v.set_audience(&[aud]);
        v
    }

    #[test]
    fn a_token_signed_with_a_new_key_verifies_against_its_published_jwk() {
        let key = SigningKey::generate().unwrap();
        let token = key.sign(&claims()).unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid()));
        assert_eq!(header.alg, Algorithm::ES256);
        let set = jwks([&key]);
        let jwk = set.find(key.kid()).expect("published");
        let json = serde_json::to_value(jwk).unwrap();
        assert_eq!(
            (json["kty"].as_str(), json["crv"].as_str()),
            (Some("EC"), Some("P-256"))
        );
        assert_eq!(
            (json["use"].as_str(), json["alg"].as_str()),
            (Some("sig"), Some("ES256"))
        );
        assert!(json.get("d").is_none(), "no private part: {json}");
        let decoded = jsonwebtoken::decode::<IdTokenClaims>(
            &token,
            &DecodingKey::from_jwk(jwk).unwrap(),
            &validation("abcdefghijklmnopqrst"),
        )
        .unwrap();
        assert_eq!(decoded.claims, claims());
        // Another audience, or another key, does not verify.
        assert!(jsonwebtoken::decode::<IdTokenClaims>(
            &token,
            &DecodingKey::from_jwk(jwk).unwrap(),
            &validation("another-client-id-xx"),
        )
        .is_err());
        let other = SigningKey::generate().unwrap();
        assert_ne!(other.kid(), key.kid());
        assert!(jsonwebtoken::decode::<IdTokenClaims>(
            &token,
            &DecodingKey::from_jwk(other.public_jwk()).unwrap(),
            &validation("abcdefghijklmnopqrst"),
        )
        .is_err());
    }

    #[test]
    fn a_sealed_key_opens_only_under_its_id_and_key_and_never_prints() {
        let cipher = SeedCipher::from_key_bytes([4; 32]);
        let key = SigningKey::generate().unwrap();
        let sealed = key.seal(&cipher).unwrap();
        assert!(!sealed
            .windows(16)
            .any(|w| key.pkcs8.windows(16).any(|p| p == w)));
        let opened = SigningKey::open(&cipher, key.kid(), &sealed).unwrap();
        assert_eq!(opened.public_jwk(), key.public_jwk());
        assert!(SigningKey::open(&cipher, "another-kid", &sealed).is_err());
        let other = SeedCipher::from_key_bytes([5; 32]);
        assert!(SigningKey::open(&other, key.kid(), &sealed).is_err());
        let shown = format!("{key:?}");
        assert!(
            shown.contains(key.kid()) && !shown.contains("pkcs8"),
            "{shown}"
        );
    }
}
