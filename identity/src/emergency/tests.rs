//! Emergency Access through [`EmergencyAccess`], on SQLite and on PostgreSQL.

use crate::testing::{attempt_of, wizard_of};
use std::time::Duration;

use super::*;
use crate::testing::{
    self, contact, execute_raw, raw_rows, recovery, world_fixture, TestStore, World, PASSWORD,
};
use crate::{Role, TokenKind};

on_both_backends!(
    rb3_the_whole_wizard_issues_one_code_shown_once,
    wizard_step_one_is_uniform_and_steps_cannot_be_skipped,
    rb3_a_wrong_or_expired_proof_code_gets_no_code,
    wizard_without_recovery_address_sends_nothing,
    wizard_expires_after_15_minutes,
    ec4_uses_are_counted_and_a_used_up_code_is_refused,
    ec4_race_n_plus_one_parallel_uses_succeed_n_times,
    ec5_expiry_at_plus_minus_one_second,
    ec9_a_new_code_revokes_the_old_one_and_its_sessions,
    ec10_a_code_works_only_for_its_own_account,
    ec11_restricted_session_idles_out_and_dies_with_its_code,
    rb5_the_not_me_link_revokes_the_code,
    ec12_finish_needs_a_new_token_then_revokes_the_code,
    rl7_wizard_starts_are_limited_per_account,
    waiting_period_delays_validity,
    rl3_a_blocked_totp_factor_leaves_emergency_access_usable,
    second_step_takes_the_otp_or_an_emergency_code,
);

world_fixture!(
    struct Fixture {
        alice: Account,
        bob: Account,
    }
);

fn client() -> Client {
    testing::client("192.0.2.9", "Firefox/140.0")
}

/// Alice (recovery address, phone, authenticator app) and Bob (recovery address, app).
async fn fixture_with(db: TestStore, policy: EmergencyPolicy) -> Fixture {
    let w = World::with_policy(db, policy);
    let mut accounts = Vec::new();
    for (name, phone) in [("alice", Some("+420601000111")), ("bob", None)] {
        let mut contacts = vec![recovery(&format!("{name}@example.org"))];
        contacts.extend(phone.map(|p| contact(p, true)));
        let account = w
            .member(name, &format!("{name} Example"), Role::User, contacts)
            .await;
        w.with_totp(account.id, "Authenticator", Some("Lost phone"))
            .await;
        accounts.push(account);
    }
    let bob = accounts.pop().unwrap();
    let alice = accounts.pop().unwrap();
    Fixture { w, alice, bob }
}

/// The default self-service policy without the unknown browser's wait: these tests walk the
/// wizard from a browser that never signed in, and are about everything but that wait (which
/// `crate::browsers::tests` covers).
const TRUSTING: EmergencyPolicy = EmergencyPolicy {
    wait_unknown: Duration::ZERO,
    ..EmergencyPolicy::SELF_SERVICE_DEFAULT
};

async fn fixture(db: TestStore) -> Fixture {
    fixture_with(db, TRUSTING).await
}

/// The newest 6-digit proof code queued for `to` (the outbox lists newest first).
async fn proof_code_for(store: &Store, to: &str) -> String {
    let messages = store.outbox_messages(1000).await.unwrap();
    let body = messages
        .iter()
        .find(|m| m.recipient == to && m.subject.as_deref().unwrap_or("").contains("confirmation"))
        .map(|m| m.body.clone())
        .expect("a proof code was queued");
    body.split_whitespace()
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .expect("the e-mail carries 6 digits")
        .to_owned()
}

