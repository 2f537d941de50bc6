//! The first authenticator app of an account that never had a token.

use super::*;
use crate::testing::attempt_of;

#[tokio::test]
async fn otp_12_a_first_token_is_enrolled_and_active_only_after_a_valid_code() {
    let f = fixture(testing::sqlite().await).await;
    let carol = tokenless_account(&f, "carol", "Carol").await;
    let ok = password_step(&f, "carol").await;
    let pending = f
        .auth
        .pending(&attempt_of(&f.auth, &ok.attempt).await)
        .await
        .unwrap();
    assert!(pending.may_enrol_first && pending.enrolment.is_none());
    let token = f
        .auth
        .start_first_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            "Authenticator app",
            "Pixel 9",
        )
        .await
        .unwrap();
    // Starting again (a reload) gives the same enrolment and secret.
    assert_eq!(
        f.auth
            .start_first_totp(&attempt_of(&f.auth, &ok.attempt).await, "x", "y")
            .await
            .unwrap(),
        token
    );
    let (_, secret) = f
        .auth
        .pending(&attempt_of(&f.auth, &ok.attempt).await)
        .await
        .unwrap()
        .enrolment
        .unwrap();
    // Pending: it cannot sign in.
    assert!(f
        .auth
        .store()
        .active_tokens(carol)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        f.auth
            .finish_first_totp(
                &attempt_of(&f.auth, &ok.attempt).await,
                token,
                "000000",
                &no_client()
            )
            .await,
        Err(DomainError::InvalidCode)
    ));
    let code = secret.code_at(T0 as u64);
    let (account, _) = f
        .auth
        .finish_first_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            token,
            &code,
            &no_client(),
        )
        .await
        .unwrap();
    assert_eq!(account.id, carol);
    assert_eq!(f.auth.store().active_tokens(carol).await.unwrap().len(), 1);
    // From now on the account has had a token: no second "first" enrolment.
    let again = password_step(&f, "carol").await;
    let pending = f
        .auth
        .pending(&attempt_of(&f.auth, &again.attempt).await)
        .await
        .unwrap();
    assert!(!pending.may_enrol_first && pending.enrolment.is_none());
    assert!(matches!(
        f.auth
            .start_first_totp(&attempt_of(&f.auth, &again.attempt).await, "a", "b")
            .await,
        Err(DomainError::UnusableToken)
    ));
}

#[tokio::test]
async fn an_unfinished_enrolment_expires_after_10_minutes() {
    let f = fixture(testing::sqlite().await).await;
    tokenless_account(&f, "dave", "Dave").await;
    let ok = password_step(&f, "dave").await;
    let token = f
        .auth
        .start_first_totp(&attempt_of(&f.auth, &ok.attempt).await, "App", "Phone")
        .await
        .unwrap();
    let (_, secret) = f
        .auth
        .pending(&attempt_of(&f.auth, &ok.attempt).await)
        .await
        .unwrap()
        .enrolment
        .unwrap();
    f.clock.advance(ENROLMENT_TTL + Duration::from_secs(1));
    let again = password_step(&f, "dave").await;
    assert!(f
        .auth
        .pending(&attempt_of(&f.auth, &again.attempt).await)
        .await
        .unwrap()
        .enrolment
        .is_none());
    let now = f.clock.now().unix_secs();
    assert!(matches!(
        f.auth
            .finish_first_totp(
                &attempt_of(&f.auth, &again.attempt).await,
                token,
                &secret.code_at(now),
                &no_client()
            )
            .await,
        Err(DomainError::UnusableToken)
    ));
}

on_both_backends!(an_account_whose_every_token_is_blocked_enrols_no_first_token,);

/// An attacker who holds only the password blocks every token of the owner's phone ("Block my
/// lost phone now" needs only the password), then signs in: the account had tokens, so the
/// password alone must not open the "first token" enrolment (it would be a full takeover).
async fn an_account_whose_every_token_is_blocked_enrols_no_first_token(db: TestStore) {
    let f = fixture(db).await;
    let carol = tokenless_account(&f, "carol", "Carol").await;
    let token =
        testing::add_token(f.auth.store(), carol, TokenKind::Totp, "App", Some("Phone")).await;
    testing::execute_raw(
        f.auth.store(),
        &format!(
            "UPDATE tokens SET state = 'blocked', blocked_at = {} WHERE id = {}",
            T0 * 1000,
            token.0
        ),
    )
    .await
    .unwrap();
    let ok = password_step(&f, "carol").await;
    let pending = f
        .auth
        .pending(&attempt_of(&f.auth, &ok.attempt).await)
        .await
        .unwrap();
    assert!(pending.tokens.is_empty(), "a blocked token is not offered");
    assert!(
        !pending.may_enrol_first,
        "the password alone enrols nothing"
    );
    assert!(matches!(
        f.auth
            .start_first_totp(
                &attempt_of(&f.auth, &ok.attempt).await,
                "Attacker's app",
                "Attacker's phone"
            )
            .await,
        Err(DomainError::UnusableToken)
    ));
}
