//! Sign-in codes by SMS / e-mail (OOB-3..OOB-7) and the transactional outbox on both backends:
//! each `async fn` becomes `sqlite::<name>` and `postgres::<name>` through the suite's
//! `backend_tests!`.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::new_account;
use crate::testing::{self, ManualClock};
use crate::time::Clock;
use crate::{
    sign_in_code_email, sign_in_code_sms, AccountId, Channel, CodeHasher, DomainError, Email,
    NewOutboxMessage, NewToken, OobCode, OutboxId, OutboxState, PhoneNumber, SeedCipher,
    SessionToken, Store, Timestamp, TokenId, TokenKind, TokenState, LOGIN_ATTEMPT_TTL,
    OOB_CODE_TTL, OUTBOX_MAX_ATTEMPTS,
};

on_both_backends!(
    store:
    oob5_issue_stores_the_hash_and_queues_the_message_together,
    oob5_issue_refused_for_unusable_tokens_and_attempts_writes_nothing,
    oob5_issue_is_atomic_when_the_message_cannot_be_queued,
    oob5_right_code_works_once,
    oob5_wrong_code_or_other_token_is_refused,
    oob4_code_expires_after_5_minutes,
    oob6_resend_replaces_the_old_code,
    oob5_code_of_attempt_a_fails_in_attempt_b,
    oob5_parallel_consume_exactly_one_wins,
    rb7_removed_token_or_finished_attempt_refuses_the_code,
    oob7_only_the_keyed_hash_is_stored_and_the_sent_body_is_erased,
    oob4_oob7_unsent_code_message_expires_with_its_code,
    outbox_claim_leases_and_an_expired_lease_resends,
    outbox_claim_takes_due_messages_oldest_first_up_to_limit,
    outbox_mark_failed_backs_off_then_fails_after_10,
    outbox_two_concurrent_claimers_get_distinct_messages,
    outbox_mark_unknown_id_is_not_found,
    outbox_purge_removes_only_old_finished_messages,
);

const T0: i64 = 1_700_000_000_000;
const ALICE_PHONE: &str = "+420601123456";
const ALICE_EMAIL: &str = "alice@example.com";
const BOB_PHONE: &str = "+420602654321";
const LEASE: Duration = Duration::from_secs(60);

struct Fixture {
    store: Store,
    clock: Arc<ManualClock>,
    hasher: CodeHasher,
    alice: AccountId,
    alice_sms: TokenId,
    alice_email: TokenId,
    bob_sms: TokenId,
}

async fn fixture(store: &Store) -> Fixture {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(T0)));
    let store = store.clone().with_clock(clock.clone());
    let alice = store.create_account(new_account("alice")).await.unwrap();
    let bob = store.create_account(new_account("bob")).await.unwrap();
    let alice_sms = insert_oob_token(&store, alice, TokenKind::Sms, ALICE_PHONE).await;
    let alice_email = insert_oob_token(&store, alice, TokenKind::Email, ALICE_EMAIL).await;
    let bob_sms = insert_oob_token(&store, bob, TokenKind::Sms, BOB_PHONE).await;
    Fixture {
        store,
        clock,
        hasher: CodeHasher::for_oob_codes(&SeedCipher::from_key_bytes([9; 32])),
        alice,
        alice_sms,
        alice_email,
        bob_sms,
    }
}

async fn insert_oob_token(store: &Store, account: AccountId, kind: TokenKind, to: &str) -> TokenId {
    let target = match kind {
        TokenKind::Sms => PhoneNumber::parse(to).unwrap().into(),
        _ => Email::parse(to).unwrap().into(),
    };
    store
        .insert_token(NewToken {
            account_id: account,
            kind,
            label: format!("{kind} token"),
            device: None,
            state: TokenState::Active,
            secret_enc: None,
            target: Some(target),
        })
        .await
        .unwrap()
}

