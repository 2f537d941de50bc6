//! The restricted session follows the reason given in the wizard (issue 14 item 3), on SQLite
//! and on PostgreSQL: a stolen phone's session may change the password and sign out everywhere
//! (and "this was not me" puts the password back); no other restricted session may.

use crate::testing::{attempt_of, wizard_of};
use std::time::Duration;

use super::*;
use crate::testing::{self, contact, recovery, world_fixture, TestStore, World, PASSWORD};
use crate::{AuditAction, Role, TokenKind};

on_both_backends!(
    a_stolen_phone_session_changes_the_password_and_signs_out_everywhere,
    no_other_restricted_session_may_change_the_password_or_end_sessions,
    this_was_not_me_puts_back_the_password_a_stolen_phone_session_chose,
    a_new_number_is_replaced_by_an_sms_token_and_blocking_counts_as_removing,
);

world_fixture!(
    struct Fixture {
        alice: Account,
    }
);

const NEW_PASSWORD: &str = "a completely different passphrase";

fn client() -> Client {
    testing::client("192.0.2.10", "Firefox/140.0")
}

/// Alice: recovery address, phone, and an authenticator app on the phone.
async fn fixture(db: TestStore) -> Fixture {
    let policy = EmergencyPolicy {
        wait_unknown: Duration::ZERO,
        ..EmergencyPolicy::SELF_SERVICE_DEFAULT
    };
    let w = World::with_policy(db, policy);
    let alice = w
        .member(
            "alice",
            "Alice Example",
            Role::User,
            vec![
                recovery("alice@example.org"),
                contact("+420601000111", true),
            ],
        )
        .await;
    w.with_totp(alice.id, "Authenticator", Some("Old phone"))
        .await;
    Fixture { w, alice }
}

/// Walks the wizard with `reason`, signs in with the code: the restricted session's token.
async fn restricted(f: &Fixture, reason: &str) -> SessionToken {
    let wizard = f
        .emergency
        .start("alice", PASSWORD.into(), &client())
        .await
        .unwrap();
    let messages = f.store.outbox_messages(1000).await.unwrap();
    let proof = messages
        .iter()
        .find(|m| m.recipient == "alice@example.org")
        .and_then(|m| {
            m.body
                .split_whitespace()
                .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        })
        .expect("a proof code")
        .to_owned();
    f.emergency
        .prove(&wizard_of(&f.emergency, &wizard).await, &proof, &client())
        .await
        .unwrap();
    let text = if reason == "other" {
        "It fell into the river"
    } else {
        ""
    };
    f.emergency
        .choose_reason(
            &wizard_of(&f.emergency, &wizard).await,
            reason,
            text,
            &client(),
        )
        .await
        .unwrap();
    let code = f
        .emergency
        .take_code(&wizard_of(&f.emergency, &wizard).await)
        .await
        .unwrap()
        .unwrap();
    let attempt = f
        .auth
        .check_password("alice", PASSWORD.into(), &client())
        .await
        .unwrap()
        .attempt;
    let (_, token) = f
        .emergency
        .sign_in(
            &attempt_of(&f.emergency, &attempt).await,
            &code.grouped(),
            &client(),
        )
        .await
        .unwrap();
    token
}

async fn caller(f: &Fixture, token: &SessionToken) -> SignedIn {
    f.auth.authorize(token).await.expect("signed in")
}

/// The restricted session's banner and checklist.
async fn status(f: &Fixture, token: &SessionToken) -> RecoveryStatus {
    f.emergency
        .status(&caller(f, token).await)
        .await
        .unwrap()
        .expect("a restricted session")
}

async fn checklist(f: &Fixture, token: &SessionToken) -> Vec<(RecoveryStep, bool)> {
    status(f, token)
        .await
        .checklist()
        .iter()
        .map(|i| (i.step, i.done))
        .collect()
}

async fn security(f: &Fixture, token: &SessionToken) -> Result<SecuritySession, DomainError> {
    f.emergency
        .require_security(caller(f, token).await, "/api/change_password", &client())
        .await
}

async fn a_stolen_phone_session_changes_the_password_and_signs_out_everywhere(db: TestStore) {
    let f = fixture(db).await;
    // The thief's browser still holds a full session of Alice's.
    let (thief, _) = f.session(&f.alice, SessionScope::Full).await;
    let token = restricted(&f, "stolen_phone").await;
    assert_eq!(
        checklist(&f, &token).await,
        [
            (RecoveryStep::RemoveLost, false),
            (RecoveryStep::ChangePassword, false),
            (RecoveryStep::SignOutEverywhere, false),
            (RecoveryStep::EnrolNew, false),
        ]
    );
    let secure = security(&f, &token).await.expect("a stolen phone may");

    // A wrong current password changes nothing.
    let wrong = f
        .auth
        .change_password(
            &secure,
            "not it".into(),
            NEW_PASSWORD.into(),
            false,
            &client(),
        )
        .await;
    assert!(
        matches!(wrong, Err(DomainError::InvalidCredentials)),
        "{wrong:?}"
    );
    assert_eq!(
        checklist(&f, &token).await[1],
        (RecoveryStep::ChangePassword, false)
    );

    f.auth
        .change_password(
            &secure,
            PASSWORD.into(),
            NEW_PASSWORD.into(),
            false,
            &client(),
        )
        .await
        .unwrap();
    // The restricted session and its code live on; the thief's session too, until signed out.
    caller(&f, &token).await;
    f.auth
        .authorize(&thief)
        .await
        .expect("not asked to end it yet");
    assert_eq!(
        checklist(&f, &token).await[1],
        (RecoveryStep::ChangePassword, true)
    );
    assert!(
        f.auth
            .check_password("alice", PASSWORD.into(), &client())
            .await
            .is_err(),
        "the old password no longer signs in"
    );
    f.auth
        .check_password("alice", NEW_PASSWORD.into(), &client())
        .await
        .expect("the new one does");

    assert_eq!(
        f.auth
            .end_all_other_sessions(&secure, &client())
            .await
            .unwrap(),
        1
    );
    assert!(f.auth.authorize(&thief).await.is_err(), "the thief is out");
    assert_eq!(
        checklist(&f, &token).await[2],
        (RecoveryStep::SignOutEverywhere, true)
    );

    // Finishing waits for the lost tokens to go and a new one to come.
    let restricted_caller = caller(&f, &token).await.emergency().unwrap();
    assert!(matches!(
        f.emergency
            .finish(&restricted_caller, false, &client())
            .await,
        Err(DomainError::RecoveryStepsLeft)
    ));
    let old = f.store.active_tokens(f.alice.id).await.unwrap()[0].id;
    f.tokens
        .block(&caller(&f, &token).await, old, &client())
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(60));
    f.with_totp(f.alice.id, "Authenticator", Some("New phone"))
        .await;
    assert!(checklist(&f, &token).await.iter().all(|(_, done)| *done));
    // Another full session appears meanwhile: finishing ends it even when not asked to.
    let (later, _) = f.session(&f.alice, SessionScope::Full).await;
    f.emergency
        .finish(&restricted_caller, false, &client())
        .await
        .unwrap();
    assert!(f.auth.authorize(&later).await.is_err());
    assert!(f.auth.authorize(&token).await.is_err());
    let changed = f.events(AuditAction::PasswordChanged).await;
    assert_eq!(changed[0].details["restricted_session"], true);
}

