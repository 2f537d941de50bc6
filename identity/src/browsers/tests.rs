//! Waiting period by trust (issue 13 item 5) through the domain's services, on SQLite and on
//! PostgreSQL: remembered browsers, the wait of a self-service code by the browser it was asked
//! from, the operator's approval, and what forgets the browsers.

use crate::testing::{attempt_of, wizard_of};
use std::time::Duration;

use crate::testing::{recovery, world_fixture, TestStore, World, PASSWORD};
use crate::time::Clock;
use crate::{
    Account, AuditAction, AuditOutcome, CancelOutcome, Client, DomainError, EmergencyPolicy,
    NewSession, Role, SessionScope, SessionToken, Timestamp, TokenId, TotpSecret,
};

on_both_backends!(
    trust_a_code_from_a_remembered_browser_is_valid_at_once,
    trust_a_code_from_an_unknown_browser_waits_the_configured_time,
    trust_the_waiting_period_for_all_codes_stays_the_minimum,
    trust_an_operator_approval_makes_a_waiting_code_valid_at_once_and_is_audited,
    trust_a_password_change_forgets_every_browser,
    trust_this_was_not_me_forgets_every_browser,
    trust_only_a_full_session_remembers_and_lists_its_own_browsers,
);

const NEW_PASSWORD: &str = "another fine passphrase";
const UNKNOWN_WAIT: Duration = Duration::from_secs(90 * 60);

world_fixture!(
    struct Fixture {
        alice: Account,
        alice_token: TokenId,
        bob: Account,
        bob_token: TokenId,
        olga: Account,
        secret: TotpSecret,
    }
);

fn client(browser: Option<&SessionToken>) -> Client {
    Client {
        ip: Some("192.0.2.9".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Firefox/140.0".into()),
        browser: browser.cloned(),
    }
}

/// The default self-service policy with a 90-minute wait for unknown browsers.
fn policy() -> EmergencyPolicy {
    EmergencyPolicy {
        wait_unknown: UNKNOWN_WAIT,
        ..EmergencyPolicy::SELF_SERVICE_DEFAULT
    }
}

/// Alice, Bob and the operator Olga, each with a recovery address and an authenticator app
/// (one seed for all three).
async fn fixture_with(db: TestStore, policy: EmergencyPolicy) -> Fixture {
    let w = World::with_policy(db, policy);
    let secret = TotpSecret::generate();
    let mut made = Vec::new();
    for (name, role) in [
        ("alice", Role::User),
        ("bob", Role::User),
        ("olga", Role::Operator),
    ] {
        let contacts = vec![recovery(&format!("{name}@example.org"))];
        let account = w
            .member(name, &format!("{name} Example"), role, contacts)
            .await;
        let token = w
            .with_totp_secret(account.id, &secret, "Authenticator", Some("Phone"))
            .await;
        made.push((account, token));
    }
    let (olga, _) = made.pop().unwrap();
    let (bob, bob_token) = made.pop().unwrap();
    let (alice, alice_token) = made.pop().unwrap();
    Fixture {
        w,
        alice,
        alice_token,
        bob,
        bob_token,
        olga,
        secret,
    }
}

async fn fixture(db: TestStore) -> Fixture {
    fixture_with(db, policy()).await
}

impl Fixture {
    /// A full sign-in (password and authenticator code) from the browser holding `browser`'s
    /// cookie; returns the session token and the browser's remembered token.
    async fn full_sign_in(
        &self,
        account: &Account,
        browser: Option<&SessionToken>,
    ) -> (SessionToken, SessionToken) {
        let token = if account.id == self.alice.id {
            self.alice_token
        } else {
            self.bob_token
        };
        let client = client(browser);
        let attempt = self
            .auth
            .check_password(account.username.as_str(), PASSWORD.into(), &client)
            .await
            .unwrap()
            .attempt;
        // One step further each time, so that the same code is never replayed.
        self.clock.advance(Duration::from_secs(30));
        let code = self.secret.code_at(self.clock.now().unix_secs());
        let (_, session) = self
            .auth
            .verify_totp(
                &attempt_of(&self.auth, &attempt).await,
                token,
                &code,
                &client,
            )
            .await
            .unwrap();
        let remembered = self.auth.remember_browser(&session, &client).await.unwrap();
        (session, remembered)
    }

    /// Runs the wizard for `name` from the browser holding `browser` and returns the code.
    async fn issue(&self, name: &str, browser: Option<&SessionToken>) -> String {
        let client = client(browser);
        let wizard = self
            .emergency
            .start(name, PASSWORD.into(), &client)
            .await
            .unwrap();
        let messages = self.store.outbox_messages(1000).await.unwrap();
        let proof = messages
            .iter()
            .find(|m| {
                m.recipient == format!("{name}@example.org")
                    && m.subject.as_deref().unwrap_or("").contains("confirmation")
            })
            .and_then(|m| {
                m.body
                    .split_whitespace()
                    .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
                    .map(str::to_owned)
            })
            .expect("a proof code was queued");
        self.emergency
            .prove(&wizard_of(&self.emergency, &wizard).await, &proof, &client)
            .await
            .unwrap();
        self.emergency
            .choose_reason(
                &wizard_of(&self.emergency, &wizard).await,
                "lost_phone",
                "",
                &client,
            )
            .await
            .unwrap();
        let code = self
            .emergency
            .take_code(&wizard_of(&self.emergency, &wizard).await)
            .await
            .unwrap()
            .unwrap();
        code.grouped().to_string()
    }

    /// Signs in with the password and then `code` instead of the authenticator.
    async fn sign_in_with(&self, name: &str, code: &str) -> Result<SessionToken, DomainError> {
        let attempt = self
            .auth
            .check_password(name, PASSWORD.into(), &client(None))
            .await
            .unwrap()
            .attempt;
        self.emergency
            .sign_in(
                &attempt_of(&self.emergency, &attempt).await,
                code,
                &client(None),
            )
            .await
            .map(|(_, session)| session)
    }

    async fn live_code(&self, account: &Account) -> crate::EmergencyCodeInfo {
        self.store
            .emergency_codes(account.id)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.revoked_at.is_none())
            .expect("a live code")
    }
}