/// Runs the wizard for `name` to the end and returns the code shown.
async fn issue(f: &Fixture, name: &str) -> String {
    let wizard = f
        .emergency
        .start(name, PASSWORD.into(), &client())
        .await
        .unwrap();
    let code = proof_code_for(&f.store, &format!("{name}@example.org")).await;
    f.emergency
        .prove(&wizard_of(&f.emergency, &wizard).await, &code, &client())
        .await
        .unwrap();
    f.emergency
        .choose_reason(
            &wizard_of(&f.emergency, &wizard).await,
            "lost_phone",
            "",
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
    code.grouped().to_string()
}

async fn attempt(f: &Fixture, name: &str) -> SessionToken {
    f.auth
        .check_password(name, PASSWORD.into(), &client())
        .await
        .unwrap()
        .attempt
}

async fn rb3_the_whole_wizard_issues_one_code_shown_once(db: TestStore) {
    let f = fixture(db).await;
    let wizard = f
        .emergency
        .start("alice", PASSWORD.into(), &client())
        .await
        .unwrap();
    let view = f
        .emergency
        .wizard(&wizard_of(&f.emergency, &wizard).await)
        .await
        .unwrap();
    assert_eq!(view.step, WizardStep::Prove);
    assert_eq!(view.proof_channels, vec!["a•••@example.org".to_string()]);
    assert!(view.proof_sent, "step 1 sends the proof code at once");
    // A password alone cannot produce a code (RB-3): step 3 is refused before step 2.
    assert!(matches!(
        f.emergency
            .choose_reason(
                &wizard_of(&f.emergency, &wizard).await,
                "lost_phone",
                "",
                &client()
            )
            .await,
        Err(DomainError::WrongStep(WizardStep::Prove))
    ));
    let proof = proof_code_for(&f.store, "alice@example.org").await;
    f.emergency
        .prove(&wizard_of(&f.emergency, &wizard).await, &proof, &client())
        .await
        .unwrap();
    // The proof code works once.
    assert!(matches!(
        f.emergency
            .prove(&wizard_of(&f.emergency, &wizard).await, &proof, &client())
            .await,
        Err(DomainError::WrongStep(WizardStep::Reason))
    ));
    assert!(matches!(
        f.emergency
            .choose_reason(
                &wizard_of(&f.emergency, &wizard).await,
                "other",
                "  ",
                &client()
            )
            .await,
        Err(DomainError::Invalid(_) | DomainError::InvalidInput { .. })
    ));
    assert!(matches!(
        f.emergency
            .choose_reason(
                &wizard_of(&f.emergency, &wizard).await,
                "other",
                &"x".repeat(201),
                &client()
            )
            .await,
        Err(DomainError::Invalid(_) | DomainError::InvalidInput { .. })
    ));
    f.emergency
        .choose_reason(
            &wizard_of(&f.emergency, &wizard).await,
            "other",
            "Phone fell into the river",
            &client(),
        )
        .await
        .unwrap();
    let view = f
        .emergency
        .wizard(&wizard_of(&f.emergency, &wizard).await)
        .await
        .unwrap();
    assert_eq!(view.step, WizardStep::Done);
    let info = view.code.unwrap();
    assert_eq!(info.max_uses, 3);
    assert_eq!(info.uses_left(), 3);
    assert_eq!(info.issuer, CodeIssuer::SelfService);
    assert_eq!(info.reason, "other");
    assert_eq!(
        info.reason_text.as_deref(),
        Some("Phone fell into the river")
    );
    assert_eq!(
        info.expires_at.as_millis() - info.created_at.as_millis(),
        24 * 3600 * 1000
    );
    // Shown once (EC-7).
    let code = f
        .emergency
        .take_code(&wizard_of(&f.emergency, &wizard).await)
        .await
        .unwrap()
        .unwrap();
    assert!(f
        .emergency
        .take_code(&wizard_of(&f.emergency, &wizard).await)
        .await
        .unwrap()
        .is_none());
    assert_eq!(
        f.emergency
            .wizard(&wizard_of(&f.emergency, &wizard).await)
            .await
            .unwrap()
            .step,
        WizardStep::Shown
    );
    // EC-3: never stored in clear, in any table.
    let plain = code.grouped().replace('-', "");
    for table in [
        "emergency_codes",
        "emergency_wizards",
        "outbox",
        "audit_events",
    ] {
        for row in raw_rows(&f.store, table).await {
            assert!(!row.contains(&plain), "{table} holds the code");
            assert!(
                !row.contains(code.grouped().as_str()),
                "{table} holds the code"
            );
        }
    }
    // EC-13: every confirmed contact (e-mail and phone) is told, with a "not me" link.
    let messages = f.store.outbox_messages(1000).await.unwrap();
    for to in ["alice@example.org", "+420601000111"] {
        let notice = messages
            .iter()
            .find(|m| {
                m.recipient == to
                    && m.subject
                        .as_deref()
                        .is_none_or(|s| s.contains("was issued"))
            })
            .unwrap_or_else(|| panic!("no notice to {to}"));
        assert!(notice.body.contains("/emergency/cancel?t="));
    }
    // And the code signs in (restricted).
    let attempt = attempt(&f, "alice").await;
    let (_, session) = f
        .emergency
        .sign_in(
            &attempt_of(&f.emergency, &attempt).await,
            &code.grouped().to_lowercase(),
            &client(),
        )
        .await
        .unwrap();
    let caller = f.auth.authorize(&session).await.unwrap();
    assert_eq!(caller.session().scope, SessionScope::Emergency);
    assert!(caller.is_restricted());
}

async fn wizard_step_one_is_uniform_and_steps_cannot_be_skipped(db: TestStore) {
    let f = fixture(db).await;
    for (name, password) in [("alice", "wrong password!"), ("nobody", PASSWORD), ("", "")] {
        assert!(matches!(
            f.emergency.start(name, password.into(), &client()).await,
            Err(DomainError::InvalidCredentials)
        ));
    }
    assert!(raw_rows(&f.store, "emergency_wizards").await.is_empty());
    // An unknown wizard token is "expired" at every step.
    let stranger = SessionToken::generate();
    assert!(matches!(
        f.emergency.open_wizard(&stranger).await,
        Err(DomainError::WizardExpired)
    ));
    // A locked account cannot use Emergency Access.
    execute_raw(
        &f.store,
        &format!(
            "UPDATE accounts SET state = 'locked' WHERE id = {}",
            f.bob.id.0
        ),
    )
    .await
    .unwrap();
    assert!(matches!(
        f.emergency.start("bob", PASSWORD.into(), &client()).await,
        Err(DomainError::InvalidCredentials)
    ));
}

async fn rb3_a_wrong_or_expired_proof_code_gets_no_code(db: TestStore) {
    let f = fixture(db).await;
    let wizard = f
        .emergency
        .start("alice", PASSWORD.into(), &client())
        .await
        .unwrap();
    let proof = proof_code_for(&f.store, "alice@example.org").await;
    let wrong = if proof == "000000" {
        "000001"
    } else {
        "000000"
    };
    assert!(matches!(
        f.emergency
            .prove(&wizard_of(&f.emergency, &wizard).await, wrong, &client())
            .await,
        Err(DomainError::InvalidCode)
    ));
    assert!(matches!(
        f.emergency
            .prove(&wizard_of(&f.emergency, &wizard).await, "abc", &client())
            .await,
        Err(DomainError::InvalidCode)
    ));
    // A resend replaces the code: the old one stops working.
    f.emergency
        .send_proof(&wizard_of(&f.emergency, &wizard).await, &client())
        .await
        .unwrap();
    let fresh = proof_code_for(&f.store, "alice@example.org").await;
    if fresh != proof {
        assert!(matches!(
            f.emergency
                .prove(&wizard_of(&f.emergency, &wizard).await, &proof, &client())
                .await,
            Err(DomainError::InvalidCode)
        ));
    }
    // Expired after 10 minutes.
    f.clock.advance(PROOF_CODE_TTL + Duration::from_secs(1));
    assert!(matches!(
        f.emergency
            .prove(&wizard_of(&f.emergency, &wizard).await, &fresh, &client())
            .await,
        Err(DomainError::InvalidCode)
    ));
    assert_eq!(
        f.emergency
            .wizard(&wizard_of(&f.emergency, &wizard).await)
            .await
            .unwrap()
            .step,
        WizardStep::Prove
    );
    assert!(f
        .store
        .emergency_codes(f.alice.id)
        .await
        .unwrap()
        .is_empty());
}

async fn wizard_without_recovery_address_sends_nothing(db: TestStore) {
    let f = fixture(db).await;
    execute_raw(
        &f.store,
        &format!(
            "UPDATE contacts SET confirmed = false, is_recovery = false WHERE account_id = {}",
            f.bob.id.0
        ),
    )
    .await
    .unwrap();
    let before = f.store.outbox_messages(1000).await.unwrap().len();
    let wizard = f
        .emergency
        .start("bob", PASSWORD.into(), &client())
        .await
        .unwrap();
    let view = f
        .emergency
        .wizard(&wizard_of(&f.emergency, &wizard).await)
        .await
        .unwrap();
    assert!(view.proof_channels.is_empty());
    assert!(!view.proof_sent);
    assert!(matches!(
        f.emergency
            .send_proof(&wizard_of(&f.emergency, &wizard).await, &client())
            .await,
        Err(DomainError::NoRecoveryAddress)
    ));
    assert_eq!(f.store.outbox_messages(1000).await.unwrap().len(), before);
}

async fn wizard_expires_after_15_minutes(db: TestStore) {
    let f = fixture(db).await;
    let wizard = f
        .emergency
        .start("alice", PASSWORD.into(), &client())
        .await
        .unwrap();
    f.clock.advance(WIZARD_TTL);
    assert!(matches!(
        f.emergency.open_wizard(&wizard).await,
        Err(DomainError::WizardExpired)
    ));
}

async fn ec4_uses_are_counted_and_a_used_up_code_is_refused(db: TestStore) {
    let f = fixture(db).await;
    let code = issue(&f, "alice").await;
    for left in [2, 1, 0] {
        let attempt = attempt(&f, "alice").await;
        f.emergency
            .sign_in(&attempt_of(&f.emergency, &attempt).await, &code, &client())
            .await
            .unwrap();
        let info = &f.store.emergency_codes(f.alice.id).await.unwrap()[0];
        assert_eq!(info.uses_left(), left);
    }
    let attempt = attempt(&f, "alice").await;
    assert!(matches!(
        f.emergency
            .sign_in(&attempt_of(&f.emergency, &attempt).await, &code, &client())
            .await,
        Err(DomainError::InvalidCode)
    ));
    // Each use told the contacts how many are left.
    let messages = f.store.outbox_messages(1000).await.unwrap();
    assert!(messages
        .iter()
        .any(|m| m.body.contains("It cannot be used again.")));
}

async fn ec4_race_n_plus_one_parallel_uses_succeed_n_times(db: TestStore) {
    let f = fixture(db).await;
    let code = issue(&f, "alice").await;
    let info = &f.store.emergency_codes(f.alice.id).await.unwrap()[0];
    let n = info.max_uses as usize;
    // n + 1 people past the password step type the code at once: the real sign-in, each on
    // its own attempt.
    let mut attempts = Vec::new();
    for _ in 0..n + 1 {
        let a = attempt(&f, "alice").await;
        attempts.push(attempt_of(&f.emergency, &a).await);
    }
    let emergency = f.emergency.clone();
    let mut tasks = Vec::new();
    for attempt in attempts {
        let (emergency, code) = (emergency.clone(), code.clone());
        tasks.push(tokio::spawn(async move {
            emergency.sign_in(&attempt, &code, &client()).await
        }));
    }
    let (mut ok, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(DomainError::InvalidCode) => refused += 1,
            Err(other) => panic!("{other:?}"),
        }
    }
    assert_eq!(ok, n, "exactly max_uses of {} racing uses succeed", n + 1);
    assert_eq!(refused, 1);
    let info = &f.store.emergency_codes(f.alice.id).await.unwrap()[0];
    assert_eq!(info.uses, info.max_uses);
    let restricted = f
        .store
        .sessions(f.alice.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.scope == SessionScope::Emergency)
        .count();
    assert_eq!(restricted, n, "one restricted session per counted use");
}

