//! Token self-service in the store (RB-2, RB-7, RB-8, AC-2, AU-1, AU-6, SE-7) on both backends:
//! each `async fn` becomes `sqlite::<name>` and `postgres::<name>` through the suite's
//! `backend_tests!`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{clocked, new_account, new_session, T0};
use crate::store::{RemovalOutcome, RemovalReport, TokenRemoval, TokenSelection};
use crate::testing::{self, add_token, contact, ManualClock};
use crate::{
    token_removed_notice, AccountId, AuditAction, AuditOutcome, AuditQuery, DomainError,
    NewAuditEvent, NewToken, SessionToken, Store, Token, TokenId, TokenKind, TokenState,
    SESSION_IDLE,
};

on_both_backends!(
    store:
    rb8_removed_token_row_stays_with_time_and_source_and_loses_its_seed,
    rb7_removed_token_is_refused_at_once_and_not_listed,
    rb2_au6_au1_notice_and_audit_are_written_iff_the_removal_is,
    ac2_another_accounts_or_unusable_token_is_not_found_and_untouched,
    last_token_is_refused_unless_allowed,
    se7_lost_device_removes_exactly_that_device_and_ends_other_live_sessions,
    concurrent_removals_never_remove_the_last_token,
    ac2_rename_token_checks_its_text_and_is_scoped_by_account,
    blocking_keeps_the_seed_stops_sign_in_and_can_be_undone_or_removed,
);

const URL: &str = "https://id.example.org";

struct Fixture {
    store: Store,
    clock: Arc<ManualClock>,
    alice: AccountId,
    bob: AccountId,
    /// Alice's TOTP token on "Pixel 7".
    pixel_totp: TokenId,
    /// Alice's SMS token, also on "Pixel 7".
    pixel_sms: TokenId,
    /// Alice's e-mail token on "Laptop".
    laptop: TokenId,
    bob_token: TokenId,
}

async fn fixture(store: &Store) -> Fixture {
    let (store, clock) = clocked(store);
    let alice = store
        .create_account_with(
            new_account("alice"),
            vec![
                contact("alice@example.org", true),
                contact("+420601123456", true),
                contact("old@example.org", false),
            ],
        )
        .await
        .unwrap();
    let bob = store
        .create_account_with(new_account("bob"), vec![contact("bob@example.org", true)])
        .await
        .unwrap();
    let pixel_totp = add_token(
        &store,
        alice,
        TokenKind::Totp,
        "Authenticator",
        Some("Pixel 7"),
    )
    .await;
    let pixel_sms = add_token(&store, alice, TokenKind::Sms, "Phone SMS", Some("Pixel 7")).await;
    let laptop = add_token(&store, alice, TokenKind::Email, "Mail", Some("Laptop")).await;
    let bob_token = add_token(&store, bob, TokenKind::Totp, "Bob's app", Some("Bob phone")).await;
    Fixture {
        store,
        clock,
        alice,
        bob,
        pixel_totp,
        pixel_sms,
        laptop,
        bob_token,
    }
}

fn one(account: AccountId, token: TokenId) -> TokenRemoval<'static> {
    TokenRemoval {
        account,
        selection: TokenSelection::One(token),
        removed_by: account,
        block: false,
        allow_last: false,
        end_other_sessions: None,
    }
}

/// What the service reports: one notice, one audit event per token.
fn report(account: AccountId, removed: &[Token]) -> crate::Result<RemovalReport> {
    let labels: Vec<&str> = removed.iter().map(|t| t.label.as_str()).collect();
    Ok(RemovalReport {
        notice: token_removed_notice("Alice", &labels.join(", "), URL),
        audit: removed
            .iter()
            .map(|t| {
                NewAuditEvent::new(AuditAction::TokenRemoved, AuditOutcome::Success)
                    .actor(account)
                    .subject(account)
                    .details(json!({ "token_id": t.id.0 }))
            })
            .collect(),
    })
}

async fn remove(store: &Store, removal: TokenRemoval<'_>) -> RemovalOutcome {
    let account = removal.account;
    store
        .remove_tokens(removal, |removed, _| report(account, removed))
        .await
        .unwrap()
}

