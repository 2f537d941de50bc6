//! Sessions: opening one when a sign-in passes, the capabilities behind a session cookie
//! (checked on every request), signing out, and seeing and ending one's other sessions (SE-7).

use super::{Authenticator, Client, DomainError};
use crate::{
    Account, AccountState, AuditAction, AuditOutcome, FullSession, NewAuditEvent, NewSession,
    SecuritySession, Session, SessionScope, SessionToken, SignedIn, ThrottleKey,
};

impl Authenticator {
    /// The signed-in caller behind a session cookie: the only way to a [`SignedIn`] capability.
    /// Checked on every request: the session is live, the account active, and a restricted
    /// session's emergency code still live.
    pub async fn authorize(&self, token: &SessionToken) -> Result<SignedIn, DomainError> {
        // One query for the session, its account and its emergency code (a hot path: every
        // signed-in request passes here).
        let signed_in = self
            .store
            .signed_in(token)
            .await?
            .ok_or(DomainError::NotSignedIn)?;
        // A locked or disabled account loses its sessions at once (checked on every request).
        if signed_in.account.state != AccountState::Active {
            return Err(DomainError::NotSignedIn);
        }
        // EC-11: a restricted session lives only while the code that opened it is unexpired and
        // not revoked (its shorter idle timeout is the store's). Fails closed: no linked code,
        // no session.
        if signed_in.emergency_code_live == Some(false) {
            self.store.end_session(token).await?;
            return Err(DomainError::NotSignedIn);
        }
        Ok(SignedIn::new(signed_in.session, signed_in.account))
    }

    /// `caller` as a full session; a restricted emergency session is refused with
    /// [`DomainError::Restricted`] and an `access.denied` audit event naming `what` (EC-11).
    pub async fn require_full(
        &self,
        caller: SignedIn,
        what: &str,
        client: &Client,
    ) -> Result<FullSession, DomainError> {
        match caller.full() {
            Ok(full) => Ok(full),
            Err(restricted) => {
                self.audit_access_denied(restricted.session(), what, client)
                    .await?;
                Err(DomainError::Restricted)
            }
        }
    }

    /// Records that a signed-in caller was refused a function its session or role does not
    /// allow (EC-11, AC rows): `what` names the function or path.
    pub(crate) async fn audit_access_denied(
        &self,
        session: &Session,
        what: &str,
        client: &Client,
    ) -> Result<(), DomainError> {
        let what: String = what.chars().filter(|c| !c.is_control()).take(200).collect();
        self.store
            .audit(
                NewAuditEvent::own(
                    AuditAction::AccessDenied,
                    AuditOutcome::Denied,
                    session.account_id,
                    client,
                )
                .details(serde_json::json!({
                    "scope": session.scope.as_str(),
                    "what": what,
                })),
            )
            .await?;
        Ok(())
    }

    /// Ends a session on the server (SE-5): the cookie is worthless afterwards.
    pub async fn sign_out(&self, token: &SessionToken, client: &Client) -> Result<(), DomainError> {
        if let Some(session) = self.store.session(token).await? {
            self.store
                .audit(NewAuditEvent::own(
                    AuditAction::SignOut,
                    AuditOutcome::Success,
                    session.account_id,
                    client,
                ))
                .await?;
        }
        self.store.end_session(token).await?;
        Ok(())
    }

