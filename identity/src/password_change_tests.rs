//! PW-9: changing the password, on both backends.

use std::sync::Arc;

use crate::testing::{account_in, recovery, services, TestStore, CIPHER_KEY};
use crate::EmergencyPolicy;
use crate::{
    AuditAction, AuditQuery, Client, DomainError, NewSession, Password, PasswordHasher, Role,
    SeedCipher, SessionScope, SystemClock,
};

on_both_backends!(pw9_a_change_needs_the_current_password_notifies_and_ends_other_sessions);

const OLD: &str = "the old and long passphrase";
const NEW: &str = "a brand new long passphrase";

async fn pw9_a_change_needs_the_current_password_notifies_and_ends_other_sessions(db: TestStore) {
    let store = db.store.clone();
    let hasher = PasswordHasher::new(None).unwrap();
    let hash = hasher
        .hash(&Password::new(OLD.into()).unwrap())
        .await
        .unwrap();
    let contacts = vec![recovery("pat@example.org")];
    let id = account_in(&store, "pat", "Pat", Role::User, hash, contacts)
        .await
        .id;
    let cipher = Arc::new(SeedCipher::from_key_bytes(CIPHER_KEY));
    let auth = services(
        &store,
        &cipher,
        Arc::new(SystemClock),
        EmergencyPolicy::default(),
    )
    .auth;
    let open = |scope| {
        store.create_session(NewSession {
            account_id: id,
            scope,
            ip: None,
            user_agent: None,
            second_factor: None,
        })
    };
    let here = open(SessionScope::Full).await.unwrap();
    let elsewhere = open(SessionScope::Full).await.unwrap();
    let restricted = open(SessionScope::Emergency).await.unwrap();
    let caller = auth
        .authorize(&here)
        .await
        .unwrap()
        .full()
        .expect("a full session");
    let client = Client::default();

    // A wrong current password changes nothing.
    assert!(matches!(
        auth.change_password(
            &caller.clone().into(),
            "not it at all".into(),
            NEW.into(),
            true,
            &client
        )
        .await,
        Err(DomainError::InvalidCredentials)
    ));
    // A weak or unchanged new password is refused with its reason.
    for (new, reason) in [
        ("password123", "most common"),
        ("short", "at least 8"),
        (OLD, "different"),
    ] {
        match auth
            .change_password(
                &caller.clone().into(),
                OLD.into(),
                new.into(),
                true,
                &client,
            )
            .await
        {
            Err(DomainError::InvalidInput { reason: why, .. }) => {
                assert!(why.contains(reason), "{new}: {why}")
            }
            other => panic!("{new}: {other:?}"),
        }
    }
    assert!(auth
        .check_password("pat", OLD.into(), &client)
        .await
        .is_ok());
    assert!(store.outbox_messages(10).await.unwrap().is_empty());

    // The restricted emergency session may not change it: change_password takes a full session,
    // and a restricted one cannot be made one.
    let emergency = store.session(&restricted).await.unwrap().unwrap();
    assert!(crate::testing::caller(&emergency, caller.account())
        .full()
        .is_err());

    // The right current password: changed, told, other sessions ended, this one kept.
    let ended = auth
        .change_password(
            &caller.clone().into(),
            OLD.into(),
            NEW.into(),
            true,
            &client,
        )
        .await
        .unwrap();
    assert_eq!(ended, 2);
    assert!(auth.authorize(&here).await.is_ok());
    assert!(auth.authorize(&elsewhere).await.is_err());
    assert!(matches!(
        auth.check_password("pat", OLD.into(), &client).await,
        Err(DomainError::InvalidCredentials)
    ));
    assert!(auth
        .check_password("pat", NEW.into(), &client)
        .await
        .is_ok());
    let messages = store.outbox_messages(10).await.unwrap();
    assert!(messages.iter().any(|m| m.recipient == "pat@example.org"
        && m.body
            .contains("password of your MAYI ID account was changed")));
    let events = store
        .audit_events(AuditQuery {
            action: Some(AuditAction::PasswordChanged),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(events
        .iter()
        .any(|e| e.outcome == crate::AuditOutcome::Success));
    assert!(events
        .iter()
        .any(|e| e.outcome == crate::AuditOutcome::Failure));
}
