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
    Account, AccountId, AccountState, Contact, ContactId, EnrolBinding, LiveSession, LoginAttempt,
    LoginAttemptId, NewAccount, NewContact, NewSession, NewToken, Role, Session, SessionId,
    SessionScope, Token, TokenId, TokenKind, TokenState,
};
pub use outbox::{
    outbox_backoff, OutboxId, OutboxMessage, OutboxState, OUTBOX_BACKOFF_BASE, OUTBOX_BACKOFF_MAX,
    OUTBOX_CLAIM_MAX, OUTBOX_MAX_ATTEMPTS,
};

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::Row;

use crate::contact::{ContactKind, ContactValue};
use crate::error::{DomainError, Result};
use crate::password::PasswordHash;
use crate::session::{SessionToken, SESSION_ABSOLUTE, SESSION_IDLE, SESSION_TOUCH_INTERVAL};
use crate::time::{Clock, SystemClock, Timestamp};
use crate::username::Username;

static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// SQLite waits this long for a competing writer before reporting "busy".
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Read-only SQLite connections for the hot reads, beside the one writer.
const SQLITE_READERS: u32 = 4;
/// How long a request waits for a pooled connection before failing (closed, not open: AC-6).
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest client address kept with a session, in characters.
const SESSION_IP_MAX_CHARS: usize = 64;
/// Longest `User-Agent` kept with a session, in characters.
const SESSION_USER_AGENT_MAX_CHARS: usize = 512;

/// The columns [`token_from_row`] reads.
const TOKEN_COLUMNS: &str = "id, account_id, kind, label, device, state, target, created_at, \
     last_used_at, last_totp_step, removed_at, removed_by, blocked_at";
/// The columns [`session_from_row`] reads.
const SESSION_COLUMNS: &str = "id, account_id, scope, created_at, last_seen_at, expires_at, ip, \
     user_agent, reauthenticated_at";

/// OTP-6 (security.md decision 4): spends TOTP time step `$1` of token `$3` of account `$4` at
/// `$2`. It succeeds only for an active TOTP token of that account whose last accepted step is
/// lower, records the step and stamps `last_used_at`; of any number of concurrent runs with one
/// step, on any number of servers, exactly one changes the row. Not changing it means "refuse
/// the code" (replayed, an older step, a removed or pending token, another account's token).
const SPEND_TOTP_STEP: &str = "UPDATE tokens SET last_totp_step = $1, last_used_at = $2 \
     WHERE id = $3 AND account_id = $4 AND state = 'active' AND kind = 'totp' \
     AND (last_totp_step IS NULL OR last_totp_step < $1)";

/// EC-4: counts one use of emergency code `$1` of account `$2` at `$3`, but only if its use
/// count is still `$4`, the count the sign-in read when it recognised the code, and the code is
/// still live (not used up, valid, unexpired, not revoked). Of any number of concurrent runs
/// that read one count, exactly one changes the row; a loser reads the code again. Not changing
/// it means "this reading is out of date" (or the code is no longer live).
const USE_EMERGENCY_CODE_AS_READ: &str = "UPDATE emergency_codes SET uses = uses + 1 \
     WHERE id = $1 AND account_id = $2 AND uses = $4 AND uses < max_uses \
     AND expires_at > $3 AND valid_from <= $3 AND revoked_at IS NULL";

/// A TOTP code's time step, to be spent on its token by the sign-in it opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct TotpStep {
    pub token: TokenId,
    pub step: i64,
}

/// What a passed second step spends, first, in the transaction that opens its session: the
/// session opens only if the spend changed its row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Spend {
    /// An authenticator app's time step ([`SPEND_TOTP_STEP`]).
    TotpStep(TotpStep),
    /// One use of an emergency code whose use count was read as `uses`
    /// ([`USE_EMERGENCY_CODE_AS_READ`]).
    EmergencyCode {
        id: crate::EmergencyCodeId,
        uses: u32,
    },
    /// A passkey's signature counter as read by the check ([`passkey::MOVE_PASSKEY_COUNTER`]).
    PasskeyCounter(CounterMove),
}

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
    /// SQLite only: read-only connections for the hot reads ([`with_read_pool!`]), beside the
    /// one connection in `pool` that every write (and every other read) goes through.
    reader: Option<SqlitePool>,
    clock: Arc<dyn Clock>,
    throttle: crate::ThrottlePolicy,
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the URL: it may hold a password.
        f.debug_struct("Store")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

/// Takes MAYI ID's own `synchronous=full|normal` parameter out of a SQLite URL (sqlx does not
/// read it). `full`, the default, makes every commit durable before it is acknowledged (one
/// fsync each). `normal` in WAL mode is still atomic and never corrupts, survives a crash of
/// the process, and commits without waiting for the disk; a power loss or OS crash may roll
/// back the last commits, each whole (a used code with the session it opened and their audit
/// events). See the README ("Performance") for what each costs.
fn sqlite_synchronous(url: &str) -> Result<(String, SqliteSynchronous)> {
    let Some((base, query)) = url.split_once('?') else {
        return Ok((url.to_string(), SqliteSynchronous::Full));
    };
    let mut synchronous = SqliteSynchronous::Full;
    let mut rest = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        match pair.split_once('=') {
            Some(("synchronous", value)) => {
                synchronous = match value.to_ascii_lowercase().as_str() {
                    "full" => SqliteSynchronous::Full,
                    "normal" => SqliteSynchronous::Normal,
                    _ => {
                        return Err(DomainError::Config(
                            "invalid SQLite URL: synchronous must be full or normal".into(),
                        ))
                    }
                }
            }
            _ => rest.push(pair),
        }
    }
    let url = if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    Ok((url, synchronous))
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