    /// The account's live sessions, the caller's own first (SE-7).
    pub async fn sessions(&self, caller: &FullSession) -> Result<Vec<Session>, DomainError> {
        let current = caller.session();
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
        caller: &FullSession,
        other: crate::SessionId,
        client: &Client,
    ) -> Result<bool, DomainError> {
        let current = self.recent_session(caller)?;
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

    /// Ends every session of the caller's account but this one (RB-10, SE-7). A restricted
    /// session opened for a stolen phone may do it too ([`SecuritySession`]).
    pub async fn end_all_other_sessions(
        &self,
        caller: &SecuritySession,
        client: &Client,
    ) -> Result<u64, DomainError> {
        let current = self.recent_session(caller)?;
        let ended = self
            .store
            .end_sessions(current.account_id, Some(current.id))
            .await?;
        if ended > 0 {
            self.audit_sessions_ended(current, client, ended).await?;
        }
        Ok(ended)
    }

    /// The caller's session, if it signed in (or re-entered its password) recently enough to
    /// end other sessions (RB-1); [`DomainError::NotRecent`] if not.
    fn recent_session<'a>(&self, caller: &'a SignedIn) -> Result<&'a Session, DomainError> {
        let current = caller.session();
        if !current.authenticated_recently(self.clock.now()) {
            return Err(DomainError::NotRecent);
        }
        Ok(current)
    }

    async fn audit_sessions_ended(
        &self,
        current: &Session,
        client: &Client,
        count: u64,
    ) -> Result<(), DomainError> {
        self.store
            .audit(
                NewAuditEvent::own(
                    AuditAction::SignOut,
                    AuditOutcome::Success,
                    current.account_id,
                    client,
                )
                .details(serde_json::json!({ "other_sessions_ended": count })),
            )
            .await?;
        Ok(())
    }

    /// The second step passed with an authenticator app's code of time step `spent` (or a
    /// passkey whose counter moves): as [`Self::open_session`] for a full session, with the step
    /// spent (the counter moved) in the same transaction (OTP-6: recorded only if the session
    /// opens; one commit). `None`, with nothing written, when the step was spent already (a
    /// replay that raced this one and won) or the counter moved meanwhile.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_session_spending(
        &self,
        attempt: &SessionToken,
        key: &ThrottleKey,
        account: &Account,
        spent: crate::store::Spend,
        second_factor: crate::TokenId,
        audit: NewAuditEvent,
        client: &Client,
    ) -> Result<Option<SessionToken>, DomainError> {
        let new = new_session(account, SessionScope::Full, Some(second_factor), client);
        let session = self
            .store
            .open_signed_in_session_spending(attempt, key, new, spent, audit)
            .await?;
        if session.is_some() {
            count_success(key);
        }
        Ok(session)
    }

    /// The second step passed with the emergency code `code` (as read, live): as
    /// [`Self::open_session`] for a restricted session linked to the code, with the code's use
    /// counted in the same transaction (EC-4: counted only if the session opens; one commit).
    /// `None`, with nothing written, when the code's use count changed since it was read or the
    /// code is no longer live: the caller reads it again.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_emergency_code_session(
        &self,
        attempt: &SessionToken,
        key: &ThrottleKey,
        account: &Account,
        code: &crate::EmergencyCodeInfo,
        audit: NewAuditEvent,
        notices: &[crate::NewOutboxMessage],
        client: &Client,
    ) -> Result<Option<SessionToken>, DomainError> {
        let new = new_session(account, SessionScope::Emergency, None, client);
        let session = self
            .store
            .open_emergency_code_session(attempt, key, new, code, audit, notices)
            .await?;
        if session.is_some() {
            count_success(key);
        }
        Ok(session)
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
        second_factor: Option<crate::TokenId>,
        audit: NewAuditEvent,
        notices: &[crate::NewOutboxMessage],
        client: &Client,
    ) -> Result<SessionToken, DomainError> {
        let new = new_session(account, scope, second_factor, client);
        let session = self
            .store
            .open_signed_in_session(attempt, key, new, emergency_code, audit, notices)
            .await?;
        count_success(key);
        Ok(session)
    }
}

/// Counts a passed second step of `key`'s factor for the operators' metrics.
fn count_success(key: &ThrottleKey) {
    if let Some(factor) = key.factor() {
        crate::telemetry::sign_in_step(factor, "success");
    }
}

/// The session a passed second step opens for `account`, from `client`, with the token it
/// passed with (an ID token's `amr` names its kind).
fn new_session(
    account: &Account,
    scope: SessionScope,
    second_factor: Option<crate::TokenId>,
    client: &Client,
) -> NewSession {
    NewSession {
        account_id: account.id,
        scope,
        ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
        second_factor,
    }
}
