//! Server functions of the token page: the list, adding apps, SMS and e-mail tokens, removing,
//! blocking and unblocking, renaming, "I lost this device" (page `tokens`).

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
use mayi_types::TokenKind;

/// A token as the owner sees it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    pub kind: TokenKind,
    pub label: String,
    pub device: Option<String>,
    /// Where an SMS or email token's codes go, masked (`+420 ••• ••• 456`).
    pub target_hint: Option<String>,
    /// When it was added, in UTC (YYYY-MM-DD HH:MM).
    pub created: String,
    pub last_used: Option<String>,
    /// When it was blocked ("Block my lost phone now"), in UTC, while it is.
    pub blocked: Option<String>,
}

/// An authenticator app being set up: what the person needs to add it to their app. Shown only
/// until its first code is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolmentView {
    pub token_id: i64,
    pub label: String,
    /// The secret in groups of four, for typing by hand.
    pub secret_groups: String,
    /// `otpauth://totp/…`, for the "open in authenticator app" link on a phone.
    pub otpauth_uri: String,
    /// The same URI as a QR code (SVG markup made on the server).
    pub qr_svg: String,
}

/// The token list, grouped by device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokensView {
    pub groups: Vec<DeviceGroup>,
    /// Whether the session's sign-in is recent enough to add a token.
    pub may_add: bool,
    /// An authenticator app being set up in this session, if one was started here (shown only
    /// while `may_add`).
    pub enrolment: Option<EnrolmentView>,
    /// Another session of the account is setting up an authenticator app (its secret is shown
    /// only there).
    pub enrolment_elsewhere: bool,
    /// An SMS or email token waiting for the code sent to it, if one was started.
    pub oob_enrolment: Option<OobEnrolmentView>,
    /// The device name the add forms suggest: this browser ("Chrome on Android").
    pub suggested_device: String,
    /// Blocked tokens ("Block my lost phone now"): they cannot sign in until unblocked.
    pub blocked: Vec<TokenView>,
    /// Whether passkeys and security keys can be added on this server.
    pub passkeys_available: bool,
}

/// The tokens on one device (or on none: SMS and email tokens may have no device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceGroup {
    pub device: Option<String>,
    pub tokens: Vec<TokenView>,
}

/// What "I lost this device" (removed) or "Block this device" (blocked) did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostDeviceDone {
    pub device: String,
    /// How many tokens were removed, or blocked.
    pub removed: u32,
    pub sessions_ended: u64,
}

/// The caller's active tokens, grouped by device (in the order the devices were first used).
///
/// Who may call it: a signed-in user (full or emergency session).
#[server(prefix = "/api", endpoint = "my_tokens")]
pub async fn my_tokens() -> Result<TokensView, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    no_store();
    let page = respond(state.enrolment.token_page(&caller).await)?;
    let blocked = respond(state.tokens.blocked(&caller).await)?;
    let may_add = state.enrolment.is_recent(caller.session());
    let mut view = respond(tokens_view(&caller, &page, &blocked, may_add))?;
    view.passkeys_available = state.enrolment.passkeys_available();
    Ok(view)
}

/// Starts setting up another authenticator app (on the phone the person holds now).
///
/// Who may call it: a signed-in user whose sign-in is less than 10 minutes old.
#[server(prefix = "/api", endpoint = "add_totp_start")]
pub async fn add_totp_start(label: String, device: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let started = state.enrolment.start_totp(&caller, &label, &device).await;
    respond(started).map(drop)
}

/// Finishes setting up the authenticator app with its first code; returns its label.
///
/// Who may call it: a signed-in user whose sign-in is less than 10 minutes old, for their own
/// pending token.
#[server(prefix = "/api", endpoint = "add_totp_finish")]
pub async fn add_totp_finish(token_id: i64, code: String) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    super::typed_code(&code, identity::TYPED_CODE_MAX_BYTES)?;
    let (enrolment, token) = (&state.enrolment, identity::TokenId(token_id));
    let finished = enrolment
        .finish_totp(&caller, token, &code, &client())
        .await;
    label(finished)
}