async fn ec5_expiry_at_plus_minus_one_second(db: TestStore) {
    let f = fixture(db).await;
    let code = issue(&f, "alice").await;
    let info = f.store.emergency_codes(f.alice.id).await.unwrap()[0].clone();
    f.clock
        .set(Timestamp::from_millis(info.expires_at.as_millis() - 1000));
    let a = attempt(&f, "alice").await;
    f.emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
        .await
        .unwrap();
    f.clock
        .set(Timestamp::from_millis(info.expires_at.as_millis() + 1000));
    let a = attempt(&f, "alice").await;
    assert!(matches!(
        f.emergency
            .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
            .await,
        Err(DomainError::InvalidCode)
    ));
    // Out-of-bound policies are refused at start.
    for bad in [
        EmergencyPolicy {
            max_uses: 0,
            ..EmergencyPolicy::SELF_SERVICE_DEFAULT
        },
        EmergencyPolicy {
            max_uses: 11,
            ..EmergencyPolicy::SELF_SERVICE_DEFAULT
        },
        EmergencyPolicy {
            lifetime: Duration::from_secs(14 * 60),
            ..EmergencyPolicy::SELF_SERVICE_DEFAULT
        },
        EmergencyPolicy {
            lifetime: Duration::from_secs(7 * 24 * 3600 + 1),
            ..EmergencyPolicy::SELF_SERVICE_DEFAULT
        },
        EmergencyPolicy {
            wait: Duration::from_secs(24 * 3600),
            ..EmergencyPolicy::SELF_SERVICE_DEFAULT
        },
        EmergencyPolicy {
            wait_unknown: Duration::from_secs(3 * 24 * 3600 + 60),
            ..EmergencyPolicy::SELF_SERVICE_DEFAULT
        },
    ] {
        assert!(
            EmergencyAccess::new(f.auth.clone(), f.cipher.clone(), bad).is_err(),
            "{bad:?}"
        );
    }
}