fn removed_ids(outcome: &RemovalOutcome) -> Vec<TokenId> {
    match outcome {
        RemovalOutcome::Removed { tokens, .. } => tokens.iter().map(|t| t.id).collect(),
        other => panic!("expected a removal, got {other:?}"),
    }
}

async fn outbox_len(store: &Store) -> usize {
    store.outbox_messages(1_000).await.unwrap().len()
}

async fn audit_len(store: &Store) -> usize {
    store
        .audit_events(AuditQuery::default())
        .await
        .unwrap()
        .len()
}

async fn state_of(store: &Store, account: AccountId, token: TokenId) -> TokenState {
    store.token(account, token).await.unwrap().unwrap().state
}

async fn rb8_removed_token_row_stays_with_time_and_source_and_loses_its_seed(store: &Store) {
    let f = fixture(store).await;
    let before = f.store.token(f.alice, f.pixel_totp).await.unwrap().unwrap();
    assert_eq!(testing::raw_token_secrets(&f.store).await.len(), 2);
    f.clock.advance(Duration::from_secs(5));

    let outcome = remove(&f.store, one(f.alice, f.pixel_totp)).await;
    let RemovalOutcome::Removed {
        tokens,
        sessions_ended,
    } = outcome
    else {
        panic!("{outcome:?}");
    };
    assert_eq!(sessions_ended, 0);
    let removed_at = Some(T0.plus(Duration::from_secs(5)));
    assert_eq!(
        tokens,
        [Token {
            state: TokenState::Removed,
            removed_at,
            removed_by: Some(f.alice),
            ..before.clone()
        }]
    );
    // The row is still there, in the account's history, with when and by whom (RB-8).
    let history = f.store.tokens(f.alice).await.unwrap();
    assert_eq!(history.len(), 3);
    assert_eq!(history[0], tokens[0]);
    assert_eq!(testing::raw_rows(&f.store, "tokens").await.len(), 4);
    // Its sealed seed is gone; Bob's is not.
    assert_eq!(f.store.token_secret(f.pixel_totp).await.unwrap(), None);
    assert_eq!(testing::raw_token_secrets(&f.store).await.len(), 1);
    assert!(f.store.token_secret(f.bob_token).await.unwrap().is_some());
}

async fn rb7_removed_token_is_refused_at_once_and_not_listed(store: &Store) {
    let f = fixture(store).await;
    assert!(f
        .store
        .record_totp_use(f.pixel_totp, f.alice, 1)
        .await
        .unwrap());
    remove(&f.store, one(f.alice, f.pixel_totp)).await;
    // The next code from it fails, and it is no longer offered at sign-in.
    assert!(!f
        .store
        .record_totp_use(f.pixel_totp, f.alice, 2)
        .await
        .unwrap());
    let active: Vec<TokenId> = f
        .store
        .active_tokens(f.alice)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(active, [f.pixel_sms, f.laptop]);
    // Removing it again finds nothing.
    assert_eq!(
        remove(&f.store, one(f.alice, f.pixel_totp)).await,
        RemovalOutcome::NotFound
    );
}