async fn trust_a_code_from_a_remembered_browser_is_valid_at_once(db: TestStore) {
    let f = fixture(db).await;
    let (_, browser) = f.full_sign_in(&f.alice, None).await;
    assert_eq!(f.events(AuditAction::BrowserRemembered).await.len(), 1);
    let code = f.issue("alice", Some(&browser)).await;
    let info = f.live_code(&f.alice).await;
    assert!(!info.unknown_browser);
    assert_eq!(info.valid_from, f.clock.now());
    assert_eq!(
        info.expires_at,
        f.clock
            .now()
            .plus(EmergencyPolicy::SELF_SERVICE_DEFAULT.lifetime)
    );
    let session = f.sign_in_with("alice", &code).await.unwrap();
    assert!(f.auth.authorize(&session).await.is_ok());
    let issued = f.events(AuditAction::EmergencyCodeIssued).await;
    assert_eq!(issued[0].details["browser"], "remembered");
}

async fn trust_a_code_from_an_unknown_browser_waits_the_configured_time(db: TestStore) {
    let f = fixture(db).await;
    // Bob's remembered browser is no trust for alice: her code from it waits like any other.
    let (_, bobs_browser) = f.full_sign_in(&f.bob, None).await;
    let code = f.issue("alice", Some(&bobs_browser)).await;
    let issued_at = f.clock.now();
    let info = f.live_code(&f.alice).await;
    assert!(info.unknown_browser);
    assert_eq!(info.valid_from, issued_at.plus(UNKNOWN_WAIT));
    // Usable for as long after its wait as a remembered browser's code.
    assert_eq!(
        info.expires_at,
        issued_at.plus(EmergencyPolicy::SELF_SERVICE_DEFAULT.lifetime + UNKNOWN_WAIT)
    );
    // The notice says from when it works (and carries the "this was not me" link meanwhile).
    let messages = f.store.outbox_messages(1000).await.unwrap();
    assert!(messages.iter().any(|m| m.recipient == "alice@example.org"
        && m.body.contains("It cannot be used before")
        && m.body.contains("/emergency/cancel?t=")));
    // Refused, saying from when it works, until then; audited as denied.
    match f.sign_in_with("alice", &code).await {
        Err(DomainError::NotYetValid { valid_from }) => assert_eq!(valid_from, info.valid_from),
        other => panic!("{other:?}"),
    }
    let used = f.events(AuditAction::EmergencyCodeUsed).await;
    assert_eq!(used[0].outcome, AuditOutcome::Denied);
    assert_eq!(used[0].details["why"], "not_yet_valid");
    // A wrong code still reads as wrong (the waiting code is not revealed by another one).
    assert!(matches!(
        f.sign_in_with("alice", "AAAA-AAAA-AAAA-AAAA").await,
        Err(DomainError::InvalidCode)
    ));
    f.clock
        .set(Timestamp::from_millis(info.valid_from.as_millis() - 1));
    assert!(matches!(
        f.sign_in_with("alice", &code).await,
        Err(DomainError::NotYetValid { .. })
    ));
    f.clock.set(info.valid_from);
    let session = f.sign_in_with("alice", &code).await.unwrap();
    assert!(f.auth.authorize(&session).await.is_ok());
    // No cookie at all: the same wait.
    f.clock.advance(Duration::from_secs(60));
    let code = f.issue("bob", None).await;
    assert!(matches!(
        f.sign_in_with("bob", &code).await,
        Err(DomainError::NotYetValid { .. })
    ));
    // Out of bounds: refused at start.
    let bad = EmergencyPolicy {
        wait_unknown: EmergencyPolicy::MAX_WAIT + Duration::from_secs(60),
        ..EmergencyPolicy::SELF_SERVICE_DEFAULT
    };
    assert!(bad.check().is_err());
}

