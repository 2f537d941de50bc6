//! Throw-away stores for tests, in this crate and in the server's: each call gives a fresh,
//! migrated database (a temporary SQLite file, or a new PostgreSQL schema) that no other test
//! sees and that is deleted afterwards, so tests never depend on each other's order.
//!
//! PostgreSQL comes from `MAYI_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`). When it is unreachable, [`postgres`] returns
//! `None` and the test should return early — unless the environment variable `CI` is `true`, in
//! which case it panics: CI must run both backends.
//!
//! Enabled by the `testing` feature (and always for this crate's own tests).

use std::ops::Deref;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use rand::RngCore;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};

use crate::error::Result;
use crate::password::PasswordHash;
pub use crate::probe::StoreAccess;
use crate::store::Store;
use crate::time::{Clock, Timestamp};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_ENV: &str = "MAYI_TEST_POSTGRES_URL";

/// Used when [`POSTGRES_URL_ENV`] is not set.
pub const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

/// A migrated store that deletes its database when dropped. Derefs to [`Store`].
#[derive(Debug)]
pub struct TestStore {
    /// The store under test (also reachable through `Deref`).
    pub store: Store,
    // Declared after `store`, so the pool is dropped before the database goes.
    _sqlite_dir: Option<tempfile::TempDir>,
    _postgres_schema: Option<SchemaGuard>,
}

impl TestStore {
    /// A `MAYI_DATABASE_URL` that opens this very database (for starting `mayi-id` processes on
    /// it): the SQLite file, or the PostgreSQL database with this test's schema as search path.
    pub fn url(&self) -> String {
        if let Some(dir) = &self._sqlite_dir {
            return format!("sqlite://{}", dir.path().join("test.db").display());
        }
        let schema = self
            ._postgres_schema
            .as_ref()
            .map(|g| g.schema.clone())
            .unwrap_or_default();
        let base =
            std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let separator = if base.contains('?') { '&' } else { '?' };
        format!("{base}{separator}options[search_path]={schema}")
    }
}

impl Deref for TestStore {
    type Target = Store;

    fn deref(&self) -> &Store {
        &self.store
    }
}

/// A fresh, migrated SQLite store in a temporary directory.
pub async fn sqlite() -> TestStore {
    let dir = tempfile::tempdir().expect("create a temporary directory for the test database");
    let options = SqliteConnectOptions::new().filename(dir.path().join("test.db"));
    let store = Store::connect_sqlite(options, false)
        .await
        .unwrap_or_else(|e| panic!("open the test SQLite database: {}", e.detail()));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate the test SQLite database: {}", e.detail()));
    TestStore {
        store,
        _sqlite_dir: Some(dir),
        _postgres_schema: None,
    }
}

/// A fresh, migrated PostgreSQL store in its own schema (`t_<random hex>`, dropped afterwards),
/// or `None` when PostgreSQL is unreachable outside CI (a "skipping" line is printed).
pub async fn postgres() -> Option<TestStore> {
    let url = std::env::var(POSTGRES_URL_ENV).unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
    let admin: PgConnectOptions = url
        .parse()
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_ENV} is not a PostgreSQL URL: {e}"));
    let admin = admin.disable_statement_logging();
    let where_ = format!(
        "{}:{}/{}",
        admin.get_host(),
        admin.get_port(),
        admin.get_database().unwrap_or("")
    );

    let connected =
        tokio::time::timeout(Duration::from_secs(5), PgConnection::connect_with(&admin)).await;
    let mut conn = match connected {
        Ok(Ok(conn)) => conn,
        Ok(Err(e)) => return unreachable_postgres(&where_, &e.to_string()),
        Err(_) => return unreachable_postgres(&where_, "connection timed out"),
    };

    let schema = format!("t_{}", random_hex(8));
    sqlx::query(&format!("CREATE SCHEMA \"{schema}\""))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("create test schema {schema} on {where_}: {e}"));
    let _ = conn.close().await;

    let guard = SchemaGuard {
        admin: admin.clone(),
        schema: schema.clone(),
    };
    let options = admin.options([("search_path", schema.as_str())]);
    let store = Store::connect_postgres(options, 4)
        .await
        .unwrap_or_else(|e| panic!("connect to test schema {schema}: {}", e.detail()));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate test schema {schema}: {}", e.detail()));
    Some(TestStore {
        store,
        _sqlite_dir: None,
        _postgres_schema: Some(guard),
    })
}

