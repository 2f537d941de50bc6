//! Passkeys end to end in the domain (issue 17), with a software authenticator that signs as a
//! real one does: added from a recent or restricted session, used at the second step, and the
//! attacker's answers (another site's, replayed, late, cloned, unknown) refused, counted and
//! audited, with nothing opened.

use super::*;
use crate::testing::attempt_of;
use webauthn_authenticator_rs::prelude::Url as AuthenticatorUrl;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

const ORIGIN: &str = "https://id.example.org";

fn origin(url: &str) -> AuthenticatorUrl {
    AuthenticatorUrl::parse(url).unwrap()
}

/// The browser's answer to creation `options` (the server's JSON), made at `at`.
fn create(key: &mut SoftPasskey, options: &str, at: &str) -> String {
    let public_key: serde_json::Value = serde_json::from_str(options).unwrap();
    let options: CreationChallengeResponse =
        serde_json::from_value(serde_json::json!({ "publicKey": public_key })).unwrap();
    serde_json::to_string(&key.do_registration(origin(at), options).unwrap()).unwrap()
}

/// The browser's answer to request `options`, made at `at`.
fn get(key: &mut SoftPasskey, options: &str, at: &str) -> String {
    let public_key: serde_json::Value = serde_json::from_str(options).unwrap();
    let options: RequestChallengeResponse =
        serde_json::from_value(serde_json::json!({ "publicKey": public_key })).unwrap();
    serde_json::to_string(&key.do_authentication(origin(at), options).unwrap()).unwrap()
}

/// `answer` (JSON) as a phishing relay would send it, with `site` as its origin.
fn relayed(answer: &str, site: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(answer).unwrap();
    crate::passkey::tests::from_origin(&value, site)
}

/// Alice adds `key` as a passkey from a fresh full session.
async fn add_key(f: &Fixture, key: &mut SoftPasskey) -> Token {
    let account = f.store.account_by_id(f.alice).await.unwrap().unwrap();
    let (_, caller) = f.session(&account, crate::SessionScope::Full).await;
    let options = f
        .enrol
        .start_passkey(&caller, "Key ring", "YubiKey 5")
        .await
        .unwrap();
    let answer = create(key, &options, ORIGIN);
    f.enrol
        .finish_passkey(&caller, &answer, &no_client())
        .await
        .unwrap()
}

/// A new sign-in attempt of Alice's after her password: its cookie's token and the capability.
async fn alice_attempt(f: &Fixture) -> (SessionToken, crate::Attempt) {
    let ok = password_step(f, "alice").await;
    let attempt = attempt_of(&f.auth, &ok.attempt).await;
    (ok.attempt, attempt)
}

/// `key`'s answer, at MAYI ID's origin, to a prompt begun in `attempt`.
async fn answered(f: &Fixture, attempt: &crate::Attempt, key: &mut SoftPasskey) -> String {
    let options = f.auth.start_passkey(attempt).await.unwrap();
    get(key, &options, ORIGIN)
}

