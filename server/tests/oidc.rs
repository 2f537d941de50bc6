//! The OpenID Connect provider over HTTP (issue 18), against the real router on SQLite and
//! PostgreSQL: discovery and JWKS, the authorization code flow from a signed-in browser to an
//! application's server, and each rule an attacker would probe (a replayed code, another
//! redirect URI, a wrong secret, a restricted session, no session at all).

#[macro_use]
mod support;

use std::collections::HashMap;

use support::harness::*;

const CB: &str = "https://wiki.example.org/cb";

/// Registers a confidential, first-party client ("Wiki"): its id and secret.
async fn client(h: &Harness) -> (String, String) {
    let (id, secret) = register(h, "Wiki", false, true).await;
    (id, secret.unwrap())
}

/// Registers a confidential client that is not first-party ("Forum"): its id and secret.
async fn third_party_client(h: &Harness) -> (String, String) {
    let (id, secret) = register(h, "Forum", false, false).await;
    (id, secret.unwrap())
}

/// Registers a client `name` with the redirect URI `CB`: its id and secret (none when public).
async fn register(
    h: &Harness,
    name: &str,
    public: bool,
    first_party: bool,
) -> (String, Option<String>) {
    let identity = identity::Identity::new(
        h._store.store.clone(),
        PasswordHasher::new(None).unwrap(),
        Arc::new(cipher()),
        Arc::new(SystemClock),
        PUBLIC_URL,
        identity::EmergencyPolicy::default(),
    )
    .unwrap();
    let new =
        identity::oidc::NewClient::parse(name, &[CB.to_string()], public, first_party).unwrap();
    let (client, secret) = identity.oidc.create_client(new).await.unwrap();
    (client.id.to_string(), secret.map(|s| s.expose().to_owned()))
}

fn authorize_uri(client_id: &str, extra: &str) -> String {
    format!(
        "/oauth2/authorize?response_type=code&client_id={client_id}&redirect_uri={}\
         &scope=openid%20profile%20email&state=xyz&nonce=n-0S6{extra}",
        urlencode(CB)
    )
}

fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        data_encoding::BASE64.encode(format!("{}:{}", urlencode(id), urlencode(secret)).as_bytes())
    )
}

fn token_request(form: &str, authorization: Option<&str>) -> Request<String> {
    let mut builder = Request::post("/oauth2/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    if let Some(value) = authorization {
        builder = builder.header(header::AUTHORIZATION, value);
    }
    builder.body(form.to_string()).unwrap()
}

fn code_form(code: &str) -> String {
    format!(
        "grant_type=authorization_code&code={}&redirect_uri={}",
        urlencode(code),
        urlencode(CB)
    )
}

/// A code for `client_id`, approved by a fresh full session of Alice's.
async fn code(h: &Harness, client_id: &str) -> String {
    let alice = alice_id(h).await;
    let session = session_cookie(&h._store, alice, SessionScope::Full).await;
    let (status, headers, body) =
        send(&h.router, page(&authorize_uri(client_id, ""), &session)).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    assert!(location.starts_with(CB), "{location}");
    let query = query_of(&location);
    assert_eq!(query["state"], "xyz");
    assert_eq!(query["iss"], PUBLIC_URL);
    query["code"].clone()
}