fn unreachable_postgres(where_: &str, why: &str) -> Option<TestStore> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "PostgreSQL not reachable at {where_} ({why}); CI=true requires it. \
             Set {POSTGRES_URL_ENV} or start PostgreSQL."
        );
    }
    eprintln!("skipping: PostgreSQL not reachable at {where_} ({why})");
    None
}

/// Drops the test schema when the test ends (best effort: a failure only leaves a schema).
#[derive(Debug)]
struct SchemaGuard {
    admin: PgConnectOptions,
    schema: String,
}

impl Drop for SchemaGuard {
    fn drop(&mut self) {
        let admin = self.admin.clone();
        let schema = std::mem::take(&mut self.schema);
        // `Drop` cannot await, and the test's runtime may be shutting down: use a private
        // runtime on its own thread.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut conn = PgConnection::connect_with(&admin).await.ok()?;
                let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                let result = sqlx::query(&sql).execute(&mut conn).await;
                let _ = conn.close().await;
                result.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(_))) {
            eprintln!("warning: could not drop a PostgreSQL test schema");
        }
    }
}

/// Runs raw SQL on the store's database, for tests that must reach past the domain API (to
/// force a storage error, or inspect what is really stored). Returns the rows affected.
pub async fn execute_raw(store: &Store, sql: &str) -> Result<u64> {
    let result = if let Some(pool) = store.sqlite_pool() {
        sqlx::query(sql)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    } else if let Some(pool) = store.postgres_pool() {
        sqlx::query(sql)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
    } else {
        unreachable!("a store is either SQLite or PostgreSQL")
    };
    result.map_err(|e| crate::DomainError::Storage(e.to_string()))
}

/// Every stored `secret_enc` value, as raw bytes, straight from the table.
pub async fn raw_token_secrets(store: &Store) -> Vec<Vec<u8>> {
    use sqlx::Row;
    let sql = "SELECT secret_enc FROM tokens WHERE secret_enc IS NOT NULL ORDER BY id";
    let rows: Vec<Vec<u8>> = if let Some(pool) = store.sqlite_pool() {
        sqlx::query(sql)
            .fetch_all(pool)
            .await
            .expect("read tokens")
            .iter()
            .map(|r| r.get("secret_enc"))
            .collect()
    } else if let Some(pool) = store.postgres_pool() {
        sqlx::query(sql)
            .fetch_all(pool)
            .await
            .expect("read tokens")
            .iter()
            .map(|r| r.get("secret_enc"))
            .collect()
    } else {
        unreachable!("a store is either SQLite or PostgreSQL")
    };
    rows
}

/// Every row of `table`, each as one line of text holding all its columns (blobs as hex), straight
/// from the database: for tests that check what is (not) stored, whatever the column.
pub async fn raw_rows(store: &Store, table: &str) -> Vec<String> {
    use sqlx::Row;
    assert!(
        !table.is_empty() && table.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "raw_rows takes a plain table name"
    );
    if let Some(pool) = store.sqlite_pool() {
        let columns: Vec<String> = sqlx::query(&format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        ))
        .fetch_all(pool)
        .await
        .expect("list the table's columns")
        .iter()
        .map(|r| r.get("name"))
        .collect();
        assert!(!columns.is_empty(), "no table {table}");
        let row_text = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        sqlx::query(&format!(
            "SELECT {row_text} AS r FROM \"{table}\" ORDER BY id"
        ))
        .fetch_all(pool)
        .await
        .expect("read the table")
        .iter()
        .map(|r| r.get("r"))
        .collect()
    } else if let Some(pool) = store.postgres_pool() {
        sqlx::query(&format!(
            "SELECT t::text AS r FROM \"{table}\" t ORDER BY id"
        ))
        .fetch_all(pool)
        .await
        .expect("read the table")
        .iter()
        .map(|r| r.get("r"))
        .collect()
    } else {
        unreachable!("a store is either SQLite or PostgreSQL")
    }
}

