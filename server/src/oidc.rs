//! The OpenID Connect provider's HTTP endpoints (issue 18): discovery, JWKS, authorize, token
//! and userinfo. Plain axum routes (OAuth fixes their formats), thin over
//! `identity::oidc::OidcProvider`, each authorising its caller itself: the authorize endpoint by
//! the session cookie (a full session only), the token endpoint by the client's credentials,
//! userinfo by the access token. They are outside the cross-site POST guard: none of them acts
//! on a cookie when posted to (the token endpoint is called by applications' servers).

use std::collections::HashMap;

use app::ssr::{cookie_in, session_cookie, AppState};
use axum::{
    extract::State,
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect, Response},
    routing::get,
    Form, Json, Router,
};
use identity::oidc::{AuthorizationRequest, AuthorizeRefusal, TokenRefusal};
use identity::SessionToken;
use serde_json::json;

use app::ssr::OIDC_RETURN_COOKIE as RETURN_COOKIE;

/// The provider's routes, to merge into the site's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery))
        .route("/oauth2/jwks", get(jwks))
        .route("/oauth2/authorize", get(authorize))
        .route("/oauth2/token", axum::routing::post(token))
        .route("/oauth2/userinfo", get(userinfo).post(userinfo))
}

fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// OpenID Connect Discovery 1.0 §3.
async fn discovery(State(state): State<AppState>) -> Response {
    let issuer = state.oidc.issuer();
    Json(json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/oauth2/authorize"),
        "token_endpoint": format!("{issuer}/oauth2/token"),
        "userinfo_endpoint": format!("{issuer}/oauth2/userinfo"),
        "jwks_uri": format!("{issuer}/oauth2/jwks"),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": [identity::oidc::ID_TOKEN_ALG],
        "scopes_supported": identity::oidc::SCOPES,
        "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "amr",
            "acr", "name", "preferred_username", "email", "email_verified"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": [identity::oidc::ACR_MFA],
        "authorization_response_iss_parameter_supported": true,
    }))
    .into_response()
}

