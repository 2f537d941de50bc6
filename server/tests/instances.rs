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

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use identity::{
    testing::{self, raw_rows, TestStore},
    AccountId, AccountState, CodeHasher, EmergencyCode, Factor, NewAccount, NewContact,
    NewOutboxMessage, NewToken, OutboxState, Password, PasswordHasher, PhoneNumber, Role,
    SeedCipher, Store, ThrottleKey, Timestamp, TokenKind, TokenState, TotpSecret, Username,
    EMERGENCY_CODE_KEY_LABEL,
};
use support::{SmsGateway, SmtpServer};

const PASSWORD: &str = "a long and quite secret passphrase";

/// A running `mayi-id serve`, killed when dropped.
struct Instance {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Instance {
    async fn start(
        name: &str,
        url: &str,
        dir: &Path,
        smtp: &SmtpServer,
        gateway: &SmsGateway,
        extra_env: &[(&str, String)],
    ) -> Instance {
        let site = dir.join("site");
        std::fs::create_dir_all(site.join("pkg")).unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let log = dir.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_mayi-id"))
            .arg("serve")
            .env("MAYI_DATABASE_URL", url)
            .env("MAYI_LISTEN", format!("127.0.0.1:{port}"))
            .env("MAYI_PUBLIC_URL", &base)
            .env("MAYI_DEV", "true")
            .env("MAYI_SEED_KEY_FILE", dir.join("seed.key"))
            .env("MAYI_SITE_ROOT", &site)
            .env("MAYI_SMTP_URL", smtp.url())
            .env("MAYI_SMS_GATEWAY_URL", gateway.url())
            .env("MAYI_LOG", "debug")
            .envs(extra_env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("start mayi-id");
        let instance = Instance { child, base, log };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = client
                .get(format!("{}/readyz", instance.base))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ready {
                return instance;
            }
            assert!(
                Instant::now() < deadline,
                "{name} did not become ready: {}",
                std::fs::read_to_string(&instance.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A server function call as the hydrated page makes it: `(status, new cookies, body)`.
    async fn call(&self, path: &str, form: &str, cookie: &str) -> (u16, Vec<String>, String) {
        post(&self.base, path, form, cookie).await.unwrap()
    }

    /// The second sign-in step with an authenticator app code.
    async fn verify_totp(
        &self,
        attempt: &str,
        token: i64,
        code: &str,
    ) -> (u16, Vec<String>, String) {
        verify_totp(&self.base, attempt, token, code).await.unwrap()
    }

    async fn sign_in(&self, username: &str) -> String {
        let (status, cookies, body) = self
            .call(
                "/api/sign_in",
                &format!("username={username}&password={}", enc(PASSWORD)),
                "",
            )
            .await;
        assert!(status < 400, "{status} {body}");
        cookie(&cookies, "mayi_signin")
    }
}

/// A server function call on the server at `base`: `(status, new cookies, body)`, or the
/// transport error (a killed server).
async fn post(
    base: &str,
    path: &str,
    form: &str,
    cookie: &str,
) -> Result<(u16, Vec<String>, String), reqwest::Error> {
    let response = reqwest::Client::new()
        .post(format!("{base}{path}"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .header("cookie", cookie)
        .body(form.to_string())
        .send()
        .await?;
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or("").to_string())
        .filter(|pair| !pair.ends_with('='))
        .collect();
    Ok((status, cookies, response.text().await?))
}

/// The second sign-in step with an authenticator app code, on the server at `base`.
async fn verify_totp(
    base: &str,
    attempt: &str,
    token: i64,
    code: &str,
) -> Result<(u16, Vec<String>, String), reqwest::Error> {
    let form = format!("token_id={token}&kind=totp&code={code}");
    post(base, "/api/verify_code", &form, attempt).await
}

fn cookie(cookies: &[String], name: &str) -> String {
    cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"))
        .clone()
}

fn enc(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// Creates an account with the test password, optional contacts and tokens; returns its id.
async fn account(
    store: &Store,
    name: &str,
    contacts: Vec<NewContact>,
    tokens: Vec<NewToken>,
) -> AccountId {
    let hash = PasswordHasher::new(None)
        .unwrap()
        .hash(&Password::new(PASSWORD.into()).unwrap())
        .await
        .unwrap();
    let id = store
        .create_account_with(
            NewAccount {
                username: Username::parse(name).unwrap(),
                display_name: format!("{name} Example"),
                password_hash: hash,
                role: Role::User,
                state: AccountState::Active,
            },
            contacts,
        )
        .await
        .unwrap();
    for mut token in tokens {
        token.account_id = id;
        store.insert_token(token).await.unwrap();
    }
    id
}

fn totp_token(cipher: &SeedCipher, account: AccountId, secret: &TotpSecret) -> NewToken {
    NewToken {
        account_id: account,
        kind: TokenKind::Totp,
        label: "Authenticator app".into(),
        device: Some("Pixel 7".into()),
        state: TokenState::Active,
        secret_enc: Some(secret.seal(cipher, account).unwrap()),
        target: None,
    }
}

/// The first token id in a `pending_sign_in` answer.
fn first_token_id(pending: &str) -> i64 {
    let value: serde_json::Value = serde_json::from_str(pending).unwrap();
    value["tokens"][0]["id"].as_i64().unwrap()
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
    let alice = account(&db, "alice", vec![], vec![]).await;
    db.insert_token(totp_token(&cipher, alice, &secret))
        .await
        .unwrap();
    let bob = account(&db, "bob", vec![], vec![]).await;
    db.insert_token(totp_token(&cipher, bob, &TotpSecret::generate()))
        .await
        .unwrap();
    let smtp = SmtpServer::start(0).await;
    let gateway = SmsGateway::start().await;
    let a = Instance::start("a", &db.url(), dir.path(), &smtp, &gateway, &[]).await;
    let b = Instance::start("b", &db.url(), dir.path(), &smtp, &gateway, &[]).await;

    // 1. Sign in through A, the second step on B; the session works on both; signing out on A
    //    ends it on B.
    let attempt = a.sign_in("alice").await;
    let (status, _, pending) = b.call("/api/pending_sign_in", "", &attempt).await;
    assert_eq!(status, 200, "{pending}");
    let token = first_token_id(&pending);
    let (status, cookies, body) = b
        .verify_totp(&attempt, token, &secret.code_at(now_secs()))
        .await;
    assert!(status < 400, "{status} {body}");
    let session = cookie(&cookies, "mayi_session");
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
        let (status, _, body) = instance.verify_totp(&attempt, token, &wrong).await;
        assert_eq!(status, 401, "guess {i}: {body}");
    }
    let (status, _, body) = b.verify_totp(&attempt, token, &wrong).await;
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
    let form = format!("code={}", enc(&code.grouped()));
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
        db.enqueue(
            NewOutboxMessage::sms(
                &PhoneNumber::parse("+420601999000").unwrap(),
                &format!("outbox message number {i}"),
            )
            .unwrap(),
        )
        .await
        .unwrap();
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

/// The newest 6-digit code in a text.
fn six_digits(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .rfind(|w| w.len() == 6)
        .unwrap_or_else(|| panic!("no 6-digit code in {text:?}"))
        .to_string()
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
    let alice = account(&db, "alice", vec![], vec![]).await;
    db.insert_token(totp_token(&cipher, alice, &alice_secret))
        .await
        .unwrap();
    let carol = account(&db, "carol", vec![], vec![]).await;
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
    let dave = account(
        &db,
        "dave",
        vec![NewContact {
            value: identity::Email::parse("dave@example.org").unwrap().into(),
            confirmed: true,
            is_recovery: true,
        }],
        vec![],
    )
    .await;
    db.insert_token(totp_token(&cipher, dave, &dave_secret))
        .await
        .unwrap();
    let smtp = SmtpServer::start(0).await;
    let gateway = SmsGateway::start().await;
    let server = Instance::start("server", &db.url(), dir.path(), &smtp, &gateway, &[]).await;
    let mut secrets: Vec<String> = vec![
        PASSWORD.to_string(),
        enc(PASSWORD),
        alice_secret.to_base32().trim_end_matches('=').to_string(),
        dave_secret.to_base32().trim_end_matches('=').to_string(),
    ];

    // Password + authenticator app.
    let attempt = server.sign_in("alice").await;
    let (_, _, pending) = server.call("/api/pending_sign_in", "", &attempt).await;
    let code = alice_secret.code_at(now_secs());
    let (status, cookies, body) = server
        .verify_totp(&attempt, first_token_id(&pending), &code)
        .await;
    assert!(status < 400, "{body}");
    secrets.extend([attempt.clone(), code, cookie(&cookies, "mayi_session")]);

    // Password + a code sent by SMS.
    let attempt = server.sign_in("carol").await;
    let (_, _, pending) = server.call("/api/pending_sign_in", "", &attempt).await;
    let token = first_token_id(&pending);
    let (status, _, body) = server
        .call("/api/send_code", &format!("token_id={token}"), &attempt)
        .await;
    assert!(status < 400, "{body}");
    eventually("the SMS code", || !gateway.received().is_empty()).await;
    let code = six_digits(gateway.received()[0]["text"].as_str().unwrap());
    let (status, cookies, body) = server
        .call(
            "/api/verify_code",
            &format!("token_id={token}&kind=sms&code={code}"),
            &attempt,
        )
        .await;
    assert!(status < 400, "{body}");
    secrets.extend([attempt.clone(), code, cookie(&cookies, "mayi_session")]);

    // Dave signed in fully from this browser before he lost his phone: the browser is
    // remembered (issue 13 item 5), so the code he asks for from it is valid at once.
    let attempt = server.sign_in("dave").await;
    let (_, _, pending) = server.call("/api/pending_sign_in", "", &attempt).await;
    let code = dave_secret.code_at(now_secs());
    let (status, cookies, body) = server
        .verify_totp(&attempt, first_token_id(&pending), &code)
        .await;
    assert!(status < 400, "{body}");
    let browser = cookie(&cookies, "mayi_browser");
    secrets.extend([
        attempt,
        code,
        cookie(&cookies, "mayi_session"),
        browser.clone(),
    ]);

    // Emergency Access: the wizard, then signing in with the code, a new app, finishing.
    let (status, cookies, body) = server
        .call(
            "/api/emergency_start",
            &format!("username=dave&password={}", enc(PASSWORD)),
            &browser,
        )
        .await;
    assert!(status < 400, "{body}");
    let wizard = cookie(&cookies, "mayi_emergency");
    eventually("the proof e-mail", || !smtp.received().is_empty()).await;
    let proof = six_digits(&smtp.received()[0].data);
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
            &format!("code={}", enc(&emergency.to_lowercase())),
            &attempt,
        )
        .await;
    assert!(status < 400, "{body}");
    let restricted = cookie(&cookies, "mayi_session");
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

/// One account's run under load: password, TOTP, start a new app, confirm it. Each step that
/// the server acknowledges is recorded before the next is sent; the first failure (the server
/// killed) ends the run.
async fn crash_load_run(
    base: &str,
    name: &str,
    secret: &TotpSecret,
    acked: &std::sync::Mutex<BTreeMap<String, Acknowledged>>,
) -> Result<(), String> {
    let err = |e: reqwest::Error| e.to_string();
    let form = format!("username={name}&password={}", enc(PASSWORD));
    let (status, cookies, body) = post(base, "/api/sign_in", &form, "").await.map_err(err)?;
    if status >= 400 {
        return Err(format!("sign_in {status} {body}"));
    }
    let attempt = cookie(&cookies, "mayi_signin");
    let (_, _, pending) = post(base, "/api/pending_sign_in", "", &attempt)
        .await
        .map_err(err)?;
    let code = secret.code_at(now_secs());
    let (status, cookies, body) = verify_totp(base, &attempt, first_token_id(&pending), &code)
        .await
        .map_err(err)?;
    if status >= 400 {
        return Err(format!("verify_code {status} {body}"));
    }
    let session = cookie(&cookies, "mayi_session");
    let record = |f: &dyn Fn(&mut Acknowledged)| {
        f(acked.lock().unwrap().entry(name.to_string()).or_default());
    };
    record(&|a| a.session = Some(session.clone()));

    let label = format!("New phone of {name}");
    let form = format!("label={}&device=Pixel%209", enc(&label));
    let (status, _, body) = post(base, "/api/add_totp_start", &form, &session)
        .await
        .map_err(err)?;
    if status >= 400 {
        return Err(format!("add_totp_start {status} {body}"));
    }
    let (_, _, view) = post(base, "/api/my_tokens", "", &session)
        .await
        .map_err(err)?;
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
    let (status, _, body) = post(base, "/api/add_totp_finish", &form, &session)
        .await
        .map_err(err)?;
    if status >= 400 {
        return Err(format!("add_totp_finish {status} {body}"));
    }
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
        let contact = NewContact {
            value: identity::Email::parse(&format!("{name}@example.org"))
                .unwrap()
                .into(),
            confirmed: true,
            is_recovery: false,
        };
        let id = account(&db, &name, vec![contact], vec![]).await;
        db.insert_token(totp_token(&cipher, id, &secret))
            .await
            .unwrap();
        users.push((name, secret));
    }
    let smtp = SmtpServer::start(4).await;
    let gateway = SmsGateway::start().await;
    let mut server = Instance::start("before", &db.url(), dir.path(), &smtp, &gateway, &[]).await;

    let users = std::sync::Arc::new(users);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let acked = std::sync::Arc::new(std::sync::Mutex::new(BTreeMap::new()));
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (users, next, acked, base) = (
            users.clone(),
            next.clone(),
            acked.clone(),
            server.base.clone(),
        );
        workers.push(tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let (name, secret) = users.get(i)?;
                if let Err(e) = crash_load_run(&base, name, secret, &acked).await {
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

    let after = Instance::start("after", &db.url(), dir.path(), &smtp, &gateway, &[]).await;
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
    let alice = account(&db, "alice", vec![], vec![]).await;
    db.insert_token(totp_token(&cipher, alice, &secret))
        .await
        .unwrap();
    let smtp = SmtpServer::start(0).await;
    let gateway = SmsGateway::start().await;
    let metrics_port = free_port();
    let server = Instance::start(
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
        .verify_totp(&attempt, token, &wrong_code(&secret))
        .await;
    assert_eq!(status, 401);
    let (status, _, body) = server
        .verify_totp(&attempt, token, &secret.code_at(now_secs()))
        .await;
    assert!(status < 400, "{body}");

    // Request ids: a plain upstream id is kept, a bad one replaced, a missing one made up.
    let client = reqwest::Client::new();
    let id_of = |r: &reqwest::Response| {
        r.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let kept = client
        .get(format!("{}/login", server.base))
        .header("x-request-id", "upstream-id-42")
        .send()
        .await
        .unwrap();
    assert_eq!(id_of(&kept), "upstream-id-42");
    let replaced = client
        .get(format!("{}/healthz", server.base))
        .header("x-request-id", "no spaces allowed")
        .send()
        .await
        .unwrap();
    let made = client
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    for id in [id_of(&replaced), id_of(&made)] {
        assert!(
            id.len() >= 8 && id != "no spaces allowed",
            "a fresh id: {id:?}"
        );
    }
    assert_ne!(id_of(&replaced), id_of(&made));

    // /metrics is served on its own address only.
    let public = client
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status().as_u16(), 404);
    let text = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
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