async fn trust_the_waiting_period_for_all_codes_stays_the_minimum(db: TestStore) {
    // MAYI_EMERGENCY_WAIT_MINUTES (2 h) longer than the unknown browser's wait (90 min): both
    // kinds of browser wait 2 h.
    let policy = EmergencyPolicy {
        wait: Duration::from_secs(2 * 3600),
        ..policy()
    };
    let f = fixture_with(db, policy).await;
    let (_, browser) = f.full_sign_in(&f.alice, None).await;
    f.issue("alice", Some(&browser)).await;
    let known = f.live_code(&f.alice).await;
    assert_eq!(known.valid_from, f.clock.now().plus(policy.wait));
    assert!(!known.unknown_browser);
    f.issue("bob", None).await;
    let unknown = f.live_code(&f.bob).await;
    assert_eq!(unknown.valid_from, f.clock.now().plus(policy.wait));
    assert_eq!(unknown.expires_at, f.clock.now().plus(policy.lifetime));
}

async fn trust_an_operator_approval_makes_a_waiting_code_valid_at_once_and_is_audited(
    db: TestStore,
) {
    let f = fixture(db).await;
    let code = f.issue("alice", None).await;
    assert!(f.sign_in_with("alice", &code).await.is_err());
    let token = f
        .store
        .create_session(NewSession {
            account_id: f.olga.id,
            scope: SessionScope::Full,
            ip: None,
            user_agent: None,
            second_factor: None,
        })
        .await
        .unwrap();
    let session = f.store.session(&token).await.unwrap().unwrap();
    let caller = crate::testing::caller(&session, &f.olga)
        .full()
        .expect("a full session");
    let olga = f
        .console
        .operator(&caller, "test", &client(None))
        .await
        .unwrap();
    // A reason is required.
    assert!(matches!(
        f.console
            .approve_code(&olga, f.alice.id, "", &client(None))
            .await,
        Err(DomainError::Invalid(_) | DomainError::InvalidInput { .. })
    ));
    f.clock.advance(Duration::from_secs(60));
    let before = f.store.outbox_messages(1000).await.unwrap().len();
    let approved = f
        .console
        .approve_code(&olga, f.alice.id, "called her back", &client(None))
        .await
        .unwrap();
    assert_eq!(approved.valid_from, f.clock.now());
    // Audited with the operator as actor, and alice is told.
    let events = f.events(AuditAction::EmergencyCodeApproved).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor, Some(f.olga.id));
    assert_eq!(events[0].subject, Some(f.alice.id));
    assert_eq!(events[0].details["reason"], "called her back");
    let messages = f.store.outbox_messages(1000).await.unwrap();
    assert_eq!(messages.len(), before + 1);
    assert!(messages
        .iter()
        .any(|m| m.recipient == "alice@example.org" && m.body.contains("approved")));
    // Valid at once.
    let session = f.sign_in_with("alice", &code).await.unwrap();
    assert!(f.auth.authorize(&session).await.is_ok());
    // Nothing waits any more: a second approval finds nothing (and audits nothing).
    assert!(matches!(
        f.console
            .approve_code(&olga, f.alice.id, "again", &client(None))
            .await,
        Err(DomainError::NotFound(_))
    ));
    assert_eq!(f.events(AuditAction::EmergencyCodeApproved).await.len(), 1);
    // Not one's own code.
    f.issue("olga", None).await;
    assert!(matches!(
        f.console
            .approve_code(&olga, f.olga.id, "mine", &client(None))
            .await,
        Err(DomainError::Invalid(_) | DomainError::InvalidInput { .. })
    ));
}