async fn refusals(f: &Fixture) -> Vec<String> {
    f.events(crate::AuditAction::PasskeyRefused)
        .await
        .iter()
        .map(|e| e.details["reason"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn a_passkey_is_added_then_signs_in_and_its_counter_moves_on() {
    let f = fixture(testing::sqlite().await).await;
    let mut key = SoftPasskey::new(true);
    let outbox_before = f.store.outbox_messages(100).await.unwrap().len();
    let token = add_key(&f, &mut key).await;
    assert_eq!(
        (token.kind, token.state, token.label.as_str()),
        (TokenKind::Webauthn, TokenState::Active, "Key ring")
    );
    assert_eq!(token.device.as_deref(), Some("YubiKey 5"));
    // Told to the account's contacts, in the same transaction; audited with its kind.
    let outbox = f.store.outbox_messages(100).await.unwrap();
    assert!(outbox.len() > outbox_before);
    assert!(outbox.iter().any(|m| m.body.contains("Key ring")));
    let added = f.events(crate::AuditAction::TokenAdded).await;
    assert_eq!(added[0].details["kind"], "webauthn");
    assert_eq!(added[0].details["token_id"], token.id.0);

    // The second step offers it, and the prompt allows it.
    let (ok, attempt) = alice_attempt(&f).await;
    let pending = f.auth.pending(&attempt).await.unwrap();
    assert!(pending.tokens.iter().any(|t| t.id == token.id));
    let answer = answered(&f, &attempt, &mut key).await;
    let (account, session) = f
        .auth
        .verify_passkey(&attempt, &answer, &no_client())
        .await
        .unwrap();
    assert_eq!(account.id, f.alice);
    let caller = f.auth.authorize(&session).await.unwrap();
    assert!(!caller.is_restricted(), "a passkey opens a full session");
    let stored = f
        .store
        .passkey_credentials(f.alice, &[TokenState::Active])
        .await
        .unwrap();
    assert_eq!(stored[0].counter, 1);
    assert!(f
        .store
        .token(f.alice, token.id)
        .await
        .unwrap()
        .unwrap()
        .last_used_at
        .is_some());
    // The attempt is spent: its answer opens nothing again.
    assert!(matches!(
        f.auth.attempt(&ok).await,
        Err(DomainError::AttemptExpired)
    ));

    // A second sign-in moves the counter on.
    let (_, attempt) = alice_attempt(&f).await;
    let answer = answered(&f, &attempt, &mut key).await;
    f.auth
        .verify_passkey(&attempt, &answer, &no_client())
        .await
        .unwrap();
    let stored = f
        .store
        .passkey_credentials(f.alice, &[TokenState::Active])
        .await
        .unwrap();
    assert_eq!(stored[0].counter, 2);
    assert!(refusals(&f).await.is_empty());
}

#[tokio::test]
async fn an_attackers_answers_are_refused_counted_and_audited() {
    let f = fixture(testing::sqlite().await).await;
    let mut key = SoftPasskey::new(true);
    add_key(&f, &mut key).await;
    let sessions_before = f.store.sessions(f.alice).await.unwrap().len();

    // A phishing site's origin: the answer carries it, signed.
    let (_, attempt) = alice_attempt(&f).await;
    for phishing in ["https://id.example.org.evil.test", "http://id.example.org"] {
        // Each answer takes its prompt: each needs a new one.
        let options = f.auth.start_passkey(&attempt).await.unwrap();
        let answer = relayed(&get(&mut key, &options, ORIGIN), phishing);
        let error = f
            .auth
            .verify_passkey(&attempt, &answer, &no_client())
            .await
            .unwrap_err();
        assert!(matches!(error, DomainError::PasskeyRefused), "{error:?}");
    }

    // An answer without an open prompt (late, or replayed after the prompt was answered).
    let answer = answered(&f, &attempt, &mut key).await;
    let replay = answer.clone();
    f.auth
        .verify_passkey(&attempt, &answer, &no_client())
        .await
        .unwrap();
    let (_, attempt) = alice_attempt(&f).await;
    let error = f
        .auth
        .verify_passkey(&attempt, &replay, &no_client())
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::PasskeyRefused), "{error:?}");
    // A replayed answer against a new prompt: another challenge.
    f.auth.start_passkey(&attempt).await.unwrap();
    let error = f
        .auth
        .verify_passkey(&attempt, &replay, &no_client())
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::PasskeyRefused), "{error:?}");

    // Garbage.
    f.auth.start_passkey(&attempt).await.unwrap();
    let error = f
        .auth
        .verify_passkey(&attempt, "{\"id\":", &no_client())
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::PasskeyRefused), "{error:?}");

    assert_eq!(
        refusals(&f).await,
        [
            "malformed",
            "wrong_challenge",
            "no_open_prompt",
            "wrong_origin",
            "wrong_origin"
        ],
        "newest first, each with its reason"
    );
    // Every refusal counted as a failed guess on the passkey factor; one sign-in succeeded
    // in between (which cleared the count).
    let key_name = ThrottleKey::account_factor(f.alice, Factor::Passkey);
    let record = f.store.throttle_record(&key_name).await.unwrap().unwrap();
    assert_eq!(record.failures, 3);
    assert_eq!(
        f.store.sessions(f.alice).await.unwrap().len(),
        sessions_before + 1,
        "only the honest sign-in opened a session"
    );
}

#[tokio::test]
async fn a_cloned_key_whose_counter_lags_is_refused() {
    let f = fixture(testing::sqlite().await).await;
    let mut key = SoftPasskey::new(true);
    add_key(&f, &mut key).await;
    // The clone answers a prompt (counter 1) and keeps the answer; the real key then signs in
    // (counter 2). The clone's answer, to its own still-open prompt, has a counter that did not
    // move on from the stored one.
    let (_, clone_attempt) = alice_attempt(&f).await;
    let clone_answer = answered(&f, &clone_attempt, &mut key).await;
    let (_, real) = alice_attempt(&f).await;
    let answer = answered(&f, &real, &mut key).await;
    f.auth
        .verify_passkey(&real, &answer, &no_client())
        .await
        .unwrap();
    let error = f
        .auth
        .verify_passkey(&clone_attempt, &clone_answer, &no_client())
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::PasskeyRefused), "{error:?}");
    assert_eq!(refusals(&f).await, ["possible_clone"]);
    let stored = f
        .store
        .passkey_credentials(f.alice, &[TokenState::Active])
        .await
        .unwrap();
    assert_eq!(stored[0].counter, 2, "the counter stays the real key's");
}

