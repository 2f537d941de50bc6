//! Abuse cases from the security rules that live below HTTP (the others are in
//! `server/tests/`), on both backends: brute force of emergency codes (2), codes after an
//! account lock (5), 50 parallel submissions of a one-use code and of one TOTP code (6), and
//! failing closed when the database fails in the middle of a decision (21, AC-6; the SQLite busy
//! case on SQLite).

use crate::testing::attempt_of;
use std::sync::Arc;
use std::time::Duration;

use crate::testing::{account_in, add_totp, execute_raw, services, TestStore, CIPHER_KEY};
use crate::Identity;
use crate::{
    AccountId, Authenticator, Client, CodeHasher, DomainError, EmergencyAccess, EmergencyCode,
    EmergencyPolicy, Password, PasswordHasher, Role, SeedCipher, Store, SystemClock, Timestamp,
    TokenId, TotpSecret, EMERGENCY_CODE_KEY_LABEL,
};

on_both_backends!(
    abuse_02_emergency_code_guesses_are_counted_per_account_across_attempts,
    abuse_05_a_locked_account_cannot_use_its_code_and_its_session_ends,
    abuse_06_fifty_parallel_uses_of_a_one_use_code_succeed_once,
    abuse_06_fifty_parallel_submissions_of_one_totp_code_succeed_once,
    ac6_a_broken_rate_limit_table_denies_a_right_totp_code,
    ac6_a_broken_code_table_denies_a_right_emergency_code,
    ac6_an_emergency_session_whose_code_cannot_be_read_is_refused,
);

pub(crate) use crate::testing::PASSWORD;
pub(crate) const USERNAME: &str = "mallory-target";

pub(crate) struct Fixture {
    pub(crate) auth: Authenticator,
    pub(crate) emergency: EmergencyAccess,
    pub(crate) enrol: crate::Enrolment,
    pub(crate) store: Store,
    pub(crate) cipher: Arc<SeedCipher>,
    pub(crate) account: AccountId,
    pub(crate) token: TokenId,
    pub(crate) secret: TotpSecret,
    pub(crate) _db: TestStore,
}

pub(crate) async fn fixture(db: TestStore) -> Fixture {
    let store = db.store.clone();
    let cipher = Arc::new(SeedCipher::from_key_bytes(CIPHER_KEY));
    let hash = PasswordHasher::new(None)
        .unwrap()
        .hash(&Password::new(PASSWORD.into()).unwrap())
        .await
        .unwrap();
    let account = account_in(&store, USERNAME, "Target", Role::User, hash, vec![])
        .await
        .id;
    let secret = TotpSecret::generate();
    let token = add_totp(&store, &cipher, account, &secret, "App", None).await;
    let Identity {
        auth,
        emergency,
        enrolment,
        ..
    } = services(
        &store,
        &cipher,
        Arc::new(SystemClock),
        EmergencyPolicy::default(),
    );
    Fixture {
        auth,
        emergency,
        enrol: enrolment,
        store,
        cipher,
        account,
        token,
        secret,
        _db: db,
    }
}

pub(crate) async fn issue_code(f: &Fixture, max_uses: u32) -> EmergencyCode {
    let code = EmergencyCode::generate();
    let hasher = CodeHasher::from_cipher(&f.cipher, EMERGENCY_CODE_KEY_LABEL);
    let now = Timestamp::now();
    f.store
        .issue_emergency_code(
            &crate::testing::self_service_code(
                f.account,
                code.hash(&hasher, f.account),
                now,
                now.plus(Duration::from_secs(3600)),
                max_uses,
            ),
            &[],
        )
        .await
        .unwrap();
    code
}

async fn attempt(f: &Fixture) -> crate::SessionToken {
    f.auth
        .check_password(USERNAME, PASSWORD.into(), &Client::default())
        .await
        .unwrap()
        .attempt
}

async fn abuse_02_emergency_code_guesses_are_counted_per_account_across_attempts(db: TestStore) {
    let f = fixture(db).await;
    let code = issue_code(&f, 3).await;
    // Five wrong guesses, each from a fresh sign-in attempt and another address.
    for i in 0..5 {
        let a = attempt(&f).await;
        let client = Client {
            ip: Some(format!("198.51.100.{i}")),
            user_agent: None,
            browser: None,
        };
        let wrong = EmergencyCode::generate();
        assert!(matches!(
            f.emergency
                .sign_in(
                    &attempt_of(&f.emergency, &a).await,
                    &wrong.grouped(),
                    &client
                )
                .await,
            Err(DomainError::InvalidCode)
        ));
    }
    // The sixth, even the right code, waits: the count is the account's, not the attempt's.
    let a = attempt(&f).await;
    assert!(matches!(
        f.emergency
            .sign_in(
                &attempt_of(&f.emergency, &a).await,
                &code.grouped(),
                &Client::default()
            )
            .await,
        Err(DomainError::RateLimited { .. })
    ));
    let info = &f.store.emergency_codes(f.account).await.unwrap()[0];
    assert_eq!(info.uses, 0, "guesses use nothing up");
}

async fn abuse_05_a_locked_account_cannot_use_its_code_and_its_session_ends(db: TestStore) {
    let f = fixture(db).await;
    let code = issue_code(&f, 3).await;
    let a = attempt(&f).await;
    let (_, session) = f
        .emergency
        .sign_in(
            &attempt_of(&f.emergency, &a).await,
            &code.grouped(),
            &Client::default(),
        )
        .await
        .unwrap();
    let lock = format!(
        "UPDATE accounts SET state = 'locked' WHERE id = {}",
        f.account.0
    );
    execute_raw(&f.store, &lock).await.unwrap();
    assert!(
        f.auth.authorize(&session).await.is_err(),
        "the session ends with the lock"
    );
    assert!(matches!(
        f.auth
            .check_password(USERNAME, PASSWORD.into(), &Client::default())
            .await,
        Err(DomainError::InvalidCredentials)
    ));
}

