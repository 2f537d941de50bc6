//! Emergency Access's server functions: the wizard (public, its state on the server behind a
//! cookie), signing in with a code (needs the password step first), the "this was not me" link,
//! and the restricted session's banner and "Finish recovery".

use leptos::prelude::*;
use mayi_types::{RecoveryStep, WizardStep};
use serde::{Deserialize, Serialize};

use crate::AppError;

/// What the wizard's pages show. The code itself is never here (see [`emergency_take_code`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WizardInfo {
    pub step: WizardStep,
    pub display_name: String,
    /// Where step 2's code goes, masked.
    pub channels: Vec<String>,
    pub proof_sent: bool,
    pub code: Option<CodeMeta>,
}

/// An issued code's metadata (EC-8: never the code).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeMeta {
    pub uses_left: u32,
    pub max_uses: u32,
    /// Unix milliseconds, for the browser's local time.
    pub expires_ms: i64,
    /// The same in UTC, for the page without JavaScript.
    pub expires_utc: String,
    /// When a waiting period applies: when it becomes usable.
    pub valid_from_utc: Option<String>,
    /// The same in Unix milliseconds, for the browser's local time.
    pub valid_from_ms: i64,
    /// Still waiting because it was asked for from a browser that never signed in to the
    /// account (issue 13 item 5): how long that waiting period is ("24 hours").
    pub unknown_browser_wait: Option<String>,
}

/// The code, the one time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownCode {
    /// `ABCD-EFGH-JKMN-PQRS`.
    pub grouped: String,
}

/// The restricted session's banner and checklist, which follows the reason (issue 14 item 3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryView {
    pub code: CodeMeta,
    pub reason: mayi_types::EmergencyReason,
    pub steps: Vec<CheckStep>,
    pub may_finish: bool,
    /// This session may change the password and sign out everywhere (a stolen phone).
    pub may_secure_account: bool,
    /// The account's other live sessions.
    pub other_sessions: usize,
    /// A recovery code opened this session (not an emergency access code).
    pub by_recovery_code: bool,
}

/// One line of the checklist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckStep {
    pub step: RecoveryStep,
    pub done: bool,
    /// "Finish recovery" waits for it.
    pub required: bool,
}

#[cfg(feature = "ssr")]
fn code_meta(info: &identity::EmergencyCodeInfo) -> CodeMeta {
    use crate::ssr::format_utc;
    CodeMeta {
        uses_left: info.uses_left(),
        max_uses: info.max_uses,
        expires_ms: info.expires_at.as_millis(),
        expires_utc: format_utc(info.expires_at.as_millis()),
        valid_from_utc: (info.valid_from > info.created_at)
            .then(|| format_utc(info.valid_from.as_millis())),
        valid_from_ms: info.valid_from.as_millis(),
        unknown_browser_wait: None,
    }
}

/// [`code_meta`], saying why it still waits at `now` when it was asked for from an unknown
/// browser.
#[cfg(feature = "ssr")]
fn waiting_code_meta(info: &identity::EmergencyCodeInfo, now: identity::Timestamp) -> CodeMeta {
    // To the nearest minute: the row's creation time is stamped a moment after the wait began.
    let minutes = (info.valid_from.as_millis() - info.created_at.as_millis() + 30_000) / 60_000;
    CodeMeta {
        unknown_browser_wait: (info.unknown_browser && info.is_waiting(now))
            .then(|| crate::text::waiting_period(minutes)),
        ..code_meta(info)
    }
}

/// Step 1: username and password. On success opens the wizard (a cookie), sends step 2's code
/// to the recovery address, and goes to step 2.
///
/// Who may call it: anyone (it is public, like sign-in); wrong usernames and passwords get one
/// answer, and starts are limited per address and per account.
#[server(prefix = "/api", endpoint = "emergency_start")]
pub async fn emergency_start(username: String, password: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let started = state.emergency.start(&username, password, &client()).await;
    let token = respond(started)?;
    set_cookie(
        &state.settings,
        wizard_cookie(&state.settings),
        token.as_str(),
        Some(identity::WIZARD_TTL.as_secs()),
    );
    redirect("/emergency/prove");
    Ok(())
}

/// Where the caller's wizard stands.
///
/// Who may call it: the holder of a live wizard cookie; anyone else gets `WizardExpired`.
#[server(prefix = "/api", endpoint = "emergency_wizard")]
pub async fn emergency_wizard() -> Result<WizardInfo, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let wizard = respond(require_wizard(&state).await)?;
    no_store();
    let view = respond(state.emergency.wizard(&wizard).await)?;
    Ok(WizardInfo {
        step: view.step,
        display_name: view.display_name,
        channels: view.proof_channels,
        proof_sent: view.proof_sent,
        code: view.code.as_ref().map(|c| waiting_code_meta(c, view.now)),
    })
}

/// Step 2: sends a new confirmation code to the recovery address (replacing the last one).
///
/// Who may call it: the holder of a live wizard at step 2; limited per account and address.
#[server(prefix = "/api", endpoint = "emergency_send_proof")]
pub async fn emergency_send_proof() -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let wizard = respond(require_wizard(&state).await)?;
    respond(state.emergency.send_proof(&wizard, &client()).await)
}

/// Step 2: the confirmation code from the email; on success goes to step 3.
///
/// Who may call it: the holder of a live wizard at step 2; guesses are limited per account.
#[server(prefix = "/api", endpoint = "emergency_prove")]
pub async fn emergency_prove(code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let wizard = respond(require_wizard(&state).await)?;
    super::typed_code(&code, identity::TYPED_CODE_MAX_BYTES)?;
    respond(state.emergency.prove(&wizard, &code, &client()).await)?;
    redirect("/emergency/reason");
    Ok(())
}

