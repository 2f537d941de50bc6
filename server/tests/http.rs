//! HTTP-level tests: requests sent to the real router (`server::http::router`) over a real
//! store, on SQLite and on PostgreSQL, without a browser.

#[macro_use]
mod support;

use support::harness::*;

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
        let attempt = attempt_of(&h, "alice").await;
        // SE-8: the attempt is not a session.
        let (status, _, _) = send(&h.router, post("/api/my_account", "", &attempt)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, body) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Authenticator app") && body.contains("Pixel 7"), "{body}");
        assert!(!body.contains(SECRET), "no secret leaves the server: {body}");
        let token_id = first_token_id(&body);

        let code = code_now(SECRET);
        let (status, headers, body) = send(&h.router, verify_totp(&attempt, token_id, &code)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let session = cookie_pair(&headers, "mayi_session");
        assert_ne!(session.split('=').nth(1), attempt.split('=').nth(1), "SE-2: a new token");

        let (status, headers, body) = send(&h.router, post("/api/my_account", "", &session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Alice Liddell"), "{body}");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");

        // OTP-6: the same code again, in a new attempt, is refused.
        let attempt = attempt_of(&h, "alice").await;
        let (status, _, body) = send(&h.router, verify_totp(&attempt, token_id, &code)).await;
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

        // Files in a build's content-named directory (as `cargo xtask build` writes them) are
        // kept for a year, also compressed and on revalidation; a missing one is not cached.
        let hashed = "/pkg/0123456789abcdef/mayi-id.js";
        let build = h._site.path().join("pkg/0123456789abcdef");
        std::fs::create_dir_all(&build).unwrap();
        std::fs::write(build.join("mayi-id.js"), "export default 1;\n").unwrap();
        std::fs::write(build.join("mayi-id.js.br"), b"br").unwrap();
        let immutable = "public, max-age=31536000, immutable";
        let (status, headers, body) = send(&h.router, get(hashed)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "export default 1;\n"));
        assert_eq!(headers[header::CACHE_CONTROL], immutable);
        let request = Request::get(hashed)
            .header(header::ACCEPT_ENCODING, "br")
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = send(&h.router, request).await;
        assert_eq!((status, headers[header::CONTENT_ENCODING].to_str().unwrap()), (StatusCode::OK, "br"));
        assert_eq!(headers[header::CACHE_CONTROL], immutable);
        let request = Request::get(hashed)
            .header(header::IF_MODIFIED_SINCE, headers[header::LAST_MODIFIED].clone())
            .body(Body::empty())
            .unwrap();
        let (status, headers, _) = send(&h.router, request).await;
        assert_eq!(status, StatusCode::NOT_MODIFIED);
        assert_eq!(headers[header::CACHE_CONTROL], immutable);
        let (status, headers, _) = send(&h.router, get("/pkg/fedcba9876543210/mayi-id.js")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(headers[header::CACHE_CONTROL], "no-cache");
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
    let answers = join_all(calls).await;
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

/// SE-3: outside development mode the cookies are `__Host-` prefixed and Secure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn se_3_production_cookies_are_host_prefixed_and_secure() {
    let h = outside_development_mode().await;
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

/// Each of `calls` (path, form) answers 401 to a caller without a cookie and to a pending
/// sign-in attempt's (SE-8: an attempt is not a session).
async fn assert_refused_without_a_session(h: &Harness, calls: &[(&str, &str)]) {
    let attempt = attempt_of(h, "alice").await;
    for (path, form) in calls {
        for cookie in ["", attempt.as_str()] {
            let (status, _, body) = send(&h.router, post(path, form, cookie)).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{path} with {cookie:?}: {body}"
            );
        }
    }
}

/// AC-1, SE-8: every protected server function refuses a caller without a session, and a
/// pending sign-in attempt is not a session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ac_1_protected_functions_refuse_anonymous_and_pending_callers() {
    let h = harness(identity::testing::sqlite().await).await;
    assert_refused_without_a_session(
        &h,
        &[
            ("/api/my_account", ""),
            ("/api/my_tokens", ""),
            ("/api/remove_token", "token_id=1"),
            ("/api/lost_device", "device=Pixel+7"),
        ],
    )
    .await;
    // Nothing was removed.
    let attempt = attempt_of(&h, "alice").await;
    let (_, _, body) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
    assert!(body.contains("Pixel 7"), "{body}");
}

