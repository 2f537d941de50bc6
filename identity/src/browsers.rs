//! Remembered browsers (issue 13 item 5, "waiting period by trust"): after a full sign-in
//! (password and second factor, never a restricted emergency session) the browser gets a
//! long-lived cookie whose random token the account remembers (its hash only, see
//! [`Store::remember_browser`]). The owner sees them on the account page and forgets any of
//! them; a password change or "this was not me" forgets them all. A self-service emergency
//! code asked for from one of them is valid at once (see [`crate::EmergencyAccess`]).

use crate::store::{RememberedBrowser, RememberedBrowserId};
use crate::{
    AuditAction, AuditOutcome, Authenticator, Client, DomainError, FullSession, NewAuditEvent,
    SessionScope, SessionToken,
};

/// The account's remembered browsers, and which of them (if any) is the caller's.
#[derive(Clone, Debug)]
pub struct BrowserList {
    /// The most recently used first.
    pub browsers: Vec<RememberedBrowser>,
    /// The one whose cookie this request carries.
    pub current: Option<RememberedBrowserId>,
}

impl Authenticator {
    /// Remembers the browser that holds `session`, a full session that just opened (the
    /// session token is the proof of the full sign-in: an emergency session, or none, is
    /// refused with [`DomainError::NotSignedIn`]). The browser's cookie token (`client.browser`)
    /// is kept when the account already remembers it; otherwise a new one is made (and
    /// audited). Returns the token for the cookie.
    pub async fn remember_browser(
        &self,
        session: &SessionToken,
        client: &Client,
    ) -> Result<SessionToken, DomainError> {
        let session = self
            .store()
            .session(session)
            .await?
            .filter(|s| s.scope == SessionScope::Full)
            .ok_or(DomainError::NotSignedIn)?;
        let (token, new) = self
            .store()
            .remember_browser(
                session.account_id,
                client.browser.as_ref(),
                client.ip.as_deref(),
                client.user_agent.as_deref(),
            )
            .await?;
        if new {
            self.store()
                .audit(
                    NewAuditEvent::new(AuditAction::BrowserRemembered, AuditOutcome::Success)
                        .actor(session.account_id)
                        .subject(session.account_id)
                        .client(client.ip.clone(), client.user_agent.clone()),
                )
                .await?;
        }
        Ok(token)
    }

    /// The caller's remembered browsers, and which is this one. A full session only.
    pub async fn browsers(
        &self,
        caller: &FullSession,
        client: &Client,
    ) -> Result<BrowserList, DomainError> {
        let session = caller.session();
        let browsers = self.store().remembered_browsers(session.account_id).await?;
        let current = match &client.browser {
            Some(token) => self
                .store()
                .remembered_browser(session.account_id, token)
                .await?
                .map(|b| b.id),
            None => None,
        };
        Ok(BrowserList { browsers, current })
    }

    /// "Forget": the account no longer remembers this browser (its next self-service code
    /// waits as an unknown browser's would). Another account's browser id forgets nothing
    /// (AC-2). A full session only; audited. Returns whether one was forgotten.
    pub async fn forget_browser(
        &self,
        caller: &FullSession,
        browser: RememberedBrowserId,
        client: &Client,
    ) -> Result<bool, DomainError> {
        let session = caller.session();
        let forgotten = self
            .store()
            .forget_browser(session.account_id, browser)
            .await?;
        if forgotten {
            self.store()
                .audit(
                    NewAuditEvent::new(AuditAction::BrowserForgotten, AuditOutcome::Success)
                        .actor(session.account_id)
                        .subject(session.account_id)
                        .client(client.ip.clone(), client.user_agent.clone())
                        .details(serde_json::json!({ "browser_id": browser.0 })),
                )
                .await?;
        }
        Ok(forgotten)
    }
}

#[cfg(test)]
mod tests;
