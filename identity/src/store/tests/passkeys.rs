//! Passkeys in the store (issue 17) on both backends: a passkey token and its credential are
//! written together or not at all, a credential is one token, a ceremony is taken once, only
//! where it was begun and only before it expires, and a sign-in moves a counter only as read.

use std::time::Duration;

use super::{clocked, new_account, new_session, T0};
use crate::store::{CeremonyPlace, CounterMove, NewCeremony, NewCredential, Spend};
use crate::testing::contact;
use crate::{
    token_added_notice, AccountId, AccountState, DomainError, EnrolBinding, NewToken, SessionId,
    Store, TokenKind, TokenState, LOGIN_ATTEMPT_TTL,
};

async fn outbox_len(store: &Store) -> usize {
    store.outbox_messages(1_000).await.unwrap().len()
}

on_both_backends!(
    store:
    a_passkey_is_stored_with_its_credential_and_notice_in_one_transaction,
    a_credential_is_one_token_on_one_account,
    the_user_handle_is_made_once_per_account,
    a_ceremony_is_taken_once_only_where_it_was_begun,
    a_ceremony_expires_and_a_newer_one_replaces_it,
    an_attempts_ceremony_goes_with_the_attempt,
    a_sign_in_moves_the_counter_only_as_read_and_only_for_an_active_passkey,
);

const TTL: Duration = Duration::from_secs(300);

fn passkey(account: AccountId, label: &str) -> NewToken {
    NewToken {
        account_id: account,
        kind: TokenKind::Webauthn,
        label: label.into(),
        device: Some("YubiKey 5".into()),
        state: TokenState::Active,
        secret_enc: None,
        target: None,
    }
}

fn credential(id: u8, counter: u32) -> NewCredential {
    NewCredential {
        credential_id: vec![id; 32],
        record: format!("{{\"record\":{id}}}"),
        counter,
        aaguid: Some([7; 16]),
        transports: vec!["usb".into(), "nfc".into()],
    }
}

async fn account(store: &Store, name: &str) -> AccountId {
    store
        .create_account_with(
            new_account(name),
            vec![contact(&format!("{name}@example.org"), true)],
        )
        .await
        .unwrap()
}

async fn session(store: &Store, account: AccountId) -> SessionId {
    let token = store.create_session(new_session(account)).await.unwrap();
    store.session(&token).await.unwrap().unwrap().id
}

async fn a_passkey_is_stored_with_its_credential_and_notice_in_one_transaction(store: &Store) {
    let (store, _clock) = clocked(store);
    let alice = account(&store, "alice").await;
    let session = session(&store, alice).await;
    let notice = token_added_notice("Alice", "Key ring", "https://id.example.org");
    let notices = crate::auth::notice_messages(&store, alice, &notice)
        .await
        .unwrap();
    assert!(!notices.is_empty());
    let id = store
        .insert_passkey_token(
            passkey(alice, "Key ring"),
            credential(1, 5),
            EnrolBinding::Session(session),
            &notices,
        )
        .await
        .unwrap();
    let token = store.token(alice, id).await.unwrap().unwrap();
    assert_eq!(
        (token.kind, token.state, token.label.as_str()),
        (TokenKind::Webauthn, TokenState::Active, "Key ring")
    );
    assert_eq!(token.device.as_deref(), Some("YubiKey 5"));
    assert!(token.target.is_none());
    assert!(store.token_secret(id).await.unwrap().is_none(), "no seed");
    let listed = store
        .passkey_credentials(alice, &[TokenState::Active])
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (
            listed[0].token,
            listed[0].counter,
            listed[0].record.as_str()
        ),
        (id, 5, "{\"record\":1}")
    );
    let found = store
        .passkey_credential(alice, &[1; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.token, id);
    assert_eq!(outbox_len(&store).await, notices.len());

    // A general insert refuses a passkey without its credential; so does the shape check for
    // a passkey with a seed.
    let error = store
        .insert_token(passkey(alice, "Bare"))
        .await
        .unwrap_err();
    assert!(
        matches!(error, DomainError::InvalidInput { .. }),
        "{error:?}"
    );
    let mut seeded = passkey(alice, "Seeded");
    seeded.secret_enc = Some(vec![1; 40]);
    let error = store
        .insert_passkey_token(
            seeded,
            credential(2, 0),
            EnrolBinding::Session(session),
            &[],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(error, DomainError::InvalidInput { .. }),
        "{error:?}"
    );
    assert_eq!(
        store.tokens(alice).await.unwrap().len(),
        1,
        "nothing else written"
    );
}