on_both_backends! {
    async fn discovery_and_jwks_describe_the_provider(h: Harness) {
        let (status, headers, body) = send(&h.router, get("/.well-known/openid-configuration")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("application/json"));
        let meta: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(meta["issuer"], PUBLIC_URL);
        assert_eq!(meta["token_endpoint"], format!("{PUBLIC_URL}/oauth2/token"));
        assert_eq!(meta["jwks_uri"], format!("{PUBLIC_URL}/oauth2/jwks"));
        assert_eq!(meta["id_token_signing_alg_values_supported"], serde_json::json!(["ES256"]));
        assert_eq!(meta["code_challenge_methods_supported"], serde_json::json!(["S256"]));
        let (status, _, body) = send(&h.router, get("/oauth2/jwks")).await;
        assert_eq!(status, StatusCode::OK);
        let jwks: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 1, "{body}");
        assert!(jwks["keys"][0].get("d").is_none(), "no private part");
    }

    async fn a_signed_in_person_signs_in_to_an_application(h: Harness) {
        let (client_id, secret) = client(&h).await;
        let code = code(&h, &client_id).await;
        let (status, headers, body) =
            send(&h.router, token_request(&code_form(&code), Some(&basic(&client_id, &secret)))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::PRAGMA], "no-cache");
        let tokens: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(tokens["token_type"], "Bearer");
        // The ID token verifies against the published JWKS.
        let claims = id_token_claims(&h, &body, &client_id).await;
        assert_eq!(claims["nonce"], "n-0S6");
        assert_eq!(claims["sub"], alice_id(&h).await.0.to_string());
        // Userinfo with the access token.
        let access = tokens["access_token"].as_str().unwrap();
        let bearer = Request::get("/oauth2/userinfo")
            .header(header::AUTHORIZATION, format!("Bearer {access}"))
            .body(String::new())
            .unwrap();
        let (status, _, body) = send(&h.router, bearer).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"preferred_username\":\"alice\""), "{body}");
        // The same code again: refused, and the access token it gave stops working.
        let (status, _, body) =
            send(&h.router, token_request(&code_form(&code), Some(&basic(&client_id, &secret)))).await;
        assert_eq!((status, body.contains("invalid_grant")), (StatusCode::BAD_REQUEST, true), "{body}");
        let bearer = Request::get("/oauth2/userinfo")
            .header(header::AUTHORIZATION, format!("Bearer {access}"))
            .body(String::new())
            .unwrap();
        let (status, headers, _) = send(&h.router, bearer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(headers[header::WWW_AUTHENTICATE].to_str().unwrap().contains("invalid_token"));
    }

    async fn the_token_endpoint_authenticates_the_client_and_checks_the_grant(h: Harness) {
        let (client_id, secret) = client(&h).await;
        // A wrong secret (Basic): 401 invalid_client with a challenge.
        let code = code(&h, &client_id).await;
        let (status, headers, body) =
            send(&h.router, token_request(&code_form(&code), Some(&basic(&client_id, "wrong")))).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("invalid_client"));
        assert!(headers.contains_key(header::WWW_AUTHENTICATE));
        // Credentials twice: invalid_request. Another grant type: unsupported_grant_type.
        let both = format!("{}&client_id={client_id}&client_secret={secret}", code_form(&code));
        let (status, _, body) = send(&h.router, token_request(&both, Some(&basic(&client_id, &secret)))).await;
        assert_eq!((status, body.contains("invalid_request")), (StatusCode::BAD_REQUEST, true), "{body}");
        let post = format!("grant_type=password&client_id={client_id}&client_secret={secret}");
        let (_, _, body) = send(&h.router, token_request(&post, None)).await;
        assert!(body.contains("unsupported_grant_type"), "{body}");
        // The body's credentials work; another redirect URI does not (and uses the code up).
        let code = super::code(&h, &client_id).await;
        let other = format!(
            "grant_type=authorization_code&code={}&redirect_uri={}&client_id={client_id}&client_secret={secret}",
            urlencode(&code),
            urlencode("https://wiki.example.org/cb/")
        );
        let (status, _, body) = send(&h.router, token_request(&other, None)).await;
        assert_eq!((status, body.contains("invalid_grant")), (StatusCode::BAD_REQUEST, true), "{body}");
        let right = format!("{}&client_id={client_id}&client_secret={secret}", code_form(&code));
        let (status, _, _) = send(&h.router, token_request(&right, None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "a code is used up by a refused request");
        let code = super::code(&h, &client_id).await;
        let right = format!("{}&client_id={client_id}&client_secret={secret}", code_form(&code));
        let (status, _, body) = send(&h.router, token_request(&right, None)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn the_authorize_endpoint_checks_the_request_and_the_person(h: Harness) {
        let (client_id, secret) = client(&h).await;
        // An unregistered redirect URI: the /authorize page says so, and nothing goes there.
        let bad = authorize_uri(&client_id, "").replace(&urlencode(CB), &urlencode("https://evil.test/cb"));
        let (status, headers, _) = send(&h.router, get(&bad)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let to = headers[header::LOCATION].to_str().unwrap().to_owned();
        assert_eq!(to, bad.replacen("/oauth2/authorize?", "/authorize?", 1));
        let (status, _, html) = send(&h.router, page(&to, "")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("did not register"), "{html}");
        assert!(!html.contains("evil.test/cb?"), "no link or refresh to the unregistered address");
        // No session and prompt=none: back to the application with login_required.
        let (status, headers, _) = send(&h.router, get(&authorize_uri(&client_id, "&prompt=none"))).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let location = headers[header::LOCATION].to_str().unwrap();
        assert_eq!(query_of(location)["error"], "login_required");
        // No session: to the sign-in page, and back here after signing in.
        let uri = authorize_uri(&client_id, "");
        let (status, headers, _) = send(&h.router, get(&uri)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], "/login");
        let back = cookie_pair(&headers, "mayi_oidc_return");
        let attempt = attempt_of(&h, "alice").await;
        let cookies = format!("{attempt}; {back}");
        let (_, _, pending) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
        let token_id = first_token_id(&pending);
        let (status, headers, body) =
            send(&h.router, verify_totp(&cookies, token_id, &code_now(SECRET))).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let location = headers
            .get(header::LOCATION)
            .or_else(|| headers.get("serverfnredirect"))
            .map(|v| v.to_str().unwrap().to_owned());
        let back_page = uri.replacen("/oauth2/authorize?", "/authorize?", 1);
        assert_eq!(location.as_deref(), Some(back_page.as_str()), "back to the application's request");
        // That page leaves for the provider's endpoint (a zero-second refresh and a link), which
        // now gives a code; its ID token names the second factor the session passed with.
        let session = cookie_pair(&headers, "mayi_session");
        let (status, _, html) = send(&h.router, page(&back_page, &session)).await;
        assert_eq!(status, StatusCode::OK);
        let escaped = uri.replace('&', "&amp;");
        assert!(html.contains(&format!("content=\"0;url={escaped}\"")), "{html}");
        assert!(html.contains(&format!("href=\"{escaped}\"")), "{html}");
        let (status, headers, _) = send(&h.router, page(&uri, &session)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let code = query_of(headers[header::LOCATION].to_str().unwrap())["code"].clone();
        let (status, _, body) =
            send(&h.router, token_request(&code_form(&code), Some(&basic(&client_id, &secret)))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let claims = id_token_claims(&h, &body, &client_id).await;
        assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));
        assert_eq!(claims["acr"], identity::oidc::ACR_MFA);
        // A restricted emergency session gets no code (here one without a live emergency code,
        // which is no session at all: to the sign-in page).
        let alice = alice_id(&h).await;
        let restricted = session_cookie(&h._store, alice, SessionScope::Emergency).await;
        let (_, headers, _) = send(&h.router, page(&uri, &restricted)).await;
        let location = headers.get(header::LOCATION).map(|v| v.to_str().unwrap().to_owned());
        assert!(!location.unwrap_or_default().starts_with(CB), "no code for a restricted session");
        // prompt=login: a full session signs in again, then comes back without the prompt;
        // with prompt=none as well it cannot: login_required.
        let full = session_cookie(&h._store, alice, SessionScope::Full).await;
        let (status, headers, _) = send(&h.router, page(&authorize_uri(&client_id, "&prompt=login"), &full)).await;
        assert_eq!((status, headers[header::LOCATION].to_str().unwrap()), (StatusCode::SEE_OTHER, "/login"));
        let back = cookie_pair(&headers, "mayi_oidc_return");
        assert!(back.contains("%2Fauthorize%3F") && !back.contains("prompt"), "{back}");
        let (_, headers, _) =
            send(&h.router, page(&authorize_uri(&client_id, "&prompt=none%20login"), &full)).await;
        assert_eq!(query_of(headers[header::LOCATION].to_str().unwrap())["error"], "login_required");
        // max_age that the sign-in is within: approved. Not signed in with prompt=login and
        // max_age=0: back afterwards without either (else the fresh sign-in goes round again).
        let (_, headers, _) = send(&h.router, page(&authorize_uri(&client_id, "&max_age=3600"), &full)).await;
        assert!(headers[header::LOCATION].to_str().unwrap().starts_with(CB));
        let (_, headers, _) =
            send(&h.router, get(&authorize_uri(&client_id, "&prompt=login&max_age=0"))).await;
        let back = cookie_pair(&headers, "mayi_oidc_return");
        assert!(!back.contains("prompt") && !back.contains("max_age"), "{back}");
    }

    async fn pkce_and_an_expired_code_are_checked_at_the_token_endpoint(h: Harness) {
        // RFC 7636 appendix B.
        const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let (client_id, _) = register(&h, "App", true, true).await;
        let alice = alice_id(&h).await;
        let session = session_cookie(&h._store, alice, SessionScope::Full).await;
        // A public client without a challenge: refused back to the application.
        let (_, headers, _) = send(&h.router, page(&authorize_uri(&client_id, ""), &session)).await;
        let back = query_of(headers[header::LOCATION].to_str().unwrap());
        assert_eq!(back["error"], "invalid_request");
        let with_challenge = format!("&code_challenge={CHALLENGE}&code_challenge_method=S256");
        let code = || async {
            let (_, headers, _) =
                send(&h.router, page(&authorize_uri(&client_id, &with_challenge), &session)).await;
            query_of(headers[header::LOCATION].to_str().unwrap())["code"].clone()
        };
        let exchange = |code: String, verifier: Option<&str>| {
            let mut form = format!("{}&client_id={client_id}", code_form(&code));
            if let Some(verifier) = verifier {
                form.push_str(&format!("&code_verifier={verifier}"));
            }
            token_request(&form, None)
        };
        // No verifier, or another one: invalid_grant (and the code is used up).
        let (status, _, body) = send(&h.router, exchange(code().await, None)).await;
        assert_eq!((status, body.contains("invalid_grant")), (StatusCode::BAD_REQUEST, true), "{body}");
        let other = "x".repeat(43);
        let (status, _, body) = send(&h.router, exchange(code().await, Some(&other))).await;
        assert_eq!((status, body.contains("invalid_grant")), (StatusCode::BAD_REQUEST, true), "{body}");
        // The right verifier: tokens.
        let (status, _, body) = send(&h.router, exchange(code().await, Some(VERIFIER))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // A code older than its 60 seconds (its expiry moved into the past): invalid_grant.
        let late = code().await;
        identity::testing::execute_raw(&h._store.store, "UPDATE oidc_codes SET expires_at = 0 WHERE used_at IS NULL")
            .await
            .unwrap();
        let (status, _, body) = send(&h.router, exchange(late, Some(VERIFIER))).await;
        assert_eq!((status, body.contains("invalid_grant")), (StatusCode::BAD_REQUEST, true), "{body}");
    }

    async fn an_application_not_run_by_the_organisation_asks_first(h: Harness) {
        let (client_id, secret) = third_party_client(&h).await;
        let alice = alice_id(&h).await;
        let session = session_cookie(&h._store, alice, SessionScope::Full).await;
        let uri = authorize_uri(&client_id, "");
        let consent_page = uri.replacen("/oauth2/authorize?", "/authorize?", 1);
        let request = consent_page.trim_start_matches("/authorize?").to_owned();
        // prompt=none cannot ask: consent_required, with the state.
        let (_, headers, _) = send(&h.router, page(&authorize_uri(&client_id, "&prompt=none"), &session)).await;
        let back = query_of(headers[header::LOCATION].to_str().unwrap());
        assert_eq!((back["error"].as_str(), back["state"].as_str()), ("consent_required", "xyz"));
        // Otherwise to the consent page, which names the application, the account and what it gets.
        let (status, headers, _) = send(&h.router, page(&uri, &session)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(headers[header::LOCATION], consent_page.as_str());
        let (_, _, html) = send(&h.router, page(&consent_page, &session)).await;
        assert!(html.contains("Sign in to Forum?"), "{html}");
        assert!(html.contains("account alice"), "{html}");
        assert!(html.contains("Your email address"), "{html}");
        assert!(!html.contains("http-equiv=\"refresh\""), "nothing leaves before the answer");
        // Asked again, nothing was given: no code without an answer.
        let (_, headers, _) = send(&h.router, page(&uri, &session)).await;
        assert!(!headers[header::LOCATION].to_str().unwrap().starts_with(CB));
        // "Do not allow" (a plain form post): back to the page, which sends access_denied.
        let deny = format!("request={}&decision=deny", urlencode(&request));
        let (status, headers, _) =
            send(&h.router, form_post("/api/decide_authorization", &deny, &session, &consent_page)).await;
        assert_eq!(status, StatusCode::FOUND);
        let denied = headers[header::LOCATION].to_str().unwrap().to_owned();
        assert!(denied.starts_with("/authorize?"), "{denied}");
        let (_, _, html) = send(&h.router, page(&denied, &session)).await;
        assert!(html.contains("error=access_denied&amp;state=xyz"), "{html}");
        assert_eq!(audit_count(&h, identity::AuditAction::OidcDenied).await, 1);
        // A decision that is neither is refused and changes nothing.
        let odd = format!("request={}&decision=maybe", urlencode(&request));
        let (status, _, _) = send(&h.router, post("/api/decide_authorization", &odd, &session)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(audit_count(&h, identity::AuditAction::OidcConsented).await, 0);
        // A restricted session cannot answer.
        let restricted = session_cookie(&h._store, alice, SessionScope::Emergency).await;
        let allow = format!("request={}&decision=allow", urlencode(&request));
        let (status, _, _) = send(&h.router, post("/api/decide_authorization", &allow, &restricted)).await;
        assert!(status.is_client_error(), "{status}");
        // "Allow": remembered; the page leaves for the endpoint, which gives a code at once.
        let (status, headers, _) =
            send(&h.router, form_post("/api/decide_authorization", &allow, &session, &consent_page)).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers[header::LOCATION], consent_page.as_str());
        let (_, _, html) = send(&h.router, page(&consent_page, &session)).await;
        assert!(html.contains(&format!("content=\"0;url={}\"", uri.replace('&', "&amp;"))), "{html}");
        let (_, headers, _) = send(&h.router, page(&uri, &session)).await;
        let code = query_of(headers[header::LOCATION].to_str().unwrap())["code"].clone();
        let (status, _, body) =
            send(&h.router, token_request(&code_form(&code), Some(&basic(&client_id, &secret)))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let access = serde_json::from_str::<serde_json::Value>(&body).unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        // The account page lists it; removing it stops its access token and asks again.
        let (_, _, listed) = send(&h.router, post("/api/my_applications", "", &session)).await;
        assert!(listed.contains("\"name\":\"Forum\""), "{listed}");
        let userinfo = |token: &str| {
            Request::get("/oauth2/userinfo")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(String::new())
                .unwrap()
        };
        assert_eq!(send(&h.router, userinfo(&access)).await.0, StatusCode::OK);
        let (status, _, _) = send(&h.router, post("/api/remove_application", "client_id=aaaaaaaaaaaaaaaaaaaa", &session)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "an application never allowed");
        let remove = format!("client_id={client_id}");
        let (status, _, body) = send(&h.router, post("/api/remove_application", &remove, &session)).await;
        assert!(status.is_success(), "{status} {body}");
        assert_eq!(send(&h.router, userinfo(&access)).await.0, StatusCode::UNAUTHORIZED);
        let (_, headers, _) = send(&h.router, page(&uri, &session)).await;
        assert_eq!(headers[header::LOCATION], consent_page.as_str());
        assert_eq!(audit_count(&h, identity::AuditAction::OidcConsentRevoked).await, 1);
    }
}

/// The claims of the ID token in a token response `body`, verified against the JWKS.
async fn id_token_claims(h: &Harness, body: &str, client_id: &str) -> serde_json::Value {
    let tokens: serde_json::Value = serde_json::from_str(body).unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    let (_, _, jwks) = send(&h.router, get("/oauth2/jwks")).await;
    let jwks: jsonwebtoken::jwk::JwkSet = serde_json::from_str(&jwks).unwrap();
    let kid = jsonwebtoken::decode_header(id_token).unwrap().kid.unwrap();
    let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_issuer(&[PUBLIC_URL]);
    validation.set_audience(&[client_id]);
    jsonwebtoken::decode::<serde_json::Value>(
        id_token,
        &jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).unwrap()).unwrap(),
        &validation,
    )
    .unwrap()
    .claims
}

/// How many audit events of `action` the store holds.
async fn audit_count(h: &Harness, action: identity::AuditAction) -> usize {
    let query = identity::AuditQuery {
        action: Some(action),
        limit: 500,
        ..Default::default()
    };
    h._store.audit_events(query).await.unwrap().len()
}
