//! Applications that sign their users in through MAYI ID (OpenID Connect clients, issue 18):
//! registered by an administrator, each with its exact redirect URIs. A confidential client (a
//! server-side application) authenticates with a secret that is shown once and kept only as a
//! keyed hash; a public client (a single-page or native application) has no secret and must use
//! PKCE.

use std::fmt;

use rand::RngCore;

use super::RedirectUri;
use crate::{CodeHasher, DomainError, SeedCipher};

/// The most redirect URIs one client may register.
pub const MAX_REDIRECT_URIS: usize = 10;

/// The [`SeedCipher::derive_key`] label of the key that hashes client secrets.
pub const CLIENT_SECRET_KEY_LABEL: &str = "oidc-client-secret";

/// A client's public identifier (`client_id`): random, 20 lowercase base32 characters.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct ClientId(String);

impl ClientId {
    pub(crate) fn generate() -> Self {
        let mut bytes = [0u8; 12];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        Self(
            data_encoding::BASE32_NOPAD
                .encode(&bytes)
                .to_ascii_lowercase()[..20]
                .to_owned(),
        )
    }

    /// A `client_id` as a request gives it: `None` when it cannot be one (so it is looked up
    /// nowhere).
    pub fn parse(text: &str) -> Option<Self> {
        let ok = text.len() == 20
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b));
        ok.then(|| Self(text.to_owned()))
    }

    pub(crate) fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A confidential client's secret: 256 random bits, base64url. Shown once when the client is
/// created; never printed, serialised or stored (only [`ClientSecret::hash`] is).
pub struct ClientSecret(zeroize::Zeroizing<String>);

impl ClientSecret {
    pub(crate) fn generate() -> Self {
        let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(bytes.as_mut());
        Self(zeroize::Zeroizing::new(
            data_encoding::BASE64URL_NOPAD.encode(bytes.as_ref()),
        ))
    }

    /// The secret, to show its administrator once.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Its keyed hash, bound to the client it belongs to.
    pub(crate) fn hash(&self, hasher: &CodeHasher, client: &ClientId) -> [u8; 32] {
        hasher.hash(&self.0, client.as_str().as_bytes())
    }

    /// Whether `presented` (a token request's secret) is `client`'s, whose stored hash is
    /// `expected`; constant time.
    pub(crate) fn verify(
        hasher: &CodeHasher,
        client: &ClientId,
        presented: &str,
        expected: &[u8],
    ) -> bool {
        presented.len() <= 256 && hasher.verify(presented, client.as_str().as_bytes(), expected)
    }

    /// The hasher of client secrets under `cipher`'s key.
    pub(crate) fn hasher(cipher: &SeedCipher) -> CodeHasher {
        CodeHasher::from_cipher(cipher, CLIENT_SECRET_KEY_LABEL)
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(..)")
    }
}

/// A registered client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Client {
    pub id: ClientId,
    /// Shown on the consent page and in the console.
    pub name: String,
    pub redirect_uris: Vec<RedirectUri>,
    /// Public: no secret, PKCE required. Confidential: a secret.
    pub public: bool,
    /// Run by the organisation itself: no consent page.
    pub first_party: bool,
    pub created_at: crate::Timestamp,
    /// Set when an administrator turned it off: it signs nobody in any more.
    pub disabled_at: Option<crate::Timestamp>,
}

impl Client {
    /// The registered redirect URI that is exactly `requested`, if any.
    pub fn redirect_uri(&self, requested: &str) -> Option<&RedirectUri> {
        self.redirect_uris.iter().find(|uri| uri.matches(requested))
    }
}

/// A client to register, checked.
#[derive(Clone, Debug)]
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<RedirectUri>,
    pub public: bool,
    pub first_party: bool,
}

