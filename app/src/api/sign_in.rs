//! Server functions of signing in: the password step, the second step, and a first token set
//! up during sign-in (pages `sign_in`, `verify`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::tokens::{enrolment_view, token_view};
use super::tokens::{EnrolmentView, TokenView};
use crate::AppError;
#[cfg(feature = "ssr")]
use mayi_types::TokenKind;

/// What the second-factor step shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondStep {
    pub display_name: String,
    /// The active tokens that can be used here.
    pub tokens: Vec<TokenView>,
    /// The SMS or email token whose code was sent and is still valid.
    pub code_sent_for: Option<i64>,
    /// The account never had a token: it sets up its first authenticator app here.
    pub first_token: bool,
    /// That set-up, once started.
    pub enrolment: Option<EnrolmentView>,
    /// Whether passkeys work on this server (the account's passkeys are among `tokens`).
    pub passkeys_available: bool,
}

/// Step 1 of signing in: checks the username and password and, when right, opens a short
/// sign-in attempt (a cookie) and sends the browser to the second-factor step.
///
/// Who may call it: anyone (it is the front door). Unknown users and wrong passwords get the
/// same answer, status and timing. No session is opened by a password alone.
#[server(prefix = "/api", endpoint = "sign_in")]
pub async fn sign_in(username: String, password: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    open_attempt(&state, &username, password, "/login/verify").await
}

/// What step 2 may offer: the pending attempt's account name, its active tokens, and the token
/// whose code was sent.
///
/// Who may call it: the holder of a pending sign-in attempt (cookie); anyone else gets
/// `SignInExpired`.
#[server(prefix = "/api", endpoint = "pending_sign_in")]
pub async fn pending_sign_in() -> Result<SecondStep, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    no_store();
    let pending = respond(state.auth.pending(&attempt).await)?;
    let passkeys_available = state.auth.passkeys_available();
    respond(second_step(pending, passkeys_available))
}

/// What step 2 shows for the `pending` attempt.
#[cfg(feature = "ssr")]
fn second_step(
    pending: identity::Pending,
    passkeys_available: bool,
) -> Result<SecondStep, AppError> {
    let enrolment = match &pending.enrolment {
        Some((token, secret)) => Some(enrolment_view(&pending.account.username, token, secret)?),
        None => None,
    };
    Ok(SecondStep {
        display_name: pending.account.display_name,
        tokens: pending.tokens.iter().map(token_view).collect(),
        code_sent_for: pending.code_sent_for.map(|id| id.0),
        first_token: pending.may_enrol_first,
        enrolment,
        passkeys_available,
    })
}

/// Starts setting up the first authenticator app of an account that never had a token.
///
/// Who may call it: the holder of a pending sign-in attempt whose account never had a token.
#[server(prefix = "/api", endpoint = "start_enrolment")]
pub async fn start_enrolment(label: String, device: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    respond(state.auth.start_first_totp(&attempt, &label, &device).await)?;
    Ok(())
}

/// Finishes the first set-up with the app's first code, and signs in.
///
/// Who may call it: the holder of a pending sign-in attempt; the token must be its pending one.
#[server(prefix = "/api", endpoint = "finish_enrolment")]
pub async fn finish_enrolment(token_id: i64, code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    super::typed_code(&code, identity::TYPED_CODE_MAX_BYTES)?;
    let result = state
        .auth
        .finish_first_totp(&attempt, identity::TokenId(token_id), &code, &client())
        .await;
    let (_, session) = respond(result)?;
    start_full_session(&state, &session).await;
    Ok(())
}

/// Sends a sign-in code to one of the attempt's SMS or email tokens (a resend replaces it).
///
/// Who may call it: the holder of a pending sign-in attempt; the token must be theirs.
#[server(prefix = "/api", endpoint = "send_code")]
pub async fn send_code(token_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    let sent = state
        .auth
        .send_code(&attempt, identity::TokenId(token_id), &client())
        .await;
    respond(sent).map(drop)
}

/// Step 2: the code from an authenticator app, or the code sent by SMS or email, for one of the
/// attempt's own tokens; or, typed in the same field instead of that code, an emergency access
/// code (recognised by its form). On success the attempt ends and a new session starts (a new
/// cookie): a full one goes to the account, a restricted emergency one to the token list.
///
/// Who may call it: the holder of a pending sign-in attempt; the token must be theirs.
#[server(prefix = "/api", endpoint = "verify_code")]
pub async fn verify_code(token_id: i64, kind: String, code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    // The field takes an emergency access code too, spaces and hyphens included.
    super::typed_code(&code, identity::TYPED_EMERGENCY_CODE_MAX_BYTES)?;
    // The kind only picks the check (anything but an app's is a sent code's); each check
    // refuses a token of another kind.
    let kind = TokenKind::parse(&kind).unwrap_or(TokenKind::Sms);
    let token = identity::TokenId(token_id);
    let result = state
        .emergency
        .second_step(&attempt, kind, token, &code, &client())
        .await;
    match respond(result)? {
        (_, session, identity::SessionScope::Emergency) => {
            start_session(&state, &session);
            redirect("/tokens");
        }
        (_, session, _) => start_full_session(&state, &session).await,
    }
    Ok(())
}
