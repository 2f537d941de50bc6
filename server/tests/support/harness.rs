//! The in-process harness: the real router (`server::http::router`) over a fresh store with one
//! account (`alice`, password [`PASSWORD`], an authenticator app with the seed [`SECRET`]) and a
//! minimal built site, on SQLite and on PostgreSQL. `use support::harness::*` brings the request
//! builders ([`super::client`]) and the fixtures ([`super::fixtures`]) along.

pub use std::sync::Arc;

pub use app::ssr::{AppState, Settings};
pub use axum::{
    body::Body,
    http::{header, Request, Response, StatusCode},
    Router,
};
pub use http_body_util::BodyExt;
pub use identity::testing::StoreAccess;
pub use identity::{
    testing::TestStore, AccountState, NewAccount, NewToken, Password, PasswordHasher, Role,
    SeedCipher, SessionScope, Store, SystemClock, TokenKind, TokenState, TotpSecret, Username,
};
pub use leptos::prelude::LeptosOptions;
pub use tower::ServiceExt;

pub use super::client::*;
pub use super::fixtures::*;

/// Runs one test body on SQLite, then on PostgreSQL (skipped there only outside CI when
/// PostgreSQL is unreachable). The body gets what `harness(store)` makes where the macro is
/// used: this module's [`harness`], or a test file's own (the console's).
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

/// A harness on SQLite outside development mode (production cookies: `__Host-`, Secure).
pub async fn outside_development_mode() -> Harness {
    let hasher = PasswordHasher::new(None).unwrap();
    harness_with(identity::testing::sqlite().await, hasher, false).await
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
    let site = site();
    let alice = user(&store, "alice", "Alice Liddell", Vec::new()).await;
    let secret = TotpSecret::from_base32(SECRET).unwrap();
    store
        .insert_token(totp_token(&cipher(), alice, &secret))
        .await
        .unwrap();
    Harness {
        router: router_for(&store, site.path(), hasher, dev, Vec::new(), policy),
        _store: store,
        _site: site,
    }
}

/// A minimal built site: the front end's script (and its brotli copy) and the icon.
pub fn site() -> tempfile::TempDir {
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(site.path().join("pkg")).unwrap();
    std::fs::write(
        site.path().join("pkg/mayi-id.js"),
        "export default function init() {}\n",
    )
    .unwrap();
    std::fs::write(site.path().join("pkg/mayi-id.js.br"), b"brotli bytes").unwrap();
    std::fs::write(site.path().join("favicon.svg"), "<svg/>").unwrap();
    site
}

/// The real router over `store` and the site at `site`, with the kit's key ([`cipher`]) and
/// public URL ([`PUBLIC_URL`]).
pub fn router_for(
    store: &Store,
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
        store.clone(),
        hasher,
        Arc::new(cipher()),
        Arc::new(SystemClock),
        Settings {
            public_url: PUBLIC_URL.into(),
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

/// A sign-in attempt cookie of `name` (password [`PASSWORD`]).
pub async fn attempt_of(h: &Harness, name: &str) -> String {
    let (status, headers, body) = send(&h.router, sign_in(name, PASSWORD)).await;
    assert!(
        status.is_success() || status.is_redirection(),
        "{status} {body}"
    );
    cookie_pair(&headers, "mayi_signin")
}

/// The id of the account `alice`.
pub async fn alice_id(h: &Harness) -> identity::AccountId {
    h._store
        .account_by_username(&Username::parse("alice").unwrap())
        .await
        .unwrap()
        .expect("alice")
        .id
}

/// Adds a confirmed recovery address to alice unless she has one; returns her id.
pub async fn give_alice_a_recovery_address(h: &Harness) -> identity::AccountId {
    let alice = alice_id(h).await;
    let contacts = h._store.contacts(alice).await.unwrap();
    if !contacts.iter().any(|c| c.is_recovery) {
        h._store
            .add_contact(alice, email_contact("alice", true))
            .await
            .unwrap();
    }
    alice
}

/// A session cookie for the account `name` (made if new: password [`PASSWORD`], one confirmed
/// recovery address `name@example.org`, given if missing), signed in `age` ago.
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
        None => user(store, name, name, vec![email_contact(name, true)]).await,
    };
    if store.contacts(account).await.unwrap().is_empty() {
        store
            .add_contact(account, email_contact(name, true))
            .await
            .unwrap();
    }
    let then = identity::Timestamp::from_millis(
        identity::Timestamp::now().as_millis() - age.as_millis() as i64,
    );
    let clock = Arc::new(identity::testing::ManualClock::new(then));
    let cookie = session_cookie(
        &store.clone().with_clock(clock),
        account,
        SessionScope::Full,
    )
    .await;
    (account, cookie)
}

pub const RECENT: std::time::Duration = std::time::Duration::from_secs(0);

pub const OLD: std::time::Duration = std::time::Duration::from_secs(20 * 60);

/// Runs the futures concurrently on the test's runtime.
pub async fn join_all<F>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.unwrap());
    }
    out
}