/// As [`with_pool!`], on SQLite's read-only connections when the store has them: for plain
/// `SELECT`s on hot paths (every signed-in request, the token list, the second sign-in step),
/// which then run beside the writer instead of queueing for it. Never for a write.
macro_rules! with_read_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match (&$store.pool, &$store.reader) {
            (Pool::Sqlite(_), Some($pool)) => $body,
            (Pool::Sqlite($pool), None) => $body,
            (Pool::Postgres($pool), _) => $body,
        }
    };
}

/// Evaluates to `Result<u64>`: runs `$sql` with `$binds` on `$conn` (a pool, a connection or
/// `&mut *tx`) and counts the rows it changed.
macro_rules! execute {
    ($conn:expr, $sql:expr, [$($bind:expr),* $(,)?] $(,)?) => {
        sqlx::query($sql)
            $(.bind($bind))*
            .execute($conn)
            .await
            .map(|done| done.rows_affected())
            .map_err(db_err)
    };
}

/// Evaluates to `Result<bool>`: the row lock of the active account `$account` (its id), taken
/// by the first statement of a transaction that changes what it owns, so that SQLite takes its
/// write lock at once (waiting for it, not failing on a stale read) and such changes to one
/// account run one after the other. False when the account is not active.
macro_rules! lock_active_account {
    ($conn:expr, $account:expr $(,)?) => {
        execute!(
            $conn,
            "UPDATE accounts SET updated_at = updated_at WHERE id = $1 AND state = 'active'",
            [$account],
        )
        .map(|locked| locked == 1)
    };
}

/// Evaluates to `Result<Option<T>>`: the row of `$sql` with `$binds` (if any), read by
/// `$from_row`. Inside [`with_pool!`] / [`with_read_pool!`], `$pool` being their pool.
macro_rules! fetch_optional {
    ($pool:expr, $sql:expr, [$($bind:expr),* $(,)?], $from_row:expr $(,)?) => {
        sqlx::query($sql)
            $(.bind($bind))*
            .fetch_optional($pool)
            .await
            .map_err(db_err)?
            .map(|row| $from_row(&row))
            .transpose()
    };
}

/// Evaluates to `Result<Vec<T>>`: every row of `$sql` with `$binds`, read by `$from_row`.
macro_rules! fetch_all {
    ($pool:expr, $sql:expr, [$($bind:expr),* $(,)?], $from_row:expr $(,)?) => {
        sqlx::query($sql)
            $(.bind($bind))*
            .fetch_all($pool)
            .await
            .map_err(db_err)?
            .iter()
            .map($from_row)
            .collect::<Result<Vec<_>>>()
    };
}

/// Inserts a session with `$token` on `$conn` and evaluates to `Result<SessionId>`.
macro_rules! insert_session {
    ($conn:expr, $token:expr, $new:expr, $now:expr) => {{
        let new: &NewSession = $new;
        let token: &SessionToken = $token;
        let now: i64 = $now;
        sqlx::query(
            "INSERT INTO sessions (token_hash, account_id, scope, created_at, last_seen_at, \
             expires_at, ip, user_agent, second_factor) VALUES ($1, $2, $3, $4, $4, $5, $6, $7, \
             (SELECT kind FROM tokens WHERE id = $8 AND account_id = $2)) RETURNING id",
        )
        .bind(token.hash().to_vec())
        .bind(new.account_id.0)
        .bind(new.scope.as_str())
        .bind(now)
        .bind(now.saturating_add(millis(SESSION_ABSOLUTE)))
        .bind(crate::audit::client_text(
            new.ip.as_deref(),
            SESSION_IP_MAX_CHARS,
        ))
        .bind(crate::audit::client_text(
            new.user_agent.as_deref(),
            SESSION_USER_AGENT_MAX_CHARS,
        ))
        .bind(new.second_factor.map(|t| t.0))
        .fetch_one($conn)
        .await
        .map_err(account_insert_err)
        .and_then(|row| Ok(SessionId(row.i64("id")?)))
    }};
}

