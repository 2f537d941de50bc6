//! Sessions: signing out, and seeing and ending one's other sessions.

use super::*;
use crate::testing::attempt_of;

#[tokio::test]
async fn se_5_sign_out_ends_the_session_on_the_server() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let f = fixture(db).await;
    let ok = password_step(&f, "alice").await;
    let (_, session) = f
        .auth
        .verify_totp(
            &attempt_of(&f.auth, &ok.attempt).await,
            f.alice_token,
            &code_at(T0),
            &Client::default(),
        )
        .await
        .unwrap();
    f.auth.authorize(&session).await.unwrap();
    f.auth.sign_out(&session, &Client::default()).await.unwrap();
    assert!(matches!(
        f.auth.authorize(&session).await,
        Err(DomainError::NotSignedIn)
    ));
}

#[tokio::test]
async fn se_7_people_see_and_end_their_other_sessions_only() {
    let f = fixture(testing::sqlite().await).await;
    let mut tokens = Vec::new();
    for step in 0..3 {
        let ok = password_step(&f, "alice").await;
        let now = T0 + 30 * step;
        f.clock.set(Timestamp::from_unix_secs(now));
        let (_, token) = f
            .auth
            .verify_totp(
                &attempt_of(&f.auth, &ok.attempt).await,
                f.alice_token,
                &code_at(now),
                &no_client(),
            )
            .await
            .unwrap();
        tokens.push(token);
    }
    let bob = password_step(&f, "bob").await;
    let (_, bob_token) = f
        .auth
        .verify_totp(
            &attempt_of(&f.auth, &bob.attempt).await,
            f.bob_token,
            &code_at(T0 + 60),
            &no_client(),
        )
        .await
        .unwrap();
    let current = f
        .auth
        .authorize(&tokens[0])
        .await
        .unwrap()
        .full()
        .expect("a full session");
    let sessions = f.auth.sessions(&current).await.unwrap();
    assert_eq!(sessions.len(), 3);
    assert_eq!(
        sessions[0].id,
        current.session_id(),
        "the caller's own first"
    );
    // Bob's session id is not Alice's to end (AC-2); her own current one is not ended here.
    let bob_session = f.auth.authorize(&bob_token).await.unwrap();
    assert!(!f
        .auth
        .end_other_session(&current, bob_session.session_id(), &no_client())
        .await
        .unwrap());
    assert!(!f
        .auth
        .end_other_session(&current, current.session_id(), &no_client())
        .await
        .unwrap());
    assert!(f
        .auth
        .end_other_session(&current, sessions[1].id, &no_client())
        .await
        .unwrap());
    assert_eq!(
        f.auth
            .end_all_other_sessions(&current.clone().into(), &no_client())
            .await
            .unwrap(),
        1
    );
    assert_eq!(f.auth.sessions(&current).await.unwrap().len(), 1);
    f.auth.authorize(&tokens[0]).await.unwrap();
    f.auth.authorize(&bob_token).await.unwrap();
}
