//! Server-side glue for the server functions: the shared state and error mapping.

use std::sync::Arc;

use axum::{
    extract::FromRef,
    http::{header, request::Parts, HeaderValue},
};
use identity::{
    Account, AuthError, Authenticator, Clock, DomainError, EmergencyAccess, EmergencyError,
    EmergencyPolicy, EnrolError, Enrolment, PasswordHasher, SeedCipher, Session, SessionScope,
    SessionToken, Store, TokenError, TokenService,
};
use leptos::prelude::*;

use crate::AppError;

/// Everything a request handler needs, handed to server functions by `leptos_routes`.
#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    pub auth: Authenticator,
    pub tokens: TokenService,
    pub enrolment: Enrolment,
    pub emergency: EmergencyAccess,
    pub console: identity::Console,
    pub settings: Arc<Settings>,
}

impl AppState {
    /// Builds every service on one store, key and clock. Refuses an emergency `policy` outside
    /// its bounds (checked at start).
    pub fn build(
        leptos_options: LeptosOptions,
        store: Store,
        hasher: PasswordHasher,
        cipher: Arc<SeedCipher>,
        clock: Arc<dyn Clock>,
        settings: Settings,
        policy: EmergencyPolicy,
    ) -> Result<Self, DomainError> {
        let public_url = settings.public_url.clone();
        let auth = Authenticator::new(
            store.clone(),
            hasher.clone(),
            cipher.clone(),
            clock.clone(),
            &public_url,
        );
        let emergency = EmergencyAccess::new(auth.clone(), cipher.clone(), policy)?;
        Ok(Self {
            leptos_options,
            tokens: TokenService::new(store.clone(), &public_url),
            enrolment: Enrolment::new(store.clone(), hasher, cipher, clock, &public_url),
            console: identity::Console::new(store.clone(), emergency.clone(), &public_url),
            emergency,
            store,
            auth,
            settings: Arc::new(settings),
        })
    }
}

/// The parts of the configuration that pages and server functions need.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The public base URL (used in links sent by mail; never taken from the Host header).
    pub public_url: String,
    /// Development mode: plain-http cookies on localhost, undelivered messages in the log.
    pub dev: bool,
    /// The reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed
    /// (`MAYI_TRUSTED_PROXIES`); empty: the TCP peer is the client.
    pub trusted_proxies: Vec<TrustedProxy>,
}

/// The client's address of the request, worked out once per request by the server's middleware
/// from the socket peer and, behind a trusted proxy, its forwarding headers. Read by [`client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddress(pub std::net::IpAddr);

/// A trusted reverse proxy: one address (`10.0.0.7`, `::1`) or a network (`10.0.0.0/8`,
/// `2001:db8::/32`). An IPv4-mapped IPv6 address (`::ffff:10.0.0.7`) counts as its IPv4.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy {
    network: std::net::IpAddr,
    prefix: u8,
}

impl TrustedProxy {
    /// Parses `address` or `address/prefix-length`; the reason it is refused otherwise.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (text, None),
        };
        let network: std::net::IpAddr = address
            .parse()
            .map_err(|_| format!("{address:?} is not an IP address"))?;
        let bits = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => bits,
            Some(prefix) => match prefix.parse::<u8>() {
                Ok(prefix) if prefix <= bits => prefix,
                _ => {
                    return Err(format!(
                        "{prefix:?} is not a prefix length from 0 to {bits}"
                    ))
                }
            },
        };
        // `::ffff:a.b.c.d/n` (n >= 96) is the IPv4 network `a.b.c.d/(n - 96)`.
        let (network, prefix) = match network {
            std::net::IpAddr::V6(v6) if prefix >= 96 => match v6.to_ipv4_mapped() {
                Some(v4) => (std::net::IpAddr::V4(v4), prefix - 96),
                None => (network, prefix),
            },
            _ => (network, prefix),
        };
        Ok(Self { network, prefix })
    }

    /// Whether `address` is this proxy or in its network.
    pub fn contains(&self, address: std::net::IpAddr) -> bool {
        use std::net::IpAddr;
        match (self.network, address.to_canonical()) {
            (IpAddr::V4(network), IpAddr::V4(address)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(network) & mask == u32::from(address) & mask
            }
            (IpAddr::V6(network), IpAddr::V6(address)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(network) & mask == u128::from(address) & mask
            }
            _ => false,
        }
    }

    /// Whether any of `proxies` is `address` or holds it.
    pub fn any_contains(proxies: &[TrustedProxy], address: std::net::IpAddr) -> bool {
        proxies.iter().any(|proxy| proxy.contains(address))
    }
}

