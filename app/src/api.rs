//! Server functions: the only way the browser changes anything. Each one says who may call it,
//! authorises on its first line, validates, makes one call into `identity`, and maps errors.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

pub mod emergency;
// "Block my lost phone now" (issue 13).
pub mod freeze;
// The operational console (issue 6).
pub mod console;
// Waiting period by trust: remembered browsers (issue 13 item 5).
pub mod browsers;

/// A token as the owner sees it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: i64,
    /// "totp", "sms" or "email".
    pub kind: String,
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

/// The signed-in account's own page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub username: String,
    pub display_name: String,
    pub tokens: Vec<TokenView>,
    /// A restricted emergency session (EC-11): only tokens and contacts are open.
    pub restricted: bool,
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
    no_store();
    let attempt = respond(require_attempt(&state))?;
    let pending = respond(state.auth.pending(&attempt).await.map_err(map_auth))?;
    let enrolment = match &pending.enrolment {
        Some((token, secret)) => Some(respond(enrolment_view(
            &pending.account.username,
            token,
            secret,
        ))?),
        None => None,
    };
    Ok(SecondStep {
        display_name: pending.account.display_name,
        tokens: pending.tokens.iter().map(token_view).collect(),
        code_sent_for: pending.code_sent_for.map(|id| id.0),
        first_token: pending.may_enrol_first,
        enrolment,
    })
}

/// Starts setting up the first authenticator app of an account that never had a token.
///
/// Who may call it: the holder of a pending sign-in attempt whose account never had a token.
#[server(prefix = "/api", endpoint = "start_enrolment")]
pub async fn start_enrolment(label: String, device: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state))?;
    respond(
        state
            .auth
            .start_first_totp(&attempt, &label, &device)
            .await
            .map_err(map_auth),
    )?;
    Ok(())
}

/// Finishes the first set-up with the app's first code, and signs in.
///
/// Who may call it: the holder of a pending sign-in attempt; the token must be its pending one.
#[server(prefix = "/api", endpoint = "finish_enrolment")]
pub async fn finish_enrolment(token_id: i64, code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state))?;
    if code.len() > 32 {
        return respond(Err(AppError::InvalidCode));
    }
    let result = state
        .auth
        .finish_first_totp(&attempt, identity::TokenId(token_id), &code, &client())
        .await
        .map_err(map_auth);
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
    let attempt = respond(require_attempt(&state))?;
    respond(
        state
            .auth
            .send_code(&attempt, identity::TokenId(token_id), &client())
            .await
            .map_err(map_auth),
    )?;
    Ok(())
}

/// Step 2: the code from an authenticator app, or the code sent by SMS or email, for one of the
/// attempt's own tokens. On success the attempt ends, a new session starts (a new cookie) and
/// the browser goes to the account.
///
/// Who may call it: the holder of a pending sign-in attempt; the token must be theirs.
#[server(prefix = "/api", endpoint = "verify_code")]
pub async fn verify_code(token_id: i64, kind: String, code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let attempt = respond(require_attempt(&state))?;
    if code.len() > 32 {
        return respond(Err(AppError::InvalidCode));
    }
    let token = identity::TokenId(token_id);
    let client = client();
    // The kind only picks the check; each check refuses a token of another kind.
    let result = match kind.as_str() {
        "totp" => {
            state
                .auth
                .verify_totp(&attempt, token, &code, &client)
                .await
        }
        _ => {
            state
                .auth
                .verify_code(&attempt, token, &code, &client)
                .await
        }
    };
    let (_, session) = respond(result.map_err(map_auth))?;
    start_full_session(&state, &session).await;
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
    let (session, account) = respond(require_session(&state).await)?;
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
        restricted: session.scope == identity::SessionScope::Emergency,
    })
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
}

/// The tokens on one device (or on none: SMS and email tokens may have no device).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceGroup {
    pub device: Option<String>,
    pub tokens: Vec<TokenView>,
}

/// What "I lost this device" did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LostDeviceDone {
    pub device: String,
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
    no_store();
    let (session, account) = respond(require_session(&state).await)?;
    let page = respond(
        state
            .enrolment
            .token_page(&session, &account)
            .await
            .map_err(map_enrol),
    )?;
    let blocked = respond(state.tokens.blocked(&account).await.map_err(map_domain))?;
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
        Some((token, secret)) => Some(respond(enrolment_view(&account.username, token, secret))?),
        None => None,
    };
    let oob_enrolment = page.pending_oob.as_ref().map(oob_enrolment_view);
    Ok(TokensView {
        groups,
        may_add: state.enrolment.is_recent(&session),
        enrolment,
        enrolment_elsewhere: page.pending_totp_elsewhere,
        oob_enrolment,
        suggested_device: browser_name(client().user_agent.as_deref()),
        blocked: blocked.iter().map(token_view).collect(),
    })
}