async fn rb2_au6_au1_notice_and_audit_are_written_iff_the_removal_is(store: &Store) {
    let f = fixture(store).await;
    remove(&f.store, one(f.alice, f.pixel_sms)).await;
    // One notice to each confirmed contact; none to the unconfirmed address.
    let mut recipients: Vec<String> = f
        .store
        .outbox_messages(10)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.recipient)
        .collect();
    recipients.sort();
    assert_eq!(recipients, ["+420601123456", "alice@example.org"]);
    let events = f.store.audit_events(AuditQuery::default()).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].details, json!({ "token_id": f.pixel_sms.0 }));

    // A refusal writes nothing and never asks for a report (the last-token refusal: see
    // `last_token_is_refused_unless_allowed`).
    let asked = AtomicBool::new(false);
    let nowhere = TokenRemoval {
        selection: TokenSelection::Device("Nowhere"),
        ..one(f.alice, f.laptop)
    };
    for removal in [one(f.alice, f.bob_token), nowhere] {
        let outcome = f
            .store
            .remove_tokens(removal, |removed, _| {
                asked.store(true, Ordering::SeqCst);
                report(f.alice, removed)
            })
            .await
            .unwrap();
        assert_eq!(outcome, RemovalOutcome::NotFound);
    }
    assert!(!asked.load(Ordering::SeqCst));
    assert_eq!(
        (outbox_len(&f.store).await, audit_len(&f.store).await),
        (2, 1)
    );

    // A report that fails undoes the removal.
    let err = f
        .store
        .remove_tokens(one(f.alice, f.laptop), |_, _| {
            Err(DomainError::Internal("no notice today".into()))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::Internal(_)), "{err:?}");
    assert_eq!(
        state_of(&f.store, f.alice, f.laptop).await,
        TokenState::Active
    );
    assert_eq!(
        (outbox_len(&f.store).await, audit_len(&f.store).await),
        (2, 1)
    );

    // So does an audit event the log refuses (AU-2: a secret-named detail key)...
    let err = f
        .store
        .remove_tokens(one(f.alice, f.laptop), |removed, _| {
            let mut r = report(f.alice, removed)?;
            r.audit[0].details = json!({ "code": "123456" });
            Ok(r)
        })
        .await
        .unwrap_err();
    assert!(matches!(err, DomainError::InvalidInput { .. }), "{err:?}");
    assert_eq!(
        state_of(&f.store, f.alice, f.laptop).await,
        TokenState::Active
    );
    assert_eq!(
        (outbox_len(&f.store).await, audit_len(&f.store).await),
        (2, 1)
    );

    // ...and a notice that cannot be queued: no removal without its notice.
    testing::execute_raw(&f.store, "ALTER TABLE outbox RENAME TO outbox_away")
        .await
        .unwrap();
    let err = f
        .store
        .remove_tokens(one(f.alice, f.laptop), |removed, _| {
            report(f.alice, removed)
        })
        .await
        .unwrap_err();
    testing::execute_raw(&f.store, "ALTER TABLE outbox_away RENAME TO outbox")
        .await
        .unwrap();
    assert!(matches!(err, DomainError::Storage(_)), "{err:?}");
    assert_eq!(
        state_of(&f.store, f.alice, f.laptop).await,
        TokenState::Active
    );
    assert_eq!(
        (outbox_len(&f.store).await, audit_len(&f.store).await),
        (2, 1)
    );
}

async fn ac2_another_accounts_or_unusable_token_is_not_found_and_untouched(store: &Store) {
    let f = fixture(store).await;
    let bob_before = f.store.tokens(f.bob).await.unwrap();
    let alice_before = f.store.tokens(f.alice).await.unwrap();

    // Alice names Bob's token, by id or by his device: refused.
    assert_eq!(
        remove(&f.store, one(f.alice, f.bob_token)).await,
        RemovalOutcome::NotFound
    );
    let by_device = TokenRemoval {
        selection: TokenSelection::Device("Bob phone"),
        allow_last: true,
        ..one(f.alice, f.bob_token)
    };
    assert_eq!(remove(&f.store, by_device).await, RemovalOutcome::NotFound);
    // Even recorded as removed by Bob, on Alice's account: still only Alice's tokens count.
    let as_bob = TokenRemoval {
        removed_by: f.bob,
        ..one(f.alice, f.bob_token)
    };
    assert_eq!(remove(&f.store, as_bob).await, RemovalOutcome::NotFound);
    // An unknown id, a pending token.
    assert_eq!(
        remove(&f.store, one(f.alice, TokenId(f.bob_token.0 + 1_000))).await,
        RemovalOutcome::NotFound
    );
    let pending = f
        .store
        .insert_token(NewToken {
            account_id: f.alice,
            kind: TokenKind::Totp,
            label: "New phone".into(),
            device: None,
            state: TokenState::Pending,
            secret_enc: Some(vec![2; 40]),
            target: None,
        })
        .await
        .unwrap();
    assert_eq!(
        remove(&f.store, one(f.alice, pending)).await,
        RemovalOutcome::NotFound
    );
    assert_eq!(
        state_of(&f.store, f.alice, pending).await,
        TokenState::Pending
    );

    // A locked account's tokens are not removed by self-service.
    testing::execute_raw(
        &f.store,
        &format!(
            "UPDATE accounts SET state = 'locked' WHERE id = {}",
            f.alice.0
        ),
    )
    .await
    .unwrap();
    assert_eq!(
        remove(&f.store, one(f.alice, f.pixel_totp)).await,
        RemovalOutcome::NotFound
    );

    assert_eq!(f.store.tokens(f.bob).await.unwrap(), bob_before);
    let alice_after = f.store.tokens(f.alice).await.unwrap();
    assert_eq!(alice_after[..3], alice_before[..]);
    assert_eq!(
        (outbox_len(&f.store).await, audit_len(&f.store).await),
        (0, 0)
    );
}

