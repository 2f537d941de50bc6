//! Issue 13 below HTTP, on both backends: the limits around a password check cannot be turned
//! against the owner (abuse case 16, RL-3) and hold under a burst (RL-6). The HTTP-level tests
//! are in `server/tests/abuse.rs`.

use crate::testing::{attempt_of, wizard_of};
use std::sync::Arc;
use std::time::Duration;

use crate::abuse_tests::{fixture, Fixture, PASSWORD, USERNAME};
use crate::testing::{add_totp, contact, ManualClock, TestStore};
use crate::{
    AccountState, AuditAction, AuditQuery, CancelOutcome, Client, CodeHasher, DomainError, Email,
    EmergencyCode, NewContact, NewSession, Scope, SessionScope, SessionToken, ThrottleKey,
    Timestamp, TokenService, TokenState, TotpSecret, Username, EMERGENCY_CODE_KEY_LABEL,
};

on_both_backends!(
    rl6_300_parallel_wrong_passwords_from_one_address_pass_its_check_at_most_the_limit_times,
    rl6_a_right_password_gives_back_its_address_count,
    abuse_16_hammering_a_username_from_one_address_never_slows_its_owner_elsewhere,
    rl3_wrong_passwords_from_everywhere_alert_the_owner_once_slow_every_address_and_never_lock_out,
    throttle_purge_forgets_idle_password_delays_and_ended_alerts,
    not_me_undoes_what_the_emergency_session_added_restores_recovery_and_locks,
    not_me_from_an_older_notice_still_stops_a_newer_live_code,
    a_password_change_ends_attempts_wizards_and_self_service_codes,
    the_proof_code_goes_only_to_the_recovery_address,
    destructive_self_service_needs_a_recent_authentication,
    freeze_blocks_one_device_signs_everyone_out_and_unlocks_nothing,
    a_blocked_token_is_unblocked_only_after_a_recovery_or_removed,
    not_me_removes_a_passkey_added_in_the_restricted_session,
);

fn from(ip: &str) -> Client {
    Client {
        ip: Some(ip.into()),
        user_agent: Some("test".into()),
        browser: None,
    }
}

/// Alice-like target with a confirmed e-mail address (for the alert).
async fn target(db: TestStore) -> Fixture {
    let f = fixture(db).await;
    f.store
        .add_contact(
            f.account,
            NewContact {
                value: Email::parse("target@example.org").unwrap().into(),
                confirmed: true,
                is_recovery: true,
            },
        )
        .await
        .unwrap();
    f
}

async fn rl6_300_parallel_wrong_passwords_from_one_address_pass_its_check_at_most_the_limit_times(
    db: TestStore,
) {
    let f = target(db).await;
    let limit = f.store.throttle_policy().ip_sign_in.limit;
    let attacker = from("198.51.100.7");
    let tries = (0..300).map(|i| {
        let auth = f.auth.clone();
        let client = attacker.clone();
        tokio::spawn(async move {
            auth.verify_password(&format!("nobody-{i}"), "wrong".into(), &client)
                .await
        })
    });
    let mut past_the_check = 0;
    let mut refused = 0;
    for handle in tries {
        match handle.await.unwrap() {
            Err(DomainError::InvalidCredentials) => past_the_check += 1,
            // Hashing was busy: the attempt was still counted before it was refused.
            Err(crate::DomainError::Busy) => past_the_check += 1,
            Err(DomainError::RateLimited { .. }) => refused += 1,
            other => panic!("unexpected answer: {:?}", other.map(|a| a.id)),
        }
    }
    assert!(
        past_the_check <= limit,
        "{past_the_check} of 300 parallel attempts got past a limit of {limit}"
    );
    assert_eq!(past_the_check + refused, 300);
    let record = f
        .store
        .throttle_record(&ThrottleKey::ip("198.51.100.7", Scope::SignIn))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.failures, limit);
    // The owner, from elsewhere, is not affected.
    f.auth
        .verify_password(USERNAME, PASSWORD.into(), &from("203.0.113.1"))
        .await
        .unwrap();
}

