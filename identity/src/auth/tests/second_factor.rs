//! The second step: codes from an authenticator app or sent by email, once each, in their own
//! attempt, throttled, told.

use super::*;
use crate::testing::attempt_of;

#[tokio::test]
async fn otp_6_a_totp_code_opens_one_session_and_never_works_again() {
    let f = fixture(testing::sqlite().await).await;
    let code = code_at(T0);
    assert_eq!(code, "081804"); // RFC 6238 vector, 6 digits
    let ok = password_step(&f, "alice").await;
    let (_, session) = f
        .auth
        .verify_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            f.alice_token,
            &code,
            &Client::default(),
        )
        .await
        .unwrap();
    let caller = f.auth.authorize(&session).await.unwrap();
    assert_eq!(caller.account().id, f.alice);
    // SE-2: the session token is not the attempt token, and the attempt is spent.
    assert_ne!(session.as_str(), ok.attempt.as_str());
    assert!(matches!(
        f.auth.attempt(&ok.attempt).await,
        Err(DomainError::AttemptExpired)
    ));

    // The same code in a new attempt: refused, as is the previous step's code.
    let again = password_step(&f, "alice").await;
    for code in [code_at(T0), code_at(T0 - 30)] {
        assert!(matches!(
            f.auth
                .verify_totp(
                    &attempt_of(&f.auth, &again.attempt).await,
                    f.alice_token,
                    &code,
                    &Client::default()
                )
                .await,
            Err(DomainError::InvalidCode)
        ));
    }
    // The next step's code works (OTP-5 window, later than the last accepted step).
    f.clock.advance(Duration::from_secs(30));
    f.auth
        .verify_totp(
            &attempt_of(&f.auth, &again.attempt).await,
            f.alice_token,
            &code_at(T0 + 30),
            &Client::default(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn ac_2_another_accounts_token_is_never_checked() {
    let f = fixture(testing::sqlite().await).await;
    let ok = password_step(&f, "alice").await;
    assert!(matches!(
        f.auth
            .verify_totp(
                &attempt_of(&f.auth, &ok.attempt).await,
                f.bob_token,
                &code_at(T0),
                &Client::default()
            )
            .await,
        Err(DomainError::UnusableToken)
    ));
}

#[tokio::test]
async fn an_expired_attempt_must_start_again() {
    let f = fixture(testing::sqlite().await).await;
    let ok = password_step(&f, "alice").await;
    f.clock.advance(LOGIN_ATTEMPT_TTL + Duration::from_secs(1));
    // The attempt is no capability any more: nothing of step 2 can be reached with it.
    assert!(matches!(
        f.auth.attempt(&ok.attempt).await,
        Err(DomainError::AttemptExpired)
    ));
}

#[tokio::test]
async fn rl_3_wrong_codes_meet_growing_delays_and_rl_5_success_clears_them() {
    let f = fixture(testing::sqlite().await).await;
    let ok = password_step(&f, "alice").await;
    for _ in 0..5 {
        let err = f
            .auth
            .verify_totp(
                &attempt_of(&f.auth, &ok.attempt).await,
                f.alice_token,
                "000000",
                &no_client(),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::InvalidCode), "{err:?}");
    }
    // The sixth guess waits; the right code does too: no guess is checked while delayed.
    let err = f
        .auth
        .verify_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            f.alice_token,
            &code_at(T0),
            &no_client(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DomainError::RateLimited {
                retry_after_secs: 1
            }
        ),
        "{err:?}"
    );
    f.clock.advance(Duration::from_secs(2));
    f.auth
        .verify_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            f.alice_token,
            &code_at(T0),
            &no_client(),
        )
        .await
        .unwrap();
    let record = f
        .auth
        .store()
        .throttle_record(&ThrottleKey::account_factor(f.alice, Factor::Totp))
        .await
        .unwrap();
    assert!(record.is_none_or(|r| r.failures == 0), "{record:?}");
}

