//! The store: every piece of account state, in SQLite (the embedded default) or PostgreSQL (for
//! several stateless instances). Both backends run the same SQL text with `$1, $2…` placeholders
//! through one dispatch macro, so a query cannot quietly differ between them; only the schema
//! (one migration folder per backend) is written twice. Errors are mapped here: a unique
//! violation becomes [`DomainError::Conflict`] with a message naming what collided, anything else
//! [`DomainError::Storage`], whose text never reaches a user (CS-7).

mod model;
#[cfg(test)]
mod tests;

pub use model::{
    Account, AccountId, AccountState, Contact, ContactId, NewAccount, NewContact, NewToken, Role,
    Token, TokenId, TokenKind, TokenState,
};

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
};
use sqlx::Row;

use crate::contact::{ContactKind, ContactValue};
use crate::error::{DomainError, Result};
use crate::password::PasswordHash;
use crate::text::{device_name, display_name, token_label};
use crate::time::{Clock, SystemClock, Timestamp};
use crate::username::Username;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// SQLite waits this long for a competing writer before reporting "busy".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a request waits for a pooled connection before failing (closed, not open: AC-6).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection pool to the database plus the clock that stamps rows. Cheap to clone; clones
/// share the pool.
#[derive(Clone)]
pub struct Store {
    pool: Pool,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("Store")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

/// Runs the same code on whichever pool the store holds; `$pool` is the concrete pool, so rows
/// and transactions have concrete types inside `$body`.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match &$store.pool {
            Pool::Sqlite($pool) => $body,
            Pool::Postgres($pool) => $body,
        }
    };
}