/// Removes one of the caller's tokens; returns its label. It stops working at once.
///
/// Who may call it: a signed-in user, for their own tokens only; the last active token of a
/// full session cannot be removed.
#[server(prefix = "/api", endpoint = "remove_token")]
pub async fn remove_token(token_id: i64) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let token = identity::TokenId(token_id);
    label(state.tokens.remove(&caller, token, &client()).await)
}

/// Unblocks one of the caller's blocked tokens; returns its label. It works again at once.
///
/// Who may call it: a signed-in user whose sign-in is recent, or a restricted emergency
/// session (undoing a block needs a recovery), for their own blocked tokens only.
#[server(prefix = "/api", endpoint = "unblock_token")]
pub async fn unblock_token(token_id: i64) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let token = identity::TokenId(token_id);
    label(state.tokens.unblock(&caller, token, &client()).await)
}

/// Blocks one of the caller's tokens; returns its label. It stops working at once and can be
/// unblocked or removed later.
///
/// Who may call it: a signed-in user whose sign-in is recent, for their own tokens only; the
/// last active token of a full session cannot be blocked.
#[server(prefix = "/api", endpoint = "block_token")]
pub async fn block_token(token_id: i64) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let token = identity::TokenId(token_id);
    label(state.tokens.block(&caller, token, &client()).await)
}

/// "Block this device": blocks every token on it, ends the caller's other sessions, and tells
/// the caller's contacts.
///
/// Who may call it: a signed-in user whose sign-in is recent, for their own devices only.
#[server(prefix = "/api", endpoint = "block_device")]
pub async fn block_device(device: String) -> Result<LostDeviceDone, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    super::typed_device(&device)?;
    let done = respond(state.tokens.block_device(&caller, &device, &client()).await)?;
    Ok(LostDeviceDone {
        device,
        removed: done.blocked.len() as u32,
        sessions_ended: done.sessions_ended,
    })
}

/// Renames one of the caller's tokens (its label and the device it is on).
///
/// Who may call it: a signed-in user, for their own tokens only.
#[server(prefix = "/api", endpoint = "rename_token")]
pub async fn rename_token(token_id: i64, label: String, device: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let token = identity::TokenId(token_id);
    let renamed = state.tokens.rename(&caller, token, &label, &device).await;
    respond(renamed).map(drop)
}

/// "I lost this device": removes every token on it, ends the caller's other sessions, and
/// tells the caller's contacts.
///
/// Who may call it: a signed-in user, for their own devices only.
#[server(prefix = "/api", endpoint = "lost_device")]
pub async fn lost_device(device: String) -> Result<LostDeviceDone, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    super::typed_device(&device)?;
    let done = state.tokens.lost_device(&caller, &device, &client()).await;
    let done = respond(done)?;
    Ok(LostDeviceDone {
        device,
        removed: done.removed.len() as u32,
        sessions_ended: done.sessions_ended,
    })
}

/// The token page of `caller`: its active tokens grouped by device (in the order the devices
/// were first used), the enrolments under way and the blocked tokens.
#[cfg(feature = "ssr")]
fn tokens_view(
    caller: &identity::SignedIn,
    page: &identity::TokenPage,
    blocked: &[identity::Token],
    may_add: bool,
) -> Result<TokensView, AppError> {
    let mut groups: Vec<DeviceGroup> = Vec::new();
    for token in &page.active {
        let view = token_view(token);
        match groups.iter_mut().find(|g| g.device == token.device) {
            Some(group) => group.tokens.push(view),
            None => groups.push(DeviceGroup {
                device: token.device.clone(),
                tokens: vec![view],
            }),
        }
    }
    let enrolment = match &page.pending_totp {
        Some((token, secret)) => Some(enrolment_view(&caller.account().username, token, secret)?),
        None => None,
    };
    Ok(TokensView {
        groups,
        may_add,
        enrolment,
        enrolment_elsewhere: page.pending_totp_elsewhere,
        oob_enrolment: page.pending_oob.as_ref().map(oob_enrolment_view),
        suggested_device: crate::ssr::browser_name(crate::ssr::client().user_agent.as_deref()),
        blocked: blocked.iter().map(token_view).collect(),
        passkeys_available: false,
    })
}

