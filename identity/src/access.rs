//! Capabilities: what a caller has proved in this request, as types.
//!
//! Every operation on an account takes the capability it needs instead of a session and an
//! account it would have to check itself:
//!
//! - [`SignedIn`]: a live session cookie of an active account, full or restricted (an emergency
//!   session opened by an emergency access code). Only [`Authenticator::authorize`] makes one,
//!   from the session token, on every request; token, contact and recovery operations take it.
//! - [`FullSession`]: a [`SignedIn`] whose session is a full one. Only [`SignedIn::full`] makes
//!   one (or [`Authenticator::require_full`], which also audits a refusal). Password change,
//!   the session list, remembered browsers and the console take it.
//! - [`EmergencySession`]: a [`SignedIn`] whose session is a restricted emergency one
//!   ([`SignedIn::emergency`]); "Finish recovery" takes it.
//! - [`SecuritySession`]: a caller who may change the password and end the account's other
//!   sessions: a [`FullSession`], or a restricted session opened for a stolen phone (issue 14
//!   item 3), made by [`crate::EmergencyAccess::require_security`].
//! - [`crate::Operator`]: a [`FullSession`] of an active operator or admin, made by
//!   [`crate::Console::operator`] / [`crate::Console::admin`].
//! - [`Attempt`]: a live sign-in attempt (the password step passed, the second not yet) of an
//!   active account, made by [`Authenticator::attempt`] from the attempt cookie. The second
//!   step, the first token's enrolment, the emergency and recovery codes and "block a device"
//!   take it; nothing else does, so an attempt never reaches a session's operations (and a
//!   session token is never taken for an attempt: the two are looked up in different tables).
//! - [`Wizard`]: an open Emergency Access wizard of an active account, made by
//!   [`crate::EmergencyAccess::open_wizard`] from the wizard cookie; its steps take it.
//!
//! A restricted session therefore cannot reach a full-session operation by construction: the
//! program would not compile. Both wrappers dereference to [`SignedIn`], so an operation open to
//! any session accepts them too.
//!
//! ```compile_fail
//! # async fn try_it(auth: &identity::Authenticator, caller: identity::SignedIn) {
//! // A restricted emergency session (or any caller not yet proved full) cannot list sessions:
//! let _ = auth.sessions(&caller).await;
//! # }
//! ```
//!
//! A sign-in attempt (the password alone) is no session: the token list is out of its reach.
//!
//! ```compile_fail
//! # async fn try_it(tokens: &identity::TokenService, attempt: identity::Attempt) {
//! let _ = tokens.list(&attempt).await;
//! # }
//! ```
//!
//! ```no_run
//! # async fn try_it(auth: &identity::Authenticator, caller: identity::SignedIn) {
//! // Once proved full, it can.
//! if let Ok(full) = caller.full() {
//!     let _ = auth.sessions(&full).await;
//! }
//! # }
//! ```

use std::ops::Deref;
use std::sync::Arc;

use crate::{
    Account, AccountId, EmergencyCodeId, LoginAttempt, Session, SessionId, SessionScope,
    SessionToken, WizardRow, WizardStep,
};

#[cfg(doc)]
use crate::Authenticator;

/// A signed-in caller: a live session of an active account, read for this request. Full or
/// restricted; see [`SignedIn::full`]. Not serialisable and not constructible outside identity.
#[derive(Debug, Clone)]
pub struct SignedIn(Arc<Caller>);

/// What a [`SignedIn`] holds (shared: a capability is cheap to clone and to pass on).
#[derive(Debug)]
struct Caller {
    session: Session,
    account: Account,
}

impl SignedIn {
    /// Only the authenticator (after checking the session token, the account's state and the
    /// restricted session's code) and this crate's tests make one.
    pub(crate) fn new(session: Session, account: Account) -> Self {
        debug_assert_eq!(session.account_id, account.id);
        Self(Arc::new(Caller { session, account }))
    }

    /// The caller's session.
    pub fn session(&self) -> &Session {
        &self.0.session
    }

    /// The caller's account, as read for this request.
    pub fn account(&self) -> &Account {
        &self.0.account
    }

    /// The caller's account id.
    pub fn account_id(&self) -> AccountId {
        self.0.account.id
    }

    /// The caller's session id.
    pub fn session_id(&self) -> SessionId {
        self.0.session.id
    }

    /// Whether this is a restricted emergency session (EC-11).
    pub fn is_restricted(&self) -> bool {
        self.0.session.scope == SessionScope::Emergency
    }

    /// This caller as a full session, or back unchanged when it is a restricted one.
    pub fn full(self) -> Result<FullSession, SignedIn> {
        match self.0.session.scope {
            SessionScope::Full => Ok(FullSession(self)),
            SessionScope::Emergency => Err(self),
        }
    }

    /// This caller as a restricted emergency session, or back unchanged when it is a full one.
    pub fn emergency(self) -> Result<EmergencySession, SignedIn> {
        match self.0.session.scope {
            SessionScope::Emergency => Ok(EmergencySession(self)),
            SessionScope::Full => Err(self),
        }
    }
}

/// A caller in a live sign-in attempt of an active account, read for this request (see the
/// module's list). Not serialisable, not constructible outside identity; its token is not
/// printable.
#[derive(Clone)]
pub struct Attempt(Arc<AttemptHeld>);