#[tokio::test]
async fn rl_1_a_factor_is_refused_after_100_failures_but_others_still_work() {
    let f = fixture(testing::sqlite().await).await;
    let mut attempt = password_step(&f, "alice").await.attempt;
    let mut wrong = 0;
    while wrong < 100 {
        let guess = match f.auth.attempt(&attempt).await {
            Ok(live) => {
                f.auth
                    .verify_totp(&live, f.alice_token, "000000", &no_client())
                    .await
            }
            Err(expired) => Err(expired),
        };
        match guess {
            Err(DomainError::InvalidCode) => wrong += 1,
            // RL-3: delays, which the clock waits out...
            Err(DomainError::RateLimited { retry_after_secs }) => {
                f.clock.advance(Duration::from_secs(retry_after_secs))
            }
            // ...longer than a sign-in attempt lives: sign in again.
            Err(DomainError::AttemptExpired) => {
                attempt = password_step(&f, "alice").await.attempt;
            }
            other => panic!("after {wrong} wrong codes: {:?}", other.map(|_| ())),
        }
    }
    attempt = password_step(&f, "alice").await.attempt;
    let now = f.clock.now().unix_secs() as i64;
    assert!(matches!(
        f.auth
            .verify_totp(
                &attempt_of(&f.auth, &attempt).await,
                f.alice_token,
                &code_at(now),
                &no_client()
            )
            .await,
        Err(DomainError::Blocked)
    ));
    f.clock.advance(Duration::from_secs(365 * 86_400));
    attempt = password_step(&f, "alice").await.attempt;
    let now = f.clock.now().unix_secs() as i64;
    assert!(matches!(
        f.auth
            .verify_totp(
                &attempt_of(&f.auth, &attempt).await,
                f.alice_token,
                &code_at(now),
                &no_client()
            )
            .await,
        Err(DomainError::Blocked)
    ));
    // Another factor still works.
    f.auth
        .send_code(
            &attempt_of(&f.auth, &attempt).await,
            f.alice_email,
            &no_client(),
        )
        .await
        .unwrap();
    let code = code_sent_to(&f, "alice.codes@example.org").await;
    f.auth
        .verify_code(
            &attempt_of(&f.auth, &attempt).await,
            f.alice_email,
            &code,
            &no_client(),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn au_6_three_wrong_second_factors_tell_the_owner() {
    let f = fixture(testing::sqlite().await).await;
    let ok = password_step(&f, "alice").await;
    for _ in 0..3 {
        let _ = f
            .auth
            .verify_totp(
                &attempt_of(&f.auth, &ok.attempt).await,
                f.alice_token,
                "000000",
                &no_client(),
            )
            .await;
    }
    let messages = f.auth.store().outbox_messages(10).await.unwrap();
    assert_eq!(messages.len(), 1, "one notice to the one confirmed contact");
    assert_eq!(messages[0].recipient, "alice@example.org");
    assert!(!messages[0].body.contains(PASSWORD));
}

#[tokio::test]
async fn otp_7_a_replayed_code_is_audited_and_told() {
    let f = fixture(testing::sqlite().await).await;
    for _ in 0..2 {
        let ok = password_step(&f, "alice").await;
        let _ = f
            .auth
            .verify_totp(
                &attempt_of(&f.auth, &ok.attempt).await,
                f.alice_token,
                &code_at(T0),
                &no_client(),
            )
            .await;
    }
    assert!(audit_actions(&f)
        .await
        .contains(&"totp.replay:denied".to_string()));
    assert_eq!(f.auth.store().outbox_messages(10).await.unwrap().len(), 1);
}

#[tokio::test]
async fn oob_5_an_emailed_code_works_once_in_its_own_attempt() {
    let f = fixture(testing::sqlite().await).await;
    let a = password_step(&f, "alice").await;
    let b = password_step(&f, "alice").await;
    f.auth
        .send_code(
            &attempt_of(&f.auth, &a.attempt).await,
            f.alice_email,
            &no_client(),
        )
        .await
        .unwrap();
    let pending = f
        .auth
        .pending(&attempt_of(&f.auth, &a.attempt).await)
        .await
        .unwrap();
    assert_eq!(pending.code_sent_for, Some(f.alice_email));
    let code = code_sent_to(&f, "alice.codes@example.org").await;
    // Not in another attempt, not with a TOTP token, not a wrong code.
    assert!(matches!(
        f.auth
            .verify_code(
                &attempt_of(&f.auth, &b.attempt).await,
                f.alice_email,
                &code,
                &no_client()
            )
            .await,
        Err(DomainError::InvalidCode)
    ));
    assert!(matches!(
        f.auth
            .send_code(
                &attempt_of(&f.auth, &a.attempt).await,
                f.alice_token,
                &no_client()
            )
            .await,
        Err(DomainError::UnusableToken)
    ));
    f.auth
        .verify_code(
            &attempt_of(&f.auth, &a.attempt).await,
            f.alice_email,
            &code,
            &no_client(),
        )
        .await
        .unwrap();
    let c = password_step(&f, "alice").await;
    assert!(matches!(
        f.auth
            .verify_code(
                &attempt_of(&f.auth, &c.attempt).await,
                f.alice_email,
                &code,
                &no_client()
            )
            .await,
        Err(DomainError::InvalidCode)
    ));
}

#[tokio::test]
async fn oob_9_sends_are_limited_per_account() {
    let f = fixture(testing::sqlite().await).await;
    let a = password_step(&f, "alice").await;
    for _ in 0..5 {
        f.auth
            .send_code(
                &attempt_of(&f.auth, &a.attempt).await,
                f.alice_email,
                &no_client(),
            )
            .await
            .unwrap();
    }
    assert!(matches!(
        f.auth
            .send_code(
                &attempt_of(&f.auth, &a.attempt).await,
                f.alice_email,
                &no_client()
            )
            .await,
        Err(DomainError::RateLimited { .. })
    ));
    let sent = f.auth.store().outbox_messages(50).await.unwrap();
    assert_eq!(sent.len(), 5);
}

on_both_backends!(otp_6_racing_submissions_of_one_code_open_one_session,);

/// Someone holding the password and a code the owner just typed submits it again at the same
/// moment, from several attempts: the step is spent in the session's own transaction, so
/// exactly one session opens, every other submission is refused and audited as a replay, and
/// a refused submission writes nothing (its attempt is still there, no session, no step).
async fn otp_6_racing_submissions_of_one_code_open_one_session(db: TestStore) {
    let f = fixture(db).await;
    let code = code_at(T0);
    let mut attempts = Vec::new();
    for _ in 0..4 {
        let ok = password_step(&f, "alice").await;
        attempts.push((attempt_of(&f.auth, &ok.attempt).await, ok.attempt));
    }
    let client = no_client();
    let verify = |i: usize| {
        f.auth
            .verify_totp(&attempts[i].0, f.alice_token, &code, &client)
    };
    let (a, b, c, d) = tokio::join!(verify(0), verify(1), verify(2), verify(3));
    let results = [a, b, c, d];
    let opened: Vec<usize> = (0..4).filter(|i| results[*i].is_ok()).collect();
    assert_eq!(opened.len(), 1, "exactly one session: {results:?}");
    for (i, result) in results.iter().enumerate() {
        if i != opened[0] {
            assert!(
                matches!(result, Err(DomainError::InvalidCode)),
                "{result:?}"
            );
            assert!(
                f.auth.attempt(&attempts[i].1).await.is_ok(),
                "a refused attempt stays"
            );
        }
    }
    assert!(matches!(
        f.auth.attempt(&attempts[opened[0]].1).await,
        Err(DomainError::AttemptExpired)
    ));
    let store = f.auth.store();
    assert_eq!(store.sessions(f.alice).await.unwrap().len(), 1);
    let token = store.token(f.alice, f.alice_token).await.unwrap().unwrap();
    assert_eq!(token.last_totp_step, Some(T0 / 30));
    let actions = audit_actions(&f).await;
    let count = |what: &str| actions.iter().filter(|a| *a == what).count();
    assert_eq!(count("sign_in.second_factor:success"), 1, "{actions:?}");
    assert_eq!(count("totp.replay:denied"), 3, "{actions:?}");
    // The same code in yet another attempt, afterwards: refused as well.
    let late = password_step(&f, "alice").await;
    assert!(matches!(
        f.auth
            .verify_totp(
                &attempt_of(&f.auth, &late.attempt).await,
                f.alice_token,
                &code,
                &no_client()
            )
            .await,
        Err(DomainError::InvalidCode)
    ));
}