/// A self-service emergency code for "lost phone" with no free text, valid from `valid_from` to
/// `expires_at` for `max_uses` uses: what the wizard issues, for tests that need a code in the
/// store without walking the wizard.
pub fn self_service_code(
    account: crate::AccountId,
    code_hash: [u8; 32],
    valid_from: Timestamp,
    expires_at: Timestamp,
    max_uses: u32,
) -> crate::NewEmergencyCode {
    crate::NewEmergencyCode {
        account_id: account,
        code_hash,
        issuer: crate::CodeIssuer::SelfService,
        issued_by: None,
        reason: "lost_phone".into(),
        reason_text: None,
        verification: None,
        valid_from,
        expires_at,
        max_uses,
        cancel_hash: None,
        unknown_browser: false,
    }
}

/// A well-formed argon2id PHC string that matches no password: for tests that need an account
/// but not a login, without paying for a real hash.
pub fn fake_password_hash() -> PasswordHash {
    PasswordHash::from_phc(
        "$argon2id$v=19$m=19456,t=2,p=1$YWFhYWFhYWFhYWFhYWFhYQ$\
         YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI"
            .to_owned(),
    )
    .expect("the fake hash is a valid PHC string")
}

/// A clock that stands still until told to move.
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing `start`.
    pub fn new(start: Timestamp) -> Self {
        Self(AtomicI64::new(start.as_millis()))
    }

    /// Shows `t` from now on.
    pub fn set(&self, t: Timestamp) {
        self.0.store(t.as_millis(), Ordering::SeqCst);
    }

    /// Moves forward by `d`.
    pub fn advance(&self, d: Duration) {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_millis(self.0.load(Ordering::SeqCst))
    }
}

fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    data_encoding::HEXLOWER.encode(&buf)
}

/// This crate's tests only: a session of `scope` and its active account, made up in memory
/// (no store), for the capability types' own tests.
#[cfg(test)]
pub(crate) fn session_and_account(scope: crate::SessionScope) -> (crate::Session, crate::Account) {
    use crate::{Account, AccountId, AccountState, Role, Session, SessionId, Username};
    let t0 = Timestamp::from_millis(1_700_000_000_000);
    let account = Account {
        id: AccountId(7),
        username: Username::parse("alice").expect("a valid username"),
        display_name: "Alice".into(),
        password_hash: fake_password_hash(),
        state: AccountState::Active,
        role: Role::User,
        created_at: t0,
        updated_at: t0,
    };
    let session = Session {
        id: SessionId(3),
        account_id: account.id,
        scope,
        created_at: t0,
        last_seen_at: t0,
        expires_at: t0.plus(Duration::from_secs(3600)),
        ip: None,
        user_agent: None,
        reauthenticated_at: None,
    };
    (session, account)
}

/// This crate's tests only: the capability of a `session` and `account` the test made itself
/// (in production only [`crate::Authenticator::authorize`] makes one, from a live session).
#[cfg(test)]
pub(crate) fn caller(session: &crate::Session, account: &crate::Account) -> crate::SignedIn {
    crate::SignedIn::new(session.clone(), account.clone())
}

/// This crate's tests only: what a sign-in attempt capability is read through (the
/// authenticator, or Emergency Access, whose second step takes one too).
#[cfg(test)]
pub(crate) trait Authenticates {
    fn authenticator(&self) -> &crate::Authenticator;
}

#[cfg(test)]
impl<T: Authenticates> Authenticates for &T {
    fn authenticator(&self) -> &crate::Authenticator {
        (**self).authenticator()
    }
}

#[cfg(test)]
impl Authenticates for crate::Authenticator {
    fn authenticator(&self) -> &crate::Authenticator {
        self
    }
}

/// This crate's tests only: the capability of the live sign-in attempt `token`, as the server's
/// guard reads it for each request (a test reads it again before each step, as a browser's
/// next request would).
#[cfg(test)]
pub(crate) async fn attempt_of(
    by: &impl Authenticates,
    token: &crate::SessionToken,
) -> crate::Attempt {
    by.authenticator()
        .attempt(token)
        .await
        .expect("a live sign-in attempt")
}