fn sms(to: &str, code: &OobCode) -> NewOutboxMessage {
    NewOutboxMessage::sms(
        &PhoneNumber::parse(to).unwrap(),
        &sign_in_code_sms(code, OOB_CODE_TTL),
    )
    .unwrap()
}

fn code(text: &str) -> OobCode {
    OobCode::normalise(text).unwrap()
}

impl Fixture {
    async fn attempt(&self) -> SessionToken {
        self.store
            .create_login_attempt(self.alice, LOGIN_ATTEMPT_TTL)
            .await
            .unwrap()
    }

    /// Issues `code` for Alice's SMS token in `attempt`, as the sign-in step does.
    async fn issue(&self, attempt: &SessionToken, code: &OobCode) {
        let hash = code.hash(&self.hasher, attempt, self.alice_sms);
        self.store
            .issue_oob_code(attempt, self.alice_sms, hash, sms(ALICE_PHONE, code))
            .await
            .unwrap();
    }

    async fn consume(&self, attempt: &SessionToken, token: TokenId, code: &OobCode) -> bool {
        let hash = code.hash(&self.hasher, attempt, token);
        self.store
            .consume_oob_code(attempt, token, hash)
            .await
            .unwrap()
    }

    async fn challenges(&self) -> Vec<String> {
        testing::raw_rows(&self.store, "oob_challenges").await
    }

    async fn outbox_len(&self) -> usize {
        self.store.outbox_messages(1_000).await.unwrap().len()
    }
}

async fn oob5_issue_stores_the_hash_and_queues_the_message_together(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let c = code("917352");
    f.issue(&attempt, &c).await;

    assert_eq!(f.challenges().await.len(), 1);
    let queued = f.store.outbox_messages(10).await.unwrap();
    assert_eq!(queued.len(), 1);
    let m = &queued[0];
    assert_eq!(m.channel, Channel::Sms);
    assert_eq!(m.recipient, ALICE_PHONE);
    assert_eq!(m.subject, None);
    assert!(m.body.contains("917352"));
    assert_eq!(m.state, OutboxState::Pending);
    assert_eq!(m.attempts, 0);
    assert_eq!(m.created_at, Timestamp::from_millis(T0));
    assert_eq!(m.next_attempt_at, Timestamp::from_millis(T0));
    // The message lives no longer than its code.
    assert_eq!(
        m.expires_at,
        Some(Timestamp::from_millis(T0).plus(OOB_CODE_TTL))
    );
    assert_eq!(
        (m.locked_until, m.sent_at, m.last_error.as_deref()),
        (None, None, None)
    );

    // By e-mail too, to the e-mail token's own address.
    let (subject, body) = sign_in_code_email("Alice", &c, OOB_CODE_TTL);
    let email = NewOutboxMessage::email(&Email::parse(ALICE_EMAIL).unwrap(), &subject, &body);
    f.store
        .issue_oob_code(
            &attempt,
            f.alice_email,
            c.hash(&f.hasher, &attempt, f.alice_email),
            email.unwrap(),
        )
        .await
        .unwrap();
    let queued = f.store.outbox_messages(10).await.unwrap();
    assert_eq!(queued.len(), 2);
    assert_eq!(queued[0].channel, Channel::Email);
    assert_eq!(queued[0].recipient, ALICE_EMAIL);
    assert_eq!(queued[0].subject.as_deref(), Some(subject.as_str()));
    // Still one code for the attempt: the e-mail one replaced the SMS one.
    assert_eq!(f.challenges().await.len(), 1);
    assert!(!f.consume(&attempt, f.alice_sms, &c).await);
    assert!(f.consume(&attempt, f.alice_email, &c).await);
}