impl std::fmt::Display for TrustedProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The application state, provided as context by `leptos_routes`.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from the server function context");
        AppError::Internal
    })
}

/// Sets the HTTP status for an error result, so that scripts and tests see 4xx/5xx.
///
/// A plain HTML form post (no JavaScript) keeps the redirect back to its page that carries the
/// error, so its status is left alone.
pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
    let is_form_post = request_parts()
        .and_then(|parts| {
            parts
                .headers
                .get(axum::http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|accept| accept.contains("text/html"))
        })
        .unwrap_or(false);
    if is_form_post {
        return result;
    }
    if let Err(error) = &result {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            if let Ok(status) = axum::http::StatusCode::from_u16(error.status()) {
                response.set_status(status);
            }
            match error {
                AppError::Busy => {
                    response.insert_header(header::RETRY_AFTER, HeaderValue::from_static("2"));
                }
                AppError::RateLimited(seconds) => {
                    response.insert_header(header::RETRY_AFTER, HeaderValue::from(*seconds));
                }
                _ => {}
            }
        }
    }
    result
}

/// Maps a domain error to what the browser may see; internal detail goes to the log only.
pub fn map_domain(error: DomainError) -> AppError {
    match error {
        DomainError::InvalidInput { .. } => AppError::Invalid(error.to_string()),
        DomainError::Busy => AppError::Busy,
        other => {
            tracing::error!(error = %other.detail(), "request failed");
            AppError::Internal
        }
    }
}

/// Maps a sign-in error: each kind has one message, whatever the underlying reason.
pub fn map_auth(error: AuthError) -> AppError {
    match error {
        AuthError::InvalidCredentials => AppError::InvalidCredentials,
        AuthError::InvalidCode => AppError::InvalidCode,
        AuthError::UnusableToken => AppError::UnusableToken,
        AuthError::RateLimited { retry_after_secs } => AppError::RateLimited(retry_after_secs),
        AuthError::Blocked => AppError::Blocked,
        AuthError::AttemptExpired => AppError::SignInExpired,
        AuthError::NotRecent => AppError::NotRecent,
        AuthError::NotSignedIn => AppError::Unauthorized,
        AuthError::NotYetValid { valid_from } => {
            AppError::CodeNotYetValid(format_utc(valid_from.as_millis()))
        }
        AuthError::Domain(error) => map_domain(error),
    }
}

/// Maps a token self-service error.
pub fn map_tokens(error: TokenError) -> AppError {
    match error {
        TokenError::NotFound => AppError::NotFound,
        TokenError::LastToken => AppError::LastToken,
        TokenError::NotRecent => AppError::NotRecent,
        TokenError::Invalid(message) => AppError::Invalid(message),
        TokenError::Domain(error) => map_domain(error),
    }
}

/// Maps an enrolment error.
pub fn map_enrol(error: EnrolError) -> AppError {
    match error {
        EnrolError::NotRecent => AppError::NotRecent,
        EnrolError::NotFound => AppError::NotFound,
        EnrolError::InvalidCode => AppError::InvalidCode,
        EnrolError::Invalid(message) => AppError::Invalid(message),
        EnrolError::WrongPassword => AppError::WrongPassword,
        EnrolError::RateLimited { retry_after_secs } => AppError::RateLimited(retry_after_secs),
        EnrolError::UsedUp => AppError::CodeUsedUp,
        EnrolError::Domain(error) => map_domain(error),
    }
}

/// Maps an error of a contact operation: "not found" names a contact, not a token.
pub fn map_contact(error: EnrolError) -> AppError {
    match error {
        EnrolError::NotFound => AppError::ContactNotFound,
        other => map_enrol(other),
    }
}

/// The request being handled (present in server functions and during server rendering).
fn request_parts() -> Option<Parts> {
    use_context::<Parts>()
}

/// Reads a cookie of the current request.
pub fn cookie(name: &str) -> Option<String> {
    let parts = request_parts()?;
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_string())
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

/// The token in a cookie, if it has the shape of one.
pub fn cookie_token(name: &str) -> Option<SessionToken> {
    cookie(name).and_then(|value| SessionToken::parse(&value))
}