/// Appends one audit event (an [`audit::AuditRow`], already checked) on `$conn`, stamped `$now`;
/// evaluates to `Result<()>`.
macro_rules! insert_audit {
    ($conn:expr, $row:expr, $now:expr) => {{
        let row: &$crate::store::AuditRow = $row;
        sqlx::query(
            "INSERT INTO audit_events (at, actor_account_id, subject_account_id, action, \
             outcome, ip, user_agent, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind($now)
        .bind(row.actor)
        .bind(row.subject)
        .bind(row.action)
        .bind(row.outcome)
        .bind(row.ip.as_deref())
        .bind(row.user_agent.as_deref())
        .bind(row.details.as_str())
        .execute($conn)
        .await
        .map(|_| ())
        .map_err(db_err)
    }};
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

/// Inserts `$new` (a [`NewToken`] whose label and device are `$text`, from [`token_text`]) on
/// `$conn` and evaluates to `Result<TokenId>`; an unknown account is [`DomainError::NotFound`].
macro_rules! insert_token_in {
    ($conn:expr, $new:expr, $text:expr, $now:expr) => {{
        let new: &NewToken = $new;
        let (label, device): &(String, Option<String>) = $text;
        let result = sqlx::query(
            "INSERT INTO tokens \
             (account_id, kind, label, device, state, secret_enc, target, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.account_id.0)
        .bind(new.kind.as_str())
        .bind(label)
        .bind(device.as_deref())
        .bind(new.state.as_str())
        .bind(new.secret_enc.as_deref())
        .bind(new.target.as_ref().map(ContactValue::as_str))
        .bind($now)
        .fetch_one($conn)
        .await;
        match result {
            Ok(row) => Ok(TokenId(row.i64("id")?)),
            Err(e) if is_foreign_key_violation(&e) => {
                Err(DomainError::NotFound("account not found".into()))
            }
            Err(e) => Err(db_err(e)),
        }
    }};
}

// Declared after the macros above, which they use.
mod audit;
pub(crate) use audit::AuditRow;
mod browsers;
pub use browsers::{RememberedBrowser, RememberedBrowserId, REMEMBERED_BROWSER_TTL};
mod block;
mod confirm;
mod console;
mod emergency;
mod enrol;
mod oidc;
pub(crate) use oidc::{NewCode, Redemption};
mod oob;
mod outbox;
mod passkey;
pub(crate) use passkey::{CeremonyPlace, CounterMove, NewCeremony, NewCredential};
mod password;
mod provision;
mod recovery;
mod selfservice;
mod throttle;
mod undo;
pub use block::Blocked;
#[cfg(test)]
pub(crate) use throttle::PASSWORD_DELAY_IDLE;
pub use undo::{UndoFrom, UndoRefused, Undone, CANCEL_LINK_TTL};

pub use confirm::CONFIRMATION_MAX_FAILURES;
pub(crate) use confirm::{ConfirmOutcome, Confirms, NewConfirmable};
#[cfg(test)]
pub(crate) use console::like_escape as like_escape_for_tests;
pub(crate) use console::AccountSearch;
pub use console::SearchMode;

pub(crate) use selfservice::{RemovalOutcome, RemovalReport, TokenRemoval, TokenSelection};

impl Store {
    /// Opens a pool for `url`: `sqlite://path` (the file and its directory are created when
    /// missing; WAL journal, foreign keys on, 5 s busy timeout) or `postgres://…`. Does not
    /// migrate; call [`Self::migrate`].
    pub async fn connect(url: &str) -> Result<Self> {
        if url.starts_with("sqlite:") {
            let (url, synchronous) = sqlite_synchronous(url)?;
            let options = SqliteConnectOptions::from_str(&url)
                .map_err(|e| DomainError::Config(format!("invalid SQLite URL: {e}")))?
                .synchronous(synchronous);
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
        // No ping before each use: a SQLite connection is a file handle served by its own worker
        // thread, and the ping was a second thread round trip for every query (a third of the
        // token list's CPU went into those switches). A failing connection still fails closed.
        let mut pool = SqlitePoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false);
        let open_err =
            |e: sqlx::Error| DomainError::Storage(format!("cannot open the SQLite database: {e}"));
        if in_memory {
            // An in-memory database lives as long as one of its connections: keep one open.
            pool = pool
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None);
            let pool = pool.connect_with(options).await.map_err(open_err)?;
            return Ok(Self {
                pool: Pool::Sqlite(pool),
                reader: None,
                clock: Arc::new(SystemClock),
                throttle: crate::ThrottlePolicy::DEFAULT,
            });
        }
        // One writer connection. SQLite takes one writer at a time anyway; with several
        // connections, concurrent writers met SQLITE_BUSY, and SQLite's busy handler sleeps
        // whole milliseconds (1, 2, 5, 10… ms) before it tries again: that, not the disk, capped
        // sign-in verifications at a few hundred per second. Here they queue in the pool, in
        // order, and each starts the moment the previous one commits.
        let writer = pool
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(open_err)?;
        // Readers see every committed write (WAL) and never wait for the writer.
        let reader = SqlitePoolOptions::new()
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .test_before_acquire(false)
            .max_connections(SQLITE_READERS)
            .connect_with(options.read_only(true))
            .await
            .map_err(open_err)?;
        Ok(Self {
            pool: Pool::Sqlite(writer),
            reader: Some(reader),
            clock: Arc::new(SystemClock),
            throttle: crate::ThrottlePolicy::DEFAULT,
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
            reader: None,
            clock: Arc::new(SystemClock),
            throttle: crate::ThrottlePolicy::DEFAULT,
        })
    }

    /// The same store reading time from `clock` (tests steer expiry and TOTP windows with it).
    /// The same store with other rate limits ([`crate::ThrottlePolicy::DEFAULT`] otherwise).
    pub fn with_throttle_policy(mut self, policy: crate::ThrottlePolicy) -> Self {
        self.throttle = policy;
        self
    }

    /// The rate limits this store applies.
    pub(crate) fn throttle_policy(&self) -> &crate::ThrottlePolicy {
        &self.throttle
    }

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
        result.map_err(|e| DomainError::Migration(e.to_string()))?;
        // Accounts created before migration 0007 get their search name (console search).
        self.fill_search_names().await?;
        Ok(())
    }

    /// Readiness: the database answers a trivial query.
    pub(crate) async fn ping(&self) -> Result<()> {
        with_pool!(self, pool => {
            execute!(pool, "SELECT 1", [])?;
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

    /// The store's clock reading (the console's overview counts days from it).
    pub(crate) fn clock_now(&self) -> Timestamp {
        self.clock.now()
    }

    /// How many accounts exist (the CLI uses it to tell a fresh install, AC-8).
    pub(crate) async fn count_accounts(&self) -> Result<i64> {
        with_pool!(self, pool => {
            let row = sqlx::query("SELECT COUNT(*) AS n FROM accounts")
                .fetch_one(pool)
                .await
                .map_err(db_err)?;
            row.i64("n")
        })
    }

    #[cfg(any(test, feature = "testing"))]
    /// Creates an account. A taken username is a [`DomainError::Conflict`].
    pub(crate) async fn create_account(&self, new: NewAccount) -> Result<AccountId> {
        self.create_account_with(new, Vec::new()).await
    }

    #[cfg(any(test, feature = "testing"))]
    /// Creates an account and its contact channels in one transaction: if any part is
    /// refused (taken username, duplicate contact, two recovery addresses) nothing is written.
    /// The database constraints decide, so the rule is the same as for [`Self::add_contact`].
    pub(crate) async fn create_account_with(
        &self,
        new: NewAccount,
        contacts: Vec<NewContact>,
    ) -> Result<AccountId> {
        self.insert_account(
            new,
            &contacts,
            None::<fn(AccountId) -> crate::NewAuditEvent>,
        )
        .await
    }

    /// The account with this canonical username, if any.
    pub(crate) async fn account_by_username(&self, username: &Username) -> Result<Option<Account>> {
        with_read_pool!(self, pool => {
            fetch_optional!(
                pool,
                "SELECT id, username, display_name, password_hash, state, role, created_at, \
                 updated_at FROM accounts WHERE username = $1",
                [username.as_str()],
                account_from_row,
            )
        })
    }

    /// The account with this id, if any.
    pub(crate) async fn account_by_id(&self, id: AccountId) -> Result<Option<Account>> {
        with_read_pool!(self, pool => {
            fetch_optional!(
                pool,
                "SELECT id, username, display_name, password_hash, state, role, created_at, \
                 updated_at FROM accounts WHERE id = $1",
                [id.0],
                account_from_row,
            )
        })
    }

    #[cfg(any(test, feature = "testing"))]
    /// Changes an account's role; [`DomainError::NotFound`] if there is no such account.
    pub(crate) async fn set_role(&self, username: &Username, role: Role) -> Result<()> {
        let now = self.now();
        let affected = with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE accounts SET role = $1, updated_at = $2 WHERE username = $3",
                [role.as_str(), now, username.as_str()],
            )?
        });
        if affected == 0 {
            return Err(DomainError::NotFound(format!(
                "no account named {username}"
            )));
        }
        Ok(())
    }

    #[cfg(any(test, feature = "testing"))]
    /// Adds a contact channel to an account.
    pub(crate) async fn add_contact(
        &self,
        account: AccountId,
        contact: NewContact,
    ) -> Result<ContactId> {
        let now = self.now();
        with_pool!(self, pool => insert_contact!(pool, account, &contact, now))
    }

    /// An account's contact channels, oldest first.
    pub(crate) async fn contacts(&self, account: AccountId) -> Result<Vec<Contact>> {
        with_read_pool!(self, pool => {
            fetch_all!(
                pool,
                "SELECT id, account_id, kind, value, confirmed, is_recovery, created_at \
                 FROM contacts WHERE account_id = $1 ORDER BY id",
                [account.0],
                contact_from_row,
            )
        })
    }

    /// Records a new token, unaudited and untold (test fixtures; the services go through
    /// [`Self::insert_token_notified`], which checks the same shape rules).
    #[cfg(any(test, feature = "testing"))]
    pub(crate) async fn insert_token(&self, new: NewToken) -> Result<TokenId> {
        self.insert_token_notified(new, None, None::<fn(TokenId) -> crate::NewAuditEvent>)
            .await
    }

    /// Every token of an account, removed ones included (they are its history), oldest first.
    /// Metadata only: the sealed seed is read by [`Self::token_secret`].
    pub(crate) async fn tokens(&self, account: AccountId) -> Result<Vec<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 ORDER BY id");
        with_pool!(self, pool => {
            fetch_all!(pool, &sql, [account.0], token_from_row)
        })
    }

    /// The sealed TOTP seed of a token (open it with [`crate::TotpSecret::open`] and the owning
    /// account's id). `None` if the token does not exist or has no seed. The caller must already
    /// know the token belongs to the account it acts for (AC-2).
    pub(crate) async fn token_secret(&self, token: TokenId) -> Result<Option<Vec<u8>>> {
        with_read_pool!(self, pool => {
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

    /// An account's active tokens (the factors it may sign in with; pending and removed ones
    /// left out), oldest first. Metadata only, like [`Self::tokens`].
    pub(crate) async fn active_tokens(&self, account: AccountId) -> Result<Vec<Token>> {
        self.tokens_in_state(account, TokenState::Active).await
    }

    /// An account's tokens in one state, oldest first.
    pub(crate) async fn tokens_in_state(
        &self,
        account: AccountId,
        state: TokenState,
    ) -> Result<Vec<Token>> {
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 AND state = $2 ORDER BY id"
        );
        with_read_pool!(self, pool => {
            fetch_all!(pool, &sql, [account.0, state.as_str()], token_from_row)
        })
    }

    /// One token of `account`, in any state. `None` when there is no such token or it belongs
    /// to another account: a token id from a request is only ever looked up under the account
    /// acting (AC-2, no IDOR).
    pub(crate) async fn token(&self, account: AccountId, token: TokenId) -> Result<Option<Token>> {
        let sql = format!("SELECT {TOKEN_COLUMNS} FROM tokens WHERE id = $1 AND account_id = $2");
        with_read_pool!(self, pool => {
            fetch_optional!(pool, &sql, [token.0, account.0], token_from_row)
        })
    }

    /// Accepts TOTP time step `step` (from [`crate::TotpSecret::verify`]) for a token, once
    /// (OTP-6, security.md decision 4), alone: the sign-in spends it inside its session's own
    /// transaction instead ([`Self::open_signed_in_session_spending`]). One conditional UPDATE
    /// ([`SPEND_TOTP_STEP`]); of any number of concurrent calls with the same step, on any
    /// number of servers, exactly one gets `true`.
    #[cfg(test)]
    pub(crate) async fn record_totp_use(
        &self,
        token: TokenId,
        account: AccountId,
        step: i64,
    ) -> Result<bool> {
        let now = self.now();
        let affected = with_pool!(self, pool => {
            execute!(pool, SPEND_TOTP_STEP, [step, now, token.0, account.0])?
        });
        Ok(affected == 1)
    }

    /// Records a sign-in attempt for `account` after a right password: the second factor is
    /// pending. Returns a fresh token for the attempt's cookie, valid for `ttl` (normally
    /// [`crate::LOGIN_ATTEMPT_TTL`]) from the store's clock. An attempt is not a session (SE-8):
    /// [`Self::session`] never accepts its token.
    pub(crate) async fn create_login_attempt(
        &self,
        account: AccountId,
        ttl: Duration,
    ) -> Result<SessionToken> {
        let token = SessionToken::generate();
        let now = self.now();
        let expires_at = now.saturating_add(millis(ttl));
        with_pool!(self, pool => {
            let inserted = sqlx::query(
                "INSERT INTO login_attempts (token_hash, account_id, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(token.hash().to_vec())
            .bind(account.0)
            .bind(now)
            .bind(expires_at)
            .execute(pool)
            .await;
            inserted.map(|_| token).map_err(account_insert_err)
        })
    }

    /// The sign-in attempt behind `token`, or `None` when it is unknown, finished or expired.
    pub(crate) async fn login_attempt(&self, token: &SessionToken) -> Result<Option<LoginAttempt>> {
        let now = self.now();
        with_read_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT id, account_id, created_at, expires_at FROM login_attempts \
                 WHERE token_hash = $1 AND expires_at > $2",
            )
            .bind(token.hash().to_vec())
            .bind(now)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
            match row {
                Some(r) => Ok(Some(LoginAttempt {
                    id: LoginAttemptId(r.i64("id")?),
                    account_id: AccountId(r.i64("account_id")?),
                    created_at: Timestamp::from_millis(r.i64("created_at")?),
                    expires_at: Timestamp::from_millis(r.i64("expires_at")?),
                })),
                None => Ok(None),
            }
        })
    }

    #[cfg(test)]
    /// Ends a sign-in attempt (second factor passed, or given up): its token opens nothing any
    /// more. Unknown tokens are fine.
    pub(crate) async fn finish_login_attempt(&self, token: &SessionToken) -> Result<()> {
        with_pool!(self, pool => {
            execute!(
                pool,
                "DELETE FROM login_attempts WHERE token_hash = $1",
                [token.hash().to_vec()],
            )?;
        });
        Ok(())
    }

    #[cfg(any(test, feature = "testing"))]
    /// Opens a session and returns the fresh token for its cookie (SE-1, SE-2: a new token every
    /// time, never one the caller had). It ends [`crate::SESSION_ABSOLUTE`] after now, or
    /// [`crate::SESSION_IDLE`] after the last request, whichever is first. The IP and user agent
    /// are kept for the session list: control characters dropped, cut to 64 and 512
    /// characters, empty meaning unknown.
    pub(crate) async fn create_session(&self, new: NewSession) -> Result<SessionToken> {
        let token = SessionToken::generate();
        let now = self.now();
        with_pool!(self, pool => {
            insert_session!(pool, &token, &new, now).map(|_| token)
        })
    }

    /// The second step of a sign-in passed: in one transaction (one commit, where it used to be
    /// four), clears the factor's failure count (RL-5), ends the attempt, opens a session as
    /// [`Self::create_session`] does, links it to the emergency code that opened it (EC-11),
    /// records `audit` (AU-1) and queues `notices` (AU-6). Either all of it is written or none:
    /// a session never exists without its audit event, its notices or, for an emergency
    /// session, without its link.
    pub(crate) async fn open_signed_in_session(
        &self,
        attempt: &SessionToken,
        cleared: &crate::throttle::ThrottleKey,
        new: NewSession,
        emergency_code: Option<crate::EmergencyCodeId>,
        audit: crate::audit::NewAuditEvent,
        notices: &[crate::NewOutboxMessage],
    ) -> Result<SessionToken> {
        let opened = self
            .open_session_tx(attempt, cleared, new, None, emergency_code, audit, notices)
            .await?;
        opened.ok_or_else(|| {
            DomainError::Internal("a sign-in without a TOTP step was refused".into())
        })
    }

    /// As [`Self::open_signed_in_session`] for a sign-in with an authenticator app, which also
    /// spends the code's time step `spent` in the same transaction, first (OTP-6, one
    /// conditional UPDATE, [`SPEND_TOTP_STEP`]): the step is recorded only if the session
    /// opens, and one commit does both. `None`, with nothing written, when the step was spent
    /// already (a replay, or the loser of two racing submissions of one code: of any number,
    /// on any number of servers, exactly one opens a session) or the token is no longer an
    /// active TOTP token of that account.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn open_signed_in_session_spending(
        &self,
        attempt: &SessionToken,
        cleared: &crate::throttle::ThrottleKey,
        new: NewSession,
        spent: Spend,
        audit: crate::audit::NewAuditEvent,
    ) -> Result<Option<SessionToken>> {
        self.open_session_tx(attempt, cleared, new, Some(spent), None, audit, &[])
            .await
    }

    /// As [`Self::open_signed_in_session`] for a sign-in with the emergency code `code` (as
    /// read by [`Self::live_emergency_code`]), which also counts the code's use in the same
    /// transaction, first (EC-4, one conditional UPDATE, [`USE_EMERGENCY_CODE_AS_READ`]), and
    /// links the restricted session to it: the use is counted only if the session opens, and
    /// one commit does both. `None`, with nothing written, when the code's use count is no
    /// longer the one read (another sign-in used it meanwhile: read it again) or it is no
    /// longer live.
    pub(crate) async fn open_emergency_code_session(
        &self,
        attempt: &SessionToken,
        cleared: &crate::throttle::ThrottleKey,
        new: NewSession,
        code: &crate::EmergencyCodeInfo,
        audit: crate::audit::NewAuditEvent,
        notices: &[crate::NewOutboxMessage],
    ) -> Result<Option<SessionToken>> {
        let spend = Spend::EmergencyCode {
            id: code.id,
            uses: code.uses,
        };
        let opened = self
            .open_session_tx(
                attempt,
                cleared,
                new,
                Some(spend),
                Some(code.id),
                audit,
                notices,
            )
            .await?;
        if opened.is_some() {
            crate::telemetry::emergency_code_used();
        }
        Ok(opened)
    }

    #[allow(clippy::too_many_arguments)]
    async fn open_session_tx(
        &self,
        attempt: &SessionToken,
        cleared: &crate::throttle::ThrottleKey,
        new: NewSession,
        spend: Option<Spend>,
        emergency_code: Option<crate::EmergencyCodeId>,
        audit: crate::audit::NewAuditEvent,
        notices: &[crate::NewOutboxMessage],
    ) -> Result<Option<SessionToken>> {
        let token = SessionToken::generate();
        let now = self.now();
        let audit = AuditRow::new(&audit)?;
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            if let Some(spend) = spend {
                // First, so that racing submissions of one code queue on this row's write.
                let affected = match spend {
                    Spend::TotpStep(spent) => execute!(
                        &mut *tx,
                        SPEND_TOTP_STEP,
                        [spent.step, now, spent.token.0, new.account_id.0],
                    )?,
                    Spend::EmergencyCode { id, uses } => execute!(
                        &mut *tx,
                        USE_EMERGENCY_CODE_AS_READ,
                        [id.0, new.account_id.0, now, i64::from(uses)],
                    )?,
                    Spend::PasskeyCounter(ref moved) => {
                        let changed = sqlx::query(passkey::MOVE_PASSKEY_COUNTER)
                            .bind(i64::from(moved.now))
                            .bind(moved.record.as_deref())
                            .bind(moved.token.0)
                            .bind(i64::from(moved.was))
                            .bind(new.account_id.0)
                            .execute(&mut *tx)
                            .await
                            .map_err(db_err)?
                            .rows_affected();
                        if changed == 1 {
                            execute!(&mut *tx, passkey::STAMP_PASSKEY_USE, [now, moved.token.0])?;
                        }
                        changed
                    }
                };
                if affected != 1 {
                    // Dropped unfinished: rolled back, nothing written.
                    return Ok(None);
                }
            }
            execute!(&mut *tx, "DELETE FROM throttle WHERE key = $1", [cleared.as_str()])?;
            execute!(
                &mut *tx,
                "DELETE FROM login_attempts WHERE token_hash = $1",
                [attempt.hash().to_vec()],
            )?;
            let session = insert_session!(&mut *tx, &token, &new, now)?;
            if let Some(code) = emergency_code {
                execute!(
                    &mut *tx,
                    "INSERT INTO emergency_sessions (session_id, code_id) VALUES ($1, $2)",
                    [session.0, code.0],
                )?;
            }
            insert_audit!(&mut *tx, &audit, now)?;
            for message in notices {
                outbox::enqueue_in!(&mut *tx, message, now)?;
            }
            tx.commit().await.map_err(db_err)?;
        });
        Ok(Some(token))
    }

    /// The live session behind `token`: `None` when it is unknown, ended, past its absolute
    /// expiry, or idle for longer than [`crate::SESSION_IDLE`] ([`crate::EMERGENCY_SESSION_IDLE`] for an emergency session, EC-11) (SE-4, enforced here, on the
    /// server's clock). A hit counts as activity: `last_seen_at` moves to now, but only when it
    /// is at least [`crate::SESSION_TOUCH_INTERVAL`] (a minute) old, to spare a write per request;
    /// so the idle timeout may end a session up to a minute early, never late. The touch repeats
    /// the validity conditions in its UPDATE, so a session ended meanwhile is not revived.
    ///
    /// The session says who is signed in; the caller must still check the account's state and
    /// role on every request (AC-5).
    pub(crate) async fn session(&self, token: &SessionToken) -> Result<Option<Session>> {
        let now = self.now();
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions \
             WHERE token_hash = $1 AND expires_at > $2 \
             AND last_seen_at >= (CASE WHEN scope = 'emergency' THEN $4 ELSE $3 END)"
        );
        let (idle_since, emergency_idle_since) = idle_bounds(now);
        let found = with_read_pool!(self, pool => {
            fetch_optional!(
                pool,
                &sql,
                [token.hash().to_vec(), now, idle_since, emergency_idle_since],
                session_from_row,
            )?
        });
        match found {
            Some(session) => self.touch_session(session, now).await,
            None => Ok(None),
        }
    }

    /// What every signed-in request needs, in one query: the live session behind `token` (as
    /// [`Self::session`], touched the same way), its account (in any state: the caller checks
    /// it, AC-5) and, for a session opened by an emergency code, whether that code is still
    /// unexpired and not revoked (EC-11; `false` when no code is linked: fail closed).
    pub(crate) async fn signed_in(&self, token: &SessionToken) -> Result<Option<LiveSession>> {
        let now = self.now();
        let (idle_since, emergency_idle_since) = idle_bounds(now);
        let found = with_read_pool!(self, pool => {
            sqlx::query(
                "SELECT s.id, s.account_id, s.scope, s.created_at, s.last_seen_at, s.expires_at, \
                 s.ip, s.user_agent, s.reauthenticated_at, \
                 a.username, a.display_name, a.password_hash, a.state, a.role, \
                 a.created_at AS account_created_at, a.updated_at AS account_updated_at, \
                 CASE WHEN c.id IS NOT NULL AND c.revoked_at IS NULL AND c.expires_at > $2 \
                 THEN TRUE ELSE FALSE END AS code_live \
                 FROM sessions s JOIN accounts a ON a.id = s.account_id \
                 LEFT JOIN emergency_sessions es ON es.session_id = s.id \
                 LEFT JOIN emergency_codes c ON c.id = es.code_id \
                 WHERE s.token_hash = $1 AND s.expires_at > $2 \
                 AND s.last_seen_at >= (CASE WHEN s.scope = 'emergency' THEN $4 ELSE $3 END)",
            )
            .bind(token.hash().to_vec())
            .bind(now)
            .bind(idle_since)
            .bind(emergency_idle_since)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .map(|row| -> Result<(Session, Account, bool)> {
                let session = session_from_row(&row)?;
                let account = account_fields(
                    &row,
                    session.account_id,
                    "account_created_at",
                    "account_updated_at",
                )?;
                Ok((session, account, row.flag("code_live")?))
            })
            .transpose()?
        });
        let Some((session, account, code_live)) = found else {
            return Ok(None);
        };
        let emergency_code_live = (session.scope == SessionScope::Emergency).then_some(code_live);
        Ok(self
            .touch_session(session, now)
            .await?
            .map(|session| LiveSession {
                session,
                account,
                emergency_code_live,
            }))
    }

    /// Moves a live session's `last_seen_at` to `now` when it is at least
    /// [`crate::SESSION_TOUCH_INTERVAL`] old (see [`Self::session`]); `None` when the session
    /// ended or went idle meanwhile.
    async fn touch_session(&self, mut session: Session, now: i64) -> Result<Option<Session>> {
        if now.saturating_sub(session.last_seen_at.as_millis()) < millis(SESSION_TOUCH_INTERVAL) {
            return Ok(Some(session));
        }
        let (idle_since, emergency_idle_since) = idle_bounds(now);
        let touched = with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE sessions \
                 SET last_seen_at = CASE WHEN last_seen_at < $1 THEN $1 ELSE last_seen_at END \
                 WHERE id = $2 AND expires_at > $1 \
                 AND last_seen_at >= (CASE WHEN scope = 'emergency' THEN $4 ELSE $3 END)",
                [now, session.id.0, idle_since, emergency_idle_since],
            )?
        });
        if touched == 0 {
            return Ok(None);
        }
        session.last_seen_at = Timestamp::from_millis(now.max(session.last_seen_at.as_millis()));
        Ok(Some(session))
    }

    /// Ends the session behind `token` (sign-out, SE-5): the row is deleted, so the cookie opens
    /// nothing any more, wherever it is replayed. Unknown tokens are fine.
    pub(crate) async fn end_session(&self, token: &SessionToken) -> Result<()> {
        with_pool!(self, pool => {
            execute!(pool, "DELETE FROM sessions WHERE token_hash = $1", [token.hash().to_vec()])?;
        });
        Ok(())
    }

    /// An account's live sessions (not ended, not expired, not idle too long), oldest first:
    /// what the user's session list shows (SE-7). Reading them does not count as activity.
    pub(crate) async fn sessions(&self, account: AccountId) -> Result<Vec<Session>> {
        let now = self.now();
        let idle_since = now.saturating_sub(millis(SESSION_IDLE));
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM sessions \
             WHERE account_id = $1 AND expires_at > $2 AND last_seen_at >= $3 ORDER BY id"
        );
        with_pool!(self, pool => {
            fetch_all!(pool, &sql, [account.0, now, idle_since], session_from_row)
        })
    }

    /// Ends one session of `account` by id, as chosen from its session list (SE-7). Returns
    /// whether one ended; another account's session id ends nothing (AC-2).
    pub(crate) async fn end_session_by_id(
        &self,
        account: AccountId,
        session: SessionId,
    ) -> Result<bool> {
        let affected = with_pool!(self, pool => {
            execute!(
                pool,
                "DELETE FROM sessions WHERE id = $1 AND account_id = $2",
                [session.0, account.0],
            )?
        });
        Ok(affected > 0)
    }

    /// Ends every session of `account` except `keep` (the caller's own, when it signs out its
    /// other devices: PW-9, RB-10), or all of them with `None` (locking, SE-7). Returns how many
    /// ended.
    pub(crate) async fn end_sessions(
        &self,
        account: AccountId,
        keep: Option<SessionId>,
    ) -> Result<u64> {
        // Ids start at 1, so 0 keeps nothing.
        let keep = keep.map_or(0, |s| s.0);
        with_pool!(self, pool => {
            Ok(execute!(
                pool,
                "DELETE FROM sessions WHERE account_id = $1 AND id <> $2",
                [account.0, keep],
            )?)
        })
    }

    /// Deletes expired sign-in attempts and sessions (absolute or idle). Lookups already ignore
    /// them; this only keeps the tables small. Returns how many rows went. Safe to run at any
    /// time, from any number of servers.
    pub(crate) async fn purge_expired(&self) -> Result<u64> {
        let now = self.now();
        let idle_since = now.saturating_sub(millis(SESSION_IDLE));
        with_pool!(self, pool => {
            let attempts = execute!(
                pool,
                "DELETE FROM login_attempts WHERE expires_at <= $1",
                [now],
            )?;
            let sessions =
                execute!(
                    pool,
                    "DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2",
                    [now, idle_since],
                )?;
            Ok(attempts + sessions)
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

/// A new token's label and device name after the text rules, once its shape is checked: the
/// kind decides what it must carry (TOTP a sealed seed and no target, SMS a phone number,
/// e-mail an address, and neither of those a seed).
fn token_text(new: &NewToken) -> Result<(String, Option<String>)> {
    check_token_shape(new)?;
    let device = match &new.device {
        Some(d) => crate::text::device_name(d)?,
        None => None,
    };
    Ok((crate::text::token_label(&new.label)?, device))
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
        TokenKind::Webauthn => new.secret_enc.is_none() && new.target.is_none(),
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
                TokenKind::Webauthn => "a passkey has neither a seed nor a target",
            },
        ))
    }
}