impl NewClient {
    /// Checks what an administrator typed: a name (1 to 80 characters, no control characters)
    /// and 1 to [`MAX_REDIRECT_URIS`] redirect URIs, each valid and none twice.
    pub fn parse(
        name: &str,
        redirect_uris: &[String],
        public: bool,
        first_party: bool,
    ) -> Result<Self, DomainError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
            return Err(DomainError::InvalidInput {
                field: "client name",
                reason: "must be 1 to 80 characters without control characters".into(),
            });
        }
        if redirect_uris.is_empty() || redirect_uris.len() > MAX_REDIRECT_URIS {
            return Err(DomainError::InvalidInput {
                field: "redirect URI",
                reason: format!("give 1 to {MAX_REDIRECT_URIS}"),
            });
        }
        let mut uris: Vec<RedirectUri> = Vec::new();
        for text in redirect_uris {
            let uri = RedirectUri::parse(text)?;
            if uris.contains(&uri) {
                return Err(DomainError::InvalidInput {
                    field: "redirect URI",
                    reason: format!("{uri} is given twice"),
                });
            }
            uris.push(uri);
        }
        Ok(Self {
            name: name.to_owned(),
            redirect_uris: uris,
            public,
            first_party,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_random_and_parse_back() {
        let (a, b) = (ClientId::generate(), ClientId::generate());
        assert_ne!(a, b);
        assert_eq!(ClientId::parse(a.as_str()), Some(a));
        for bad in [
            "",
            "UPPERCASEUPPERCASEUP",
            "short",
            "abcdefghijklmnopqrs1",
            "a'--",
        ] {
            assert!(ClientId::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_secret_is_never_printed_and_verifies_only_for_its_client() {
        let cipher = SeedCipher::from_key_bytes([9; 32]);
        let hasher = ClientSecret::hasher(&cipher);
        let (client, other) = (ClientId::generate(), ClientId::generate());
        let secret = ClientSecret::generate();
        assert_eq!(secret.expose().len(), 43);
        assert_eq!(format!("{secret:?}"), "ClientSecret(..)");
        let stored = secret.hash(&hasher, &client);
        assert!(ClientSecret::verify(
            &hasher,
            &client,
            secret.expose(),
            &stored
        ));
        assert!(!ClientSecret::verify(
            &hasher,
            &other,
            secret.expose(),
            &stored
        ));
        assert!(!ClientSecret::verify(&hasher, &client, "guess", &stored));
        let long = "x".repeat(300);
        assert!(!ClientSecret::verify(&hasher, &client, &long, &stored));
        // Another key, another hash.
        let other_key = ClientSecret::hasher(&SeedCipher::from_key_bytes([8; 32]));
        assert!(!ClientSecret::verify(
            &other_key,
            &client,
            secret.expose(),
            &stored
        ));
    }

    #[test]
    fn a_new_client_is_checked() {
        let uris = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let ok = NewClient::parse(
            " Wiki ",
            &uris(&["https://wiki.example.org/cb"]),
            false,
            true,
        )
        .unwrap();
        assert_eq!(ok.name, "Wiki");
        assert!(NewClient::parse("", &uris(&["https://a.example/cb"]), false, false).is_err());
        assert!(NewClient::parse("W", &[], false, false).is_err());
        let twice = uris(&["https://a.example/cb", "https://a.example/cb"]);
        assert!(NewClient::parse("W", &twice, false, false)
            .unwrap_err()
            .to_string()
            .contains("twice"));
        let many: Vec<String> = (0..11).map(|i| format!("https://a.example/{i}")).collect();
        assert!(NewClient::parse("W", &many, false, false).is_err());
        assert!(NewClient::parse("W", &uris(&["http://a.example/cb"]), false, false).is_err());
        // Matching is exact.
        let client = Client {
            id: ClientId::generate(),
            name: ok.name,
            redirect_uris: ok.redirect_uris,
            public: false,
            first_party: true,
            created_at: crate::Timestamp::from_unix_secs(0),
            disabled_at: None,
        };
        assert!(client.redirect_uri("https://wiki.example.org/cb").is_some());
        assert!(client
            .redirect_uri("https://wiki.example.org/cb/")
            .is_none());
    }
}
