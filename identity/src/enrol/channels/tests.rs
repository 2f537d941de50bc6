//! SMS and e-mail tokens, contacts and password re-entry, on both backends: each body runs as a
//! `…_on_sqlite` and a `…_on_postgres` test, each on its own fresh database.

use std::time::Duration;

use super::super::{DomainError, NewOobToken};
use crate::testing::{self, recovery, world_fixture, TestStore, World, PASSWORD};
use crate::{
    Account, AuditAction, AuditOutcome, AuditQuery, Client, ContactKind, Role, SessionScope,
    SignedIn, TokenKind, TokenState,
};

world_fixture!(
    struct Fixture {
        erin: Account,
        /// Erin's full, recent session.
        caller: SignedIn,
        bob: Account,
        bob_caller: SignedIn,
    }
);

fn client() -> Client {
    testing::client("192.0.2.7", "test")
}

/// Erin and Bob, each with a recovery address and a full session.
async fn fixture(db: TestStore) -> Fixture {
    let w = World::new(db);
    let mut accounts = Vec::new();
    for name in ["erin", "bob"] {
        let contacts = vec![recovery(&format!("{name}@example.org"))];
        let account = w.member(name, name, Role::User, contacts).await;
        let (_, caller) = w.session(&account, SessionScope::Full).await;
        accounts.push((account, caller));
    }
    let (bob, bob_caller) = accounts.pop().unwrap();
    let (erin, caller) = accounts.pop().unwrap();
    Fixture {
        w,
        erin,
        caller,
        bob,
        bob_caller,
    }
}

/// Erin's session as the store has it now (after a re-entry of her password, say).
async fn erin_now(f: &Fixture) -> SignedIn {
    let session = f.store.sessions(f.erin.id).await.unwrap().remove(0);
    testing::caller(&session, &f.erin)
}

/// The code in the newest message to `recipient`, and how many messages it got.
async fn code_sent_to(db: &TestStore, recipient: &str) -> (String, usize) {
    let messages: Vec<_> = db
        .outbox_messages(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|m| m.recipient == recipient)
        .collect();
    let newest = messages.first().expect("a message was queued");
    let digits: Vec<char> = newest.body.chars().collect();
    let code = digits
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect::<String>())
        .expect("the message carries a 6-digit code");
    (code, messages.len())
}

async fn count_to(db: &TestStore, recipient: &str) -> usize {
    db.outbox_messages(100)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.recipient == recipient)
        .count()
}

fn other_code(code: &str) -> String {
    if code == "000000" { "111111" } else { "000000" }.to_string()
}

on_both_backends!(
    oob1_rb2_sms_token_is_active_only_after_its_code_and_tells_the_old_channels,
    email_token_unfinished_after_ten_minutes_is_never_usable,
    bad_input_changes_nothing_and_costs_no_send,
    oob9_sends_are_rate_limited,
    oob6_resend_replaces_the_code_and_keeps_the_failure_count,
    oob7_only_a_keyed_hash_of_the_code_is_stored,
    rb1_not_recent_is_refused_until_the_password_is_entered_again,
    contacts_add_confirm_recovery_and_remove,
    ac2_another_accounts_contact_or_token_is_not_found_and_untouched,
);