async fn oob5_issue_refused_for_unusable_tokens_and_attempts_writes_nothing(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let c = code("123456");
    let issue = |token: TokenId, message: NewOutboxMessage, attempt: &SessionToken| {
        let hash = c.hash(&f.hasher, attempt, token);
        let attempt = SessionToken::parse(attempt.as_str()).unwrap();
        let store = f.store.clone();
        async move { store.issue_oob_code(&attempt, token, hash, message).await }
    };
    let not_found = |r: crate::Result<()>, what: &str| {
        assert!(matches!(r, Err(DomainError::NotFound(_))), "{what}: {r:?}");
    };

    // AC-2: another account's token, even with a message to that token's own number.
    not_found(
        issue(f.bob_sms, sms(BOB_PHONE, &c), &attempt).await,
        "bob's token",
    );
    // An unknown token id.
    not_found(
        issue(TokenId(f.bob_sms.0 + 1000), sms(ALICE_PHONE, &c), &attempt).await,
        "unknown token",
    );
    // OOB-1: a pending (unconfirmed) number; a removed one; a TOTP token.
    let pending = f
        .store
        .insert_token(NewToken {
            account_id: f.alice,
            kind: TokenKind::Sms,
            label: "New phone".into(),
            device: None,
            state: TokenState::Pending,
            secret_enc: None,
            target: Some(PhoneNumber::parse("+420603000111").unwrap().into()),
        })
        .await
        .unwrap();
    not_found(
        issue(pending, sms("+420603000111", &c), &attempt).await,
        "pending",
    );
    let removed = insert_oob_token(&f.store, f.alice, TokenKind::Sms, "+420604000222").await;
    testing::execute_raw(
        &f.store,
        &format!(
            "UPDATE tokens SET state = 'removed', removed_at = 1 WHERE id = {}",
            removed.0
        ),
    )
    .await
    .unwrap();
    not_found(
        issue(removed, sms("+420604000222", &c), &attempt).await,
        "removed",
    );
    let totp = f
        .store
        .insert_token(NewToken {
            account_id: f.alice,
            kind: TokenKind::Totp,
            label: "App".into(),
            device: None,
            state: TokenState::Active,
            secret_enc: Some(vec![1; 40]),
            target: None,
        })
        .await
        .unwrap();
    not_found(issue(totp, sms(ALICE_PHONE, &c), &attempt).await, "totp");

    // The code must go where the token points, by the token's channel.
    for (token, message) in [
        (f.alice_sms, sms(BOB_PHONE, &c)),
        (f.alice_email, sms(ALICE_PHONE, &c)),
        (
            f.alice_sms,
            NewOutboxMessage::email(&Email::parse(ALICE_EMAIL).unwrap(), "Code", "x").unwrap(),
        ),
    ] {
        let r = issue(token, message, &attempt).await;
        assert!(
            matches!(
                r,
                Err(DomainError::InvalidInput {
                    field: "message",
                    ..
                })
            ),
            "{r:?}"
        );
    }

    // An unknown attempt, a finished one, an expired one.
    not_found(
        issue(f.alice_sms, sms(ALICE_PHONE, &c), &SessionToken::generate()).await,
        "unknown attempt",
    );
    let finished = f.attempt().await;
    f.store.finish_login_attempt(&finished).await.unwrap();
    not_found(
        issue(f.alice_sms, sms(ALICE_PHONE, &c), &finished).await,
        "finished",
    );
    f.clock.advance(LOGIN_ATTEMPT_TTL + Duration::from_secs(1));
    not_found(
        issue(f.alice_sms, sms(ALICE_PHONE, &c), &attempt).await,
        "expired",
    );

    // Nothing of all that was written.
    assert!(f.challenges().await.is_empty());
    assert_eq!(f.outbox_len().await, 0);
}

async fn oob5_issue_is_atomic_when_the_message_cannot_be_queued(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    // Make the outbox insert (the last statement of the transaction) fail.
    testing::execute_raw(&f.store, "ALTER TABLE outbox RENAME TO outbox_away")
        .await
        .unwrap();
    let c = code("123456");
    let hash = c.hash(&f.hasher, &attempt, f.alice_sms);
    let err = f
        .store
        .issue_oob_code(&attempt, f.alice_sms, hash, sms(ALICE_PHONE, &c))
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Storage(_)), "{err:?}");
    testing::execute_raw(&f.store, "ALTER TABLE outbox_away RENAME TO outbox")
        .await
        .unwrap();
    // The challenge was rolled back with it: no code that was not queued.
    assert!(f.challenges().await.is_empty());
    assert_eq!(f.outbox_len().await, 0);
    assert!(!f.consume(&attempt, f.alice_sms, &c).await);
}

