//! Changing the password of the signed-in account (PW-9), optionally ending its other sessions.

use super::{notice_messages, Authenticator, Client};
use crate::{notify, AuditAction, AuditOutcome, DomainError, FullSession, NewAuditEvent, Password};

impl Authenticator {
    /// Changes the password of the signed-in account (PW-9): the current password is checked
    /// first (throttled like sign-in: per username with growing delays, per address), the new
    /// one must pass the checks of a chosen password (PW-5) and differ from the current one. The
    /// change and the notice to the account's contacts are one transaction; when
    /// `end_other_sessions`, every other session ends too (ASVS 7.4.3). Returns how many ended.
    /// Only a full session may change it; a wrong current password is `InvalidCredentials`.
    pub async fn change_password(
        &self,
        caller: &FullSession,
        current: String,
        new: String,
        end_other_sessions: bool,
        client: &Client,
    ) -> Result<u64, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        let event =
            |outcome| NewAuditEvent::own(AuditAction::PasswordChanged, outcome, account.id, client);
        self.recheck_password(account, current.clone(), client, event)
            .await?
            .map_err(DomainError::from_sign_in_recheck)?;
        let chosen = Password::choose(new.clone(), &account.username)?;
        if new == current {
            return Err(DomainError::invalid(
                "new password",
                "must be different from the current one",
            ));
        }
        let hash = self.hasher.hash(&chosen).await?;
        let notice = notify::password_changed_notice(&account.display_name, &self.public_url);
        let notices = notice_messages(&self.store, account.id, &notice).await?;
        if !self
            .store
            .set_password_hash(account.id, &hash, &notices)
            .await?
        {
            return Err(DomainError::NotSignedIn);
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
}
