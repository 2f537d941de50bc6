//! Step 1: the username and password, and the sign-in attempt a correct one opens (SE-8).

use super::{Authenticator, Client, PasswordOk};
use crate::guard::{Entry, PasswordGuard, Recheck};
use crate::{
    Account, AccountState, AuditAction, AuditOutcome, DomainError, Factor, NewAuditEvent, Password,
    Username, LOGIN_ATTEMPT_TTL,
};

impl Authenticator {
    /// Step 1: username and password. Every failure costs one argon2 run and reads the same.
    pub async fn check_password(
        &self,
        username: &str,
        password: String,
        client: &Client,
    ) -> Result<PasswordOk, DomainError> {
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
    ) -> Result<Account, DomainError> {
        let username = Username::parse(username).ok();
        // Counted per address and per username from that address, whether an account has the
        // name or not: the delays reveal nothing, and slow only the address that guesses.
        let guard = match PasswordGuard::enter(&self.store, username.as_ref(), client).await? {
            Entry::Open(guard) => guard,
            Entry::Refused { state, limit } => {
                crate::telemetry::sign_in_step(Factor::Password, "rate_limited");
                self.audit_rate_limited(None, client, limit.as_str())
                    .await?;
                return Err(DomainError::from_throttle(state).unwrap_or(DomainError::Blocked));
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
                return Err(DomainError::InvalidCredentials);
            }
        };
        guard.passed(&self.store).await?;
        crate::telemetry::sign_in_step(Factor::Password, "success");
        self.store
            .audit(
                NewAuditEvent::own(
                    AuditAction::SignInPassword,
                    AuditOutcome::Success,
                    account.id,
                    client,
                )
                .details(details),
            )
            .await?;
        Ok(account)
    }

    /// Checks the signed-in `account`'s own password, typed again (re-authentication, password
    /// change), behind sign-in's limits ([`PasswordGuard`]: per address, per username from it).
    /// Audited with `event`: `denied` with the limit that refused it before any hashing,
    /// `failure` when wrong; a right one is for the caller to audit with what it did next.
    /// The outer error is a failure of the check itself; the inner one its refusal, for the
    /// caller to answer in its own terms.
    pub(crate) async fn recheck_password(
        &self,
        account: &Account,
        password: String,
        client: &Client,
        event: impl Fn(AuditOutcome) -> NewAuditEvent,
    ) -> crate::Result<Result<(), Recheck>> {
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
                return Ok(Err(Recheck::Refused(state)));
            }
        };
        // PW-2: an over-long password is refused before any hashing; it cannot be right.
        let verified = match Password::new(password) {
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
            return Ok(Err(Recheck::Wrong));
        }
        guard.passed(&self.store).await?;
        Ok(Ok(()))
    }
}
