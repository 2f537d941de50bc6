//! Step 2: what the attempt may use, a code from an authenticator app or one sent by SMS or
//! email, and the throttling, auditing and notices around each guess (RL-1, RL-3, AU-6, OTP-7).

use super::{Authenticator, Client, Pending, SECOND_FACTOR_NOTICE_AFTER};
use crate::store::{Spend, TotpStep};
use crate::{
    notify, Account, AccountId, Attempt, AuditAction, AuditOutcome, DomainError, EnrolBinding,
    Factor, NewAuditEvent, OobCode, Scope, SessionScope, SessionToken, ThrottleKey, Token, TokenId,
    TokenKind, TokenState, TotpSecret, OOB_CODE_TTL,
};

impl Authenticator {
    /// The account behind a pending sign-in attempt and the tokens it may use for step 2.
    pub async fn pending(&self, attempt: &Attempt) -> Result<Pending, DomainError> {
        let account = attempt.account().clone();
        let tokens = self.store.active_tokens(account.id).await?;
        let code_sent_for = self.store.live_oob_token(attempt.token()).await?;
        let may_enrol_first = !self.store.has_had_tokens(account.id).await?;
        let enrolment = if may_enrol_first {
            let by = EnrolBinding::Attempt(attempt.row().id);
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

    /// Step 2 with a token of `kind`: [`Self::verify_totp`] for an authenticator app,
    /// [`Self::verify_code`] for a code sent by SMS or e-mail. Each refuses a token of another
    /// kind.
    pub async fn verify(
        &self,
        attempt: &Attempt,
        kind: TokenKind,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), DomainError> {
        match kind {
            TokenKind::Totp => self.verify_totp(attempt, token, code, client).await,
            TokenKind::Sms | TokenKind::Email => {
                self.verify_code(attempt, token, code, client).await
            }
            // A passkey answers a prompt, not a code: [`Self::verify_passkey`].
            TokenKind::Webauthn => Err(DomainError::UnusableToken),
        }
    }

    /// Step 2 with an authenticator app: checks the code for the attempt's own token, then, in
    /// one transaction, spends its time step (so the same code never works twice), ends the
    /// attempt and opens a session.
    pub async fn verify_totp(
        &self,
        attempt: &Attempt,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), DomainError> {
        self.guess(attempt, Factor::Totp, client, async |_, account| {
            // Scoped by the attempt's account: another account's token id is simply not found.
            let token = self
                .store
                .token(account.id, token)
                .await?
                .filter(|t| t.kind == TokenKind::Totp && t.state == TokenState::Active)
                .ok_or(DomainError::UnusableToken)?;
            let sealed = self
                .store
                .token_secret(token.id)
                .await?
                .ok_or(DomainError::UnusableToken)?;
            let secret = TotpSecret::open(&self.cipher, &sealed, account.id)?;
            let now = self.clock.now().unix_secs();
            if let Some(step) = secret.verify(code, now, token.last_totp_step) {
                // OTP-6: spent in the session's own transaction by one conditional update,
                // which lets exactly one of two racing submissions through.
                let spend = Some(Spend::TotpStep(TotpStep {
                    token: token.id,
                    step,
                }));
                return Ok(Some(Pass {
                    token: token.id,
                    spend,
                }));
            }
            // A right code that is no longer accepted is a replay (OTP-7): logged and told.
            if secret.verify(code, now, None).is_some() {
                self.totp_replayed(account, token.id, client).await?;
            }
            Ok(None)
        })
        .await
    }

    /// Sends a sign-in code to an SMS or email token of the attempt's account (OOB-3..OOB-6,
    /// OOB-9). A resend replaces the previous code. Returns the token, to show where it went.
    pub async fn send_code(
        &self,
        attempt: &Attempt,
        token: TokenId,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let account = attempt.account();
        let token = self
            .store
            .token(account.id, token)
            .await?
            .filter(|t| {
                matches!(t.kind, TokenKind::Sms | TokenKind::Email) && t.state == TokenState::Active
            })
            .ok_or(DomainError::UnusableToken)?;
        let mut keys = vec![ThrottleKey::account_sends(account.id)];
        if let Some(ip) = &client.ip {
            keys.push(ThrottleKey::ip(ip, Scope::CodeSend));
        }
        for key in &keys {
            self.counted(key, account.id, client, "sends").await?;
        }
        let code = OobCode::generate();
        let hash = code.hash(&self.codes, attempt.token(), token.id);
        let message =
            notify::sign_in_code_message(&token, &account.display_name, &code, OOB_CODE_TTL)?;
        self.store
            .issue_oob_code(attempt.token(), token.id, hash, message)
            .await
            .map_err(|e| match e {
                DomainError::NotFound(_) => DomainError::AttemptExpired,
                other => other,
            })?;
        let sent = NewAuditEvent::own(
            AuditAction::CodeSent,
            AuditOutcome::Success,
            account.id,
            client,
        );
        let details = serde_json::json!({ "token_id": token.id.0, "channel": token.kind.as_str() });
        self.store.audit(sent.details(details)).await?;
        Ok(token)
    }

    /// Step 2 with a code sent by SMS or email: accepted once, in this attempt only.
    pub async fn verify_code(
        &self,
        attempt: &Attempt,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), DomainError> {
        self.guess(attempt, Factor::OutOfBand, client, async |_, _| {
            let Some(code) = OobCode::normalise(code) else {
                return Ok(None);
            };
            let hash = code.hash(&self.codes, attempt.token(), token);
            let accepted = self
                .store
                .consume_oob_code(attempt.token(), token, hash)
                .await?;
            Ok(accepted.then_some(token.into()))
        })
        .await
    }

    /// A right TOTP code that is no longer accepted (OTP-7): audited as `totp.replay` and told
    /// to the account's contacts.
    async fn totp_replayed(
        &self,
        account: &Account,
        token: TokenId,
        client: &Client,
    ) -> Result<(), DomainError> {
        let event = NewAuditEvent::own(
            AuditAction::TotpReplay,
            AuditOutcome::Denied,
            account.id,
            client,
        )
        .details(serde_json::json!({ "token_id": token.0 }));
        self.store.audit(event).await?;
        self.notify(
            account,
            &notify::totp_replay_notice(&account.display_name, &self.public_url),
        )
        .await
    }

    /// A second-factor guess in `attempt`, counted before it is checked ([`Self::gate`]) on the
    /// attempt's account's throttle key for `factor`. `check`, given the attempt's row (which
    /// binds a first enrolment) and its active account, says which token the guess passed with,
    /// if any: a pass opens a session (spending a TOTP step in its transaction), a miss is a failure
    /// ([`Self::second_factor_failed`]).
    pub(super) async fn guess(
        &self,
        attempt: &Attempt,
        factor: Factor,
        client: &Client,
        check: impl AsyncFnOnce(&crate::LoginAttempt, &Account) -> Result<Option<Pass>, DomainError>,
    ) -> Result<(Account, SessionToken), DomainError> {
        let account = attempt.account();
        let key = ThrottleKey::account_factor(account.id, factor);
        self.gate(&key, account, client).await?;
        let Some(pass) = check(attempt.row(), account).await? else {
            return Err(self.second_factor_failed(&key, account, client).await?);
        };
        let audit = NewAuditEvent::own(
            AuditAction::SignInSecondFactor,
            AuditOutcome::Success,
            account.id,
            client,
        )
        .details(serde_json::json!({ "token_id": pass.token.0 }));
        let session = match pass.spend {
            None => {
                let opened = self.open_session(
                    attempt.token(),
                    &key,
                    account,
                    SessionScope::Full,
                    None,
                    Some(pass.token),
                    audit,
                    &[],
                    client,
                );
                opened.await?
            }
            Some(spent) => {
                let opened = self.open_session_spending(
                    attempt.token(),
                    &key,
                    account,
                    spent.clone(),
                    pass.token,
                    audit,
                    client,
                );
                match opened.await? {
                    Some(session) => session,
                    // The step was spent between the check and this transaction: a replay
                    // that lost the race (OTP-6, OTP-7). (A passkey's counter moved meanwhile:
                    // another sign-in with it won.)
                    None => {
                        if let Spend::TotpStep(step) = spent {
                            self.totp_replayed(account, step.token, client).await?;
                        }
                        return Err(self.second_factor_failed(&key, account, client).await?);
                    }
                }
            }
        };
        Ok((account.clone(), session))
    }

    /// Counts a guess before it is checked (so that concurrent guesses cannot pass the limit,
    /// RL-1, RL-6); refuses when the factor is delayed or blocked.
    pub(crate) async fn gate(
        &self,
        key: &ThrottleKey,
        account: &Account,
        client: &Client,
    ) -> Result<(), DomainError> {
        self.counted(key, account.id, client, key.as_str()).await
    }

    /// Counts one hit on `key`; when it is delayed or refused, audits `rate_limited` with the
    /// limit named `what` and refuses.
    async fn counted(
        &self,
        key: &ThrottleKey,
        account: AccountId,
        client: &Client,
        what: &str,
    ) -> Result<(), DomainError> {
        if let Some(error) = DomainError::from_throttle(self.store.throttle_hit(key).await?) {
            self.audit_rate_limited(Some(account), client, what).await?;
            return Err(error);
        }
        Ok(())
    }

    pub(crate) async fn second_factor_failed(
        &self,
        key: &ThrottleKey,
        account: &Account,
        client: &Client,
    ) -> Result<DomainError, DomainError> {
        if let Some(factor) = key.factor() {
            crate::telemetry::sign_in_step(factor, "failure");
        }
        self.store
            .audit(NewAuditEvent::own(
                AuditAction::SignInSecondFactor,
                AuditOutcome::Failure,
                account.id,
                client,
            ))
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
        Ok(DomainError::InvalidCode)
    }
}

/// What a guess passed with: its token and, for an authenticator app, the time step that the
/// session's own transaction spends (OTP-6).
pub(super) struct Pass {
    pub(super) token: TokenId,
    pub(super) spend: Option<Spend>,
}

impl From<TokenId> for Pass {
    fn from(token: TokenId) -> Self {
        Pass { token, spend: None }
    }
}