async fn oob1_rb2_sms_token_is_active_only_after_its_code_and_tells_the_old_channels(
    db: TestStore,
) {
    let f = fixture(db).await;
    let token = f
        .enrol
        .start_oob(
            &f.caller,
            NewOobToken {
                kind: TokenKind::Sms,
                target: " +420 601 555-123 ",
                label: "Work phone",
                device: "Pixel 9",
            },
            &client(),
        )
        .await
        .unwrap();
    assert_eq!(token.state, TokenState::Pending);
    assert_eq!(token.target.as_deref(), Some("+420601555123"));
    assert!(f.db.active_tokens(f.erin.id).await.unwrap().is_empty());
    assert_eq!(
        f.enrol.pending_oob(&f.caller).await.unwrap().map(|t| t.id),
        Some(token.id)
    );
    let (code, _) = code_sent_to(&f.db, "+420601555123").await;
    // Nothing told yet: nothing was added.
    assert_eq!(count_to(&f.db, "erin@example.org").await, 0);

    let wrong = f
        .enrol
        .finish_oob(&f.caller, token.id, &other_code(&code), &client())
        .await;
    assert!(matches!(wrong, Err(DomainError::InvalidCode)), "{wrong:?}");
    assert!(f.db.active_tokens(f.erin.id).await.unwrap().is_empty());

    let active = f
        .enrol
        .finish_oob(&f.caller, token.id, &code, &client())
        .await
        .unwrap();
    assert_eq!(active.state, TokenState::Active);
    assert_eq!(active.device.as_deref(), Some("Pixel 9"));
    // RB-2: the address the account had is told; the new number only got its code.
    assert_eq!(count_to(&f.db, "erin@example.org").await, 1);
    assert_eq!(count_to(&f.db, "+420601555123").await, 1);
    // Once used, the code is worth nothing.
    let again = f
        .enrol
        .finish_oob(&f.caller, token.id, &code, &client())
        .await;
    assert!(matches!(again, Err(DomainError::NotFound(_))), "{again:?}");
    let added =
        f.db.audit_events(AuditQuery {
            subject: Some(f.erin.id),
            action: Some(AuditAction::TokenAdded),
            ..Default::default()
        })
        .await
        .unwrap();
    let outcomes: Vec<_> = added.iter().map(|e| e.outcome).collect();
    assert!(outcomes.contains(&AuditOutcome::Success));
    assert!(outcomes.contains(&AuditOutcome::Failure));
}

async fn email_token_unfinished_after_ten_minutes_is_never_usable(db: TestStore) {
    let f = fixture(db).await;
    let token = f
        .enrol
        .start_oob(
            &f.caller,
            NewOobToken {
                kind: TokenKind::Email,
                target: "Codes@Example.ORG",
                label: "Work email",
                device: "",
            },
            &client(),
        )
        .await
        .unwrap();
    assert_eq!(token.target.as_deref(), Some("Codes@example.org"));
    let (code, _) = code_sent_to(&f.db, "Codes@example.org").await;
    // Re-authenticating keeps the session recent; the pending token still runs out.
    f.clock.advance(Duration::from_secs(9 * 60));
    f.enrol
        .reauthenticate(&f.caller, PASSWORD.into(), &client())
        .await
        .unwrap();
    let session = erin_now(&f).await;
    f.clock.advance(Duration::from_secs(2 * 60));
    assert!(f.enrol.is_recent(session.session()));
    assert!(f.enrol.pending_oob(&f.caller).await.unwrap().is_none());
    let late = f
        .enrol
        .finish_oob(&session, token.id, &code, &client())
        .await;
    assert!(late.is_err(), "{late:?}");
    let tokens = f.db.tokens(f.erin.id).await.unwrap();
    assert_eq!(tokens.len(), 1);
    assert_eq!(tokens[0].state, TokenState::Pending);
    assert!(f.db.active_tokens(f.erin.id).await.unwrap().is_empty());
}

