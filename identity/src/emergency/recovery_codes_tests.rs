//! Recovery codes through [`EmergencyAccess`] (issue 14 item 4), on SQLite and on PostgreSQL,
//! written from the attacker's side first: someone who holds the password and guesses or
//! replays codes, or holds another account's code, or the owner's old printout.

use std::time::Duration;

use super::*;
use crate::testing::{self, recovery, world_fixture, TestStore, World, PASSWORD};
use crate::{AuditAction, AuditOutcome, Role};

on_both_backends!(
    a_set_is_made_from_a_recent_full_session_and_each_code_signs_in_once,
    a_guessed_another_accounts_or_replaced_code_gets_nothing,
    two_sign_ins_racing_with_one_code_open_one_session,
    this_was_not_me_from_the_used_notice_undoes_and_locks,
);

world_fixture!(
    struct Fixture {
        alice: Account,
        bob: Account,
    }
);

fn client() -> Client {
    testing::client("192.0.2.11", "Firefox/140.0")
}

async fn fixture(db: TestStore) -> Fixture {
    let w = World::new(db);
    let mut accounts = Vec::new();
    for name in ["alice", "bob"] {
        let account = w
            .member(
                name,
                &format!("{name} Example"),
                Role::User,
                vec![recovery(&format!("{name}@example.org"))],
            )
            .await;
        w.with_totp(account.id, "Authenticator", Some("Phone"))
            .await;
        accounts.push(account);
    }
    let bob = accounts.pop().unwrap();
    let alice = accounts.pop().unwrap();
    Fixture { w, alice, bob }
}

/// A new set for `account`, from a full session that has just signed in.
async fn new_set(f: &Fixture, account: &Account) -> Vec<String> {
    let (_, caller) = f.session(account, SessionScope::Full).await;
    let full = caller.full().unwrap();
    f.emergency
        .create_recovery_codes(&full, &client())
        .await
        .unwrap()
        .iter()
        .map(|c| c.grouped().to_string())
        .collect()
}

async fn attempt(f: &Fixture, name: &str) -> crate::Attempt {
    let ok = f
        .auth
        .check_password(name, PASSWORD.into(), &client())
        .await
        .unwrap();
    f.auth.attempt(&ok.attempt).await.unwrap()
}

/// The code typed where the 6-digit code goes.
async fn second_step(
    f: &Fixture,
    name: &str,
    code: &str,
) -> Result<(Account, SessionToken, SessionScope), DomainError> {
    let account = if name == "alice" { &f.alice } else { &f.bob };
    let token = f.store.active_tokens(account.id).await.unwrap()[0].clone();
    f.emergency
        .second_step(
            &attempt(f, name).await,
            token.kind,
            token.id,
            code,
            &client(),
        )
        .await
}

async fn left(f: &Fixture, account: &Account) -> i64 {
    let (_, caller) = f.session(account, SessionScope::Full).await;
    f.emergency.recovery_codes(&caller).await.unwrap().left
}

async fn a_set_is_made_from_a_recent_full_session_and_each_code_signs_in_once(db: TestStore) {
    let f = fixture(db).await;
    // A session that signed in long ago must confirm its password first.
    let (_, old) = f.session(&f.alice, SessionScope::Full).await;
    f.clock.advance(Duration::from_secs(3600));
    assert!(matches!(
        f.emergency
            .create_recovery_codes(&old.full().unwrap(), &client())
            .await,
        Err(DomainError::NotRecent)
    ));
    let codes = new_set(&f, &f.alice).await;
    assert_eq!(codes.len(), RECOVERY_CODES_PER_SET);
    // The page that shows a new set takes it once, from the session that made it only.
    let (_, maker) = f.session(&f.alice, SessionScope::Full).await;
    let maker = maker.full().unwrap();
    let made: Vec<String> = f
        .emergency
        .create_recovery_codes(&maker, &client())
        .await
        .unwrap()
        .iter()
        .map(|c| c.grouped().to_string())
        .collect();
    let (_, other) = f.session(&f.alice, SessionScope::Full).await;
    let other = other.full().unwrap();
    assert!(f
        .emergency
        .take_new_recovery_codes(&other)
        .await
        .unwrap()
        .is_none());
    let shown: Vec<String> = f
        .emergency
        .take_new_recovery_codes(&maker)
        .await
        .unwrap()
        .expect("shown once")
        .0
        .iter()
        .map(|c| c.grouped().to_string())
        .collect();
    assert_eq!(shown, made);
    assert!(
        f.emergency
            .take_new_recovery_codes(&maker)
            .await
            .unwrap()
            .is_none(),
        "once"
    );
    // That set replaced the first one; make the set the rest of this test uses.
    let codes = new_set(&f, &f.alice).await;
    assert_eq!(
        codes.iter().collect::<std::collections::HashSet<_>>().len(),
        10
    );
    let (_, caller) = f.session(&f.alice, SessionScope::Full).await;
    let info = f.emergency.recovery_codes(&caller).await.unwrap();
    assert_eq!((info.total, info.left), (10, 10));
    assert!(info.created_at.is_some());
    // Only keyed hashes are stored: no code appears in any row.
    let rows = testing::raw_rows(&f.store, "recovery_codes")
        .await
        .join("\n");
    for code in &codes {
        assert!(!rows.contains(&code.replace('-', "")) && !rows.contains(code.as_str()));
    }
    let messages = f.store.outbox_messages(100).await.unwrap();
    let made = messages
        .iter()
        .find(|m| {
            m.subject
                .as_deref()
                .unwrap_or("")
                .contains("New recovery codes")
        })
        .expect("the contacts are told");
    assert!(
        codes.iter().all(|c| !made.body.contains(c.as_str())),
        "never the codes"
    );
    assert_eq!(
        f.events(AuditAction::RecoveryCodesCreated).await[0].outcome,
        AuditOutcome::Success
    );

    // The owner types one in lower case with a space where the 6-digit code goes.
    let typed = codes[3].to_lowercase().replace('-', " ");
    let (_, token, scope) = second_step(&f, "alice", &typed).await.unwrap();
    assert_eq!(scope, SessionScope::Emergency, "restricted, never full");
    let session = f.auth.authorize(&token).await.unwrap();
    let status = f.emergency.status(&session).await.unwrap().unwrap();
    assert_eq!(status.reason(), EmergencyReason::LostPhone);
    assert_eq!(status.code.reason, RECOVERY_CODE_REASON);
    assert!(!status.may_finish());
    assert_eq!(left(&f, &f.alice).await, 9);
    let used = f.store.outbox_messages(100).await.unwrap();
    let notice = used
        .iter()
        .find(|m| {
            m.subject
                .as_deref()
                .unwrap_or("")
                .contains("recovery code was used")
        })
        .expect("every use is told");
    assert!(
        notice.body.contains("9 recovery codes left"),
        "{}",
        notice.body
    );
    assert!(notice.body.contains("/emergency/cancel?t="));
    // Used once: the same code again is refused like any wrong code, and audited as a failure.
    assert!(second_step(&f, "alice", &codes[3]).await.is_err());
    let used = f.events(AuditAction::RecoveryCodeUsed).await;
    assert_eq!(used[0].outcome, AuditOutcome::Failure);
    assert_eq!(used[1].outcome, AuditOutcome::Success);
    // The separate "Lost your phone?" form takes them as well.
    let (_, _) = f
        .emergency
        .sign_in(&attempt(&f, "alice").await, &codes[4], &client())
        .await
        .unwrap();
    assert_eq!(left(&f, &f.alice).await, 8);
}

