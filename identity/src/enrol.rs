//! Adding a token from a signed-in session (RB-1): an authenticator app set up on the phone the
//! person holds now, typically after removing the tokens of a lost one.
//!
//! Binding a new authenticator needs a session whose sign-in is recent (less than
//! [`RECENT_SIGN_IN`] old), so a session left open on a shared computer cannot quietly add a
//! token. The token is pending until its first valid code (OTP-12) and usable only while fresh
//! ([`ENROLMENT_TTL`]); its activation and the notice to the account's existing contacts are
//! one transaction (RB-2, AU-6).
//!
//! "Recent" also counts a password re-entry in the session ([`Enrolment::reauthenticate`]),
//! throttled and audited like the password step of a sign-in. SMS and e-mail tokens and the
//! account's contacts are in [`channels`].

use std::{sync::Arc, time::Duration};

use crate::guard::Recheck;

use crate::SignedIn;
use crate::{
    auth::notice_messages, notify, Account, AuditAction, AuditOutcome, Authenticator, Client,
    CodeHasher, DomainError, EnrolBinding, NewAuditEvent, NewToken, SeedCipher, Session, Store,
    ThrottleState, Token, TokenId, TokenKind, TokenState, TotpSecret, ENROLMENT_TTL,
};

#[cfg(test)]
mod binding_tests;
mod channels;
mod passkeys;
pub use channels::{
    parse_target, shown as shown_contact, shown_stored as shown_stored_contact, NewOobToken,
};

/// What the token list shows ([`Enrolment::token_page`]).
#[derive(Debug)]
pub struct TokenPage {
    /// The active tokens (the ones the account may sign in with), oldest first.
    pub active: Vec<Token>,
    /// The authenticator app being set up in this session, and its secret (shown until the
    /// first valid code, and only while the session's sign-in is recent: issue 13).
    pub pending_totp: Option<(Token, TotpSecret)>,
    /// Another session of the account is setting up an authenticator app: said, never shown.
    pub pending_totp_elsewhere: bool,
    /// The SMS or e-mail token waiting for its code.
    pub pending_oob: Option<Token>,
}

/// How recent a sign-in (or password re-entry) must be to add a token or change a contact.
pub const RECENT_SIGN_IN: Duration = Duration::from_secs(10 * 60);

/// The [`crate::SeedCipher::derive_key`] label of the key that hashes confirmation codes (new
/// SMS and e-mail tokens, new contacts): not the sign-in codes' key, so neither kind of hash
/// ever verifies as the other.
pub const CONFIRMATION_CODE_KEY_LABEL: &str = "confirmation-code";

impl DomainError {
    /// A refused password re-check as re-authentication tells it: a limit is "wait" (also
    /// when the key is refused until cleared: "later" rather than never), a wrong password is
    /// [`DomainError::WrongPassword`].
    fn from_reauth_recheck(recheck: Recheck) -> Self {
        match recheck {
            Recheck::Refused(state) => Self::RateLimited {
                retry_after_secs: match state {
                    ThrottleState::Refused => 15 * 60,
                    _ => state.retry_after_secs().unwrap_or(1),
                },
            },
            Recheck::Wrong => Self::WrongPassword,
        }
    }
}

/// The account's authenticator app being set up by `by` (pending, still fresh) and its secret.
/// One started by another session or sign-in attempt is never returned (issue 13).
pub(crate) async fn pending_totp_of(
    store: &Store,
    cipher: &SeedCipher,
    account: &Account,
    by: EnrolBinding,
) -> Result<Option<(Token, TotpSecret)>, DomainError> {
    let Some(token) = store.pending_totp(account.id, by, ENROLMENT_TTL).await? else {
        return Ok(None);
    };
    let Some(sealed) = store.token_secret(token.id).await? else {
        return Ok(None);
    };
    let secret = TotpSecret::open(cipher, &sealed, account.id)?;
    Ok(Some((token, secret)))
}

