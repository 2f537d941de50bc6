//! The first authenticator app of an account that never had a token.

use super::*;

#[tokio::test]
async fn otp_12_a_first_token_is_enrolled_and_active_only_after_a_valid_code() {
    let f = fixture(testing::sqlite().await).await;
    let carol = tokenless_account(&f, "carol", "Carol").await;
    let ok = password_step(&f, "carol").await;
    let pending = f.auth.pending(&ok.attempt).await.unwrap();
    assert!(pending.may_enrol_first && pending.enrolment.is_none());
    let token = f
        .auth
        .start_first_totp(&ok.attempt, "Authenticator app", "Pixel 9")
        .await
        .unwrap();
    // Starting again (a reload) gives the same enrolment and secret.
    assert_eq!(
        f.auth
            .start_first_totp(&ok.attempt, "x", "y")
            .await
            .unwrap(),
        token
    );
    let (_, secret) = f
        .auth
        .pending(&ok.attempt)
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
            .finish_first_totp(&ok.attempt, token, "000000", &no_client())
            .await,
        Err(DomainError::InvalidCode)
    ));
    let code = secret.code_at(T0 as u64);
    let (account, _) = f
        .auth
        .finish_first_totp(&ok.attempt, token, &code, &no_client())
        .await
        .unwrap();
    assert_eq!(account.id, carol);
    assert_eq!(f.auth.store().active_tokens(carol).await.unwrap().len(), 1);
    // From now on the account has had a token: no second "first" enrolment.
    let again = password_step(&f, "carol").await;
    let pending = f.auth.pending(&again.attempt).await.unwrap();
    assert!(!pending.may_enrol_first && pending.enrolment.is_none());
    assert!(matches!(
        f.auth.start_first_totp(&again.attempt, "a", "b").await,
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
        .start_first_totp(&ok.attempt, "App", "Phone")
        .await
        .unwrap();
    let (_, secret) = f
        .auth
        .pending(&ok.attempt)
        .await
        .unwrap()
        .enrolment
        .unwrap();
    f.clock.advance(ENROLMENT_TTL + Duration::from_secs(1));
    let again = password_step(&f, "dave").await;
    assert!(f
        .auth
        .pending(&again.attempt)
        .await
        .unwrap()
        .enrolment
        .is_none());
    let now = f.clock.now().unix_secs();
    assert!(matches!(
        f.auth
            .finish_first_totp(&again.attempt, token, &secret.code_at(now), &no_client())
            .await,
        Err(DomainError::UnusableToken)
    ));
}