/// Step 3: the reason; issues the code (revoking any earlier one), tells the contacts, and goes
/// to step 4, which shows it once.
///
/// Who may call it: the holder of a live wizard at step 3.
#[server(prefix = "/api", endpoint = "emergency_reason")]
pub async fn emergency_reason(reason: String, details: Option<String>) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let wizard = respond(require_wizard(&state).await)?;
    let details = details.unwrap_or_default();
    let chosen = state
        .emergency
        .choose_reason(&wizard, &reason, &details, &client())
        .await;
    respond(chosen)?;
    redirect("/emergency/code");
    Ok(())
}

/// Step 4: the issued code, the first time it is asked for; `None` afterwards (EC-7).
///
/// Who may call it: the holder of the finished wizard.
#[server(prefix = "/api", endpoint = "emergency_take_code")]
pub async fn emergency_take_code() -> Result<Option<ShownCode>, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let wizard = respond(require_wizard(&state).await)?;
    no_store();
    let code = respond(state.emergency.take_code(&wizard).await)?;
    Ok(code.map(|code| ShownCode {
        grouped: code.grouped().to_string(),
    }))
}

/// What a "this was not me" link did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CancelResult {
    /// Emergency access was undone and the account locked for help-desk review.
    Undone,
    /// The link was used before (the account was locked then).
    AlreadyUsed,
    /// No such link, or it is older than a week.
    Unknown,
}

impl CancelResult {
    /// The word for it in the page's address (`/emergency/cancel?done=undone`).
    pub fn as_str(self) -> &'static str {
        match self {
            CancelResult::Undone => "undone",
            CancelResult::AlreadyUsed => "already",
            CancelResult::Unknown => "unknown",
        }
    }

    /// The result named by `done` in the page's address, if any.
    pub fn parse(done: &str) -> Option<Self> {
        [Self::Undone, Self::AlreadyUsed, Self::Unknown]
            .into_iter()
            .find(|r| r.as_str() == done)
    }
}

#[cfg(feature = "ssr")]
impl From<identity::CancelOutcome> for CancelResult {
    fn from(outcome: identity::CancelOutcome) -> Self {
        match outcome {
            identity::CancelOutcome::Undone(_) => CancelResult::Undone,
            identity::CancelOutcome::AlreadyUsed => CancelResult::AlreadyUsed,
            identity::CancelOutcome::Unknown => CancelResult::Unknown,
        }
    }
}

/// "This was not me": undoes what emergency access made possible since the link's code was
/// issued (codes revoked, tokens and contacts added since then removed, the recovery address
/// restored, everyone signed out) and locks the account for help-desk review.
///
/// Who may call it: anyone holding the link (its token is the authority; it can only take
/// access away, never give it).
#[server(prefix = "/api", endpoint = "emergency_cancel")]
pub async fn emergency_cancel(t: String) -> Result<CancelResult, AppError> {
    use crate::ssr::*;
    let state = state()?;
    if !identity::within(&t, identity::CANCEL_LINK_TOKEN_MAX_BYTES) {
        return Ok(CancelResult::Unknown);
    }
    let outcome = respond(state.emergency.cancel(&t, &client()).await)?;
    let result = CancelResult::from(outcome);
    // The page says what happened from its address (a plain form post without JavaScript is
    // sent back to a page, not given this answer); the link's token leaves the address bar.
    redirect(&format!("/emergency/cancel?done={}", result.as_str()));
    Ok(result)
}

/// Sign-in step 2 with an emergency access code instead of the OTP: opens a restricted session
/// and goes to the token list.
///
/// Who may call it: the holder of a pending sign-in attempt (the password was right); the code
/// is checked for that account only.
#[server(prefix = "/api", endpoint = "verify_emergency")]
pub async fn verify_emergency(code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state).await)?;
    super::typed_code(&code, identity::TYPED_EMERGENCY_CODE_MAX_BYTES)?;
    let result = state.emergency.sign_in(&attempt, &code, &client()).await;
    let (_, session) = respond(result)?;
    start_session(&state, &session);
    redirect("/tokens");
    Ok(())
}

/// The restricted session's banner and checklist; `None` in a full session.
///
/// Who may call it: a signed-in user (any session).
#[server(prefix = "/api", endpoint = "recovery_status")]
pub async fn recovery_status() -> Result<Option<RecoveryView>, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    no_store();
    let status = respond(state.emergency.status(&caller).await)?;
    Ok(status.map(|s| RecoveryView {
        code: code_meta(&s.code),
        reason: s.reason(),
        steps: s
            .checklist()
            .into_iter()
            .map(|i| CheckStep {
                step: i.step,
                done: i.done,
                required: i.required,
            })
            .collect(),
        may_finish: s.may_finish(),
        may_secure_account: s.may_secure_account(),
        other_sessions: s.other_sessions,
        by_recovery_code: s.by_recovery_code(),
    }))
}

/// "Finish recovery": once a new token is active, cancels the code, ends the restricted session
/// (and, when asked, every other session), and asks the user to sign in with the new token.
///
/// Who may call it: a signed-in user in a restricted (emergency) session.
#[server(prefix = "/api", endpoint = "finish_recovery")]
pub async fn finish_recovery(end_others: Option<String>) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_emergency_session(&state).await)?;
    let finished = state
        .emergency
        .finish(&caller, end_others.is_some(), &client())
        .await;
    respond(finished)?;
    clear_cookie(&state.settings, session_cookie(&state.settings));
    redirect("/login?recovered=1");
    Ok(())
}