/// The Content-Security-Policy of a page (issue 8, CS rows): scripts only from this origin or
/// carrying this response's nonce (Leptos puts it on its hydration scripts), WebAssembly
/// compilation allowed for the front end, no plugins, no `<base>`, no framing, forms only to
/// this origin. Set by the shell on every page it renders, the error and 404 pages included.
pub fn page_csp() {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let script = match leptos::nonce::use_nonce() {
        Some(nonce) => format!("'self' 'nonce-{}' 'wasm-unsafe-eval'", nonce.as_inner()),
        None => "'self' 'wasm-unsafe-eval'".to_string(),
    };
    let policy = format!(
        "default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Marks the response as private: authenticated pages are never cached (SE-10).
pub fn no_store() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}

/// The client's address and browser, recorded with sessions and audit events and counted by
/// the rate limits, and the token of its "remembered browser" cookie if it sent one.
pub fn client() -> identity::Client {
    let mut client = match request_parts() {
        Some(parts) => client_of(&parts.extensions, &parts.headers),
        None => identity::Client::default(),
    };
    if let Some(state) = use_context::<AppState>() {
        client.browser = cookie_token(browser_cookie(&state.settings));
    }
    client
}

/// The client of a request from its extensions and headers: the address is the server
/// middleware's [`ClientAddress`] (the socket peer, or behind a trusted proxy the address it
/// forwarded), else the socket peer; forwarding headers are never read here.
pub fn client_of(
    extensions: &axum::http::Extensions,
    headers: &axum::http::HeaderMap,
) -> identity::Client {
    let ip = extensions
        .get::<ClientAddress>()
        .map(|address| address.0)
        .or_else(|| {
            extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|info| info.0.ip())
        })
        .map(|ip| ip.to_string());
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    identity::Client {
        ip,
        user_agent: agent,
        browser: None,
    }
}

/// After a complete sign-in: ends the attempt's cookie, sets the new session's, and goes to the
/// account page.
pub fn start_session(state: &AppState, session: &SessionToken) {
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
}

/// Deletes the "remembered browser" cookie (the account no longer remembers it).
pub fn clear_browser_cookie(state: &AppState) {
    set_cookie(
        &state.settings,
        browser_cookie(&state.settings),
        "",
        Some(0),
    );
}

/// The password step (sign-in's, and "Block my lost phone now"'s): checks the username and
/// password with sign-in's limits and uniform answers and, when right, sets the short sign-in
/// attempt's cookie (it opens no session) and sends the browser to `next`.
pub async fn open_attempt(
    state: &AppState,
    username: &str,
    password: String,
    next: &str,
) -> Result<(), AppError> {
    let result = state
        .auth
        .check_password(username, password, &client())
        .await
        .map_err(map_auth);
    let ok = respond(result)?;
    set_cookie(
        &state.settings,
        attempt_cookie(&state.settings),
        ok.attempt.as_str(),
        Some(identity::LOGIN_ATTEMPT_TTL.as_secs()),
    );
    redirect(next);
    Ok(())
}

/// The pending sign-in attempt of the caller, or `SignInExpired`.
pub fn require_attempt(state: &AppState) -> Result<SessionToken, AppError> {
    cookie_token(attempt_cookie(&state.settings)).ok_or(AppError::SignInExpired)
}

/// The signed-in caller in any user session, the restricted emergency one included, or
/// `Unauthorized`. Only token, contact and recovery functions start with this (EC-11); every
/// other protected function starts with [`require_full_session`].
pub async fn require_session(state: &AppState) -> Result<(Session, Account), AppError> {
    let token = cookie_token(session_cookie(&state.settings)).ok_or(AppError::Unauthorized)?;
    state.auth.session(&token).await.map_err(map_auth)
}

/// The signed-in caller in a full session. A restricted (emergency) session is refused with
/// `Forbidden` (403) and an `access.denied` audit event (EC-11).
pub async fn require_full_session(state: &AppState) -> Result<(Session, Account), AppError> {
    let (session, account) = require_session(state).await?;
    if session.scope == SessionScope::Emergency {
        let what = request_parts()
            .map(|p| p.uri.path().to_string())
            .unwrap_or_default();
        state
            .auth
            .audit_access_denied(&session, &what, &client())
            .await
            .map_err(map_auth)?;
        return Err(AppError::Forbidden);
    }
    Ok((session, account))
}

/// The Emergency Access wizard's cookie.
pub fn wizard_cookie(settings: &Settings) -> &'static str {
    if settings.dev {
        "mayi_emergency"
    } else {
        "__Host-mayi_emergency"
    }
}

/// The caller's Emergency Access wizard, or `WizardExpired`.
pub fn require_wizard(state: &AppState) -> Result<SessionToken, AppError> {
    cookie_token(wizard_cookie(&state.settings)).ok_or(AppError::WizardExpired)
}