async fn bad_input_changes_nothing_and_costs_no_send(db: TestStore) {
    let f = fixture(db).await;
    for (kind, target) in [
        (TokenKind::Sms, "0601 555 123"),
        (TokenKind::Sms, "+420 601 abc"),
        (TokenKind::Email, "nobody"),
        (TokenKind::Email, "a@b\r\nBcc: x@y.org"),
        (TokenKind::Totp, "+420601555123"),
    ] {
        let err = f
            .enrol
            .start_oob(
                &f.caller,
                NewOobToken {
                    kind,
                    target,
                    label: "Phone",
                    device: "",
                },
                &client(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Invalid(_) | DomainError::InvalidInput { .. }
            ),
            "{target}: {err:?}"
        );
    }
    let err = f
        .enrol
        .start_oob(
            &f.caller,
            NewOobToken {
                kind: TokenKind::Sms,
                target: "+420601555123",
                label: "",
                device: "",
            },
            &client(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Invalid(_) | DomainError::InvalidInput { .. }
        ),
        "{err:?}"
    );
    let err = f
        .enrol
        .add_contact(&f.caller, ContactKind::Phone, "12345", &client())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Invalid(_) | DomainError::InvalidInput { .. }
        ),
        "{err:?}"
    );
    // Adding the address the account already has is refused with a clear message.
    let err = f
        .enrol
        .add_contact(&f.caller, ContactKind::Email, "erin@EXAMPLE.org", &client())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DomainError::Invalid(m) if m.contains("already")),
        "{err:?}"
    );
    assert!(f.db.tokens(f.erin.id).await.unwrap().is_empty());
    assert_eq!(f.db.contacts(f.erin.id).await.unwrap().len(), 1);
    assert!(f.db.outbox_messages(10).await.unwrap().is_empty());
    let sends =
        f.db.throttle_record(&crate::ThrottleKey::account_sends(f.erin.id))
            .await
            .unwrap();
    assert!(sends.is_none(), "{sends:?}");
}

async fn oob9_sends_are_rate_limited(db: TestStore) {
    let f = fixture(db).await;
    let token = f
        .enrol
        .start_oob(
            &f.caller,
            NewOobToken {
                kind: TokenKind::Sms,
                target: "+420601555123",
                label: "Phone",
                device: "",
            },
            &client(),
        )
        .await
        .unwrap();
    let mut refused = 0;
    for _ in 0..20 {
        match f.enrol.resend_oob(&f.caller, token.id, &client()).await {
            Ok(_) => {}
            Err(DomainError::RateLimited { retry_after_secs }) => {
                assert!(retry_after_secs > 0);
                refused += 1;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    // 5 sends per account per 15 minutes (the sign-in codes' limit, shared).
    assert_eq!(count_to(&f.db, "+420601555123").await, 5);
    assert_eq!(refused, 16);
    let err = f
        .enrol
        .add_contact(
            &f.caller,
            ContactKind::Email,
            "other@example.org",
            &client(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::RateLimited { .. }), "{err:?}");
    assert_eq!(f.db.contacts(f.erin.id).await.unwrap().len(), 1);
}

async fn oob6_resend_replaces_the_code_and_keeps_the_failure_count(db: TestStore) {
    let f = fixture(db).await;
    let contact = f
        .enrol
        .add_contact(&f.caller, ContactKind::Phone, "+420601555123", &client())
        .await
        .unwrap();
    let (old, _) = code_sent_to(&f.db, "+420601555123").await;
    let wrong = other_code(&old);
    for _ in 0..3 {
        let err = f
            .enrol
            .confirm_contact(&f.caller, contact.id, &wrong, &client())
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::InvalidCode), "{err:?}");
    }
    f.enrol
        .resend_contact_code(&f.caller, contact.id, &client())
        .await
        .unwrap();
    let (new, count) = code_sent_to(&f.db, "+420601555123").await;
    assert_eq!(count, 2);
    if new != old {
        // The old code no longer works (failure 4).
        let err = f
            .enrol
            .confirm_contact(&f.caller, contact.id, &old, &client())
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::InvalidCode), "{err:?}");
    } else {
        let err = f
            .enrol
            .confirm_contact(&f.caller, contact.id, &wrong, &client())
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::InvalidCode), "{err:?}");
    }
    // Failure 5: the count survived the resend, so the row is now used up.
    let err = f
        .enrol
        .confirm_contact(&f.caller, contact.id, &other_code(&new), &client())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::InvalidCode), "{err:?}");
    let err = f
        .enrol
        .confirm_contact(&f.caller, contact.id, &new, &client())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::UsedUp), "{err:?}");
    assert!(!f.db.contacts(f.erin.id).await.unwrap()[1].confirmed);
}

