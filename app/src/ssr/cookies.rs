//! The cookies: sign-in attempt, session, wizard and remembered browser.

use super::*;

/// Reads a cookie of the current request.
pub fn cookie(name: &str) -> Option<String> {
    cookie_in(&request_parts()?.headers, name).map(str::to_string)
}

/// The value of the cookie `name` in these request headers (the first one, if sent twice).
pub fn cookie_in<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
}

/// Adds a Set-Cookie header: HttpOnly, SameSite=Lax, Path=/, and Secure except in development
/// mode (plain http on localhost). `max_age` of 0 deletes the cookie.
pub fn set_cookie(settings: &Settings, name: &str, value: &str, max_age: Option<u64>) {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if !settings.dev {
        cookie.push_str("; Secure");
    }
    if let Some(age) = max_age {
        cookie.push_str(&format!("; Max-Age={age}"));
    }
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.append_header(header::SET_COOKIE, value);
    }
}

/// The session cookie's name: `__Host-` bound to this origin over https; plain in development.
pub fn session_cookie(settings: &Settings) -> &'static str {
    if settings.dev {
        "mayi_session"
    } else {
        "__Host-mayi_session"
    }
}

/// The pending sign-in attempt's cookie (password right, second factor still to come).
pub fn attempt_cookie(settings: &Settings) -> &'static str {
    if settings.dev {
        "mayi_signin"
    } else {
        "__Host-mayi_signin"
    }
}

/// Deletes the cookie `name`.
pub fn clear_cookie(settings: &Settings, name: &str) {
    set_cookie(settings, name, "", Some(0));
}

/// The token in a cookie, if it has the shape of one.
pub fn cookie_token(name: &str) -> Option<SessionToken> {
    cookie(name).and_then(|value| SessionToken::parse(&value))
}

/// After a complete sign-in: ends the attempt's cookie, sets the new session's, and goes to the
/// account page.
pub fn start_session(state: &AppState, session: &SessionToken) {
    clear_cookie(&state.settings, attempt_cookie(&state.settings));
    set_cookie(
        &state.settings,
        session_cookie(&state.settings),
        session.as_str(),
        None,
    );
    redirect("/account");
}

/// The cookie that brings a person back to an application's authorization request after
/// signing in (issue 18; set by the provider's `/oauth2/authorize`): the request's path and
/// query, URL-encoded.
pub const OIDC_RETURN_COOKIE: &str = "mayi_oidc_return";

/// Where a full sign-in goes back to: the authorization request in the return cookie, if it is
/// this site's `/authorize?…` page (never another site, never another path). That page, not the
/// provider's endpoint, because a form's redirects must stay on this site (`form-action`) and
/// the router's must stay on its pages.
fn oidc_return() -> Option<String> {
    let value = cookie(OIDC_RETURN_COOKIE)?;
    let back: String = url::form_urlencoded::parse(format!("x={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    let safe =
        back.starts_with("/authorize?") && !back.contains(['\\', '\r', '\n']) && back.len() <= 4096;
    safe.then_some(back)
}

/// The "remembered browser" cookie (issue 13 item 5): set after a full sign-in, for
/// [`identity::REMEMBERED_BROWSER_TTL`]; `__Host-` bound to this origin over https.
pub fn browser_cookie(settings: &Settings) -> &'static str {
    if settings.dev {
        "mayi_browser"
    } else {
        "__Host-mayi_browser"
    }
}

/// After a complete sign-in with the password and a second factor (a full session, never a
/// restricted emergency one): remembers this browser for the account (a long-lived cookie,
/// renewed at each full sign-in), then as [`start_session`]. A failure to remember is logged
/// and does not undo the sign-in (the browser then simply stays unknown).
pub async fn start_full_session(state: &AppState, session: &SessionToken) {
    match state.auth.remember_browser(session, &client()).await {
        Ok(token) => set_cookie(
            &state.settings,
            browser_cookie(&state.settings),
            token.as_str(),
            Some(identity::REMEMBERED_BROWSER_TTL.as_secs()),
        ),
        Err(error) => tracing::warn!(error = %error, "could not remember the browser"),
    }
    start_session(state, session);
    // Signing in for an application: back to its authorization request.
    if let Some(back) = oidc_return() {
        clear_cookie(&state.settings, OIDC_RETURN_COOKIE);
        redirect(&back);
    }
}

/// Deletes the "remembered browser" cookie (the account no longer remembers it).
pub fn clear_browser_cookie(state: &AppState) {
    clear_cookie(&state.settings, browser_cookie(&state.settings));
}

/// The Emergency Access wizard's cookie.
pub fn wizard_cookie(settings: &Settings) -> &'static str {
    if settings.dev {
        "mayi_emergency"
    } else {
        "__Host-mayi_emergency"
    }
}
