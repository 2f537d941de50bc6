//! The password step: uniform answers and throttling, an attempt and not a session.

use super::*;
use crate::testing::attempt_of;

#[tokio::test]
async fn unknown_user_and_wrong_password_read_the_same() {
    let f = fixture(testing::sqlite().await).await;
    for (user, password) in [
        ("alice", "wrong password!"),
        ("nobody", PASSWORD),
        ("no body", PASSWORD),
        ("alice", "short"),
    ] {
        let err = f
            .auth
            .check_password(user, password.into(), &Client::default())
            .await
            .err()
            .unwrap();
        assert!(
            matches!(err, DomainError::InvalidCredentials),
            "{user}: {err:?}"
        );
    }
}

#[tokio::test]
async fn se_8_a_correct_password_opens_an_attempt_not_a_session() {
    let f = fixture(testing::sqlite().await).await;
    let ok = password_step(&f, "ALICE").await;
    assert_eq!(ok.account.id, f.alice);
    assert!(matches!(
        f.auth.authorize(&ok.attempt).await,
        Err(DomainError::NotSignedIn)
    ));
    let pending = f
        .auth
        .pending(&attempt_of(&f.auth, &ok.attempt).await)
        .await
        .unwrap();
    assert_eq!(pending.account.id, f.alice);
    assert_eq!(
        pending.tokens.len(),
        2,
        "the authenticator app and the email token"
    );
    assert_eq!(pending.code_sent_for, None);
}

#[tokio::test]
async fn enumeration_unknown_and_known_users_are_throttled_alike() {
    let f = fixture(testing::sqlite().await).await;
    for user in ["alice", "nobody"] {
        let mut outcomes = Vec::new();
        for _ in 0..6 {
            let err = f
                .auth
                .check_password(user, "wrong password!".into(), &no_client())
                .await
                .err()
                .unwrap();
            outcomes.push(format!("{err:?}"));
        }
        assert_eq!(
            outcomes[..5],
            vec!["InvalidCredentials".to_string(); 5][..],
            "{user}"
        );
        assert!(
            outcomes[5].starts_with("RateLimited"),
            "{user}: {outcomes:?}"
        );
    }
}