async fn oob7_only_a_keyed_hash_of_the_code_is_stored(db: TestStore) {
    let f = fixture(db).await;
    f.enrol
        .add_contact(&f.caller, ContactKind::Email, "new@example.org", &client())
        .await
        .unwrap();
    let (code, _) = code_sent_to(&f.db, "new@example.org").await;
    let rows = testing::raw_rows(&f.db, "confirmation_codes").await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].contains(&code), "{}", rows[0]);
}

async fn rb1_not_recent_is_refused_until_the_password_is_entered_again(db: TestStore) {
    let f = fixture(db).await;
    f.clock.advance(Duration::from_secs(10 * 60));
    assert!(!f.enrol.is_recent(f.caller.session()));
    let err = f
        .enrol
        .start_oob(
            &f.caller,
            NewOobToken {
                kind: TokenKind::Sms,
                target: "+420601555123",
                label: "Phone",
                device: "",
            },
            &client(),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::NotRecent), "{err:?}");
    let err = f
        .enrol
        .add_contact(&f.caller, ContactKind::Email, "new@example.org", &client())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::NotRecent), "{err:?}");
    // A wrong password changes nothing.
    let err = f
        .enrol
        .reauthenticate(&f.caller, "wrong password!".into(), &client())
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::WrongPassword), "{err:?}");
    let session = erin_now(&f).await;
    assert!(session.session().reauthenticated_at.is_none());
    assert!(!f.enrol.is_recent(session.session()));
    f.enrol
        .reauthenticate(&session, PASSWORD.into(), &client())
        .await
        .unwrap();
    let session = erin_now(&f).await;
    assert!(f.enrol.is_recent(session.session()));
    f.enrol
        .add_contact(&session, ContactKind::Email, "new@example.org", &client())
        .await
        .unwrap();
    // Bob's session is not made recent by Erin's password.
    assert!(!f.enrol.is_recent(
        &f.store
            .sessions(f.bob.id)
            .await
            .unwrap()
            .into_iter()
            .find(|s| s.id == f.bob_caller.session_id())
            .unwrap()
    ));
    let events =
        f.db.audit_events(AuditQuery {
            subject: Some(f.erin.id),
            action: Some(AuditAction::Reauthenticated),
            ..Default::default()
        })
        .await
        .unwrap();
    let mut outcomes: Vec<_> = events.iter().map(|e| e.outcome).collect();
    outcomes.sort_by_key(|o| o.as_str());
    assert_eq!(outcomes, [AuditOutcome::Failure, AuditOutcome::Success]);
    // Throttled like sign-in: many wrong passwords get delays.
    let mut limited = false;
    for _ in 0..30 {
        if let Err(DomainError::RateLimited { .. }) = f
            .enrol
            .reauthenticate(&session, "wrong password!".into(), &client())
            .await
        {
            limited = true;
            break;
        }
    }
    assert!(limited, "wrong passwords are never delayed");
}