async fn a_credential_is_one_token_on_one_account(store: &Store) {
    let (store, _clock) = clocked(store);
    let alice = account(&store, "alice").await;
    let bob = account(&store, "bob").await;
    let (sa, sb) = (session(&store, alice).await, session(&store, bob).await);
    store
        .insert_passkey_token(
            passkey(alice, "A"),
            credential(9, 0),
            EnrolBinding::Session(sa),
            &[],
        )
        .await
        .unwrap();
    let outbox = outbox_len(&store).await;
    let notice = token_added_notice("Bob", "B", "https://id.example.org");
    let notices = crate::auth::notice_messages(&store, bob, &notice)
        .await
        .unwrap();
    // The same credential on another account (or the same one) is a conflict, and neither the
    // token nor its notice is written.
    for (who, at) in [(bob, sb), (alice, sa)] {
        let error = store
            .insert_passkey_token(
                passkey(who, "B"),
                credential(9, 0),
                EnrolBinding::Session(at),
                &notices,
            )
            .await
            .unwrap_err();
        assert!(matches!(error, DomainError::Conflict(_)), "{error:?}");
    }
    assert!(store.tokens(bob).await.unwrap().is_empty());
    assert_eq!(store.tokens(alice).await.unwrap().len(), 1);
    assert_eq!(outbox_len(&store).await, outbox);
    // Alice's credential is not Bob's to find.
    assert!(store
        .passkey_credential(bob, &[9; 32])
        .await
        .unwrap()
        .is_none());
    assert!(store
        .passkey_credentials(bob, &[TokenState::Active])
        .await
        .unwrap()
        .is_empty());
    // A locked account gets no passkey.
    assert!(store
        .change_account_state(
            bob,
            AccountState::Active,
            AccountState::Locked,
            true,
            &[],
            &[]
        )
        .await
        .unwrap());
    let error = store
        .insert_passkey_token(
            passkey(bob, "B"),
            credential(10, 0),
            EnrolBinding::Session(sb),
            &[],
        )
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::NotFound(_)), "{error:?}");
    assert!(store.tokens(bob).await.unwrap().is_empty());
}

async fn the_user_handle_is_made_once_per_account(store: &Store) {
    let alice = account(store, "alice").await;
    let bob = account(store, "bob").await;
    let first = store.passkey_handle(alice).await.unwrap();
    assert_eq!(store.passkey_handle(alice).await.unwrap(), first);
    assert_ne!(store.passkey_handle(bob).await.unwrap(), first);
    assert_ne!(first, [0; 16]);
    let error = store.passkey_handle(AccountId(9_999)).await.unwrap_err();
    assert!(matches!(error, DomainError::NotFound(_)), "{error:?}");
}

fn ceremony(account: AccountId, place: CeremonyPlace, state: &str) -> NewCeremony {
    let register = matches!(place, CeremonyPlace::Session(_));
    NewCeremony {
        account,
        place,
        state: state.into(),
        label: register.then(|| "Key ring".to_string()),
        device: register.then(|| "YubiKey 5".to_string()),
    }
}

async fn a_ceremony_is_taken_once_only_where_it_was_begun(store: &Store) {
    let (store, _clock) = clocked(store);
    let alice = account(&store, "alice").await;
    let bob = account(&store, "bob").await;
    let (s1, s2) = (session(&store, alice).await, session(&store, alice).await);
    let here = CeremonyPlace::Session(s1);
    store
        .begin_passkey_ceremony(ceremony(alice, here, "state-1"), TTL)
        .await
        .unwrap();
    // Another session of the account, another account, or the wrong purpose find nothing,
    // and leave it in place.
    assert!(store
        .take_passkey_ceremony(alice, CeremonyPlace::Session(s2))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .take_passkey_ceremony(bob, here)
        .await
        .unwrap()
        .is_none());
    let taken = store
        .take_passkey_ceremony(alice, here)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.state, "state-1");
    assert_eq!(taken.label.as_deref(), Some("Key ring"));
    assert_eq!(taken.device.as_deref(), Some("YubiKey 5"));
    // Once: a replayed answer finds nothing.
    assert!(store
        .take_passkey_ceremony(alice, here)
        .await
        .unwrap()
        .is_none());

    // Concurrent answers to one ceremony: exactly one takes it.
    store
        .begin_passkey_ceremony(ceremony(alice, here, "state-2"), TTL)
        .await
        .unwrap();
    let takers = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { store.take_passkey_ceremony(alice, here).await.unwrap() })
    });
    let mut taken = 0;
    for taker in takers {
        taken += usize::from(taker.await.unwrap().is_some());
    }
    assert_eq!(taken, 1);

    // A registration must name its passkey; a sign-in names none.
    let mut unnamed = ceremony(alice, here, "s");
    unnamed.label = None;
    assert!(store.begin_passkey_ceremony(unnamed, TTL).await.is_err());
    // A session that does not exist holds no ceremony.
    let error = store
        .begin_passkey_ceremony(
            ceremony(alice, CeremonyPlace::Session(SessionId(9_999)), "s"),
            TTL,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::NotFound(_)), "{error:?}");
}

