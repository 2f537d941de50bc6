//! "Confirm your password to continue" (page `reauth`).

use leptos::prelude::*;

use crate::AppError;

/// "Confirm your password to continue": makes the caller's session recent again, so that it
/// may add tokens and change contacts for the next 10 minutes, and gives it a new session id
/// (a new cookie; the old one stops working at once).
///
/// Who may call it: a signed-in user, for their own session; throttled like sign-in.
#[server(prefix = "/api", endpoint = "reauthenticate")]
pub async fn reauthenticate(password: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let done = state
        .enrolment
        .reauthenticate(&caller, password, &client())
        .await;
    let token = respond(done)?;
    set_cookie(
        &state.settings,
        session_cookie(&state.settings),
        token.as_str(),
        None,
    );
    Ok(())
}