async fn oob5_right_code_works_once(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let c = OobCode::generate();
    f.issue(&attempt, &c).await;
    f.clock.advance(Duration::from_secs(30));

    assert!(f.consume(&attempt, f.alice_sms, &c).await);
    assert!(!f.consume(&attempt, f.alice_sms, &c).await);

    // The token records its use; the account's other tokens are untouched.
    let token = f.store.token(f.alice, f.alice_sms).await.unwrap().unwrap();
    assert_eq!(
        token.last_used_at,
        Some(Timestamp::from_millis(T0 + 30_000))
    );
    let other = f
        .store
        .token(f.alice, f.alice_email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(other.last_used_at, None);
}

async fn oob5_wrong_code_or_other_token_is_refused(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let c = code("123456");
    f.issue(&attempt, &c).await;

    for wrong in ["123457", "654321", "000000"] {
        assert!(
            !f.consume(&attempt, f.alice_sms, &code(wrong)).await,
            "{wrong}"
        );
    }
    // The right code for another token of the same account, or of another account.
    assert!(!f.consume(&attempt, f.alice_email, &c).await);
    assert!(!f.consume(&attempt, f.bob_sms, &c).await);
    // The stored hash itself, offered for another token.
    let hash = c.hash(&f.hasher, &attempt, f.alice_sms);
    assert!(!f
        .store
        .consume_oob_code(&attempt, f.alice_email, hash)
        .await
        .unwrap());
    // Failures do not burn the code (they are counted by the rate limits, RL-1).
    assert!(f.consume(&attempt, f.alice_sms, &c).await);
    let token = f
        .store
        .token(f.alice, f.alice_email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.last_used_at, None);
}

async fn oob4_code_expires_after_5_minutes(store: &Store) {
    let f = fixture(store).await;
    let (a, b, c) = (f.attempt().await, f.attempt().await, f.attempt().await);
    let (code_a, code_b, code_c) = (
        OobCode::generate(),
        OobCode::generate(),
        OobCode::generate(),
    );
    f.issue(&a, &code_a).await;
    f.issue(&b, &code_b).await;
    f.issue(&c, &code_c).await;

    f.clock.advance(OOB_CODE_TTL - Duration::from_millis(1));
    assert!(
        f.consume(&a, f.alice_sms, &code_a).await,
        "still valid 1 ms before"
    );
    f.clock.advance(Duration::from_millis(1));
    assert!(
        !f.consume(&b, f.alice_sms, &code_b).await,
        "expired at 5 min"
    );
    f.clock.advance(Duration::from_secs(1));
    assert!(
        !f.consume(&c, f.alice_sms, &code_c).await,
        "expired at 5 min + 1 s"
    );
    // The attempts themselves (10 minutes) are still live: only the codes expired.
    assert!(f.store.login_attempt(&c).await.unwrap().is_some());

    // A resend gives a fresh 5 minutes.
    let again = OobCode::generate();
    f.issue(&c, &again).await;
    f.clock.advance(Duration::from_secs(4 * 60));
    assert!(f.consume(&c, f.alice_sms, &again).await);
}

async fn oob6_resend_replaces_the_old_code(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let old = code("111111");
    let new = code("222222");
    f.issue(&attempt, &old).await;
    f.clock.advance(Duration::from_secs(30));
    f.issue(&attempt, &new).await;

    assert_eq!(f.challenges().await.len(), 1, "one live code per attempt");
    assert_eq!(f.outbox_len().await, 2, "both messages were queued");
    assert!(
        !f.consume(&attempt, f.alice_sms, &old).await,
        "the old code stops working"
    );
    assert!(f.consume(&attempt, f.alice_sms, &new).await);
    assert!(!f.consume(&attempt, f.alice_sms, &new).await);

    // Reissuing after a use gives a new, unused code (the attempt normally ends on success).
    let third = code("333333");
    f.issue(&attempt, &third).await;
    assert!(f.consume(&attempt, f.alice_sms, &third).await);
}

async fn oob5_code_of_attempt_a_fails_in_attempt_b(store: &Store) {
    let f = fixture(store).await;
    let a = f.attempt().await;
    let b = f.attempt().await;
    let c = code("424242");
    f.issue(&a, &c).await;

    // In B: neither the hash bound to A nor one bound to B opens anything.
    let hash_a = c.hash(&f.hasher, &a, f.alice_sms);
    assert!(!f
        .store
        .consume_oob_code(&b, f.alice_sms, hash_a)
        .await
        .unwrap());
    assert!(!f.consume(&b, f.alice_sms, &c).await);
    // B gets its own code; A's code still does not work there, nor B's in A.
    let d = code("515151");
    f.issue(&b, &d).await;
    assert!(!f.consume(&b, f.alice_sms, &c).await);
    assert!(!f.consume(&a, f.alice_sms, &d).await);
    assert!(f.consume(&a, f.alice_sms, &c).await);
    assert!(f.consume(&b, f.alice_sms, &d).await);
}

async fn oob5_parallel_consume_exactly_one_wins(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let c = OobCode::generate();
    f.issue(&attempt, &c).await;
    let hash = c.hash(&f.hasher, &attempt, f.alice_sms);

    let barrier = Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let store = f.store.clone();
            let attempt = SessionToken::parse(attempt.as_str()).unwrap();
            let barrier = barrier.clone();
            let token = f.alice_sms;
            tokio::spawn(async move {
                barrier.wait().await;
                store.consume_oob_code(&attempt, token, hash).await.unwrap()
            })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1);
}

