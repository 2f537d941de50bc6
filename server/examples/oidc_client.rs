//! A small application that signs its users in through MAYI ID with a real OpenID Connect client
//! library, `openidconnect` (issue 18). The browser test `end2end/tests/oidc.spec.ts` signs in
//! to it with Chromium; it is also a working example of connecting an application (README,
//! "Connecting an application").
//!
//! Two applications in one process, as registered by `end2end/start-server.sh`:
//! - `/wiki`: a confidential client run by the organisation (no consent page);
//! - `/forum`: a public client not run by the organisation (PKCE, consent page).
//!
//! Each signs in with the authorization code flow (PKCE S256 for both), verifies the ID token
//! against the provider's JWKS (ES256) with the nonce it sent, checks `state`, and reads the
//! userinfo endpoint; the page it shows names what it learned.
//!
//! Settings (environment): `OIDC_ISSUER` (MAYI ID's public URL), `RP_LISTEN` (address to
//! listen on), `RP_URL` (this application's public URL), `RP_WIKI_ID`, `RP_WIKI_SECRET`,
//! `RP_FORUM_ID`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::{Html, IntoResponse, Redirect, Response},
    routing::get,
    Router,
};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJwsSigningAlgorithm, CoreProviderMetadata,
    CoreUserInfoClaims,
};
use openidconnect::{
    reqwest, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};

/// One registered application: its name, client ID and, if confidential, its secret.
struct Registration {
    name: &'static str,
    id: ClientId,
    secret: Option<ClientSecret>,
}

/// A sign-in on its way: what its callback must check.
struct Pending {
    app: String,
    nonce: Nonce,
    verifier: PkceCodeVerifier,
}

struct App {
    issuer: IssuerUrl,
    base: String,
    apps: HashMap<&'static str, Registration>,
    /// By `state`; taken once by the callback.
    pending: Mutex<HashMap<String, Pending>>,
    http: reqwest::Client,
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

#[tokio::main]
async fn main() {
    let mut apps = HashMap::new();
    apps.insert(
        "wiki",
        Registration {
            name: "Wiki",
            id: ClientId::new(env("RP_WIKI_ID")),
            secret: Some(ClientSecret::new(env("RP_WIKI_SECRET"))),
        },
    );
    apps.insert(
        "forum",
        Registration {
            name: "Forum",
            id: ClientId::new(env("RP_FORUM_ID")),
            secret: None,
        },
    );
    let app = Arc::new(App {
        issuer: IssuerUrl::new(env("OIDC_ISSUER")).expect("OIDC_ISSUER is a URL"),
        base: env("RP_URL").trim_end_matches('/').to_owned(),
        apps,
        pending: Mutex::new(HashMap::new()),
        // Following redirects from the provider's endpoints would open the door to SSRF.
        http: reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client"),
    });
    let router = Router::new()
        .route("/", get(home))
        .route("/{app}/login", get(login))
        .route("/{app}/callback", get(callback))
        .with_state(app);
    let listener = tokio::net::TcpListener::bind(env("RP_LISTEN"))
        .await
        .expect("the listen address is free");
    axum::serve(listener, router).await.expect("serving");
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t}</title></head><body><main><h1>{t}</h1>{body}</main></body></html>",
        t = escape(title)
    );
    (status, Html(html)).into_response()
}

async fn home() -> Response {
    page(
        StatusCode::OK,
        "Example applications",
        "<ul><li><a href=\"/wiki/login\">Sign in to Wiki with MAYI ID</a></li>\
         <li><a href=\"/forum/login\">Sign in to Forum with MAYI ID</a></li></ul>",
    )
}

