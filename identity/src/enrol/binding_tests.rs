//! Issue 13, item 3: a pending authenticator app is bound to the session (or, for an account's
//! first token, the sign-in attempt) that started it. Its seed is shown, and its first code
//! accepted, only there, and only while that session's sign-in is recent; a first token is
//! activated only while the account still has none. Item 6: a password re-entry gives the
//! session a new token. On SQLite and on PostgreSQL.

use crate::testing::attempt_of;
use std::time::Duration;

use super::*;
use crate::testing::{recovery, TestStore, World, PASSWORD};
use crate::Clock;
use crate::{DomainError, Role, SessionScope, SessionToken};

on_both_backends!(
    otp9_a_pending_app_is_shown_only_to_the_session_that_started_it,
    otp9_a_pending_app_is_hidden_once_the_sign_in_is_old,
    otp9_a_first_token_seed_is_shown_only_to_its_sign_in_attempt,
    otp12_racing_first_enrolments_activate_at_most_one,
    otp12_a_first_token_is_refused_once_the_account_has_one,
    se2_reauthentication_rotates_the_session_token,
);

type Fixture = World;

async fn fixture(db: TestStore) -> Fixture {
    World::new(db)
}

/// A new account with one confirmed contact and no token.
async fn account(f: &Fixture, name: &str) -> Account {
    let contacts = vec![recovery(&format!("{name}@example.org"))];
    f.member(name, name, Role::User, contacts).await
}

/// A new full session of `account`: its token and the caller it makes.
async fn session(f: &Fixture, account: &Account) -> (SessionToken, SignedIn) {
    f.session(account, SessionScope::Full).await
}

fn now(f: &Fixture) -> u64 {
    f.clock.now().unix_secs()
}

async fn otp9_a_pending_app_is_shown_only_to_the_session_that_started_it(db: TestStore) {
    let f = fixture(db).await;
    let erin = account(&f, "erin").await;
    let (_, mine) = session(&f, &erin).await;
    let (_, other) = session(&f, &erin).await;
    let id = f.enrol.start_totp(&mine, "App", "Pixel 9").await.unwrap();
    let (_, secret) = f.enrol.pending_totp(&mine).await.unwrap().unwrap();
    let page = f.enrol.token_page(&mine).await.unwrap();
    assert_eq!(page.pending_totp.map(|(t, _)| t.id), Some(id));
    assert!(!page.pending_totp_elsewhere);

    // The other session: told, never shown; it cannot finish it with the right code.
    assert!(f.enrol.pending_totp(&other).await.unwrap().is_none());
    let page = f.enrol.token_page(&other).await.unwrap();
    assert!(page.pending_totp.is_none() && page.pending_totp_elsewhere);
    let code = secret.code_at(now(&f));
    assert!(matches!(
        f.enrol
            .finish_totp(&other, id, &code, &Client::default())
            .await,
        Err(DomainError::NotFound(_))
    ));
    // Its own set-up is another token with another seed, and replaces nothing.
    let theirs = f.enrol.start_totp(&other, "App", "Laptop").await.unwrap();
    assert_ne!(theirs, id);
    let (_, their_secret) = f.enrol.pending_totp(&other).await.unwrap().unwrap();
    assert_ne!(their_secret.to_base32(), secret.to_base32());
    assert_eq!(
        f.enrol
            .pending_totp(&mine)
            .await
            .unwrap()
            .map(|(t, _)| t.id),
        Some(id)
    );
    // The starting session finishes its own.
    let token = f
        .enrol
        .finish_totp(&mine, id, &code, &Client::default())
        .await
        .unwrap();
    assert_eq!(token.state, TokenState::Active);
    // A session of another account never sees it either (it cannot even be paired with
    // Erin's account: a caller is one session and its own account, by construction).
    let bob = account(&f, "bob").await;
    let (_, bobs) = session(&f, &bob).await;
    assert!(f.enrol.pending_totp(&bobs).await.unwrap().is_none());
    assert!(f
        .enrol
        .token_page(&bobs)
        .await
        .unwrap()
        .pending_totp
        .is_none());
}

