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

use std::sync::Arc;

use crate::guard::{Entry, PasswordGuard};
use crate::EnrolBinding;
use crate::{
    notify::{self, Notice},
    Account, AccountId, AccountState, AuditAction, AuditOutcome, Clock, CodeHasher, ContactKind,
    ContactValue, DomainError, Email, Factor, NewAuditEvent, NewSession, OobCode, Password,
    PasswordHasher, PhoneNumber, Scope, SeedCipher, Session, SessionScope, SessionToken, Store,
    ThrottleKey, ThrottleState, Token, TokenId, TokenKind, TokenState, TotpSecret, Username,
    LOGIN_ATTEMPT_TTL, OOB_CODE_TTL,
};

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

/// Why a sign-in step failed, as far as the person signing in may know.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Unknown user, wrong password, or an account that may not sign in: one answer for all.
    #[error("wrong username or password")]
    InvalidCredentials,
    /// The one-time code is wrong, expired or already used: one answer for all.
    #[error("the code is not valid")]
    InvalidCode,
    /// The chosen token cannot be used here (not the attempt's, not active, wrong kind).
    #[error("this token cannot be used to sign in")]
    UnusableToken,
    /// The session's sign-in (or password re-entry) is too old for this change (RB-1).
    #[error("confirm your password to continue")]
    NotRecent,
    /// The emergency access code is right but in its waiting period: it works from
    /// `valid_from` (issue 13 item 5).
    #[error("the code cannot be used yet")]
    NotYetValid { valid_from: crate::Timestamp },
    /// The sign-in attempt is unknown or has expired: start again with the password.
    #[error("the sign-in has expired")]
    AttemptExpired,
    /// The session is unknown, expired or ended.
    #[error("not signed in")]
    NotSignedIn,
    /// Too many tries: wait this many seconds (RL-3: increasing delays, not a lock).
    #[error("too many attempts; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// This factor has failed too often (RL-1) and is refused until recovery or an operator
    /// clears it; other factors and Emergency Access still work.
    #[error("this factor is blocked after too many failures")]
    Blocked,
    /// Anything else (storage, busy hashing pool).
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl AuthError {
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

/// The result of a correct password: the attempt's token (for a cookie) and its account.
pub struct PasswordOk {
    pub attempt: SessionToken,
    pub account: Account,
}

/// What the second step shows: the account, the tokens it may use, and the token whose code
/// was sent and is still valid.
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
        TokenKind::Sms => {
            let digits: Vec<char> = target.chars().filter(|c| c.is_ascii_digit()).collect();
            let tail: String = digits[digits.len().saturating_sub(3)..].iter().collect();
            let country: String = digits.iter().take(country_code_len(&digits)).collect();
            format!("+{country} ••• ••• {tail}")
        }
        _ => match target.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}•••@{domain}")
            }
            None => "•••".to_string(),
        },
    })
}

/// The length of the E.164 country code at the start of `digits`: 1 for zones 1 and 7, 3 for
/// the two-digit prefixes ITU-T E.164 divides further, 2 otherwise.
fn country_code_len(digits: &[char]) -> usize {
    const THREE_DIGIT_PREFIXES: &[&str] = &[
        "21", "22", "23", "24", "25", "26", "29", "35", "37", "38", "42", "50", "59", "67", "68",
        "69", "80", "85", "87", "88", "96", "97", "99",
    ];
    let prefix: String = digits.iter().take(2).collect();
    match digits.first() {
        Some('1') | Some('7') => 1,
        _ if THREE_DIGIT_PREFIXES.contains(&prefix.as_str()) => 3,
        _ => 2,
    }
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
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator").finish_non_exhaustive()
    }
}