async fn rb7_removed_token_or_finished_attempt_refuses_the_code(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let c = code("987654");
    f.issue(&attempt, &c).await;
    testing::execute_raw(
        &f.store,
        &format!(
            "UPDATE tokens SET state = 'removed', removed_at = 1 WHERE id = {}",
            f.alice_sms.0
        ),
    )
    .await
    .unwrap();
    assert!(
        !f.consume(&attempt, f.alice_sms, &c).await,
        "RB-7: removed at once"
    );

    // A finished attempt takes its code with it; so does purging an expired one.
    let g = issue_by_email(&f).await;
    let finished = g.0;
    f.store.finish_login_attempt(&finished).await.unwrap();
    assert!(!f.consume(&finished, f.alice_email, &g.1).await);
    assert_eq!(
        f.challenges().await.len(),
        1,
        "only the first attempt's row is left"
    );
    f.clock.advance(LOGIN_ATTEMPT_TTL);
    f.store.purge_expired().await.unwrap();
    assert!(f.challenges().await.is_empty());
}

/// An attempt of Alice's with a code issued for her e-mail token.
async fn issue_by_email(f: &Fixture) -> (SessionToken, OobCode) {
    let attempt = f.attempt().await;
    let c = OobCode::generate();
    let (subject, body) = sign_in_code_email("Alice", &c, OOB_CODE_TTL);
    let message =
        NewOutboxMessage::email(&Email::parse(ALICE_EMAIL).unwrap(), &subject, &body).unwrap();
    f.store
        .issue_oob_code(
            &attempt,
            f.alice_email,
            c.hash(&f.hasher, &attempt, f.alice_email),
            message,
        )
        .await
        .unwrap();
    assert_eq!(f.challenges().await.len(), 2);
    (attempt, c)
}