async fn ec9_a_new_code_revokes_the_old_one_and_its_sessions(db: TestStore) {
    let f = fixture(db).await;
    let first = issue(&f, "alice").await;
    let a = attempt(&f, "alice").await;
    let (_, session) = f
        .emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &first, &client())
        .await
        .unwrap();
    assert!(f.auth.authorize(&session).await.is_ok());
    let second = issue(&f, "alice").await;
    assert_ne!(first, second);
    // The old code's session is gone, and the old code is refused.
    assert!(f.auth.authorize(&session).await.is_err());
    let a = attempt(&f, "alice").await;
    assert!(f
        .emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &first, &client())
        .await
        .is_err());
    let codes = f.store.emergency_codes(f.alice.id).await.unwrap();
    assert_eq!(codes.len(), 2);
    assert_eq!(codes[1].revoked_why.as_deref(), Some("replaced"));
    assert!(codes[0].revoked_at.is_none());
    let a = attempt(&f, "alice").await;
    f.emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &second, &client())
        .await
        .unwrap();
}

async fn ec10_a_code_works_only_for_its_own_account(db: TestStore) {
    let f = fixture(db).await;
    let alices = issue(&f, "alice").await;
    let a = attempt(&f, "bob").await;
    assert!(matches!(
        f.emergency
            .sign_in(&attempt_of(&f.emergency, &a).await, &alices, &client())
            .await,
        Err(DomainError::InvalidCode)
    ));
    let info = &f.store.emergency_codes(f.alice.id).await.unwrap()[0];
    assert_eq!(info.uses, 0, "a failed try on another account uses nothing");
}

