//! The audit log (AU-1..AU-3) and the rate-limit counters (RL-1..RL-7) on both backends: each
//! `async fn` becomes `sqlite::<name>` and `postgres::<name>` through the suite's
//! `backend_tests!`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use super::{clocked, new_account, T0};
use crate::testing::{self, ManualClock};
use crate::{
    AccountId, AuditAction, AuditEventId, AuditOutcome, AuditQuery, Clock, DomainError, Factor,
    NewAuditEvent, Scope, Store, ThrottleKey, ThrottleState,
};

on_both_backends!(
    store:
    au1_audit_write_and_read_back,
    au1_audit_filters_by_subject_actor_action_and_time,
    au1_audit_pages_newest_first_with_before_id,
    au3_audit_client_text_is_cleaned_and_details_stay_one_line,
    au2_audit_refuses_secret_named_detail_keys,
    au1_audit_log_is_append_only,
    rl3_throttle_delays_grow_and_pass_with_time,
    rl1_throttle_refused_at_100_even_after_time_passes,
    rl5_throttle_clear_resets_the_count,
    rl2_throttle_account_keys_are_independent_and_shared_across_instances,
    rl7_throttle_ip_window_blocks_then_expires,
    rl7_oob9_throttle_sends_are_gated_per_account_and_address,
    rl6_throttle_300_concurrent_failures_count_300,
    rl1_rl6_throttle_concurrent_hits_never_pass_the_limit,
    throttle_purge_removes_only_dead_windows,
);

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn delayed(d: Duration) -> ThrottleState {
    ThrottleState::Delayed { retry_after: d }
}

fn totp_key(account: AccountId) -> ThrottleKey {
    ThrottleKey::account_factor(account, Factor::Totp)
}

async fn failures(store: &Store, key: &ThrottleKey) -> i64 {
    store
        .throttle_record(key)
        .await
        .unwrap()
        .map_or(0, |r| r.failures)
}

/// Counts `n` failures one after another (ungated: no clock needed).
async fn fail_times(store: &Store, key: &ThrottleKey, n: usize) -> ThrottleState {
    let mut last = ThrottleState::Open;
    for _ in 0..n {
        last = store.throttle_fail(key).await.unwrap();
    }
    last
}

