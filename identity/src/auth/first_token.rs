//! An account that never had a token enrols its first authenticator app while signing in
//! (rule 8, OTP-12), bound to the sign-in attempt that started it (issue 13).

use super::{Authenticator, Client, DomainError};
use crate::{
    Account, Attempt, AuditAction, AuditOutcome, EnrolBinding, Factor, NewAuditEvent, SessionToken,
    TokenId,
};

impl Authenticator {
    /// First sign-in of an account that never had a token (rule 8): starts enrolling an
    /// authenticator app with a fresh 160-bit secret (OTP-1), bound to this attempt (issue 13:
    /// another attempt of the account never sees its secret). Starting again while this attempt
    /// has one pending returns that one, so a reload shows the same QR code.
    pub async fn start_first_totp(
        &self,
        attempt: &Attempt,
        label: &str,
        device: &str,
    ) -> Result<TokenId, DomainError> {
        let account = attempt.account();
        // An account that had tokens and lost them all never gets in on the password alone.
        if self.store.has_had_tokens(account.id).await? {
            return Err(DomainError::UnusableToken);
        }
        let by = EnrolBinding::Attempt(attempt.row().id);
        crate::enrol::begin_totp(&self.store, &self.cipher, account, by, label, device).await
    }

    /// Finishes the first enrolment with the app's first code (OTP-12: active only after a valid
    /// code), tells the owner's contacts (AU-6), and signs in. Only the attempt that started the
    /// enrolment may finish it, and only while the account still has no token: checked again in
    /// the activating statement, so two attempts racing activate at most one first token.
    pub async fn finish_first_totp(
        &self,
        attempt: &Attempt,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<(Account, SessionToken), DomainError> {
        self.guess(
            attempt,
            Factor::Totp,
            client,
            async |attempt_row, account| {
                if self.store.has_had_tokens(account.id).await? {
                    return Err(DomainError::UnusableToken);
                }
                let now = self.clock.now().unix_secs();
                let (pending, activated) = crate::enrol::complete_totp(
                    &self.store,
                    &self.cipher,
                    account,
                    EnrolBinding::Attempt(attempt_row.id),
                    true,
                    token,
                    code,
                    now,
                    &self.public_url,
                )
                .await?
                .ok_or(DomainError::UnusableToken)?;
                if !activated {
                    return Ok(None);
                }
                self.store
                    .audit(
                        NewAuditEvent::own(
                            AuditAction::TokenAdded,
                            AuditOutcome::Success,
                            account.id,
                            client,
                        )
                        .details(serde_json::json!({ "token_id": pending.id.0, "kind": "totp" })),
                    )
                    .await?;
                Ok(Some(pending.id.into()))
            },
        )
        .await
    }
}