async fn ec11_restricted_session_idles_out_and_dies_with_its_code(db: TestStore) {
    let f = fixture(db).await;
    let code = issue(&f, "alice").await;
    let a = attempt(&f, "alice").await;
    let (_, session) = f
        .emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
        .await
        .unwrap();
    // 14 minutes idle: still alive (and touched).
    f.clock.advance(Duration::from_secs(14 * 60));
    assert!(f.auth.authorize(&session).await.is_ok());
    // 15 minutes idle: gone (a full session would last 30).
    f.clock
        .advance(EMERGENCY_SESSION_IDLE + Duration::from_secs(1));
    assert!(f.auth.authorize(&session).await.is_err());
    // A fresh one dies when its code is revoked.
    let a = attempt(&f, "alice").await;
    let (_, session) = f
        .emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
        .await
        .unwrap();
    f.store
        .revoke_emergency_code(f.alice.id, "operator", &[])
        .await
        .unwrap();
    assert!(f.auth.authorize(&session).await.is_err());
}

async fn rb5_the_not_me_link_revokes_the_code(db: TestStore) {
    let f = fixture(db).await;
    issue(&f, "alice").await;
    let messages = f.store.outbox_messages(1000).await.unwrap();
    let body = &messages
        .iter()
        .find(|m| m.body.contains("/emergency/cancel?t="))
        .unwrap()
        .body;
    let link = body
        .split_whitespace()
        .find(|w| w.contains("/emergency/cancel?t="))
        .unwrap();
    let token = link.split("t=").nth(1).unwrap();
    assert_eq!(
        f.emergency.cancel("not-a-token", &client()).await.unwrap(),
        crate::CancelOutcome::Unknown
    );
    let a = attempt(&f, "alice").await;
    assert!(matches!(
        f.emergency.cancel(token, &client()).await.unwrap(),
        crate::CancelOutcome::Undone(_)
    ));
    assert_eq!(
        f.emergency.cancel(token, &client()).await.unwrap(),
        crate::CancelOutcome::AlreadyUsed,
        "once"
    );
    // The attempt made before ended, and the account is locked for review.
    assert!(matches!(
        f.auth.attempt(&a).await,
        Err(DomainError::AttemptExpired)
    ));
    let alice = f.store.account_by_id(f.alice.id).await.unwrap().unwrap();
    assert_eq!(alice.state, crate::AccountState::Locked);
    let info = &f.store.emergency_codes(f.alice.id).await.unwrap()[0];
    assert_eq!(info.revoked_why.as_deref(), Some("not_me"));
}