/// Inserts one contact on `$conn` and evaluates to `Result<ContactId>`.
macro_rules! insert_contact {
    ($conn:expr, $account:expr, $contact:expr, $now:expr) => {{
        let contact: &NewContact = $contact;
        let result = sqlx::query(
            "INSERT INTO contacts (account_id, kind, value, confirmed, is_recovery, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind($account.0)
        .bind(contact.value.kind().as_str())
        .bind(contact.value.as_str())
        .bind(contact.confirmed)
        .bind(contact.is_recovery)
        .bind($now)
        .fetch_one($conn)
        .await;
        match result {
            Ok(row) => Ok(ContactId(row.i64("id")?)),
            Err(e) => Err(contact_insert_error(e, contact)),
        }
    }};
}

impl Store {
    /// Opens a pool for `url`: `sqlite://path` (the file and its directory are created when
    /// missing; WAL journal, foreign keys on, 5 s busy timeout) or `postgres://…`. Does not
    /// migrate; call [`Self::migrate`].
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| DomainError::Config(format!("invalid SQLite URL: {e}")))?;
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            Self::connect_sqlite(options, in_memory).await
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url)
                .map_err(|e| DomainError::Config(format!("invalid PostgreSQL URL: {e}")))?;
            Self::connect_postgres(options, 10).await
        } else {
            // The URL itself is not repeated: it may hold a password.
            Err(DomainError::Config(
                "unsupported database URL: use sqlite://<path> or postgres://<user>@<host>/<db>"
                    .into(),
            ))
        }
    }

    pub(crate) async fn connect_sqlite(
        options: SqliteConnectOptions,
        in_memory: bool,
    ) -> Result<Self> {
        if !in_memory {
            if let Some(dir) = options.get_filename().parent() {
                if !dir.as_os_str().is_empty() {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        DomainError::Config(format!(
                            "cannot create the database directory {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
            }
        }
        let options = options
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true)
            .busy_timeout(SQLITE_BUSY_TIMEOUT);
        let mut pool = SqlitePoolOptions::new().acquire_timeout(ACQUIRE_TIMEOUT);
        if in_memory {
            // An in-memory database lives as long as one of its connections: keep one open.
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
        } else {
            pool = pool.max_connections(8);
        }
        let pool = pool
            .connect_with(options)
            .await
            .map_err(|e| DomainError::Storage(format!("cannot open the SQLite database: {e}")))?;
        Ok(Self {
            pool: Pool::Sqlite(pool),
            clock: Arc::new(SystemClock),
        })
    }

    pub(crate) async fn connect_postgres(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(max_connections)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|e| DomainError::Storage(format!("cannot connect to PostgreSQL: {e}")))?;
        Ok(Self {
            pool: Pool::Postgres(pool),
            clock: Arc::new(SystemClock),
        })
    }

    /// The same store reading time from `clock` (tests steer expiry and TOTP windows with it).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// "sqlite" or "postgres", for logs and the readiness page.
    pub fn backend_name(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Applies the migrations this binary carries that the database lacks. Idempotent. Any
    /// failure (including a changed or unknown applied migration) is returned, never ignored:
    /// start-up must stop on it.
    pub async fn migrate(&self) -> Result<()> {
        let result = match &self.pool {
            Pool::Sqlite(pool) => SQLITE_MIGRATOR.run(pool).await,
            Pool::Postgres(pool) => POSTGRES_MIGRATOR.run(pool).await,
        };
        result.map_err(|e| DomainError::Migration(e.to_string()))
    }

    /// Readiness: the database answers a trivial query.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => {
            sqlx::query("SELECT 1").execute(pool).await.map_err(db_err)?;
        });
        Ok(())
    }

    /// Closes every connection; later calls fail. For orderly shutdown and tests.
    pub async fn close(&self) {
        with_pool!(self, pool => pool.close().await)
    }

    fn now(&self) -> i64 {
        self.clock.now().as_millis()
    }

    /// How many accounts exist (the CLI uses it to tell a fresh install, AC-8).
    pub async fn count_accounts(&self) -> Result<i64> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM accounts")
                .fetch_one(pool)
                .await
                .map_err(db_err)?;
            row.i64("n")
        })
    }

    /// Creates an account. A taken username is a [`DomainError::Conflict`].
    pub async fn create_account(&self, new: NewAccount) -> Result<AccountId> {
        self.create_account_with(new, Vec::new()).await
    }

    /// Creates an account and its contact channels in one transaction: if any part is
    /// refused (taken username, duplicate contact, two recovery addresses) nothing is written.
    /// The database constraints decide, so the rule is the same as for [`Self::add_contact`].
    pub async fn create_account_with(
        &self,
        new: NewAccount,
        contacts: Vec<NewContact>,
    ) -> Result<AccountId> {
        let display_name = display_name(&new.display_name)?;
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let inserted = sqlx::query(
                "INSERT INTO accounts \
                 (username, display_name, password_hash, state, role, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(new.username.as_str())
            .bind(&display_name)
            .bind(new.password_hash.as_str())
            .bind(new.state.as_str())
            .bind(new.role.as_str())
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            let id = match inserted {
                Ok(row) => AccountId(row.i64("id")?),
                Err(e) if is_unique_violation(&e) => {
                    return Err(DomainError::Conflict(format!(
                        "the username {} is already taken",
                        new.username
                    )));
                }
                Err(e) => return Err(db_err(e)),
            };
            for contact in &contacts {
                insert_contact!(&mut *tx, id, contact, now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }

    /// The account with this canonical username, if any.
    pub async fn account_by_username(&self, username: &Username) -> Result<Option<Account>> {
        with_pool!(self, pool => {
            sqlx::query(
                "SELECT id, username, display_name, password_hash, state, role, created_at, \
                 updated_at FROM accounts WHERE username = $1",
            )
            .bind(username.as_str())
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .map(|row| account_from_row(&row))
            .transpose()
        })
    }

    /// The account with this id, if any.
    pub async fn account_by_id(&self, id: AccountId) -> Result<Option<Account>> {
        with_pool!(self, pool => {
            sqlx::query(
                "SELECT id, username, display_name, password_hash, state, role, created_at, \
                 updated_at FROM accounts WHERE id = $1",
            )
            .bind(id.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .map(|row| account_from_row(&row))
            .transpose()
        })
    }

    /// Changes an account's role; [`DomainError::NotFound`] if there is no such account.
    pub async fn set_role(&self, username: &Username, role: Role) -> Result<()> {
        let now = self.now();
        let affected = with_pool!(self, pool => {
            sqlx::query("UPDATE accounts SET role = $1, updated_at = $2 WHERE username = $3")
                .bind(role.as_str())
                .bind(now)
                .bind(username.as_str())
                .execute(pool)
                .await
                .map_err(db_err)?
                .rows_affected()
        });
        if affected == 0 {
            return Err(DomainError::NotFound(format!(
                "no account named {username}"
            )));
        }
        Ok(())
    }

    /// Adds a contact channel to an account.
    pub async fn add_contact(&self, account: AccountId, contact: NewContact) -> Result<ContactId> {
        let now = self.now();
        with_pool!(self, pool => insert_contact!(pool, account, &contact, now))
    }

    /// An account's contact channels, oldest first.
    pub async fn contacts(&self, account: AccountId) -> Result<Vec<Contact>> {
        with_pool!(self, pool => {
            sqlx::query(
                "SELECT id, account_id, kind, value, confirmed, is_recovery, created_at \
                 FROM contacts WHERE account_id = $1 ORDER BY id",
            )
            .bind(account.0)
            .fetch_all(pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(contact_from_row)
            .collect()
        })
    }

    /// Records a new token. The kind decides what it must carry: TOTP a sealed seed and no
    /// target, SMS a phone number, e-mail an address (and neither of those a seed).
    pub async fn insert_token(&self, new: NewToken) -> Result<TokenId> {
        let label = token_label(&new.label)?;
        let device = match &new.device {
            Some(d) => device_name(d)?,
            None => None,
        };
        check_token_shape(&new)?;
        let target = new.target.as_ref().map(ContactValue::as_str);
        let now = self.now();
        with_pool!(self, pool => {
            let inserted = sqlx::query(
                "INSERT INTO tokens \
                 (account_id, kind, label, device, state, secret_enc, target, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(new.account_id.0)
            .bind(new.kind.as_str())
            .bind(&label)
            .bind(device.as_deref())
            .bind(new.state.as_str())
            .bind(new.secret_enc.as_deref())
            .bind(target)
            .bind(now)
            .fetch_one(pool)
            .await;
            match inserted {
                Ok(row) => Ok(TokenId(row.i64("id")?)),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(DomainError::NotFound("account not found".into()))
                }
                Err(e) => Err(db_err(e)),
            }
        })
    }

    /// Every token of an account, removed ones included (they are its history), oldest first.
    /// Metadata only: the sealed seed is read by [`Self::token_secret`].
    pub async fn tokens(&self, account: AccountId) -> Result<Vec<Token>> {
        with_pool!(self, pool => {
            sqlx::query(
                "SELECT id, account_id, kind, label, device, state, target, created_at, \
                 last_used_at, last_totp_step, failure_count, removed_at, removed_by \
                 FROM tokens WHERE account_id = $1 ORDER BY id",
            )
            .bind(account.0)
            .fetch_all(pool)
            .await
            .map_err(db_err)?
            .iter()
            .map(token_from_row)
            .collect()
        })
    }

    /// The sealed TOTP seed of a token (open it with [`crate::TotpSecret::open`] and the owning
    /// account's id). `None` if the token does not exist or has no seed. The caller must already
    /// know the token belongs to the account it acts for (AC-2).
    pub async fn token_secret(&self, token: TokenId) -> Result<Option<Vec<u8>>> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT secret_enc FROM tokens WHERE id = $1")
                .bind(token.0)
                .fetch_optional(pool)
                .await
                .map_err(db_err)?;
            match row {
                Some(row) => row.opt_bytes("secret_enc"),
                None => Ok(None),
            }
        })
    }

    /// The pool as SQLite or PostgreSQL, for the test helpers that inspect raw rows.
    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn sqlite_pool(&self) -> Option<&SqlitePool> {
        match &self.pool {
            Pool::Sqlite(p) => Some(p),
            Pool::Postgres(_) => None,
        }
    }

    #[cfg(any(test, feature = "testing"))]
    pub(crate) fn postgres_pool(&self) -> Option<&PgPool> {
        match &self.pool {
            Pool::Sqlite(_) => None,
            Pool::Postgres(p) => Some(p),
        }
    }
}

fn check_token_shape(new: &NewToken) -> Result<()> {
    let ok = match new.kind {
        TokenKind::Totp => new.secret_enc.is_some() && new.target.is_none(),
        TokenKind::Sms => {
            new.secret_enc.is_none() && matches!(new.target, Some(ContactValue::Phone(_)))
        }
        TokenKind::Email => {
            new.secret_enc.is_none() && matches!(new.target, Some(ContactValue::Email(_)))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(DomainError::invalid(
            "token",
            match new.kind {
                TokenKind::Totp => "a TOTP token needs a sealed seed and no target",
                TokenKind::Sms => "an SMS token needs a phone number and no seed",
                TokenKind::Email => "an e-mail token needs an address and no seed",
            },
        ))
    }
}

fn kind_word(kind: ContactKind) -> &'static str {
    match kind {
        ContactKind::Email => "e-mail address",
        ContactKind::Phone => "phone number",
    }
}

fn contact_insert_error(e: sqlx::Error, contact: &NewContact) -> DomainError {
    if is_unique_violation(&e) {
        // The recovery index names `is_recovery` (SQLite) or `contacts_one_recovery` (PostgreSQL).
        if violation_text(&e).contains("recovery") {
            DomainError::Conflict("this account already has a recovery contact".into())
        } else {
            DomainError::Conflict(format!(
                "this account already has the {} {}",
                kind_word(contact.value.kind()),
                contact.value.as_str()
            ))
        }
    } else if is_foreign_key_violation(&e) {
        DomainError::NotFound("account not found".into())
    } else {
        db_err(e)
    }
}

fn is_unique_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_unique_violation())
}