async fn rl6_a_right_password_gives_back_its_address_count(db: TestStore) {
    let f = target(db).await;
    let office = from("192.0.2.10");
    let key = ThrottleKey::ip("192.0.2.10", Scope::SignIn);
    for i in 0..3 {
        let err = f
            .auth
            .verify_password(&format!("colleague-{i}"), "typo".into(), &office)
            .await
            .err()
            .unwrap();
        assert!(matches!(err, DomainError::InvalidCredentials), "{err:?}");
    }
    f.auth
        .verify_password(USERNAME, PASSWORD.into(), &office)
        .await
        .unwrap();
    let record = f.store.throttle_record(&key).await.unwrap().unwrap();
    assert_eq!(
        record.failures, 3,
        "a right password is not a failed sign-in"
    );
}

async fn abuse_16_hammering_a_username_from_one_address_never_slows_its_owner_elsewhere(
    db: TestStore,
) {
    let f = target(db).await;
    let attacker = from("198.51.100.7");
    let owner = from("203.0.113.1");
    // The attacker loops for the whole window: every answer after the free failures is a delay.
    let mut delayed = 0;
    for _ in 0..40 {
        match f
            .auth
            .verify_password(USERNAME, "wrong guess".into(), &attacker)
            .await
        {
            Err(DomainError::InvalidCredentials) => {}
            Err(DomainError::RateLimited { .. }) => delayed += 1,
            other => panic!("unexpected: {:?}", other.map(|a| a.id)),
        }
    }
    assert!(
        delayed >= 30,
        "the attacker's own address is slowed: {delayed}"
    );
    // Even the right password waits at the attacker's address (no oracle there)...
    assert!(matches!(
        f.auth
            .verify_password(USERNAME, PASSWORD.into(), &attacker)
            .await,
        Err(DomainError::RateLimited { .. })
    ));
    // ...while the owner signs in from their own address at once,
    let ok = f
        .auth
        .check_password(USERNAME, PASSWORD.into(), &owner)
        .await
        .unwrap();
    assert_eq!(ok.account.id, f.account);
    // mistypes once and is still not delayed,
    assert!(matches!(
        f.auth
            .verify_password(USERNAME, "oops".into(), &owner)
            .await,
        Err(DomainError::InvalidCredentials)
    ));
    // and starts Emergency Access (step 1 shares the check).
    f.emergency
        .start(USERNAME, PASSWORD.into(), &owner)
        .await
        .unwrap();
}

async fn rl3_wrong_passwords_from_everywhere_alert_the_owner_once_slow_every_address_and_never_lock_out(
    db: TestStore,
) {
    let f = target(db).await;
    let limit = f.store.throttle_policy().username_alert.limit;
    // A botnet: one wrong password from each of `limit` addresses.
    for i in 0..limit {
        let err = f
            .auth
            .verify_password(
                USERNAME,
                "botnet guess".into(),
                &from(&format!("10.1.{}.{}", i / 200, i % 200)),
            )
            .await
            .err()
            .unwrap();
        assert!(matches!(err, DomainError::InvalidCredentials), "{err:?}");
    }
    let alerts = |store: crate::Store| async move {
        store
            .audit_events(AuditQuery {
                action: Some(AuditAction::PasswordGuessingAlert),
                ..Default::default()
            })
            .await
            .unwrap()
    };
    let events = alerts(f.store.clone()).await;
    assert_eq!(events.len(), 1, "one alert when the window fills");
    assert_eq!(events[0].subject, Some(f.account));
    let told = f
        .store
        .outbox_messages(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| {
            m.recipient == "target@example.org"
                && m.subject.as_deref().is_some_and(|s| s.contains("guess"))
        })
        .count();
    assert_eq!(told, 1, "the owner is told once");
    // Under attack, a fresh address is slowed from its first wrong password...
    let fresh = from("10.9.9.9");
    assert!(matches!(
        f.auth
            .verify_password(USERNAME, "again".into(), &fresh)
            .await,
        Err(DomainError::InvalidCredentials)
    ));
    assert!(matches!(
        f.auth
            .verify_password(USERNAME, "again".into(), &fresh)
            .await,
        Err(DomainError::RateLimited { .. })
    ));
    // ...no second alert in the same window...
    assert_eq!(alerts(f.store.clone()).await.len(), 1);
    // ...and the owner still signs in from their own address.
    f.auth
        .check_password(USERNAME, PASSWORD.into(), &from("203.0.113.1"))
        .await
        .unwrap();
}

