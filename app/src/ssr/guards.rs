//! The guards every server function starts with: the capability the caller needs (see
//! `identity::SignedIn`), obtained from the request's cookie, with refusals audited by identity.

use super::*;

/// The password step (sign-in's, and "Block my lost phone now"'s): checks the username and
/// password with sign-in's limits and uniform answers and, when right, sets the short sign-in
/// attempt's cookie (it opens no session) and sends the browser to `next`.
pub async fn open_attempt(
    state: &AppState,
    username: &str,
    password: String,
    next: &str,
) -> Result<(), AppError> {
    let result = state
        .auth
        .check_password(username, password, &client())
        .await;
    let ok = respond(result)?;
    set_cookie(
        &state.settings,
        attempt_cookie(&state.settings),
        ok.attempt.as_str(),
        Some(identity::LOGIN_ATTEMPT_TTL.as_secs()),
    );
    redirect(next);
    Ok(())
}

/// The caller's live sign-in attempt (the [`identity::Attempt`] capability), or
/// `SignInExpired`.
pub async fn require_attempt(state: &AppState) -> Result<identity::Attempt, AppError> {
    let token = cookie_token(attempt_cookie(&state.settings)).ok_or(AppError::SignInExpired)?;
    Ok(state.auth.attempt(&token).await?)
}

/// The signed-in caller in any user session, the restricted emergency one included, or
/// `Unauthorized`. Only token, contact and recovery functions start with this (EC-11); every
/// other protected function starts with [`require_full_session`].
pub async fn require_session(state: &AppState) -> Result<SignedIn, AppError> {
    authorize_token(state, cookie_token(session_cookie(&state.settings))).await
}

/// The signed-in caller in a full session. A restricted (emergency) session is refused with
/// `Forbidden` (403) and an `access.denied` audit event (EC-11).
pub async fn require_full_session(state: &AppState) -> Result<FullSession, AppError> {
    let caller = require_session(state).await?;
    full_or_forbidden(state, caller, &request_path(), &client()).await
}

/// The signed-in caller in a restricted emergency session ("Finish recovery"); any other
/// session is `Forbidden`.
pub async fn require_emergency_session(state: &AppState) -> Result<EmergencySession, AppError> {
    let caller = require_session(state).await?;
    caller.emergency().map_err(|_| AppError::Forbidden)
}

/// The caller as one who may change the password and end the account's other sessions: a full
/// session, or a restricted one opened for a stolen phone (issue 14 item 3). Any other restricted
/// session is `Forbidden` (403) and audited as `access.denied`.
pub async fn require_security_session(state: &AppState) -> Result<SecuritySession, AppError> {
    let caller = require_session(state).await?;
    Ok(state
        .emergency
        .require_security(caller, &request_path(), &client())
        .await?)
}

// The guard chain, shared by the server functions (which read the cookie and the path from the
// request's context) and the plain routes such as the audit export (which pass them): session
// token -> `SignedIn` -> `FullSession` -> `Operator`. Each step is identity's; these only map
// its errors.

/// The caller behind a session `token` (`Unauthorized` without one or for an ended one).
pub async fn authorize_token(
    state: &AppState,
    token: Option<SessionToken>,
) -> Result<SignedIn, AppError> {
    let token = token.ok_or(AppError::Unauthorized)?;
    Ok(state.auth.authorize(&token).await?)
}

/// `caller` as a full session; a restricted one is `Forbidden` and audited naming `what`.
pub async fn full_or_forbidden(
    state: &AppState,
    caller: SignedIn,
    what: &str,
    client: &identity::Client,
) -> Result<FullSession, AppError> {
    Ok(state.auth.require_full(caller, what, client).await?)
}

/// Who may use a console function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsoleRole {
    /// An operator or an admin.
    Operator,
    /// An admin only.
    Admin,
}

/// The caller behind a session `token` as an operator (or admin): a full session of an active
/// account with that role, read for this request (AC-5). Refusals are audited naming `what`.
pub async fn authorize_operator(
    state: &AppState,
    token: Option<SessionToken>,
    role: ConsoleRole,
    what: &str,
    client: &identity::Client,
) -> Result<identity::Operator, AppError> {
    let caller =
        full_or_forbidden(state, authorize_token(state, token).await?, what, client).await?;
    let operator = match role {
        ConsoleRole::Operator => state.console.operator(&caller, what, client).await?,
        ConsoleRole::Admin => state.console.admin(&caller, what, client).await?,
    };
    Ok(operator)
}

/// The caller's open Emergency Access wizard (the [`identity::Wizard`] capability), or
/// `WizardExpired`.
pub async fn require_wizard(state: &AppState) -> Result<identity::Wizard, AppError> {
    let token = cookie_token(wizard_cookie(&state.settings)).ok_or(AppError::WizardExpired)?;
    Ok(state.emergency.open_wizard(&token).await?)
}

/// The caller as an operator (role operator or admin, read for this request: AC-5) in a full
/// session. A restricted emergency session or an ordinary user gets `Forbidden` (403) and an
/// `access.denied` audit event; no session is `Unauthorized`.
pub async fn require_operator(state: &AppState) -> Result<identity::Operator, AppError> {
    let token = cookie_token(session_cookie(&state.settings));
    authorize_operator(
        state,
        token,
        ConsoleRole::Operator,
        &request_path(),
        &client(),
    )
    .await
}

/// The caller as an administrator; otherwise as [`require_operator`].
pub async fn require_admin(state: &AppState) -> Result<identity::Operator, AppError> {
    let token = cookie_token(session_cookie(&state.settings));
    authorize_operator(state, token, ConsoleRole::Admin, &request_path(), &client()).await
}

/// The path of the request being handled (names the function in `access.denied` events).
fn request_path() -> String {
    request_parts()
        .map(|p| p.uri.path().to_string())
        .unwrap_or_default()
}
