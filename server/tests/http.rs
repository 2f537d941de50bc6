//! HTTP-level tests: requests sent to the real router (`server::http::router`) over a real
//! store, on SQLite and on PostgreSQL, without a browser.

use std::sync::Arc;

use app::ssr::{AppState, Settings};
use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
use http_body_util::BodyExt;
use identity::{
    testing::TestStore, AccountState, Authenticator, NewAccount, NewToken, Password,
    PasswordHasher, Role, SeedCipher, SystemClock, TokenKind, TokenState, TotpSecret, Username,
};
use leptos::prelude::LeptosOptions;
use tower::ServiceExt;

const PASSWORD: &str = "a perfectly fine passphrase";
const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

struct Harness {
    router: Router,
    _store: TestStore,
    _site: tempfile::TempDir,
}

/// A router over a fresh store with one account (`alice`) and a minimal built site.
async fn harness(store: TestStore) -> Harness {
    harness_with(store, PasswordHasher::new(None).unwrap(), true).await
}

/// The same with a given password hasher and development mode on or off.
async fn harness_with(store: TestStore, hasher: PasswordHasher, dev: bool) -> Harness {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(
        site.path().join("pkg/mayi-id.js"),
        "export default function init() {}\n",
    )
    .unwrap();
    std::fs::write(site.path().join("pkg/mayi-id.js.br"), b"brotli bytes").unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();

    let hash = hasher
        .hash(&Password::new(PASSWORD.to_string()).unwrap())
        .await
        .unwrap();
    let alice = store
        .create_account(NewAccount {
            username: Username::parse("alice").unwrap(),
            display_name: "Alice Liddell".into(),
            password_hash: hash,
            role: Role::User,
            state: AccountState::Active,
        })
        .await
        .unwrap();
    let cipher = SeedCipher::from_key_bytes([9; 32]);
    store
        .insert_token(NewToken {
            account_id: alice,
            kind: TokenKind::Totp,
            label: "Authenticator app".into(),
            device: Some("Pixel 7".into()),
            state: TokenState::Active,
            secret_enc: Some(
                TotpSecret::from_base32(SECRET)
                    .unwrap()
                    .seal(&cipher, alice)
                    .unwrap(),
            ),
            target: None,
        })
        .await
        .unwrap();

    let state = AppState {
        leptos_options: LeptosOptions::builder()
            .output_name("mayi-id")
            .site_root(site.path().to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .build(),
        store: store.store.clone(),
        tokens: identity::TokenService::new(store.store.clone(), "http://127.0.0.1:3000"),
        enrolment: identity::Enrolment::new(
            store.store.clone(),
            hasher.clone(),
            Arc::new(SeedCipher::from_key_bytes([5; 32])),
            Arc::new(SystemClock),
            "http://127.0.0.1:3000",
        ),
        auth: Authenticator::new(
            store.store.clone(),
            hasher,
            Arc::new(cipher),
            Arc::new(SystemClock),
            "http://127.0.0.1:3000",
        ),
        settings: Arc::new(Settings {
            public_url: "http://127.0.0.1:3000".into(),
            dev,
        }),
    };
    Harness {
        router: server::http::router(state),
        _store: store,
        _site: site,
    }
}

async fn send(
    router: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response: Response<Body> = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

fn sign_in(username: &str, password: &str) -> Request<Body> {
    let body = format!(
        "username={}&password={}",
        urlencode(username),
        urlencode(password)
    );
    Request::post("/api/sign_in")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .body(Body::from(body))
        .unwrap()
}

/// A server function call with a cookie, as the hydrated page makes it.
fn post(uri: &str, form: &str, cookie: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, cookie)
        .body(Body::from(form.to_string()))
        .unwrap()
}

/// `name=value` of the Set-Cookie header for `name`.
fn cookie_pair(headers: &axum::http::HeaderMap, name: &str) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
        .unwrap_or_else(|| panic!("no {name} cookie in {headers:?}"))
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Runs one test body on SQLite, then on PostgreSQL (skipped there only outside CI when
/// PostgreSQL is unreachable).
macro_rules! on_both_backends {
    ($(async fn $name:ident($h:ident: Harness) $body:block)*) => {
        $(
            mod $name {
                use super::*;
                async fn body($h: Harness) $body
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    body(harness(identity::testing::sqlite().await).await).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some(store) = identity::testing::postgres().await else { return };
                    body(harness(store).await).await;
                }
            }
        )*
    };
}

on_both_backends! {
    async fn health_and_readiness(h: Harness) {
        let (status, _, body) = send(&h.router, get("/healthz")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ok"));
        let (status, _, body) = send(&h.router, get("/readyz")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "ready"));
        // Once the database is gone, the instance is no longer ready, but still alive.
        h._store.store.close().await;
        let (status, _, _) = send(&h.router, get("/readyz")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let (status, _, _) = send(&h.router, get("/healthz")).await;
        assert_eq!(status, StatusCode::OK);
    }

    async fn sign_in_page_is_server_rendered_with_its_form_and_hydration_scripts(h: Harness) {
        let (status, headers, html) = send(&h.router, get("/login")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/html"));
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        // PW-6: the form is there before any wasm runs, with the right input types.
        assert!(html.contains(r#"action="/api/sign_in""#), "{html}");
        assert!(html.contains(r#"method="post""#), "{html}");
        assert!(html.contains(r#"name="username""#) && html.contains(r#"autocomplete="username""#));
        assert!(html.contains(r#"type="password""#) && html.contains(r#"autocomplete="current-password""#));
        assert!(html.contains(r#"<label for="username">Username</label>"#), "{html}");
        // The hydration scripts ask for exactly the files `cargo xtask build` produces.
        assert!(html.contains("/pkg/mayi-id.js"), "{html}");
        assert!(html.contains("/pkg/mayi-id.wasm"), "{html}");
        assert!(!html.contains("mayi-id_bg.wasm"), "{html}");
    }

    async fn root_redirects_to_sign_in(h: Harness) {
        let (status, headers, _) = send(&h.router, get("/")).await;
        assert!(status.is_redirection());
        assert_eq!(headers[header::LOCATION], "/login");
    }

    async fn unknown_pages_are_a_404_in_the_site_layout(h: Harness) {
        let (status, headers, html) = send(&h.router, get("/no/such/page")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert!(html.contains("Page not found"), "{html}");
    }

    async fn wrong_password_and_unknown_user_get_the_same_answer(h: Harness) {
        let wrong = send(&h.router, sign_in("alice", "not the password")).await;
        let unknown = send(&h.router, sign_in("nobody-here", "not the password")).await;
        let malformed = send(&h.router, sign_in("no body", "not the password")).await;
        assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
        for other in [&unknown, &malformed] {
            assert_eq!((other.0, &other.2), (wrong.0, &wrong.2));
        }
        assert!(wrong.2.contains("InvalidCredentials"), "{}", wrong.2);
    }

    async fn right_password_opens_an_attempt_in_any_username_form(h: Harness) {
        for username in ["alice", "ALICE", "ａｌｉｃｅ"] {
            let (status, headers, body) = send(&h.router, sign_in(username, PASSWORD)).await;
            assert!(status.is_success() || status.is_redirection(), "{username}: {status} {body}");
            let cookie = headers[header::SET_COOKIE].to_str().unwrap();
            assert!(cookie.starts_with("mayi_signin="), "{cookie}");
            assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"), "{cookie}");
        }
    }

    async fn the_whole_sign_in_flow_over_http(h: Harness) {
        let (_, headers, _) = send(&h.router, sign_in("alice", PASSWORD)).await;
        let attempt = cookie_pair(&headers, "mayi_signin");
        // SE-8: the attempt is not a session.
        let (status, _, _) = send(&h.router, post("/api/my_account", "", &attempt)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, body) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Authenticator app") && body.contains("Pixel 7"), "{body}");
        assert!(!body.contains(SECRET), "no secret leaves the server: {body}");
        let token_id = body.split("\"id\":").nth(1).unwrap().split(',').next().unwrap().to_string();

        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let code = TotpSecret::from_base32(SECRET).unwrap().code_at(now);
        let form = format!("token_id={token_id}&kind=totp&code={code}");
        let (status, headers, body) = send(&h.router, post("/api/verify_code", &form, &attempt)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let session = cookie_pair(&headers, "mayi_session");
        assert_ne!(session.split('=').nth(1), attempt.split('=').nth(1), "SE-2: a new token");

        let (status, headers, body) = send(&h.router, post("/api/my_account", "", &session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Alice Liddell"), "{body}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");

        // OTP-6: the same code again, in a new attempt, is refused.
        let (_, headers, _) = send(&h.router, sign_in("alice", PASSWORD)).await;
        let attempt = cookie_pair(&headers, "mayi_signin");
        let (status, _, body) = send(&h.router, post("/api/verify_code", &form, &attempt)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("InvalidCode"), "{body}");

        // SE-5: after signing out, the old cookie opens nothing.
        send(&h.router, post("/api/sign_out", "", &session)).await;
        let (status, _, _) = send(&h.router, post("/api/my_account", "", &session)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn an_over_long_password_is_refused(h: Harness) {
        let long = "x".repeat(1025);
        let (status, _, body) = send(&h.router, sign_in("alice", &long)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    }

    async fn bodies_over_the_limit_are_refused(h: Harness) {
        let big = format!("username=alice&password={}", "x".repeat(server::http::BODY_LIMIT));
        let request = Request::post("/api/sign_in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::CONTENT_LENGTH, big.len())
            .body(Body::from(big))
            .unwrap();
        let (status, _, _) = send(&h.router, request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    }

    async fn a_form_post_without_javascript_comes_back_with_the_error(h: Harness) {
        let request = Request::post("/api/sign_in")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, "http://127.0.0.1:3000/login")
            .body(Body::from("username=alice&password=wrong+password"))
            .unwrap();
        let (status, headers, _) = send(&h.router, request).await;
        assert_eq!(status, StatusCode::FOUND);
        let location = headers[header::LOCATION].to_str().unwrap().to_string();
        assert!(location.starts_with("http://127.0.0.1:3000/login?"), "{location}");
        assert!(location.contains("__err="), "{location}");
        assert!(!location.contains("wrong"), "the password never goes into a URL: {location}");
        // The page it goes back to shows the error, rendered on the server.
        let path = location.trim_start_matches("http://127.0.0.1:3000");
        let (status, _, html) = send(&h.router, get(path)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Wrong username or password."), "{html}");
        assert!(html.contains(r#"role="alert""#), "{html}");
    }

    async fn front_end_files_are_served_precompressed(h: Harness) {
        let request = Request::get("/pkg/mayi-id.js")
            .header(header::ACCEPT_ENCODING, "br, gzip")
            .body(Body::empty())
            .unwrap();
        let (status, headers, body) = send(&h.router, request).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_ENCODING], "br");
        assert_eq!(body, "brotli bytes");
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
        let (status, headers, body) = send(&h.router, get("/pkg/mayi-id.js")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers.get(header::CONTENT_ENCODING).is_none());
        assert!(body.contains("init"));
        let (status, _, body) = send(&h.router, get("/favicon.svg")).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "<svg/>"));
    }
}

/// PW-11: password hashing is bounded; past the bound the server sheds load with 503 and
/// Retry-After instead of queueing without limit.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pw_11_hashing_past_its_bound_answers_503_with_retry_after() {
    let hasher = PasswordHasher::with_limits(None, 1, std::time::Duration::from_millis(1)).unwrap();
    let h = harness_with(identity::testing::sqlite().await, hasher, true).await;
    // Different (unknown) names, so that no per-name throttle answers first.
    let calls = (0..8).map(|i| {
        let router = h.router.clone();
        async move { send(&router, sign_in(&format!("nobody-{i}"), "not the password")).await }
    });
    let answers = futures_join_all(calls).await;
    let busy: Vec<_> = answers
        .iter()
        .filter(|(status, _, _)| *status == StatusCode::SERVICE_UNAVAILABLE)
        .collect();
    assert!(
        !busy.is_empty(),
        "some of 8 parallel sign-ins meet the bound of 1"
    );
    for (_, headers, body) in &busy {
        assert_eq!(headers[header::RETRY_AFTER], "2");
        assert!(body.contains("Busy"), "{body}");
    }
    assert!(answers.iter().all(|(status, _, _)| [
        StatusCode::UNAUTHORIZED,
        StatusCode::SERVICE_UNAVAILABLE
    ]
    .contains(status)));
}

async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}

/// SE-3: outside development mode the cookies are `__Host-` prefixed and Secure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn se_3_production_cookies_are_host_prefixed_and_secure() {
    let h = harness_with(
        identity::testing::sqlite().await,
        PasswordHasher::new(None).unwrap(),
        false,
    )
    .await;
    let (_, headers, _) = send(&h.router, sign_in("alice", PASSWORD)).await;
    let cookie = headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cookie.starts_with("__Host-mayi_signin="), "{cookie}");
    for part in ["Secure", "HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
}

/// CS-1, CS-2: state-changing requests from another site are refused, sign-in included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cs_1_cross_site_posts_are_refused() {
    let h = harness(identity::testing::sqlite().await).await;
    let with = |name: &'static str, value: &'static str| {
        let mut request = sign_in("alice", PASSWORD);
        request.headers_mut().insert(name, value.parse().unwrap());
        request
    };
    for request in [
        with("origin", "https://evil.example"),
        with("origin", "null"),
        with("sec-fetch-site", "cross-site"),
        with("sec-fetch-site", "same-site"),
    ] {
        let (status, headers, body) = send(&h.router, request).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert!(
            headers.get(header::SET_COOKIE).is_none(),
            "no sign-in happened"
        );
    }
    for request in [
        with("origin", "http://127.0.0.1:3000"),
        with("sec-fetch-site", "same-origin"),
        sign_in("alice", PASSWORD),
    ] {
        let (status, headers, body) = send(&h.router, request).await;
        assert!(
            status.is_success() || status.is_redirection(),
            "{status} {body}"
        );
        assert!(headers.get(header::SET_COOKIE).is_some());
    }
    // Development mode also takes the origin of the address the browser used.
    let mut request = with("origin", "http://localhost:3000");
    request
        .headers_mut()
        .insert(header::HOST, "localhost:3000".parse().unwrap());
    let (status, _, _) = send(&h.router, request).await;
    assert!(status.is_success() || status.is_redirection());
    // Reading is never refused.
    let request = Request::get("/login")
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(send(&h.router, request).await.0, StatusCode::OK);
}

/// AC-1, SE-8: every protected server function refuses a caller without a session, and a
/// pending sign-in attempt is not a session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ac_1_protected_functions_refuse_anonymous_and_pending_callers() {
    let h = harness(identity::testing::sqlite().await).await;
    let (_, headers, _) = send(&h.router, sign_in("alice", PASSWORD)).await;
    let attempt = cookie_pair(&headers, "mayi_signin");
    for (path, form) in [
        ("/api/my_account", ""),
        ("/api/my_tokens", ""),
        ("/api/remove_token", "token_id=1"),
        ("/api/lost_device", "device=Pixel+7"),
    ] {
        for cookie in ["", attempt.as_str()] {
            let (status, _, body) = send(&h.router, post(path, form, cookie)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{path} with {cookie:?}: {body}"
            );
        }
    }
    // Nothing was removed.
    let (_, headers, _) = send(&h.router, sign_in("alice", PASSWORD)).await;
    let attempt = cookie_pair(&headers, "mayi_signin");
    let (_, _, body) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
    assert!(body.contains("Pixel 7"), "{body}");
}