async fn jwks(State(state): State<AppState>) -> Response {
    match state.oidc.jwks_with_current().await {
        Ok(set) => Json(set).into_response(),
        Err(error) => {
            tracing::error!(error = %error.detail(), "the JWKS could not be read");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// `GET /oauth2/authorize` (RFC 6749 §4.1.1, OIDC Core §3.1.2). The request is checked first;
/// then the person: not signed in, to the sign-in page and back to `/authorize` afterwards
/// (`prompt=none`: `login_required`); a restricted emergency session, or an application not
/// run by the organisation that the person has not allowed yet, to the `/authorize` page
/// (`prompt=none`: `interaction_required`, `consent_required`); otherwise approved: back to the
/// application with a code.
///
/// A request refused for its client or redirect URI goes to the `/authorize` page too, which
/// says why, and never to the address it named.
async fn authorize(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let query = uri.query().unwrap_or("");
    // The page between sign-in and the application, for this very request.
    let page = format!("/authorize?{query}");
    let to_page = || no_store(Redirect::to(&page).into_response());
    if query.len() > app::api::oidc::AUTHORIZATION_REQUEST_MAX_BYTES {
        return no_store((StatusCode::URI_TOO_LONG, "The request is too long.").into_response());
    }
    let approval = match state
        .oidc
        .check_request(&AuthorizationRequest::from_query(query))
        .await
    {
        Ok(approval) => approval,
        Err(AuthorizeRefusal::Show(_)) => return to_page(),
        Err(AuthorizeRefusal::Redirect(to)) => return Redirect::to(&to).into_response(),
    };
    // Read once: `prompt` and `max_age` are the only parameters this handler reads itself.
    let params: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .filter(|(k, _)| k == "prompt" || k == "max_age")
        .collect();
    let prompt = |value: &str| {
        params
            .iter()
            .any(|(k, v)| k == "prompt" && v.split(' ').any(|v| v == value))
    };
    let prompt_none = prompt("none");
    // `prompt=login` or an older sign-in than `max_age` allows: sign in again (OIDC Core
    // §3.1.2.1).
    let max_age = params
        .iter()
        .find(|(k, _)| k == "max_age")
        .and_then(|(_, v)| v.parse::<u64>().ok());
    let token = cookie_in(&headers, session_cookie(&state.settings)).and_then(SessionToken::parse);
    let caller = match token {
        Some(token) => state.auth.authorize(&token).await.ok(),
        None => None,
    };
    let to_sign_in = |back: &str| {
        if prompt_none {
            return Redirect::to(&approval.refusal("login_required")).into_response();
        }
        let secure = if state.settings.dev { "" } else { "; Secure" };
        let cookie = format!(
            "{RETURN_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age=600{secure}",
            urlencoding(back)
        );
        let mut response = Redirect::to("/login").into_response();
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
        no_store(response)
    };
    // After signing in, back to this request without what asked for a fresh sign-in
    // (`prompt`, `max_age`): the sign-in just made satisfies them, and keeping them would send
    // the person round again.
    let after_sign_in = {
        let rest: Vec<&str> = query
            .split('&')
            .filter(|p| !p.starts_with("prompt=") && !p.starts_with("max_age="))
            .collect();
        format!("/authorize?{}", rest.join("&"))
    };
    let Some(caller) = caller else {
        return to_sign_in(&after_sign_in);
    };
    let signed_in_secs = caller.session().created_at.unix_secs();
    let too_old = max_age.is_some_and(|max| {
        identity::Timestamp::now()
            .unix_secs()
            .saturating_sub(signed_in_secs)
            > max
    });
    if prompt("login") || too_old {
        return to_sign_in(&after_sign_in);
    }
    let Ok(full) = caller.full() else {
        if prompt_none {
            return Redirect::to(&approval.refusal("interaction_required")).into_response();
        }
        return to_page();
    };
    match state.oidc.needs_consent(&full, &approval).await {
        Ok(false) => {}
        Ok(true) if prompt_none => {
            return Redirect::to(&approval.refusal("consent_required")).into_response()
        }
        Ok(true) => return to_page(),
        Err(error) => {
            tracing::error!(error = %error.detail(), "a consent could not be read");
            return Redirect::to(&approval.refusal("server_error")).into_response();
        }
    }
    match state.oidc.approve(&full, &approval).await {
        Ok(to) => no_store(Redirect::to(&to).into_response()),
        Err(error) => {
            tracing::error!(error = %error.detail(), "an authorization failed");
            Redirect::to(&approval.refusal("server_error")).into_response()
        }
    }
}

fn urlencoding(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn token_error(status: StatusCode, error: &str) -> Response {
    no_store((status, Json(json!({ "error": error }))).into_response())
}

/// The client's credentials: HTTP Basic (both parts form-url-decoded, RFC 6749 §2.3.1) or the
/// body's `client_id` (+ `client_secret`); both at once is refused.
fn client_credentials(
    headers: &HeaderMap,
    form: &HashMap<String, String>,
) -> Result<(String, Option<String>, bool), &'static str> {
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "));
    match (basic, form.get("client_secret")) {
        (Some(_), Some(_)) => Err("invalid_request"),
        (Some(encoded), None) => {
            let decoded = data_encoding::BASE64
                .decode(encoded.trim().as_bytes())
                .map_err(|_| "invalid_client")?;
            let text = String::from_utf8(decoded).map_err(|_| "invalid_client")?;
            let (id, secret) = text.split_once(':').ok_or("invalid_client")?;
            let decode = |s: &str| {
                url::form_urlencoded::parse(format!("x={s}").as_bytes())
                    .next()
                    .map(|(_, v)| v.into_owned())
                    .unwrap_or_default()
            };
            Ok((decode(id), Some(decode(secret)), true))
        }
        (None, secret) => {
            let id = form.get("client_id").ok_or("invalid_client")?;
            Ok((id.clone(), secret.cloned(), false))
        }
    }
}

/// `POST /oauth2/token` (RFC 6749 §3.2, §4.1.3, §5; OIDC Core §3.1.3).
async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let (client_id, secret, basic) = match client_credentials(&headers, &form) {
        Ok(credentials) => credentials,
        Err("invalid_request") => return token_error(StatusCode::BAD_REQUEST, "invalid_request"),
        Err(_) => return token_error(StatusCode::UNAUTHORIZED, "invalid_client"),
    };
    let client = match state
        .oidc
        .authenticate_client(&client_id, secret.as_deref())
        .await
    {
        Ok(client) => client,
        Err(_) => {
            let mut response = token_error(StatusCode::UNAUTHORIZED, "invalid_client");
            if basic {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"MAYI ID\""),
                );
            }
            return response;
        }
    };
    if form.get("grant_type").map(String::as_str) != Some("authorization_code") {
        return token_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let Some(code) = form.get("code") else {
        return token_error(StatusCode::BAD_REQUEST, "invalid_request");
    };
    let result = state
        .oidc
        .exchange_code(
            &client,
            code,
            form.get("redirect_uri").map(String::as_str),
            form.get("code_verifier").map(String::as_str),
        )
        .await;
    match result {
        Ok(tokens) => no_store(
            Json(json!({
                "access_token": tokens.access_token,
                "token_type": "Bearer",
                "expires_in": tokens.expires_in,
                "id_token": tokens.id_token,
                "scope": tokens.scope,
            }))
            .into_response(),
        ),
        Err(refusal @ TokenRefusal::InvalidRequest) | Err(refusal @ TokenRefusal::InvalidGrant) => {
            token_error(StatusCode::BAD_REQUEST, refusal.as_str())
        }
    }
}

/// `GET|POST /oauth2/userinfo` with `Authorization: Bearer …` (OIDC Core §5.3, RFC 6750).
async fn userinfo(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let refused = || {
        let mut response = no_store(StatusCode::UNAUTHORIZED.into_response());
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer error=\"invalid_token\""),
        );
        response
    };
    let Some(token) = bearer else {
        return refused();
    };
    match state.oidc.userinfo(token.trim()).await {
        Ok(info) => no_store(Json(info).into_response()),
        Err(identity::DomainError::NotSignedIn) => refused(),
        Err(error) => {
            tracing::error!(error = %error.detail(), "userinfo failed");
            no_store(StatusCode::INTERNAL_SERVER_ERROR.into_response())
        }
    }
}