async fn trust_a_password_change_forgets_every_browser(db: TestStore) {
    let f = fixture(db).await;
    let (_, first) = f.full_sign_in(&f.alice, None).await;
    let (session, second) = f.full_sign_in(&f.alice, None).await;
    assert_ne!(first.hash(), second.hash());
    let (_, bobs) = f.full_sign_in(&f.bob, None).await;
    assert_eq!(
        f.store.remembered_browsers(f.alice.id).await.unwrap().len(),
        2
    );
    let caller = f
        .auth
        .authorize(&session)
        .await
        .unwrap()
        .full()
        .expect("a full session");
    f.auth
        .change_password(
            &caller.clone().into(),
            PASSWORD.into(),
            NEW_PASSWORD.into(),
            false,
            &client(Some(&second)),
        )
        .await
        .unwrap();
    assert!(f
        .store
        .remembered_browsers(f.alice.id)
        .await
        .unwrap()
        .is_empty());
    assert!(f
        .store
        .remembered_browser(f.bob.id, &bobs)
        .await
        .unwrap()
        .is_some());
    // A code asked for from the once-remembered browser now waits.
    let client = client(Some(&second));
    let wizard = f
        .emergency
        .start("alice", NEW_PASSWORD.into(), &client)
        .await
        .unwrap();
    let messages = f.store.outbox_messages(1000).await.unwrap();
    let proof = messages
        .iter()
        .find(|m| m.subject.as_deref().unwrap_or("").contains("confirmation"))
        .and_then(|m| {
            m.body
                .split_whitespace()
                .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
                .map(str::to_owned)
        })
        .unwrap();
    f.emergency
        .prove(&wizard_of(&f.emergency, &wizard).await, &proof, &client)
        .await
        .unwrap();
    f.emergency
        .choose_reason(
            &wizard_of(&f.emergency, &wizard).await,
            "lost_phone",
            "",
            &client,
        )
        .await
        .unwrap();
    assert!(f.live_code(&f.alice).await.unknown_browser);
}

async fn trust_this_was_not_me_forgets_every_browser(db: TestStore) {
    let f = fixture(db).await;
    // The attacker's browser completed a full sign-in (say with a token it added) before the
    // owner followed the link.
    let (_, browser) = f.full_sign_in(&f.alice, None).await;
    f.issue("alice", Some(&browser)).await;
    let link = f
        .store
        .outbox_messages(1000)
        .await
        .unwrap()
        .iter()
        .find_map(|m| {
            m.body
                .split("/emergency/cancel?t=")
                .nth(1)
                .map(|rest| rest.chars().take(43).collect::<String>())
        })
        .expect("a 'this was not me' link");
    assert!(matches!(
        f.emergency.cancel(&link, &client(None)).await.unwrap(),
        CancelOutcome::Undone(_)
    ));
    assert!(f
        .store
        .remembered_browsers(f.alice.id)
        .await
        .unwrap()
        .is_empty());
    assert!(f
        .store
        .remembered_browser(f.alice.id, &browser)
        .await
        .unwrap()
        .is_none());
}