async fn last_token_is_refused_unless_allowed(store: &Store) {
    let (store, _) = clocked(store);
    let carol = store
        .create_account_with(
            new_account("carol"),
            vec![contact("carol@example.org", true)],
        )
        .await
        .unwrap();
    let only = add_token(&store, carol, TokenKind::Totp, "App", Some("Pixel 7")).await;
    // A pending token does not count as a way to sign in.
    store
        .insert_token(NewToken {
            account_id: carol,
            kind: TokenKind::Totp,
            label: "Unfinished".into(),
            device: None,
            state: TokenState::Pending,
            secret_enc: Some(vec![2; 40]),
            target: None,
        })
        .await
        .unwrap();
    for selection in [TokenSelection::One(only), TokenSelection::Device("Pixel 7")] {
        let removal = TokenRemoval {
            selection,
            ..one(carol, only)
        };
        assert_eq!(remove(&store, removal).await, RemovalOutcome::LastToken);
    }
    assert_eq!(state_of(&store, carol, only).await, TokenState::Active);
    assert_eq!((outbox_len(&store).await, audit_len(&store).await), (0, 0));

    let allowed = TokenRemoval {
        allow_last: true,
        ..one(carol, only)
    };
    assert_eq!(removed_ids(&remove(&store, allowed).await), [only]);
    assert!(store.active_tokens(carol).await.unwrap().is_empty());
    assert_eq!((outbox_len(&store).await, audit_len(&store).await), (1, 1));
}

async fn se7_lost_device_removes_exactly_that_device_and_ends_other_live_sessions(store: &Store) {
    let f = fixture(store).await;
    // Same name in another case: another device.
    let lower = add_token(
        &f.store,
        f.alice,
        TokenKind::Totp,
        "Old app",
        Some("pixel 7"),
    )
    .await;
    // A session idle for longer than SE-4 allows: deleted with the others, but not counted.
    let stale = f.store.create_session(new_session(f.alice)).await.unwrap();
    f.clock.advance(SESSION_IDLE + Duration::from_secs(60));
    let current = f.store.create_session(new_session(f.alice)).await.unwrap();
    let others: Vec<SessionToken> = vec![
        f.store.create_session(new_session(f.alice)).await.unwrap(),
        f.store.create_session(new_session(f.alice)).await.unwrap(),
    ];
    let bobs = f.store.create_session(new_session(f.bob)).await.unwrap();
    let keep = f.store.session(&current).await.unwrap().unwrap().id;

    let seen = std::sync::Mutex::new(None);
    let removal = TokenRemoval {
        selection: TokenSelection::Device("Pixel 7"),
        end_other_sessions: Some(keep),
        ..one(f.alice, f.pixel_totp)
    };
    let outcome = f
        .store
        .remove_tokens(removal, |removed, sessions| {
            *seen.lock().unwrap() = Some((removed.len(), sessions));
            report(f.alice, removed)
        })
        .await
        .unwrap();
    assert_eq!(
        outcome,
        RemovalOutcome::Removed {
            tokens: f
                .store
                .tokens(f.alice)
                .await
                .unwrap()
                .into_iter()
                .filter(|t| t.state == TokenState::Removed)
                .collect(),
            sessions_ended: 2,
        }
    );
    assert_eq!(removed_ids(&outcome), [f.pixel_totp, f.pixel_sms]);
    assert_eq!(*seen.lock().unwrap(), Some((2, 2)));

    let active: Vec<TokenId> = f
        .store
        .active_tokens(f.alice)
        .await
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect();
    assert_eq!(active, [f.laptop, lower]);
    assert!(f.store.session(&current).await.unwrap().is_some());
    for s in others.iter().chain([&stale]) {
        assert!(f.store.session(s).await.unwrap().is_none());
    }
    assert!(f.store.session(&bobs).await.unwrap().is_some());
    assert_eq!(testing::raw_rows(&f.store, "sessions").await.len(), 2);
    // One notice per confirmed contact, one audit event per token.
    assert_eq!(
        (outbox_len(&f.store).await, audit_len(&f.store).await),
        (2, 2)
    );

    // A removal without `end_other_sessions` leaves sessions alone.
    let others_again = f.store.create_session(new_session(f.alice)).await.unwrap();
    let RemovalOutcome::Removed { sessions_ended, .. } =
        remove(&f.store, one(f.alice, lower)).await
    else {
        panic!("the old app is removable");
    };
    assert_eq!(sessions_ended, 0);
    assert!(f.store.session(&others_again).await.unwrap().is_some());
}