async fn no_other_restricted_session_may_change_the_password_or_end_sessions(db: TestStore) {
    let f = fixture(db).await;
    for reason in ["lost_phone", "new_phone_number", "new_email", "other"] {
        // Each wizard's code replaces the one before.
        let token = restricted(&f, reason).await;
        let denied_before = f.events(AuditAction::AccessDenied).await.len();
        assert!(
            matches!(security(&f, &token).await, Err(DomainError::Restricted)),
            "{reason}"
        );
        assert_eq!(
            f.events(AuditAction::AccessDenied).await.len(),
            denied_before + 1,
            "the refusal is audited ({reason})"
        );
        let status = status(&f, &token).await;
        assert!(!status.may_secure_account());
        assert!(
            !status
                .checklist()
                .iter()
                .any(|i| i.step == RecoveryStep::ChangePassword),
            "{reason}"
        );
    }
    // A full session may, as always.
    let (full, _) = f.session(&f.alice, SessionScope::Full).await;
    security(&f, &full).await.expect("a full session may");
}

async fn this_was_not_me_puts_back_the_password_a_stolen_phone_session_chose(db: TestStore) {
    let f = fixture(db).await;
    let before = f
        .store
        .account_by_id(f.alice.id)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    // An attacker with the password and the old mailbox asks for a code "for a stolen phone"
    // and changes the password twice.
    let token = restricted(&f, "stolen_phone").await;
    let secure = security(&f, &token).await.unwrap();
    f.auth
        .change_password(
            &secure,
            PASSWORD.into(),
            NEW_PASSWORD.into(),
            true,
            &client(),
        )
        .await
        .unwrap();
    // (Each request reads the account afresh.)
    let secure = security(&f, &token).await.unwrap();
    f.auth
        .change_password(
            &secure,
            NEW_PASSWORD.into(),
            "yet another passphrase".into(),
            true,
            &client(),
        )
        .await
        .unwrap();
    // Alice's "this was not me" link, from the notice the code's issue sent.
    let messages = f.store.outbox_messages(1000).await.unwrap();
    let link = messages
        .iter()
        .flat_map(|m| m.body.split_whitespace())
        .find(|w| w.contains("/emergency/cancel?t="))
        .expect("the notice carries the link")
        .to_owned();
    let link_token = link.split("t=").nth(1).unwrap();
    let CancelOutcome::Undone(undone) = f.emergency.cancel(link_token, &client()).await.unwrap()
    else {
        panic!("undone");
    };
    assert!(undone.password_restored);
    let after = f.store.account_by_id(f.alice.id).await.unwrap().unwrap();
    assert_eq!(
        after.password_hash.as_str(),
        before.as_str(),
        "her own password is back"
    );
    assert_eq!(after.state, crate::AccountState::Locked);
    assert!(f.auth.authorize(&token).await.is_err());
}

async fn a_new_number_is_replaced_by_an_sms_token_and_blocking_counts_as_removing(db: TestStore) {
    let f = fixture(db).await;
    let old_sms =
        testing::add_token(&f.store, f.alice.id, TokenKind::Sms, "Old number", None).await;
    let token = restricted(&f, "new_phone_number").await;
    assert_eq!(
        checklist(&f, &token).await,
        [
            (RecoveryStep::RemoveOldSms, false),
            (RecoveryStep::AddSms, false)
        ]
    );
    f.clock.advance(Duration::from_secs(60));
    f.with_totp(f.alice.id, "Authenticator", Some("Same phone"))
        .await;
    let now = status(&f, &token).await;
    assert!(
        !now.may_finish(),
        "an app token does not replace the SMS token"
    );
    f.tokens
        .block(&caller(&f, &token).await, old_sms, &client())
        .await
        .unwrap();
    assert_eq!(
        checklist(&f, &token).await[0],
        (RecoveryStep::RemoveOldSms, true)
    );
    testing::add_token(&f.store, f.alice.id, TokenKind::Sms, "New number", None).await;
    let now = status(&f, &token).await;
    assert_eq!(now.changes.added.sms, 1);
    assert_eq!(now.changes.removed.sms, 1);
    assert!(now.may_finish());
}