async fn trust_only_a_full_session_remembers_and_lists_its_own_browsers(db: TestStore) {
    let policy = EmergencyPolicy {
        wait_unknown: Duration::ZERO,
        ..EmergencyPolicy::SELF_SERVICE_DEFAULT
    };
    let f = fixture_with(db, policy).await;
    // A restricted emergency session never makes its browser trusted.
    let code = f.issue("alice", None).await;
    let restricted = f.sign_in_with("alice", &code).await.unwrap();
    assert!(matches!(
        f.auth.remember_browser(&restricted, &client(None)).await,
        Err(DomainError::NotSignedIn)
    ));
    assert!(matches!(
        f.auth
            .remember_browser(&SessionToken::generate(), &client(None))
            .await,
        Err(DomainError::NotSignedIn)
    ));
    let (session_token, browser) = f.full_sign_in(&f.alice, None).await;
    // Signing in fully again in the same browser keeps its token (one row, audited once).
    let (session_token2, again) = f.full_sign_in(&f.alice, Some(&browser)).await;
    assert_eq!(again.hash(), browser.hash());
    assert_eq!(f.events(AuditAction::BrowserRemembered).await.len(), 1);
    let (_, other) = f.full_sign_in(&f.alice, None).await;
    let (_, bobs) = f.full_sign_in(&f.bob, None).await;
    let session = f
        .auth
        .authorize(&session_token2)
        .await
        .unwrap()
        .full()
        .expect("a full session");
    let list = f
        .auth
        .browsers(&session, &client(Some(&browser)))
        .await
        .unwrap();
    assert_eq!(list.browsers.len(), 2);
    let this = f
        .store
        .remembered_browser(f.alice.id, &browser)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(list.current, Some(this.id));
    // Bob's browser id forgets nothing of bob's.
    let bobs_id = f
        .store
        .remembered_browser(f.bob.id, &bobs)
        .await
        .unwrap()
        .unwrap()
        .id;
    assert!(!f
        .auth
        .forget_browser(&session, bobs_id, &client(None))
        .await
        .unwrap());
    assert!(f
        .store
        .remembered_browser(f.bob.id, &bobs)
        .await
        .unwrap()
        .is_some());
    // Her own is forgotten, audited.
    assert!(f
        .auth
        .forget_browser(&session, this.id, &client(None))
        .await
        .unwrap());
    let forgotten = f.events(AuditAction::BrowserForgotten).await;
    assert_eq!(forgotten.len(), 1);
    assert_eq!(forgotten[0].details["browser_id"], this.id.0);
    let list = f
        .auth
        .browsers(&session, &client(Some(&browser)))
        .await
        .unwrap();
    assert_eq!(list.browsers.len(), 1);
    assert_eq!(list.current, None);
    assert!(f
        .store
        .remembered_browser(f.alice.id, &other)
        .await
        .unwrap()
        .is_some());
    // A restricted session may neither list nor forget: both take a full session, which a
    // restricted one cannot become (refused, and audited, on the way there).
    let restricted = f.auth.authorize(&restricted).await.unwrap();
    assert!(restricted.is_restricted());
    let restricted = restricted
        .full()
        .expect_err("a restricted session is not a full one");
    let denied = f.events(AuditAction::AccessDenied).await.len();
    assert!(matches!(
        f.auth
            .require_full(restricted, "browsers", &client(None))
            .await,
        Err(DomainError::Restricted)
    ));
    assert_eq!(f.events(AuditAction::AccessDenied).await.len(), denied + 1);
    // Nothing was forgotten.
    assert_eq!(
        f.store.remembered_browsers(f.alice.id).await.unwrap().len(),
        1
    );
    let _ = session_token;
}