async fn oob7_only_the_keyed_hash_is_stored_and_the_sent_body_is_erased(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let c = code("917352");
    f.issue(&attempt, &c).await;
    let hash = data_encoding::HEXLOWER.encode(&c.hash(&f.hasher, &attempt, f.alice_sms));

    let rows = f.challenges().await;
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].contains("917352"), "{}", rows[0]);
    assert!(rows[0].to_lowercase().contains(&hash), "{}", rows[0]);

    // The message carries the code until it is sent, then its body is erased.
    let plain = f
        .store
        .enqueue(
            NewOutboxMessage::sms(&PhoneNumber::parse(BOB_PHONE).unwrap(), "No code here").unwrap(),
        )
        .await
        .unwrap();
    let claimed = f.store.claim_outbox(10, LEASE).await.unwrap();
    assert_eq!(claimed.len(), 2);
    for m in &claimed {
        f.store.mark_sent(m.id).await.unwrap();
    }
    let outbox = testing::raw_rows(&f.store, "outbox").await;
    assert!(outbox.iter().all(|r| !r.contains("917352")), "{outbox:?}");
    let stored = f.store.outbox_messages(10).await.unwrap();
    let code_message = stored.iter().find(|m| m.id != plain).unwrap();
    assert_eq!(code_message.body.as_str(), "");
    assert_eq!(code_message.state, OutboxState::Sent);
    // A message without a code keeps its text.
    let notice = stored.iter().find(|m| m.id == plain).unwrap();
    assert_eq!(notice.body.as_str(), "No code here");
}

async fn oob4_oob7_unsent_code_message_expires_with_its_code(store: &Store) {
    let f = fixture(store).await;
    let attempt = f.attempt().await;
    let c = code("917352");
    f.issue(&attempt, &c).await;
    // No worker ran in time: a code message past its code's life is never sent.
    f.clock.advance(OOB_CODE_TTL);
    assert!(f.store.claim_outbox(10, LEASE).await.unwrap().is_empty());
    let m = &f.store.outbox_messages(10).await.unwrap()[0];
    assert_eq!(m.state, OutboxState::Failed);
    assert_eq!(m.body.as_str(), "");
    assert_eq!(m.last_error.as_deref(), Some("expired before delivery"));
    let outbox = testing::raw_rows(&f.store, "outbox").await;
    assert!(!outbox[0].contains("917352"), "{outbox:?}");
}

fn notice(n: usize) -> NewOutboxMessage {
    NewOutboxMessage::email(
        &Email::parse(&format!("user{n}@example.com")).unwrap(),
        "Notice",
        &format!("Message {n}"),
    )
    .unwrap()
}

async fn outbox_claim_leases_and_an_expired_lease_resends(store: &Store) {
    let f = fixture(store).await;
    let e = f.store.enqueue(notice(1)).await.unwrap();
    let s = f
        .store
        .enqueue(NewOutboxMessage::sms(&PhoneNumber::parse(BOB_PHONE).unwrap(), "Hi").unwrap())
        .await
        .unwrap();
    let listed = f.store.outbox_messages(10).await.unwrap();
    assert_eq!(
        listed.iter().map(|m| m.id).collect::<Vec<_>>(),
        [s, e],
        "newest first"
    );
    assert_eq!(f.store.outbox_messages(1).await.unwrap().len(), 1);
    assert_eq!(f.store.outbox_pending_count().await.unwrap(), 2);

    let claimed = f.store.claim_outbox(10, LEASE).await.unwrap();
    // Leased messages still wait (the depth counts them until they are marked).
    assert_eq!(f.store.outbox_pending_count().await.unwrap(), 2);
    assert_eq!(claimed.iter().map(|m| m.id).collect::<Vec<_>>(), [e, s]);
    let lease_end = Timestamp::from_millis(T0).plus(LEASE);
    assert!(claimed.iter().all(|m| m.locked_until == Some(lease_end)));
    assert_eq!(claimed[0].subject.as_deref(), Some("Notice"));
    assert_eq!(claimed[0].body.as_str(), "Message 1");
    // Leased: nobody else gets them meanwhile.
    assert!(f.store.claim_outbox(10, LEASE).await.unwrap().is_empty());
    f.clock.advance(LEASE - Duration::from_millis(1));
    assert!(f.store.claim_outbox(10, LEASE).await.unwrap().is_empty());

    // The worker sent the e-mail and died before marking the SMS: when the lease ends, the
    // SMS is handed out again (sent twice rather than lost); the sent e-mail is not.
    f.store.mark_sent(e).await.unwrap();
    assert_eq!(f.store.outbox_pending_count().await.unwrap(), 1);
    f.clock.advance(Duration::from_millis(1));
    let again = f.store.claim_outbox(10, LEASE).await.unwrap();
    assert_eq!(again.iter().map(|m| m.id).collect::<Vec<_>>(), [s]);
    assert_eq!(again[0].attempts, 0);
    f.store.mark_sent(s).await.unwrap();
    assert_eq!(f.store.outbox_pending_count().await.unwrap(), 0);

    let sent_at = Timestamp::from_millis(T0).plus(LEASE);
    let listed = f.store.outbox_messages(10).await.unwrap();
    assert!(listed
        .iter()
        .all(|m| m.state == OutboxState::Sent && m.locked_until.is_none()));
    assert_eq!(
        listed.iter().map(|m| m.sent_at).collect::<Vec<_>>(),
        [
            Some(sent_at),
            Some(Timestamp::from_millis(T0).plus(LEASE - Duration::from_millis(1)))
        ]
    );
    // Marking again keeps the first time; nothing is claimable any more.
    f.clock.advance(Duration::from_secs(3600));
    f.store.mark_sent(s).await.unwrap();
    let m = f.store.outbox_messages(1).await.unwrap().remove(0);
    assert_eq!(m.sent_at, Some(sent_at));
    assert!(f.store.claim_outbox(10, LEASE).await.unwrap().is_empty());
}