/// The label of the token an operation on it returned; its error as the answer otherwise.
#[cfg(feature = "ssr")]
fn label<E: Into<AppError>>(result: Result<identity::Token, E>) -> Result<String, AppError> {
    Ok(crate::ssr::respond(result)?.label)
}

#[cfg(feature = "ssr")]
pub(super) fn enrolment_view(
    username: &identity::Username,
    token: &identity::Token,
    secret: &identity::TotpSecret,
) -> Result<EnrolmentView, AppError> {
    let uri = secret.otpauth_uri(tr!(common.product), username.as_str());
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map_err(|_| AppError::Internal)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    let secret_groups = secret
        .to_base32()
        .trim_end_matches('=')
        .as_bytes()
        .chunks(4)
        .map(|chunk| String::from_utf8_lossy(chunk).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(EnrolmentView {
        token_id: token.id.0,
        label: token.label.clone(),
        secret_groups,
        otpauth_uri: uri.to_string(),
        qr_svg,
    })
}

#[cfg(feature = "ssr")]
pub(super) fn token_view(token: &identity::Token) -> TokenView {
    TokenView {
        id: token.id.0,
        kind: token.kind,
        label: token.label.clone(),
        device: token.device.clone(),
        target_hint: identity::masked_target(token),
        created: crate::ssr::format_utc(token.created_at.as_millis()),
        last_used: token
            .last_used_at
            .map(|t| crate::ssr::format_utc(t.as_millis())),
        blocked: token
            .blocked_at
            .map(|t| crate::ssr::format_utc(t.as_millis())),
    }
}

/// An SMS or email token waiting for the code sent to its number or address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OobEnrolmentView {
    pub token_id: i64,
    /// SMS or email.
    pub kind: TokenKind,
    pub label: String,
    /// Where the code went, as typed back to its owner (`+420 601 123 456`).
    pub target: String,
}

/// Starts adding an SMS (`kind` "sms", `target` a phone number) or email (`kind` "email",
/// `target` an address) token: a code goes to it, and the token is active once it comes back.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent.
#[server(prefix = "/api", endpoint = "add_oob_start")]
pub async fn add_oob_start(
    kind: String,
    target: String,
    label: String,
    device: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let kind = match TokenKind::parse(&kind) {
        Ok(kind @ (TokenKind::Sms | TokenKind::Email)) => kind,
        _ => return respond(Err(AppError::BadRequest)),
    };
    let (target, label, device) = (&target, &label, &device);
    let token = identity::NewOobToken {
        kind,
        target,
        label,
        device,
    };
    let started = state.enrolment.start_oob(&caller, token, &client()).await;
    respond(started).map(drop)
}

/// Sends a new code for the caller's SMS or email token being added.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own pending token.
#[server(prefix = "/api", endpoint = "add_oob_resend")]
pub async fn add_oob_resend(token_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    let token = identity::TokenId(token_id);
    let sent = state.enrolment.resend_oob(&caller, token, &client()).await;
    respond(sent).map(drop)
}

/// Finishes adding an SMS or email token with the code sent to it; returns its label.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own pending token.
#[server(prefix = "/api", endpoint = "add_oob_finish")]
pub async fn add_oob_finish(token_id: i64, code: String) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let caller = respond(require_session(&state).await)?;
    super::typed_code(&code, identity::TYPED_CODE_MAX_BYTES)?;
    let (enrolment, token) = (&state.enrolment, identity::TokenId(token_id));
    let finished = enrolment.finish_oob(&caller, token, &code, &client()).await;
    label(finished)
}

#[cfg(feature = "ssr")]
pub(super) fn oob_enrolment_view(token: &identity::Token) -> OobEnrolmentView {
    let kind = match token.kind {
        identity::TokenKind::Sms => identity::ContactKind::Phone,
        _ => identity::ContactKind::Email,
    };
    OobEnrolmentView {
        token_id: token.id.0,
        kind: token.kind,
        label: token.label.clone(),
        target: identity::shown_stored_contact(kind, token.target.as_deref().unwrap_or_default()),
    }
}