async fn ec12_finish_needs_a_new_token_then_revokes_the_code(db: TestStore) {
    let f = fixture(db).await;
    let code = issue(&f, "alice").await;
    let a = attempt(&f, "alice").await;
    let (_, token) = f
        .emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
        .await
        .unwrap();
    let session = f
        .auth
        .authorize(&token)
        .await
        .unwrap()
        .emergency()
        .expect("a restricted emergency session");
    let account = session.account().clone();
    let status = f.emergency.status(&session).await.unwrap().unwrap();
    assert_eq!(status.code.uses_left(), 2);
    assert!(!status.may_finish());
    assert!(matches!(
        f.emergency.finish(&session, true, &client()).await,
        Err(DomainError::RecoveryStepsLeft)
    ));
    // A new active token appears (as enrolment makes one).
    f.clock.advance(Duration::from_secs(60));
    f.with_totp(account.id, "New phone", Some("New phone"))
        .await;
    let status = f.emergency.status(&session).await.unwrap().unwrap();
    assert!(status.may_finish());
    f.emergency.finish(&session, true, &client()).await.unwrap();
    assert!(
        f.auth.authorize(&token).await.is_err(),
        "the restricted session ended"
    );
    let a = attempt(&f, "alice").await;
    assert!(
        f.emergency
            .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
            .await
            .is_err(),
        "the code is revoked"
    );
    // A full session is not an emergency one.
    let full = f
        .store
        .create_session(crate::NewSession {
            account_id: account.id,
            scope: SessionScope::Full,
            ip: None,
            user_agent: None,
            second_factor: None,
        })
        .await
        .unwrap();
    let full = f.auth.authorize(&full).await.unwrap();
    assert!(f.emergency.status(&full).await.unwrap().is_none());
    // Nor can it finish a recovery: finish takes a restricted session, which it cannot become.
    assert!(full.emergency().is_err());
}