/// Reads the provider's discovery document and makes the client of `app`.
macro_rules! client_of {
    ($state:expr, $key:expr) => {{
        let registration = $state
            .apps
            .get($key)
            .ok_or_else(|| "no such application".to_owned())?;
        let metadata = CoreProviderMetadata::discover_async($state.issuer.clone(), &$state.http)
            .await
            .map_err(|e| format!("discovery failed: {e}"))?;
        let redirect = RedirectUrl::new(format!("{}/{}/callback", $state.base, $key))
            .map_err(|e| e.to_string())?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            registration.id.clone(),
            registration.secret.clone(),
        )
        .set_redirect_uri(redirect);
        (registration, client)
    }};
}

async fn login(State(state): State<Arc<App>>, Path(key): Path<String>) -> Response {
    let result: Result<String, String> = async {
        let (_, client) = client_of!(state, key.as_str());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, csrf, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("profile".into()))
            .add_scope(Scope::new("email".into()))
            .set_pkce_challenge(challenge)
            .url();
        state.pending.lock().expect("not poisoned").insert(
            csrf.secret().clone(),
            Pending {
                app: key.clone(),
                nonce,
                verifier,
            },
        );
        Ok(url.to_string())
    }
    .await;
    match result {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => page(StatusCode::BAD_GATEWAY, "Sign-in failed", &escape(&error)),
    }
}

async fn callback(
    State(state): State<Arc<App>>,
    Path(key): Path<String>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    if let Some(error) = query.get("error") {
        return page(
            StatusCode::OK,
            "Not signed in",
            &format!("<p>MAYI ID answered: {}</p>", escape(error)),
        );
    }
    let result: Result<String, String> = async {
        let sent = query
            .get("state")
            .and_then(|s| state.pending.lock().expect("not poisoned").remove(s))
            .filter(|p| p.app == key)
            .ok_or("an unknown or used state")?;
        if query.get("iss").map(String::as_str) != Some(state.issuer.as_str()) {
            return Err("the response names another issuer".to_owned());
        }
        let code = query.get("code").ok_or("no code")?;
        let (registration, client) = client_of!(state, key.as_str());
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .map_err(|e| e.to_string())?
            .set_pkce_verifier(sent.verifier)
            .request_async(&state.http)
            .await
            .map_err(|e| format!("the token request failed: {e:?}"))?;
        let id_token = tokens.id_token().ok_or("no ID token")?;
        // MAYI ID signs with ES256 (the library accepts only RS256 unless told).
        let verifier = client
            .id_token_verifier()
            .set_allowed_algs([CoreJwsSigningAlgorithm::EcdsaP256Sha256]);
        let claims = id_token
            .claims(&verifier, &sent.nonce)
            .map_err(|e| format!("the ID token does not verify: {e}"))?;
        let info: CoreUserInfoClaims = client
            .user_info(
                tokens.access_token().clone(),
                Some(claims.subject().clone()),
            )
            .map_err(|e| e.to_string())?
            .request_async(&state.http)
            .await
            .map_err(|e| format!("userinfo failed: {e:?}"))?;
        let amr = claims
            .auth_method_refs()
            .map(|v| v.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" "))
            .unwrap_or_default();
        let rows = [
            ("Application", registration.name.to_owned()),
            ("Subject", claims.subject().as_str().to_owned()),
            (
                "Username",
                info.preferred_username()
                    .map(|u| u.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            (
                "Name",
                info.name()
                    .and_then(|n| n.get(None))
                    .map(|n| n.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            (
                "Email",
                info.email()
                    .map(|e| e.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            ("Methods", amr),
            (
                "Level",
                claims
                    .auth_context_ref()
                    .map(|a| a.as_str().to_owned())
                    .unwrap_or_default(),
            ),
        ];
        Ok(rows
            .iter()
            .map(|(k, v)| format!("<p>{k}: {}</p>", escape(v)))
            .collect())
    }
    .await;
    match result {
        Ok(body) => page(StatusCode::OK, "Signed in", &body),
        Err(error) => page(StatusCode::BAD_GATEWAY, "Sign-in failed", &escape(&error)),
    }
}