async fn concurrent_removals_never_remove_the_last_token(store: &Store) {
    const TOKENS: usize = 8;
    let carol = store
        .create_account_with(
            new_account("carol"),
            vec![contact("carol@example.org", true)],
        )
        .await
        .unwrap();
    let mut ids = Vec::new();
    for n in 0..TOKENS {
        ids.push(add_token(store, carol, TokenKind::Totp, &format!("App {n}"), None).await);
    }
    let start = Arc::new(tokio::sync::Barrier::new(TOKENS));
    let mut tasks = Vec::new();
    for id in ids {
        let store = store.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store
                .remove_tokens(one(carol, id), |removed, _| report(carol, removed))
                .await
        }));
    }
    let (mut removed, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap().unwrap() {
            RemovalOutcome::Removed { .. } => removed += 1,
            RemovalOutcome::LastToken => refused += 1,
            RemovalOutcome::NotFound => panic!("every token exists"),
        }
    }
    assert_eq!((removed, refused), (TOKENS - 1, 1));
    assert_eq!(store.active_tokens(carol).await.unwrap().len(), 1);
    assert_eq!(
        (outbox_len(store).await, audit_len(store).await),
        (TOKENS - 1, TOKENS - 1)
    );
}

async fn ac2_rename_token_checks_its_text_and_is_scoped_by_account(store: &Store) {
    let f = fixture(store).await;
    let renamed = f
        .store
        .rename_token(f.alice, f.pixel_totp, "  Work app ", " Pixel 8 ")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (renamed.label.as_str(), renamed.device.as_deref()),
        ("Work app", Some("Pixel 8"))
    );
    let renamed = f
        .store
        .rename_token(f.alice, f.pixel_totp, "Work app", "")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(renamed.device, None);
    assert_eq!(
        f.store.token(f.alice, f.pixel_totp).await.unwrap(),
        Some(renamed.clone())
    );

    for (label, device, field) in [
        ("", "Pixel", "label"),
        ("a\nb", "Pixel", "label"),
        (&"x".repeat(65) as &str, "Pixel", "label"),
        ("App", "Pix\u{202E}el", "device"),
        ("App", &"y".repeat(65), "device"),
    ] {
        let err = f
            .store
            .rename_token(f.alice, f.pixel_totp, label, device)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, DomainError::InvalidInput { field: got, .. } if *got == field),
            "{label:?} {device:?}: {err:?}"
        );
    }
    assert_eq!(
        f.store.token(f.alice, f.pixel_totp).await.unwrap(),
        Some(renamed)
    );

    // Another account's, or a removed token: nothing to rename.
    let bob_before = f.store.tokens(f.bob).await.unwrap();
    assert_eq!(
        f.store
            .rename_token(f.alice, f.bob_token, "Mine now", "")
            .await
            .unwrap(),
        None
    );
    assert_eq!(f.store.tokens(f.bob).await.unwrap(), bob_before);
    remove(&f.store, one(f.alice, f.pixel_sms)).await;
    assert_eq!(
        f.store
            .rename_token(f.alice, f.pixel_sms, "Back", "")
            .await
            .unwrap(),
        None
    );
}