struct AttemptHeld {
    token: SessionToken,
    row: LoginAttempt,
    account: Account,
}

impl Attempt {
    /// Only [`Authenticator::attempt`] (after checking the attempt is live and its account
    /// active) and this crate's tests make one.
    pub(crate) fn new(token: SessionToken, row: LoginAttempt, account: Account) -> Self {
        debug_assert_eq!(row.account_id, account.id);
        Self(Arc::new(AttemptHeld {
            token,
            row,
            account,
        }))
    }

    /// The account whose password opened the attempt, as read for this request.
    pub fn account(&self) -> &Account {
        &self.0.account
    }

    /// The attempt's cookie token (the store's key for its codes and for ending it).
    pub(crate) fn token(&self) -> &SessionToken {
        &self.0.token
    }

    /// The attempt's row (its id binds a first enrolment).
    pub(crate) fn row(&self) -> &LoginAttempt {
        &self.0.row
    }
}

impl std::fmt::Debug for Attempt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Attempt")
            .field("id", &self.0.row.id)
            .field("account", &self.0.account.id)
            .finish_non_exhaustive()
    }
}

/// An open Emergency Access wizard of an active account, read for this request (see the
/// module's list). Not serialisable, not constructible outside identity; its token is not
/// printable.
#[derive(Clone)]
pub struct Wizard(Arc<WizardHeld>);

struct WizardHeld {
    token: SessionToken,
    row: WizardRow,
    account: Account,
}

impl Wizard {
    /// Only [`crate::EmergencyAccess::open_wizard`] (after checking the wizard is open and its
    /// account active) makes one.
    pub(crate) fn new(token: SessionToken, row: WizardRow, account: Account) -> Self {
        debug_assert_eq!(row.account_id, account.id);
        Self(Arc::new(WizardHeld {
            token,
            row,
            account,
        }))
    }

    /// The account whose password opened the wizard, as read for this request.
    pub fn account(&self) -> &Account {
        &self.0.account
    }

    /// The step the wizard was at when this request read it.
    pub fn step(&self) -> WizardStep {
        self.0.row.step
    }

    /// The wizard's cookie token (the store's key for its row; the key its code is sealed with).
    pub(crate) fn token(&self) -> &SessionToken {
        &self.0.token
    }

    /// The wizard as stored.
    pub(crate) fn row(&self) -> &WizardRow {
        &self.0.row
    }
}

impl std::fmt::Debug for Wizard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wizard")
            .field("id", &self.0.row.id)
            .field("step", &self.0.row.step)
            .field("account", &self.0.account.id)
            .finish_non_exhaustive()
    }
}

/// A signed-in caller in a full session (not a restricted emergency one).
#[derive(Debug, Clone)]
pub struct FullSession(SignedIn);

impl Deref for FullSession {
    type Target = SignedIn;

    fn deref(&self) -> &SignedIn {
        &self.0
    }
}

/// A signed-in caller in a restricted emergency session.
#[derive(Debug, Clone)]
pub struct EmergencySession(SignedIn);

impl Deref for EmergencySession {
    type Target = SignedIn;

    fn deref(&self) -> &SignedIn {
        &self.0
    }
}

/// A caller who may change the account's password and end its other sessions: a full session,
/// or a restricted emergency session whose code was asked for because the phone was stolen
/// (whoever holds the phone may know the password too; issue 14 item 3). Only
/// [`From<FullSession>`] and [`crate::EmergencyAccess::require_security`] make one.
#[derive(Debug, Clone)]
pub struct SecuritySession {
    caller: SignedIn,
    /// The stolen phone's emergency code, for a restricted session.
    recovery: Option<EmergencyCodeId>,
}

impl SecuritySession {
    /// A restricted session of a stolen phone's code (checked by the caller).
    pub(crate) fn stolen_phone(caller: EmergencySession, code: EmergencyCodeId) -> Self {
        Self {
            caller: caller.0,
            recovery: Some(code),
        }
    }

    /// The emergency code of a restricted session; `None` for a full session.
    pub(crate) fn recovery_code(&self) -> Option<EmergencyCodeId> {
        self.recovery
    }
}

impl From<FullSession> for SecuritySession {
    fn from(full: FullSession) -> Self {
        Self {
            caller: full.0,
            recovery: None,
        }
    }
}

impl Deref for SecuritySession {
    type Target = SignedIn;

    fn deref(&self) -> &SignedIn {
        &self.caller
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing;

    #[tokio::test]
    async fn a_full_session_is_full_and_not_emergency() {
        let (session, account) = testing::session_and_account(SessionScope::Full);
        let caller = SignedIn::new(session, account);
        assert!(!caller.is_restricted());
        let caller = caller
            .emergency()
            .expect_err("a full session is not an emergency one");
        let full = caller.full().expect("a full session is full");
        assert_eq!(full.session().scope, SessionScope::Full);
    }

    #[tokio::test]
    async fn a_restricted_session_is_never_full() {
        let (session, account) = testing::session_and_account(SessionScope::Emergency);
        let caller = SignedIn::new(session, account);
        assert!(caller.is_restricted());
        let caller = caller.full().expect_err("a restricted session is not full");
        let restricted = caller.emergency().expect("it is an emergency one");
        assert!(restricted.is_restricted());
        assert_eq!(restricted.account_id(), restricted.session().account_id);
    }
}