/// This crate's tests only: the capability of the open wizard `token`, read as for a request.
#[cfg(test)]
pub(crate) async fn wizard_of(
    emergency: &crate::EmergencyAccess,
    token: &crate::SessionToken,
) -> crate::Wizard {
    emergency
        .open_wizard(token)
        .await
        .expect("an open Emergency Access wizard")
}

/// This crate's tests only: the fixture builders every test file builds its situation with.
#[cfg(test)]
pub(crate) use world::*;

#[cfg(test)]
mod world {
    use std::sync::Arc;

    use super::{ManualClock, TestStore};
    use crate::password::PasswordHash;
    use crate::store::Store;
    use crate::time::{Clock, Timestamp};
    use crate::{
        Account, AccountId, AccountState, AuditAction, AuditEvent, AuditQuery, Authenticator,
        Console, Email, EmergencyAccess, EmergencyPolicy, Enrolment, Identity, NewAccount,
        NewContact, NewSession, NewToken, Password, PasswordHasher, PhoneNumber, Role, SeedCipher,
        SessionScope, SessionToken, SignedIn, TokenId, TokenKind, TokenService, TokenState,
        TotpSecret, Username,
    };

    /// The password of every account made with a real hash ([`World::member`]).
    pub(crate) const PASSWORD: &str = "correct horse battery staple";
    /// The instant a [`World::new`] clock shows (2027-01-15).
    pub(crate) const T0: i64 = 1_800_000_000;
    /// The public URL the services are built with.
    pub(crate) const URL: &str = "https://id.example.org";
    /// The key of every test's seed cipher.
    pub(crate) const CIPHER_KEY: [u8; 32] = [7; 32];

    /// A confirmed or unconfirmed contact, an e-mail address or else a phone number, not the
    /// recovery address.
    pub(crate) fn contact(value: &str, confirmed: bool) -> NewContact {
        NewContact {
            value: match Email::parse(value) {
                Ok(e) => e.into(),
                Err(_) => PhoneNumber::parse(value).unwrap().into(),
            },
            confirmed,
            is_recovery: false,
        }
    }

    /// The confirmed recovery address `email`.
    pub(crate) fn recovery(email: &str) -> NewContact {
        NewContact {
            value: Email::parse(email).unwrap().into(),
            confirmed: true,
            is_recovery: true,
        }
    }

    /// A new active account `name` in `store`, with `contacts`, read back.
    pub(crate) async fn account_in(
        store: &Store,
        name: &str,
        display: &str,
        role: Role,
        password_hash: PasswordHash,
        contacts: Vec<NewContact>,
    ) -> Account {
        let id = store
            .create_account_with(
                NewAccount {
                    username: Username::parse(name).unwrap(),
                    display_name: display.into(),
                    password_hash,
                    role,
                    state: AccountState::Active,
                },
                contacts,
            )
            .await
            .unwrap();
        store.account_by_id(id).await.unwrap().unwrap()
    }

    /// An active token of `kind` with a made-up seal (TOTP), or `+420601123456` (SMS) or
    /// `codes@example.org` (e-mail) as its target: for tests of the token list, not of sign-in.
    /// An active passkey token of `account` with a stand-in credential `credential_id` (its
    /// record is not a real credential's: enough for lists, not for signing in).
    pub(crate) async fn add_passkey(
        store: &Store,
        account: AccountId,
        label: &str,
        device: Option<&str>,
        credential_id: &[u8],
    ) -> TokenId {
        store
            .insert_passkey_token(
                NewToken {
                    account_id: account,
                    kind: TokenKind::Webauthn,
                    label: label.into(),
                    device: device.map(str::to_owned),
                    state: TokenState::Active,
                    secret_enc: None,
                    target: None,
                },
                crate::store::NewCredential {
                    credential_id: credential_id.to_vec(),
                    record: "{}".into(),
                    counter: 0,
                    aaguid: None,
                    transports: vec!["usb".into()],
                },
                crate::EnrolBinding::Session(crate::SessionId(0)),
                &[],
            )
            .await
            .unwrap()
    }