/// A duration in milliseconds, as stored.
fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
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
/// The error of an insert that references an account: a missing account is `NotFound`.
fn account_insert_err(e: sqlx::Error) -> DomainError {
    if is_foreign_key_violation(&e) {
        DomainError::NotFound("account not found".into())
    } else {
        db_err(e)
    }
}

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
fn stored<T, E: std::fmt::Display>(value: std::result::Result<T, E>) -> Result<T> {
    value.map_err(|e| DomainError::Storage(format!("unexpected stored value: {e}")))
}

fn account_from_row(r: &impl RowExt) -> Result<Account> {
    account_fields(r, AccountId(r.i64("id")?), "created_at", "updated_at")
}

/// An account from a row whose time columns are named `created` and `updated` (a join renames
/// them so they do not clash with the other table's).
fn account_fields(r: &impl RowExt, id: AccountId, created: &str, updated: &str) -> Result<Account> {
    Ok(Account {
        id,
        username: Username::from_canonical(r.text("username")?),
        display_name: r.text("display_name")?,
        password_hash: PasswordHash::from_stored(r.text("password_hash")?),
        state: stored(AccountState::parse(&r.text("state")?))?,
        role: stored(Role::parse(&r.text("role")?))?,
        created_at: Timestamp::from_millis(r.i64(created)?),
        updated_at: Timestamp::from_millis(r.i64(updated)?),
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

/// The oldest `last_seen_at` a live session may have at `now`: (full session, emergency one).
fn idle_bounds(now: i64) -> (i64, i64) {
    (
        now.saturating_sub(millis(SESSION_IDLE)),
        now.saturating_sub(millis(crate::EMERGENCY_SESSION_IDLE)),
    )
}

fn session_from_row(r: &impl RowExt) -> Result<Session> {
    Ok(Session {
        id: SessionId(r.i64("id")?),
        account_id: AccountId(r.i64("account_id")?),
        scope: stored(SessionScope::parse(&r.text("scope")?))?,
        created_at: Timestamp::from_millis(r.i64("created_at")?),
        last_seen_at: Timestamp::from_millis(r.i64("last_seen_at")?),
        expires_at: Timestamp::from_millis(r.i64("expires_at")?),
        ip: r.opt_text("ip")?,
        user_agent: r.opt_text("user_agent")?,
        reauthenticated_at: r.opt_i64("reauthenticated_at")?.map(Timestamp::from_millis),
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
        removed_at: r.opt_i64("removed_at")?.map(Timestamp::from_millis),
        removed_by: r.opt_i64("removed_by")?.map(AccountId),
        blocked_at: r.opt_i64("blocked_at")?.map(Timestamp::from_millis),
    })
}

#[cfg(test)]
mod url_tests {
    use super::*;

    #[test]
    fn sqlite_synchronous_is_taken_out_of_the_url() {
        let plain = sqlite_synchronous("sqlite://data/x.db").unwrap();
        assert_eq!(plain.0, "sqlite://data/x.db");
        assert!(matches!(plain.1, SqliteSynchronous::Full));
        let normal = sqlite_synchronous("sqlite://x.db?mode=rwc&synchronous=NORMAL").unwrap();
        assert_eq!(normal.0, "sqlite://x.db?mode=rwc");
        assert!(matches!(normal.1, SqliteSynchronous::Normal));
        let only = sqlite_synchronous("sqlite://x.db?synchronous=full").unwrap();
        assert_eq!(only.0, "sqlite://x.db");
        assert!(matches!(only.1, SqliteSynchronous::Full));
        let bad = sqlite_synchronous("sqlite://x.db?synchronous=off").unwrap_err();
        assert!(bad.to_string().contains("full or normal"), "{bad}");
    }
}