/// Maps an Emergency Access error.
pub fn map_emergency(error: EmergencyError) -> AppError {
    match error {
        EmergencyError::InvalidCredentials => AppError::InvalidCredentials,
        EmergencyError::InvalidCode => AppError::InvalidCode,
        EmergencyError::RateLimited { retry_after_secs } => AppError::RateLimited(retry_after_secs),
        EmergencyError::Blocked => AppError::Blocked,
        EmergencyError::Expired => AppError::WizardExpired,
        EmergencyError::WrongStep(_) => AppError::WizardStep,
        EmergencyError::NoRecoveryAddress => AppError::NoRecoveryAddress,
        EmergencyError::Invalid(message) => AppError::Invalid(message),
        EmergencyError::NoNewToken => AppError::NoNewToken,
        EmergencyError::NotEmergency => AppError::Forbidden,
        EmergencyError::Domain(error) => map_domain(error),
    }
}

/// Sends the browser to `path`: a 302 for a plain form post or a server-rendered page, a
/// client-side navigation for a hydrated page.
pub fn redirect(path: &str) {
    leptos_axum::redirect(path);
}

/// Formats unix milliseconds as `YYYY-MM-DD HH:MM UTC` (proleptic Gregorian calendar).
pub fn format_utc(millis: i64) -> String {
    identity::format_utc(identity::Timestamp::from_millis(millis))
}

#[cfg(test)]
mod tests {
    use super::format_utc;

    #[test]
    fn formats_utc_dates() {
        assert_eq!(format_utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(format_utc(1_111_111_109_000), "2005-03-18 01:58 UTC");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(format_utc(20_000_000_000_000), "2603-10-11 11:33 UTC");
    }
}

/// A short name for a browser from its user agent: "Firefox on Android", "Safari on iPhone".
pub fn browser_name(user_agent: Option<&str>) -> String {
    let Some(ua) = user_agent else {
        return crate::text::UNKNOWN_BROWSER.to_string();
    };
    let browser = if ua.contains("Firefox/") {
        "Firefox"
    } else if ua.contains("Edg/") {
        "Edge"
    } else if ua.contains("Chrome/") || ua.contains("Chromium/") {
        "Chrome"
    } else if ua.contains("Safari/") {
        "Safari"
    } else {
        return crate::text::UNKNOWN_BROWSER.to_string();
    };
    let system = if ua.contains("Android") {
        "Android"
    } else if ua.contains("iPhone") || ua.contains("iPad") {
        "iPhone"
    } else if ua.contains("Windows") {
        "Windows"
    } else if ua.contains("Mac OS X") {
        "macOS"
    } else if ua.contains("Linux") {
        "Linux"
    } else {
        return browser.to_string();
    };
    format!("{browser} on {system}")
}

#[cfg(test)]
mod browser_tests {
    use super::browser_name;

    #[test]
    fn names_common_browsers() {
        assert_eq!(
            browser_name(Some("Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36")),
            "Chrome on Android"
        );
        assert_eq!(
            browser_name(Some(
                "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
            )),
            "Firefox on Linux"
        );
        assert_eq!(
            browser_name(Some("Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1")),
            "Safari on iPhone"
        );
        assert_eq!(browser_name(None), "Unknown browser");
        assert_eq!(browser_name(Some("curl/8.0")), "Unknown browser");
    }
}

// ---------------------------------------------------------------------------------------------
// The operational console (issue 6).
// ---------------------------------------------------------------------------------------------

/// The caller as an operator (role operator or admin, read for this request: AC-5) in a full
/// session. A restricted emergency session is refused by [`require_full_session`]; an ordinary
/// user gets `Forbidden` (403) and an `access.denied` audit event; no session is `Unauthorized`.
pub async fn require_operator(state: &AppState) -> Result<identity::Operator, AppError> {
    let (session, account) = require_full_session(state).await?;
    state
        .console
        .operator(&session, &account, &request_path(), &client())
        .await
        .map_err(map_console)
}

/// The caller as an administrator; otherwise as [`require_operator`].
pub async fn require_admin(state: &AppState) -> Result<identity::Operator, AppError> {
    let (session, account) = require_full_session(state).await?;
    state
        .console
        .admin(&session, &account, &request_path(), &client())
        .await
        .map_err(map_console)
}

/// The path of the request being handled (names the function in `access.denied` events).
fn request_path() -> String {
    request_parts()
        .map(|p| p.uri.path().to_string())
        .unwrap_or_default()
}

/// Maps a console error.
pub fn map_console(error: identity::ConsoleError) -> AppError {
    match error {
        identity::ConsoleError::Forbidden => AppError::Forbidden,
        identity::ConsoleError::NotFound => AppError::NotFound,
        identity::ConsoleError::Invalid(message) => AppError::Invalid(message),
        identity::ConsoleError::Domain(error) => map_domain(error),
    }
}