async fn abuse_06_fifty_parallel_uses_of_a_one_use_code_succeed_once(db: TestStore) {
    use crate::audit::{AuditAction, AuditOutcome, NewAuditEvent};
    let f = fixture(db).await;
    let code = issue_code(&f, 1).await;
    let hasher = CodeHasher::from_cipher(&f.cipher, EMERGENCY_CODE_KEY_LABEL);
    let hash = code.hash(&hasher, f.account);
    // Fifty sign-ins that all read the code before any used it: each tries to open its session
    // with the one reading; the use is counted in that transaction only if the count is still
    // the one read.
    let live = f
        .store
        .live_emergency_code(f.account, hash)
        .await
        .unwrap()
        .expect("the code is live");
    let key = crate::ThrottleKey::account_factor(f.account, crate::Factor::EmergencyCode);
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (store, live, key, account) =
                (f.store.clone(), live.clone(), key.clone(), f.account);
            tokio::spawn(async move {
                let attempt = store
                    .create_login_attempt(account, crate::LOGIN_ATTEMPT_TTL)
                    .await
                    .unwrap();
                let new = crate::NewSession {
                    account_id: account,
                    scope: crate::SessionScope::Emergency,
                    ip: None,
                    user_agent: None,
                    second_factor: None,
                };
                let audit =
                    NewAuditEvent::new(AuditAction::EmergencyCodeUsed, AuditOutcome::Success)
                        .actor(account)
                        .subject(account);
                store
                    .open_emergency_code_session(&attempt, &key, new, &live, audit, &[])
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        if task.await.unwrap().unwrap().is_some() {
            ok += 1;
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(f.store.sessions(f.account).await.unwrap().len(), 1);
    let info = &f.store.emergency_codes(f.account).await.unwrap()[0];
    assert_eq!(info.uses, 1);
}

async fn abuse_06_fifty_parallel_submissions_of_one_totp_code_succeed_once(db: TestStore) {
    let f = fixture(db).await;
    let step = (Timestamp::now().unix_secs() / 30) as i64;
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let store = f.store.clone();
            let (token, account) = (f.token, f.account);
            tokio::spawn(async move { store.record_totp_use(token, account, step).await })
        })
        .collect();
    let mut ok = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            ok += 1;
        }
    }
    assert_eq!(ok, 1, "one of 50 racing submissions of the same step wins");
}

fn denied_by_storage(result: Result<impl std::fmt::Debug, DomainError>) {
    match result {
        Err(DomainError::Storage(_)) => {}
        other => panic!("expected a storage error (a denial), got {other:?}"),
    }
}

async fn ac6_a_broken_rate_limit_table_denies_a_right_totp_code(db: TestStore) {
    let f = fixture(db).await;
    let attempt = attempt(&f).await;
    execute_raw(&f.store, "DROP TABLE throttle").await.unwrap();
    let code = f.secret.code_at(Timestamp::now().unix_secs());
    denied_by_storage(
        f.auth
            .verify_totp(
                &attempt_of(&f.auth, &attempt).await,
                f.token,
                &code,
                &Client::default(),
            )
            .await,
    );
    assert!(f.store.sessions(f.account).await.unwrap().is_empty());
}

async fn ac6_a_broken_code_table_denies_a_right_emergency_code(db: TestStore) {
    let f = fixture(db).await;
    let code = issue_code(&f, 3).await;
    let attempt = attempt(&f).await;
    // The code's table cannot be written (renamed away): the right code does not open anything.
    execute_raw(
        &f.store,
        "ALTER TABLE emergency_codes RENAME TO emergency_codes_gone",
    )
    .await
    .unwrap();
    denied_by_storage(
        f.emergency
            .sign_in(
                &attempt_of(&f.emergency, &attempt).await,
                &code.grouped(),
                &Client::default(),
            )
            .await,
    );
    assert!(f.store.sessions(f.account).await.unwrap().is_empty());
}

async fn ac6_an_emergency_session_whose_code_cannot_be_read_is_refused(db: TestStore) {
    let f = fixture(db).await;
    let code = issue_code(&f, 3).await;
    let attempt = attempt(&f).await;
    let (_, session) = f
        .emergency
        .sign_in(
            &attempt_of(&f.emergency, &attempt).await,
            &code.grouped(),
            &Client::default(),
        )
        .await
        .unwrap();
    assert!(f.auth.authorize(&session).await.is_ok());
    execute_raw(
        &f.store,
        "ALTER TABLE emergency_sessions RENAME TO emergency_sessions_gone",
    )
    .await
    .unwrap();
    denied_by_storage(f.auth.authorize(&session).await);
}

/// Abuse case 21 on SQLite: another writer holds the database past the busy timeout; a right
/// emergency code is refused (the request fails) and no use is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ac6_sqlite_busy_denies_and_counts_nothing() {
    use sqlx::Connection;
    let f = fixture(crate::testing::sqlite().await).await;
    let code = issue_code(&f, 3).await;
    let attempt = attempt(&f).await;
    let mut blocker = sqlx::SqliteConnection::connect(&f._db.url()).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let result = f
        .emergency
        .sign_in(
            &attempt_of(&f.emergency, &attempt).await,
            &code.grouped(),
            &Client::default(),
        )
        .await;
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    denied_by_storage(result);
    let info = &f.store.emergency_codes(f.account).await.unwrap()[0];
    assert_eq!(info.uses, 0, "nothing was counted");
    assert!(f.store.sessions(f.account).await.unwrap().is_empty());
}