async fn au1_audit_write_and_read_back(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("alice")).await.unwrap();
    let op = store.create_account(new_account("olga")).await.unwrap();
    store
        .audit(
            NewAuditEvent::new(AuditAction::SignInPassword, AuditOutcome::Failure)
                .subject(a)
                .client(
                    Some("203.0.113.9".into()),
                    Some("Mozilla/5.0 Firefox/140.0".into()),
                )
                .details(json!({"reason": "wrong password", "attempt": 3})),
        )
        .await
        .unwrap();
    clock.advance(secs(5));
    store
        .audit(NewAuditEvent {
            actor: Some(op),
            subject: Some(a),
            action: AuditAction::RoleChanged,
            outcome: AuditOutcome::Success,
            ip: None,
            user_agent: Some("   ".into()),
            details: serde_json::Value::Null,
        })
        .await
        .unwrap();

    let events = store.audit_events(AuditQuery::default()).await.unwrap();
    assert_eq!(events.len(), 2);
    // Newest first.
    let (role, sign_in) = (&events[0], &events[1]);
    assert!(role.id > sign_in.id);
    assert_eq!(sign_in.at, T0);
    assert_eq!((sign_in.actor, sign_in.subject), (None, Some(a)));
    assert_eq!(sign_in.action, AuditAction::SignInPassword);
    assert_eq!(sign_in.outcome, AuditOutcome::Failure);
    assert_eq!(sign_in.ip.as_deref(), Some("203.0.113.9"));
    assert_eq!(
        sign_in.user_agent.as_deref(),
        Some("Mozilla/5.0 Firefox/140.0")
    );
    assert_eq!(
        sign_in.details,
        json!({"reason": "wrong password", "attempt": 3})
    );
    assert_eq!(role.at, T0.plus(secs(5)));
    assert_eq!((role.actor, role.subject), (Some(op), Some(a)));
    assert_eq!(role.action, AuditAction::RoleChanged);
    assert_eq!(
        (role.ip.as_deref(), role.user_agent.as_deref()),
        (None, None)
    );
    assert_eq!(role.details, json!({}));

    // Every action and outcome survives the round trip; events need no account at all.
    for action in AuditAction::ALL {
        for outcome in AuditOutcome::ALL {
            store
                .audit(NewAuditEvent::new(*action, *outcome))
                .await
                .unwrap();
        }
    }
    let all = store
        .audit_events(AuditQuery {
            limit: 500,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(
        all.len(),
        2 + AuditAction::ALL.len() * AuditOutcome::ALL.len()
    );
    // An id of an account that does not exist is still recorded (the log outlives accounts).
    store
        .audit(
            NewAuditEvent::new(AuditAction::SignOut, AuditOutcome::Success)
                .subject(AccountId(a.0 + 1000)),
        )
        .await
        .unwrap();
}

async fn au1_audit_filters_by_subject_actor_action_and_time(store: &Store) {
    let (store, clock) = clocked(store);
    let (a, b, op) = (AccountId(1), AccountId(2), AccountId(3));
    let write = |action, outcome, actor: Option<AccountId>, subject: AccountId| {
        let store = store.clone();
        async move {
            store
                .audit(NewAuditEvent {
                    actor,
                    subject: Some(subject),
                    ..NewAuditEvent::new(action, outcome)
                })
                .await
                .unwrap();
        }
    };
    write(AuditAction::SignInPassword, AuditOutcome::Success, None, a).await; // T0
    clock.advance(secs(60));
    write(AuditAction::SignInPassword, AuditOutcome::Failure, None, b).await; // T0+60
    clock.advance(secs(60));
    write(AuditAction::TokenAdded, AuditOutcome::Success, Some(a), a).await; // T0+120
    clock.advance(secs(60));
    write(
        AuditAction::TokenRemoved,
        AuditOutcome::Success,
        Some(op),
        a,
    )
    .await; // T0+180
    clock.advance(secs(60));
    write(AuditAction::RoleChanged, AuditOutcome::Denied, Some(op), b).await; // T0+240

    let query = |q: AuditQuery| {
        let store = store.clone();
        async move {
            store
                .audit_events(q)
                .await
                .unwrap()
                .iter()
                .map(|e| (e.action, e.at))
                .collect::<Vec<_>>()
        }
    };
    let at = |s| T0.plus(secs(s));

    assert_eq!(
        query(AuditQuery {
            subject: Some(a),
            ..AuditQuery::default()
        })
        .await,
        [
            (AuditAction::TokenRemoved, at(180)),
            (AuditAction::TokenAdded, at(120)),
            (AuditAction::SignInPassword, at(0)),
        ]
    );
    assert_eq!(
        query(AuditQuery {
            actor: Some(op),
            ..AuditQuery::default()
        })
        .await,
        [
            (AuditAction::RoleChanged, at(240)),
            (AuditAction::TokenRemoved, at(180))
        ]
    );
    assert_eq!(
        query(AuditQuery {
            action: Some(AuditAction::SignInPassword),
            ..AuditQuery::default()
        })
        .await,
        [
            (AuditAction::SignInPassword, at(60)),
            (AuditAction::SignInPassword, at(0))
        ]
    );
    // `since` inclusive, `until` exclusive.
    assert_eq!(
        query(AuditQuery {
            since: Some(at(60)),
            until: Some(at(180)),
            ..AuditQuery::default()
        })
        .await,
        [
            (AuditAction::TokenAdded, at(120)),
            (AuditAction::SignInPassword, at(60))
        ]
    );
    // Filters combine.
    assert_eq!(
        query(AuditQuery {
            subject: Some(a),
            actor: Some(op),
            action: Some(AuditAction::TokenRemoved),
            since: Some(at(0)),
            until: Some(at(1_000)),
            ..AuditQuery::default()
        })
        .await,
        [(AuditAction::TokenRemoved, at(180))]
    );
    assert!(query(AuditQuery {
        subject: Some(b),
        action: Some(AuditAction::TokenAdded),
        ..AuditQuery::default()
    })
    .await
    .is_empty());
    assert!(query(AuditQuery {
        subject: Some(AccountId(99)),
        ..AuditQuery::default()
    })
    .await
    .is_empty());
}

async fn au1_audit_pages_newest_first_with_before_id(store: &Store) {
    let (store, clock) = clocked(store);
    for i in 0..12 {
        store
            .audit(
                NewAuditEvent::new(AuditAction::SignOut, AuditOutcome::Success)
                    .subject(AccountId(1))
                    .details(json!({ "n": i })),
            )
            .await
            .unwrap();
        clock.advance(secs(1));
    }
    let mut seen = Vec::new();
    let mut before: Option<AuditEventId> = None;
    loop {
        let page = store
            .audit_events(AuditQuery {
                subject: Some(AccountId(1)),
                limit: 5,
                before_id: before,
                ..AuditQuery::default()
            })
            .await
            .unwrap();
        if page.is_empty() {
            break;
        }
        assert!(page.len() <= 5);
        seen.extend(page.iter().map(|e| e.details["n"].as_i64().unwrap()));
        before = page.last().map(|e| e.id);
    }
    assert_eq!(seen, (0..12).rev().collect::<Vec<_>>());

    // Ids strictly decrease within and across pages; an id past the end gives the newest.
    let newest = store
        .audit_events(AuditQuery {
            limit: 1,
            before_id: Some(AuditEventId(i64::MAX)),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(newest[0].details["n"], 11);
    let all = store
        .audit_events(AuditQuery {
            limit: 100_000,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    assert_eq!(all.len(), 12);
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
}

async fn au3_audit_client_text_is_cleaned_and_details_stay_one_line(store: &Store) {
    let forged = "eve\n2025-01-01T00:00:00Z sign_in.password success subject=admin";
    store
        .audit(
            NewAuditEvent::new(AuditAction::SignInPassword, AuditOutcome::Failure)
                .client(
                    Some(format!("198.51.100.7\r\n{}", "9".repeat(100))),
                    Some(format!(
                        "Mozilla/5.0\r\nX-Injected: yes\0\u{1b}[31m{}",
                        "a".repeat(1000)
                    )),
                )
                .details(json!({ "username": forged })),
        )
        .await
        .unwrap();
    let event = store
        .audit_events(AuditQuery::default())
        .await
        .unwrap()
        .remove(0);
    let ip = event.ip.clone().unwrap();
    assert_eq!(ip.chars().count(), 64);
    assert!(ip.starts_with("198.51.100.79999"), "{ip}");
    let ua = event.user_agent.clone().unwrap();
    assert!(
        ua.starts_with("Mozilla/5.0X-Injected: yes[31maaa"),
        "{ua:?}"
    );
    assert!(!ua.chars().any(char::is_control));
    assert_eq!(ua.chars().count(), 512);
    // The typed text comes back exactly; the stored row holds it escaped, on one line.
    assert_eq!(event.details["username"], forged);
    let rows = testing::raw_rows(store, "audit_events").await;
    assert_eq!(rows.len(), 1);
    assert!(
        !rows[0].contains('\n') && !rows[0].contains('\r'),
        "{rows:?}"
    );
    // (PostgreSQL's row text doubles the backslash of the JSON escape.)
    assert!(rows[0].contains("eve\\"), "{rows:?}");
}

async fn au2_audit_refuses_secret_named_detail_keys(store: &Store) {
    for details in [
        json!({"password": "hunter2 hunter2"}),
        json!({"code": "081804"}),
        json!({"token": {"id": 7, "seed": "GEZDGNBVGY3TQOJQ"}}),
        json!({"secret": "x"}),
        json!({"token_value": "abc"}),
        json!({"changes": [{"new_password": "correct horse"}]}),
        json!("not an object"),
    ] {
        let r = store
            .audit(
                NewAuditEvent::new(AuditAction::TokenAdded, AuditOutcome::Success)
                    .details(details.clone()),
            )
            .await;
        assert!(
            matches!(
                r,
                Err(DomainError::InvalidInput {
                    field: "audit details",
                    ..
                })
            ),
            "{details}: {r:?}"
        );
    }
    // Nothing was written, and no secret reached the table.
    assert!(testing::raw_rows(store, "audit_events").await.is_empty());
    // Innocent names next to those words are fine.
    store
        .audit(
            NewAuditEvent::new(AuditAction::CodeSent, AuditOutcome::Success)
                .details(json!({"code_id": 4, "channel": "sms", "code_lifetime_secs": 300})),
        )
        .await
        .unwrap();
}

async fn au1_audit_log_is_append_only(store: &Store) {
    store
        .audit(NewAuditEvent::new(
            AuditAction::AccountCreated,
            AuditOutcome::Success,
        ))
        .await
        .unwrap();
    for sql in [
        "UPDATE audit_events SET outcome = 'failure'",
        "DELETE FROM audit_events",
    ] {
        let r = testing::execute_raw(store, sql).await;
        assert!(
            matches!(&r, Err(DomainError::Storage(m)) if m.contains("append-only")),
            "{sql}: {r:?}"
        );
    }
    let events = store.audit_events(AuditQuery::default()).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].outcome, AuditOutcome::Success);
}

async fn rl3_throttle_delays_grow_and_pass_with_time(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("alice")).await.unwrap();
    let key = totp_key(a);
    assert_eq!(
        store.throttle_check(&key).await.unwrap(),
        ThrottleState::Open
    );
    // The first five failures are free.
    for n in 1..=4 {
        assert_eq!(
            store.throttle_fail(&key).await.unwrap(),
            ThrottleState::Open,
            "{n}"
        );
        assert_eq!(
            store.throttle_check(&key).await.unwrap(),
            ThrottleState::Open
        );
    }
    // The fifth starts the delays: 1 s, then 2 s, 4 s...
    assert_eq!(store.throttle_fail(&key).await.unwrap(), delayed(secs(1)));
    assert_eq!(store.throttle_check(&key).await.unwrap(), delayed(secs(1)));
    clock.advance(Duration::from_millis(999));
    assert_eq!(
        store.throttle_check(&key).await.unwrap(),
        delayed(Duration::from_millis(1))
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(
        store.throttle_check(&key).await.unwrap(),
        ThrottleState::Open
    );
    assert_eq!(store.throttle_fail(&key).await.unwrap(), delayed(secs(2)));
    clock.advance(secs(2));
    assert_eq!(store.throttle_fail(&key).await.unwrap(), delayed(secs(4)));
    // A gated count is refused while delayed, and counts nothing.
    assert_eq!(store.throttle_hit(&key).await.unwrap(), delayed(secs(4)));
    assert_eq!(failures(&store, &key).await, 7);
    clock.advance(secs(4));
    assert_eq!(store.throttle_hit(&key).await.unwrap(), ThrottleState::Open);
    assert_eq!(failures(&store, &key).await, 8);
    assert_eq!(store.throttle_check(&key).await.unwrap(), delayed(secs(8)));

    // After ten failures: 32 s; the stored row says when.
    fail_times(&store, &key, 2).await;
    let record = store.throttle_record(&key).await.unwrap().unwrap();
    assert_eq!(record.failures, 10);
    assert_eq!(record.window_start, T0);
    assert_eq!(record.last_failure_at, clock.now());
    assert_eq!(record.blocked_until, Some(clock.now().plus(secs(32))));
    assert_eq!(store.throttle_check(&key).await.unwrap(), delayed(secs(32)));

    // Capped at 15 minutes.
    assert_eq!(fail_times(&store, &key, 10).await, delayed(secs(900)));
    clock.advance(secs(900));
    assert_eq!(
        store.throttle_check(&key).await.unwrap(),
        ThrottleState::Open
    );
}

async fn rl1_throttle_refused_at_100_even_after_time_passes(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("alice")).await.unwrap();
    let key = totp_key(a);
    assert_eq!(fail_times(&store, &key, 99).await, delayed(secs(900)));
    clock.advance(secs(900));
    assert_eq!(
        store.throttle_check(&key).await.unwrap(),
        ThrottleState::Open
    );
    // The hundredth failure refuses the factor: no delay, no end.
    assert_eq!(
        store.throttle_fail(&key).await.unwrap(),
        ThrottleState::Refused
    );
    for wait in [secs(1), secs(900), secs(86_400), secs(365 * 86_400)] {
        clock.advance(wait);
        assert_eq!(
            store.throttle_check(&key).await.unwrap(),
            ThrottleState::Refused
        );
        assert_eq!(
            store.throttle_hit(&key).await.unwrap(),
            ThrottleState::Refused
        );
    }
    assert_eq!(failures(&store, &key).await, 100);
    // Other factors of the same account still work (recovery stays possible, abuse case 16).
    for factor in [Factor::Password, Factor::OutOfBand, Factor::EmergencyCode] {
        let other = ThrottleKey::account_factor(a, factor);
        assert_eq!(
            store.throttle_check(&other).await.unwrap(),
            ThrottleState::Open
        );
    }
    // Only clearing (a success elsewhere, an operator) reopens it.
    store.throttle_clear(&key).await.unwrap();
    assert_eq!(
        store.throttle_check(&key).await.unwrap(),
        ThrottleState::Open
    );
}

async fn rl5_throttle_clear_resets_the_count(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("alice")).await.unwrap();
    let b = store.create_account(new_account("bob")).await.unwrap();
    let (ka, kb) = (totp_key(a), totp_key(b));
    fail_times(&store, &ka, 7).await;
    fail_times(&store, &kb, 7).await;
    assert_eq!(store.throttle_check(&ka).await.unwrap(), delayed(secs(4)));
    store.throttle_clear(&ka).await.unwrap();
    assert_eq!(store.throttle_record(&ka).await.unwrap(), None);
    assert_eq!(
        store.throttle_check(&ka).await.unwrap(),
        ThrottleState::Open
    );
    // Five free failures again, counted from the clearing.
    clock.advance(secs(10));
    assert_eq!(fail_times(&store, &ka, 4).await, ThrottleState::Open);
    let record = store.throttle_record(&ka).await.unwrap().unwrap();
    assert_eq!(
        (record.failures, record.window_start),
        (4, T0.plus(secs(10)))
    );
    // The other account keeps its count (its 4 s delay has passed meanwhile).
    assert_eq!(failures(&store, &kb).await, 7);
    assert_eq!(store.throttle_fail(&kb).await.unwrap(), delayed(secs(8)));
    // Clearing an unknown key is fine.
    store
        .throttle_clear(&ThrottleKey::ip("192.0.2.1", Scope::SignIn))
        .await
        .unwrap();
}

async fn rl2_throttle_account_keys_are_independent_and_shared_across_instances(store: &Store) {
    let clock = Arc::new(ManualClock::new(T0));
    // Two "server instances" on the same database, each with its own clock at the same time.
    let one = store.clone().with_clock(clock.clone());
    let two = store.clone().with_clock(Arc::new(ManualClock::new(T0)));
    let a = one.create_account(new_account("alice")).await.unwrap();
    let b = one.create_account(new_account("bob")).await.unwrap();
    // Guesses from many sessions and addresses all land on the account's key: it has no
    // address in it, so they share one count (RL-2).
    let key = totp_key(a);
    assert!(!key.as_str().contains("ip"));
    for (i, instance) in [&one, &two, &one, &two, &two].into_iter().enumerate() {
        let ip = ThrottleKey::ip(&format!("198.51.100.{i}"), Scope::SignIn);
        instance.throttle_fail(&totp_key(a)).await.unwrap();
        instance.throttle_fail(&ip).await.unwrap();
        assert_eq!(failures(instance, &ip).await, 1);
    }
    assert_eq!(failures(&one, &key).await, 5);
    assert_eq!(two.throttle_check(&key).await.unwrap(), delayed(secs(1)));
    // Another account, and another factor of the same account, are untouched.
    assert_eq!(failures(&one, &totp_key(b)).await, 0);
    assert_eq!(
        one.throttle_check(&totp_key(b)).await.unwrap(),
        ThrottleState::Open
    );
    let password = ThrottleKey::account_factor(a, Factor::Password);
    assert_eq!(
        one.throttle_check(&password).await.unwrap(),
        ThrottleState::Open
    );
    assert_eq!(failures(&one, &ThrottleKey::account_sends(a)).await, 0);
}

async fn rl7_throttle_ip_window_blocks_then_expires(store: &Store) {
    let (store, clock) = clocked(store);
    for ip in ["203.0.113.9", "2001:db8:1:2::1"] {
        let key = ThrottleKey::ip(ip, Scope::SignIn);
        let same_net = ThrottleKey::ip(ip.replace("::1", "::ffff:7").as_str(), Scope::SignIn);
        let start = clock.now();
        assert_eq!(fail_times(&store, &key, 49).await, ThrottleState::Open);
        clock.advance(secs(60));
        // The fiftieth failure in the window blocks the address until the window ends.
        assert_eq!(
            store.throttle_fail(&same_net).await.unwrap(),
            delayed(secs(840))
        );
        assert_eq!(
            store.throttle_check(&key).await.unwrap(),
            delayed(secs(840))
        );
        // Other scopes and addresses are separate counters.
        assert_eq!(
            store
                .throttle_check(&ThrottleKey::ip(ip, Scope::CodeSend))
                .await
                .unwrap(),
            ThrottleState::Open
        );
        assert_eq!(
            store
                .throttle_check(&ThrottleKey::ip("192.0.2.200", Scope::SignIn))
                .await
                .unwrap(),
            ThrottleState::Open
        );
        clock.advance(secs(839));
        assert_eq!(store.throttle_check(&key).await.unwrap(), delayed(secs(1)));
        clock.advance(secs(1));
        assert_eq!(
            store.throttle_check(&key).await.unwrap(),
            ThrottleState::Open
        );
        // The next failure opens a new window: counted from 1.
        assert_eq!(
            store.throttle_fail(&key).await.unwrap(),
            ThrottleState::Open
        );
        let record = store.throttle_record(&key).await.unwrap().unwrap();
        assert_eq!(record.failures, 1);
        assert_eq!(record.window_start, start.plus(secs(900)));
        assert_eq!(record.blocked_until, None);
        clock.advance(secs(3600));
    }
}

async fn rl7_oob9_throttle_sends_are_gated_per_account_and_address(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("alice")).await.unwrap();
    let b = store.create_account(new_account("bob")).await.unwrap();
    let sends = ThrottleKey::account_sends(a);
    for n in 1..=5 {
        assert_eq!(
            store.throttle_hit(&sends).await.unwrap(),
            ThrottleState::Open,
            "{n}"
        );
        clock.advance(secs(10));
    }
    // The sixth send within 15 minutes is refused and not counted.
    assert_eq!(
        store.throttle_hit(&sends).await.unwrap(),
        delayed(secs(850))
    );
    assert_eq!(
        store.throttle_hit(&sends).await.unwrap(),
        delayed(secs(850))
    );
    assert_eq!(failures(&store, &sends).await, 5);
    assert_eq!(
        store
            .throttle_hit(&ThrottleKey::account_sends(b))
            .await
            .unwrap(),
        ThrottleState::Open
    );
    clock.advance(secs(850));
    assert_eq!(
        store.throttle_hit(&sends).await.unwrap(),
        ThrottleState::Open
    );
    assert_eq!(failures(&store, &sends).await, 1);

    // Per address: 20 sends per 15 minutes, whatever the accounts.
    let ip = ThrottleKey::ip("198.51.100.20", Scope::CodeSend);
    for _ in 0..20 {
        assert_eq!(store.throttle_hit(&ip).await.unwrap(), ThrottleState::Open);
    }
    assert_eq!(store.throttle_hit(&ip).await.unwrap(), delayed(secs(900)));
    // Wizard starts: 20 as well.
    let wizard = ThrottleKey::ip("198.51.100.20", Scope::Wizard);
    for _ in 0..20 {
        assert!(store.throttle_hit(&wizard).await.unwrap().is_open());
    }
    assert!(!store.throttle_hit(&wizard).await.unwrap().is_open());
}

