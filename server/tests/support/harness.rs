//! The HTTP test harness: the real router (`server::http::router`) over a fresh store with one
//! account (`alice`), requests as the hydrated pages send them, and readers for cookies, queued
//! codes and JSON answers. Shared by `http.rs` and `abuse.rs`.

pub use std::sync::Arc;

pub use app::ssr::{AppState, Settings};
pub use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
pub use http_body_util::BodyExt;
pub use identity::{
    testing::TestStore, AccountState, NewAccount, NewToken, Password, PasswordHasher, Role,
    SeedCipher, SystemClock, TokenKind, TokenState, TotpSecret, Username,
};
pub use leptos::prelude::LeptosOptions;
pub use tower::ServiceExt;

/// Runs one test body on SQLite, then on PostgreSQL (skipped there only outside CI when
/// PostgreSQL is unreachable).
#[macro_export]
macro_rules! on_both_backends {
    ($($(#[$doc:meta])* async fn $name:ident($h:ident: Harness) $body:block)*) => {
        $(
            $(#[$doc])*
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

pub const PASSWORD: &str = "a perfectly fine passphrase";
pub const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

pub struct Harness {
    pub router: Router,
    pub _store: TestStore,
    pub _site: tempfile::TempDir,
}

/// A router over a fresh store with one account (`alice`) and a minimal built site.
pub async fn harness(store: TestStore) -> Harness {
    harness_with(store, PasswordHasher::new(None).unwrap(), true).await
}

/// The same with a given password hasher and development mode on or off.
pub async fn harness_with(store: TestStore, hasher: PasswordHasher, dev: bool) -> Harness {
    harness_with_policy(
        store,
        hasher,
        dev,
        identity::EmergencyPolicy::SELF_SERVICE_DEFAULT,
    )
    .await
}

/// The self-service policy without the unknown browser's waiting period (as with
/// `MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN=0`): for tests that walk the wizard from a fresh
/// browser and sign in with its code at once, about anything but that wait (issue 13 item 5).
pub const TRUSTING_POLICY: identity::EmergencyPolicy = identity::EmergencyPolicy {
    wait_unknown: std::time::Duration::ZERO,
    ..identity::EmergencyPolicy::SELF_SERVICE_DEFAULT
};

/// The same with a given self-service emergency policy.
pub async fn harness_with_policy(
    store: TestStore,
    hasher: PasswordHasher,
    dev: bool,
    policy: identity::EmergencyPolicy,
) -> Harness {
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

    Harness {
        router: router_for(&store, site.path(), hasher, dev, Vec::new(), policy),
        _store: store,
        _site: site,
    }
}

/// The real router over `store` and the site at `site`, with the harness's key and settings.
fn router_for(
    store: &TestStore,
    site: &std::path::Path,
    hasher: PasswordHasher,
    dev: bool,
    trusted_proxies: Vec<app::ssr::TrustedProxy>,
    policy: identity::EmergencyPolicy,
) -> Router {
    let state = AppState::build(
        LeptosOptions::builder()
            .output_name("mayi-id")
            .site_root(site.to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .build(),
        store.store.clone(),
        hasher,
        Arc::new(SeedCipher::from_key_bytes([9; 32])),
        Arc::new(SystemClock),
        Settings {
            public_url: "http://127.0.0.1:3000".into(),
            dev,
            trusted_proxies,
        },
        policy,
    )
    .unwrap();
    server::http::router(state)
}

/// The same harness (store, accounts, site) behind reverse proxies: its router believes the
/// forwarding headers of requests whose socket peer is in `trusted` (`MAYI_TRUSTED_PROXIES`).
pub fn behind_proxies(h: Harness, trusted: &[&str]) -> Harness {
    let trusted = trusted
        .iter()
        .map(|proxy| app::ssr::TrustedProxy::parse(proxy).unwrap())
        .collect();
    let router = router_for(
        &h._store,
        h._site.path(),
        PasswordHasher::new(None).unwrap(),
        true,
        trusted,
        identity::EmergencyPolicy::SELF_SERVICE_DEFAULT,
    );
    Harness { router, ..h }
}

/// The same harness (store, accounts, site, development mode) with another self-service
/// emergency policy, e.g. [`TRUSTING_POLICY`].
pub fn with_policy(h: Harness, policy: identity::EmergencyPolicy) -> Harness {
    let router = router_for(
        &h._store,
        h._site.path(),
        PasswordHasher::new(None).unwrap(),
        true,
        Vec::new(),
        policy,
    );
    Harness { router, ..h }
}

/// `request` as if it came over a TCP connection from `peer` (the server's `ConnectInfo`;
/// without it, as in plain `oneshot` calls, a request has no client address at all).
pub fn from_peer(mut request: Request<Body>, peer: &str) -> Request<Body> {
    let address = std::net::SocketAddr::new(peer.parse().unwrap(), 40_000);
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(address));
    request
}

/// `request` with one more header line.
pub fn with_header(mut request: Request<Body>, name: &'static str, value: &str) -> Request<Body> {
    request.headers_mut().append(
        axum::http::HeaderName::from_static(name),
        axum::http::HeaderValue::from_str(value).unwrap(),
    );
    request
}

pub async fn send(
    router: &Router,
    request: Request<Body>,
) -> (StatusCode, axum::http::HeaderMap, String) {
    let response: Response<Body> = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, headers, String::from_utf8_lossy(&body).into_owned())
}

pub fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

pub fn sign_in(username: &str, password: &str) -> Request<Body> {
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
pub fn post(uri: &str, form: &str, cookie: &str) -> Request<Body> {
    Request::post(uri)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json")
        .header(header::COOKIE, cookie)
        .body(Body::from(form.to_string()))
        .unwrap()
}

/// `name=value` of the Set-Cookie header for `name`.
pub fn cookie_pair(headers: &axum::http::HeaderMap, name: &str) -> String {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .find(|pair| pair.starts_with(&format!("{name}=")) && pair.len() > name.len() + 1)
        .unwrap_or_else(|| panic!("no {name} cookie in {headers:?}"))
}

pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Adds a confirmed recovery address to alice; returns her id.
pub async fn give_alice_a_recovery_address(h: &Harness) -> identity::AccountId {
    let store = &h._store.store;
    let alice = store
        .account_by_username(&Username::parse("alice").unwrap())
        .await
        .unwrap()
        .unwrap();
    store
        .add_contact(
            alice.id,
            identity::NewContact {
                value: identity::Email::parse("alice@example.org").unwrap().into(),
                confirmed: true,
                is_recovery: true,
            },
        )
        .await
        .unwrap();
    alice.id
}

/// The newest 6-digit code e-mailed to `to`.
pub async fn mailed_code(h: &Harness, to: &str) -> String {
    let messages = h._store.store.outbox_messages(100).await.unwrap();
    let message = messages
        .iter()
        .find(|m| {
            m.recipient == to
                && m.body
                    .split_whitespace()
                    .any(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        })
        .expect("a code was mailed");
    message
        .body
        .split_whitespace()
        .find(|w| w.len() == 6 && w.bytes().all(|b| b.is_ascii_digit()))
        .unwrap()
        .to_string()
}

/// A session cookie for a new account `name` (password [`PASSWORD`], one confirmed email
/// `name@example.org`), signed in `age` ago.
pub async fn session_for(
    h: &Harness,
    name: &str,
    age: std::time::Duration,
) -> (identity::AccountId, String) {
    let store = &h._store.store;
    let account = match store
        .account_by_username(&Username::parse(name).unwrap())
        .await
        .unwrap()
    {
        Some(account) => account.id,
        None => {
            let hash = PasswordHasher::new(None)
                .unwrap()
                .hash(&Password::new(PASSWORD.to_string()).unwrap())
                .await
                .unwrap();
            store
                .create_account_with(
                    NewAccount {
                        username: Username::parse(name).unwrap(),
                        display_name: name.into(),
                        password_hash: hash,
                        role: Role::User,
                        state: AccountState::Active,
                    },
                    vec![identity::NewContact {
                        value: identity::Email::parse(&format!("{name}@example.org"))
                            .unwrap()
                            .into(),
                        confirmed: true,
                        is_recovery: true,
                    }],
                )
                .await
                .unwrap()
        }
    };
    if store.contacts(account).await.unwrap().is_empty() {
        store
            .add_contact(
                account,
                identity::NewContact {
                    value: identity::Email::parse(&format!("{name}@example.org"))
                        .unwrap()
                        .into(),
                    confirmed: true,
                    is_recovery: true,
                },
            )
            .await
            .unwrap();
    }
    let then = identity::Timestamp::from_millis(
        identity::Timestamp::now().as_millis() - age.as_millis() as i64,
    );
    let clock = Arc::new(identity::testing::ManualClock::new(then));
    let token = store
        .clone()
        .with_clock(clock)
        .create_session(identity::NewSession {
            account_id: account,
            scope: identity::SessionScope::Full,
            ip: None,
            user_agent: None,
        })
        .await
        .unwrap();
    (account, format!("mayi_session={}", token.as_str()))
}

/// The code in the newest message queued for `recipient`.
pub async fn queued_code(h: &Harness, recipient: &str) -> String {
    let message = h
        ._store
        .outbox_messages(100)
        .await
        .unwrap()
        .into_iter()
        .find(|m| m.recipient == recipient)
        .unwrap_or_else(|| panic!("nothing queued for {recipient}"));
    let chars: Vec<char> = message.body.chars().collect();
    chars
        .windows(6)
        .find(|w| w.iter().all(char::is_ascii_digit))
        .map(|w| w.iter().collect())
        .expect("a 6-digit code")
}

pub fn wrong(code: &str) -> &'static str {
    if code == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// The number after `"key":` in a JSON body.
pub fn json_number(body: &str, key: &str) -> i64 {
    body.split(&format!("\"{key}\":"))
        .nth(1)
        .unwrap_or_else(|| panic!("no {key} in {body}"))
        .split([',', '}'])
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

pub const RECENT: std::time::Duration = std::time::Duration::from_secs(0);

pub const OLD: std::time::Duration = std::time::Duration::from_secs(20 * 60);
