//! The abuse suite of issue 13 (security of recovery): what an attacker holding part of an
//! account (another session, another sign-in attempt, an old cookie) must not be able to do.
#[macro_use]
mod support;
use support::harness::*;

// ---- item 3: a pending authenticator app is seen only where it was started ----

/// The code an authenticator app with the secret shown in `body` (groups of four) shows now.
fn code_from(body: &str) -> String {
    code_now(&json_text(body, "secret_groups"))
}

/// Neither the secret nor anything made from it is in `body`.
fn assert_no_seed(body: &str, groups: &str) {
    assert!(!body.contains("otpauth"), "{body}");
    assert!(!body.contains("secret_groups"), "{body}");
    assert!(!body.contains("<svg"), "{body}");
    assert!(!body.contains(groups), "{body}");
    assert!(!body.contains(&groups.replace(' ', "")), "{body}");
}

/// A new account `name` with no token (it enrols its first one at sign-in); returns its id.
async fn tokenless(h: &Harness, name: &str) -> identity::AccountId {
    let (id, _) = session_for(h, name, RECENT).await;
    assert!(h._store.tokens(id).await.unwrap().is_empty());
    id
}

on_both_backends! {
    async fn abuse_item3_another_session_never_sees_a_pending_seed(h: Harness) {
        let (bob, first) = session_for(&h, "bob", RECENT).await;
        let (_, second) = session_for(&h, "bob", RECENT).await;
        let (status, _, body) =
            send(&h.router, post("/api/add_totp_start", "label=App&device=Phone", &first)).await;
        assert!(status.is_success(), "{status} {body}");
        let (_, _, mine) = send(&h.router, post("/api/my_tokens", "", &first)).await;
        assert!(mine.contains("otpauth"), "the starting session sees it: {mine}");
        let groups = json_text(&mine, "secret_groups");
        let token_id = json_number(&mine, "token_id");

        // The other session of the same account is told that an app is being set up elsewhere,
        // never its secret.
        let (status, _, theirs) = send(&h.router, post("/api/my_tokens", "", &second)).await;
        assert!(status.is_success(), "{status} {theirs}");
        assert_no_seed(&theirs, &groups);
        assert!(theirs.contains("\"enrolment_elsewhere\":true"), "{theirs}");
        // Nor can it finish it, even with the right code.
        let form = format!("token_id={token_id}&code={}", code_from(&mine));
        let (status, _, body) = send(&h.router, post("/api/add_totp_finish", &form, &second)).await;
        assert!(!status.is_success(), "{status} {body}");
        assert!(h._store.active_tokens(bob).await.unwrap().is_empty());

        // Starting its own does not replace the first one, and shows only its own secret.
        let (status, _, body) =
            send(&h.router, post("/api/add_totp_start", "label=Other&device=Laptop", &second)).await;
        assert!(status.is_success(), "{status} {body}");
        let (_, _, theirs) = send(&h.router, post("/api/my_tokens", "", &second)).await;
        assert!(theirs.contains("otpauth"), "{theirs}");
        assert_ne!(json_text(&theirs, "secret_groups"), groups);
        assert_ne!(json_number(&theirs, "token_id"), token_id);
        let (_, _, again) = send(&h.router, post("/api/my_tokens", "", &first)).await;
        assert_eq!(json_text(&again, "secret_groups"), groups);
        assert!(!again.contains(&json_text(&theirs, "secret_groups")), "{again}");

        // The starting session finishes its own.
        let (status, _, body) = send(&h.router, post("/api/add_totp_finish", &form, &first)).await;
        assert!(status.is_success(), "{status} {body}");
        assert_eq!(h._store.active_tokens(bob).await.unwrap().len(), 1);
    }

    async fn abuse_item3_another_sign_in_attempt_never_sees_a_first_token_seed(h: Harness) {
        let carol = tokenless(&h, "carol").await;
        let first = attempt_of(&h, "carol").await;
        let second = attempt_of(&h, "carol").await;
        let (status, _, body) =
            send(&h.router, post("/api/start_enrolment", "label=App&device=Phone", &first)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let (_, _, mine) = send(&h.router, post("/api/pending_sign_in", "", &first)).await;
        assert!(mine.contains("otpauth"), "{mine}");
        let groups = json_text(&mine, "secret_groups");
        let token_id = json_number(&mine, "token_id");

        let (status, _, theirs) = send(&h.router, post("/api/pending_sign_in", "", &second)).await;
        assert!(status.is_success(), "{status} {theirs}");
        assert_no_seed(&theirs, &groups);
        assert!(theirs.contains("\"first_token\":true"), "{theirs}");
        // The other attempt cannot finish it with the right code either.
        let form = format!("token_id={token_id}&code={}", code_from(&mine));
        let (status, _, body) =
            send(&h.router, post("/api/finish_enrolment", &form, &second)).await;
        assert!(!status.is_success() && !status.is_redirection(), "{status} {body}");
        assert!(h._store.active_tokens(carol).await.unwrap().is_empty());
        // The starting attempt can.
        let (status, headers, body) =
            send(&h.router, post("/api/finish_enrolment", &form, &first)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let session = cookie_pair(&headers, "mayi_session");
        let (status, _, _) = send(&h.router, post("/api/my_account", "", &session)).await;
        assert!(status.is_success());
    }

    async fn abuse_item3_a_pending_seed_is_hidden_once_the_sign_in_is_old(h: Harness) {
        let (dave, cookie) = session_for(&h, "dave", RECENT).await;
        let (status, _, body) =
            send(&h.router, post("/api/add_totp_start", "label=App&device=Phone", &cookie)).await;
        assert!(status.is_success(), "{status} {body}");
        let (_, _, fresh) = send(&h.router, post("/api/my_tokens", "", &cookie)).await;
        assert!(fresh.contains("otpauth"), "{fresh}");
        let groups = json_text(&fresh, "secret_groups");
        let token_id = json_number(&fresh, "token_id");

        // Eleven minutes later (the sign-in moved back; the session itself is still live).
        identity::testing::execute_raw(
            &h._store.store,
            &format!(
                "UPDATE sessions SET created_at = created_at - 660000 WHERE account_id = {}",
                dave.0
            ),
        )
        .await
        .unwrap();
        let (status, _, old) = send(&h.router, post("/api/my_tokens", "", &cookie)).await;
        assert!(status.is_success(), "{status} {old}");
        assert!(old.contains("\"may_add\":false"), "{old}");
        assert_no_seed(&old, &groups);
        let form = format!("token_id={token_id}&code={}", code_from(&fresh));
        let (status, _, body) = send(&h.router, post("/api/add_totp_finish", &form, &cookie)).await;
        assert!(!status.is_success(), "{status} {body}");
        assert!(h._store.active_tokens(dave).await.unwrap().is_empty());
    }

    async fn abuse_item3_racing_first_enrolments_activate_at_most_one(h: Harness) {
        let erin = tokenless(&h, "erin").await;
        let attempts = [attempt_of(&h, "erin").await, attempt_of(&h, "erin").await];
        let mut forms = Vec::new();
        for attempt in &attempts {
            let (status, _, body) =
                send(&h.router, post("/api/start_enrolment", "label=App&device=Phone", attempt))
                    .await;
            assert!(status.is_success() || status.is_redirection(), "{status} {body}");
            let (_, _, body) = send(&h.router, post("/api/pending_sign_in", "", attempt)).await;
            forms.push((
                json_text(&body, "secret_groups"),
                format!("token_id={}&code={}", json_number(&body, "token_id"), code_from(&body)),
            ));
        }
        // Each attempt enrols its own app.
        assert_ne!(forms[0].0, forms[1].0);
        let (a, b) = tokio::join!(
            send(&h.router, post("/api/finish_enrolment", &forms[0].1, &attempts[0])),
            send(&h.router, post("/api/finish_enrolment", &forms[1].1, &attempts[1])),
        );
        let won = [&a, &b]
            .iter()
            .filter(|(status, _, _)| status.is_success() || status.is_redirection())
            .count();
        assert_eq!(won, 1, "{a:?} {b:?}");
        assert_eq!(h._store.active_tokens(erin).await.unwrap().len(), 1);

        // An account that got a token meanwhile (here: imported) gets no password-only first
        // token from an enrolment started before.
        let frank = tokenless(&h, "frank").await;
        let attempt = attempt_of(&h, "frank").await;
        send(&h.router, post("/api/start_enrolment", "label=App&device=Phone", &attempt)).await;
        let (_, _, body) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
        let form = format!("token_id={}&code={}", json_number(&body, "token_id"), code_from(&body));
        let imported = NewToken {
            label: "Imported".into(),
            device: None,
            ..totp_token(&cipher(), frank, &TotpSecret::generate())
        };
        h._store.insert_token(imported).await.unwrap();
        let (status, _, body) = send(&h.router, post("/api/finish_enrolment", &form, &attempt)).await;
        assert!(!status.is_success() && !status.is_redirection(), "{status} {body}");
        assert_eq!(h._store.active_tokens(frank).await.unwrap().len(), 1);
    }
}

// ---- item 6: re-authentication rotates the session id ----

on_both_backends! {
    async fn abuse_item6_reauthentication_rotates_the_session_id(h: Harness) {
        let (_, old) = session_for(&h, "grace", OLD).await;
        let form = format!("password={}", urlencode(PASSWORD));
        let (status, headers, body) = send(&h.router, post("/api/reauthenticate", &form, &old)).await;
        assert!(status.is_success(), "{status} {body}");
        let new = cookie_pair(&headers, "mayi_session");
        assert_ne!(new, old, "a new session id");
        // The old cookie stops working at once; the new one is the same session, now recent.
        let (status, _, body) = send(&h.router, post("/api/my_account", "", &old)).await;
        assert_eq!(status, axum::http::StatusCode::UNAUTHORIZED, "{body}");
        let (status, _, body) = send(&h.router, post("/api/my_tokens", "", &new)).await;
        assert!(status.is_success(), "{status} {body}");
        assert!(body.contains("\"may_add\":true"), "{body}");
        let (status, _, body) = send(&h.router, post("/api/my_account", "", &new)).await;
        assert!(status.is_success(), "{status} {body}");
        // A wrong password rotates nothing.
        let (status, headers, _) =
            send(&h.router, post("/api/reauthenticate", "password=not+it", &new)).await;
        assert_eq!(status, axum::http::StatusCode::UNAUTHORIZED);
        assert!(headers.get(axum::http::header::SET_COOKIE).is_none());
        let (status, _, _) = send(&h.router, post("/api/my_account", "", &new)).await;
        assert!(status.is_success());
    }

    async fn abuse_item6_a_pending_app_survives_the_rotation(h: Harness) {
        // Bindings are by session row id: the set-up started before a password re-entry is
        // still this session's after it.
        let (_, cookie) = session_for(&h, "heidi", RECENT).await;
        let (status, _, body) =
            send(&h.router, post("/api/add_totp_start", "label=App&device=Phone", &cookie)).await;
        assert!(status.is_success(), "{status} {body}");
        let (_, _, before) = send(&h.router, post("/api/my_tokens", "", &cookie)).await;
        let form = format!("password={}", urlencode(PASSWORD));
        let (_, headers, _) = send(&h.router, post("/api/reauthenticate", &form, &cookie)).await;
        let new = cookie_pair(&headers, "mayi_session");
        let (_, _, after) = send(&h.router, post("/api/my_tokens", "", &new)).await;
        assert_eq!(json_text(&after, "secret_groups"), json_text(&before, "secret_groups"));
    }
}

// ---- item 1: client addresses behind a trusted proxy ----

/// A sign-in request arriving over TCP from `peer` with a forwarding header line.
fn sign_in_via(
    peer: &str,
    header: &'static str,
    value: &str,
    username: &str,
    password: &str,
) -> Request<String> {
    with_header(from_peer(sign_in(username, password), peer), header, value)
}

/// A failed sign-in with a username nobody has, from `peer` with the header line.
async fn fail_via(h: &Harness, peer: &str, header: &'static str, value: &str) -> StatusCode {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let nobody = format!(
        "nobody{}",
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let (status, _, body) = send(
        &h.router,
        sign_in_via(peer, header, value, &nobody, "not the right passphrase"),
    )
    .await;
    assert!(matches!(status.as_u16(), 401 | 429), "{status} {body}");
    status
}

/// The address recorded with the newest audit event of `action` and `outcome`.
async fn audited_ip(
    h: &Harness,
    action: identity::AuditAction,
    outcome: identity::AuditOutcome,
) -> Option<String> {
    let query = identity::AuditQuery {
        action: Some(action),
        ..Default::default()
    };
    h._store
        .audit_events(query)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.outcome == outcome)
        .expect("an audit event")
        .event
        .ip
}

on_both_backends! {
    async fn abuse_item1_one_address_behind_the_proxy_cannot_lock_everyone_out(h: Harness) {
        let h = behind_proxies(h, &["127.0.0.1"]);
        // Far past the per-address limit (50 failed sign-ins per 15 minutes), all through the
        // one proxy.
        for _ in 0..60 {
            fail_via(&h, "127.0.0.1", "x-forwarded-for", "198.51.100.7").await;
        }
        // Another visitor behind the same proxy signs in.
        let (status, headers, body) = send(&h.router, sign_in_via("127.0.0.1", "x-forwarded-for", "198.51.100.8", "alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        cookie_pair(&headers, "mayi_signin");
        // The attacker's own address is refused, even with the right password.
        let (status, headers, body) = send(&h.router, sign_in_via("127.0.0.1", "x-forwarded-for", "198.51.100.7", "alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        let retry: u64 = headers[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
        assert!((1..=15 * 60).contains(&retry), "{retry}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "{headers:?}");
    }

    async fn abuse_item1_an_untrusted_peer_cannot_escape_its_limit_with_forwarding_headers(h: Harness) {
        // No trusted proxy: a fresh X-Forwarded-For or Forwarded on every request changes nothing.
        for i in 0..50 {
            if i % 2 == 0 {
                fail_via(&h, "203.0.113.5", "x-forwarded-for", &format!("198.51.100.{i}")).await;
            } else {
                fail_via(&h, "203.0.113.5", "forwarded", &format!("for=198.51.100.{i}")).await;
            }
        }
        for (name, value) in [("x-forwarded-for", "192.0.2.200"), ("forwarded", "for=192.0.2.201"), ("x-forwarded-for", "127.0.0.1")] {
            let (status, headers, body) = send(&h.router, sign_in_via("203.0.113.5", name, value, "alice", PASSWORD)).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{name}: {value}: {body}");
            assert!(headers.contains_key(header::RETRY_AFTER));
        }
        // The same with a trusted proxy configured: the peer is not that proxy, so its headers
        // are still not believed.
        let h = behind_proxies(h, &["127.0.0.1", "10.0.0.0/8"]);
        let (status, _, body) = send(&h.router, sign_in_via("203.0.113.5", "x-forwarded-for", "192.0.2.202", "alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        // Through the proxy, that address is the same client, limited as well; another is not.
        let (status, _, body) = send(&h.router, sign_in_via("10.1.2.3", "x-forwarded-for", "203.0.113.5", "alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        let (status, headers, body) = send(&h.router, sign_in_via("10.1.2.3", "x-forwarded-for", "203.0.113.6", "alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        cookie_pair(&headers, "mayi_signin");
    }

    async fn abuse_item1_a_spoofed_left_most_forwarded_entry_is_ignored(h: Harness) {
        let h = behind_proxies(h, &["127.0.0.1"]);
        // The visitor writes any left-most entry it likes; the proxy appends the real address.
        for i in 0..50 {
            if i % 2 == 0 {
                fail_via(&h, "127.0.0.1", "x-forwarded-for", &format!("1.2.3.{i}, 198.51.100.7")).await;
            } else {
                fail_via(&h, "127.0.0.1", "forwarded", &format!("for=1.2.3.{i}, for=198.51.100.7")).await;
            }
        }
        assert_eq!(
            audited_ip(&h, identity::AuditAction::SignInPassword, identity::AuditOutcome::Failure).await.as_deref(),
            Some("198.51.100.7")
        );
        for (name, value) in [("x-forwarded-for", "1.2.3.4, 198.51.100.7"), ("forwarded", "for=\"1.2.3.4\", for=198.51.100.7;proto=https"), ("x-forwarded-for", "198.51.100.7")] {
            let (status, _, body) = send(&h.router, sign_in_via("127.0.0.1", name, value, "alice", PASSWORD)).await;
            assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{value}: {body}");
        }
        // Naming the limited address on the left does not harm the real client on the right.
        let (status, headers, body) = send(&h.router, sign_in_via("127.0.0.1", "x-forwarded-for", "198.51.100.7, 198.51.100.20", "alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        cookie_pair(&headers, "mayi_signin");
    }

    async fn abuse_item1_audit_events_and_sessions_record_the_forwarded_address(h: Harness) {
        let h = behind_proxies(h, &["127.0.0.1", "10.0.0.0/8"]);
        use identity::{AuditAction::*, AuditOutcome::*};
        fail_via(&h, "127.0.0.1", "x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.0.0.2").await;
        assert_eq!(audited_ip(&h, SignInPassword, Failure).await.as_deref(), Some("198.51.100.7"));
        // An untrusted peer's header is not recorded: the peer is.
        fail_via(&h, "203.0.113.5", "x-forwarded-for", "198.51.100.9").await;
        assert_eq!(audited_ip(&h, SignInPassword, Failure).await.as_deref(), Some("203.0.113.5"));

        // Alice signs in from an IPv6 address, forwarded as RFC 7239 says.
        let forwarded = "for=\"[2001:db8::7]:4711\";proto=https";
        let (status, headers, body) = send(&h.router, sign_in_via("127.0.0.1", "forwarded", forwarded, "alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(audited_ip(&h, SignInPassword, Success).await.as_deref(), Some("2001:db8::7"));
        let attempt = cookie_pair(&headers, "mayi_signin");
        let (_, _, body) = send(&h.router, with_header(from_peer(post("/api/pending_sign_in", "", &attempt), "127.0.0.1"), "forwarded", forwarded)).await;
        let token_id = json_number(&body, "id");
        let verify = verify_totp(&attempt, token_id, &code_now(SECRET));
        let (status, headers, body) = send(&h.router, with_header(from_peer(verify, "127.0.0.1"), "forwarded", forwarded)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        cookie_pair(&headers, "mayi_session");
        let sessions = h._store.sessions(alice_id(&h).await).await.unwrap();
        assert_eq!(sessions.len(), 1);
        assert_eq!(sessions[0].ip.as_deref(), Some("2001:db8::7"));
        assert_eq!(audited_ip(&h, SignInSecondFactor, Success).await.as_deref(), Some("2001:db8::7"));
    }
}

// ---- item 2: nobody who knows a username can keep its owner out ----

on_both_backends! {
    /// Abuse case 16, RL-3: an attacker loops wrong passwords for alice from one address for the
    /// whole window; alice, from her own address, signs in and runs the wizard's first step.
    async fn abuse_item2_an_attacker_loop_never_keeps_the_owner_out(h: Harness) {
        give_alice_a_recovery_address(&h).await;
        let attacker = "198.51.100.7";
        let owner = "203.0.113.1";
        let mut delayed = 0;
        for _ in 0..30 {
            let (status, headers, _) =
                send(&h.router, from_peer(sign_in("alice", "a wrong guess"), attacker)).await;
            match status {
                StatusCode::UNAUTHORIZED => {}
                StatusCode::TOO_MANY_REQUESTS => {
                    assert!(headers.get(header::RETRY_AFTER).is_some());
                    delayed += 1;
                }
                other => panic!("unexpected {other}"),
            }
        }
        assert!(delayed >= 20, "the attacker's own address is delayed: {delayed}");
        // The right password waits at the attacker's address too: no oracle there.
        let (status, _, _) = send(&h.router, from_peer(sign_in("alice", PASSWORD), attacker)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        // The owner signs in at once from her own address...
        let (status, headers, body) =
            send(&h.router, from_peer(sign_in("alice", PASSWORD), owner)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        cookie_pair(&headers, "mayi_signin");
        // ...and Emergency Access step 1 works for her too.
        let start = post(
            "/api/emergency_start",
            &format!("username=alice&password={}", urlencode(PASSWORD)),
            "",
        );
        let (status, headers, body) = send(&h.router, from_peer(start, owner)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        cookie_pair(&headers, "mayi_emergency");
    }

    /// RL-6: 300 parallel wrong sign-ins from one address: at most the address's limit get past
    /// the check (the count is taken before the password is hashed, in the same statement).
    async fn abuse_item1_300_parallel_wrong_sign_ins_pass_the_address_check_at_most_the_limit(h: Harness) {
        let requests = (0..300).map(|i| {
            let router = h.router.clone();
            async move {
                send(&router, from_peer(sign_in(&format!("guess-{i}"), "wrong"), "198.51.100.9"))
                    .await
                    .0
            }
        });
        let statuses = join_all(requests).await;
        let past = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNAUTHORIZED || **s == StatusCode::SERVICE_UNAVAILABLE)
            .count();
        let refused = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
        assert!(past <= 50, "{past} got past a limit of 50");
        assert_eq!(past + refused, 300, "{statuses:?}");
    }
}

// ---- item 4: "this was not me" undoes what the emergency session did ----

/// Emergency Access steps 1 to 3 for alice (her password, the code mailed to her recovery
/// address, the reason) from a browser at `peer` (no client address if `None`) sending
/// `browser` (its remembered-browser cookie, or ""); returns the cookies it sends from then on.
async fn wizard_steps(h: &Harness, peer: Option<&str>, browser: &str) -> String {
    let start = post(
        "/api/emergency_start",
        &format!("username=alice&password={}", urlencode(PASSWORD)),
        browser,
    );
    let start = match peer {
        Some(peer) => from_peer(start, peer),
        None => start,
    };
    let (status, headers, body) = send(&h.router, start).await;
    assert!(
        status.is_success() || status.is_redirection(),
        "{status} {body}"
    );
    let wizard = cookie_pair(&headers, "mayi_emergency");
    let cookies = if browser.is_empty() {
        wizard
    } else {
        format!("{wizard}; {browser}")
    };
    let code = queued_code(&h._store, "alice@example.org").await;
    for (path, form) in [
        ("/api/emergency_prove", format!("code={code}")),
        (
            "/api/emergency_reason",
            "reason=lost_phone&details=".to_string(),
        ),
    ] {
        let (status, _, body) = send(&h.router, post(path, &form, &cookies)).await;
        assert!(
            status.is_success() || status.is_redirection(),
            "{path}: {status} {body}"
        );
    }
    cookies
}

/// Runs the wizard for alice over HTTP from `peer`; returns the emergency code as shown.
async fn wizard_code(h: &Harness, peer: &str) -> String {
    let wizard = wizard_steps(h, Some(peer), "").await;
    let (_, _, body) = send(&h.router, post("/api/emergency_take_code", "", &wizard)).await;
    json_text(&body, "grouped")
}

/// The "this was not me" link's token from the newest notice that carries one.
async fn cancel_token(h: &Harness) -> String {
    let messages = h._store.store.outbox_messages(1000).await.unwrap();
    let body = &messages
        .iter()
        .rev()
        .find(|m| m.body.contains("/emergency/cancel?t="))
        .expect("a notice with the link")
        .body;
    body.split("/emergency/cancel?t=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

on_both_backends! {
    /// An attacker with alice's password and her recovery mailbox gets a code, signs in with it,
    /// adds their own e-mail contact and token; alice's "this was not me" undoes it all, signs
    /// everyone out and locks the account for the help desk.
    async fn abuse_item4_not_me_undoes_the_emergency_session_and_locks(h: Harness) {
        // The attacker's code is valid at once here (no waiting period for an unknown browser,
        // issue 13 item 5): this is about what "this was not me" undoes.
        let h = with_policy(h, TRUSTING_POLICY);
        let alice = give_alice_a_recovery_address(&h).await;
        let code = wizard_code(&h, "198.51.100.7").await;
        let attempt = attempt_of(&h, "alice").await;
        let (status, headers, body) =
            send(&h.router, post("/api/verify_emergency", &format!("code={}", urlencode(&code)), &attempt)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let session = cookie_pair(&headers, "mayi_session");
        // In the restricted session: a contact of the attacker's (they confirm it with its code).
        let (status, _, body) =
            send(&h.router, post("/api/add_contact", "kind=email&value=mallory%40evil.example", &session)).await;
        assert!(status.is_success(), "{status} {body}");
        let contact_id = h._store.store.contacts(alice).await.unwrap().iter()
            .find(|c| c.value == "mallory@evil.example").unwrap().id.0;
        let confirmation = queued_code(&h._store, "mallory@evil.example").await;
        let (status, _, body) = send(&h.router, post(
            "/api/confirm_contact",
            &format!("contact_id={contact_id}&code={confirmation}"),
            &session,
        )).await;
        assert!(status.is_success(), "{status} {body}");
        let link = cancel_token(&h).await;
        // Alice follows the link from the notice.
        let (status, _, body) =
            send(&h.router, post("/api/emergency_cancel", &format!("t={link}"), "")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Undone"), "{body}");
        // The restricted session is gone, the contact too, the account locked.
        let (status, _, _) = send(&h.router, post("/api/my_tokens", "", &session)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let contacts = h._store.store.contacts(alice).await.unwrap();
        assert!(contacts.iter().all(|c| c.value != "mallory@evil.example"), "{contacts:?}");
        assert!(contacts.iter().any(|c| c.value == "alice@example.org" && c.is_recovery));
        let account = h._store.store.account_by_id(alice).await.unwrap().unwrap();
        assert_eq!(account.state, AccountState::Locked);
        let (status, _, _) = send(&h.router, sign_in("alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "a locked account does not sign in");
        // The page says so, and a second use of the link says it was used.
        let (_, _, again) =
            send(&h.router, post("/api/emergency_cancel", &format!("t={link}"), "")).await;
        assert!(again.contains("AlreadyUsed"), "{again}");
    }

    /// Removing a token, "I lost this device" and signing out other sessions need a recent
    /// authentication, like additions (RB-1).
    async fn abuse_item4_destructive_self_service_needs_recent_authentication(h: Harness) {
        let (_, stale) = session_for(&h, "bob", OLD).await;
        for (path, form) in [
            ("/api/remove_token", "token_id=1"),
            ("/api/lost_device", "device=Pixel%207"),
            ("/api/end_other_sessions", ""),
            ("/api/end_session", "session_id=999"),
        ] {
            let (status, _, body) = send(&h.router, post(path, form, &stale)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
            assert_eq!(body, "\"NotRecent\"", "{path}");
        }
    }
}

// ---- item 5: "Block my lost phone now" ----

on_both_backends! {
    /// With the username and password alone, every token of the chosen device is blocked and
    /// every session ends; nothing is unlocked, and the blocked token no longer signs in.
    async fn abuse_item5_block_my_lost_phone_now_over_http(h: Harness) {
        let alice = alice_id(&h).await;
        let session = session_cookie(&h._store, alice, SessionScope::Full).await;
        let start = |password: &str| {
            post(
                "/api/freeze_start",
                &format!("username=alice&password={}", urlencode(password)),
                "",
            )
        };
        // A wrong password answers like sign-in and opens nothing.
        let wrong = send(&h.router, start("not it")).await;
        let unknown = send(
            &h.router,
            post("/api/freeze_start", "username=nobody&password=not%20it", ""),
        )
        .await;
        assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
        assert_eq!((wrong.0, &wrong.2), (unknown.0, &unknown.2));
        let (status, headers, body) = send(&h.router, start(PASSWORD)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let attempt = cookie_pair(&headers, "mayi_signin");
        let (status, _, body) = send(&h.router, post("/api/freeze_devices", "", &attempt)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"name\":\"Pixel 7\""), "{body}");
        // Another account's device or a made-up one: nothing happens.
        let (status, _, _) =
            send(&h.router, post("/api/freeze_device", "device=Nokia", &attempt)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, _, body) =
            send(&h.router, post("/api/freeze_device", "device=Pixel%207", &attempt)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, "1");
        // Everyone is signed out; the attempt used is gone; the blocked app signs no one in.
        let (status, _, _) = send(&h.router, post("/api/my_account", "", &session)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, _) = send(&h.router, post("/api/freeze_devices", "", &attempt)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let attempt = attempt_of(&h, "alice").await;
        let (_, _, second) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
        assert!(!second.contains("Pixel 7"), "{second}");
        // Every token is blocked, yet the account had tokens: whoever holds the password does not
        // get to set up a "first" authenticator app of their own (a full takeover).
        assert!(second.contains("\"first_token\":false"), "{second}");
        let (status, _, body) = send(
            &h.router,
            post("/api/start_enrolment", "label=Mine&device=Attacker%20phone", &attempt),
        )
        .await;
        assert!(status.is_client_error(), "{status} {body}");
        assert!(h._store.store.tokens(alice).await.unwrap().iter().all(|t| t.state != TokenState::Pending));
        let token = h._store.store.tokens(alice).await.unwrap()[0].clone();
        assert_eq!(token.state, TokenState::Blocked);
        let (status, _, _) =
            send(&h.router, verify_totp(&attempt, token.id.0, &code_now(SECRET))).await;
        assert!(status.is_client_error(), "{status}");
        assert!(h._store.store.session(&identity::SessionToken::generate()).await.unwrap().is_none());
    }

    /// Without JavaScript: plain form posts go from step to step.
    async fn abuse_item5_block_my_lost_phone_now_works_as_plain_html_forms(h: Harness) {
        let form = |uri: &str, body: String, cookie: &str| form_post(uri, &body, cookie, "/freeze");
        let (status, headers, _) = send(
            &h.router,
            form("/api/freeze_start", format!("username=alice&password={}", urlencode(PASSWORD)), ""),
        )
        .await;
        assert!(status.is_redirection(), "{status}");
        assert_eq!(headers[header::LOCATION], "/freeze/device");
        let attempt = cookie_pair(&headers, "mayi_signin");
        let (status, _, page) = send(
            &h.router,
            with_header(get("/freeze/device"), "cookie", &attempt),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Block Pixel 7"), "{page}");
        let (status, headers, _) = send(
            &h.router,
            form("/api/freeze_device", "device=Pixel%207".into(), &attempt),
        )
        .await;
        assert!(status.is_redirection(), "{status}");
        assert_eq!(headers[header::LOCATION], "/freeze/done");
    }
}

// ---- item 5: waiting period by trust ----

/// A second authenticator app of alice's (another secret), for a second full sign-in within
/// the same 30 seconds (a TOTP code is accepted once).
const SECOND_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

async fn add_second_app(h: &Harness) {
    let alice = alice_id(h).await;
    let secret = TotpSecret::from_base32(SECOND_SECRET).unwrap();
    let backup = NewToken {
        label: "Backup app".into(),
        device: Some("Tablet".into()),
        ..totp_token(&cipher(), alice, &secret)
    };
    h._store.insert_token(backup).await.unwrap();
}

/// A full sign-in of alice (password and her authenticator app) from a browser sending
/// `cookies` (its remembered-browser cookie, if any). Returns the response's cookies: the
/// session's and the remembered browser's, by name (`prefix` "" or "__Host-").
async fn full_sign_in(h: &Harness, prefix: &str, cookies: &str) -> axum::http::HeaderMap {
    full_sign_in_with(h, prefix, cookies, SECRET).await
}

/// The same with the app whose secret is `secret`.
async fn full_sign_in_with(
    h: &Harness,
    prefix: &str,
    cookies: &str,
    secret: &str,
) -> axum::http::HeaderMap {
    let request = sign_in("alice", PASSWORD);
    let request = if cookies.is_empty() {
        request
    } else {
        with_header(request, "cookie", cookies)
    };
    let (status, headers, body) = send(&h.router, request).await;
    assert!(
        status.is_success() || status.is_redirection(),
        "{status} {body}"
    );
    let attempt = cookie_pair(&headers, &format!("{prefix}mayi_signin"));
    let index = if secret == SECRET { 0 } else { 1 };
    let token = h._store.active_tokens(alice_id(h).await).await.unwrap()[index]
        .id
        .0;
    let cookie = if cookies.is_empty() {
        attempt
    } else {
        format!("{attempt}; {cookies}")
    };
    let (status, headers, body) =
        send(&h.router, verify_totp(&cookie, token, &code_now(secret))).await;
    assert!(
        status.is_success() || status.is_redirection(),
        "{status} {body}"
    );
    headers
}

/// The whole wizard for alice from a browser sending `browser` (its remembered-browser cookie,
/// or "" for a browser that never signed in); returns the step-4 page (HTML, with the code).
async fn wizard_page(h: &Harness, browser: &str) -> String {
    let cookies = wizard_steps(h, None, browser).await;
    let (status, _, page) = send(&h.router, page("/emergency/code", &cookies)).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

/// The code shown on a step-4 page.
fn shown_code(page: &str) -> String {
    page.split("class=\"emergency-code\"")
        .nth(1)
        .and_then(|rest| rest.split("<code>").nth(1))
        .and_then(|rest| rest.split("</code>").next())
        .unwrap_or_else(|| panic!("no code on the page: {page}"))
        .to_string()
}

/// Signs in with the password and then the emergency `code`.
async fn sign_in_with_code(h: &Harness, code: &str) -> (StatusCode, axum::http::HeaderMap, String) {
    let attempt = attempt_of(h, "alice").await;
    send(
        &h.router,
        post(
            "/api/verify_emergency",
            &format!("code={}", urlencode(code)),
            &attempt,
        ),
    )
    .await
}

on_both_backends! {
    /// Issue 13 item 5: the whole wizard over HTTP from a browser that signed in to the account
    /// before (its code is valid at once) and from a fresh one (its code waits 24 hours, the
    /// step-4 page says so and until when, signing in with it is refused saying from when it
    /// works, until an operator approves it in the console, which is audited).
    async fn trust_item5_wizard_from_a_remembered_browser_vs_a_fresh_one(h: Harness) {
        let alice = give_alice_a_recovery_address(&h).await;
        // The laptop alice signed in on before losing her phone.
        let headers = full_sign_in(&h, "", "").await;
        let laptop = cookie_pair(&headers, "mayi_browser");
        let set = headers.get_all(header::SET_COOKIE).iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("mayi_browser="))
            .unwrap();
        for part in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=15552000"] {
            assert!(set.contains(part), "{part} in {set}");
        }
        assert_eq!(h._store.store.remembered_browsers(alice).await.unwrap().len(), 1);
        // Listed on /account, this browser marked.
        let session = cookie_pair(&headers, "mayi_session");
        let (status, _, body) =
            send(&h.router, post("/api/my_browsers", "", &format!("{session}; {laptop}"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"current\":true"), "{body}");

        // From the laptop: the code works at once, and the page says nothing of waiting.
        let page = wizard_page(&h, &laptop).await;
        assert!(!page.contains("waiting period"), "{page}");
        let code = shown_code(&page);
        let (status, _, body) = sign_in_with_code(&h, &code).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");

        // From a fresh browser: the page says when it works and why.
        let page = wizard_page(&h, "").await;
        let code = shown_code(&page);
        let waiting = h._store.store.emergency_codes(alice).await.unwrap()[0].clone();
        assert!(waiting.unknown_browser);
        let from = app::ssr::format_utc(waiting.valid_from.as_millis());
        let hours = (waiting.valid_from.as_millis() - waiting.created_at.as_millis()) as f64 / 3_600_000.0;
        assert!((hours - 24.0).abs() < 0.01, "{hours}");
        assert!(page.contains("Usable from"), "{page}");
        assert!(page.contains(&from), "{from} in {page}");
        assert!(page.contains("Because you asked from a browser that never signed in to this account, there is a waiting period of 24 hours. Your help desk can approve it sooner."), "{page}");
        // Signing in with it is refused until then, saying from when it works.
        let (status, _, body) = sign_in_with_code(&h, &code).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body, format!("{{\"CodeNotYetValid\":\"{from}\"}}"));
        let message = app::AppError::CodeNotYetValid(from.clone()).to_string();
        assert!(message.contains(&format!("cannot be used yet: it works from {from}")), "{message}");
        // The laptop's cookie sent along does not help a code asked for without it.
        let attempt = attempt_of(&h, "alice").await;
        let (status, _, _) = send(&h.router, post("/api/verify_emergency", &format!("code={}", urlencode(&code)), &format!("{attempt}; {laptop}"))).await;
        assert_eq!(status, StatusCode::FORBIDDEN);

        // The help desk approves it from the console (an operator's full session).
        let (_, olga) = session_for(&h, "olga", RECENT).await;
        h._store.store.set_role(&Username::parse("olga").unwrap(), Role::Operator).await.unwrap();
        let (status, _, page) = send(&h.router, crate::support::client::page(&format!("/admin/users/{}", alice.0), &olga)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("Approve now"), "{page}");
        assert!(page.contains("asked from an unknown browser"), "{page}");
        let (status, _, body) = send(&h.router, post(
            "/api/console_approve_code",
            &format!("user_id={}&reason=called+her+back", alice.0),
            &olga,
        )).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let (status, _, body) = sign_in_with_code(&h, &code).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let approved = h._store.store.audit_events(identity::AuditQuery {
            action: Some(identity::AuditAction::EmergencyCodeApproved),
            ..identity::AuditQuery::default()
        }).await.unwrap();
        assert_eq!(approved.len(), 1);
        assert_eq!(approved[0].subject, Some(alice));
    }

    /// Issue 13 item 5: "Forget" works for one's own browsers only, and a password change
    /// forgets every browser (and deletes this one's cookie).
    async fn trust_item5_forget_and_password_change_over_http(h: Harness) {
        let alice = give_alice_a_recovery_address(&h).await;
        add_second_app(&h).await;
        let headers = full_sign_in(&h, "", "").await;
        let laptop = cookie_pair(&headers, "mayi_browser");
        let session = format!("{}; {laptop}", cookie_pair(&headers, "mayi_session"));
        let (bob, bob_session) = session_for(&h, "bob", RECENT).await;
        let (bobs_browser, _) = h._store.store.remember_browser(bob, None, None, None).await.unwrap();
        let bobs = h._store.store.remembered_browser(bob, &bobs_browser).await.unwrap().unwrap();
        // Not another account's browser (404, nothing forgotten).
        let (status, _, _) = send(&h.router, post("/api/forget_browser", &format!("browser_id={}", bobs.id.0), &session)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(h._store.store.remembered_browser(bob, &bobs_browser).await.unwrap().is_some());
        // Not from bob's session either, for alice's browser.
        let mine = h._store.store.remembered_browsers(alice).await.unwrap()[0].id.0;
        let (status, _, _) = send(&h.router, post("/api/forget_browser", &format!("browser_id={mine}"), &bob_session)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        // Her own: forgotten, its cookie deleted, audited.
        let (status, headers, body) = send(&h.router, post("/api/forget_browser", &format!("browser_id={mine}"), &session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let cleared = headers.get_all(header::SET_COOKIE).iter().map(|v| v.to_str().unwrap().to_string())
            .find(|c| c.starts_with("mayi_browser=;")).expect("the cookie is deleted");
        assert!(cleared.contains("Max-Age=0"), "{cleared}");
        assert!(h._store.store.remembered_browsers(alice).await.unwrap().is_empty());
        let (_, _, body) = send(&h.router, post("/api/my_browsers", "", &session)).await;
        assert_eq!(body, "[]");
        // Remembered again at the next full sign-in; then a password change forgets it.
        let headers = full_sign_in_with(&h, "", &laptop, SECOND_SECRET).await;
        let again = cookie_pair(&headers, "mayi_browser");
        assert_ne!(again, laptop, "a forgotten token is never taken back");
        let session = format!("{}; {again}", cookie_pair(&headers, "mayi_session"));
        assert_eq!(h._store.store.remembered_browsers(alice).await.unwrap().len(), 1);
        let (status, headers, body) = send(&h.router, post(
            "/api/change_password",
            &format!("current={}&new=another+fine+passphrase&again=another+fine+passphrase", urlencode(PASSWORD)),
            &session,
        )).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        assert!(h._store.store.remembered_browsers(alice).await.unwrap().is_empty());
        assert!(headers.get_all(header::SET_COOKIE).iter().any(|v| v.to_str().unwrap().starts_with("mayi_browser=;")));
        assert!(h._store.store.remembered_browser(bob, &bobs_browser).await.unwrap().is_some());
    }
}

/// Issue 13 item 5, SE-3: outside development mode the remembered-browser cookie is
/// `__Host-` prefixed, Secure and HttpOnly, and is what makes the next code valid at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_item5_production_browser_cookie_is_host_prefixed_secure_and_http_only() {
    let h = outside_development_mode().await;
    let headers = full_sign_in(&h, "__Host-", "").await;
    let set = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("__Host-mayi_browser="))
        .unwrap_or_else(|| panic!("no __Host-mayi_browser cookie in {headers:?}"));
    for part in [
        "Secure",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=15552000",
    ] {
        assert!(set.contains(part), "{part} in {set}");
    }
    assert!(!set.contains("Domain"), "{set}");
    // The development name is not read in production.
    let value = set
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_string();
    let session = cookie_pair(&headers, "__Host-mayi_session");
    let (_, _, body) = send(
        &h.router,
        post(
            "/api/my_browsers",
            "",
            &format!("{session}; mayi_browser={value}"),
        ),
    )
    .await;
    assert!(body.contains("\"current\":false"), "{body}");
    let (_, _, body) = send(
        &h.router,
        post(
            "/api/my_browsers",
            "",
            &format!("{session}; __Host-mayi_browser={value}"),
        ),
    )
    .await;
    assert!(body.contains("\"current\":true"), "{body}");
}