/// Starts setting up an authenticator app with a fresh 160-bit secret (OTP-1), bound to `by`
/// (the session or sign-in attempt starting it), or returns the one `by` already has pending (a
/// reload shows the same QR code). One pending elsewhere is left alone: each session or
/// attempt sees and finishes only its own, and an unfinished one expires ([`ENROLMENT_TTL`]).
pub(crate) async fn begin_totp(
    store: &Store,
    cipher: &SeedCipher,
    account: &Account,
    by: EnrolBinding,
    label: &str,
    device: &str,
) -> Result<TokenId, DomainError> {
    if let Some(token) = store.pending_totp(account.id, by, ENROLMENT_TTL).await? {
        return Ok(token.id);
    }
    let label = crate::token_label(label)?;
    let device = crate::device_name(device)?;
    let secret = TotpSecret::generate();
    store
        .insert_pending_totp(
            NewToken {
                account_id: account.id,
                kind: TokenKind::Totp,
                label,
                device,
                state: TokenState::Pending,
                secret_enc: Some(secret.seal(cipher, account.id)?),
                target: None,
            },
            by,
        )
        .await
}

/// Checks the first code of the pending `token` started by `by` and activates it, queuing the
/// "token added" notice in the same transaction. With `first`, only if the account never had
/// an active token (checked again in the activating statement, [`Store::activate_totp`]).
/// `Ok(None)` when there is no such pending token; `Ok(Some(false))` when the code is wrong
/// (or, with `first`, the account got a token meanwhile).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn complete_totp(
    store: &Store,
    cipher: &SeedCipher,
    account: &Account,
    by: EnrolBinding,
    first: bool,
    token: TokenId,
    code: &str,
    now_secs: u64,
    public_url: &str,
) -> Result<Option<(Token, bool)>, DomainError> {
    let Some((pending, secret)) = pending_totp_of(store, cipher, account, by)
        .await?
        .filter(|(t, _)| t.id == token)
    else {
        return Ok(None);
    };
    let notice = notify::token_added_notice(&account.display_name, &pending.label, public_url);
    let notices = notice_messages(store, account.id, &notice).await?;
    let activated = match secret.verify(code, now_secs, None) {
        Some(step) => {
            store
                .activate_totp(
                    account.id,
                    pending.id,
                    by,
                    first,
                    step,
                    ENROLMENT_TTL,
                    &notices,
                )
                .await?
        }
        None => false,
    };
    Ok(Some((pending, activated)))
}

/// Enrolment of new tokens by their signed-in owner. Cheap to clone.
#[derive(Clone)]
pub struct Enrolment {
    /// Its store, password hasher, key, clock and public URL (see [`crate::Identity::new`]);
    /// its password re-entry is sign-in's.
    auth: Authenticator,
    store: Store,
    /// Hashes confirmation codes ([`CONFIRMATION_CODE_KEY_LABEL`]).
    codes: Arc<CodeHasher>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment").finish_non_exhaustive()
    }
}

impl Enrolment {
    /// Built on the sign-in service's parts, so a password re-entry shares its limits and its
    /// bound on concurrent argon2 jobs; confirmation codes get their own key.
    pub(crate) fn new(auth: &Authenticator) -> Self {
        Self {
            store: auth.store().clone(),
            codes: Arc::new(CodeHasher::from_cipher(
                auth.cipher(),
                CONFIRMATION_CODE_KEY_LABEL,
            )),
            auth: auth.clone(),
        }
    }

    fn cipher(&self) -> &SeedCipher {
        self.auth.cipher()
    }

    fn public_url(&self) -> &str {
        self.auth.public_url()
    }

    /// The account's token `id`, as stored now.
    async fn stored_token(&self, account: &Account, id: TokenId) -> Result<Token, DomainError> {
        self.store
            .token(account.id, id)
            .await?
            .ok_or(DomainError::not_found("enrolment"))
    }

    /// Whether this session may add tokens and change contacts now: it is a restricted
    /// emergency session, or its sign-in or latest password re-entry is less than
    /// [`RECENT_SIGN_IN`] old (RB-1).
    pub fn is_recent(&self, session: &Session) -> bool {
        session.authenticated_recently(self.auth.clock().now())
    }

