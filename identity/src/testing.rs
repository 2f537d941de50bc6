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
