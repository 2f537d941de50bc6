//! Adding a token from a signed-in session (RB-1): an authenticator app set up on the phone the
//! person holds now, typically after removing the tokens of a lost one.
//!
//! Binding a new authenticator needs a session whose sign-in is recent (less than
//! [`RECENT_SIGN_IN`] old), so a session left open on a shared computer cannot quietly add a
//! token. The token is pending until its first valid code (OTP-12) and usable only while fresh
//! ([`ENROLMENT_TTL`]); its activation and the notice to the account's existing contacts are
//! one transaction (RB-2, AU-6).

use std::{sync::Arc, time::Duration};

use crate::{
    auth::notice_messages, notify, Account, AuditAction, AuditOutcome, Client, Clock, DomainError,
    NewAuditEvent, NewToken, SeedCipher, Session, Store, Token, TokenId, TokenKind, TokenState,
    TotpSecret, ENROLMENT_TTL,
};

/// How recent a sign-in must be to add a token.
pub const RECENT_SIGN_IN: Duration = Duration::from_secs(10 * 60);

#[derive(Debug, thiserror::Error)]
pub enum EnrolError {
    /// The session's sign-in is older than [`RECENT_SIGN_IN`]: sign in again first.
    #[error("adding a token needs a recent sign-in")]
    NotRecent,
    /// No such pending enrolment of this account (finished, expired, or another's).
    #[error("no such enrolment")]
    NotFound,
    /// The first code is wrong.
    #[error("the code is not valid")]
    InvalidCode,
    /// A label or device name breaks a rule (safe message).
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Domain(DomainError),
}

impl From<DomainError> for EnrolError {
    fn from(error: DomainError) -> Self {
        match error {
            DomainError::InvalidInput { .. } => Self::Invalid(error.to_string()),
            other => Self::Domain(other),
        }
    }
}

/// The account's authenticator app being set up (pending, still fresh) and its secret.
pub(crate) async fn pending_totp_of(
    store: &Store,
    cipher: &SeedCipher,
    account: &Account,
) -> Result<Option<(Token, TotpSecret)>, DomainError> {
    let Some(token) = store.pending_totp(account.id, ENROLMENT_TTL).await? else {
        return Ok(None);
    };
    let Some(sealed) = store.token_secret(token.id).await? else {
        return Ok(None);
    };
    let secret = TotpSecret::open(cipher, &sealed, account.id)?;
    Ok(Some((token, secret)))
}

/// Starts setting up an authenticator app with a fresh 160-bit secret (OTP-1), or returns the
/// one already pending (a reload shows the same QR code).
pub(crate) async fn begin_totp(
    store: &Store,
    cipher: &SeedCipher,
    account: &Account,
    label: &str,
    device: &str,
) -> Result<TokenId, DomainError> {
    if let Some((token, _)) = pending_totp_of(store, cipher, account).await? {
        return Ok(token.id);
    }
    let label = crate::token_label(label)?;
    let device = crate::device_name(device)?;
    let secret = TotpSecret::generate();
    store
        .insert_token(NewToken {
            account_id: account.id,
            kind: TokenKind::Totp,
            label,
            device,
            state: TokenState::Pending,
            secret_enc: Some(secret.seal(cipher, account.id)?),
            target: None,
        })
        .await
}

/// Checks the first code of the pending `token` and activates it, queuing the "token added"
/// notice in the same transaction. `Ok(None)` when there is no such pending token; `Ok(Some(
/// false))` when the code is wrong.
pub(crate) async fn complete_totp(
    store: &Store,
    cipher: &SeedCipher,
    account: &Account,
    token: TokenId,
    code: &str,
    now_secs: u64,
    public_url: &str,
) -> Result<Option<(Token, bool)>, DomainError> {
    let Some((pending, secret)) = pending_totp_of(store, cipher, account)
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
                .activate_totp(account.id, pending.id, step, ENROLMENT_TTL, &notices)
                .await?
        }
        None => false,
    };
    Ok(Some((pending, activated)))
}

/// Enrolment of new tokens by their signed-in owner. Cheap to clone.
#[derive(Clone)]
pub struct Enrolment {
    store: Store,
    cipher: Arc<SeedCipher>,
    clock: Arc<dyn Clock>,
    public_url: Arc<str>,
}

impl std::fmt::Debug for Enrolment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Enrolment").finish_non_exhaustive()
    }
}

impl Enrolment {
    pub fn new(
        store: Store,
        cipher: Arc<SeedCipher>,
        clock: Arc<dyn Clock>,
        public_url: &str,
    ) -> Self {
        Self {
            store,
            cipher,
            clock,
            public_url: public_url.into(),
        }
    }

    /// Whether this session may add tokens now: a restricted emergency session always may
    /// (RB-1: it exists to bind new authenticators, and is itself short-lived); a full one while
    /// its sign-in is recent.
    pub fn is_recent(&self, session: &Session) -> bool {
        if session.scope == crate::SessionScope::Emergency {
            return true;
        }
        let age = self.clock.now().as_millis() - session.created_at.as_millis();
        age >= 0 && (age as u128) < RECENT_SIGN_IN.as_millis()
    }

