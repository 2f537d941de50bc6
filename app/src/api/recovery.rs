//! Recovery codes (issue 14 item 4): where they stand, making a new set, and showing it once.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

/// The account page's recovery-code section (never the codes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCodesView {
    pub total: i64,
    pub left: i64,
    /// When the set was made, in UTC.
    pub made_utc: Option<String>,
    /// A set exists and few codes are left.
    pub low: bool,
    /// This session may make a new set now.
    pub may_create: bool,
    /// It must confirm its password first.
    pub needs_password: bool,
}

/// Readiness (issue 14 item 5): why the account is one lost phone away from needing the help
/// desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadinessView {
    pub one_device: bool,
    pub device: Option<String>,
    pub no_fallback: bool,
}

/// A new set, the one time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewRecoveryCodes {
    /// `ABCDE-FGHJK`, ten of them.
    pub codes: Vec<String>,
    /// The text file's content (the codes and how to use them).
    pub file: String,
}

/// Where the caller's recovery codes stand.
///
/// Who may call it: a signed-in user (any session).
#[server(prefix = "/api", endpoint = "recovery_codes")]
pub async fn recovery_codes() -> Result<RecoveryCodesView, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    no_store();
    let status = respond(state.emergency.recovery_codes(&caller).await)?;
    Ok(RecoveryCodesView {
        total: status.total,
        left: status.left,
        made_utc: status.created_at.map(|t| format_utc(t.as_millis())),
        low: status.low,
        may_create: status.may_create,
        needs_password: status.needs_password,
    })
}

/// Makes a new set of recovery codes (the old set stops working) and sends the browser to the
/// page that shows it once.
///
/// Who may call it: a signed-in user in a full session that signed in recently (a restricted
/// emergency session gets 403; an old sign-in must confirm its password first).
#[server(prefix = "/api", endpoint = "create_recovery_codes")]
pub async fn create_recovery_codes() -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    respond(
        state
            .emergency
            .create_recovery_codes(&caller, &client())
            .await,
    )?;
    redirect("/account/recovery-codes");
    Ok(())
}

/// The set this session just made, the first time it is asked for; `None` afterwards.
///
/// Who may call it: a signed-in user in a full session (the session that made the set).
#[server(prefix = "/api", endpoint = "take_recovery_codes")]
pub async fn take_recovery_codes() -> Result<Option<NewRecoveryCodes>, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_full_session(&state).await)?;
    no_store();
    let Some((codes, made)) = respond(state.emergency.take_new_recovery_codes(&caller).await)?
    else {
        return Ok(None);
    };
    let codes: Vec<String> = codes.iter().map(|c| c.grouped().to_string()).collect();
    let made = format_utc(made.as_millis());
    let file = crate::text::recovery_file(caller.account().username.as_str(), &made, &codes);
    Ok(Some(NewRecoveryCodes { codes, file }))
}

/// Whether the caller's account is one lost phone away from needing the help desk; `None` when
/// it is not, and in a restricted session (which is recovering already).
///
/// Who may call it: a signed-in user (any session).
#[server(prefix = "/api", endpoint = "readiness")]
pub async fn readiness() -> Result<Option<ReadinessView>, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    no_store();
    let readiness = respond(state.emergency.readiness(&caller).await)?;
    Ok(readiness.filter(|r| r.at_risk()).map(|r| ReadinessView {
        one_device: r.one_device,
        device: r.device,
        no_fallback: r.no_fallback,
    }))
}