/// Starts setting up another authenticator app (on the phone the person holds now).
///
/// Who may call it: a signed-in user whose sign-in is less than 10 minutes old.
#[server(prefix = "/api", endpoint = "add_totp_start")]
pub async fn add_totp_start(label: String, device: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let started = state
        .enrolment
        .start_totp(&session, &account, &label, &device)
        .await
        .map_err(map_enrol);
    respond(started)?;
    Ok(())
}

/// Finishes setting up the authenticator app with its first code; returns its label.
///
/// Who may call it: a signed-in user whose sign-in is less than 10 minutes old, for their own
/// pending token.
#[server(prefix = "/api", endpoint = "add_totp_finish")]
pub async fn add_totp_finish(token_id: i64, code: String) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    if code.len() > 32 {
        return respond(Err(AppError::InvalidCode));
    }
    let finished = state
        .enrolment
        .finish_totp(
            &session,
            &account,
            identity::TokenId(token_id),
            &code,
            &client(),
        )
        .await
        .map_err(map_enrol);
    Ok(respond(finished)?.label)
}

/// Removes one of the caller's tokens; returns its label. It stops working at once.
///
/// Who may call it: a signed-in user, for their own tokens only; the last active token of a
/// full session cannot be removed.
#[server(prefix = "/api", endpoint = "remove_token")]
pub async fn remove_token(token_id: i64) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let removed = state
        .tokens
        .remove(&session, &account, identity::TokenId(token_id), &client())
        .await
        .map_err(map_tokens);
    Ok(respond(removed)?.label)
}

/// Unblocks one of the caller's blocked tokens; returns its label. It works again at once.
///
/// Who may call it: a signed-in user whose sign-in is recent, or a restricted emergency
/// session (undoing a block needs a recovery), for their own blocked tokens only.
#[server(prefix = "/api", endpoint = "unblock_token")]
pub async fn unblock_token(token_id: i64) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let unblocked = state
        .tokens
        .unblock(&session, &account, identity::TokenId(token_id), &client())
        .await
        .map_err(map_tokens);
    Ok(respond(unblocked)?.label)
}

/// Renames one of the caller's tokens (its label and the device it is on).
///
/// Who may call it: a signed-in user, for their own tokens only.
#[server(prefix = "/api", endpoint = "rename_token")]
pub async fn rename_token(token_id: i64, label: String, device: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (_, account) = respond(require_session(&state).await)?;
    let renamed = state
        .tokens
        .rename(&account, identity::TokenId(token_id), &label, &device)
        .await
        .map_err(map_tokens);
    respond(renamed)?;
    Ok(())
}

/// "I lost this device": removes every token on it, ends the caller's other sessions, and
/// tells the caller's contacts.
///
/// Who may call it: a signed-in user, for their own devices only.
#[server(prefix = "/api", endpoint = "lost_device")]
pub async fn lost_device(device: String) -> Result<LostDeviceDone, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    if device.len() > 256 {
        return respond(Err(AppError::NotFound));
    }
    let done = state
        .tokens
        .lost_device(&session, &account, &device, &client())
        .await
        .map_err(map_tokens);
    let done = respond(done)?;
    Ok(LostDeviceDone {
        device,
        removed: done.removed.len() as u32,
        sessions_ended: done.sessions_ended,
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
    no_store();
    let (session, _) = respond(require_full_session(&state).await)?;
    let sessions = respond(state.auth.sessions(&session).await.map_err(map_auth))?;
    Ok(sessions
        .iter()
        .map(|s| SessionView {
            id: s.id.0,
            current: s.id == session.id,
            browser: browser_name(s.user_agent.as_deref()),
            ip: s.ip.clone(),
            signed_in: format_utc(s.created_at.as_millis()),
            last_seen: format_utc(s.last_seen_at.as_millis()),
        })
        .collect())
}

/// Signs out one of the caller's other sessions.
///
/// Who may call it: a signed-in user in a full session, for their own sessions only.
#[server(prefix = "/api", endpoint = "end_session")]
pub async fn end_session(session_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, _) = respond(require_full_session(&state).await)?;
    let ended = state
        .auth
        .end_other_session(&session, identity::SessionId(session_id), &client())
        .await
        .map_err(map_auth);
    if !respond(ended)? {
        return respond(Err(AppError::NotFound));
    }
    Ok(())
}