async fn rl7_wizard_starts_are_limited_per_account(db: TestStore) {
    let f = fixture(db).await;
    let mut refused = false;
    for i in 0..8 {
        // Different addresses: the per-account limit applies whatever the address.
        let c = Client {
            ip: Some(format!("198.51.100.{i}")),
            user_agent: None,
            browser: None,
        };
        match f.emergency.start("alice", PASSWORD.into(), &c).await {
            Ok(_) => assert!(i < 5, "start {i} allowed"),
            Err(DomainError::RateLimited { .. }) => {
                assert!(i >= 5);
                refused = true;
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(refused);
}

async fn waiting_period_delays_validity(db: TestStore) {
    let policy = EmergencyPolicy {
        wait: Duration::from_secs(3600),
        ..TRUSTING
    };
    let f = fixture_with(db, policy).await;
    let code = issue(&f, "alice").await;
    let a = attempt(&f, "alice").await;
    assert!(f
        .emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
        .await
        .is_err());
    let messages = f.store.outbox_messages(1000).await.unwrap();
    assert!(messages
        .iter()
        .any(|m| m.body.contains("It cannot be used before")));
    f.clock.advance(Duration::from_secs(3601));
    let a = attempt(&f, "alice").await;
    f.emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
        .await
        .unwrap();
}

async fn rl3_a_blocked_totp_factor_leaves_emergency_access_usable(db: TestStore) {
    let f = fixture(db).await;
    // 100 wrong authenticator codes: the TOTP factor is refused from now on (RL-1)...
    let key = ThrottleKey::account_factor(f.alice.id, Factor::Totp);
    for _ in 0..100 {
        f.store.throttle_fail(&key).await.unwrap();
    }
    assert_eq!(
        f.store.throttle_check(&key).await.unwrap(),
        crate::ThrottleState::Refused
    );
    // ...but recovery still works (RL-3): the wizard and the emergency code have their own
    // counters.
    let code = issue(&f, "alice").await;
    let a = attempt(&f, "alice").await;
    let (_, session) = f
        .emergency
        .sign_in(&attempt_of(&f.emergency, &a).await, &code, &client())
        .await
        .unwrap();
    assert!(f.auth.authorize(&session).await.is_ok());
}

/// One definition of where a code stands: revoked before used up before expired before waiting
/// before live, and the predicates read it.
#[test]
fn a_code_status_has_one_definition() {
    let t = |s: i64| Timestamp::from_millis(1_700_000_000_000 + s * 1000);
    let code = EmergencyCodeInfo {
        id: EmergencyCodeId(1),
        account_id: AccountId(1),
        issuer: CodeIssuer::SelfService,
        issued_by: None,
        reason: "lost_phone".into(),
        reason_text: None,
        verification: None,
        created_at: t(0),
        valid_from: t(60),
        expires_at: t(3600),
        uses: 0,
        max_uses: 3,
        revoked_at: None,
        revoked_why: None,
        unknown_browser: true,
        password_changed_at: None,
    };
    let waiting = CodeStatus::Waiting {
        until: t(60),
        unknown_browser: true,
    };
    assert_eq!(code.status(t(59)), waiting);
    assert!(code.is_waiting(t(59)) && !code.is_usable(t(59)) && code.is_revocable(t(59)));
    assert_eq!(code.status(t(60)), CodeStatus::Live);
    assert!(code.is_usable(t(60)) && !code.is_waiting(t(60)));
    assert_eq!(code.status(t(3600)), CodeStatus::Expired);
    assert!(!code.is_usable(t(3600)) && !code.is_revocable(t(3600)));

    let used_up = EmergencyCodeInfo {
        uses: 3,
        ..code.clone()
    };
    assert_eq!(used_up.status(t(30)), CodeStatus::UsedUp);
    assert_eq!(used_up.status(t(4000)), CodeStatus::UsedUp);
    // A used-up code still holds the sessions it opened until it expires: revoking ends them.
    assert!(!used_up.is_usable(t(100)) && used_up.is_revocable(t(100)));

    let revoked = EmergencyCodeInfo {
        revoked_at: Some(t(10)),
        revoked_why: Some("not_me".into()),
        ..used_up
    };
    assert_eq!(
        revoked.status(t(20)),
        CodeStatus::Revoked {
            why: "not_me".into()
        }
    );
    assert!(!revoked.is_revocable(t(20)) && !revoked.is_waiting(t(20)));
}

/// The second step's one code field (issue 14, item 2): a code of the emergency code's form
/// opens a restricted session, anything else is the token's OTP; neither crosses accounts.
async fn second_step_takes_the_otp_or_an_emergency_code(db: TestStore) {
    let f = fixture(db).await;
    let (app, secret) = f.with_totp(f.alice.id, "Spare app", None).await;
    let otp = secret.code_at(testing::T0 as u64);

    // The token's OTP: a full session.
    let first = attempt(&f, "alice").await;
    let (account, session, scope) = f
        .emergency
        .second_step(
            &attempt_of(&f.emergency, &first).await,
            TokenKind::Totp,
            app,
            &otp,
            &client(),
        )
        .await
        .unwrap();
    assert_eq!(account.id, f.alice.id);
    assert_eq!(scope, SessionScope::Full);
    assert!(!f.auth.authorize(&session).await.unwrap().is_restricted());

    // The emergency code in the same field, any case, spaces instead of hyphens: restricted.
    let code = issue(&f, "alice").await;
    let typed = code.to_lowercase().replace('-', " ");
    let second = attempt(&f, "alice").await;
    let (account, session, scope) = f
        .emergency
        .second_step(
            &attempt_of(&f.emergency, &second).await,
            TokenKind::Totp,
            app,
            &typed,
            &client(),
        )
        .await
        .unwrap();
    assert_eq!(account.id, f.alice.id);
    assert_eq!(scope, SessionScope::Emergency);
    assert!(f.auth.authorize(&session).await.unwrap().is_restricted());
    assert_eq!(
        f.store.emergency_codes(f.alice.id).await.unwrap()[0].uses_left(),
        2,
        "the field's use is counted like the separate form's"
    );

    // Bob's attempt with Alice's code: refused, and Alice's code is not spent (EC-10).
    let bobs = attempt(&f, "bob").await;
    assert!(matches!(
        f.emergency
            .second_step(
                &attempt_of(&f.emergency, &bobs).await,
                TokenKind::Totp,
                app,
                &code,
                &client()
            )
            .await,
        Err(DomainError::InvalidCode)
    ));
    assert_eq!(
        f.store.emergency_codes(f.alice.id).await.unwrap()[0].uses_left(),
        2
    );

    // A wrong 16-character code is a wrong emergency code, not a token guess: no session.
    let third = attempt(&f, "alice").await;
    assert!(matches!(
        f.emergency
            .second_step(
                &attempt_of(&f.emergency, &third).await,
                TokenKind::Totp,
                app,
                "0000-0000-0000-0000",
                &client()
            )
            .await,
        Err(DomainError::InvalidCode)
    ));
    // An attempt that already signed in cannot be reused for a second session.
    assert!(matches!(
        f.auth.attempt(&second).await,
        Err(DomainError::AttemptExpired)
    ));
}