async fn rl6_throttle_300_concurrent_failures_count_300(store: &Store) {
    const RACERS: usize = 300;
    let a = store.create_account(new_account("alice")).await.unwrap();
    let key = totp_key(a);
    let start = Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let (store, start, key) = (store.clone(), start.clone(), key.clone());
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store.throttle_fail(&key).await.unwrap()
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(failures(store, &key).await, RACERS as i64);
    assert_eq!(
        store.throttle_check(&key).await.unwrap(),
        ThrottleState::Refused
    );
}

async fn rl1_rl6_throttle_concurrent_hits_never_pass_the_limit(store: &Store) {
    const RACERS: usize = 300;
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("alice")).await.unwrap();

    async fn race(store: &Store, key: &ThrottleKey) -> usize {
        let start = Arc::new(tokio::sync::Barrier::new(RACERS));
        let mut tasks = Vec::new();
        for _ in 0..RACERS {
            let (store, start, key) = (store.clone(), start.clone(), key.clone());
            tasks.push(tokio::spawn(async move {
                start.wait().await;
                store.throttle_hit(&key).await.unwrap()
            }));
        }
        let mut open = 0;
        for task in tasks {
            if task.await.unwrap().is_open() {
                open += 1;
            }
        }
        open
    }

    // Guesses counted before checking: of 300 at once, only the 5 free ones get through.
    let key = totp_key(a);
    assert_eq!(race(&store, &key).await, 5);
    assert_eq!(failures(&store, &key).await, 5);
    // At 99 failures and the delay over, exactly one more guess is allowed, ever.
    fail_times(&store, &key, 94).await;
    clock.advance(secs(900));
    assert_eq!(race(&store, &key).await, 1);
    assert_eq!(failures(&store, &key).await, 100);
    clock.advance(secs(86_400));
    assert_eq!(race(&store, &key).await, 0);
    assert_eq!(failures(&store, &key).await, 100);

    // Sends: 5 per account, however many requests race.
    let sends = ThrottleKey::account_sends(a);
    assert_eq!(race(&store, &sends).await, 5);
    assert_eq!(failures(&store, &sends).await, 5);
}