/// Signs out every session of the caller but this one; returns how many.
///
/// Who may call it: a signed-in user in a full session.
#[server(prefix = "/api", endpoint = "end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, _) = respond(require_full_session(&state).await)?;
    respond(
        state
            .auth
            .end_all_other_sessions(&session, &client())
            .await
            .map_err(map_auth),
    )
}

/// Ends the caller's session on the server and clears the cookie.
///
/// Who may call it: anyone; without a session it only clears the cookie.
#[server(prefix = "/api", endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    if let Some(token) = cookie_token(session_cookie(&state.settings)) {
        respond(
            state
                .auth
                .sign_out(&token, &client())
                .await
                .map_err(map_auth),
        )?;
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
fn enrolment_view(
    username: &identity::Username,
    token: &identity::Token,
    secret: &identity::TotpSecret,
) -> Result<EnrolmentView, AppError> {
    let uri = secret.otpauth_uri(crate::text::PRODUCT, username.as_str());
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
fn token_view(token: &identity::Token) -> TokenView {
    TokenView {
        id: token.id.0,
        kind: token.kind.as_str().to_string(),
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

// ---------------------------------------------------------------------------------------------
// SMS and email tokens, contacts and password re-entry (issue 4).
// ---------------------------------------------------------------------------------------------

/// An SMS or email token waiting for the code sent to its number or address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OobEnrolmentView {
    pub token_id: i64,
    /// "sms" or "email".
    pub kind: String,
    pub label: String,
    /// Where the code went, as typed back to its owner (`+420 601 123 456`).
    pub target: String,
}

/// One email address or phone number of the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactView {
    pub id: i64,
    /// "email" or "phone".
    pub kind: String,
    /// The address, or the number grouped for reading.
    pub value: String,
    pub confirmed: bool,
    pub is_recovery: bool,
}

/// The caller's contacts, and whether the session may change them now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactsView {
    pub contacts: Vec<ContactView>,
    /// The session's sign-in or password re-entry is recent enough (RB-1).
    pub may_change: bool,
}

/// "Confirm your password to continue": makes the caller's session recent again, so that it
/// may add tokens and change contacts for the next 10 minutes, and gives it a new session id
/// (a new cookie; the old one stops working at once).
///
/// Who may call it: a signed-in user, for their own session; throttled like sign-in.
#[server(prefix = "/api", endpoint = "reauthenticate")]
pub async fn reauthenticate(password: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let done = state
        .enrolment
        .reauthenticate(&session, &account, password, &client())
        .await
        .map_err(map_enrol);
    let token = respond(done)?;
    set_cookie(
        &state.settings,
        session_cookie(&state.settings),
        token.as_str(),
        None,
    );
    Ok(())
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
    let (session, account) = respond(require_session(&state).await)?;
    let kind = match kind.as_str() {
        "sms" => identity::TokenKind::Sms,
        "email" => identity::TokenKind::Email,
        _ => return respond(Err(AppError::BadRequest)),
    };
    let started = state
        .enrolment
        .start_oob(
            &session,
            &account,
            identity::NewOobToken {
                kind,
                target: &target,
                label: &label,
                device: &device,
            },
            &client(),
        )
        .await
        .map_err(map_enrol);
    respond(started)?;
    Ok(())
}

/// Sends a new code for the caller's SMS or email token being added.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own pending token.
#[server(prefix = "/api", endpoint = "add_oob_resend")]
pub async fn add_oob_resend(token_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let sent = state
        .enrolment
        .resend_oob(&session, &account, identity::TokenId(token_id), &client())
        .await
        .map_err(map_enrol);
    respond(sent)?;
    Ok(())
}

/// Finishes adding an SMS or email token with the code sent to it; returns its label.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own pending token.
#[server(prefix = "/api", endpoint = "add_oob_finish")]
pub async fn add_oob_finish(token_id: i64, code: String) -> Result<String, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    if code.len() > 32 {
        return respond(Err(AppError::InvalidCode));
    }
    let finished = state
        .enrolment
        .finish_oob(
            &session,
            &account,
            identity::TokenId(token_id),
            &code,
            &client(),
        )
        .await
        .map_err(map_enrol);
    Ok(respond(finished)?.label)
}