async fn a_guessed_another_accounts_or_replaced_code_gets_nothing(db: TestStore) {
    let f = fixture(db).await;
    let alice_codes = new_set(&f, &f.alice).await;
    let bob_codes = new_set(&f, &f.bob).await;
    // Alice's code on Bob's attempt, and a made-up code of the right form.
    assert!(second_step(&f, "bob", &alice_codes[0]).await.is_err());
    assert!(second_step(&f, "bob", "ABCDE-FGHJK").await.is_err());
    assert_eq!(left(&f, &f.bob).await, 10);
    assert_eq!(
        left(&f, &f.alice).await,
        10,
        "trying it elsewhere spends nothing"
    );
    // A new set replaces the old printout.
    let new_codes = new_set(&f, &f.bob).await;
    assert!(second_step(&f, "bob", &bob_codes[0]).await.is_err());
    assert!(second_step(&f, "bob", &new_codes[0]).await.is_ok());
    // The guesses count against the same per-account limit as emergency codes: after enough
    // wrong ones the right code is refused too, until the wait is over.
    let mut limited = false;
    for _ in 0..30 {
        if let Err(DomainError::RateLimited { .. }) = second_step(&f, "alice", "ZZZZZ-ZZZZZ").await
        {
            limited = true;
            break;
        }
    }
    assert!(limited, "guessing is limited");
    assert!(matches!(
        second_step(&f, "alice", &alice_codes[1]).await,
        Err(DomainError::RateLimited { .. })
    ));
    assert_eq!(left(&f, &f.alice).await, 10);
}

async fn two_sign_ins_racing_with_one_code_open_one_session(db: TestStore) {
    let f = fixture(db).await;
    let codes = new_set(&f, &f.alice).await;
    let token = f.store.active_tokens(f.alice.id).await.unwrap()[0].clone();
    let mut tasks = Vec::new();
    for _ in 0..3 {
        let attempt = attempt(&f, "alice").await;
        let (emergency, code, token) = (f.emergency.clone(), codes[0].clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            emergency
                .second_step(&attempt, token.kind, token.id, &code, &client())
                .await
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.unwrap());
    }
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    assert_eq!(left(&f, &f.alice).await, 9);
}

async fn this_was_not_me_from_the_used_notice_undoes_and_locks(db: TestStore) {
    let f = fixture(db).await;
    let codes = new_set(&f, &f.alice).await;
    f.clock.advance(Duration::from_secs(3600));
    // Someone with the password and Alice's printout signs in and adds their own app.
    let (_, token, _) = second_step(&f, "alice", &codes[0]).await.unwrap();
    f.clock.advance(Duration::from_secs(60));
    f.with_totp(f.alice.id, "Attacker app", Some("Attacker phone"))
        .await;
    let messages = f.store.outbox_messages(100).await.unwrap();
    let link = messages
        .iter()
        .filter(|m| {
            m.subject
                .as_deref()
                .unwrap_or("")
                .contains("recovery code was used")
        })
        .flat_map(|m| m.body.split_whitespace())
        .find(|w| w.contains("/emergency/cancel?t="))
        .expect("the link")
        .to_owned();
    let CancelOutcome::Undone(undone) = f
        .emergency
        .cancel(link.split("t=").nth(1).unwrap(), &client())
        .await
        .unwrap()
    else {
        panic!("undone");
    };
    assert_eq!(
        undone.tokens_removed, 1,
        "the attacker's app is gone, Alice's stays"
    );
    assert!(f.auth.authorize(&token).await.is_err());
    let alice = f.store.account_by_id(f.alice.id).await.unwrap().unwrap();
    assert_eq!(alice.state, crate::AccountState::Locked);
}