#[tokio::test]
async fn only_the_accounts_active_passkeys_sign_in() {
    let f = fixture(testing::sqlite().await).await;
    let mut key = SoftPasskey::new(true);
    let token = add_key(&f, &mut key).await;
    // Bob has no passkey: no prompt; Alice's key answering Bob's prompt is impossible then.
    let bob = password_step(&f, "bob").await;
    let bob = attempt_of(&f.auth, &bob.attempt).await;
    assert!(matches!(
        f.auth.start_passkey(&bob).await,
        Err(DomainError::UnusableToken)
    ));
    // A passkey is not a code: the code step refuses it.
    assert!(matches!(
        f.auth
            .verify(&bob, TokenKind::Webauthn, token.id, "123456", &no_client())
            .await,
        Err(DomainError::UnusableToken)
    ));
    // Blocked ("Block my lost phone now" on its device): no prompt, and an answer to a prompt
    // opened before is refused.
    let (ok, attempt) = alice_attempt(&f).await;
    let answer = answered(&f, &attempt, &mut key).await;
    f.store
        .block_device(
            f.alice,
            "YubiKey 5",
            |_| crate::token_added_notice("Alice", "x", testing::URL),
            |_| Vec::new(),
        )
        .await
        .unwrap()
        .unwrap();
    // Blocking ended the attempt too.
    assert!(f.auth.attempt(&ok).await.is_err());
    let (_, attempt2) = alice_attempt(&f).await;
    assert!(matches!(
        f.auth.start_passkey(&attempt2).await,
        Err(DomainError::UnusableToken)
    ));
    let error = f
        .auth
        .verify_passkey(&attempt2, &answer, &no_client())
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::PasskeyRefused), "{error:?}");
    let _ = attempt;
}

#[tokio::test]
async fn adding_needs_a_recent_or_restricted_session_and_refuses_a_bad_answer() {
    let f = fixture(testing::sqlite().await).await;
    let account = f.store.account_by_id(f.alice).await.unwrap().unwrap();
    let (_, caller) = f.session(&account, crate::SessionScope::Full).await;
    let mut key = SoftPasskey::new(true);
    // Another site's answer, then a replay of the prompt's answer: refused, nothing added.
    let options = f
        .enrol
        .start_passkey(&caller, "Key ring", "")
        .await
        .unwrap();
    let phished = relayed(&create(&mut key, &options, ORIGIN), "https://evil.test");
    assert!(matches!(
        f.enrol
            .finish_passkey(&caller, &phished, &no_client())
            .await,
        Err(DomainError::PasskeyRefused)
    ));
    assert!(matches!(
        f.enrol
            .finish_passkey(&caller, &phished, &no_client())
            .await,
        Err(DomainError::PasskeyRefused)
    ));
    assert_eq!(refusals(&f).await, ["no_open_prompt", "wrong_origin"]);
    assert!(f
        .store
        .passkey_credentials(f.alice, &[TokenState::Active])
        .await
        .unwrap()
        .is_empty());
    // A name is checked before the prompt opens.
    assert!(matches!(
        f.enrol.start_passkey(&caller, "   ", "").await,
        Err(DomainError::InvalidInput { .. })
    ));
    // Ten minutes after the sign-in: confirm the password first.
    f.clock
        .advance(crate::RECENT_SIGN_IN + Duration::from_secs(1));
    assert!(matches!(
        f.enrol.start_passkey(&caller, "Key", "").await,
        Err(DomainError::NotRecent)
    ));
    assert!(matches!(
        f.enrol.finish_passkey(&caller, "{}", &no_client()).await,
        Err(DomainError::NotRecent)
    ));
    // A restricted emergency session may add one however old its sign-in (EC-11).
    let (_, restricted) = f.session(&account, crate::SessionScope::Emergency).await;
    f.clock
        .advance(crate::RECENT_SIGN_IN + Duration::from_secs(1));
    let options = f
        .enrol
        .start_passkey(&restricted, "Key ring", "")
        .await
        .unwrap();
    let answer = create(&mut key, &options, ORIGIN);
    let token = f
        .enrol
        .finish_passkey(&restricted, &answer, &no_client())
        .await
        .unwrap();
    assert_eq!(token.kind, TokenKind::Webauthn);
    assert_eq!(token.device, None);
    // The same authenticator again: the browser is told to refuse it (excluded), and a
    // server that gets it anyway refuses the duplicate.
    let options = f
        .enrol
        .start_passkey(&restricted, "Again", "")
        .await
        .unwrap();
    assert!(options.contains("excludeCredentials"), "{options}");
}

#[tokio::test]
async fn passkeys_are_off_where_the_public_url_cannot_have_them() {
    let db = testing::sqlite().await;
    let clock = Arc::new(testing::ManualClock::new(Timestamp::from_unix_secs(T0)));
    let store = db.store.clone().with_clock(clock.clone());
    let identity = crate::Identity::new(
        store.clone(),
        crate::PasswordHasher::new(None).unwrap(),
        Arc::new(crate::SeedCipher::from_key_bytes([5; 32])),
        clock,
        "http://127.0.0.1:3000",
        EmergencyPolicy::default(),
    )
    .unwrap();
    assert!(!identity.enrolment.passkeys_available());
    assert!(!identity.auth.passkeys_available());
    let account = testing::account_in(
        &store,
        "carol",
        "Carol",
        Role::User,
        testing::fake_password_hash(),
        vec![],
    )
    .await;
    let (_, caller) = testing::session_in(&store, &account, crate::SessionScope::Full).await;
    assert!(matches!(
        identity.enrolment.start_passkey(&caller, "Key", "").await,
        Err(DomainError::PasskeysUnavailable)
    ));
}
