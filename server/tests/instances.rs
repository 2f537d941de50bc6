//! Real `mayi-id serve` processes, driven over HTTP on loopback:
//! - two instances on one PostgreSQL database share sessions, rate-limit counts, one-use codes
//!   and the outbox (issue 9: instances are stateless);
//! - a full run of the flows leaves no password, code, seed or session id in the server's log or
//!   in any table (AU-2, EC-7, OOB-7, OTP-9; issue 8).

mod support;

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use identity::{
    testing::{self, raw_rows, TestStore},
    AccountId, AccountState, CodeHasher, CodeIssuer, EmergencyCode, Factor, NewAccount, NewContact,
    NewEmergencyCode, NewOutboxMessage, NewToken, Password, PasswordHasher, PhoneNumber, Role,
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
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("cookie", cookie)
            .body(form.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let cookies = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(|v| v.split(';').next().unwrap_or("").to_string())
            .filter(|pair| !pair.ends_with('='))
            .collect();
        (status, cookies, response.text().await.unwrap())
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
    let a = Instance::start("a", &db.url(), dir.path(), &smtp, &gateway).await;
    let b = Instance::start("b", &db.url(), dir.path(), &smtp, &gateway).await;

    // 1. Sign in through A, the second step on B; the session works on both; signing out on A
    //    ends it on B.
    let attempt = a.sign_in("alice").await;
    let (status, _, pending) = b.call("/api/pending_sign_in", "", &attempt).await;
    assert_eq!(status, 200, "{pending}");
    let token = first_token_id(&pending);
    let (status, cookies, body) = b
        .call(
            "/api/verify_code",
            &format!(
                "token_id={token}&kind=totp&code={}",
                secret.code_at(now_secs())
            ),
            &attempt,
        )
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
        let (status, _, body) = instance
            .call(
                "/api/verify_code",
                &format!("token_id={token}&kind=totp&code={wrong}"),
                &attempt,
            )
            .await;
        assert_eq!(status, 401, "guess {i}: {body}");
    }
    let (status, _, body) = b
        .call(
            "/api/verify_code",
            &format!("token_id={token}&kind=totp&code={wrong}"),
            &attempt,
        )
        .await;
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
        &NewEmergencyCode {
            account_id: bob,
            code_hash: code.hash(&hasher, bob),
            issuer: CodeIssuer::SelfService,
            issued_by: None,
            reason: "lost_phone".into(),
            reason_text: None,
            verification: None,
            valid_from: now,
            expires_at: now.plus(Duration::from_secs(3600)),
            max_uses: 1,
            cancel_hash: None,
        },
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
    let server = Instance::start("server", &db.url(), dir.path(), &smtp, &gateway).await;
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
        .call(
            "/api/verify_code",
            &format!(
                "token_id={}&kind=totp&code={code}",
                first_token_id(&pending)
            ),
            &attempt,
        )
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

    // Emergency Access: the wizard, then signing in with the code, a new app, finishing.
    let (status, cookies, body) = server
        .call(
            "/api/emergency_start",
            &format!("username=dave&password={}", enc(PASSWORD)),
            "",
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
        let (status, _, body) = server.call(path, &form, &wizard).await;
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
