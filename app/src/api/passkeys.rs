//! Server functions of passkeys and security keys (issue 17): adding one from the token page
//! (a recent full session or the restricted emergency session), and signing in with one at the
//! second step. Each ceremony is two calls: `…_start` returns the options for the browser's
//! WebAuthn prompt (JSON for `PublicKeyCredential.parse…OptionsFromJSON`), `…_finish` takes the
//! browser's answer (the credential's JSON). The challenge stays on the server, bound to the
//! session or sign-in attempt, and is taken once.

use leptos::prelude::*;

use crate::AppError;

/// The longest answer read: larger ones are refused unread.
#[cfg(feature = "ssr")]
fn typed_answer(response: &str) -> Result<(), AppError> {
    if response.len() <= identity::PASSKEY_MAX_RESPONSE_BYTES {
        Ok(())
    } else {
        crate::ssr::respond(Err(AppError::PasskeyRefused))
    }
}

/// Begins adding a passkey or security key named `label` (on `device`); returns the options for
/// the browser's prompt.
///
/// Who may call it: a signed-in user whose sign-in is less than 10 minutes old, or in a
/// restricted emergency session.
#[server(prefix = "/api", endpoint = "add_passkey_start")]
pub async fn add_passkey_start(label: String, device: String) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    no_store();
    respond(
        state
            .enrolment
            .start_passkey(&caller, &label, &device)
            .await,
    )
}

/// Finishes adding the passkey with the browser's answer; returns its name.
///
/// Who may call it: the session that began it (recent sign-in, or restricted emergency).
#[server(prefix = "/api", endpoint = "add_passkey_finish")]
pub async fn add_passkey_finish(response: String) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    typed_answer(&response)?;
    let added = state
        .enrolment
        .finish_passkey(&caller, &response, &client())
        .await;
    respond(added).map(|token| token.label)
}

/// Begins step 2 with a passkey; returns the options for the browser's prompt.
///
/// Who may call it: the holder of a pending sign-in attempt whose account has a passkey.
#[server(prefix = "/api", endpoint = "passkey_sign_in_start")]
pub async fn passkey_sign_in_start() -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    no_store();
    respond(state.auth.start_passkey(&attempt).await)
}

/// Step 2 with the browser's answer to the passkey prompt: on success the attempt ends and a
/// full session starts (a new cookie).
///
/// Who may call it: the holder of the pending sign-in attempt that began the prompt.
#[server(prefix = "/api", endpoint = "passkey_sign_in_finish")]
pub async fn passkey_sign_in_finish(response: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    typed_answer(&response)?;
    let result = state
        .auth
        .verify_passkey(&attempt, &response, &client())
        .await;
    let (_, session) = respond(result)?;
    start_full_session(&state, &session).await;
    Ok(())
}