    /// "Confirm your password to continue": checks the account's password again and, when it
    /// is right, makes this session's authentication recent (RB-1). Throttled like the password
    /// step of a sign-in (per username with growing delays, per address), and audited as
    /// `session.reauthenticated` either way (AU-1).
    ///
    /// A right password also gives the session a fresh token (SE-2, issue 13), returned for the
    /// new cookie: the old one opens nothing from then on. The session keeps its row id, so a
    /// set-up started in it stays its own.
    pub async fn reauthenticate(
        &self,
        caller: &SignedIn,
        password: String,
        client: &Client,
    ) -> Result<crate::SessionToken, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        let event =
            |outcome| NewAuditEvent::own(AuditAction::Reauthenticated, outcome, account.id, client);
        self.auth
            .recheck_password(account, password, client, event)
            .await?
            .map_err(DomainError::from_reauth_recheck)?;
        let Some(token) = self.store.reauthenticate_session(session.id).await? else {
            return Err(DomainError::not_found("enrolment"));
        };
        self.store.audit(event(AuditOutcome::Success)).await?;
        Ok(token)
    }

    /// The authenticator app being set up in `session` (started there and not finished, still
    /// fresh), with its secret: shown until the first valid code, never after (OTP-9), never to
    /// another session of the account, and only while the session's sign-in or password
    /// re-entry is recent (issue 13).
    pub async fn pending_totp(
        &self,
        caller: &SignedIn,
    ) -> Result<Option<(Token, TotpSecret)>, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        if !self.is_recent(session) {
            return Ok(None);
        }
        let by = EnrolBinding::Session(session.id);
        pending_totp_of(&self.store, self.cipher(), account, by).await
    }

    /// The token list of `account` as `session` sees it (read in one query): its active
    /// tokens, oldest first, the authenticator app this session is setting up with its secret
    /// (as [`Self::pending_totp`]: only here and only while recent), whether another session is
    /// setting one up, and the SMS or e-mail token waiting for its code (as
    /// [`Self::pending_oob`]).
    pub async fn token_page(&self, caller: &SignedIn) -> Result<TokenPage, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        let overview = self
            .store
            .token_overview(account.id, ENROLMENT_TTL, EnrolBinding::Session(session.id))
            .await?;
        let shown = session.account_id == account.id && self.is_recent(session);
        let pending_totp = match overview.pending_totp.filter(|_| shown) {
            Some((token, sealed)) => {
                let secret = TotpSecret::open(self.cipher(), &sealed, account.id)?;
                Some((token, secret))
            }
            None => None,
        };
        Ok(TokenPage {
            active: overview.active,
            pending_totp,
            pending_totp_elsewhere: overview.pending_totp_elsewhere,
            pending_oob: overview.pending_oob,
        })
    }

    /// Starts setting up an authenticator app with a fresh 160-bit secret (OTP-1), bound to this
    /// session (issue 13). While this session has one pending, returns that one (a reload shows
    /// the same QR code); one pending in another session is neither shown nor replaced.
    pub async fn start_totp(
        &self,
        caller: &SignedIn,
        label: &str,
        device: &str,
    ) -> Result<TokenId, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        if !self.is_recent(session) {
            return Err(DomainError::NotRecent);
        }
        let by = EnrolBinding::Session(session.id);
        begin_totp(&self.store, self.cipher(), account, by, label, device).await
    }

    /// Finishes the set-up with the app's first code: the token becomes active and the
    /// account's contacts are told, in one transaction. Only the session that started it may,
    /// and only while its sign-in is recent (issue 13).
    pub async fn finish_totp(
        &self,
        caller: &SignedIn,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        if !self.is_recent(session) {
            return Err(DomainError::NotRecent);
        }
        let now = self.auth.clock().now().unix_secs();
        let (pending, activated) = complete_totp(
            &self.store,
            self.cipher(),
            account,
            EnrolBinding::Session(session.id),
            false,
            token,
            code,
            now,
            self.public_url(),
        )
        .await?
        .ok_or(DomainError::not_found("enrolment"))?;
        let outcome = if activated {
            AuditOutcome::Success
        } else {
            AuditOutcome::Failure
        };
        self.store
            .audit(
                NewAuditEvent::own(AuditAction::TokenAdded, outcome, account.id, client)
                    .details(serde_json::json!({ "token_id": pending.id.0, "kind": "totp" })),
            )
            .await?;
        if !activated {
            return Err(DomainError::InvalidCode);
        }
        self.stored_token(account, pending.id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        testing::{self, ManualClock},
        AccountState, Clock, Email, NewAccount, NewContact, NewSession, Role, SessionScope,
        Timestamp, Username,
    };

    const T0: i64 = 1_800_000_000;

    async fn setup(db: &testing::TestStore) -> (Enrolment, Arc<ManualClock>, SignedIn) {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_secs(T0)));
        let store = db.store.clone().with_clock(clock.clone());
        let id = store
            .create_account_with(
                NewAccount {
                    username: Username::parse("erin").unwrap(),
                    display_name: "Erin".into(),
                    password_hash: testing::fake_password_hash(),
                    role: Role::User,
                    state: AccountState::Active,
                },
                vec![NewContact {
                    value: Email::parse("erin@example.org").unwrap().into(),
                    confirmed: true,
                    is_recovery: true,
                }],
            )
            .await
            .unwrap();
        let token = store
            .create_session(NewSession {
                account_id: id,
                scope: SessionScope::Full,
                ip: None,
                user_agent: None,
                second_factor: None,
            })
            .await
            .unwrap();
        let session = store.session(&token).await.unwrap().unwrap();
        let account = store.account_by_id(id).await.unwrap().unwrap();
        let cipher = Arc::new(SeedCipher::from_key_bytes([3; 32]));
        (
            crate::Identity::new(
                store,
                crate::PasswordHasher::new(None).unwrap(),
                cipher,
                clock.clone(),
                "https://id.example.org",
                crate::EmergencyPolicy::default(),
            )
            .unwrap()
            .enrolment,
            clock,
            testing::caller(&session, &account),
        )
    }

    async fn rb_1_and_otp_12(db: testing::TestStore) {
        let (enrol, clock, caller) = setup(&db).await;
        let id = enrol
            .start_totp(&caller, "Authenticator app", "Pixel 9")
            .await
            .unwrap();
        // A reload: the same pending token and secret.
        assert_eq!(enrol.start_totp(&caller, "x", "y").await.unwrap(), id);
        let (_, secret) = enrol.pending_totp(&caller).await.unwrap().unwrap();
        assert!(db
            .active_tokens(caller.account_id())
            .await
            .unwrap()
            .is_empty());
        assert!(matches!(
            enrol
                .finish_totp(&caller, id, "not a code", &Client::default())
                .await,
            Err(DomainError::InvalidCode)
        ));
        assert!(db.outbox_messages(10).await.unwrap().is_empty());
        clock.advance(Duration::from_secs(60));
        let code = secret.code_at(clock.now().unix_secs());
        let token = enrol
            .finish_totp(&caller, id, &code, &Client::default())
            .await
            .unwrap();
        assert_eq!(token.state, TokenState::Active);
        assert_eq!(token.device.as_deref(), Some("Pixel 9"));
        // RB-2: the existing contact is told, in the same transaction as the activation.
        let sent = db.outbox_messages(10).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].recipient, "erin@example.org");
        // OTP-9: the secret is not shown again.
        assert!(enrol.pending_totp(&caller).await.unwrap().is_none());
        // RB-1: ten minutes after signing in, adding another token needs a new sign-in.
        clock.advance(Duration::from_secs(9 * 60));
        assert!(matches!(
            enrol.start_totp(&caller, "Late", "Phone").await,
            Err(DomainError::NotRecent)
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rb_1_otp_12_enrolment_on_sqlite() {
        rb_1_and_otp_12(testing::sqlite().await).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rb_1_otp_12_enrolment_on_postgres() {
        let Some(db) = testing::postgres().await else {
            return;
        };
        rb_1_and_otp_12(db).await;
    }

    #[tokio::test]
    async fn invalid_labels_are_refused_before_anything_is_written() {
        let db = testing::sqlite().await;
        let (enrol, _, caller) = setup(&db).await;
        let err = enrol.start_totp(&caller, "", "Pixel").await.unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Invalid(_) | DomainError::InvalidInput { .. }
            ),
            "{err:?}"
        );
        let err = enrol
            .start_totp(&caller, "App\r\nBcc: x", "Pixel")
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                DomainError::Invalid(_) | DomainError::InvalidInput { .. }
            ),
            "{err:?}"
        );
        assert!(db.tokens(caller.account_id()).await.unwrap().is_empty());
    }
}