/// Issue 14: a block is a removal that keeps the token. Blocked tokens keep their seed and
/// `blocked_at`, are not active (cannot sign in), follow the same last-token rule, can be
/// blocked only from active, and can then be unblocked or removed.
async fn blocking_keeps_the_seed_stops_sign_in_and_can_be_undone_or_removed(store: &Store) {
    let f = fixture(store).await;
    let current = f.store.create_session(new_session(f.alice)).await.unwrap();
    let other = f.store.create_session(new_session(f.alice)).await.unwrap();
    let keep = f.store.session(&current).await.unwrap().unwrap().id;
    f.clock.advance(Duration::from_secs(7));

    // Block the device: both Pixel 7 tokens, the other session ends, the caller's stays.
    let block = TokenRemoval {
        selection: TokenSelection::Device("Pixel 7"),
        block: true,
        end_other_sessions: Some(keep),
        ..one(f.alice, f.pixel_totp)
    };
    let outcome = remove(&f.store, block).await;
    assert_eq!(removed_ids(&outcome), [f.pixel_totp, f.pixel_sms]);
    let RemovalOutcome::Removed {
        tokens,
        sessions_ended,
    } = outcome
    else {
        unreachable!()
    };
    assert_eq!(sessions_ended, 1);
    let blocked_at = T0.as_millis() + 7_000;
    for token in &tokens {
        assert_eq!(token.state, TokenState::Blocked);
        assert_eq!(token.blocked_at.map(|t| t.as_millis()), Some(blocked_at));
        assert_eq!(token.removed_at, None);
        assert_eq!(token.removed_by, None);
    }
    assert!(f.store.session(&current).await.unwrap().is_some());
    assert!(f.store.session(&other).await.unwrap().is_none());
    // Seeds kept (the TOTP's, and Bob's): unblocking needs no new enrolment.
    assert_eq!(testing::raw_token_secrets(&f.store).await.len(), 2);
    assert_eq!(
        token_ids(&f.store.active_tokens(f.alice).await.unwrap()),
        [f.laptop]
    );
    assert_eq!(
        token_ids(&f.store.blocked_tokens(f.alice).await.unwrap()),
        [f.pixel_totp, f.pixel_sms]
    );
    // One notice to each confirmed contact, one event per token.
    assert_eq!(
        (outbox_len(&f.store).await, audit_len(&f.store).await),
        (2, 2)
    );

    // A blocked token cannot be blocked again; the last active one cannot be blocked unless
    // allowed; nothing is written by a refusal.
    let again = TokenRemoval {
        block: true,
        ..one(f.alice, f.pixel_totp)
    };
    assert_eq!(remove(&f.store, again).await, RemovalOutcome::NotFound);
    let last = TokenRemoval {
        block: true,
        ..one(f.alice, f.laptop)
    };
    assert_eq!(remove(&f.store, last).await, RemovalOutcome::LastToken);
    // Bob's token, named from Alice's account: not found, untouched.
    let bobs = TokenRemoval {
        block: true,
        ..one(f.alice, f.bob_token)
    };
    assert_eq!(remove(&f.store, bobs).await, RemovalOutcome::NotFound);
    assert_eq!(
        state_of(&f.store, f.bob, f.bob_token).await,
        TokenState::Active
    );
    assert_eq!(
        (outbox_len(&f.store).await, audit_len(&f.store).await),
        (2, 2)
    );

    // Unblock one: active again, with its seed; remove the other (a blocked token may go
    // whatever remains, it is no way in).
    let event = NewAuditEvent::new(AuditAction::TokenUnblocked, AuditOutcome::Success);
    let back = f
        .store
        .unblock_token(f.alice, f.pixel_totp, &[], &event)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((back.state, back.blocked_at), (TokenState::Active, None));
    assert_eq!(
        f.store
            .unblock_token(f.alice, f.pixel_totp, &[], &event)
            .await
            .unwrap(),
        None,
        "only a blocked token can be unblocked"
    );
    let gone = remove(&f.store, one(f.alice, f.pixel_sms)).await;
    assert_eq!(removed_ids(&gone), [f.pixel_sms]);
    assert_eq!(
        state_of(&f.store, f.alice, f.pixel_sms).await,
        TokenState::Removed
    );
    assert!(f.store.blocked_tokens(f.alice).await.unwrap().is_empty());
}

fn token_ids(tokens: &[Token]) -> Vec<TokenId> {
    tokens.iter().map(|t| t.id).collect()
}
