//! AC-6 and abuse case 21: when the database fails in the middle of an authentication or
//! authorisation decision, the answer is "no", never "yes". On both backends; the SQLite busy
//! case on SQLite.

use std::sync::Arc;
use std::time::Duration;

use crate::testing::{execute_raw, TestStore};
use crate::{
    AccountState, AuthError, Authenticator, Client, CodeHasher, CodeIssuer, DomainError,
    EmergencyAccess, EmergencyCode, EmergencyPolicy, NewAccount, NewEmergencyCode, NewToken,
    Password, PasswordHasher, Role, SeedCipher, Store, SystemClock, Timestamp, TokenId, TokenKind,
    TokenState, TotpSecret, Username, EMERGENCY_CODE_KEY_LABEL,
};

on_both_backends!(
    ac6_a_broken_rate_limit_table_denies_a_right_totp_code,
    ac6_a_broken_code_table_denies_a_right_emergency_code,
    ac6_an_emergency_session_whose_code_cannot_be_read_is_refused,
);

const PASSWORD: &str = "correct horse battery staple";

struct Fixture {
    auth: Authenticator,
    emergency: EmergencyAccess,
    store: Store,
    cipher: Arc<SeedCipher>,
    secret: TotpSecret,
    token: TokenId,
    account: crate::AccountId,
    _db: TestStore,
}

async fn fixture(db: TestStore) -> Fixture {
    let store = db.store.clone();
    let hasher = PasswordHasher::new(None).unwrap();
    let cipher = Arc::new(SeedCipher::from_key_bytes([4; 32]));
    let account = store
        .create_account(NewAccount {
            username: Username::parse("erin").unwrap(),
            display_name: "Erin".into(),
            password_hash: hasher
                .hash(&Password::new(PASSWORD.into()).unwrap())
                .await
                .unwrap(),
            role: Role::User,
            state: AccountState::Active,
        })
        .await
        .unwrap();
    let secret = TotpSecret::generate();
    let token = store
        .insert_token(NewToken {
            account_id: account,
            kind: TokenKind::Totp,
            label: "App".into(),
            device: None,
            state: TokenState::Active,
            secret_enc: Some(secret.seal(&cipher, account).unwrap()),
            target: None,
        })
        .await
        .unwrap();
    let auth = Authenticator::new(
        store.clone(),
        hasher,
        cipher.clone(),
        Arc::new(SystemClock),
        "https://id.example.org",
    );
    let emergency =
        EmergencyAccess::new(auth.clone(), cipher.clone(), EmergencyPolicy::default()).unwrap();
    Fixture {
        auth,
        emergency,
        store,
        cipher,
        secret,
        token,
        account,
        _db: db,
    }
}

fn now_secs() -> u64 {
    Timestamp::now().unix_secs()
}

async fn issue_code(f: &Fixture) -> EmergencyCode {
    let code = EmergencyCode::generate();
    let hasher = CodeHasher::from_cipher(&f.cipher, EMERGENCY_CODE_KEY_LABEL);
    let now = Timestamp::now();
    f.store
        .issue_emergency_code(
            &NewEmergencyCode {
                account_id: f.account,
                code_hash: code.hash(&hasher, f.account),
                issuer: CodeIssuer::SelfService,
                issued_by: None,
                reason: "lost_phone".into(),
                reason_text: None,
                verification: None,
                valid_from: now,
                expires_at: now.plus(Duration::from_secs(3600)),
                max_uses: 3,
                cancel_hash: None,
            },
            &[],
        )
        .await
        .unwrap();
    code
}

fn denied_by_storage(result: Result<impl std::fmt::Debug, AuthError>) {
    match result {
        Err(AuthError::Domain(DomainError::Storage(_))) => {}
        other => panic!("expected a storage error (a denial), got {other:?}"),
    }
}

async fn ac6_a_broken_rate_limit_table_denies_a_right_totp_code(db: TestStore) {
    let f = fixture(db).await;
    let attempt = f
        .auth
        .check_password("erin", PASSWORD.into(), &Client::default())
        .await
        .unwrap()
        .attempt;
    execute_raw(&f.store, "DROP TABLE throttle").await.unwrap();
    let code = f.secret.code_at(now_secs());
    denied_by_storage(
        f.auth
            .verify_totp(&attempt, f.token, &code, &Client::default())
            .await,
    );
    assert!(f.store.sessions(f.account).await.unwrap().is_empty());
}

async fn ac6_a_broken_code_table_denies_a_right_emergency_code(db: TestStore) {
    let f = fixture(db).await;
    let code = issue_code(&f).await;
    let attempt = f
        .auth
        .check_password("erin", PASSWORD.into(), &Client::default())
        .await
        .unwrap()
        .attempt;
    // The code's table cannot be written (renamed away): the right code does not open anything.
    execute_raw(
        &f.store,
        "ALTER TABLE emergency_codes RENAME TO emergency_codes_gone",
    )
    .await
    .unwrap();
    denied_by_storage(
        f.emergency
            .sign_in(&attempt, &code.grouped(), &Client::default())
            .await,
    );
    assert!(f.store.sessions(f.account).await.unwrap().is_empty());
}

async fn ac6_an_emergency_session_whose_code_cannot_be_read_is_refused(db: TestStore) {
    let f = fixture(db).await;
    let code = issue_code(&f).await;
    let attempt = f
        .auth
        .check_password("erin", PASSWORD.into(), &Client::default())
        .await
        .unwrap()
        .attempt;
    let (_, session) = f
        .emergency
        .sign_in(&attempt, &code.grouped(), &Client::default())
        .await
        .unwrap();
    assert!(f.auth.session(&session).await.is_ok());
    execute_raw(
        &f.store,
        "ALTER TABLE emergency_sessions RENAME TO emergency_sessions_gone",
    )
    .await
    .unwrap();
    denied_by_storage(f.auth.session(&session).await);
}

/// Abuse case 21 on SQLite: another writer holds the database past the busy timeout; a right
/// emergency code is refused (the request fails) and no use is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ac6_sqlite_busy_denies_and_counts_nothing() {
    use sqlx::Connection;
    let f = fixture(crate::testing::sqlite().await).await;
    let code = issue_code(&f).await;
    let attempt = f
        .auth
        .check_password("erin", PASSWORD.into(), &Client::default())
        .await
        .unwrap()
        .attempt;
    let mut blocker = sqlx::SqliteConnection::connect(&f._db.url()).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let result = f
        .emergency
        .sign_in(&attempt, &code.grouped(), &Client::default())
        .await;
    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    denied_by_storage(result);
    let info = &f.store.emergency_codes(f.account).await.unwrap()[0];
    assert_eq!(info.uses, 0, "nothing was counted");
    assert!(f.store.sessions(f.account).await.unwrap().is_empty());
}