impl Authenticator {
    /// `public_url` is the configured base URL put in notices (never one taken from a request,
    /// CS-8).
    pub fn new(
        store: Store,
        hasher: PasswordHasher,
        cipher: Arc<SeedCipher>,
        clock: Arc<dyn Clock>,
        public_url: &str,
    ) -> Self {
        let codes = Arc::new(CodeHasher::for_oob_codes(&cipher));
        Self {
            store,
            hasher,
            cipher,
            codes,
            clock,
            public_url: public_url.into(),
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Step 1: username and password. Every failure costs one argon2 run and reads the same.
    pub async fn check_password(
        &self,
        username: &str,
        password: String,
        client: &Client,
    ) -> Result<PasswordOk, AuthError> {
        let account = self.verify_password(username, password, client).await?;
        let attempt = self
            .store
            .create_login_attempt(account.id, LOGIN_ATTEMPT_TTL)
            .await?;
        Ok(PasswordOk { attempt, account })
    }

    /// Checks a username and password with sign-in's limits and uniform answers (every failure
    /// costs one argon2 run and reads the same), audited as the password step; opens nothing.
    /// Sign-in and the Emergency Access wizard's first step share it.
    pub async fn verify_password(
        &self,
        username: &str,
        password: String,
        client: &Client,
    ) -> Result<Account, AuthError> {
        let username = Username::parse(username).ok();
        // Counted per address and per username from that address, whether an account has the
        // name or not: the delays reveal nothing, and slow only the address that guesses.
        let guard = match PasswordGuard::enter(&self.store, username.as_ref(), client).await? {
            Entry::Open(guard) => guard,
            Entry::Refused { state, limit } => {
                crate::telemetry::sign_in_step(Factor::Password, "rate_limited");
                self.audit_rate_limited(None, client, limit.as_str())
                    .await?;
                return Err(AuthError::from_throttle(state).unwrap_or(AuthError::Blocked));
            }
        };
        let account = match &username {
            Some(username) => self.store.account_by_username(username).await?,
            None => None,
        };
        // PW-2: an over-long password is refused before any hashing; it cannot be right.
        let verified = match (Password::new(password), &account) {
            (Ok(password), Some(account)) => {
                self.hasher
                    .verify(&password, &account.password_hash)
                    .await?
                    && account.state == AccountState::Active
            }
            (Ok(password), None) => {
                self.hasher.verify_dummy(&password).await?;
                false
            }
            (Err(_), _) => false,
        };
        let details = serde_json::json!({
            "username": username.as_ref().map(|u| u.as_str().to_string()),
        });
        let account = match account {
            Some(account) if verified => account,
            other => {
                guard
                    .failed(&self.store, other.as_ref(), client, &self.public_url)
                    .await?;
                self.store
                    .audit(
                        NewAuditEvent::new(AuditAction::SignInPassword, AuditOutcome::Failure)
                            .client(client.ip.clone(), client.user_agent.clone())
                            .details(details),
                    )
                    .await?;
                crate::telemetry::sign_in_step(Factor::Password, "failure");
                return Err(AuthError::InvalidCredentials);
            }
        };
        guard.passed(&self.store).await?;
        crate::telemetry::sign_in_step(Factor::Password, "success");
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::SignInPassword, AuditOutcome::Success)
                    .actor(account.id)
                    .subject(account.id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(details),
            )
            .await?;
        Ok(account)
    }

    /// The account behind a pending sign-in attempt and the tokens it may use for step 2.
    pub async fn pending(&self, attempt: &SessionToken) -> Result<Pending, AuthError> {
        let (attempt_row, account) = self.attempt_and_account(attempt).await?;
        let tokens = self.store.active_tokens(account.id).await?;
        let code_sent_for = self.store.live_oob_token(attempt).await?;
        let may_enrol_first = !self.store.has_had_tokens(account.id).await?;
        let enrolment = if may_enrol_first {
            let by = EnrolBinding::Attempt(attempt_row.id);
            crate::enrol::pending_totp_of(&self.store, &self.cipher, &account, by).await?
        } else {
            None
        };
        Ok(Pending {
            account,
            tokens,
            code_sent_for,
            may_enrol_first,
            enrolment,
        })
    }

    /// First sign-in of an account that never had a token (rule 8): starts enrolling an
    /// authenticator app with a fresh 160-bit secret (OTP-1), bound to this attempt (issue 13:
    /// another attempt of the account never sees its secret). Starting again while this attempt
    /// has one pending returns that one, so a reload shows the same QR code.
    pub async fn start_first_totp(
        &self,
        attempt: &SessionToken,
        label: &str,
        device: &str,
    ) -> Result<TokenId, AuthError> {
        let (attempt_row, account) = self.attempt_and_account(attempt).await?;
        // An account that had tokens and lost them all never gets in on the password alone.
        if self.store.has_had_tokens(account.id).await? {
            return Err(AuthError::UnusableToken);
        }
        let by = EnrolBinding::Attempt(attempt_row.id);
        Ok(
            crate::enrol::begin_totp(&self.store, &self.cipher, &account, by, label, device)
                .await?,
        )
    }

    /// Finishes the first enrolment with the app's first code (OTP-12: active only after a valid
    /// code), tells the owner's contacts (AU-6), and signs in. Only the attempt that started the
    /// enrolment may finish it, and only while the account still has no token: checked again in
    /// the activating statement, so two attempts racing activate at most one first token.
    pub async fn finish_first_totp(
        &self,
        attempt: &SessionToken,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), AuthError> {
        let (attempt_row, account) = self.attempt_and_account(attempt).await?;
        let key = ThrottleKey::account_factor(account.id, Factor::Totp);
        self.gate(&key, &account, client).await?;
        if self.store.has_had_tokens(account.id).await? {
            return Err(AuthError::UnusableToken);
        }
        let now = self.clock.now().unix_secs();
        let (pending, activated) = crate::enrol::complete_totp(
            &self.store,
            &self.cipher,
            &account,
            EnrolBinding::Attempt(attempt_row.id),
            true,
            token,
            code,
            now,
            &self.public_url,
        )
        .await?
        .ok_or(AuthError::UnusableToken)?;
        if !activated {
            return Err(self.second_factor_failed(&key, &account, client).await?);
        }
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::TokenAdded, AuditOutcome::Success)
                    .actor(account.id)
                    .subject(account.id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(serde_json::json!({ "token_id": pending.id.0, "kind": "totp" })),
            )
            .await?;
        self.second_factor_passed(attempt, &key, &account, pending.id, client)
            .await
    }

    /// Step 2 with an authenticator app: checks the code for the attempt's own token, records
    /// its time step (so the same code never works twice), ends the attempt and opens a session.
    pub async fn verify_totp(
        &self,
        attempt: &SessionToken,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), AuthError> {
        let account = self.attempt_account(attempt).await?;
        let key = ThrottleKey::account_factor(account.id, Factor::Totp);
        self.gate(&key, &account, client).await?;
        // Scoped by the attempt's account: another account's token id is simply not found.
        let token = self
            .store
            .token(account.id, token)
            .await?
            .filter(|t| t.kind == TokenKind::Totp && t.state == TokenState::Active)
            .ok_or(AuthError::UnusableToken)?;
        let sealed = self
            .store
            .token_secret(token.id)
            .await?
            .ok_or(AuthError::UnusableToken)?;
        let secret = TotpSecret::open(&self.cipher, &sealed, account.id)?;
        let now = self.clock.now().unix_secs();
        let accepted = match secret.verify(code, now, token.last_totp_step) {
            // OTP-6: the conditional update lets exactly one of two racing submissions through.
            Some(step) => {
                self.store
                    .record_totp_use(token.id, account.id, step)
                    .await?
            }
            None => false,
        };
        if !accepted {
            // A right code that is no longer accepted is a replay (OTP-7): logged and told.
            if secret.verify(code, now, None).is_some() {
                self.store
                    .audit(
                        NewAuditEvent::new(AuditAction::TotpReplay, AuditOutcome::Denied)
                            .actor(account.id)
                            .subject(account.id)
                            .client(client.ip.clone(), client.user_agent.clone())
                            .details(serde_json::json!({ "token_id": token.id.0 })),
                    )
                    .await?;
                self.notify(
                    &account,
                    &notify::totp_replay_notice(&account.display_name, &self.public_url),
                )
                .await?;
            }
            return Err(self.second_factor_failed(&key, &account, client).await?);
        }
        self.second_factor_passed(attempt, &key, &account, token.id, client)
            .await
    }