    pub(crate) async fn add_token(
        store: &Store,
        account: AccountId,
        kind: TokenKind,
        label: &str,
        device: Option<&str>,
    ) -> TokenId {
        let (secret_enc, target) = match kind {
            TokenKind::Totp => (Some(vec![1; 40]), None),
            TokenKind::Sms => (
                None,
                Some(PhoneNumber::parse("+420601123456").unwrap().into()),
            ),
            TokenKind::Email => (
                None,
                Some(Email::parse("codes@example.org").unwrap().into()),
            ),
            TokenKind::Webauthn => {
                return add_passkey(store, account, label, device, &[account.0 as u8; 16]).await;
            }
        };
        store
            .insert_token(NewToken {
                account_id: account,
                kind,
                label: label.into(),
                device: device.map(str::to_owned),
                state: TokenState::Active,
                secret_enc,
                target,
            })
            .await
            .unwrap()
    }

    /// An active authenticator app of `account` whose seed is `secret`, sealed with `cipher`.
    pub(crate) async fn add_totp(
        store: &Store,
        cipher: &SeedCipher,
        account: AccountId,
        secret: &TotpSecret,
        label: &str,
        device: Option<&str>,
    ) -> TokenId {
        store
            .insert_token(NewToken {
                account_id: account,
                kind: TokenKind::Totp,
                label: label.into(),
                device: device.map(str::to_owned),
                state: TokenState::Active,
                secret_enc: Some(secret.seal(cipher, account).unwrap()),
                target: None,
            })
            .await
            .unwrap()
    }

    /// A new session of `account` in `store`: its token and the caller it makes.
    pub(crate) async fn session_in(
        store: &Store,
        account: &Account,
        scope: SessionScope,
    ) -> (SessionToken, SignedIn) {
        let token = store
            .create_session(NewSession {
                account_id: account.id,
                scope,
                ip: None,
                user_agent: None,
                second_factor: None,
            })
            .await
            .unwrap();
        let session = store.session(&token).await.unwrap().unwrap();
        (token, super::caller(&session, account))
    }

    /// Every service on `store`, built with [`Identity::new`] (a plain password hasher, [`URL`]).
    pub(crate) fn services(
        store: &Store,
        cipher: &Arc<SeedCipher>,
        clock: Arc<dyn Clock>,
        policy: EmergencyPolicy,
    ) -> Identity {
        Identity::new(
            store.clone(),
            PasswordHasher::new(None).unwrap(),
            cipher.clone(),
            clock,
            URL,
            policy,
        )
        .unwrap()
    }

    /// A request's client: its address and browser, no remembered browser.
    pub(crate) fn client(ip: &str, user_agent: &str) -> crate::Client {
        crate::Client {
            ip: Some(ip.into()),
            user_agent: Some(user_agent.into()),
            browser: None,
        }
    }