async fn throttle_purge_forgets_idle_password_delays_and_ended_alerts(db: TestStore) {
    let start = Timestamp::now();
    let clock = Arc::new(ManualClock::new(start));
    let store = db.store.clone().with_clock(clock.clone());
    let name = Username::parse("never-signs-in").unwrap();
    let pair = ThrottleKey::username_password(&name, Some("198.51.100.7"));
    let alert = ThrottleKey::username_alert(&name);
    let totp = ThrottleKey::account_factor(crate::AccountId(1), crate::Factor::Totp);
    store.throttle_fail(&pair).await.unwrap();
    store.throttle_count_event(&alert).await.unwrap();
    store.throttle_fail(&totp).await.unwrap();
    // Within the window and the idle time, nothing goes.
    clock.advance(Duration::from_secs(10 * 60));
    assert_eq!(store.throttle_purge().await.unwrap(), 0);
    // The alert's 15-minute window ends: it goes.
    clock.advance(Duration::from_secs(6 * 60));
    assert_eq!(store.throttle_purge().await.unwrap(), 1);
    assert!(store.throttle_record(&alert).await.unwrap().is_none());
    // A day without a failure: the name's delays go too; the account's factor count stays.
    clock.advance(crate::store::PASSWORD_DELAY_IDLE);
    assert_eq!(store.throttle_purge().await.unwrap(), 1);
    assert!(store.throttle_record(&pair).await.unwrap().is_none());
    assert!(store.throttle_record(&totp).await.unwrap().is_some());
}

/// Issues a self-service code for the target with a "this was not me" link; returns both.
async fn code_with_link(f: &Fixture) -> (EmergencyCode, SessionToken) {
    let code = EmergencyCode::generate();
    let link = SessionToken::generate();
    let hasher = CodeHasher::from_cipher(&f.cipher, EMERGENCY_CODE_KEY_LABEL);
    // Issued at a later millisecond than what the account had before (its contacts, tokens), or
    // an undo would take those for the code's doing.
    tokio::time::sleep(Duration::from_millis(5)).await;
    let now = Timestamp::now();
    let mut new = crate::testing::self_service_code(
        f.account,
        code.hash(&hasher, f.account),
        now,
        now.plus(Duration::from_secs(3600)),
        3,
    );
    new.cancel_hash = Some(link.hash());
    f.store.issue_emergency_code(&new, &[]).await.unwrap();
    // Whatever happens next happens at a later millisecond than the issue.
    tokio::time::sleep(Duration::from_millis(5)).await;
    (code, link)
}

/// The attacker: password + one old mailbox gave them a code; they sign in with it.
async fn restricted_session(f: &Fixture, code: &EmergencyCode) -> (crate::SignedIn, SessionToken) {
    let attempt = f
        .auth
        .check_password(USERNAME, PASSWORD.into(), &from("198.51.100.7"))
        .await
        .unwrap()
        .attempt;
    let (_, session) = f
        .emergency
        .sign_in(
            &attempt_of(&f.emergency, &attempt).await,
            code.as_str(),
            &from("198.51.100.7"),
        )
        .await
        .unwrap();
    (f.auth.authorize(&session).await.unwrap(), session)
}

