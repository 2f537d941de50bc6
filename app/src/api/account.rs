//! Server functions of the account page: the account, its sessions, signing out, and the
//! password change (page `account`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::tokens::token_view;
use super::tokens::TokenView;
use crate::AppError;

/// The signed-in account's own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub tokens: Vec<TokenView>,
    /// A restricted emergency session (EC-11): only tokens and contacts are open.
    pub restricted: bool,
}

/// The signed-in account: name and tokens (read-only here).
///
/// Who may call it: a signed-in user (any session scope); anyone else gets `Unauthorized`.
#[server(prefix = "/api", endpoint = "my_account")]
pub async fn my_account() -> Result<AccountView, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    no_store();
    let tokens = respond(state.tokens.list(&caller).await)?;
    Ok(AccountView {
        username: caller.account().username.to_string(),
        display_name: caller.account().display_name.clone(),
        tokens: tokens.iter().map(token_view).collect(),
        restricted: caller.is_restricted(),
    })
}

/// One place where the person is signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionView {
    pub id: i64,
    /// This very browser.
    pub current: bool,
    /// "Chrome on Android" and the like, from the browser's user agent at sign-in.
    pub browser: String,
    pub ip: Option<String>,
    pub signed_in: String,
    pub last_seen: String,
}

/// Where the caller is signed in, this browser first.
///
/// Who may call it: a signed-in user in a full session (a restricted emergency session gets 403);
/// only their own sessions are listed.
#[server(prefix = "/api", endpoint = "my_sessions")]
pub async fn my_sessions() -> Result<Vec<SessionView>, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    no_store();
    let sessions = respond(state.auth.sessions(&caller).await)?;
    let current = caller.session_id();
    Ok(sessions.iter().map(|s| session_view(s, current)).collect())
}

/// A session of the caller's as the account page shows it; `current` is the caller's own.
#[cfg(feature = "ssr")]
fn session_view(session: &identity::Session, current: identity::SessionId) -> SessionView {
    use crate::ssr::{browser_name, format_utc};
    SessionView {
        id: session.id.0,
        current: session.id == current,
        browser: browser_name(session.user_agent.as_deref()),
        ip: session.ip.clone(),
        signed_in: format_utc(session.created_at.as_millis()),
        last_seen: format_utc(session.last_seen_at.as_millis()),
    }
}

/// Signs out one of the caller's other sessions.
///
/// Who may call it: a signed-in user in a full session, for their own sessions only.
#[server(prefix = "/api", endpoint = "end_session")]
pub async fn end_session(session_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    let ended = state
        .auth
        .end_other_session(&caller, identity::SessionId(session_id), &client())
        .await;
    if !respond(ended)? {
        return respond(Err(AppError::NotFound));
    }
    Ok(())
}

/// Signs out every session of the caller but this one; returns how many.
///
/// Who may call it: a signed-in user in a full session, or in a restricted session opened for
/// a stolen phone (any other restricted session gets 403).
#[server(prefix = "/api", endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_security_session(&state).await)?;
    respond(state.auth.end_all_other_sessions(&caller, &client()).await)
}

/// Ends the caller's session on the server and clears the cookie.
///
/// Who may call it: anyone; without a session it only clears the cookie.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    if let Some(token) = cookie_token(session_cookie(&state.settings)) {
        respond(state.auth.sign_out(&token, &client()).await)?;
    }
    clear_cookie(&state.settings, session_cookie(&state.settings));
    redirect("/login");
    Ok(())
}

/// Changes the caller's password (PW-9): the current one first, the new one twice; optionally
/// signs out every other session. Returns how many sessions ended.
///
/// Who may call it: a signed-in user in a full session, or in a restricted session opened for
/// a stolen phone (any other restricted session gets 403).
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current: String,
    new: String,
    again: String,
    end_others: Option<String>,
) -> Result<u64, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_security_session(&state).await)?;
    if new != again {
        return respond(Err(AppError::Invalid(
            tr!(emergency.password_change_mismatch).into(),
        )));
    }
    let changed = state
        .auth
        .change_password(&caller, current, new, end_others.is_some(), &client())
        .await;
    let ended = respond(changed)?;
    // The account forgot every browser it remembered (this one too): its cookie goes.
    clear_browser_cookie(&state);
    // Without JavaScript the page reloads: the address says what happened. A stolen phone's
    // restricted session changed it from its checklist on the token list.
    redirect(if caller.is_restricted() {
        "/tokens?password_changed=1"
    } else {
        "/account?password_changed=1"
    });
    Ok(ended)
}