async fn contacts_add_confirm_recovery_and_remove(db: TestStore) {
    let f = fixture(db).await;
    let phone = f
        .enrol
        .add_contact(&f.caller, ContactKind::Phone, "+1 415 555 2671", &client())
        .await
        .unwrap();
    assert!(!phone.confirmed);
    assert_eq!(phone.value, "+14155552671");
    let (code, _) = code_sent_to(&f.db, "+14155552671").await;
    // An unconfirmed contact cannot be the recovery address.
    let err = f
        .enrol
        .set_recovery_address(&f.caller, phone.id, &client())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Invalid(_) | DomainError::InvalidInput { .. }
        ),
        "{err:?}"
    );
    let confirmed = f
        .enrol
        .confirm_contact(&f.caller, phone.id, &code, &client())
        .await
        .unwrap();
    assert!(confirmed.confirmed);
    // RB-2: the address the account had is told; the new number got only its code.
    assert_eq!(count_to(&f.db, "erin@example.org").await, 1);
    assert_eq!(count_to(&f.db, "+14155552671").await, 1);
    // A phone number is never the recovery address.
    let err = f
        .enrol
        .set_recovery_address(&f.caller, phone.id, &client())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::Invalid(_) | DomainError::InvalidInput { .. }
        ),
        "{err:?}"
    );

    let work = f
        .enrol
        .add_contact(
            &f.caller,
            ContactKind::Email,
            "erin@work.example",
            &client(),
        )
        .await
        .unwrap();
    let (code, _) = code_sent_to(&f.db, "erin@work.example").await;
    f.enrol
        .confirm_contact(&f.caller, work.id, &code, &client())
        .await
        .unwrap();
    // Both earlier channels were told.
    assert_eq!(count_to(&f.db, "erin@example.org").await, 2);
    assert_eq!(count_to(&f.db, "+14155552671").await, 2);
    let recovery = f
        .enrol
        .set_recovery_address(&f.caller, work.id, &client())
        .await
        .unwrap();
    assert!(recovery.is_recovery);
    assert_eq!(
        f.db.recovery_address(f.erin.id)
            .await
            .unwrap()
            .map(|e| e.as_str().to_owned()),
        Some("erin@work.example".into())
    );
    let contacts = f.db.contacts(f.erin.id).await.unwrap();
    assert_eq!(contacts.iter().filter(|c| c.is_recovery).count(), 1);

    let removed = f
        .enrol
        .remove_contact(&f.caller, work.id, &client())
        .await
        .unwrap();
    assert!(removed.is_recovery);
    assert!(f.db.recovery_address(f.erin.id).await.unwrap().is_none());
    assert_eq!(f.db.contacts(f.erin.id).await.unwrap().len(), 2);
    // The removed address was told too: it was a channel the account had.
    assert_eq!(count_to(&f.db, "erin@work.example").await, 3);
    for action in [
        AuditAction::ContactAdded,
        AuditAction::ContactRemoved,
        AuditAction::RecoveryAddressSet,
    ] {
        let events =
            f.db.audit_events(AuditQuery {
                subject: Some(f.erin.id),
                action: Some(action),
                ..Default::default()
            })
            .await
            .unwrap();
        assert!(!events.is_empty(), "{action}");
    }
}

async fn ac2_another_accounts_contact_or_token_is_not_found_and_untouched(db: TestStore) {
    let f = fixture(db).await;
    let bob_phone = f
        .enrol
        .add_contact(
            &f.bob_caller,
            ContactKind::Phone,
            "+420601000999",
            &client(),
        )
        .await
        .unwrap();
    let (code, _) = code_sent_to(&f.db, "+420601000999").await;
    let bob_token = f
        .enrol
        .start_oob(
            &f.bob_caller,
            NewOobToken {
                kind: TokenKind::Email,
                target: "bob-codes@example.org",
                label: "Mail",
                device: "",
            },
            &client(),
        )
        .await
        .unwrap();
    let (token_code, _) = code_sent_to(&f.db, "bob-codes@example.org").await;
    let bob_email = f.db.contacts(f.bob.id).await.unwrap()[0].id;
    let e = &f.enrol;
    let c = client();
    assert!(matches!(
        e.confirm_contact(&f.caller, bob_phone.id, &code, &c).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        e.resend_contact_code(&f.caller, bob_phone.id, &c).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        e.remove_contact(&f.caller, bob_email, &c).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        e.set_recovery_address(&f.caller, bob_email, &c).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        e.finish_oob(&f.caller, bob_token.id, &token_code, &c).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        e.resend_oob(&f.caller, bob_token.id, &c).await,
        Err(DomainError::NotFound(_))
    ));
    // Bob's rows are as they were, and his codes still work for him.
    assert_eq!(f.db.contacts(f.bob.id).await.unwrap().len(), 2);
    assert!(f.db.recovery_address(f.bob.id).await.unwrap().is_some());
    e.confirm_contact(&f.bob_caller, bob_phone.id, &code, &c)
        .await
        .unwrap();
    e.finish_oob(&f.bob_caller, bob_token.id, &token_code, &c)
        .await
        .unwrap();
    assert!(f.db.contacts(f.erin.id).await.unwrap().len() == 1);
}