fn is_foreign_key_violation(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.is_foreign_key_violation())
}

/// The constraint name (PostgreSQL) or message (SQLite, which names the columns).
fn violation_text(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Database(d) => d
            .constraint()
            .map_or_else(|| d.message().to_owned(), str::to_owned),
        _ => String::new(),
    }
}

/// Any other database failure: generic for users, detailed for logs.
fn db_err(e: sqlx::Error) -> DomainError {
    tracing::debug!(error = %e, "database error");
    DomainError::Storage(e.to_string())
}

/// Typed column reads shared by both backends' rows.
trait RowExt {
    fn i64(&self, col: &str) -> Result<i64>;
    fn opt_i64(&self, col: &str) -> Result<Option<i64>>;
    fn text(&self, col: &str) -> Result<String>;
    fn opt_text(&self, col: &str) -> Result<Option<String>>;
    fn flag(&self, col: &str) -> Result<bool>;
    fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>>;
}

macro_rules! impl_row_ext {
    ($($row:ty),+) => {$(
        impl RowExt for $row {
            fn i64(&self, col: &str) -> Result<i64> {
                self.try_get(col).map_err(db_err)
            }
            fn opt_i64(&self, col: &str) -> Result<Option<i64>> {
                self.try_get(col).map_err(db_err)
            }
            fn text(&self, col: &str) -> Result<String> {
                self.try_get(col).map_err(db_err)
            }
            fn opt_text(&self, col: &str) -> Result<Option<String>> {
                self.try_get(col).map_err(db_err)
            }
            fn flag(&self, col: &str) -> Result<bool> {
                self.try_get(col).map_err(db_err)
            }
            fn opt_bytes(&self, col: &str) -> Result<Option<Vec<u8>>> {
                self.try_get(col).map_err(db_err)
            }
        }
    )+};
}