/// The caller's email addresses and phone numbers.
///
/// Who may call it: a signed-in user; only their own contacts are listed.
#[server(prefix = "/api", endpoint = "my_contacts")]
pub async fn my_contacts() -> Result<ContactsView, AppError> {
    use crate::ssr::*;
    let state = state()?;
    no_store();
    let (session, account) = respond(require_session(&state).await)?;
    let contacts = respond(state.enrolment.contacts(&account).await.map_err(map_enrol))?;
    Ok(ContactsView {
        contacts: contacts
            .iter()
            .map(|c| ContactView {
                id: c.id.0,
                kind: c.kind.as_str().to_string(),
                value: identity::shown_stored_contact(c.kind, &c.value),
                confirmed: c.confirmed,
                is_recovery: c.is_recovery,
            })
            .collect(),
        may_change: state.enrolment.is_recent(&session),
    })
}

/// Adds an email address (`kind` "email") or phone number (`kind` "phone") and sends a code
/// to it; it is used once confirmed.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent.
#[server(prefix = "/api", endpoint = "add_contact")]
pub async fn add_contact(kind: String, value: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let kind = match identity::ContactKind::parse(&kind) {
        Ok(kind) => kind,
        Err(_) => return respond(Err(AppError::BadRequest)),
    };
    let added = state
        .enrolment
        .add_contact(&session, &account, kind, &value, &client())
        .await
        .map_err(map_contact);
    respond(added)?;
    Ok(())
}

/// Confirms one of the caller's contacts with the code sent to it.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own contacts only.
#[server(prefix = "/api", endpoint = "confirm_contact")]
pub async fn confirm_contact(contact_id: i64, code: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    if code.len() > 32 {
        return respond(Err(AppError::InvalidCode));
    }
    let confirmed = state
        .enrolment
        .confirm_contact(
            &session,
            &account,
            identity::ContactId(contact_id),
            &code,
            &client(),
        )
        .await
        .map_err(map_contact);
    respond(confirmed)?;
    Ok(())
}

/// Sends a new code to one of the caller's unconfirmed contacts.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own contacts only.
#[server(prefix = "/api", endpoint = "resend_contact_code")]
pub async fn resend_contact_code(contact_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let sent = state
        .enrolment
        .resend_contact_code(
            &session,
            &account,
            identity::ContactId(contact_id),
            &client(),
        )
        .await
        .map_err(map_contact);
    respond(sent)?;
    Ok(())
}

/// Removes one of the caller's contacts.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own contacts only.
#[server(prefix = "/api", endpoint = "remove_contact")]
pub async fn remove_contact(contact_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let removed = state
        .enrolment
        .remove_contact(
            &session,
            &account,
            identity::ContactId(contact_id),
            &client(),
        )
        .await
        .map_err(map_contact);
    respond(removed)?;
    Ok(())
}

/// Makes one of the caller's confirmed email addresses their recovery address.
///
/// Who may call it: a signed-in user whose sign-in or password re-entry is recent, for their
/// own contacts only.
#[server(prefix = "/api", endpoint = "set_recovery_address")]
pub async fn set_recovery_address(contact_id: i64) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_session(&state).await)?;
    let set = state
        .enrolment
        .set_recovery_address(
            &session,
            &account,
            identity::ContactId(contact_id),
            &client(),
        )
        .await
        .map_err(map_contact);
    respond(set)?;
    Ok(())
}

#[cfg(feature = "ssr")]
fn oob_enrolment_view(token: &identity::Token) -> OobEnrolmentView {
    let kind = match token.kind {
        identity::TokenKind::Sms => identity::ContactKind::Phone,
        _ => identity::ContactKind::Email,
    };
    OobEnrolmentView {
        token_id: token.id.0,
        kind: token.kind.as_str().to_string(),
        label: token.label.clone(),
        target: identity::shown_stored_contact(kind, token.target.as_deref().unwrap_or_default()),
    }
}

/// Changes the caller's password (PW-9): the current one first, the new one twice; optionally
/// signs out every other session. Returns how many sessions ended.
///
/// Who may call it: a signed-in user in a full session (a restricted emergency session gets 403).
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(
    current: String,
    new: String,
    again: String,
    end_others: Option<String>,
) -> Result<u64, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let (session, account) = respond(require_full_session(&state).await)?;
    if new != again {
        return respond(Err(AppError::Invalid(
            crate::text::PASSWORD_CHANGE_MISMATCH.into(),
        )));
    }
    let changed = state
        .auth
        .change_password(
            &session,
            &account,
            current,
            new,
            end_others.is_some(),
            &client(),
        )
        .await
        .map_err(map_auth);
    let ended = respond(changed)?;
    // The account forgot every browser it remembered (this one too): its cookie goes.
    clear_browser_cookie(&state);
    // Without JavaScript the page reloads: the address says what happened.
    redirect("/account?password_changed=1");
    Ok(ended)
}
