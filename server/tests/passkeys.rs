//! Passkeys over HTTP (issue 17): the four server functions against the real router, on SQLite
//! and PostgreSQL, with a software authenticator answering the prompts as a browser would
//! relay them. A server at `http://localhost:3000` (WebAuthn needs a domain name); the
//! attacker's answers (replayed, another site's, a lagging clone's) are refused with 401 and
//! open nothing; the functions authorise their callers.

#[macro_use]
mod support;

use support::harness::*;
use webauthn_authenticator_rs::prelude::Url;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_rs::prelude::{CreationChallengeResponse, RequestChallengeResponse};

const ORIGIN: &str = "http://localhost:3000";

/// The standard harness's store and site behind a router whose public URL allows passkeys
/// (what `on_both_backends!` builds in this file).
async fn harness(store: TestStore) -> Harness {
    let h = support::harness::harness(store).await;
    let state = AppState::build(
        LeptosOptions::builder()
            .output_name("mayi-id")
            .site_root(h._site.path().to_string_lossy().to_string())
            .site_pkg_dir("pkg")
            .build(),
        h._store.store.clone(),
        PasswordHasher::new(None).unwrap(),
        Arc::new(cipher()),
        Arc::new(SystemClock),
        Settings {
            public_url: ORIGIN.into(),
            dev: true,
            trusted_proxies: Vec::new(),
        },
        identity::EmergencyPolicy::SELF_SERVICE_DEFAULT,
    )
    .unwrap();
    Harness {
        router: server::http::router(state),
        ..h
    }
}

/// The JSON a server function returned as a string (its body is a JSON string).
fn returned_text(body: &str) -> String {
    serde_json::from_str::<String>(body).unwrap_or_else(|_| panic!("not a JSON string: {body}"))
}

fn create(key: &mut SoftPasskey, options: &str) -> String {
    let public_key: serde_json::Value = serde_json::from_str(options).unwrap();
    let options: CreationChallengeResponse =
        serde_json::from_value(serde_json::json!({ "publicKey": public_key })).unwrap();
    let answer = key
        .do_registration(Url::parse(ORIGIN).unwrap(), options)
        .unwrap();
    serde_json::to_string(&answer).unwrap()
}

fn get(key: &mut SoftPasskey, options: &str) -> String {
    let public_key: serde_json::Value = serde_json::from_str(options).unwrap();
    let options: RequestChallengeResponse =
        serde_json::from_value(serde_json::json!({ "publicKey": public_key })).unwrap();
    let answer = key
        .do_authentication(Url::parse(ORIGIN).unwrap(), options)
        .unwrap();
    serde_json::to_string(&answer).unwrap()
}

