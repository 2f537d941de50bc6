//! The sign-in service's tests: the shared fixture (Alice with an authenticator app and an
//! email token, Bob with an authenticator app, a manual clock at RFC 6238's T = 1111111109) and
//! its helpers, the tests that span the steps, and one file per feature in `tests/`.

use crate::testing::attempt_of;
use std::time::Duration;

use super::*;
use crate::EmergencyPolicy;
use crate::{
    testing::{self, world_fixture, TestStore, World, PASSWORD},
    Factor, Role, ThrottleKey, Timestamp, TokenState, LOGIN_ATTEMPT_TTL,
};

mod first_token;
mod passkey;
mod password_step;
mod second_factor;
mod sessions;

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
// RFC 6238's T = 1111111109: a fixed instant, so the expected codes are known.
const T0: i64 = 1_111_111_109;

world_fixture!(
    struct Fixture {
        alice: AccountId,
        alice_token: TokenId,
        alice_email: TokenId,
        bob_token: TokenId,
    }
);

async fn fixture(db: TestStore) -> Fixture {
    let w = World::at(
        db,
        Timestamp::from_unix_secs(T0),
        EmergencyPolicy::default(),
    );
    let secret = TotpSecret::from_base32(SECRET).unwrap();
    let mut ids = Vec::new();
    for name in ["alice", "bob"] {
        let account = w.member(name, name, Role::User, vec![]).await.id;
        let token = w
            .with_totp_secret(account, &secret, "Authenticator app", Some("Pixel 7"))
            .await;
        ids.push((account, token));
    }
    let alice = ids[0].0;
    w.with_recovery_address(alice, "alice@example.org").await;
    let alice_email = w
        .with_email(alice, "alice.codes@example.org", "Work email")
        .await;
    Fixture {
        w,
        alice,
        alice_token: ids[0].1,
        alice_email,
        bob_token: ids[1].1,
    }
}

fn code_at(secs: i64) -> String {
    TotpSecret::from_base32(SECRET)
        .unwrap()
        .code_at(secs as u64)
}

fn no_client() -> Client {
    Client::default()
}

/// The password step with the right password: a pending sign-in attempt.
async fn password_step(f: &Fixture, username: &str) -> PasswordOk {
    f.auth
        .check_password(username, PASSWORD.into(), &no_client())
        .await
        .unwrap()
}

/// An account with the fixture's password and no token at all.
async fn tokenless_account(f: &Fixture, username: &str, display_name: &str) -> AccountId {
    f.member(username, display_name, Role::User, vec![])
        .await
        .id
}

/// The 6-digit code in the newest outbox message to `recipient`.
async fn code_sent_to(f: &Fixture, recipient: &str) -> String {
    let messages = f.auth.store().outbox_messages(50).await.unwrap();
    let message = messages
        .iter()
        .find(|m| m.recipient == recipient)
        .expect("a message to the token's address");
    message
        .body
        .split(|c: char| !c.is_ascii_digit())
        .find(|part| part.len() == 6)
        .expect("a 6-digit code in the message")
        .to_string()
}

async fn audit_actions(f: &Fixture) -> Vec<String> {
    f.auth
        .store()
        .audit_events(crate::AuditQuery::default())
        .await
        .unwrap()
        .iter()
        .map(|e| format!("{}:{}", e.action.as_str(), e.outcome.as_str()))
        .collect()
}

#[test]
fn targets_are_masked() {
    let token = |kind, target: &str| Token {
        id: TokenId(1),
        account_id: AccountId(1),
        kind,
        label: "x".into(),
        device: None,
        state: TokenState::Active,
        target: Some(target.into()),
        created_at: Timestamp::from_millis(0),
        last_used_at: None,
        last_totp_step: None,
        removed_at: None,
        removed_by: None,
        blocked_at: None,
    };
    assert_eq!(
        masked_target(&token(TokenKind::Sms, "+420601123456")).unwrap(),
        "+420 ••• ••• 456"
    );
    assert_eq!(
        masked_target(&token(TokenKind::Sms, "+14155552671")).unwrap(),
        "+1 ••• ••• 671"
    );
    assert_eq!(
        masked_target(&token(TokenKind::Sms, "+442079460958")).unwrap(),
        "+44 ••• ••• 958"
    );
    assert_eq!(
        masked_target(&token(TokenKind::Email, "alice@example.org")).unwrap(),
        "a•••@example.org"
    );
}

#[tokio::test]
async fn au_1_sign_in_decisions_are_audited() {
    let f = fixture(testing::sqlite().await).await;
    let _ = f
        .auth
        .check_password("alice", "wrong password!".into(), &no_client())
        .await;
    let ok = password_step(&f, "alice").await;
    f.auth
        .verify_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            f.alice_token,
            &code_at(T0),
            &no_client(),
        )
        .await
        .unwrap();
    let actions = audit_actions(&f).await;
    assert_eq!(
        actions,
        [
            "sign_in.second_factor:success",
            "sign_in.password:success",
            "sign_in.password:failure"
        ]
    );
}

#[tokio::test]
async fn au_2_no_secret_reaches_an_audit_row() {
    let f = fixture(testing::sqlite().await).await;
    let mut secrets = vec![PASSWORD.to_string(), SECRET.to_string(), code_at(T0)];
    let _ = f
        .auth
        .check_password("alice", "wrong password!".into(), &no_client())
        .await;
    secrets.push("wrong password!".into());
    let ok = password_step(&f, "alice").await;
    secrets.push(ok.attempt.as_str().to_string());
    let _ = f
        .auth
        .verify_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            f.alice_token,
            "123456",
            &no_client(),
        )
        .await;
    let (_, session) = f
        .auth
        .verify_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            f.alice_token,
            &code_at(T0),
            &no_client(),
        )
        .await
        .unwrap();
    secrets.push(session.as_str().to_string());
    let b = password_step(&f, "alice").await;
    f.auth
        .send_code(
            &attempt_of(&f.auth, &b.attempt).await,
            f.alice_email,
            &no_client(),
        )
        .await
        .unwrap();
    let code = code_sent_to(&f, "alice.codes@example.org").await;
    secrets.push(code.clone());
    f.auth
        .verify_code(
            &attempt_of(&f.auth, &b.attempt).await,
            f.alice_email,
            &code,
            &no_client(),
        )
        .await
        .unwrap();
    f.auth.sign_out(&session, &no_client()).await.unwrap();

    let rows = testing::raw_rows(f.auth.store(), "audit_events").await;
    assert!(rows.len() >= 7, "{rows:?}");
    for row in &rows {
        for secret in &secrets {
            assert!(
                !row.contains(secret.as_str()),
                "{secret:?} in audit row {row}"
            );
        }
    }
}