async fn outbox_claim_takes_due_messages_oldest_first_up_to_limit(store: &Store) {
    let f = fixture(store).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        ids.push(f.store.enqueue(notice(n)).await.unwrap());
        f.clock.advance(Duration::from_millis(10));
    }
    let claim = |limit| {
        let store = f.store.clone();
        async move {
            store
                .claim_outbox(limit, LEASE)
                .await
                .unwrap()
                .iter()
                .map(|m| m.id)
                .collect::<Vec<OutboxId>>()
        }
    };
    assert_eq!(claim(0).await, Vec::<OutboxId>::new());
    assert_eq!(claim(2).await, ids[0..2]);
    assert_eq!(claim(2).await, ids[2..4]);
    assert_eq!(claim(10).await, ids[4..5]);
    assert_eq!(claim(10).await, Vec::<OutboxId>::new());
}

async fn outbox_mark_failed_backs_off_then_fails_after_10(store: &Store) {
    let f = fixture(store).await;
    let id = f.store.enqueue(notice(1)).await.unwrap();
    let expected_waits = [10, 20, 40, 80, 160, 320, 640, 1280, 2560];
    for n in 1..=OUTBOX_MAX_ATTEMPTS {
        let claimed = f.store.claim_outbox(10, LEASE).await.unwrap();
        assert_eq!(claimed.len(), 1, "attempt {n}");
        assert_eq!(claimed[0].attempts, n - 1);
        f.clock.advance(Duration::from_secs(2));
        let failed_at = f.clock.now();
        f.store
            .mark_failed(id, "421 try again later\r\nX-Injected: 1")
            .await
            .unwrap();
        let m = f.store.outbox_messages(1).await.unwrap().remove(0);
        assert_eq!(m.attempts, n);
        assert_eq!(m.locked_until, None);
        assert_eq!(
            m.last_error.as_deref(),
            Some("421 try again later  X-Injected: 1")
        );
        if n == OUTBOX_MAX_ATTEMPTS {
            assert_eq!(m.state, OutboxState::Failed);
            assert_eq!(
                m.body.as_str(),
                "Message 1",
                "a notice keeps its text for the console"
            );
            break;
        }
        assert_eq!(m.state, OutboxState::Pending);
        let wait = Duration::from_secs(expected_waits[usize::try_from(n - 1).unwrap()]);
        assert_eq!(m.next_attempt_at, failed_at.plus(wait), "after failure {n}");
        // Not before its time, even though its lease is gone.
        f.clock.advance(wait - Duration::from_millis(1));
        assert!(f.store.claim_outbox(10, LEASE).await.unwrap().is_empty());
        f.clock.advance(Duration::from_millis(1));
    }
    // Given up: never claimed again; a late failure report changes nothing.
    f.clock.advance(Duration::from_secs(24 * 3600));
    assert!(f.store.claim_outbox(10, LEASE).await.unwrap().is_empty());
    f.store.mark_failed(id, "late").await.unwrap();
    let m = f.store.outbox_messages(1).await.unwrap().remove(0);
    assert_eq!(
        (m.state, m.attempts),
        (OutboxState::Failed, OUTBOX_MAX_ATTEMPTS)
    );
    assert_eq!(
        m.last_error.as_deref(),
        Some("421 try again later  X-Injected: 1")
    );
}