    /// Declares a test file's fixture: a [`World`] (field `w`, reached through `Deref`) and the
    /// file's own fields.
    macro_rules! world_fixture {
        (struct $name:ident { $($(#[$doc:meta])* $field:ident: $ty:ty),* $(,)? }) => {
            struct $name {
                w: $crate::testing::World,
                $($(#[$doc])* $field: $ty,)*
            }

            impl std::ops::Deref for $name {
                type Target = $crate::testing::World;

                fn deref(&self) -> &$crate::testing::World {
                    &self.w
                }
            }
        };
    }
    pub(crate) use world_fixture;

    /// A fresh store on a [`ManualClock`], and every service built on it with
    /// [`Identity::new`].
    pub(crate) struct World {
        /// The test's database on the test's clock.
        pub(crate) store: Store,
        pub(crate) clock: Arc<ManualClock>,
        pub(crate) cipher: Arc<SeedCipher>,
        pub(crate) hasher: PasswordHasher,
        pub(crate) auth: Authenticator,
        pub(crate) tokens: TokenService,
        pub(crate) enrol: Enrolment,
        pub(crate) emergency: EmergencyAccess,
        pub(crate) console: Console,
        password_hash: tokio::sync::OnceCell<PasswordHash>,
        /// Declared last: the database goes after the services.
        pub(crate) db: TestStore,
    }

    impl World {
        /// The services on `db` with the default emergency policy, the clock at [`T0`].
        pub(crate) fn new(db: TestStore) -> Self {
            Self::with_policy(db, EmergencyPolicy::default())
        }

        /// The services on `db` with `policy`, the clock at [`T0`].
        pub(crate) fn with_policy(db: TestStore, policy: EmergencyPolicy) -> Self {
            Self::at(db, Timestamp::from_unix_secs(T0), policy)
        }

        /// The services on `db` with `policy`, the clock at `t0`.
        pub(crate) fn at(db: TestStore, t0: Timestamp, policy: EmergencyPolicy) -> Self {
            let clock = Arc::new(ManualClock::new(t0));
            let store = db.store.clone().with_clock(clock.clone());
            let hasher = PasswordHasher::new(None).unwrap();
            let cipher = Arc::new(SeedCipher::from_key_bytes(CIPHER_KEY));
            let Identity {
                auth,
                tokens,
                enrolment,
                emergency,
                console,
                ..
            } = services(&store, &cipher, clock.clone(), policy);
            Self {
                store,
                clock,
                cipher,
                hasher,
                auth,
                tokens,
                enrol: enrolment,
                emergency,
                console,
                password_hash: tokio::sync::OnceCell::new(),
                db,
            }
        }

        /// The hash of [`PASSWORD`] (computed once).
        pub(crate) async fn password_hash(&self) -> PasswordHash {
            self.password_hash
                .get_or_init(|| async {
                    self.hasher
                        .hash(&Password::new(PASSWORD.into()).unwrap())
                        .await
                        .unwrap()
                })
                .await
                .clone()
        }

        /// A new active account whose password is [`PASSWORD`], shown as `display`, with
        /// `contacts`.
        pub(crate) async fn member(
            &self,
            name: &str,
            display: &str,
            role: Role,
            contacts: Vec<NewContact>,
        ) -> Account {
            let hash = self.password_hash().await;
            account_in(&self.store, name, display, role, hash, contacts).await
        }

        /// Adds the confirmed recovery address `email` to `account`.
        pub(crate) async fn with_recovery_address(&self, account: AccountId, email: &str) {
            self.store
                .add_contact(account, recovery(email))
                .await
                .unwrap();
        }

        /// An active authenticator app of `account` with a new seed, sealed with the world's
        /// cipher: its id and the seed.
        pub(crate) async fn with_totp(
            &self,
            account: AccountId,
            label: &str,
            device: Option<&str>,
        ) -> (TokenId, TotpSecret) {
            let secret = TotpSecret::generate();
            let id = self.with_totp_secret(account, &secret, label, device).await;
            (id, secret)
        }

        /// An active authenticator app of `account` whose seed is `secret`.
        pub(crate) async fn with_totp_secret(
            &self,
            account: AccountId,
            secret: &TotpSecret,
            label: &str,
            device: Option<&str>,
        ) -> TokenId {
            add_totp(&self.store, &self.cipher, account, secret, label, device).await
        }

        /// An active e-mail token of `account` sending to `email`.
        pub(crate) async fn with_email(
            &self,
            account: AccountId,
            email: &str,
            label: &str,
        ) -> TokenId {
            self.store
                .insert_token(NewToken {
                    account_id: account,
                    kind: TokenKind::Email,
                    label: label.into(),
                    device: None,
                    state: TokenState::Active,
                    secret_enc: None,
                    target: Some(Email::parse(email).unwrap().into()),
                })
                .await
                .unwrap()
        }

        /// Every audit event of `action`, newest first.
        pub(crate) async fn events(&self, action: AuditAction) -> Vec<AuditEvent> {
            self.store
                .audit_events(AuditQuery {
                    action: Some(action),
                    ..AuditQuery::default()
                })
                .await
                .unwrap()
        }

        /// A new session of `account`: its token and the caller it makes.
        pub(crate) async fn session(
            &self,
            account: &Account,
            scope: SessionScope,
        ) -> (SessionToken, SignedIn) {
            session_in(&self.store, account, scope).await
        }
    }
}