/// `answer` with `site` written as its origin, as a phishing relay's browser would.
fn relayed(answer: &str, site: &str) -> String {
    let b64 = data_encoding::BASE64URL_NOPAD;
    let mut answer: serde_json::Value = serde_json::from_str(answer).unwrap();
    let encoded = answer["response"]["clientDataJSON"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut client: serde_json::Value =
        serde_json::from_slice(&b64.decode(encoded.as_bytes()).unwrap()).unwrap();
    client["origin"] = site.into();
    answer["response"]["clientDataJSON"] = b64.encode(client.to_string().as_bytes()).into();
    answer.to_string()
}

fn answer_form(answer: &str) -> String {
    format!("response={}", urlencode(answer))
}

/// Alice adds `key` from a fresh full session; returns that session's cookie.
async fn add_key(h: &Harness, key: &mut SoftPasskey) -> String {
    let alice = alice_id(h).await;
    let session = session_cookie(&h._store, alice, SessionScope::Full).await;
    let form = "label=Key+ring&device=YubiKey+5";
    let (status, headers, body) =
        send(&h.router, post("/api/add_passkey_start", form, &session)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers[header::CACHE_CONTROL], "no-store");
    let options = returned_text(&body);
    assert!(options.contains("\"challenge\""), "{options}");
    assert!(options.contains("\"localhost\""), "the RP ID: {options}");
    let answer = create(key, &options);
    let (status, _, body) = send(
        &h.router,
        post("/api/add_passkey_finish", &answer_form(&answer), &session),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(returned_text(&body), "Key ring");
    session
}

/// A passkey prompt in a new sign-in attempt of Alice's: the attempt cookie and the options.
async fn prompt(h: &Harness) -> (String, String) {
    let attempt = attempt_of(h, "alice").await;
    let (status, _, body) = send(&h.router, post("/api/passkey_sign_in_start", "", &attempt)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    (attempt, returned_text(&body))
}

async fn finish(h: &Harness, attempt: &str, answer: &str) -> (StatusCode, Option<String>, String) {
    let (status, headers, body) = send(
        &h.router,
        post("/api/passkey_sign_in_finish", &answer_form(answer), attempt),
    )
    .await;
    (status, find_cookie(&headers, "mayi_session"), body)
}

on_both_backends! {
    async fn a_passkey_is_added_and_signs_in(h: Harness) {
        let mut key = SoftPasskey::new(true);
        let session = add_key(&h, &mut key).await;
        // The token list shows it, with its kind, and offers adding more.
        let (status, _, body) = send(&h.router, post("/api/my_tokens", "", &session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"webauthn\"") && body.contains("Key ring"), "{body}");
        assert!(body.contains("\"passkeys_available\":true"), "{body}");

        // The second step offers it; the prompt's answer opens a full session.
        let attempt = attempt_of(&h, "alice").await;
        let (_, _, body) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
        assert!(body.contains("\"webauthn\"") && body.contains("\"passkeys_available\":true"), "{body}");
        let (status, _, options) = send(&h.router, post("/api/passkey_sign_in_start", "", &attempt)).await;
        assert_eq!(status, StatusCode::OK, "{options}");
        let answer = get(&mut key, &returned_text(&options));
        let (status, cookie, body) = finish(&h, &attempt, &answer).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let cookie = cookie.expect("a session cookie");
        let (status, _, body) = send(&h.router, post("/api/my_account", "", &cookie)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // The attempt is over: its cookie starts nothing more.
        let (status, _, _) = send(&h.router, post("/api/passkey_sign_in_start", "", &attempt)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    async fn replayed_phished_and_cloned_answers_are_refused(h: Harness) {
        let mut key = SoftPasskey::new(true);
        add_key(&h, &mut key).await;

        // Replayed: an answer that opened a session, sent again in a new attempt.
        let (attempt, options) = prompt(&h).await;
        let answer = get(&mut key, &options);
        let (_, cookie, _) = finish(&h, &attempt, &answer).await;
        assert!(cookie.is_some());
        let (attempt, _) = prompt(&h).await;
        let (status, cookie, body) = finish(&h, &attempt, &answer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("PasskeyRefused"), "{body}");
        assert!(cookie.is_none(), "no session");

        // Another site's origin (a phishing relay).
        let (attempt, options) = prompt(&h).await;
        let answer = relayed(&get(&mut key, &options), "http://localhost.evil.test:3000");
        let (status, cookie, _) = finish(&h, &attempt, &answer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(cookie.is_none());

        // A clone's answer whose counter lags the real key's.
        let (clone_attempt, options) = prompt(&h).await;
        let clone_answer = get(&mut key, &options);
        let (attempt, options) = prompt(&h).await;
        let (_, cookie, _) = finish(&h, &attempt, &get(&mut key, &options)).await;
        assert!(cookie.is_some());
        let (status, cookie, _) = finish(&h, &clone_attempt, &clone_answer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(cookie.is_none());

        // An answer with no prompt open, and one too long to read.
        let attempt = attempt_of(&h, "alice").await;
        let (status, _, _) = finish(&h, &attempt, &answer).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let huge = "x".repeat(identity::PASSKEY_MAX_RESPONSE_BYTES + 1);
        let (status, _, _) = finish(&h, &attempt, &huge).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        // Each refusal is audited with its reason.
        let events = h
            ._store
            .audit_events(identity::AuditQuery {
                action: Some(identity::AuditAction::PasskeyRefused),
                ..Default::default()
            })
            .await
            .unwrap();
        let reasons: Vec<_> = events.iter().map(|e| e.details["reason"].as_str().unwrap_or("")).collect();
        for reason in ["wrong_challenge", "wrong_origin", "possible_clone", "no_open_prompt"] {
            assert!(reasons.contains(&reason), "{reason}: {reasons:?}");
        }
    }

    async fn the_passkey_functions_authorise_their_callers(h: Harness) {
        // Nobody, or a pending sign-in attempt, adds no passkey; nobody starts a sign-in prompt.
        let attempt = attempt_of(&h, "alice").await;
        for cookie in ["", attempt.as_str()] {
            for call in ["/api/add_passkey_start", "/api/add_passkey_finish"] {
                let (status, _, _) = send(&h.router, post(call, "label=K&device=&response=%7B%7D", cookie)).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{call} with {cookie:?}");
            }
        }
        for call in ["/api/passkey_sign_in_start", "/api/passkey_sign_in_finish"] {
            let (status, _, _) = send(&h.router, post(call, "response=%7B%7D", "")).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{call}");
        }
        // Alice has no passkey yet: no prompt to start.
        let (status, _, body) = send(&h.router, post("/api/passkey_sign_in_start", "", &attempt)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("UnusableToken"), "{body}");
        // A session older than ten minutes must confirm the password first (RB-1).
        let alice = alice_id(&h).await;
        let session = session_cookie(&h._store, alice, SessionScope::Full).await;
        let (status, _, body) = send(&h.router, post("/api/add_passkey_finish", "response=%7B%7D", &session)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "no prompt open: {body}");
        assert!(body.contains("PasskeyRefused"), "{body}");
    }

}

#[tokio::test]
async fn without_a_domain_name_passkeys_are_off() {
    // The standard harness's public URL is http://127.0.0.1:3000.
    let h = support::harness::harness(identity::testing::sqlite().await).await;
    {
        let alice = alice_id(&h).await;
        let session = session_cookie(&h._store, alice, SessionScope::Full).await;
        let (status, _, body) = send(
            &h.router,
            post("/api/add_passkey_start", "label=Key&device=", &session),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        assert!(body.contains("PasskeysUnavailable"), "{body}");
        let (_, _, body) = send(&h.router, post("/api/my_tokens", "", &session)).await;
        assert!(body.contains("\"passkeys_available\":false"), "{body}");
    }
}