on_both_backends! {
    /// RB-3, EC-7, EC-11: the wizard over HTTP, the code shown once, the restricted session it
    /// opens refused by a non-token function (403, audited), allowed the token list.
    async fn emergency_wizard_code_and_restricted_session_over_http(h: Harness) {
        // The code is valid at once here (no waiting period for an unknown browser, issue 13
        // item 5; abuse.rs covers that wait).
        let h = with_policy(h, TRUSTING_POLICY);
        let alice = give_alice_a_recovery_address(&h).await;
        // Step 1 answers like sign-in: one answer for a wrong password and an unknown user.
        let start = |user: &str, password: &str| {
            post(
                "/api/emergency_start",
                &format!("username={}&password={}", urlencode(user), urlencode(password)),
                "",
            )
        };
        let wrong = send(&h.router, start("alice", "not the password")).await;
        let unknown = send(&h.router, start("nobody", "not the password")).await;
        assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
        assert_eq!((wrong.0, &wrong.2), (unknown.0, &unknown.2));
        assert!(wrong.1.get(header::SET_COOKIE).is_none());
        let (status, headers, body) = send(&h.router, start("alice", PASSWORD)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let wizard = cookie_pair(&headers, "mayi_emergency");
        // A later step cannot be reached before the earlier ones.
        let (status, _, body) = send(&h.router, post("/api/emergency_reason", "reason=lost_phone", &wizard)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        let (status, headers, _) = send(&h.router, page("/emergency/reason", &wizard)).await;
        assert!(status.is_redirection(), "{status}");
        assert_eq!(headers[header::LOCATION], "/emergency/prove");
        let (_, _, page) = send(&h.router, with_header(get("/emergency/prove"), "cookie", &wizard)).await;
        assert!(page.contains("a•••@example.org"), "{page}");
        let code = queued_code(&h._store, "alice@example.org").await;
        let (status, _, body) = send(&h.router, post("/api/emergency_prove", &format!("code={code}"), &wizard)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let (status, _, body) = send(&h.router, post("/api/emergency_reason", "reason=lost_phone&details=", &wizard)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        // Step 4: the code, once.
        let (status, _, body) = send(&h.router, post("/api/emergency_take_code", "", &wizard)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let grouped = body.split("\"grouped\":\"").nth(1).unwrap().split('"').next().unwrap().to_string();
        assert_eq!(grouped.len(), 19, "{grouped}");
        let (_, _, again) = send(&h.router, post("/api/emergency_take_code", "", &wizard)).await;
        assert_eq!(again, "null");
        let (_, _, info) = send(&h.router, post("/api/emergency_wizard", "", &wizard)).await;
        assert!(info.contains("\"uses_left\":3") && !info.contains(&grouped), "EC-8: {info}");
        // Sign in with password + code (lower case, spaces: tolerated).
        let attempt = attempt_of(&h, "alice").await;
        let typed = grouped.to_lowercase().replace('-', " ");
        let (status, headers, body) = send(&h.router, post("/api/verify_emergency", &format!("code={}", urlencode(&typed)), &attempt)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let session = cookie_pair(&headers, "mayi_session");
        // EC-11: token functions open, others refused with 403 and an audit event.
        let (status, _, body) = send(&h.router, post("/api/my_tokens", "", &session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, _, body) = send(&h.router, post("/api/recovery_status", "", &session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"uses_left\":2") && body.contains("\"may_finish\":false"), "{body}");
        for (path, form) in [("/api/my_sessions", ""), ("/api/end_other_sessions", ""), ("/api/end_session", "session_id=1")] {
            let (status, _, body) = send(&h.router, post(path, form, &session)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        }
        let denied = h._store.store.audit_events(identity::AuditQuery { subject: Some(alice), ..Default::default() }).await.unwrap();
        assert!(denied.iter().any(|e| e.action == identity::AuditAction::AccessDenied), "{denied:?}");
        // Finishing needs a new token first.
        let (status, _, body) = send(&h.router, post("/api/finish_recovery", "end_others=on", &session)).await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
        // The restricted session may remove the last token (it exists for that).
        let (_, _, tokens) = send(&h.router, post("/api/my_tokens", "", &session)).await;
        let token_id = json_number(&tokens, "id");
        let (status, _, body) = send(&h.router, post("/api/remove_token", &format!("token_id={token_id}"), &session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // A code typed for the wrong account's attempt does nothing (EC-10) and the wizard cookie
        // is no session.
        let (status, _, _) = send(&h.router, post("/api/my_tokens", "", &wizard)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }

    /// The wizard without JavaScript: plain form posts redirect from step to step.
    async fn emergency_wizard_works_as_plain_html_forms(h: Harness) {
        give_alice_a_recovery_address(&h).await;
        let form = |uri: &str, body: String, cookie: &str| form_post(uri, &body, cookie, "/emergency");
        let (status, headers, _) = send(&h.router, form("/api/emergency_start", format!("username=alice&password={}", urlencode(PASSWORD)), "")).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers[header::LOCATION], "/emergency/prove");
        let wizard = cookie_pair(&headers, "mayi_emergency");
        let code = queued_code(&h._store, "alice@example.org").await;
        let (status, headers, _) = send(&h.router, form("/api/emergency_prove", format!("code={code}"), &wizard)).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers[header::LOCATION], "/emergency/reason");
        let (status, headers, _) = send(&h.router, form("/api/emergency_reason", "reason=other&details=Phone+stolen".into(), &wizard)).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers[header::LOCATION], "/emergency/code");
        let (status, _, page) = send(&h.router, with_header(get("/emergency/code"), "cookie", &wizard)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(page.contains("class=\"emergency-code\""), "{page}");
        assert!(page.contains("3 / 3"), "{page}");
        // A reload does not show it again.
        let (_, _, page) = send(&h.router, with_header(get("/emergency/code"), "cookie", &wizard)).await;
        assert!(!page.contains("class=\"emergency-code\""), "{page}");
        assert!(page.contains("already shown"), "{page}");
    }
}
// ---- SMS and email tokens, contacts, password re-entry (issue 4) ----

on_both_backends! {
    async fn oob_1_sms_token_over_http_is_active_only_after_its_code_and_b_cannot_touch_it(h: Harness) {
        let (alice, a) = session_for(&h, "alice", RECENT).await;
        let (_, b) = session_for(&h, "bob", RECENT).await;
        // Bad input: a clear error, nothing written, nothing sent.
        let (status, _, body) = send(&h.router, post("/api/add_oob_start", "kind=sms&target=0601+555+123&label=Phone&device=", &a)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(body.contains("international form"), "{body}");
        assert!(h._store.tokens(alice).await.unwrap().len() == 1);
        assert!(h._store.outbox_messages(10).await.unwrap().is_empty());

        let form = "kind=sms&target=%2B420+601+555+123&label=Work+phone&device=Pixel+9";
        let (status, _, body) = send(&h.router, post("/api/add_oob_start", form, &a)).await;
        assert!(status.is_success(), "{status} {body}");
        let (_, _, body) = send(&h.router, post("/api/my_tokens", "", &a)).await;
        assert!(body.contains("\"target\":\"+420 601 555 123\""), "shown back formatted: {body}");
        let token_id = json_number(body.split("oob_enrolment").nth(1).unwrap(), "token_id");
        let code = queued_code(&h._store, "+420601555123").await;
        // Pending: not a way to sign in yet.
        assert_eq!(h._store.active_tokens(alice).await.unwrap().len(), 1);

        // IDOR: Bob can neither finish nor resend Alice's enrolment, even with the right code.
        let finish = format!("token_id={token_id}&code={code}");
        let (status, _, body) = send(&h.router, post("/api/add_oob_finish", &finish, &b)).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
        let (status, _, _) = send(&h.router, post("/api/add_oob_resend", &format!("token_id={token_id}"), &b)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        let bad = format!("token_id={token_id}&code={}", wrong(&code));
        let (status, _, body) = send(&h.router, post("/api/add_oob_finish", &bad, &a)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("InvalidCode"), "{body}");
        let (status, _, body) = send(&h.router, post("/api/add_oob_finish", &finish, &a)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("Work phone"), "{body}");
        assert_eq!(h._store.active_tokens(alice).await.unwrap().len(), 2);
        // RB-2: Alice's address she had before is told.
        let told = h._store.outbox_messages(20).await.unwrap().iter().filter(|m| m.recipient == "alice@example.org").count();
        assert_eq!(told, 1);

        // IDOR: Bob cannot remove it either; it stays active.
        let (status, _, _) = send(&h.router, post("/api/remove_token", &format!("token_id={token_id}"), &b)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(h._store.active_tokens(alice).await.unwrap().len(), 2);
    }

    async fn contacts_over_http_and_b_cannot_confirm_or_remove_a_contact_of_a(h: Harness) {
        let (alice, a) = session_for(&h, "alice", RECENT).await;
        let (_, b) = session_for(&h, "bob", RECENT).await;
        let (status, _, body) = send(&h.router, post("/api/add_contact", "kind=email&value=alice%40work.example", &a)).await;
        assert!(status.is_success(), "{status} {body}");
        let (_, _, body) = send(&h.router, post("/api/my_contacts", "", &a)).await;
        assert!(body.contains("alice@work.example") && body.contains("\"may_change\":true"), "{body}");
        let contact = h._store.contacts(alice).await.unwrap().into_iter().find(|c| c.value == "alice@work.example").unwrap();
        assert!(!contact.confirmed);
        let id = contact.id.0;
        let code = queued_code(&h._store, "alice@work.example").await;

        for (path, form) in [
            ("/api/confirm_contact", format!("contact_id={id}&code={code}")),
            ("/api/resend_contact_code", format!("contact_id={id}")),
            ("/api/remove_contact", format!("contact_id={id}")),
            ("/api/set_recovery_address", format!("contact_id={id}")),
        ] {
            let (status, _, body) = send(&h.router, post(path, &form, &b)).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {body}");
            assert!(body.contains("ContactNotFound"), "{body}");
        }
        // Bob's own list does not show it; Alice's contact is as it was.
        let (_, _, body) = send(&h.router, post("/api/my_contacts", "", &b)).await;
        assert!(!body.contains("alice@"), "{body}");
        assert_eq!(h._store.contacts(alice).await.unwrap().len(), 2);

        // An unconfirmed address cannot be the recovery address.
        let (status, _, _) = send(&h.router, post("/api/set_recovery_address", &format!("contact_id={id}"), &a)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let (status, _, body) = send(&h.router, post("/api/confirm_contact", &format!("contact_id={id}&code={code}"), &a)).await;
        assert!(status.is_success(), "{status} {body}");
        let (status, _, body) = send(&h.router, post("/api/set_recovery_address", &format!("contact_id={id}"), &a)).await;
        assert!(status.is_success(), "{status} {body}");
        assert_eq!(
            h._store.recovery_address(alice).await.unwrap().map(|e| e.as_str().to_owned()).as_deref(),
            Some("alice@work.example")
        );
        let (status, _, _) = send(&h.router, post("/api/remove_contact", &format!("contact_id={id}"), &a)).await;
        assert!(status.is_success());
        assert!(h._store.recovery_address(alice).await.unwrap().is_none());
    }

    async fn rb_1_an_old_sign_in_must_confirm_the_password_before_adding(h: Harness) {
        let (alice, a) = session_for(&h, "alice", OLD).await;
        let (_, _, body) = send(&h.router, post("/api/my_tokens", "", &a)).await;
        assert!(body.contains("\"may_add\":false"), "{body}");
        for (path, form) in [
            ("/api/add_oob_start", "kind=email&target=codes%40example.org&label=Mail&device="),
            ("/api/add_contact", "kind=phone&value=%2B420601555123"),
            ("/api/add_totp_start", "label=App&device=Phone"),
        ] {
            let (status, _, body) = send(&h.router, post(path, form, &a)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
            assert!(body.contains("NotRecent"), "{body}");
        }
        let (status, _, body) = send(&h.router, post("/api/reauthenticate", "password=not+it", &a)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(body.contains("WrongPassword"), "{body}");
        let (_, _, body) = send(&h.router, post("/api/my_contacts", "", &a)).await;
        assert!(body.contains("\"may_change\":false"), "{body}");
        let form = format!("password={}", urlencode(PASSWORD));
        let (status, headers, body) = send(&h.router, post("/api/reauthenticate", &form, &a)).await;
        assert!(status.is_success(), "{status} {body}");
        // The session got a new id (issue 13): the new cookie from here on.
        let a = cookie_pair(&headers, "mayi_session");
        let (_, _, body) = send(&h.router, post("/api/my_tokens", "", &a)).await;
        assert!(body.contains("\"may_add\":true"), "{body}");
        let (status, _, body) = send(&h.router, post("/api/add_contact", "kind=phone&value=%2B420601555123", &a)).await;
        assert!(status.is_success(), "{status} {body}");
        assert_eq!(h._store.contacts(alice).await.unwrap().len(), 2);
        // Both attempts are in the audit log.
        let events = h._store.audit_events(identity::AuditQuery {
            subject: Some(alice),
            action: Some(identity::AuditAction::Reauthenticated),
            ..Default::default()
        }).await.unwrap();
        assert_eq!(events.len(), 2);
    }

    async fn token_and_account_pages_offer_sms_email_and_contacts(h: Harness) {
        let (_, a) = session_for(&h, "alice", RECENT).await;
        let pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36";
        let page = |path: &str, cookie: &str| {
            Request::get(path)
                .header(header::COOKIE, cookie)
                .header(header::USER_AGENT, pixel)
                .body(Body::empty())
                .unwrap()
        };
        let (status, _, html) = send(&h.router, page("/tokens", &a)).await;
        assert_eq!(status, StatusCode::OK);
        for text in ["Add a phone for SMS codes", "SMS is weaker than an authenticator app", "Add an email address for codes", r#"value="Chrome on Android""#, r#"href="/help/tokens""#] {
            assert!(html.contains(text), "{text} in {html}");
        }
        let (status, _, html) = send(&h.router, page("/account", &a)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("Your email addresses and phone numbers") && html.contains("alice@example.org"), "{html}");
        assert!(html.contains("recovery address"), "{html}");
        let (_, old) = session_for(&h, "alice", OLD).await;
        let (_, _, html) = send(&h.router, page("/tokens", &old)).await;
        assert!(html.contains("Confirm your password to continue"), "{html}");
        assert!(!html.contains("Add a phone for SMS codes"), "{html}");
        let (status, _, html) = send(&h.router, get("/help/tokens")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains("If you lose a phone"), "{html}");
    }
}

/// AC-1: the new functions refuse callers without a session (and a pending sign-in attempt).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ac_1_enrolment_and_contact_functions_refuse_anonymous_callers() {
    let h = harness(identity::testing::sqlite().await).await;
    assert_refused_without_a_session(
        &h,
        &[
            ("/api/reauthenticate", "password=x"),
            (
                "/api/add_oob_start",
                "kind=sms&target=%2B420601555123&label=x&device=",
            ),
            ("/api/add_oob_resend", "token_id=1"),
            ("/api/add_oob_finish", "token_id=1&code=123456"),
            ("/api/my_contacts", ""),
            ("/api/add_contact", "kind=email&value=a%40example.org"),
            ("/api/confirm_contact", "contact_id=1&code=123456"),
            ("/api/resend_contact_code", "contact_id=1"),
            ("/api/remove_contact", "contact_id=1"),
            ("/api/set_recovery_address", "contact_id=1"),
        ],
    )
    .await;
    assert!(h._store.outbox_messages(10).await.unwrap().is_empty());
}

on_both_backends! {
    /// Issue 8, item 1: security headers on every response: pages (with the nonce their scripts
    /// carry), server functions, static files, 404s.
    async fn security_headers_on_every_response(h: Harness) {
        let (status, headers, html) = send(&h.router, page("/login", "")).await;
        assert_eq!(status, StatusCode::OK);
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_string();
        let nonce = csp.split("'nonce-").nth(1).unwrap().split('\'').next().unwrap().to_string();
        assert!(nonce.len() >= 16, "{csp}");
        // Every inline script of the page carries this response's nonce; no script runs without.
        let scripts = html.matches("<script").count();
        assert!(scripts > 0);
        assert_eq!(html.matches(&format!("nonce=\"{nonce}\"")).count(), scripts, "{html}");
        for part in ["'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"] {
            assert!(csp.contains(part), "{csp}");
        }
        assert!(!csp.contains("'unsafe-inline'") && !csp.contains("'unsafe-eval'"), "{csp}");
        // A new nonce for every response.
        let (_, again, _) = send(&h.router, page("/login", "")).await;
        assert_ne!(again[header::CONTENT_SECURITY_POLICY], headers[header::CONTENT_SECURITY_POLICY]);

        let (_, fn_headers, _) = send(&h.router, post("/api/my_account", "", "")).await;
        let (_, file_headers, _) = send(&h.router, get("/pkg/mayi-id.js")).await;
        let (status, missing_headers, _) = send(&h.router, page("/no/such/page", "")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (_, health_headers, _) = send(&h.router, get("/healthz")).await;
        for (what, headers) in [("page", &headers), ("server fn", &fn_headers), ("file", &file_headers), ("404", &missing_headers), ("health", &health_headers)] {
            assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{what}");
            assert_eq!(headers["cross-origin-opener-policy"], "same-origin", "{what}");
            assert_eq!(headers[header::REFERRER_POLICY], "same-origin", "{what}");
            let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), "{what}: {csp}");
            // Plain http here: no HSTS (it is sent when the public URL is https).
            assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none(), "{what}");
        }
        assert_eq!(fn_headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(fn_headers[header::CONTENT_SECURITY_POLICY], server::http::FALLBACK_CSP);
        assert_eq!(file_headers[header::CACHE_CONTROL], "no-cache");
    }
}

on_both_backends! {
    /// CS-5: only the methods in use. Pages answer GET (and HEAD), server functions POST.
    async fn cs_5_other_methods_are_refused(h: Harness) {
        for (method, uri) in [("PUT", "/login"), ("DELETE", "/login"), ("TRACE", "/login"), ("PATCH", "/tokens"), ("PUT", "/api/sign_in"), ("DELETE", "/api/remove_token"), ("TRACE", "/api/my_account")] {
            let request = Request::builder().method(method).uri(uri).body(Body::empty()).unwrap();
            let (status, _, _) = send(&h.router, request).await;
            assert!(status == StatusCode::METHOD_NOT_ALLOWED || status == StatusCode::NOT_FOUND || status == StatusCode::BAD_REQUEST, "{method} {uri}: {status}");
            assert!(!status.is_success(), "{method} {uri}: {status}");
        }
        // A mutating function is never reachable by GET (no GET encodings: CS-1, decision 3).
        for uri in ["/api/sign_in?username=alice&password=x", "/api/remove_token?token_id=1", "/api/emergency_start?username=alice&password=x"] {
            let (status, headers, _) = send(&h.router, get(uri)).await;
            assert!(!status.is_success(), "GET {uri}: {status}");
            assert!(headers.get(header::SET_COOKIE).is_none(), "GET {uri} did something");
        }
    }

    /// Abuse case 20: there is no `next` parameter to abuse; after sign-in the browser goes to
    /// the account page, whatever the address asked. CS-8: a forged Host changes no link.
    async fn abuse_20_no_open_redirect_and_cs_8_host_header_ignored(h: Harness) {
        let request = Request::post("/api/sign_in?next=https://evil.example/")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, "http://127.0.0.1:3000/login?next=https://evil.example/")
            .header(header::HOST, "evil.example")
            .body(Body::from(format!("username=alice&password={}&next=https%3A%2F%2Fevil.example%2F", urlencode(PASSWORD))))
            .unwrap();
        let (status, headers, body) = send(&h.router, request).await;
        assert_eq!(status, StatusCode::FOUND, "{body}");
        assert_eq!(headers[header::LOCATION], "/login/verify");
        let (_, headers, html) = send(&h.router, Request::get("/login?next=https://evil.example/").header(header::HOST, "evil.example").header(header::ACCEPT, "text/html").body(Body::empty()).unwrap()).await;
        assert!(headers.get(header::LOCATION).is_none());
        // The language switch comes back to this very page, query and all, on this site
        // (`/lang/cs?to=/login%3Fnext…`, checked by `/lang` itself): nothing else may name it.
        let switch = r#"href="/lang/cs?to=/login%3Fnext%3Dhttps%3A//evil.example/""#;
        assert!(html.contains(switch), "{html}");
        assert!(!html.replace(switch, "").contains("evil.example"), "{html}");
    }

    /// Abuse case 11: NUL bytes, invalid UTF-8, 10 kB fields and CRLF get a clear refusal and
    /// change nothing.
    async fn abuse_11_hostile_bodies_are_refused_cleanly(h: Harness) {
        let big = "a".repeat(10 * 1024);
        for body in [
            format!("username=alice%00&password={}", urlencode(PASSWORD)),
            format!("username={big}&password={}", urlencode(PASSWORD)),
            "username=%FF%FE&password=x".to_string(),
            format!("username=alice%0D%0ABcc:%20evil@example.org&password={}", urlencode(PASSWORD)),
        ] {
            let request = Request::post("/api/sign_in")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::from(body.clone()))
                .unwrap();
            let (status, headers, answer) = send(&h.router, request).await;
            assert!(status.is_client_error(), "{}: {status} {answer}", &body[..40.min(body.len())]);
            assert!(headers.get(header::SET_COOKIE).is_none());
            assert!(!answer.contains("panicked") && !answer.to_lowercase().contains("sql"), "{answer}");
        }
        let attempt = attempt_of(&h, "alice").await;
        // A 10 kB code and a code with NUL bytes: refused as wrong codes, nothing else.
        for code in [big.as_str(), "12%003456"] {
            let (status, _, answer) = send(&h.router, post("/api/verify_code", &format!("token_id=1&kind=totp&code={code}"), &attempt)).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
        }
    }

    /// CS-7: a forced database error reaches the browser as a plain message, with no database
    /// text; and it denies (AC-6).
    async fn cs_7_a_database_error_is_a_plain_message(h: Harness) {
        let attempt = attempt_of(&h, "alice").await;
        identity::testing::execute_raw(&h._store.store, "DROP TABLE oob_challenges").await.unwrap();
        identity::testing::execute_raw(&h._store.store, "DROP TABLE confirmation_codes").await.unwrap();
        identity::testing::execute_raw(&h._store.store, "DROP TABLE throttle").await.unwrap();
        let (status, headers, body) = send(&h.router, verify_totp(&attempt, 1, &code_now(SECRET))).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert!(headers.get(header::SET_COOKIE).is_none(), "no session");
        let lower = body.to_lowercase();
        for leak in ["throttle", "sql", "table", "relation", "no such"] {
            assert!(!lower.contains(leak), "{body}");
        }
    }
}

on_both_backends! {
    /// Issue 7: when the server fails while rendering a page, the page says so in the site's
    /// layout, in plain words, with no database text.
    async fn a_failing_page_shows_a_friendly_error_in_the_layout(h: Harness) {
        let (_, cookie) = session_for(&h, "erin", std::time::Duration::ZERO).await;
        identity::testing::execute_raw(&h._store.store, "DROP TABLE IF EXISTS console_handover").await.unwrap();
        identity::testing::execute_raw(&h._store.store, "DROP TABLE oob_challenges").await.unwrap();
        identity::testing::execute_raw(&h._store.store, "DROP TABLE confirmation_codes").await.unwrap();
        identity::testing::execute_raw(&h._store.store, "ALTER TABLE tokens RENAME TO tokens_gone").await.unwrap();
        let request = page("/tokens", &cookie);
        let (_, headers, html) = send(&h.router, request).await;
        assert!(html.contains("class=\"site-header\""), "the site's layout: {html}");
        assert!(html.contains("Something went wrong on our side"), "{html}");
        let lower = html.to_lowercase();
        for leak in ["tokens_gone", "no such table", "relation", "sqlx", "panicked"] {
            assert!(!lower.contains(leak), "{leak} reached the page");
        }
        assert!(headers.get(header::CONTENT_SECURITY_POLICY).is_some());
    }
}

on_both_backends! {
    /// Every page gets the page policy (its nonce, `style-src 'self'`), however it renders
    /// (streamed or waiting for its data, signed out, signed in, in the console): a page served
    /// with the strict fallback policy of server functions would have its stylesheet and
    /// scripts blocked.
    async fn every_page_gets_the_page_policy(h: Harness) {
        let (user_page, cookie) = olga_the_operator(&h).await;
        let signed_out = ["/login", "/emergency", "/freeze", "/help", "/help/lost-phone"];
        let signed_in = [
            "/account",
            "/tokens",
            "/admin",
            "/admin/audit",
            "/admin/overview",
            user_page.as_str(),
            "/help/tokens",
            "/help/console",
        ];
        let pages = signed_out.iter().map(|p| (*p, "")).chain(signed_in.iter().map(|p| (*p, cookie.as_str())));
        for (path, cookie) in pages {
            let (status, headers, html) = send(&h.router, page(path, cookie)).await;
            assert_eq!(status, StatusCode::OK, "{path}: {html}");
            let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
            assert!(csp.contains("style-src 'self'") && csp.contains("'nonce-"), "{path}: {csp}");
            assert!(html.contains("rel=\"stylesheet\""), "{path}");
        }
    }

    /// Under concurrent load every page still carries its own policy, and the policy's nonce is
    /// the one on the page's scripts (a page once came back now and then with the strict
    /// fallback policy, which blocks the stylesheet: the browser suite saw unstyled pages).
    async fn every_page_keeps_its_policy_under_concurrent_load(h: Harness) {
        let (user_page, cookie) = olga_the_operator(&h).await;
        let paths = ["/account", "/tokens", "/admin/overview", user_page.as_str(), "/login", "/help"];
        let requests = (0..240).map(|i| {
            let path = paths[i % paths.len()].to_string();
            let cookie = cookie.clone();
            let router = h.router.clone();
            async move {
                let (status, headers, html) = send(&router, page(&path, &cookie)).await;
                (path, status, headers, html)
            }
        });
        for (path, status, headers, html) in join_all(requests).await {
            assert_eq!(status, StatusCode::OK, "{path}");
            let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
            let nonce = csp
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{path}: no page policy: {csp}"));
            assert!(html.contains(&format!("nonce=\"{nonce}\"")), "{path}: the scripts carry the policy's nonce");
        }
    }
}

/// A recent session of Olga, an operator, and her console page.
async fn olga_the_operator(h: &Harness) -> (String, String) {
    let (olga, cookie) = session_for(h, "olga", RECENT).await;
    h._store
        .set_role(&Username::parse("olga").unwrap(), identity::Role::Operator)
        .await
        .unwrap();
    (format!("/admin/users/{}", olga.0), cookie)
}

/// Runs the Emergency Access wizard for alice (recovery address given) and returns her code as
/// shown (`ABCD-EFGH-JKMN-PQRS`).
async fn alice_wizard_code(h: &Harness) -> String {
    alice_wizard_code_for(h, "lost_phone").await
}

/// [`alice_wizard_code`], giving `reason` at step 3.
async fn alice_wizard_code_for(h: &Harness, reason: &str) -> String {
    give_alice_a_recovery_address(h).await;
    let form = format!("username=alice&password={}", urlencode(PASSWORD));
    let (_, headers, _) = send(&h.router, post("/api/emergency_start", &form, "")).await;
    let wizard = cookie_pair(&headers, "mayi_emergency");
    let proof = queued_code(&h._store, "alice@example.org").await;
    for (path, form) in [
        ("/api/emergency_prove", format!("code={proof}")),
        ("/api/emergency_reason", format!("reason={reason}&details=")),
    ] {
        let (status, _, body) = send(&h.router, post(path, &form, &wizard)).await;
        assert!(
            status.is_success() || status.is_redirection(),
            "{path}: {status} {body}"
        );
    }
    let (_, _, body) = send(&h.router, post("/api/emergency_take_code", "", &wizard)).await;
    json_text(&body, "grouped")
}

/// Signs alice in with her password and `grouped`: the restricted session's cookie.
async fn alice_restricted_session(h: &Harness, grouped: &str) -> String {
    let attempt = attempt_of(h, "alice").await;
    let form = format!("code={}", urlencode(grouped));
    let (status, headers, body) =
        send(&h.router, post("/api/verify_emergency", &form, &attempt)).await;
    assert!(
        status.is_success() || status.is_redirection(),
        "{status} {body}"
    );
    cookie_pair(&headers, "mayi_session")
}

on_both_backends! {
    /// Issue 14 item 3: the restricted session follows the wizard's reason. A lost phone's may
    /// neither change the password nor sign out other sessions (403, audited); a stolen phone's
    /// may do both, its checklist says so, and the plain form lands back on the token list.
    async fn a_stolen_phone_session_changes_the_password_and_signs_out_everywhere_over_http(h: Harness) {
        let h = with_policy(h, TRUSTING_POLICY);
        let lost = alice_restricted_session(&h, &alice_wizard_code_for(&h, "lost_phone").await).await;
        let (_, _, body) = send(&h.router, post("/api/recovery_status", "", &lost)).await;
        assert!(body.contains("\"reason\":\"lost_phone\"") && body.contains("\"may_secure_account\":false"), "{body}");
        assert!(!body.contains("change_password"), "{body}");
        let change = format!("current={0}&new=a+brand+new+passphrase&again=a+brand+new+passphrase", urlencode(PASSWORD));
        for (path, form) in [("/api/change_password", change.as_str()), ("/api/end_other_sessions", "")] {
            let (status, _, body) = send(&h.router, post(path, form, &lost)).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        }

        // The thief's browser holds a full session; Alice asks for a code "for a stolen phone".
        let (alice, thief) = session_for(&h, "alice", RECENT).await;
        let stolen = alice_restricted_session(&h, &alice_wizard_code_for(&h, "stolen_phone").await).await;
        let (_, _, body) = send(&h.router, post("/api/recovery_status", "", &stolen)).await;
        assert!(body.contains("\"may_secure_account\":true"), "{body}");
        assert!(body.contains("{\"step\":\"change_password\",\"done\":false,\"required\":true}"), "{body}");
        // A mismatch and a wrong current password change nothing.
        let mismatch = format!("current={0}&new=a+brand+new+passphrase&again=something+else+entirely", urlencode(PASSWORD));
        let (status, _, _) = send(&h.router, post("/api/change_password", &mismatch, &stolen)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        let wrong = "current=not+it&new=a+brand+new+passphrase&again=a+brand+new+passphrase";
        let (status, _, _) = send(&h.router, post("/api/change_password", wrong, &stolen)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        // Without JavaScript: the form posts and comes back to the token list.
        let (status, headers, body) = send(&h.router, form_post("/api/change_password", &change, &stolen, "/tokens")).await;
        assert_eq!(status, StatusCode::FOUND, "{body}");
        assert_eq!(headers[header::LOCATION], "/tokens?password_changed=1");
        let (status, _, body) = send(&h.router, post("/api/recovery_status", "", &stolen)).await;
        assert_eq!(status, StatusCode::OK, "the restricted session lives on: {body}");
        assert!(body.contains("{\"step\":\"change_password\",\"done\":true,\"required\":true}"), "{body}");
        let (status, _, _) = send(&h.router, sign_in("alice", PASSWORD)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the old password is refused");
        // Sign out every other session: the thief's ends.
        let (status, _, body) = send(&h.router, post("/api/end_other_sessions", "", &stolen)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "1"));
        let (status, _, _) = send(&h.router, post("/api/my_account", "", &thief)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let events = h._store.store.audit_events(identity::AuditQuery { subject: Some(alice), action: Some(identity::AuditAction::PasswordChanged), ..Default::default() }).await.unwrap();
        assert!(events.iter().any(|e| e.outcome == identity::AuditOutcome::Success && e.details["restricted_session"] == true), "{events:?}");
    }
}

on_both_backends! {
    /// Issue 14 item 2 (the seed: "type it instead of the OTP"): the code field of sign-in's
    /// second step takes an emergency access code too, in any case, with spaces or hyphens, and
    /// opens the restricted session (never a full one); a made-up code of that form is refused
    /// like any wrong code and counts against the emergency factor, not the token's.
    async fn the_code_field_takes_an_emergency_code_and_opens_the_restricted_session(h: Harness) {
        // Valid at once (no waiting period for an unknown browser): this is about the field.
        let h = with_policy(h, TRUSTING_POLICY);
        let grouped = alice_wizard_code(&h).await;
        let alice = alice_id(&h).await;
        let token = h._store.active_tokens(alice).await.unwrap()[0].clone();
        let verify = |code: &str| {
            format!("token_id={}&kind={}&code={}", token.id.0, token.kind.as_str(), urlencode(code))
        };
        // Someone with the password guesses codes of that form: refused, no session.
        let attempt = attempt_of(&h, "alice").await;
        let (status, headers, body) = send(&h.router, post("/api/verify_code", &verify("ABCD-EFGH-JKMN-PQRS"), &attempt)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert!(headers.get(header::SET_COOKIE).is_none());
        let failures = h._store.audit_events(identity::AuditQuery { subject: Some(alice), ..Default::default() }).await.unwrap();
        assert!(
            failures.iter().any(|e| e.action == identity::AuditAction::EmergencyCodeUsed && e.outcome == identity::AuditOutcome::Failure),
            "the guess is an emergency-code failure: {failures:?}"
        );
        // The owner types her code where the 6-digit code goes, lower case with spaces.
        let typed = grouped.to_lowercase().replace('-', " ");
        let (status, headers, body) = send(&h.router, post("/api/verify_code", &verify(&typed), &attempt)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let session = cookie_pair(&headers, "mayi_session");
        assert!(headers.get_all(header::SET_COOKIE).iter().all(|c| !c.to_str().unwrap().starts_with("mayi_browser=")), "a restricted session remembers no browser");
        let (status, _, body) = send(&h.router, post("/api/recovery_status", "", &session)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"uses_left\":2"), "one use of three spent: {body}");
        let (status, _, _) = send(&h.router, post("/api/my_sessions", "", &session)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "EC-11: restricted");

        // Without JavaScript: the plain form post lands on the token list.
        let attempt = attempt_of(&h, "alice").await;
        let (status, headers, _) = send(&h.router, form_post("/api/verify_code", &verify(&grouped), &attempt, "/login/verify")).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers[header::LOCATION], "/tokens");
        assert!(cookie_pair(&headers, "mayi_session").starts_with("mayi_session="));
    }
}

on_both_backends! {
    /// Issue 14 item 1 (the seed: the lost phone's tokens "blocked/deleted"): "Block" on one
    /// token and "Block this device", signed in. A blocked token is not offered at sign-in and
    /// its code is refused; the list shows it with the date; it can be unblocked (recent
    /// authentication), with JavaScript or as a plain form.
    async fn blocking_a_token_or_a_device_stops_it_until_it_is_unblocked(h: Harness) {
        let alice = alice_id(&h).await;
        let backup_secret = TotpSecret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").unwrap();
        let backup = NewToken {
            label: "Backup app".into(),
            device: Some("Tablet".into()),
            ..totp_token(&cipher(), alice, &backup_secret)
        };
        let backup = h._store.insert_token(backup).await.unwrap();
        let pixel = h._store.active_tokens(alice).await.unwrap()[0].id;
        let (_, stale) = session_for(&h, "alice", OLD).await;
        let (_, session) = session_for(&h, "alice", RECENT).await;
        let block = |id: identity::TokenId| format!("token_id={}", id.0);

        // A session left open on a shared computer cannot block (nor unblock) anything.
        let (status, _, body) = send(&h.router, post("/api/block_token", &block(pixel), &stale)).await;
        assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, "\"NotRecent\""));
        let (status, _, body) = send(&h.router, post("/api/block_device", "device=Pixel+7", &stale)).await;
        assert_eq!((status, body.as_str()), (StatusCode::FORBIDDEN, "\"NotRecent\""));
        assert_eq!(h._store.active_tokens(alice).await.unwrap().len(), 2);

        let (status, _, body) = send(&h.router, post("/api/block_token", &block(pixel), &session)).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, "\"Authenticator app\""));
        let (_, _, list) = send(&h.router, post("/api/my_tokens", "", &session)).await;
        // Shown with the date and time it was blocked ("2026-12-05 09:23 UTC").
        let at = list.rsplit("\"blocked\":\"").next().unwrap();
        let at = &at[..at.find('"').unwrap()];
        assert!(at.len() == 20 && at.ends_with(" UTC") && at[..4].parse::<u16>().is_ok(), "{list}");
        // The sign-in page offers only the backup; the blocked app's code is refused.
        let attempt = attempt_of(&h, "alice").await;
        let (_, _, second) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
        assert!(!second.contains("Authenticator app") && second.contains("Backup app"), "{second}");
        let (status, headers, _) = send(&h.router, verify_totp(&attempt, pixel.0, &code_now(SECRET))).await;
        assert!(status.is_client_error(), "{status}");
        assert!(headers.get(header::SET_COOKIE).is_none());
        // The backup is now the last way in: a full session may not block it.
        let (status, _, body) = send(&h.router, post("/api/block_token", &block(backup), &session)).await;
        assert_eq!((status, body.as_str()), (StatusCode::CONFLICT, "\"LastToken\""));
        // Another account's id: not found.
        let (_, bob) = session_for(&h, "bob", RECENT).await;
        let (status, _, _) = send(&h.router, post("/api/block_token", &block(backup), &bob)).await;
        assert_eq!(status, StatusCode::NOT_FOUND);

        // Unblocked without JavaScript: the plain form goes back to the list; it signs in again.
        let (status, headers, _) =
            send(&h.router, form_post("/api/unblock_token", &block(pixel), &session, "/tokens")).await;
        assert_eq!(status, StatusCode::FOUND);
        assert!(headers[header::LOCATION].to_str().unwrap().contains("/tokens"), "back to the list");
        let attempt = attempt_of(&h, "alice").await;
        let (_, _, second) = send(&h.router, post("/api/pending_sign_in", "", &attempt)).await;
        assert!(second.contains("Authenticator app"), "{second}");

        // "Block this device" as a plain form: the Tablet's token is blocked and every other
        // session of the account ends; the page then lists it under "Blocked sign-in methods".
        let (status, headers, _) =
            send(&h.router, form_post("/api/block_device", "device=Tablet", &session, "/tokens")).await;
        assert_eq!(status, StatusCode::FOUND);
        assert!(headers[header::LOCATION].to_str().unwrap().contains("/tokens"), "back to the list");
        let tokens = h._store.store.tokens(alice).await.unwrap();
        assert!(tokens.iter().any(|t| t.id == backup && t.state == TokenState::Blocked), "{tokens:?}");
        let (status, _, _) = send(&h.router, post("/api/my_tokens", "", &stale)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "the other session ended");
        let (status, _, page) = send(&h.router, with_header(get("/tokens"), "cookie", &session)).await;
        assert_eq!(status, StatusCode::OK);
        for control in ["Block this device (Pixel 7)", "I lost this device (Pixel 7)", "Block Authenticator app", "Unblock Backup app", "Remove Backup app"] {
            assert!(page.contains(control), "{control}: {page}");
        }
        // Two notices per change reached the outbox: blocked, unblocked, device blocked.
        let outbox = h._store.outbox_messages(100).await.unwrap();
        for subject in ["A sign-in method was blocked", "A sign-in method was unblocked", "A device was blocked"] {
            assert!(outbox.iter().any(|m| m.subject.as_deref().is_some_and(|s| s.starts_with(subject))), "{subject}");
        }
    }
}

on_both_backends! {
    /// Issue 14 item 4: recovery codes over HTTP. A recent full session makes a set (a plain form
    /// lands on the page that shows it once, with the text-file download); an old sign-in must
    /// confirm its password first; a code signs in once where the 6-digit code goes and opens a
    /// restricted session, which cannot make a new set; the account page counts what is left.
    async fn recovery_codes_are_made_shown_once_and_sign_in_once(h: Harness) {
        let (alice, old) = session_for(&h, "alice", OLD).await;
        let (status, _, _) = send(&h.router, post("/api/create_recovery_codes", "", &old)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "an old sign-in confirms its password first");
        let (_, fresh) = session_for(&h, "alice", RECENT).await;
        let (status, _, body) = send(&h.router, post("/api/recovery_codes", "", &fresh)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.contains("\"total\":0") && body.contains("\"may_create\":true"), "{body}");
        // Without JavaScript: the form posts, then the page shows the set once.
        let (status, headers, _) = send(&h.router, form_post("/api/create_recovery_codes", "", &fresh, "/account")).await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers[header::LOCATION], "/account/recovery-codes");
        let (status, _, html) = send(&h.router, page("/account/recovery-codes", &fresh)).await;
        assert_eq!(status, StatusCode::OK);
        let codes: Vec<String> = html
            .split("<code>")
            .skip(1)
            .filter_map(|s| s.split("</code>").next())
            .map(str::to_owned)
            .collect();
        assert_eq!(codes.len(), 10, "{html}");
        assert!(codes.iter().all(|c| c.len() == 11 && &c[5..6] == "-"), "{codes:?}");
        assert!(html.contains("href=\"data:text/plain;charset=utf-8,") && html.contains("download=\"mayi-id-recovery-codes.txt\""));
        let (_, _, again) = send(&h.router, page("/account/recovery-codes", &fresh)).await;
        assert!(!again.contains(&codes[0]) && again.contains("never shown again"), "once");
        let (_, _, body) = send(&h.router, post("/api/take_recovery_codes", "", &fresh)).await;
        assert_eq!(body, "null");
        // The code where the 6-digit code goes: a restricted session, once.
        let token = h._store.active_tokens(alice).await.unwrap()[0].clone();
        let verify = |code: &str| format!("token_id={}&kind={}&code={}", token.id.0, token.kind.as_str(), urlencode(code));
        let attempt = attempt_of(&h, "alice").await;
        let (status, headers, body) = send(&h.router, post("/api/verify_code", &verify(&codes[2].to_lowercase()), &attempt)).await;
        assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        let restricted = cookie_pair(&headers, "mayi_session");
        let (_, _, body) = send(&h.router, post("/api/recovery_status", "", &restricted)).await;
        assert!(body.contains("\"by_recovery_code\":true") && body.contains("\"may_finish\":false"), "{body}");
        let (status, _, _) = send(&h.router, post("/api/create_recovery_codes", "", &restricted)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "a restricted session makes no new set");
        let (_, _, body) = send(&h.router, post("/api/recovery_codes", "", &restricted)).await;
        assert!(body.contains("\"left\":9") && body.contains("\"may_create\":false"), "{body}");
        let attempt = attempt_of(&h, "alice").await;
        let (status, headers, _) = send(&h.router, post("/api/verify_code", &verify(&codes[2]), &attempt)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "used once");
        assert!(headers.get(header::SET_COOKIE).is_none());
        // Seven more used: two left, and the page warns.
        for code in &codes[3..10] {
            let attempt = attempt_of(&h, "alice").await;
            let (status, _, body) = send(&h.router, post("/api/verify_emergency", &format!("code={}", urlencode(code)), &attempt)).await;
            assert!(status.is_success() || status.is_redirection(), "{status} {body}");
        }
        let (_, fresh) = session_for(&h, "alice", RECENT).await;
        let (_, _, body) = send(&h.router, post("/api/recovery_codes", "", &fresh)).await;
        assert!(body.contains("\"left\":2") && body.contains("\"low\":true"), "{body}");
        let (_, _, html) = send(&h.router, page("/account", &fresh)).await;
        assert!(html.contains("Only a few recovery codes are left"), "the account page warns");
    }
}

on_both_backends! {
    /// Issue 14 item 5: the readiness banner on /account and /tokens says what is missing, and
    /// goes once both are fixed; a restricted session never gets it.
    async fn the_readiness_banner_names_what_is_missing_until_it_is_fixed(h: Harness) {
        let h = with_policy(h, TRUSTING_POLICY);
        let (alice, fresh) = session_for(&h, "alice", RECENT).await;
        let (status, _, body) = send(&h.router, post("/api/readiness", "", &fresh)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // session_for gave her a recovery address; her only app is on Pixel 7.
        assert!(body.contains("\"one_device\":true") && body.contains("\"device\":\"Pixel 7\"") && body.contains("\"no_fallback\":false"), "{body}");
        for path in ["/account", "/tokens"] {
            let (_, _, html) = send(&h.router, page(path, &fresh)).await;
            assert!(html.contains("You are one lost phone away from needing the help desk") && html.contains("Every sign-in method is on Pixel 7."), "{path}");
            assert!(html.contains("href=\"/tokens#add-totp-heading\"") && html.contains("href=\"/account#recovery-codes-heading\""), "{path}: the two fixes");
        }
        let restricted = alice_restricted_session(&h, &alice_wizard_code(&h).await).await;
        let (_, _, body) = send(&h.router, post("/api/readiness", "", &restricted)).await;
        assert_eq!(body, "null", "a restricted session is recovering already");
        let tablet = NewToken {
            device: Some("Tablet".into()),
            ..totp_token(&cipher(), alice, &TotpSecret::generate())
        };
        h._store.insert_token(tablet).await.unwrap();
        let (_, _, body) = send(&h.router, post("/api/readiness", "", &fresh)).await;
        assert_eq!(body, "null");
        let (_, _, html) = send(&h.router, page("/account", &fresh)).await;
        assert!(!html.contains("one lost phone away"));
    }
}
