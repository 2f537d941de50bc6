//! Real `mayi-id serve` processes, driven over HTTP on loopback:
//! - two instances on one PostgreSQL database share sessions, rate-limit counts, one-use codes
//!   and the outbox (issue 9: instances are stateless);
//! - a full run of the flows leaves no password, code, seed or session id in the server's log or
//!   in any table (AU-2, EC-7, OOB-7, OTP-9; issue 8);
//! - operators get Prometheus metrics on a separate address, JSON log lines and a request id
//!   on every request (issue 9, observability);
//! - a server killed with SIGKILL in the middle of a sign-in and enrolment load loses nothing it
//!   acknowledged, and still delivers every notice it queued (issue 9, crash safety).

mod support;

use identity::testing::StoreAccess;
use std::{
    collections::BTreeMap,
    path::Path,
    time::{Duration, Instant},
};

use identity::{
    testing::{self, raw_rows, TestStore},
    AccountId, CodeHasher, EmergencyCode, Factor, NewContact, NewToken, OutboxState, PhoneNumber,
    SeedCipher, Store, ThrottleKey, Timestamp, TokenKind, TokenState, TotpSecret,
    EMERGENCY_CODE_KEY_LABEL,
};
use support::{
    client::{
        cookie_pair, first_token_id, get, post, sign_in, urlencode, verify_totp, with_header,
    },
    fixtures::{email_contact, now_secs, queue_sms, six_digit_code, totp_token, user, PASSWORD},
    remote::{free_port, serve, Answer, Process, Remote},
    SmsGateway, SmtpServer,
};