impl_row_ext!(SqliteRow, PgRow);

/// A stored value the schema's CHECK constraints should have excluded.
fn stored<T>(value: Result<T>) -> Result<T> {
    value.map_err(|e| DomainError::Storage(format!("unexpected stored value: {e}")))
}

fn account_from_row(r: &impl RowExt) -> Result<Account> {
    Ok(Account {
        id: AccountId(r.i64("id")?),
        username: Username::from_canonical(r.text("username")?),
        display_name: r.text("display_name")?,
        password_hash: PasswordHash::from_stored(r.text("password_hash")?),
        state: stored(AccountState::parse(&r.text("state")?))?,
        role: stored(Role::parse(&r.text("role")?))?,
        created_at: Timestamp::from_millis(r.i64("created_at")?),
        updated_at: Timestamp::from_millis(r.i64("updated_at")?),
    })
}

fn contact_from_row(r: &impl RowExt) -> Result<Contact> {
    Ok(Contact {
        id: ContactId(r.i64("id")?),
        account_id: AccountId(r.i64("account_id")?),
        kind: stored(ContactKind::parse(&r.text("kind")?))?,
        value: r.text("value")?,
        confirmed: r.flag("confirmed")?,
        is_recovery: r.flag("is_recovery")?,
        created_at: Timestamp::from_millis(r.i64("created_at")?),
    })
}

fn token_from_row(r: &impl RowExt) -> Result<Token> {
    Ok(Token {
        id: TokenId(r.i64("id")?),
        account_id: AccountId(r.i64("account_id")?),
        kind: stored(TokenKind::parse(&r.text("kind")?))?,
        label: r.text("label")?,
        device: r.opt_text("device")?,
        state: stored(TokenState::parse(&r.text("state")?))?,
        target: r.opt_text("target")?,
        created_at: Timestamp::from_millis(r.i64("created_at")?),
        last_used_at: r.opt_i64("last_used_at")?.map(Timestamp::from_millis),
        last_totp_step: r.opt_i64("last_totp_step")?,
        failure_count: r.i64("failure_count")?,
        removed_at: r.opt_i64("removed_at")?.map(Timestamp::from_millis),
        removed_by: r.opt_i64("removed_by")?.map(AccountId),
    })
}
