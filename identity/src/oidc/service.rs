//! The provider's administration and keys (issue 18): registering clients (from the command
//! line, audited), checking a client's secret, and the signing key made on first use.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{jwks, Client, ClientId, ClientSecret, NewClient, SigningKey};
use crate::{AuditAction, AuditOutcome, Clock, DomainError, NewAuditEvent, SeedCipher, Store};

/// How long a retired signing key stays published (longer than any ID token lives).
pub const RETIRED_KEY_PUBLISHED: Duration = Duration::from_secs(24 * 3600);

/// The OpenID Connect provider's clients and keys. Cheap to clone.
#[derive(Clone)]
pub struct OidcProvider {
    pub(super) store: Store,
    cipher: Arc<SeedCipher>,
    pub(super) clock: Arc<dyn Clock>,
    /// The issuer (`iss`): the public URL without a trailing slash.
    pub(super) issuer: Arc<str>,
}

impl std::fmt::Debug for OidcProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OidcProvider").finish_non_exhaustive()
    }
}

impl OidcProvider {
    pub(crate) fn new(
        store: Store,
        cipher: Arc<SeedCipher>,
        clock: Arc<dyn Clock>,
        public_url: &str,
    ) -> Self {
        Self {
            store,
            cipher,
            clock,
            issuer: public_url.trim_end_matches('/').into(),
        }
    }

    pub(super) fn cipher(&self) -> &SeedCipher {
        &self.cipher
    }

    /// The issuer identifier (`iss`): the public URL without a trailing slash.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Registers a client (from the command line: no signed-in actor, `"via": "cli"`), audited
    /// as `oidc.client_created` in the same transaction. A confidential client gets its secret,
    /// returned here once and stored only as a keyed hash.
    pub async fn create_client(
        &self,
        new: NewClient,
    ) -> Result<(Client, Option<ClientSecret>), DomainError> {
        let client = Client {
            id: ClientId::generate(),
            name: new.name,
            redirect_uris: new.redirect_uris,
            public: new.public,
            first_party: new.first_party,
            created_at: self.clock.now(),
            disabled_at: None,
        };
        let secret = (!client.public).then(ClientSecret::generate);
        let hash = secret
            .as_ref()
            .map(|s| s.hash(&ClientSecret::hasher(&self.cipher), &client.id));
        let event = NewAuditEvent::new(AuditAction::OidcClientCreated, AuditOutcome::Success)
            .details(json!({
                "via": "cli",
                "client_id": client.id.as_str(),
                "name": client.name,
                "public": client.public,
                "first_party": client.first_party,
                "redirect_uris": client.redirect_uris.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            }));
        self.store.insert_oidc_client(&client, hash, &event).await?;
        Ok((client, secret))
    }

    /// Every registered client, oldest first.
    pub async fn clients(&self) -> Result<Vec<Client>, DomainError> {
        self.store.oidc_clients().await
    }

    /// The enabled client `client_id` if `secret` is its secret (a confidential client), or if
    /// it is public and no secret is given. One answer, [`DomainError::InvalidCredentials`],
    /// for an unknown client, a disabled one and a wrong secret.
    pub async fn authenticate_client(
        &self,
        client_id: &str,
        secret: Option<&str>,
    ) -> Result<Client, DomainError> {
        let refused = DomainError::InvalidCredentials;
        let id = ClientId::parse(client_id).ok_or(DomainError::InvalidCredentials)?;
        let Some((client, hash)) = self.store.oidc_client(&id).await? else {
            return Err(refused);
        };
        if client.disabled_at.is_some() {
            return Err(refused);
        }
        let hasher = ClientSecret::hasher(&self.cipher);
        match (hash, secret) {
            (None, None) => Ok(client),
            (Some(hash), Some(secret)) if ClientSecret::verify(&hasher, &id, secret, &hash) => {
                Ok(client)
            }
            _ => Err(refused),
        }
    }

    /// The key that signs ID tokens now: the newest one not retired, made (and stored sealed)
    /// on first use. Two instances starting at once store one key between them.
    pub async fn signing_key(&self) -> Result<SigningKey, DomainError> {
        for _ in 0..2 {
            if let Some(key) = self
                .published_keys()
                .await?
                .into_iter()
                .find(|(_, retired)| !retired)
            {
                return Ok(key.0);
            }
            let key = SigningKey::generate()?;
            if self
                .store
                .insert_first_signing_key(key.kid(), &key.seal(&self.cipher)?)
                .await?
            {
                return Ok(key);
            }
        }
        Err(DomainError::Internal("no signing key could be made".into()))
    }

    /// The JWKS document, with the signing key made first if there is none yet (so that an
    /// application that reads the JWKS before the first sign-in finds the key it will see).
    pub async fn jwks_with_current(&self) -> Result<jsonwebtoken::jwk::JwkSet, DomainError> {
        self.signing_key().await?;
        self.jwks().await
    }

    /// The JWKS document: every key still published (the current one and recently retired ones).
    pub async fn jwks(&self) -> Result<jsonwebtoken::jwk::JwkSet, DomainError> {
        let keys = self.published_keys().await?;
        Ok(jwks(keys.iter().map(|(k, _)| k)))
    }

    /// The published keys, opened, with whether each is retired.
    async fn published_keys(&self) -> Result<Vec<(SigningKey, bool)>, DomainError> {
        let since = self.clock.now().minus(RETIRED_KEY_PUBLISHED);
        self.store
            .oidc_signing_keys(since)
            .await?
            .into_iter()
            .map(|k| {
                let key = SigningKey::open(&self.cipher, &k.kid, &k.sealed)?;
                Ok((key, k.retired_at.is_some()))
            })
            .collect()
    }
}
