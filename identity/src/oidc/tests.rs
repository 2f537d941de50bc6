//! The provider's clients and keys on both backends.

use std::sync::Arc;

use super::*;
use crate::testing::{self, ManualClock, TestStore};
use crate::{AuditAction, AuditQuery, DomainError, SeedCipher, Timestamp};

on_both_backends!(
    a_client_is_registered_audited_and_authenticated_only_with_its_secret,
    a_public_client_has_no_secret_and_never_takes_one,
    the_signing_key_is_made_once_sealed_and_published,
);

fn provider(db: &TestStore) -> (OidcProvider, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_secs(1_800_000_000)));
    let store = db.store.clone().with_clock(clock.clone());
    let cipher = Arc::new(SeedCipher::from_key_bytes([6; 32]));
    (
        OidcProvider::new(store, cipher, clock.clone(), "https://id.example.org/"),
        clock,
    )
}

fn wiki() -> NewClient {
    NewClient::parse(
        "Wiki",
        &[
            "https://wiki.example.org/cb".to_string(),
            "http://localhost:8080/cb".to_string(),
        ],
        false,
        true,
    )
    .unwrap()
}

async fn a_client_is_registered_audited_and_authenticated_only_with_its_secret(db: TestStore) {
    let (oidc, _) = provider(&db);
    let (client, secret) = oidc.create_client(wiki()).await.unwrap();
    let secret = secret.expect("a confidential client has a secret");
    assert_eq!(oidc.clients().await.unwrap(), std::slice::from_ref(&client));
    assert_eq!(client.redirect_uris.len(), 2);
    let events = db
        .store
        .audit_events(AuditQuery {
            action: Some(AuditAction::OidcClientCreated),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details["client_id"], client.id.as_str());
    assert!(
        !events[0].details.to_string().contains(secret.expose()),
        "the secret is never audited"
    );
    // Only the keyed hash is stored.
    let rows = testing::raw_rows(&db.store, "oidc_clients").await;
    assert!(!format!("{rows:?}").contains(secret.expose()));

    let ok = oidc
        .authenticate_client(client.id.as_str(), Some(secret.expose()))
        .await
        .unwrap();
    assert_eq!(ok.id, client.id);
    for (id, presented) in [
        (client.id.as_str(), Some("wrong")),
        (client.id.as_str(), None),
        ("aaaaaaaaaaaaaaaaaaaa", Some(secret.expose())),
        ("not an id", Some(secret.expose())),
    ] {
        assert!(
            matches!(
                oidc.authenticate_client(id, presented).await,
                Err(DomainError::InvalidCredentials)
            ),
            "{id} {presented:?}"
        );
    }
    // Another client's secret is not this one's.
    let (other, other_secret) = oidc.create_client(wiki()).await.unwrap();
    assert_ne!(other.id, client.id);
    assert!(oidc
        .authenticate_client(client.id.as_str(), Some(other_secret.unwrap().expose()))
        .await
        .is_err());
}

async fn a_public_client_has_no_secret_and_never_takes_one(db: TestStore) {
    let (oidc, _) = provider(&db);
    let new = NewClient::parse(
        "App",
        &["http://127.0.0.1:9000/cb".to_string()],
        true,
        false,
    )
    .unwrap();
    let (client, secret) = oidc.create_client(new).await.unwrap();
    assert!(secret.is_none() && client.public && !client.first_party);
    assert!(oidc
        .authenticate_client(client.id.as_str(), None)
        .await
        .is_ok());
    assert!(oidc
        .authenticate_client(client.id.as_str(), Some("anything"))
        .await
        .is_err());
}

async fn the_signing_key_is_made_once_sealed_and_published(db: TestStore) {
    let (oidc, clock) = provider(&db);
    assert!(oidc.jwks().await.unwrap().keys.is_empty());
    // Two instances asking at once store one key between them.
    let twin = oidc.clone();
    let (a, b) = tokio::join!(oidc.signing_key(), twin.signing_key());
    let (a, b) = (a.unwrap(), b.unwrap());
    let again = oidc.signing_key().await.unwrap();
    assert_eq!(again.kid(), a.kid());
    assert_eq!(b.kid(), a.kid());
    let set = oidc.jwks().await.unwrap();
    assert_eq!(set.keys.len(), 1);
    assert_eq!(set.keys[0].common.key_id.as_deref(), Some(a.kid()));
    // Sealed: the stored bytes open only with the seed key.
    let stored = db
        .store
        .oidc_signing_keys(Timestamp::from_millis(0))
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].retired_at.is_none());
    let other = OidcProvider::new(
        db.store.clone(),
        Arc::new(SeedCipher::from_key_bytes([7; 32])),
        clock,
        "https://id.example.org",
    );
    assert!(matches!(
        other.signing_key().await,
        Err(DomainError::Crypto(_))
    ));
}