async fn outbox_two_concurrent_claimers_get_distinct_messages(store: &Store) {
    let f = fixture(store).await;
    for n in 0..20 {
        f.store.enqueue(notice(n)).await.unwrap();
    }
    let barrier = Arc::new(tokio::sync::Barrier::new(2));
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let store = f.store.clone();
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let mut mine = Vec::new();
                loop {
                    let batch = store.claim_outbox(3, LEASE).await.unwrap();
                    if batch.is_empty() {
                        return mine;
                    }
                    assert!(batch.len() <= 3, "a claim never exceeds its limit");
                    mine.extend(batch.into_iter().map(|m| m.id));
                    tokio::task::yield_now().await;
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await.unwrap());
    }
    let distinct: HashSet<_> = all.iter().collect();
    assert_eq!(
        all.len(),
        20,
        "every message handed out exactly once: {all:?}"
    );
    assert_eq!(distinct.len(), 20);
    assert!(f.store.claim_outbox(100, LEASE).await.unwrap().is_empty());
}

async fn outbox_mark_unknown_id_is_not_found(store: &Store) {
    let f = fixture(store).await;
    let id = f.store.enqueue(notice(1)).await.unwrap();
    let unknown = OutboxId(id.0 + 1000);
    assert!(matches!(
        f.store.mark_sent(unknown).await,
        Err(DomainError::NotFound(_))
    ));
    assert!(matches!(
        f.store.mark_failed(unknown, "x").await,
        Err(DomainError::NotFound(_))
    ));
    // Failing a message that was already sent leaves it sent.
    f.store.mark_sent(id).await.unwrap();
    f.store.mark_failed(id, "late").await.unwrap();
    let m = f.store.outbox_messages(1).await.unwrap().remove(0);
    assert_eq!(
        (m.state, m.attempts, m.last_error),
        (OutboxState::Sent, 0, None)
    );
}

async fn outbox_purge_removes_only_old_finished_messages(store: &Store) {
    let f = fixture(store).await;
    let sent = f.store.enqueue(notice(1)).await.unwrap();
    let failed = f.store.enqueue(notice(2)).await.unwrap();
    let pending = f.store.enqueue(notice(3)).await.unwrap();
    f.store.mark_sent(sent).await.unwrap();
    for _ in 0..OUTBOX_MAX_ATTEMPTS {
        f.store.mark_failed(failed, "refused").await.unwrap();
    }
    f.clock.advance(Duration::from_secs(3600));
    let newer = f.store.enqueue(notice(4)).await.unwrap();
    f.store.mark_sent(newer).await.unwrap();

    let day = Duration::from_secs(24 * 3600);
    assert_eq!(f.store.purge_outbox(day).await.unwrap(), 0);
    f.clock.advance(day - Duration::from_secs(3600));
    assert_eq!(f.store.purge_outbox(day).await.unwrap(), 2);
    let left: Vec<OutboxId> = f
        .store
        .outbox_messages(10)
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    assert_eq!(left, [newer, pending]);
}