async fn not_me_undoes_what_the_emergency_session_added_restores_recovery_and_locks(db: TestStore) {
    let f = target(db).await;
    let (code, link) = code_with_link(&f).await;
    let (session, cookie) = restricted_session(&f, &code).await;
    assert_eq!(session.session().scope, SessionScope::Emergency);
    // In the restricted session the attacker adds their own authenticator app and mailbox,
    // makes that mailbox the recovery address, and removes the owner's app.
    let theirs = TotpSecret::generate();
    let their_token = add_totp(
        &f.store,
        &f.cipher,
        f.account,
        &theirs,
        "Attacker app",
        Some("Attacker phone"),
    )
    .await;
    let mailbox = f
        .store
        .add_contact(f.account, contact("attacker@evil.example", true))
        .await
        .unwrap();
    assert!(f
        .store
        .set_recovery_contact(
            f.account,
            mailbox,
            &[],
            &crate::NewAuditEvent::new(
                AuditAction::RecoveryAddressSet,
                crate::AuditOutcome::Success
            )
        )
        .await
        .unwrap());
    // The next request reads the session and its account again.
    let session = f.auth.authorize(&cookie).await.unwrap();
    TokenService::new(f.store.clone(), "https://id.example.org")
        .remove(&session, f.token, &from("198.51.100.7"))
        .await
        .unwrap();
    // They finish recovery (the code is revoked) and even hold a full session of their own.
    let session = session.emergency().expect("a restricted emergency session");
    f.emergency
        .finish(&session, true, &from("198.51.100.7"))
        .await
        .unwrap();
    let full = full_session(&f.store, f.account).await;
    // The owner follows the link in the notice: everything since the code is undone.
    let outcome = f
        .emergency
        .cancel(link.as_str(), &from("203.0.113.1"))
        .await
        .unwrap();
    let CancelOutcome::Undone(undone) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(undone.tokens_removed, 1);
    assert_eq!(undone.contacts_removed, 1);
    assert!(undone.recovery_restored);
    let account = f.store.account_by_id(f.account).await.unwrap().unwrap();
    assert_eq!(
        account.state,
        AccountState::Locked,
        "locked for help-desk review"
    );
    let token = f
        .store
        .token(f.account, their_token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.state, TokenState::Removed);
    assert!(
        f.store.token_secret(their_token).await.unwrap().is_none(),
        "seed wiped"
    );
    let contacts = f.store.contacts(f.account).await.unwrap();
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(contacts[0].value, "target@example.org");
    assert!(
        contacts[0].is_recovery,
        "the recovery address is the owner's again"
    );
    assert!(
        f.store.session(&full).await.unwrap().is_none(),
        "every session ended"
    );
    // The owner is told; the attacker's mailbox is not.
    let outbox = f.store.outbox_messages(100).await.unwrap();
    assert!(outbox
        .iter()
        .any(|m| m.recipient == "target@example.org" && m.body.contains("locked")));
    assert!(!outbox
        .iter()
        .any(|m| m.recipient == "attacker@evil.example" && m.body.contains("locked")));
    // Audited.
    let locked = f
        .store
        .audit_events(AuditQuery {
            subject: Some(f.account),
            action: Some(AuditAction::AccountLocked),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(locked.len(), 1);
    // The password alone gets nowhere now, and the link works once.
    assert!(f
        .auth
        .check_password(USERNAME, PASSWORD.into(), &from("198.51.100.7"))
        .await
        .is_err());
    assert_eq!(
        f.emergency
            .cancel(link.as_str(), &from("203.0.113.1"))
            .await
            .unwrap(),
        CancelOutcome::AlreadyUsed
    );
    assert_eq!(
        f.emergency
            .cancel(SessionToken::generate().as_str(), &from("203.0.113.1"))
            .await
            .unwrap(),
        CancelOutcome::Unknown
    );
}

/// Issue 17: the attacker with the password and one old mailbox adds their own security key in
/// the restricted session (a factor that would outlive any phone); "this was not me" removes
/// it like any token added there, and it signs in nowhere after.
async fn not_me_removes_a_passkey_added_in_the_restricted_session(db: TestStore) {
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    let f = target(db).await;
    let (code, link) = code_with_link(&f).await;
    let (session, _cookie) = restricted_session(&f, &code).await;
    let options = f.enrol.start_passkey(&session, "My key", "").await.unwrap();
    let public_key: serde_json::Value = serde_json::from_str(&options).unwrap();
    let options = serde_json::from_value(serde_json::json!({ "publicKey": public_key })).unwrap();
    let mut theirs = SoftPasskey::new(true);
    let answer = theirs
        .do_registration(
            webauthn_authenticator_rs::prelude::Url::parse("https://id.example.org").unwrap(),
            options,
        )
        .unwrap();
    let added = f
        .enrol
        .finish_passkey(
            &session,
            &serde_json::to_string(&answer).unwrap(),
            &from("198.51.100.7"),
        )
        .await
        .unwrap();
    assert_eq!(added.state, TokenState::Active);
    let outcome = f
        .emergency
        .cancel(link.as_str(), &from("203.0.113.1"))
        .await
        .unwrap();
    let CancelOutcome::Undone(undone) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(undone.tokens_removed, 1);
    let token = f.store.token(f.account, added.id).await.unwrap().unwrap();
    assert_eq!(token.state, TokenState::Removed);
    assert!(f
        .store
        .passkey_credentials(f.account, &[TokenState::Active, TokenState::Blocked])
        .await
        .unwrap()
        .is_empty());
}

async fn not_me_from_an_older_notice_still_stops_a_newer_live_code(db: TestStore) {
    let f = target(db).await;
    let (_, older_link) = code_with_link(&f).await;
    // A newer code replaces the first (whose own link would once have stopped working).
    let (newer, _) = code_with_link(&f).await;
    let (_, session) = restricted_session(&f, &newer).await;
    let outcome = f
        .emergency
        .cancel(older_link.as_str(), &Client::default())
        .await
        .unwrap();
    let CancelOutcome::Undone(undone) = outcome else {
        panic!("{outcome:?}");
    };
    assert_eq!(undone.codes.len(), 2);
    assert!(f
        .store
        .emergency_codes(f.account)
        .await
        .unwrap()
        .iter()
        .all(|c| c.revoked_at.is_some()));
    assert!(
        f.auth.authorize(&session).await.is_err(),
        "its session ended"
    );
}

async fn a_password_change_ends_attempts_wizards_and_self_service_codes(db: TestStore) {
    let f = target(db).await;
    let elsewhere = from("198.51.100.7");
    // Someone with the password has a pending sign-in, an open wizard and a live code.
    let attempt = f
        .auth
        .check_password(USERNAME, PASSWORD.into(), &elsewhere)
        .await
        .unwrap()
        .attempt;
    let wizard = f
        .emergency
        .start(USERNAME, PASSWORD.into(), &elsewhere)
        .await
        .unwrap();
    let (code, _) = code_with_link(&f).await;
    // The owner changes the password from a full session.
    let mine = full_session(&f.store, f.account).await;
    let caller = f
        .auth
        .authorize(&mine)
        .await
        .unwrap()
        .full()
        .expect("a full session");
    f.auth
        .change_password(
            &caller.clone().into(),
            PASSWORD.into(),
            "an entirely different passphrase".into(),
            false,
            &Client::default(),
        )
        .await
        .unwrap();
    assert!(matches!(
        f.auth.attempt(&attempt).await,
        Err(DomainError::AttemptExpired)
    ));
    assert!(
        matches!(
            f.emergency.open_wizard(&wizard).await,
            Err(DomainError::WizardExpired)
        ),
        "the wizard ended"
    );
    let codes = f.store.emergency_codes(f.account).await.unwrap();
    assert!(codes.iter().all(|c| c.revoked_at.is_some()), "{codes:?}");
    assert_eq!(codes[0].revoked_why.as_deref(), Some("password_changed"));
    // The old code cannot open a session, even with the new password.
    let attempt = f
        .auth
        .check_password(
            USERNAME,
            "an entirely different passphrase".into(),
            &elsewhere,
        )
        .await
        .unwrap()
        .attempt;
    assert!(f
        .emergency
        .sign_in(
            &attempt_of(&f.emergency, &attempt).await,
            code.as_str(),
            &elsewhere
        )
        .await
        .is_err());
    // The owner's own session goes on.
    assert!(f.auth.authorize(&mine).await.is_ok());
}

async fn the_proof_code_goes_only_to_the_recovery_address(db: TestStore) {
    let f = target(db).await;
    // An old mailbox still on the account, confirmed but not the recovery address.
    f.store
        .add_contact(
            f.account,
            NewContact {
                value: Email::parse("old-mailbox@example.net").unwrap().into(),
                confirmed: true,
                is_recovery: false,
            },
        )
        .await
        .unwrap();
    let wizard = f
        .emergency
        .start(USERNAME, PASSWORD.into(), &from("198.51.100.7"))
        .await
        .unwrap();
    let view = f
        .emergency
        .wizard(&wizard_of(&f.emergency, &wizard).await)
        .await
        .unwrap();
    assert_eq!(view.proof_channels, vec!["t•••@example.org".to_string()]);
    let outbox = f.store.outbox_messages(100).await.unwrap();
    assert!(outbox.iter().any(|m| m.recipient == "target@example.org"));
    assert!(
        !outbox
            .iter()
            .any(|m| m.recipient == "old-mailbox@example.net"),
        "the old mailbox gets no proof code"
    );
}

async fn destructive_self_service_needs_a_recent_authentication(db: TestStore) {
    let f = target(db).await;
    let long_ago = Timestamp::from_millis(Timestamp::now().as_millis() - 20 * 60 * 1000);
    let old_store = f
        .store
        .clone()
        .with_clock(Arc::new(ManualClock::new(long_ago)));
    let account_id = f.account;
    let open = |store: crate::Store| async move { full_session(&store, account_id).await };
    let stale = open(old_store).await;
    // A second token, so that the last-token rule is not what refuses.
    let second = TotpSecret::generate();
    add_totp(
        &f.store,
        &f.cipher,
        f.account,
        &second,
        "Second",
        Some("Tablet"),
    )
    .await;
    let session = f
        .auth
        .authorize(&stale)
        .await
        .unwrap()
        .full()
        .expect("a full session");
    let tokens = TokenService::new(f.store.clone(), "https://id.example.org");
    let client = Client::default();
    assert!(matches!(
        tokens.remove(&session, f.token, &client).await,
        Err(crate::DomainError::NotRecent)
    ));
    assert!(matches!(
        tokens.lost_device(&session, "Tablet", &client).await,
        Err(crate::DomainError::NotRecent)
    ));
    assert!(matches!(
        f.auth
            .end_all_other_sessions(&session.clone().into(), &client)
            .await,
        Err(DomainError::NotRecent)
    ));
    assert_eq!(
        f.store.active_tokens(f.account).await.unwrap().len(),
        2,
        "nothing removed"
    );
    // A fresh sign-in may.
    let fresh = open(f.store.clone()).await;
    let session = f.auth.authorize(&fresh).await.unwrap();
    tokens.remove(&session, f.token, &client).await.unwrap();
}

/// Adds an active authenticator app on `device` to the target; returns it and its secret.
async fn app_on(f: &Fixture, device: &str) -> (crate::TokenId, TotpSecret) {
    let secret = TotpSecret::generate();
    let label = format!("App on {device}");
    let id = add_totp(
        &f.store,
        &f.cipher,
        f.account,
        &secret,
        &label,
        Some(device),
    )
    .await;
    (id, secret)
}

async fn freeze_blocks_one_device_signs_everyone_out_and_unlocks_nothing(db: TestStore) {
    let f = target(db).await;
    let (pixel, pixel_secret) = app_on(&f, "Pixel 7").await;
    let (tablet, _) = app_on(&f, "Tablet").await;
    let signed_in = full_session(&f.store, f.account).await;
    let client = from("203.0.113.1");
    // A wrong password gets nothing (the same answer and limits as sign-in).
    assert!(matches!(
        f.auth
            .check_password(USERNAME, "wrong".into(), &client)
            .await,
        Err(DomainError::InvalidCredentials)
    ));
    let attempt = f
        .auth
        .check_password(USERNAME, PASSWORD.into(), &client)
        .await
        .unwrap()
        .attempt;
    // A device without active tokens changes nothing.
    assert!(f
        .auth
        .freeze_device(&attempt_of(&f.auth, &attempt).await, "Nokia 3310", &client)
        .await
        .unwrap()
        .is_none());
    let blocked = f
        .auth
        .freeze_device(&attempt_of(&f.auth, &attempt).await, "Pixel 7", &client)
        .await
        .unwrap()
        .expect("blocked");
    assert_eq!(blocked.tokens.len(), 1);
    assert_eq!(blocked.tokens[0].id, pixel);
    assert_eq!(blocked.tokens[0].state, TokenState::Blocked);
    assert!(blocked.tokens[0].blocked_at.is_some());
    // Everyone is signed out, the attempt used is ended: nothing is unlocked.
    assert!(f.auth.authorize(&signed_in).await.is_err());
    assert!(matches!(
        f.auth.attempt(&attempt).await,
        Err(DomainError::AttemptExpired)
    ));
    // The blocked app cannot sign in and is not offered; the tablet's still is.
    let attempt = f
        .auth
        .check_password(USERNAME, PASSWORD.into(), &client)
        .await
        .unwrap()
        .attempt;
    let pending = f
        .auth
        .pending(&attempt_of(&f.auth, &attempt).await)
        .await
        .unwrap();
    assert!(pending.tokens.iter().all(|t| t.id != pixel));
    assert!(pending.tokens.iter().any(|t| t.id == tablet));
    let now = Timestamp::now().unix_secs();
    assert!(matches!(
        f.auth
            .verify_totp(
                &attempt_of(&f.auth, &attempt).await,
                pixel,
                &pixel_secret.code_at(now),
                &client
            )
            .await,
        Err(DomainError::UnusableToken)
    ));
    // Told and audited.
    let outbox = f.store.outbox_messages(100).await.unwrap();
    assert!(outbox.iter().any(|m| m.recipient == "target@example.org"
        && m.subject.as_deref().is_some_and(|s| s.contains("blocked"))));
    let events = f
        .store
        .audit_events(AuditQuery {
            subject: Some(f.account),
            action: Some(AuditAction::TokenBlocked),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(events.len(), 1);
}

async fn a_blocked_token_is_unblocked_only_after_a_recovery_or_removed(db: TestStore) {
    let f = target(db).await;
    let (pixel, _) = app_on(&f, "Pixel 7").await;
    let (tablet, _) = app_on(&f, "Tablet").await;
    let attempt = f
        .auth
        .check_password(USERNAME, PASSWORD.into(), &Client::default())
        .await
        .unwrap()
        .attempt;
    f.auth
        .freeze_device(
            &attempt_of(&f.auth, &attempt).await,
            "Pixel 7",
            &Client::default(),
        )
        .await
        .unwrap()
        .unwrap();
    let tokens = TokenService::new(f.store.clone(), "https://id.example.org");
    // A session signed in long ago may not unblock (it is no recovery).
    let long_ago = Timestamp::from_millis(Timestamp::now().as_millis() - 20 * 60 * 1000);
    let stale = full_session(
        &f.store
            .clone()
            .with_clock(Arc::new(ManualClock::new(long_ago))),
        f.account,
    )
    .await;
    let stale = f.auth.authorize(&stale).await.unwrap();
    assert!(matches!(
        tokens.unblock(&stale, pixel, &Client::default()).await,
        Err(crate::DomainError::NotRecent)
    ));
    // A fresh sign-in (with the tablet) may; an active or unknown token is not "blocked".
    let fresh = full_session(&f.store, f.account).await;
    let fresh = f.auth.authorize(&fresh).await.unwrap();
    assert!(matches!(
        tokens.unblock(&fresh, tablet, &Client::default()).await,
        Err(crate::DomainError::NotFound(_))
    ));
    assert_eq!(tokens.blocked(&fresh).await.unwrap().len(), 1);
    let again = tokens
        .unblock(&fresh, pixel, &Client::default())
        .await
        .unwrap();
    assert_eq!((again.state, again.blocked_at), (TokenState::Active, None));
    assert!(
        f.store.token_secret(pixel).await.unwrap().is_some(),
        "the seed was kept"
    );
    // Blocked again, it can also be removed, even though the tablet is the only active one left
    // only if the blocked one is what goes.
    let attempt = f
        .auth
        .check_password(USERNAME, PASSWORD.into(), &Client::default())
        .await
        .unwrap()
        .attempt;
    f.auth
        .freeze_device(
            &attempt_of(&f.auth, &attempt).await,
            "Pixel 7",
            &Client::default(),
        )
        .await
        .unwrap()
        .unwrap();
    let fresh = full_session(&f.store, f.account).await;
    let fresh = f.auth.authorize(&fresh).await.unwrap();
    tokens
        .remove(&fresh, pixel, &Client::default())
        .await
        .unwrap();
    assert!(tokens.blocked(&fresh).await.unwrap().is_empty());
}

/// A full session of `account`, signed in now on `store`'s clock.
async fn full_session(store: &crate::Store, account: crate::AccountId) -> SessionToken {
    store
        .create_session(NewSession {
            account_id: account,
            scope: SessionScope::Full,
            ip: None,
            user_agent: None,
            second_factor: None,
        })
        .await
        .unwrap()
}
