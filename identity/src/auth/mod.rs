//! Signing in: the password step, the second-factor step, and the sessions they lead to.
//!
//! This owns the order of the steps and the rules between them: a correct password opens only a
//! short-lived sign-in attempt (not a session, SE-8); the second factor is checked for the
//! account of that attempt only; a code is accepted once (OTP-6, OOB-5); a session is a fresh
//! random token (SE-2). Unknown users and wrong passwords are indistinguishable, in answer, in
//! cost (the dummy hash) and in throttling (counted per username, existing or not). Every
//! decision is audited (AU-1); guesses are throttled in the database (RL rows); the owner is
//! told of repeated second-factor failures and of replayed codes (AU-6, OTP-7). The web layer
//! only carries tokens between these calls and cookies.
//!
//! One [`Authenticator`], one file per feature, each an `impl Authenticator` block:
//! `password_step` (the password and the sign-in attempt it opens), `second_factor` (step 2 by
//! authenticator app or sent code, and its throttling), `first_token` (an account's first
//! authenticator app, enrolled while signing in), `sessions` (the capabilities behind a session
//! cookie, signing out, one's other sessions, opening a session), `password_change`.

use std::sync::Arc;

use crate::guard::Recheck;
use crate::notify::Notice;
use crate::{
    Account, AccountId, AccountState, AuditAction, AuditOutcome, Clock, CodeHasher, ContactKind,
    ContactValue, DomainError, Email, NewAuditEvent, PasswordHasher, PhoneNumber, SeedCipher,
    SessionToken, Store, ThrottleState, Token, TokenId, TokenKind, TotpSecret,
};

mod first_token;
mod passkey;
mod password_change;
mod password_step;
mod second_factor;
mod sessions;
#[cfg(test)]
mod tests;

/// Where a request comes from: recorded with sessions and audit events, and counted per address.
#[derive(Debug, Clone, Default)]
pub struct Client {
    /// The socket peer's address (never an untrusted `X-Forwarded-For`, RL-2).
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The token of the browser's "remembered browser" cookie, if it sent one (issue 13 item 5;
    /// checked against the account in question, never trusted alone). Not printable
    /// (`SessionToken(***)`), not serialisable.
    pub browser: Option<SessionToken>,
}

/// How long an unfinished TOTP enrolment can be completed (after that it is never usable).
pub const ENROLMENT_TTL: std::time::Duration = std::time::Duration::from_secs(10 * 60);

/// After this many consecutive wrong second factors, the owner is told (AU-6).
pub const SECOND_FACTOR_NOTICE_AFTER: i64 = 3;

impl DomainError {
    /// The sign-in refusal a throttle state means, if any.
    pub(crate) fn from_throttle(state: ThrottleState) -> Option<Self> {
        match state {
            ThrottleState::Open => None,
            ThrottleState::Delayed { .. } => Some(Self::RateLimited {
                retry_after_secs: state.retry_after_secs().unwrap_or(1),
            }),
            ThrottleState::Refused => Some(Self::Blocked),
        }
    }
}

impl DomainError {
    /// A refused password re-check as a sign-in step tells it (the password change).
    pub(crate) fn from_sign_in_recheck(recheck: Recheck) -> Self {
        match recheck {
            Recheck::Refused(state) => Self::from_throttle(state).unwrap_or(Self::Blocked),
            Recheck::Wrong => Self::InvalidCredentials,
        }
    }
}

/// The result of a correct password: the attempt's token (for a cookie) and its account.
#[derive(Debug)]
pub struct PasswordOk {
    pub attempt: SessionToken,
    pub account: Account,
}

/// What the second step shows: the account, the tokens it may use, and the token whose code
/// was sent and is still valid.
#[derive(Debug)]
pub struct Pending {
    pub account: Account,
    pub tokens: Vec<Token>,
    pub code_sent_for: Option<TokenId>,
    /// The account never had a token: it enrols its first authenticator app here.
    pub may_enrol_first: bool,
    /// That first enrolment, started in this attempt and not finished: the pending token and its
    /// secret (shown only until the first valid code; never again after, OTP-9; never to
    /// another sign-in attempt of the account, issue 13).
    pub enrolment: Option<(Token, TotpSecret)>,
}

/// Where an SMS or email token's codes go, masked, for a person who has only passed the password
/// step: enough to recognise their own number or address, not enough to learn it.
/// `+420601123456` → `+420 ••• ••• 456`; `alice@example.org` → `a•••@example.org`.
pub fn masked_target(token: &Token) -> Option<String> {
    let target = token.target.as_deref()?;
    Some(match token.kind {
        TokenKind::Sms => match PhoneNumber::parse(target) {
            Ok(phone) => phone.masked(),
            Err(_) => "•••".to_string(),
        },
        _ => crate::mask_email(target),
    })
}