    /// Sends a sign-in code to an SMS or email token of the attempt's account (OOB-3..OOB-6,
    /// OOB-9). A resend replaces the previous code. Returns the token, to show where it went.
    pub async fn send_code(
        &self,
        attempt: &SessionToken,
        token: TokenId,
        client: &Client,
    ) -> Result<Token, AuthError> {
        let account = self.attempt_account(attempt).await?;
        let token = self
            .store
            .token(account.id, token)
            .await?
            .filter(|t| {
                matches!(t.kind, TokenKind::Sms | TokenKind::Email) && t.state == TokenState::Active
            })
            .ok_or(AuthError::UnusableToken)?;
        let mut keys = vec![ThrottleKey::account_sends(account.id)];
        if let Some(ip) = &client.ip {
            keys.push(ThrottleKey::ip(ip, Scope::CodeSend));
        }
        for key in &keys {
            if let Some(error) = AuthError::from_throttle(self.store.throttle_hit(key).await?) {
                self.audit_rate_limited(Some(account.id), client, "sends")
                    .await?;
                return Err(error);
            }
        }
        let code = OobCode::generate();
        let hash = code.hash(&self.codes, attempt, token.id);
        let message =
            notify::sign_in_code_message(&token, &account.display_name, &code, OOB_CODE_TTL)?;
        self.store
            .issue_oob_code(attempt, token.id, hash, message)
            .await
            .map_err(|e| match e {
                DomainError::NotFound(_) => AuthError::AttemptExpired,
                other => other.into(),
            })?;
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::CodeSent, AuditOutcome::Success)
                    .actor(account.id)
                    .subject(account.id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(serde_json::json!({
                        "token_id": token.id.0,
                        "channel": token.kind.as_str(),
                    })),
            )
            .await?;
        Ok(token)
    }

    /// Step 2 with a code sent by SMS or email: accepted once, in this attempt only.
    pub async fn verify_code(
        &self,
        attempt: &SessionToken,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), AuthError> {
        let account = self.attempt_account(attempt).await?;
        let key = ThrottleKey::account_factor(account.id, Factor::OutOfBand);
        self.gate(&key, &account, client).await?;
        let accepted = match OobCode::normalise(code) {
            Some(code) => {
                let hash = code.hash(&self.codes, attempt, token);
                self.store.consume_oob_code(attempt, token, hash).await?
            }
            None => false,
        };
        if !accepted {
            return Err(self.second_factor_failed(&key, &account, client).await?);
        }
        self.second_factor_passed(attempt, &key, &account, token, client)
            .await
    }

    /// The signed-in account behind a session cookie.
    pub async fn session(&self, token: &SessionToken) -> Result<(Session, Account), AuthError> {
        // One query for the session, its account and its emergency code (a hot path: every
        // signed-in request passes here).
        let signed_in = self
            .store
            .signed_in(token)
            .await?
            .ok_or(AuthError::NotSignedIn)?;
        // A locked or disabled account loses its sessions at once (checked on every request).
        if signed_in.account.state != AccountState::Active {
            return Err(AuthError::NotSignedIn);
        }
        // EC-11: a restricted session lives only while the code that opened it is unexpired and
        // not revoked (its shorter idle timeout is the store's). Fails closed: no linked code,
        // no session.
        if signed_in.emergency_code_live == Some(false) {
            self.store.end_session(token).await?;
            return Err(AuthError::NotSignedIn);
        }
        Ok((signed_in.session, signed_in.account))
    }

    /// Changes the password of the signed-in account (PW-9): the current password is checked
    /// first (throttled like sign-in: per username with growing delays, per address), the new
    /// one must pass the checks of a chosen password (PW-5) and differ from the current one. The
    /// change and the notice to the account's contacts are one transaction; when
    /// `end_other_sessions`, every other session ends too (ASVS 7.4.3). Returns how many ended.
    /// Only a full session may change it; a wrong current password is `InvalidCredentials`.
    pub async fn change_password(
        &self,
        session: &Session,
        account: &Account,
        current: String,
        new: String,
        end_other_sessions: bool,
        client: &Client,
    ) -> Result<u64, AuthError> {
        if session.account_id != account.id || session.scope != SessionScope::Full {
            return Err(AuthError::NotSignedIn);
        }
        let event = |outcome| {
            NewAuditEvent::new(AuditAction::PasswordChanged, outcome)
                .actor(account.id)
                .subject(account.id)
                .client(client.ip.clone(), client.user_agent.clone())
        };
        let guard = match PasswordGuard::enter(&self.store, Some(&account.username), client).await?
        {
            Entry::Open(guard) => guard,
            Entry::Refused { state, limit } => {
                self.store
                    .audit(
                        event(AuditOutcome::Denied)
                            .details(serde_json::json!({ "limit": limit.as_str() })),
                    )
                    .await?;
                return Err(AuthError::from_throttle(state).unwrap_or(AuthError::Blocked));
            }
        };
        let verified = match Password::new(current.clone()) {
            Ok(password) => {
                self.hasher
                    .verify(&password, &account.password_hash)
                    .await?
            }
            Err(_) => false,
        };
        if !verified {
            guard
                .failed(&self.store, Some(account), client, &self.public_url)
                .await?;
            self.store.audit(event(AuditOutcome::Failure)).await?;
            return Err(AuthError::InvalidCredentials);
        }
        guard.passed(&self.store).await?;
        let chosen = Password::choose(new.clone(), &account.username)?;
        if new == current {
            return Err(DomainError::invalid(
                "new password",
                "must be different from the current one",
            )
            .into());
        }
        let hash = self.hasher.hash(&chosen).await?;
        let notice = notify::password_changed_notice(&account.display_name, &self.public_url);
        let notices = notice_messages(&self.store, account.id, &notice).await?;
        if !self
            .store
            .set_password_hash(account.id, &hash, &notices)
            .await?
        {
            return Err(AuthError::NotSignedIn);
        }
        let ended = if end_other_sessions {
            self.store
                .end_sessions(account.id, Some(session.id))
                .await?
        } else {
            0
        };
        self.store
            .audit(
                event(AuditOutcome::Success)
                    .details(serde_json::json!({ "other_sessions_ended": ended })),
            )
            .await?;
        Ok(ended)
    }

    /// Records that a signed-in caller was refused a function its session or role does not
    /// allow (EC-11, AC rows): `what` names the function or path.
    pub async fn audit_access_denied(
        &self,
        session: &Session,
        what: &str,
        client: &Client,
    ) -> Result<(), AuthError> {
        let what: String = what.chars().filter(|c| !c.is_control()).take(200).collect();
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::AccessDenied, AuditOutcome::Denied)
                    .actor(session.account_id)
                    .subject(session.account_id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(serde_json::json!({
                        "scope": session.scope.as_str(),
                        "what": what,
                    })),
            )
            .await?;
        Ok(())
    }

    /// Ends a session on the server (SE-5): the cookie is worthless afterwards.
    pub async fn sign_out(&self, token: &SessionToken, client: &Client) -> Result<(), AuthError> {
        if let Some(session) = self.store.session(token).await? {
            self.store
                .audit(
                    NewAuditEvent::new(AuditAction::SignOut, AuditOutcome::Success)
                        .actor(session.account_id)
                        .subject(session.account_id)
                        .client(client.ip.clone(), client.user_agent.clone()),
                )
                .await?;
        }
        self.store.end_session(token).await?;
        Ok(())
    }

    /// The account's live sessions, the caller's own first (SE-7).
    pub async fn sessions(&self, current: &Session) -> Result<Vec<Session>, AuthError> {
        let mut sessions = self.store.sessions(current.account_id).await?;
        sessions.sort_by_key(|s| {
            (
                s.id != current.id,
                std::cmp::Reverse(s.last_seen_at.as_millis()),
            )
        });
        Ok(sessions)
    }

    /// Ends one of the caller's other sessions (SE-7); another account's session id ends
    /// nothing. Returns whether one was ended.
    pub async fn end_other_session(
        &self,
        current: &Session,
        other: crate::SessionId,
        client: &Client,
    ) -> Result<bool, AuthError> {
        if !current.authenticated_recently(self.clock.now()) {
            return Err(AuthError::NotRecent);
        }
        if other == current.id {
            return Ok(false);
        }
        let ended = self
            .store
            .end_session_by_id(current.account_id, other)
            .await?;
        if ended {
            self.audit_sessions_ended(current, client, 1).await?;
        }
        Ok(ended)
    }

    /// Ends every session of the caller's account but this one (RB-10, SE-7).
    pub async fn end_all_other_sessions(
        &self,
        current: &Session,
        client: &Client,
    ) -> Result<u64, AuthError> {
        if !current.authenticated_recently(self.clock.now()) {
            return Err(AuthError::NotRecent);
        }
        let ended = self
            .store
            .end_sessions(current.account_id, Some(current.id))
            .await?;
        if ended > 0 {
            self.audit_sessions_ended(current, client, ended).await?;
        }
        Ok(ended)
    }

    async fn audit_sessions_ended(
        &self,
        current: &Session,
        client: &Client,
        count: u64,
    ) -> Result<(), AuthError> {
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::SignOut, AuditOutcome::Success)
                    .actor(current.account_id)
                    .subject(current.account_id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(serde_json::json!({ "other_sessions_ended": count })),
            )
            .await?;
        Ok(())
    }

    pub(crate) async fn attempt_account(
        &self,
        attempt: &SessionToken,
    ) -> Result<Account, AuthError> {
        Ok(self.attempt_and_account(attempt).await?.1)
    }

    /// The live sign-in attempt behind `attempt` (its row id binds a first enrolment) and its
    /// active account.
    async fn attempt_and_account(
        &self,
        attempt: &SessionToken,
    ) -> Result<(crate::LoginAttempt, Account), AuthError> {
        let pending = self
            .store
            .login_attempt(attempt)
            .await?
            .ok_or(AuthError::AttemptExpired)?;
        let account = self
            .store
            .account_by_id(pending.account_id)
            .await?
            .filter(|a| a.state == AccountState::Active)
            .ok_or(AuthError::AttemptExpired)?;
        Ok((pending, account))
    }

    /// Counts a guess before it is checked (so that concurrent guesses cannot pass the limit,
    /// RL-1, RL-6); refuses when the factor is delayed or blocked.
    pub(crate) async fn gate(
        &self,
        key: &ThrottleKey,
        account: &Account,
        client: &Client,
    ) -> Result<(), AuthError> {
        if let Some(error) = AuthError::from_throttle(self.store.throttle_hit(key).await?) {
            self.audit_rate_limited(Some(account.id), client, key.as_str())
                .await?;
            return Err(error);
        }
        Ok(())
    }

    pub(crate) async fn second_factor_failed(
        &self,
        key: &ThrottleKey,
        account: &Account,
        client: &Client,
    ) -> Result<AuthError, AuthError> {
        if let Some(factor) = key.factor() {
            crate::telemetry::sign_in_step(factor, "failure");
        }
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::SignInSecondFactor, AuditOutcome::Failure)
                    .actor(account.id)
                    .subject(account.id)
                    .client(client.ip.clone(), client.user_agent.clone()),
            )
            .await?;
        // AU-6: the password was right but the second factor wrong, several times running.
        let failures = self
            .store
            .throttle_record(key)
            .await?
            .map(|r| r.failures)
            .unwrap_or(0);
        if failures == SECOND_FACTOR_NOTICE_AFTER {
            self.notify(
                account,
                &notify::second_factor_failures_notice(&account.display_name, &self.public_url),
            )
            .await?;
        }
        Ok(AuthError::InvalidCode)
    }

    async fn second_factor_passed(
        &self,
        attempt: &SessionToken,
        key: &ThrottleKey,
        account: &Account,
        token: TokenId,
        client: &Client,
    ) -> Result<(Account, SessionToken), AuthError> {
        let audit = NewAuditEvent::new(AuditAction::SignInSecondFactor, AuditOutcome::Success)
            .actor(account.id)
            .subject(account.id)
            .client(client.ip.clone(), client.user_agent.clone())
            .details(serde_json::json!({ "token_id": token.0 }));
        let session = self
            .open_session(
                attempt,
                key,
                account,
                SessionScope::Full,
                None,
                audit,
                &[],
                client,
            )
            .await?;
        Ok((account.clone(), session))
    }

    /// The second step passed: clears the factor's failure count (RL-5), ends the attempt,
    /// opens a session of `scope` with a fresh token (SE-2), linked to the emergency code that
    /// opened it if any, records `audit` and queues `notices`, all in one transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_session(
        &self,
        attempt: &SessionToken,
        key: &ThrottleKey,
        account: &Account,
        scope: SessionScope,
        emergency_code: Option<crate::EmergencyCodeId>,
        audit: NewAuditEvent,
        notices: &[crate::NewOutboxMessage],
        client: &Client,
    ) -> Result<SessionToken, AuthError> {
        let new = NewSession {
            account_id: account.id,
            scope,
            ip: client.ip.clone(),
            user_agent: client.user_agent.clone(),
        };
        let session = self
            .store
            .open_signed_in_session(attempt, key, new, emergency_code, audit, notices)
            .await?;
        if let Some(factor) = key.factor() {
            crate::telemetry::sign_in_step(factor, "success");
        }
        Ok(session)
    }

    pub(crate) async fn audit_rate_limited(
        &self,
        account: Option<AccountId>,
        client: &Client,
        what: &str,
    ) -> Result<(), AuthError> {
        let mut event = NewAuditEvent::new(AuditAction::RateLimited, AuditOutcome::Denied)
            .client(client.ip.clone(), client.user_agent.clone())
            .details(serde_json::json!({ "limit": what }));
        if let Some(account) = account {
            event = event.subject(account);
        }
        self.store.audit(event).await?;
        Ok(())
    }

    /// Queues `notice` to every confirmed contact of the account (RB-2: the channels it had).
    pub(crate) async fn notify(&self, account: &Account, notice: &Notice) -> Result<(), AuthError> {
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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::{
        testing::{self, ManualClock, TestStore},
        NewAccount, NewToken, Role, Timestamp, TokenState,
    };

    const PASSWORD: &str = "correct horse battery staple";
    const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
    // RFC 6238's T = 1111111109: a fixed instant, so the expected codes are known.
    const T0: i64 = 1_111_111_109;

    struct Fixture {
        auth: Authenticator,
        clock: Arc<ManualClock>,
        alice: AccountId,
        alice_token: TokenId,
        alice_email: TokenId,
        bob_token: TokenId,
        _db: TestStore,
    }

    async fn fixture(db: TestStore) -> Fixture {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_secs(T0)));
        let store = db.store.clone().with_clock(clock.clone());
        let hasher = PasswordHasher::new(None).unwrap();
        let cipher = Arc::new(SeedCipher::from_key_bytes([7; 32]));
        let mut ids = Vec::new();
        for name in ["alice", "bob"] {
            let hash = hasher
                .hash(&Password::new(PASSWORD.into()).unwrap())
                .await
                .unwrap();
            let account = store
                .create_account(NewAccount {
                    username: Username::parse(name).unwrap(),
                    display_name: name.into(),
                    password_hash: hash,
                    role: Role::User,
                    state: AccountState::Active,
                })
                .await
                .unwrap();
            let sealed = TotpSecret::from_base32(SECRET)
                .unwrap()
                .seal(&cipher, account)
                .unwrap();
            let token = store
                .insert_token(NewToken {
                    account_id: account,
                    kind: TokenKind::Totp,
                    label: "Authenticator app".into(),
                    device: Some("Pixel 7".into()),
                    state: TokenState::Active,
                    secret_enc: Some(sealed),
                    target: None,
                })
                .await
                .unwrap();
            ids.push((account, token));
        }
        let alice = ids[0].0;
        store
            .add_contact(
                alice,
                crate::NewContact {
                    value: Email::parse("alice@example.org").unwrap().into(),
                    confirmed: true,
                    is_recovery: true,
                },
            )
            .await
            .unwrap();
        let alice_email = store
            .insert_token(NewToken {
                account_id: alice,
                kind: TokenKind::Email,
                label: "Work email".into(),
                device: None,
                state: TokenState::Active,
                secret_enc: None,
                target: Some(Email::parse("alice.codes@example.org").unwrap().into()),
            })
            .await
            .unwrap();
        Fixture {
            alice_email,
            auth: Authenticator::new(
                store,
                hasher,
                cipher,
                clock.clone(),
                "https://id.example.org",
            ),
            clock,
            alice: ids[0].0,
            alice_token: ids[0].1,
            bob_token: ids[1].1,
            _db: db,
        }
    }

    fn code_at(secs: i64) -> String {
        TotpSecret::from_base32(SECRET)
            .unwrap()
            .code_at(secs as u64)
    }

    #[test]
    fn targets_are_masked() {
        let token = |kind, target: &str| Token {
            id: TokenId(1),
            account_id: AccountId(1),
            kind,
            label: "x".into(),
            device: None,
            state: TokenState::Active,
            target: Some(target.into()),
            created_at: Timestamp::from_millis(0),
            last_used_at: None,
            last_totp_step: None,
            failure_count: 0,
            removed_at: None,
            removed_by: None,
            blocked_at: None,
        };
        assert_eq!(
            masked_target(&token(TokenKind::Sms, "+420601123456")).unwrap(),
            "+420 ••• ••• 456"
        );
        assert_eq!(
            masked_target(&token(TokenKind::Sms, "+14155552671")).unwrap(),
            "+1 ••• ••• 671"
        );
        assert_eq!(
            masked_target(&token(TokenKind::Sms, "+442079460958")).unwrap(),
            "+44 ••• ••• 958"
        );
        assert_eq!(
            masked_target(&token(TokenKind::Email, "alice@example.org")).unwrap(),
            "a•••@example.org"
        );
    }

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
                matches!(err, AuthError::InvalidCredentials),
                "{user}: {err:?}"
            );
        }
    }

    #[tokio::test]
    async fn se_8_a_correct_password_opens_an_attempt_not_a_session() {
        let f = fixture(testing::sqlite().await).await;
        let ok = f
            .auth
            .check_password("ALICE", PASSWORD.into(), &Client::default())
            .await
            .unwrap();
        assert_eq!(ok.account.id, f.alice);
        assert!(matches!(
            f.auth.session(&ok.attempt).await,
            Err(AuthError::NotSignedIn)
        ));
        let pending = f.auth.pending(&ok.attempt).await.unwrap();
        assert_eq!(pending.account.id, f.alice);
        assert_eq!(
            pending.tokens.len(),
            2,
            "the authenticator app and the email token"
        );
        assert_eq!(pending.code_sent_for, None);
    }

    #[tokio::test]
    async fn otp_6_a_totp_code_opens_one_session_and_never_works_again() {
        let f = fixture(testing::sqlite().await).await;
        let code = code_at(T0);
        assert_eq!(code, "081804"); // RFC 6238 vector, 6 digits
        let ok = f
            .auth
            .check_password("alice", PASSWORD.into(), &Client::default())
            .await
            .unwrap();
        let (_, session) = f
            .auth
            .verify_totp(&ok.attempt, f.alice_token, &code, &Client::default())
            .await
            .unwrap();
        let (_, account) = f.auth.session(&session).await.unwrap();
        assert_eq!(account.id, f.alice);
        // SE-2: the session token is not the attempt token, and the attempt is spent.
        assert_ne!(session.as_str(), ok.attempt.as_str());
        assert!(matches!(
            f.auth.pending(&ok.attempt).await,
            Err(AuthError::AttemptExpired)
        ));

        // The same code in a new attempt: refused, as is the previous step's code.
        let again = f
            .auth
            .check_password("alice", PASSWORD.into(), &Client::default())
            .await
            .unwrap();
        for code in [code_at(T0), code_at(T0 - 30)] {
            assert!(matches!(
                f.auth
                    .verify_totp(&again.attempt, f.alice_token, &code, &Client::default())
                    .await,
                Err(AuthError::InvalidCode)
            ));
        }
        // The next step's code works (OTP-5 window, later than the last accepted step).
        f.clock.advance(Duration::from_secs(30));
        f.auth
            .verify_totp(
                &again.attempt,
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
        let ok = f
            .auth
            .check_password("alice", PASSWORD.into(), &Client::default())
            .await
            .unwrap();
        assert!(matches!(
            f.auth
                .verify_totp(&ok.attempt, f.bob_token, &code_at(T0), &Client::default())
                .await,
            Err(AuthError::UnusableToken)
        ));
    }

    #[tokio::test]
    async fn an_expired_attempt_must_start_again() {
        let f = fixture(testing::sqlite().await).await;
        let ok = f
            .auth
            .check_password("alice", PASSWORD.into(), &Client::default())
            .await
            .unwrap();
        f.clock.advance(LOGIN_ATTEMPT_TTL + Duration::from_secs(1));
        let now = T0 + LOGIN_ATTEMPT_TTL.as_secs() as i64 + 1;
        assert!(matches!(
            f.auth
                .verify_totp(
                    &ok.attempt,
                    f.alice_token,
                    &code_at(now),
                    &Client::default()
                )
                .await,
            Err(AuthError::AttemptExpired)
        ));
    }

    #[tokio::test]
    async fn se_5_sign_out_ends_the_session_on_the_server() {
        let Some(db) = testing::postgres().await else {
            return;
        };
        let f = fixture(db).await;
        let ok = f
            .auth
            .check_password("alice", PASSWORD.into(), &Client::default())
            .await
            .unwrap();
        let (_, session) = f
            .auth
            .verify_totp(&ok.attempt, f.alice_token, &code_at(T0), &Client::default())
            .await
            .unwrap();
        f.auth.session(&session).await.unwrap();
        f.auth.sign_out(&session, &Client::default()).await.unwrap();
        assert!(matches!(
            f.auth.session(&session).await,
            Err(AuthError::NotSignedIn)
        ));
    }

    fn no_client() -> Client {
        Client::default()
    }

    /// The password step with the right password: a pending sign-in attempt.
    async fn password_step(f: &Fixture, username: &str) -> PasswordOk {
        f.auth
            .check_password(username, PASSWORD.into(), &no_client())
            .await
            .unwrap()
    }

    /// An account with the fixture's password and no token at all.
    async fn tokenless_account(f: &Fixture, username: &str, display_name: &str) -> AccountId {
        let hasher = PasswordHasher::new(None).unwrap();
        f.auth
            .store()
            .create_account(NewAccount {
                username: Username::parse(username).unwrap(),
                display_name: display_name.into(),
                password_hash: hasher
                    .hash(&Password::new(PASSWORD.into()).unwrap())
                    .await
                    .unwrap(),
                role: Role::User,
                state: AccountState::Active,
            })
            .await
            .unwrap()
    }

    /// The 6-digit code in the newest outbox message to `recipient`.
    async fn code_sent_to(f: &Fixture, recipient: &str) -> String {
        let messages = f.auth.store().outbox_messages(50).await.unwrap();
        let message = messages
            .iter()
            .find(|m| m.recipient == recipient)
            .expect("a message to the token's address");
        message
            .body
            .split(|c: char| !c.is_ascii_digit())
            .find(|part| part.len() == 6)
            .expect("a 6-digit code in the message")
            .to_string()
    }

    async fn audit_actions(f: &Fixture) -> Vec<String> {
        f.auth
            .store()
            .audit_events(crate::AuditQuery::default())
            .await
            .unwrap()
            .iter()
            .map(|e| format!("{}:{}", e.action.as_str(), e.outcome.as_str()))
            .collect()
    }

    #[tokio::test]
    async fn au_1_sign_in_decisions_are_audited() {
        let f = fixture(testing::sqlite().await).await;
        let _ = f
            .auth
            .check_password("alice", "wrong password!".into(), &no_client())
            .await;
        let ok = password_step(&f, "alice").await;
        f.auth
            .verify_totp(&ok.attempt, f.alice_token, &code_at(T0), &no_client())
            .await
            .unwrap();
        let actions = audit_actions(&f).await;
        assert_eq!(
            actions,
            [
                "sign_in.second_factor:success",
                "sign_in.password:success",
                "sign_in.password:failure"
            ]
        );
    }

    #[tokio::test]
    async fn rl_3_wrong_codes_meet_growing_delays_and_rl_5_success_clears_them() {
        let f = fixture(testing::sqlite().await).await;
        let ok = password_step(&f, "alice").await;
        for _ in 0..5 {
            let err = f
                .auth
                .verify_totp(&ok.attempt, f.alice_token, "000000", &no_client())
                .await
                .unwrap_err();
            assert!(matches!(err, AuthError::InvalidCode), "{err:?}");
        }
        // The sixth guess waits; the right code does too: no guess is checked while delayed.
        let err = f
            .auth
            .verify_totp(&ok.attempt, f.alice_token, &code_at(T0), &no_client())
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                AuthError::RateLimited {
                    retry_after_secs: 1
                }
            ),
            "{err:?}"
        );
        f.clock.advance(Duration::from_secs(2));
        f.auth
            .verify_totp(&ok.attempt, f.alice_token, &code_at(T0), &no_client())
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
            match f
                .auth
                .verify_totp(&attempt, f.alice_token, "000000", &no_client())
                .await
            {
                Err(AuthError::InvalidCode) => wrong += 1,
                // RL-3: delays, which the clock waits out...
                Err(AuthError::RateLimited { retry_after_secs }) => {
                    f.clock.advance(Duration::from_secs(retry_after_secs))
                }
                // ...longer than a sign-in attempt lives: sign in again.
                Err(AuthError::AttemptExpired) => {
                    attempt = password_step(&f, "alice").await.attempt;
                }
                other => panic!("after {wrong} wrong codes: {:?}", other.map(|_| ())),
            }
        }
        attempt = password_step(&f, "alice").await.attempt;
        let now = f.clock.now().unix_secs() as i64;
        assert!(matches!(
            f.auth
                .verify_totp(&attempt, f.alice_token, &code_at(now), &no_client())
                .await,
            Err(AuthError::Blocked)
        ));
        f.clock.advance(Duration::from_secs(365 * 86_400));
        attempt = password_step(&f, "alice").await.attempt;
        let now = f.clock.now().unix_secs() as i64;
        assert!(matches!(
            f.auth
                .verify_totp(&attempt, f.alice_token, &code_at(now), &no_client())
                .await,
            Err(AuthError::Blocked)
        ));
        // Another factor still works.
        f.auth
            .send_code(&attempt, f.alice_email, &no_client())
            .await
            .unwrap();
        let code = code_sent_to(&f, "alice.codes@example.org").await;
        f.auth
            .verify_code(&attempt, f.alice_email, &code, &no_client())
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
                .verify_totp(&ok.attempt, f.alice_token, "000000", &no_client())
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
                .verify_totp(&ok.attempt, f.alice_token, &code_at(T0), &no_client())
                .await;
        }
        assert!(audit_actions(&f)
            .await
            .contains(&"totp.replay:denied".to_string()));
        assert_eq!(f.auth.store().outbox_messages(10).await.unwrap().len(), 1);
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

    #[tokio::test]
    async fn oob_5_an_emailed_code_works_once_in_its_own_attempt() {
        let f = fixture(testing::sqlite().await).await;
        let a = password_step(&f, "alice").await;
        let b = password_step(&f, "alice").await;
        f.auth
            .send_code(&a.attempt, f.alice_email, &no_client())
            .await
            .unwrap();
        let pending = f.auth.pending(&a.attempt).await.unwrap();
        assert_eq!(pending.code_sent_for, Some(f.alice_email));
        let code = code_sent_to(&f, "alice.codes@example.org").await;
        // Not in another attempt, not with a TOTP token, not a wrong code.
        assert!(matches!(
            f.auth
                .verify_code(&b.attempt, f.alice_email, &code, &no_client())
                .await,
            Err(AuthError::InvalidCode)
        ));
        assert!(matches!(
            f.auth
                .send_code(&a.attempt, f.alice_token, &no_client())
                .await,
            Err(AuthError::UnusableToken)
        ));
        f.auth
            .verify_code(&a.attempt, f.alice_email, &code, &no_client())
            .await
            .unwrap();
        let c = password_step(&f, "alice").await;
        assert!(matches!(
            f.auth
                .verify_code(&c.attempt, f.alice_email, &code, &no_client())
                .await,
            Err(AuthError::InvalidCode)
        ));
    }

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
            Err(AuthError::InvalidCode)
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
            Err(AuthError::UnusableToken)
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
            Err(AuthError::UnusableToken)
        ));
    }

    #[tokio::test]
    async fn au_2_no_secret_reaches_an_audit_row() {
        let f = fixture(testing::sqlite().await).await;
        let mut secrets = vec![PASSWORD.to_string(), SECRET.to_string(), code_at(T0)];
        let _ = f
            .auth
            .check_password("alice", "wrong password!".into(), &no_client())
            .await;
        secrets.push("wrong password!".into());
        let ok = password_step(&f, "alice").await;
        secrets.push(ok.attempt.as_str().to_string());
        let _ = f
            .auth
            .verify_totp(&ok.attempt, f.alice_token, "123456", &no_client())
            .await;
        let (_, session) = f
            .auth
            .verify_totp(&ok.attempt, f.alice_token, &code_at(T0), &no_client())
            .await
            .unwrap();
        secrets.push(session.as_str().to_string());
        let b = password_step(&f, "alice").await;
        f.auth
            .send_code(&b.attempt, f.alice_email, &no_client())
            .await
            .unwrap();
        let code = code_sent_to(&f, "alice.codes@example.org").await;
        secrets.push(code.clone());
        f.auth
            .verify_code(&b.attempt, f.alice_email, &code, &no_client())
            .await
            .unwrap();
        f.auth.sign_out(&session, &no_client()).await.unwrap();

        let rows = testing::raw_rows(f.auth.store(), "audit_events").await;
        assert!(rows.len() >= 7, "{rows:?}");
        for row in &rows {
            for secret in &secrets {
                assert!(
                    !row.contains(secret.as_str()),
                    "{secret:?} in audit row {row}"
                );
            }
        }
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
                .verify_totp(&ok.attempt, f.alice_token, &code_at(now), &no_client())
                .await
                .unwrap();
            tokens.push(token);
        }
        let bob = password_step(&f, "bob").await;
        let (_, bob_token) = f
            .auth
            .verify_totp(&bob.attempt, f.bob_token, &code_at(T0 + 60), &no_client())
            .await
            .unwrap();
        let (current, _) = f.auth.session(&tokens[0]).await.unwrap();
        let sessions = f.auth.sessions(&current).await.unwrap();
        assert_eq!(sessions.len(), 3);
        assert_eq!(sessions[0].id, current.id, "the caller's own first");
        // Bob's session id is not Alice's to end (AC-2); her own current one is not ended here.
        let (bob_session, _) = f.auth.session(&bob_token).await.unwrap();
        assert!(!f
            .auth
            .end_other_session(&current, bob_session.id, &no_client())
            .await
            .unwrap());
        assert!(!f
            .auth
            .end_other_session(&current, current.id, &no_client())
            .await
            .unwrap());
        assert!(f
            .auth
            .end_other_session(&current, sessions[1].id, &no_client())
            .await
            .unwrap());
        assert_eq!(
            f.auth
                .end_all_other_sessions(&current, &no_client())
                .await
                .unwrap(),
            1
        );
        assert_eq!(f.auth.sessions(&current).await.unwrap().len(), 1);
        f.auth.session(&tokens[0]).await.unwrap();
        f.auth.session(&bob_token).await.unwrap();
    }

    #[tokio::test]
    async fn oob_9_sends_are_limited_per_account() {
        let f = fixture(testing::sqlite().await).await;
        let a = password_step(&f, "alice").await;
        for _ in 0..5 {
            f.auth
                .send_code(&a.attempt, f.alice_email, &no_client())
                .await
                .unwrap();
        }
        assert!(matches!(
            f.auth
                .send_code(&a.attempt, f.alice_email, &no_client())
                .await,
            Err(AuthError::RateLimited { .. })
        ));
        let sent = f.auth.store().outbox_messages(50).await.unwrap();
        assert_eq!(sent.len(), 5);
    }
}
