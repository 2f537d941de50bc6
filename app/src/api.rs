//! Server functions: the only way the browser changes anything. Each one says who may call it,
//! authorises on its first line, validates, makes one call into `identity`, and maps errors.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// A token as the owner sees it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    /// "totp", "sms" or "email".
    pub kind: String,
    pub label: String,
    pub device: Option<String>,
    /// When it was added, in UTC (YYYY-MM-DD HH:MM).
    pub created: String,
    pub last_used: Option<String>,
}

/// What the second-factor step shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecondStep {
    pub display_name: String,
    /// The tokens that can be used here (authenticator apps, for now).
    pub tokens: Vec<TokenView>,
}

/// The signed-in account's own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub tokens: Vec<TokenView>,
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
    let result = state
        .auth
        .check_password(&username, password)
        .await
        .map_err(map_auth);
    let ok = respond(result)?;
    set_cookie(
        &state.settings,
        attempt_cookie(&state.settings),
        ok.attempt.as_str(),
        Some(identity::LOGIN_ATTEMPT_TTL.as_secs()),
    );
    redirect("/login/verify");
    Ok(())
}

/// What step 2 may offer: the pending attempt's account name and its authenticator apps.
///
/// Who may call it: the holder of a pending sign-in attempt (cookie); anyone else gets
/// `SignInExpired`.
#[server(prefix = "/api", endpoint = "pending_sign_in")]
pub async fn pending_sign_in() -> Result<SecondStep, AppError> {
    use crate::ssr::*;
    let state = state()?;
    no_store();
    let attempt = cookie_token(attempt_cookie(&state.settings)).ok_or(AppError::SignInExpired);
    let attempt = respond(attempt)?;
    let (account, tokens) = respond(state.auth.pending(&attempt).await.map_err(map_auth))?;
    Ok(SecondStep {
        display_name: account.display_name,
        tokens: tokens
            .iter()
            .filter(|t| t.kind == identity::TokenKind::Totp)
            .map(token_view)
            .collect(),
    })
}

/// Step 2 with an authenticator app: the code for one of the attempt's own tokens. On success
/// the attempt ends, a new session starts (a new cookie) and the browser goes to the account.
///
/// Who may call it: the holder of a pending sign-in attempt; the token must be theirs.
#[server(prefix = "/api", endpoint = "verify_totp")]
pub async fn verify_totp(token_id: i64, code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt =
        respond(cookie_token(attempt_cookie(&state.settings)).ok_or(AppError::SignInExpired))?;
    if code.len() > 32 {
        return respond(Err(AppError::InvalidCode));
    }
    let (ip, user_agent) = client_info();
    let result = state
        .auth
        .verify_totp(&attempt, identity::TokenId(token_id), &code, ip, user_agent)
        .await
        .map_err(map_auth);
    let (_, session) = respond(result)?;
    set_cookie(
        &state.settings,
        attempt_cookie(&state.settings),
        "",
        Some(0),
    );
    set_cookie(
        &state.settings,
        session_cookie(&state.settings),
        session.as_str(),
        None,
    );
    redirect("/account");
    Ok(())
}

/// The signed-in account: name and tokens (read-only here).
///
/// Who may call it: a signed-in user (any session scope); anyone else gets `Unauthorized`.
#[server(prefix = "/api", endpoint = "my_account")]
pub async fn my_account() -> Result<AccountView, AppError> {
    use crate::ssr::*;
    let state = state()?;
    no_store();
    let (_, account) = respond(require_session(&state).await)?;
    let tokens = respond(
        state
            .store
            .active_tokens(account.id)
            .await
            .map_err(map_domain),
    )?;
    Ok(AccountView {
        username: account.username.to_string(),
        display_name: account.display_name,
        tokens: tokens.iter().map(token_view).collect(),
    })
}

/// Ends the caller's session on the server and clears the cookie.
///
/// Who may call it: anyone; without a session it only clears the cookie.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    if let Some(token) = cookie_token(session_cookie(&state.settings)) {
        respond(state.auth.sign_out(&token).await.map_err(map_auth))?;
    }
    set_cookie(
        &state.settings,
        session_cookie(&state.settings),
        "",
        Some(0),
    );
    redirect("/login");
    Ok(())
}

#[cfg(feature = "ssr")]
fn token_view(token: &identity::Token) -> TokenView {
    TokenView {
        id: token.id.0,
        kind: token.kind.as_str().to_string(),
        label: token.label.clone(),
        device: token.device.clone(),
        created: crate::ssr::format_utc(token.created_at.as_millis()),
        last_used: token
            .last_used_at
            .map(|t| crate::ssr::format_utc(t.as_millis())),
    }
}