    /// The authenticator app being set up (started and not finished, still fresh), with its
    /// secret: shown until the first valid code, never after (OTP-9).
    pub async fn pending_totp(
        &self,
        account: &Account,
    ) -> Result<Option<(Token, TotpSecret)>, EnrolError> {
        Ok(pending_totp_of(&self.store, &self.cipher, account).await?)
    }

    /// Starts setting up an authenticator app with a fresh 160-bit secret (OTP-1). While one is
    /// pending, returns that one (a reload shows the same QR code).
    pub async fn start_totp(
        &self,
        session: &Session,
        account: &Account,
        label: &str,
        device: &str,
    ) -> Result<TokenId, EnrolError> {
        if !self.is_recent(session) {
            return Err(EnrolError::NotRecent);
        }
        Ok(begin_totp(&self.store, &self.cipher, account, label, device).await?)
    }

    /// Finishes the set-up with the app's first code: the token becomes active and the
    /// account's contacts are told, in one transaction.
    pub async fn finish_totp(
        &self,
        session: &Session,
        account: &Account,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<Token, EnrolError> {
        if !self.is_recent(session) {
            return Err(EnrolError::NotRecent);
        }
        let now = self.clock.now().unix_secs();
        let (pending, activated) = complete_totp(
            &self.store,
            &self.cipher,
            account,
            token,
            code,
            now,
            &self.public_url,
        )
        .await?
        .ok_or(EnrolError::NotFound)?;
        let outcome = if activated {
            AuditOutcome::Success
        } else {
            AuditOutcome::Failure
        };
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::TokenAdded, outcome)
                    .actor(account.id)
                    .subject(account.id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(serde_json::json!({ "token_id": pending.id.0, "kind": "totp" })),
            )
            .await?;
        if !activated {
            return Err(EnrolError::InvalidCode);
        }
        self.store
            .token(account.id, pending.id)
            .await?
            .ok_or(EnrolError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        testing::{self, ManualClock},
        AccountState, Email, NewAccount, NewContact, NewSession, Role, SessionScope, Timestamp,
        Username,
    };

    const T0: i64 = 1_800_000_000;

    async fn setup(db: &testing::TestStore) -> (Enrolment, Arc<ManualClock>, Account, Session) {
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
            })
            .await
            .unwrap();
        let session = store.session(&token).await.unwrap().unwrap();
        let account = store.account_by_id(id).await.unwrap().unwrap();
        let cipher = Arc::new(SeedCipher::from_key_bytes([3; 32]));
        (
            Enrolment::new(store, cipher, clock.clone(), "https://id.example.org"),
            clock,
            account,
            session,
        )
    }

    async fn rb_1_and_otp_12(db: testing::TestStore) {
        let (enrol, clock, account, session) = setup(&db).await;
        let id = enrol
            .start_totp(&session, &account, "Authenticator app", "Pixel 9")
            .await
            .unwrap();
        // A reload: the same pending token and secret.
        assert_eq!(
            enrol
                .start_totp(&session, &account, "x", "y")
                .await
                .unwrap(),
            id
        );
        let (_, secret) = enrol.pending_totp(&account).await.unwrap().unwrap();
        assert!(db.active_tokens(account.id).await.unwrap().is_empty());
        assert!(matches!(
            enrol
                .finish_totp(&session, &account, id, "not a code", &Client::default())
                .await,
            Err(EnrolError::InvalidCode)
        ));
        assert!(db.outbox_messages(10).await.unwrap().is_empty());
        clock.advance(Duration::from_secs(60));
        let code = secret.code_at(clock.now().unix_secs());
        let token = enrol
            .finish_totp(&session, &account, id, &code, &Client::default())
            .await
            .unwrap();
        assert_eq!(token.state, TokenState::Active);
        assert_eq!(token.device.as_deref(), Some("Pixel 9"));
        // RB-2: the existing contact is told, in the same transaction as the activation.
        let sent = db.outbox_messages(10).await.unwrap();
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].recipient, "erin@example.org");
        // OTP-9: the secret is not shown again.
        assert!(enrol.pending_totp(&account).await.unwrap().is_none());
        // RB-1: ten minutes after signing in, adding another token needs a new sign-in.
        clock.advance(Duration::from_secs(9 * 60));
        assert!(matches!(
            enrol.start_totp(&session, &account, "Late", "Phone").await,
            Err(EnrolError::NotRecent)
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
        let (enrol, _, account, session) = setup(&db).await;
        let err = enrol
            .start_totp(&session, &account, "", "Pixel")
            .await
            .unwrap_err();
        assert!(matches!(err, EnrolError::Invalid(_)), "{err:?}");
        let err = enrol
            .start_totp(&session, &account, "App\r\nBcc: x", "Pixel")
            .await
            .unwrap_err();
        assert!(matches!(err, EnrolError::Invalid(_)), "{err:?}");
        assert!(db.tokens(account.id).await.unwrap().is_empty());
    }
}