async fn throttle_purge_removes_only_dead_windows(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("alice")).await.unwrap();
    let old_ip = ThrottleKey::ip("192.0.2.1", Scope::SignIn);
    let old_sends = ThrottleKey::account_sends(a);
    let old_wizard = ThrottleKey::account_wizard(a);
    let factor = totp_key(a);
    store.throttle_fail(&old_ip).await.unwrap();
    store.throttle_hit(&old_sends).await.unwrap();
    store.throttle_hit(&old_wizard).await.unwrap();
    store.throttle_fail(&factor).await.unwrap();
    clock.advance(secs(600));
    let young_ip = ThrottleKey::ip("192.0.2.2", Scope::Wizard);
    store.throttle_hit(&young_ip).await.unwrap();
    assert_eq!(store.throttle_purge().await.unwrap(), 0);
    clock.advance(secs(300));
    assert_eq!(store.throttle_purge().await.unwrap(), 3);
    assert_eq!(store.throttle_record(&old_ip).await.unwrap(), None);
    assert_eq!(store.throttle_record(&old_sends).await.unwrap(), None);
    assert_eq!(store.throttle_record(&old_wizard).await.unwrap(), None);
    assert!(store.throttle_record(&young_ip).await.unwrap().is_some());
    // A consecutive count is never purged, however old.
    clock.advance(secs(365 * 86_400));
    assert_eq!(store.throttle_purge().await.unwrap(), 1);
    assert_eq!(failures(&store, &factor).await, 1);
}