async fn a_ceremony_expires_and_a_newer_one_replaces_it(store: &Store) {
    let (store, clock) = clocked(store);
    let alice = account(&store, "alice").await;
    let here = CeremonyPlace::Session(session(&store, alice).await);
    store
        .begin_passkey_ceremony(ceremony(alice, here, "old"), TTL)
        .await
        .unwrap();
    store
        .begin_passkey_ceremony(ceremony(alice, here, "new"), TTL)
        .await
        .unwrap();
    let taken = store
        .take_passkey_ceremony(alice, here)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.state, "new", "the older prompt is gone");
    assert!(store
        .take_passkey_ceremony(alice, here)
        .await
        .unwrap()
        .is_none());

    store
        .begin_passkey_ceremony(ceremony(alice, here, "late"), TTL)
        .await
        .unwrap();
    clock.advance(TTL);
    assert!(store
        .take_passkey_ceremony(alice, here)
        .await
        .unwrap()
        .is_none());
    // Taking an expired one removed it; purging removes the others.
    store
        .begin_passkey_ceremony(ceremony(alice, here, "purged"), TTL)
        .await
        .unwrap();
    assert_eq!(store.purge_passkey_ceremonies().await.unwrap(), 0);
    clock.advance(TTL + Duration::from_secs(1));
    assert_eq!(store.purge_passkey_ceremonies().await.unwrap(), 1);
    let _ = T0;
}

async fn an_attempts_ceremony_goes_with_the_attempt(store: &Store) {
    let (store, _clock) = clocked(store);
    let alice = account(&store, "alice").await;
    let token = store
        .create_login_attempt(alice, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let attempt = store.login_attempt(&token).await.unwrap().unwrap();
    let here = CeremonyPlace::Attempt(attempt.id);
    store
        .begin_passkey_ceremony(ceremony(alice, here, "sign-in"), TTL)
        .await
        .unwrap();
    // A sign-in ceremony names no passkey.
    let mut named = ceremony(alice, here, "s");
    named.label = Some("x".into());
    assert!(store.begin_passkey_ceremony(named, TTL).await.is_err());
    store.finish_login_attempt(&token).await.unwrap();
    assert!(store
        .take_passkey_ceremony(alice, here)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        store.purge_passkey_ceremonies().await.unwrap(),
        0,
        "gone with the attempt"
    );
}

async fn a_sign_in_moves_the_counter_only_as_read_and_only_for_an_active_passkey(store: &Store) {
    let (store, _clock) = clocked(store);
    let alice = account(&store, "alice").await;
    let bob = account(&store, "bob").await;
    let at = session(&store, alice).await;
    let id = store
        .insert_passkey_token(
            passkey(alice, "Key"),
            credential(3, 4),
            EnrolBinding::Session(at),
            &[],
        )
        .await
        .unwrap();
    let open = |account: AccountId, was: u32, now: u32| {
        let store = store.clone();
        async move {
            let attempt = store
                .create_login_attempt(account, LOGIN_ATTEMPT_TTL)
                .await
                .unwrap();
            let key = crate::ThrottleKey::account_factor(account, crate::Factor::Passkey);
            let audit = crate::NewAuditEvent::new(
                crate::AuditAction::SignInSecondFactor,
                crate::AuditOutcome::Success,
            );
            let spend = Spend::PasskeyCounter(CounterMove {
                token: id,
                was,
                now,
                record: Some(format!("{{\"counter\":{now}}}")),
            });
            store
                .open_signed_in_session_spending(&attempt, &key, new_session(account), spend, audit)
                .await
                .unwrap()
        }
    };
    // The counter as read (4) moves to 5: a session opens and the record follows.
    assert!(open(alice, 4, 5).await.is_some());
    let stored = store
        .passkey_credential(alice, &[3; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.counter, stored.record.as_str()),
        (5, "{\"counter\":5}")
    );
    assert!(store
        .token(alice, id)
        .await
        .unwrap()
        .unwrap()
        .last_used_at
        .is_some());
    // A stale reading (4 again: a replay or the loser of a race) opens nothing.
    let sessions = store.sessions(alice).await.unwrap().len();
    assert!(open(alice, 4, 6).await.is_none());
    assert_eq!(store.sessions(alice).await.unwrap().len(), sessions);
    assert_eq!(
        store
            .passkey_credential(alice, &[3; 32])
            .await
            .unwrap()
            .unwrap()
            .counter,
        5
    );
    // Another account cannot move Alice's counter.
    assert!(open(bob, 5, 6).await.is_none());
    // Concurrent sign-ins with one reading: exactly one opens a session.
    let racers: Vec<_> = (0..6).map(|_| tokio::spawn(open(alice, 5, 6))).collect();
    let mut opened = 0;
    for racer in racers {
        opened += usize::from(racer.await.unwrap().is_some());
    }
    assert_eq!(opened, 1);
    // A blocked passkey does not sign in.
    let blocked = store
        .block_device(
            alice,
            "YubiKey 5",
            |_| token_added_notice("Alice", "Key", "https://id.example.org"),
            |_| Vec::new(),
        )
        .await
        .unwrap();
    assert!(blocked.is_some());
    assert!(open(alice, 6, 7).await.is_none());
    assert_eq!(
        store
            .passkey_credential(alice, &[3; 32])
            .await
            .unwrap()
            .unwrap()
            .counter,
        6
    );
}