async fn otp9_a_pending_app_is_hidden_once_the_sign_in_is_old(db: TestStore) {
    let f = fixture(db).await;
    let erin = account(&f, "erin").await;
    let (_, mine) = session(&f, &erin).await;
    let id = f.enrol.start_totp(&mine, "App", "Pixel 9").await.unwrap();
    f.clock.advance(Duration::from_secs(9 * 60));
    let (_, secret) = f.enrol.pending_totp(&mine).await.unwrap().unwrap();
    f.clock.advance(Duration::from_secs(61));
    // Still pending and fresh (ENROLMENT_TTL counts from its start), but the sign-in is old.
    assert!(f.enrol.pending_totp(&mine).await.unwrap().is_none());
    assert!(f
        .enrol
        .token_page(&mine)
        .await
        .unwrap()
        .pending_totp
        .is_none());
    assert!(matches!(
        f.enrol
            .finish_totp(&mine, id, &secret.code_at(now(&f)), &Client::default())
            .await,
        Err(DomainError::NotRecent)
    ));
    assert!(f.store.active_tokens(erin.id).await.unwrap().is_empty());
}

async fn otp9_a_first_token_seed_is_shown_only_to_its_sign_in_attempt(db: TestStore) {
    let f = fixture(db).await;
    let dave = account(&f, "dave").await;
    let a = f
        .store
        .create_login_attempt(dave.id, crate::LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let b = f
        .store
        .create_login_attempt(dave.id, crate::LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let id = f
        .auth
        .start_first_totp(&attempt_of(&f.auth, &a).await, "App", "Phone")
        .await
        .unwrap();
    let (_, secret) = f
        .auth
        .pending(&attempt_of(&f.auth, &a).await)
        .await
        .unwrap()
        .enrolment
        .unwrap();
    let theirs = f
        .auth
        .pending(&attempt_of(&f.auth, &b).await)
        .await
        .unwrap();
    assert!(theirs.may_enrol_first && theirs.enrolment.is_none());
    assert!(matches!(
        f.auth
            .finish_first_totp(
                &attempt_of(&f.auth, &b).await,
                id,
                &secret.code_at(now(&f)),
                &Client::default()
            )
            .await,
        Err(DomainError::UnusableToken)
    ));
    // A session of the account (were there one) does not see it either.
    let (_, s) = session(&f, &dave).await;
    assert!(f.enrol.pending_totp(&s).await.unwrap().is_none());
    let (_, session) = f
        .auth
        .finish_first_totp(
            &attempt_of(&f.auth, &a).await,
            id,
            &secret.code_at(now(&f)),
            &Client::default(),
        )
        .await
        .unwrap();
    assert!(f.store.session(&session).await.unwrap().is_some());
}

async fn otp12_racing_first_enrolments_activate_at_most_one(db: TestStore) {
    let f = fixture(db).await;
    let dave = account(&f, "dave").await;
    let mut started = Vec::new();
    for device in ["Phone", "Tablet"] {
        let attempt = f
            .store
            .create_login_attempt(dave.id, crate::LOGIN_ATTEMPT_TTL)
            .await
            .unwrap();
        let id = f
            .auth
            .start_first_totp(&attempt_of(&f.auth, &attempt).await, "App", device)
            .await
            .unwrap();
        let (_, secret) = f
            .auth
            .pending(&attempt_of(&f.auth, &attempt).await)
            .await
            .unwrap()
            .enrolment
            .unwrap();
        started.push((attempt, id, secret.code_at(now(&f))));
    }
    assert_ne!(started[0].1, started[1].1);
    let client = Client::default();
    let attempts = [
        f.auth.attempt(&started[0].0).await.unwrap(),
        f.auth.attempt(&started[1].0).await.unwrap(),
    ];
    let (first, second) = tokio::join!(
        f.auth
            .finish_first_totp(&attempts[0], started[0].1, &started[0].2, &client),
        f.auth
            .finish_first_totp(&attempts[1], started[1].1, &started[1].2, &client),
    );
    assert_eq!(
        usize::from(first.is_ok()) + usize::from(second.is_ok()),
        1,
        "{:?} {:?}",
        first.err(),
        second.err()
    );
    assert_eq!(f.store.active_tokens(dave.id).await.unwrap().len(), 1);

    // The same race in the store itself, many times: at most one activation each time.
    for round in 0..5 {
        let name = format!("racer{round}");
        let racer = account(&f, &name).await;
        let mut ids = Vec::new();
        for _ in 0..4 {
            let attempt = f
                .store
                .create_login_attempt(racer.id, crate::LOGIN_ATTEMPT_TTL)
                .await
                .unwrap();
            let row = f.store.login_attempt(&attempt).await.unwrap().unwrap();
            let by = EnrolBinding::Attempt(row.id);
            let id = f
                .store
                .insert_pending_totp(
                    NewToken {
                        account_id: racer.id,
                        kind: TokenKind::Totp,
                        label: "App".into(),
                        device: None,
                        state: TokenState::Pending,
                        secret_enc: Some(vec![1; 48]),
                        target: None,
                    },
                    by,
                )
                .await
                .unwrap();
            ids.push((id, by));
        }
        let racing: Vec<_> = ids
            .iter()
            .map(|&(id, by)| {
                let store = f.store.clone();
                tokio::spawn(async move {
                    store
                        .activate_totp(racer.id, id, by, true, 1, crate::ENROLMENT_TTL, &[])
                        .await
                        .unwrap()
                })
            })
            .collect();
        let mut won = 0;
        for handle in racing {
            won += usize::from(handle.await.unwrap());
        }
        assert_eq!(won, 1, "round {round}");
        assert_eq!(f.store.active_tokens(racer.id).await.unwrap().len(), 1);
    }
}

async fn otp12_a_first_token_is_refused_once_the_account_has_one(db: TestStore) {
    let f = fixture(db).await;
    let dave = account(&f, "dave").await;
    let attempt = f
        .store
        .create_login_attempt(dave.id, crate::LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let id = f
        .auth
        .start_first_totp(&attempt_of(&f.auth, &attempt).await, "App", "Phone")
        .await
        .unwrap();
    let (_, secret) = f
        .auth
        .pending(&attempt_of(&f.auth, &attempt).await)
        .await
        .unwrap()
        .enrolment
        .unwrap();
    // Meanwhile the account got a token (an administrator imported one).
    f.store
        .insert_token(NewToken {
            account_id: dave.id,
            kind: TokenKind::Totp,
            label: "Imported".into(),
            device: None,
            state: TokenState::Active,
            secret_enc: Some(vec![2; 48]),
            target: None,
        })
        .await
        .unwrap();
    assert!(f
        .auth
        .finish_first_totp(
            &attempt_of(&f.auth, &attempt).await,
            id,
            &secret.code_at(now(&f)),
            &Client::default()
        )
        .await
        .is_err());
    assert_eq!(f.store.active_tokens(dave.id).await.unwrap().len(), 1);
    // The store refuses it too, whatever the caller checked before.
    let row = f.store.login_attempt(&attempt).await.unwrap().unwrap();
    assert!(!f
        .store
        .activate_totp(
            dave.id,
            id,
            EnrolBinding::Attempt(row.id),
            true,
            1,
            crate::ENROLMENT_TTL,
            &[]
        )
        .await
        .unwrap());
    // Without `first` (a signed-in session adding one), the same binding would activate it.
    assert!(f
        .store
        .activate_totp(
            dave.id,
            id,
            EnrolBinding::Attempt(row.id),
            false,
            1,
            crate::ENROLMENT_TTL,
            &[]
        )
        .await
        .unwrap());
}

async fn se2_reauthentication_rotates_the_session_token(db: TestStore) {
    let f = fixture(db).await;
    let erin = account(&f, "erin").await;
    let (old, first) = session(&f, &erin).await;
    f.clock.advance(Duration::from_secs(20 * 60));
    assert!(!f.enrol.is_recent(first.session()));
    let new = f
        .enrol
        .reauthenticate(&first, PASSWORD.into(), &Client::default())
        .await
        .unwrap();
    assert_ne!(new.as_str(), old.as_str());
    // The old token opens nothing at once; the new one is the same session, now recent.
    assert!(f.store.session(&old).await.unwrap().is_none());
    let rotated = f.store.session(&new).await.unwrap().unwrap();
    assert_eq!(rotated.id, first.session_id());
    assert!(f.enrol.is_recent(&rotated));
    let rotated = crate::testing::caller(&rotated, &erin);
    let id = f.enrol.start_totp(&rotated, "App", "Phone").await.unwrap();
    // A second re-entry rotates again; the set-up stays this session's (bound by row id).
    let newer = f
        .enrol
        .reauthenticate(&rotated, PASSWORD.into(), &Client::default())
        .await
        .unwrap();
    assert!(f.store.session(&new).await.unwrap().is_none());
    let again = f.store.session(&newer).await.unwrap().unwrap();
    let again = crate::testing::caller(&again, &erin);
    assert_eq!(
        f.enrol
            .pending_totp(&again)
            .await
            .unwrap()
            .map(|(t, _)| t.id),
        Some(id)
    );
    assert!(f.store.token(erin.id, id).await.unwrap().is_some());
    // A wrong password rotates nothing; an unknown session gets no token.
    let (kept, current) = session(&f, &erin).await;
    assert!(f
        .enrol
        .reauthenticate(&current, "wrong password!".into(), &Client::default())
        .await
        .is_err());
    assert!(f.store.session(&kept).await.unwrap().is_some());
    assert!(f
        .store
        .reauthenticate_session(crate::SessionId(current.session_id().0 + 1000))
        .await
        .unwrap()
        .is_none());
}