/// The sign-in service: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Authenticator {
    store: Store,
    hasher: PasswordHasher,
    cipher: Arc<SeedCipher>,
    codes: Arc<CodeHasher>,
    clock: Arc<dyn Clock>,
    public_url: Arc<str>,
    /// The WebAuthn relying party, when the public URL allows passkeys (issue 17).
    passkeys: Option<crate::RelyingParty>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

/// What the sign-in service (and through it enrolment and Emergency Access) is built on,
/// assembled once by [`crate::Identity::new`]: the store, the password hasher (one bound on
/// concurrent argon2 jobs for every password check), the key, the clock and the configured base
/// URL put in notices (never one taken from a request, CS-8).
#[derive(Clone)]
pub(crate) struct Base {
    pub(crate) store: Store,
    pub(crate) hasher: PasswordHasher,
    pub(crate) cipher: Arc<SeedCipher>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) public_url: Arc<str>,
    /// The WebAuthn relying party for `public_url`, or `None` where passkeys cannot work (an IP
    /// address, plain http outside localhost).
    pub(crate) passkeys: Option<crate::RelyingParty>,
}

impl Authenticator {
    /// The sign-in service on `base`; its sign-in codes are hashed with their own key
    /// ([`CodeHasher::for_oob_codes`]).
    pub(crate) fn new(base: Base) -> Self {
        let Base {
            store,
            hasher,
            cipher,
            clock,
            public_url,
            passkeys,
        } = base;
        Self {
            codes: Arc::new(CodeHasher::for_oob_codes(&cipher)),
            store,
            hasher,
            cipher,
            clock,
            public_url,
            passkeys,
        }
    }

    /// The WebAuthn relying party, or [`DomainError::PasskeysUnavailable`].
    pub(crate) fn relying_party(&self) -> Result<&crate::RelyingParty, DomainError> {
        self.passkeys
            .as_ref()
            .ok_or(DomainError::PasskeysUnavailable)
    }

    /// Whether passkeys can be used on this server (its public URL allows them).
    pub fn passkeys_available(&self) -> bool {
        self.passkeys.is_some()
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn cipher(&self) -> &Arc<SeedCipher> {
        &self.cipher
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) fn public_url(&self) -> &str {
        &self.public_url
    }

    /// The [`crate::Attempt`] capability for the sign-in attempt cookie `token`: the attempt is
    /// live and its account active, or [`DomainError::AttemptExpired`] (the same for a token
    /// that never was an attempt's).
    pub async fn attempt(&self, token: &SessionToken) -> Result<crate::Attempt, DomainError> {
        let pending = self
            .store
            .login_attempt(token)
            .await?
            .ok_or(DomainError::AttemptExpired)?;
        let account = self
            .store
            .account_by_id(pending.account_id)
            .await?
            .filter(|a| a.state == AccountState::Active)
            .ok_or(DomainError::AttemptExpired)?;
        Ok(crate::Attempt::new(token.clone(), pending, account))
    }

    pub(crate) async fn audit_rate_limited(
        &self,
        account: Option<AccountId>,
        client: &Client,
        what: &str,
    ) -> Result<(), DomainError> {
        let mut event = NewAuditEvent::new(AuditAction::RateLimited, AuditOutcome::Denied)
            .with_client(client)
            .details(serde_json::json!({ "limit": what }));
        if let Some(account) = account {
            event = event.subject(account);
        }
        self.store.audit(event).await?;
        Ok(())
    }

    /// Queues `notice` to every confirmed contact of the account (RB-2: the channels it had).
    pub(crate) async fn notify(
        &self,
        account: &Account,
        notice: &Notice,
    ) -> Result<(), DomainError> {
        for message in notice_messages(&self.store, account.id, notice).await? {
            self.store.enqueue(message).await?;
        }
        Ok(())
    }
}

/// `notice` as one message to each confirmed contact of the account (RB-2: the channels it
/// already had), to be queued with the change it reports.
pub(crate) async fn notice_messages(
    store: &Store,
    account: AccountId,
    notice: &Notice,
) -> Result<Vec<crate::NewOutboxMessage>, DomainError> {
    let mut messages = Vec::new();
    for contact in store.contacts(account).await? {
        if !contact.confirmed {
            continue;
        }
        let value: ContactValue = match contact.kind {
            ContactKind::Email => Email::parse(&contact.value)?.into(),
            ContactKind::Phone => PhoneNumber::parse(&contact.value)?.into(),
        };
        messages.push(notice.message_to(&value)?);
    }
    Ok(messages)
}