/// A running `mayi-id serve` (this build) on `url`, with `dir` for its key, site and log
/// (`{name}.log`, at debug level), delivering through `smtp` and `gateway`.
async fn start(
    name: &str,
    url: &str,
    dir: &Path,
    smtp: &SmtpServer,
    gateway: &SmsGateway,
    extra_env: &[(&str, String)],
) -> Process {
    let site = dir.join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let mut env = vec![
        ("MAYI_SMTP_URL", smtp.url()),
        ("MAYI_SMS_GATEWAY_URL", gateway.url()),
        ("MAYI_LOG", "debug".to_string()),
    ];
    env.extend(extra_env.iter().cloned());
    let binary = Path::new(env!("CARGO_BIN_EXE_mayi-id"));
    serve(binary, name, url, dir, &site, &env)
        .await
        .unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Creates a user with the test password and `contacts`; returns its id.
async fn account(store: &Store, name: &str, contacts: Vec<NewContact>) -> AccountId {
    user(store, name, &format!("{name} Example"), contacts).await
}

/// Creates a user with an authenticator app of the seed `secret`; returns its id.
async fn account_with_app(
    store: &Store,
    cipher: &SeedCipher,
    name: &str,
    contacts: Vec<NewContact>,
    secret: &TotpSecret,
) -> AccountId {
    let id = account(store, name, contacts).await;
    store
        .insert_token(totp_token(cipher, id, secret))
        .await
        .unwrap();
    id
}

/// A 6-digit code that none of the steps around now accepts.
fn wrong_code(secret: &TotpSecret) -> String {
    let now = now_secs();
    let window: Vec<String> = [now - 30, now, now + 30, now + 60]
        .iter()
        .map(|t| secret.code_at(*t))
        .collect();
    ["000000", "111111", "222222", "333333", "444444"]
        .into_iter()
        .find(|c| !window.iter().any(|w| w == c))
        .unwrap()
        .to_string()
}

/// Waits until `check` holds (for the outbox workers), up to 30 s.
async fn eventually(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Issue 9: two instances on one PostgreSQL database behave as one service.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgresql_database() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cipher = SeedCipher::load_or_create(&dir.path().join("seed.key")).unwrap();
    let secret = TotpSecret::generate();
    let alice = account_with_app(&db, &cipher, "alice", vec![], &secret).await;
    let bob = account_with_app(&db, &cipher, "bob", vec![], &TotpSecret::generate()).await;
    let smtp = SmtpServer::start(0).await;
    let gateway = SmsGateway::start().await;
    let a = start("a", &db.url(), dir.path(), &smtp, &gateway, &[]).await;
    let b = start("b", &db.url(), dir.path(), &smtp, &gateway, &[]).await;

    // 1. Sign in through A, the second step on B; the session works on both; signing out on A
    //    ends it on B.
    let attempt = a.sign_in("alice").await;
    let (status, _, pending) = b.call("/api/pending_sign_in", "", &attempt).await;
    assert_eq!(status, 200, "{pending}");
    let token = first_token_id(&pending);
    let (status, cookies, body) = b
        .send(verify_totp(&attempt, token, &secret.code_at(now_secs())))
        .await;
    assert!(status < 400, "{status} {body}");
    let session = cookie_pair(&cookies, "mayi_session");
    for instance in [&a, &b] {
        let (status, _, body) = instance.call("/api/my_tokens", "", &session).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _, _) = a.call("/api/sign_out", "", &session).await;
    assert!(status < 400);
    let (status, _, _) = b.call("/api/my_tokens", "", &session).await;
    assert_eq!(status, 401, "signed out everywhere");

    // 2. Rate limits are shared: wrong codes alternating between A and B count as one series.
    let attempt = a.sign_in("alice").await;
    let wrong = wrong_code(&secret);
    for i in 0..5 {
        let instance = if i % 2 == 0 { &a } else { &b };
        let (status, _, body) = instance.send(verify_totp(&attempt, token, &wrong)).await;
        assert_eq!(status, 401, "guess {i}: {body}");
    }
    let (status, _, body) = b.send(verify_totp(&attempt, token, &wrong)).await;
    assert_eq!(
        status, 429,
        "the sixth guess is delayed whichever instance: {body}"
    );
    let record = db
        .throttle_record(&ThrottleKey::account_factor(alice, Factor::Totp))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        record.failures, 5,
        "one series across both instances: {record:?}"
    );

    // 3. A one-use emergency code submitted to both instances at once works once.
    let code = EmergencyCode::generate();
    let hasher = CodeHasher::from_cipher(&cipher, EMERGENCY_CODE_KEY_LABEL);
    let now = Timestamp::now();
    db.issue_emergency_code(
        &identity::testing::self_service_code(
            bob,
            code.hash(&hasher, bob),
            now,
            now.plus(Duration::from_secs(3600)),
            1,
        ),
        &[],
    )
    .await
    .unwrap();
    let (attempt_a, attempt_b) = (a.sign_in("bob").await, b.sign_in("bob").await);
    let form = format!("code={}", urlencode(&code.grouped()));
    let (on_a, on_b) = tokio::join!(
        a.call("/api/verify_emergency", &form, &attempt_a),
        b.call("/api/verify_emergency", &form, &attempt_b)
    );
    let successes = [on_a.0, on_b.0].iter().filter(|s| **s < 400).count();
    assert_eq!(
        successes, 1,
        "A: {} {}; B: {} {}",
        on_a.0, on_a.2, on_b.0, on_b.2
    );

    // 4. Each outbox message is delivered once, whichever instance's worker takes it.
    let before = gateway.received().len();
    for i in 0..20 {
        queue_sms(&db, "+420601999000", &format!("outbox message number {i}")).await;
    }
    eventually("20 SMS delivered", || {
        gateway.received().len() >= before + 20
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let texts: Vec<String> = gateway
        .received()
        .iter()
        .map(|m| m["text"].as_str().unwrap_or("").to_string())
        .collect();
    for i in 0..20 {
        let text = format!("outbox message number {i}");
        assert_eq!(
            texts.iter().filter(|t| **t == text).count(),
            1,
            "{text} delivered once"
        );
    }
}

/// Whether `needle` occurs in `haystack` as a whole token (for digits: not inside a longer run of
/// digits, so a 6-digit code is not "found" inside a millisecond timestamp).
fn contains_token(haystack: &str, needle: &str) -> bool {
    let digits = needle.bytes().all(|b| b.is_ascii_digit());
    haystack.match_indices(needle).any(|(i, _)| {
        if !digits {
            return true;
        }
        let before = haystack[..i].bytes().next_back();
        let after = haystack[i + needle.len()..].bytes().next();
        !before.is_some_and(|b| b.is_ascii_digit()) && !after.is_some_and(|b| b.is_ascii_digit())
    })
}

/// AU-2, EC-7, OOB-7, OTP-9: a full run of the flows (password + TOTP, SMS code, the Emergency
/// Access wizard, signing in with the emergency code, enrolling a new app, finishing) leaves
/// none of the secrets it used in the server's log (at debug level) or in any table.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_secret_reaches_the_log_or_the_database() {
    let db: TestStore = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let cipher = SeedCipher::load_or_create(&dir.path().join("seed.key")).unwrap();
    let alice_secret = TotpSecret::generate();
    account_with_app(&db, &cipher, "alice", vec![], &alice_secret).await;
    let carol = account(&db, "carol", vec![]).await;
    db.insert_token(NewToken {
        account_id: carol,
        kind: TokenKind::Sms,
        label: "Phone".into(),
        device: Some("Nokia".into()),
        state: TokenState::Active,
        secret_enc: None,
        target: Some(PhoneNumber::parse("+420601222333").unwrap().into()),
    })
    .await
    .unwrap();
    let dave_secret = TotpSecret::generate();
    account_with_app(
        &db,
        &cipher,
        "dave",
        vec![email_contact("dave", true)],
        &dave_secret,
    )
    .await;
    let smtp = SmtpServer::start(0).await;
    let gateway = SmsGateway::start().await;
    let server = start("server", &db.url(), dir.path(), &smtp, &gateway, &[]).await;
    let mut secrets: Vec<String> = vec![
        PASSWORD.to_string(),
        urlencode(PASSWORD),
        alice_secret.to_base32().trim_end_matches('=').to_string(),
        dave_secret.to_base32().trim_end_matches('=').to_string(),
    ];

    // Password + authenticator app.
    let attempt = server.sign_in("alice").await;
    let (_, _, pending) = server.call("/api/pending_sign_in", "", &attempt).await;
    let code = alice_secret.code_at(now_secs());
    let (status, cookies, body) = server
        .send(verify_totp(&attempt, first_token_id(&pending), &code))
        .await;
    assert!(status < 400, "{body}");
    secrets.extend([attempt.clone(), code, cookie_pair(&cookies, "mayi_session")]);

    // Password + a code sent by SMS.
    let attempt = server.sign_in("carol").await;
    let (_, _, pending) = server.call("/api/pending_sign_in", "", &attempt).await;
    let token = first_token_id(&pending);
    let (status, _, body) = server
        .call("/api/send_code", &format!("token_id={token}"), &attempt)
        .await;
    assert!(status < 400, "{body}");
    eventually("the SMS code", || !gateway.received().is_empty()).await;
    let code = six_digit_code(gateway.received()[0]["text"].as_str().unwrap()).expect("a code");
    let (status, cookies, body) = server
        .call(
            "/api/verify_code",
            &format!("token_id={token}&kind=sms&code={code}"),
            &attempt,
        )
        .await;
    assert!(status < 400, "{body}");
    secrets.extend([attempt.clone(), code, cookie_pair(&cookies, "mayi_session")]);

    // Dave signed in fully from this browser before he lost his phone: the browser is
    // remembered (issue 13 item 5), so the code he asks for from it is valid at once.
    let attempt = server.sign_in("dave").await;
    let (_, _, pending) = server.call("/api/pending_sign_in", "", &attempt).await;
    let code = dave_secret.code_at(now_secs());
    let (status, cookies, body) = server
        .send(verify_totp(&attempt, first_token_id(&pending), &code))
        .await;
    assert!(status < 400, "{body}");
    let browser = cookie_pair(&cookies, "mayi_browser");
    secrets.extend([
        attempt,
        code,
        cookie_pair(&cookies, "mayi_session"),
        browser.clone(),
    ]);

    // Emergency Access: the wizard, then signing in with the code, a new app, finishing.
    let (status, cookies, body) = server
        .call(
            "/api/emergency_start",
            &format!("username=dave&password={}", urlencode(PASSWORD)),
            &browser,
        )
        .await;
    assert!(status < 400, "{body}");
    let wizard = cookie_pair(&cookies, "mayi_emergency");
    eventually("the proof e-mail", || !smtp.received().is_empty()).await;
    let proof = six_digit_code(&smtp.received()[0].data).expect("a code");
    for (path, form) in [
        ("/api/emergency_prove", format!("code={proof}")),
        ("/api/emergency_reason", "reason=lost_phone".to_string()),
    ] {
        let (status, _, body) = server
            .call(path, &form, &format!("{wizard}; {browser}"))
            .await;
        assert!(status < 400, "{path}: {body}");
    }
    let (_, _, shown) = server.call("/api/emergency_take_code", "", &wizard).await;
    let value: serde_json::Value = serde_json::from_str(&shown).unwrap();
    let emergency = value["grouped"].as_str().unwrap().to_string();
    let attempt = server.sign_in("dave").await;
    let (status, cookies, body) = server
        .call(
            "/api/verify_emergency",
            &format!("code={}", urlencode(&emergency.to_lowercase())),
            &attempt,
        )
        .await;
    assert!(status < 400, "{body}");
    let restricted = cookie_pair(&cookies, "mayi_session");
    let (status, _, body) = server
        .call(
            "/api/add_totp_start",
            "label=New+app&device=New+phone",
            &restricted,
        )
        .await;
    assert!(status < 400, "{body}");
    let (_, _, tokens) = server.call("/api/my_tokens", "", &restricted).await;
    let value: serde_json::Value = serde_json::from_str(&tokens).unwrap();
    let new_key = value["enrolment"]["secret_groups"]
        .as_str()
        .unwrap()
        .replace(' ', "");
    let new_token = value["enrolment"]["token_id"].as_i64().unwrap();
    let new_secret = TotpSecret::from_base32(&new_key).unwrap();
    let code = new_secret.code_at(now_secs());
    let (status, _, body) = server
        .call(
            "/api/add_totp_finish",
            &format!("token_id={new_token}&code={code}"),
            &restricted,
        )
        .await;
    assert!(status < 400, "{body}");
    let (status, _, body) = server
        .call("/api/finish_recovery", "end_others=on", &restricted)
        .await;
    assert!(status < 400, "{body}");
    secrets.extend([
        wizard,
        proof,
        emergency.clone(),
        emergency.replace('-', ""),
        emergency.to_lowercase(),
        attempt,
        restricted,
        new_key,
        code,
    ]);

    // Let the outbox drain (sent codes are erased from it), then stop the server.
    let deadline = Instant::now() + Duration::from_secs(30);
    while db
        .outbox_messages(1000)
        .await
        .unwrap()
        .iter()
        .any(|m| m.state == identity::OutboxState::Pending)
    {
        assert!(Instant::now() < deadline, "the outbox did not drain");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log_path = server.log.clone();
    drop(server);

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        log.contains("MAYI ID is serving"),
        "the log was captured: {log}"
    );
    let mut places = vec![("the server log".to_string(), log)];
    for table in [
        "accounts",
        "contacts",
        "tokens",
        "login_attempts",
        "sessions",
        "audit_events",
        "oob_challenges",
        "outbox",
        "emergency_codes",
        "emergency_wizards",
        "remembered_browsers",
    ] {
        places.push((table.to_string(), raw_rows(&db, table).await.join("\n")));
    }
    assert!(
        places
            .iter()
            .any(|(place, text)| place == "audit_events" && text.contains("emergency.finished")),
        "the audit log holds the run"
    );
    let secrets: Vec<String> = secrets
        .into_iter()
        .map(|s| {
            s.split_once('=')
                .map(|(_, v)| v.to_string())
                .filter(|_| s.starts_with("mayi_"))
                .unwrap_or(s)
        })
        .collect();
    for secret in &secrets {
        assert!(secret.len() >= 6, "{secret:?} is too short to look for");
        for (place, text) in &places {
            assert!(
                !contains_token(text, secret),
                "a secret ({} chars) appears in {place}",
                secret.len()
            );
        }
    }
}

/// What the load saw acknowledged before the crash, per account.
#[derive(Debug, Default, Clone)]
struct Acknowledged {
    /// The session cookie of a completed sign-in (password + TOTP answered 2xx).
    session: Option<String>,
    /// The label of an authenticator app whose enrolment was confirmed (2xx).
    enrolled: Option<String>,
}

/// One step of a run under load: the server's answer if it acknowledged `request` (2xx or 3xx),
/// or why not (the server killed).
async fn step(
    remote: &Remote,
    what: &str,
    request: axum::http::Request<String>,
) -> Result<Answer, String> {
    let (status, headers, body) = remote
        .send(request)
        .await
        .map_err(|e| format!("{what}: {e}"))?;
    if status >= 400 {
        return Err(format!("{what} {status} {body}"));
    }
    Ok((status, headers, body))
}

/// One account's run under load: password, TOTP, start a new app, confirm it. Each step that
/// the server acknowledges is recorded before the next is sent; the first failure (the server
/// killed) ends the run.
async fn crash_load_run(
    remote: &Remote,
    name: &str,
    secret: &TotpSecret,
    acked: &std::sync::Mutex<BTreeMap<String, Acknowledged>>,
) -> Result<(), String> {
    let (_, cookies, _) = step(remote, "sign_in", sign_in(name, PASSWORD)).await?;
    let attempt = cookie_pair(&cookies, "mayi_signin");
    let pending = post("/api/pending_sign_in", "", &attempt);
    let (_, _, pending) = step(remote, "pending_sign_in", pending).await?;
    let code = secret.code_at(now_secs());
    let verify = verify_totp(&attempt, first_token_id(&pending), &code);
    let (_, cookies, _) = step(remote, "verify_code", verify).await?;
    let session = cookie_pair(&cookies, "mayi_session");
    let record = |f: &dyn Fn(&mut Acknowledged)| {
        f(acked.lock().unwrap().entry(name.to_string()).or_default());
    };
    record(&|a| a.session = Some(session.clone()));

    let label = format!("New phone of {name}");
    let form = format!("label={}&device=Pixel%209", urlencode(&label));
    let start = post("/api/add_totp_start", &form, &session);
    step(remote, "add_totp_start", start).await?;
    let (_, _, view) = step(remote, "my_tokens", post("/api/my_tokens", "", &session)).await?;
    let view: serde_json::Value = serde_json::from_str(&view).map_err(|e| e.to_string())?;
    let token_id = view["enrolment"]["token_id"]
        .as_i64()
        .ok_or("no enrolment")?;
    let new_secret =
        TotpSecret::from_base32(view["enrolment"]["secret_groups"].as_str().unwrap_or(""))
            .map_err(|e| e.to_string())?;
    let form = format!(
        "token_id={token_id}&code={}",
        new_secret.code_at(now_secs())
    );
    let finish = post("/api/add_totp_finish", &form, &session);
    step(remote, "add_totp_finish", finish).await?;
    record(&|a| a.enrolled = Some(label.clone()));
    Ok(())
}

/// Issue 9, crash safety: sign-ins and enrolments run four at a time; once some are
/// acknowledged the server gets SIGKILL mid-load. Restarted on the same database, every
/// acknowledged session still works, every acknowledged app is active, and every "app added"
/// notice is still delivered (the mail server refuses the first few, so some were still
/// queued when the server died).
async fn sigkill_mid_load_loses_nothing_acknowledged(db: TestStore) {
    const ACCOUNTS: usize = 48;
    let dir = tempfile::tempdir().unwrap();
    let cipher = SeedCipher::load_or_create(&dir.path().join("seed.key")).unwrap();
    let mut users = Vec::new();
    for i in 0..ACCOUNTS {
        let name = format!("crash{i:02}");
        let secret = TotpSecret::generate();
        account_with_app(
            &db,
            &cipher,
            &name,
            vec![email_contact(&name, false)],
            &secret,
        )
        .await;
        users.push((name, secret));
    }
    let smtp = SmtpServer::start(4).await;
    let gateway = SmsGateway::start().await;
    let mut server = start("before", &db.url(), dir.path(), &smtp, &gateway, &[]).await;

    let users = std::sync::Arc::new(users);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let acked = std::sync::Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (users, next, acked, remote) = (
            users.clone(),
            next.clone(),
            acked.clone(),
            server.remote.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (name, secret) = users.get(i)?;
                if let Err(e) = crash_load_run(&remote, name, secret, &acked).await {
                    return Some(e);
                }
            }
        }));
    }
    // SIGKILL once a few enrolments are acknowledged, while the others are in flight.
    let enrolled = |acked: &std::sync::Mutex<BTreeMap<String, Acknowledged>>| {
        acked
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, a)| a.enrolled.is_some())
            .count()
    };
    eventually("8 acknowledged enrolments", || enrolled(&acked) >= 8).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let mut cut_off = 0;
    for worker in workers {
        if let Some(error) = worker.await.unwrap() {
            cut_off += 1;
            eprintln!("a run was cut off by the kill: {error}");
        }
    }
    assert!(
        next.load(std::sync::atomic::Ordering::SeqCst) < ACCOUNTS,
        "the kill came before the load ended"
    );
    assert!(cut_off > 0, "runs were in flight when the server died");
    let acked = acked.lock().unwrap().clone();
    let (sessions, enrolments) = (
        acked.iter().filter(|(_, a)| a.session.is_some()).count(),
        acked.iter().filter(|(_, a)| a.enrolled.is_some()).count(),
    );
    eprintln!("acknowledged before the kill: {sessions} sign-ins, {enrolments} enrolments");

    let after = start("after", &db.url(), dir.path(), &smtp, &gateway, &[]).await;
    for (name, ack) in &acked {
        let session = ack
            .session
            .as_ref()
            .expect("a run records its sign-in first");
        let (status, _, body) = after.call("/api/my_tokens", "", session).await;
        assert_eq!(status, 200, "{name}'s acknowledged session: {body}");
        if let Some(label) = &ack.enrolled {
            assert!(
                body.contains(label.as_str()),
                "{name}'s acknowledged app {label:?} is active: {body}"
            );
        }
    }
    // Every message queued before or after the kill is delivered by the restarted server:
    // nothing is left pending, nothing failed. A message the dead server was sending at the
    // moment of the kill stays leased for two minutes, then is sent again (at least once).
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let messages = db.outbox_messages(1000).await.unwrap();
        assert!(!messages.is_empty(), "the enrolments queued notices");
        assert!(
            messages.iter().all(|m| m.state != OutboxState::Failed),
            "a notice failed: {messages:?}"
        );
        if messages.iter().all(|m| m.state == OutboxState::Sent) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "undelivered after the restart: {:?}",
            messages
                .iter()
                .filter(|m| m.state != OutboxState::Sent)
                .map(|m| m.id)
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Among them the "app added" notice of each acknowledged enrolment, to the account's
    // address, queued in the same transaction as the activation.
    let mails = smtp.received();
    for (name, ack) in &acked {
        if ack.enrolled.is_some() {
            let address = format!("{name}@example.org");
            assert!(
                mails
                    .iter()
                    .any(|m| m.to.iter().any(|to| to.contains(&address))),
                "the notice to {address} was delivered"
            );
        }
    }
    drop(after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_nothing_acknowledged_on_sqlite() {
    sigkill_mid_load_loses_nothing_acknowledged(testing::sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sigkill_mid_load_loses_nothing_acknowledged_on_postgresql() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    sigkill_mid_load_loses_nothing_acknowledged(db).await;
}

/// Issue 9, observability: `/metrics` on its own address (not on the public one) counts the
/// sign-in steps by factor and outcome, request latency by route, the argon2 queue wait and the
/// outbox depth; every response carries a request id (an upstream one kept if plain); with
/// `MAYI_LOG_FORMAT=json` every log line is a JSON object, a request's lines carrying its id.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn operators_get_metrics_json_logs_and_request_ids() {
    let db: TestStore = testing::sqlite().await;
    let dir = tempfile::tempdir().unwrap();
    let cipher = SeedCipher::load_or_create(&dir.path().join("seed.key")).unwrap();
    let secret = TotpSecret::generate();
    account_with_app(&db, &cipher, "alice", vec![], &secret).await;
    let smtp = SmtpServer::start(0).await;
    let gateway = SmsGateway::start().await;
    let metrics_port = free_port().unwrap();
    let server = start(
        "observed",
        &db.url(),
        dir.path(),
        &smtp,
        &gateway,
        &[
            ("MAYI_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}")),
            ("MAYI_LOG_FORMAT", "json".to_string()),
        ],
    )
    .await;

    // Password, a wrong app code, the right one.
    let attempt = server.sign_in("alice").await;
    let (_, _, pending) = server.call("/api/pending_sign_in", "", &attempt).await;
    let token = first_token_id(&pending);
    let (status, _, _) = server
        .send(verify_totp(&attempt, token, &wrong_code(&secret)))
        .await;
    assert_eq!(status, 401);
    let (status, _, body) = server
        .send(verify_totp(&attempt, token, &secret.code_at(now_secs())))
        .await;
    assert!(status < 400, "{body}");

    // Request ids: a plain upstream id is kept, a bad one replaced, a missing one made up.
    let id_of = |(_, headers, _): &Answer| {
        headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let kept = server
        .send(with_header(get("/login"), "x-request-id", "upstream-id-42"))
        .await;
    assert_eq!(id_of(&kept), "upstream-id-42");
    let replaced = server
        .send(with_header(
            get("/healthz"),
            "x-request-id",
            "no spaces allowed",
        ))
        .await;
    let made = server.send(get("/healthz")).await;
    for id in [id_of(&replaced), id_of(&made)] {
        assert!(
            id.len() >= 8 && id != "no spaces allowed",
            "a fresh id: {id:?}"
        );
    }
    assert_ne!(id_of(&replaced), id_of(&made));

    // /metrics is served on its own address only.
    let (status, _, _) = server.send(get("/metrics")).await;
    assert_eq!(status, 404);
    let metrics = Remote::new(&format!("http://127.0.0.1:{metrics_port}")).unwrap();
    let (_, _, text) = metrics.send(get("/metrics")).await.unwrap();
    let value = |name: &str, labels: &[&str]| -> Option<f64> {
        text.lines()
            .filter(|l| l.starts_with(&format!("{name}{{")) || l.starts_with(&format!("{name} ")))
            .find(|l| labels.iter().all(|label| l.contains(label)))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
    };
    let steps = "mayi_sign_in_steps_total";
    assert_eq!(
        value(steps, &[r#"factor="password""#, r#"outcome="success""#]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(steps, &[r#"factor="totp""#, r#"outcome="failure""#]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(steps, &[r#"factor="totp""#, r#"outcome="success""#]),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            "mayi_http_request_duration_seconds_count",
            &[r#"route="/api/verify_code""#, r#"status="4xx""#]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            "mayi_http_request_duration_seconds_count",
            &[r#"route="/api/verify_code""#, r#"status="2xx""#]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value("mayi_argon2_queue_wait_seconds_count", &[]),
        Some(1.0),
        "one password hashed: {text}"
    );
    assert!(
        value("mayi_outbox_queue_depth", &[]).is_some(),
        "the outbox depth: {text}"
    );
    assert!(text.contains("# HELP mayi_sign_in_steps_total"), "{text}");

    // JSON log lines, the request's id in its lines.
    drop(server);
    let log = std::fs::read_to_string(dir.path().join("observed.log")).unwrap();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() > 5, "{log}");
    assert!(
        lines
            .iter()
            .any(|l| l["span"]["request_id"] == "upstream-id-42"),
        "a line of the request carries its id: {log}"
    );
}
