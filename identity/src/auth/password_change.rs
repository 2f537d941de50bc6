//! Changing the password of the signed-in account (PW-9), optionally ending its other sessions.

use super::{notice_messages, Authenticator, Client};
use crate::{
    notify, AuditAction, AuditOutcome, DomainError, NewAuditEvent, Password, SecuritySession,
};

impl Authenticator {
    /// Changes the password of the signed-in account (PW-9): the current password is checked
    /// first (throttled like sign-in: per username with growing delays, per address), the new
    /// one must pass the checks of a chosen password (PW-5) and differ from the current one. The
    /// change and the notice to the account's contacts are one transaction; when
    /// `end_other_sessions`, every other session ends too (ASVS 7.4.3). Returns how many ended.
    /// Only a full session, or a restricted one opened for a stolen phone, may change it
    /// ([`SecuritySession`]); a wrong current password is `InvalidCredentials`. From a stolen
    /// phone's restricted session the change keeps that session and its code, and the code
    /// remembers the hash it replaced ("this was not me" puts it back).
    pub async fn change_password(
        &self,
        caller: &SecuritySession,
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
        let changed = self
            .store
            .set_password_hash(account.id, &hash, caller.recovery_code(), &notices)
            .await?;
        if !changed {
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
            .audit(event(AuditOutcome::Success).details(serde_json::json!({
                "other_sessions_ended": ended,
                "restricted_session": caller.recovery_code().is_some(),
            })))
            .await?;
        Ok(ended)
    }
}
