//! The transactional outbox: e-mails and SMS to send, stored in the same transaction as the change
//! they report, and delivered by a worker with retries, so a crash loses none (architecture).
//!
//! Life of a message: `pending` when queued; a worker [claims](Store::claim_outbox) due messages,
//! which leases them (`locked_until`) so no other worker takes them meanwhile; after trying, it
//! records [`Store::mark_sent`] or [`Store::mark_failed`] (retry later, with exponential backoff,
//! until [`OUTBOX_MAX_ATTEMPTS`], then `failed`). A worker that dies between sending and marking
//! leaves a lease that runs out, and the message is claimed and sent again: delivery is at least
//! once, never lost.
//!
//! Messages that carry a code are ephemeral (see [`NewOutboxMessage::ephemeral`]): delivered only
//! while the code is valid, and their body is erased once sent, failed or expired (OOB-7).
//!
//! Other store modules queue a message inside their own transaction with the [`enqueue_in!`]
//! macro, on the transaction's connection.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{db_err, millis, stored, Pool, RowExt, Store};
use crate::error::{DomainError, Result};
use crate::notify::{debug_message, Channel, NewOutboxMessage};
use crate::time::Timestamp;

/// After this many failed deliveries a message is `failed` for good.
pub const OUTBOX_MAX_ATTEMPTS: i64 = 10;
/// The wait after the first failure; it doubles with every further failure.
pub const OUTBOX_BACKOFF_BASE: Duration = Duration::from_secs(5);
/// The longest wait between two deliveries of one message.
pub const OUTBOX_BACKOFF_MAX: Duration = Duration::from_secs(60 * 60);
/// The most messages one [`Store::claim_outbox`] hands out.
pub const OUTBOX_CLAIM_MAX: u32 = 1_000;
/// Longest `last_error` kept, in characters.
const LAST_ERROR_MAX_CHARS: usize = 500;
/// What an ephemeral message that was never delivered records as its error.
const EXPIRED_ERROR: &str = "expired before delivery";

/// The columns [`outbox_from_row`] reads.
const OUTBOX_COLUMNS: &str = "id, channel, recipient, subject, body, state, attempts, \
     next_attempt_at, locked_until, created_at, sent_at, last_error, expires_at";

/// An outbox message's database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OutboxId(pub i64);

impl fmt::Display for OutboxId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Where a message is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutboxState {
    /// Waiting to be sent (possibly leased by a worker right now, or waiting for a retry).
    Pending,
    /// Handed to the mail server or SMS gateway.
    Sent,
    /// Given up: [`OUTBOX_MAX_ATTEMPTS`] failures, or an ephemeral message that expired unsent.
    Failed,
}

impl OutboxState {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[Self::Pending, Self::Sent, Self::Failed];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    /// Reads a stored name (exact, lower case).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(Self::Pending),
            "sent" => Ok(Self::Sent),
            "failed" => Ok(Self::Failed),
            _ => Err(DomainError::invalid(
                "outbox state",
                "must be one of: pending, sent, failed",
            )),
        }
    }
}

impl fmt::Display for OutboxState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message as stored. `Debug` does not show the body (it may carry a code): never log it.
#[derive(Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    /// Its id: what [`Store::mark_sent`] and [`Store::mark_failed`] take.
    pub id: OutboxId,
    /// E-mail or SMS.
    pub channel: Channel,
    /// The canonical address or E.164 number.
    pub recipient: String,
    /// The subject (e-mail only).
    pub subject: Option<String>,
    /// The text; empty once an ephemeral message is sent, failed or expired.
    pub body: String,
    /// Pending, sent or failed.
    pub state: OutboxState,
    /// Failed deliveries so far.
    pub attempts: i64,
    /// When it may be claimed (again).
    pub next_attempt_at: Timestamp,
    /// The end of the current worker's lease, if claimed.
    pub locked_until: Option<Timestamp>,
    /// When it was queued.
    pub created_at: Timestamp,
    /// When it was handed over.
    pub sent_at: Option<Timestamp>,
    /// The last delivery error (one line, at most 500 characters).
    pub last_error: Option<String>,
    /// For an ephemeral message, when it stops being worth delivering.
    pub expires_at: Option<Timestamp>,
}

impl fmt::Debug for OutboxMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (subject, body) = (self.subject.as_deref(), &self.body);
        let lead: [(&str, &dyn fmt::Debug); 1] = [("id", &self.id)];
        debug_message(
            f,
            "OutboxMessage",
            &lead,
            self.channel,
            &self.recipient,
            subject,
            body,
        )
        .field("state", &self.state)
        .field("attempts", &self.attempts)
        .field("next_attempt_at", &self.next_attempt_at)
        .field("locked_until", &self.locked_until)
        .field("created_at", &self.created_at)
        .field("sent_at", &self.sent_at)
        .field("last_error", &self.last_error)
        .field("expires_at", &self.expires_at)
        .finish()
    }
}

/// How long a message waits after its `attempts`-th failure: 5 s × 2^attempts, at most 1 h
/// (10 s, 20 s, 40 s … 2,560 s after the 9th; the 10th failure is final).
pub fn outbox_backoff(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 20)).unwrap_or(20);
    OUTBOX_BACKOFF_BASE
        .saturating_mul(1 << doublings)
        .min(OUTBOX_BACKOFF_MAX)
}

/// Queues `$message` (a `&NewOutboxMessage`) on `$conn` (a pool or `&mut *tx`) at `$now` (unix
/// ms) and evaluates to `Result<OutboxId>`. Inside a transaction, the message is sent only if the
/// transaction commits: use it for every notice that reports a change (AU-6), in the change's
/// own transaction. Usable from any module under `store` (`use super::outbox::enqueue_in;`).
macro_rules! enqueue_in {
    ($conn:expr, $message:expr, $now:expr) => {{
        let message: &$crate::notify::NewOutboxMessage = $message;
        let now: i64 = $now;
        sqlx::query(
            "INSERT INTO outbox (channel, recipient, subject, body, state, attempts, \
             next_attempt_at, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $5, $6) RETURNING id",
        )
        .bind(message.channel().as_str())
        .bind(message.recipient())
        .bind(message.subject())
        .bind(message.body())
        .bind(now)
        .bind(message.expires_at().map($crate::time::Timestamp::as_millis))
        .fetch_one($conn)
        .await
        .map_err($crate::store::db_err)
        .and_then(|row| $crate::store::RowExt::i64(&row, "id"))
        .map($crate::store::outbox::OutboxId)
    }};
}
pub(crate) use enqueue_in;

impl Store {
    /// Queues a message on its own. A message that reports a change belongs in the change's
    /// transaction instead ([`enqueue_in!`] inside the store, or a store method that does both,
    /// like [`Store::issue_oob_code`]).
    pub(crate) async fn enqueue(&self, message: NewOutboxMessage) -> Result<OutboxId> {
        let now = self.now();
        with_pool!(self, pool => enqueue_in!(pool, &message, now))
    }

    /// How many messages wait to be sent (pending: due, backing off or leased), for monitoring.
    pub(crate) async fn outbox_pending_count(&self) -> Result<i64> {
        with_pool!(self, pool => {
            sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE state = 'pending'")
                .fetch_one(pool)
                .await
                .map_err(db_err)?
                .i64("n")
        })
    }

    /// Hands up to `limit` (at most [`OUTBOX_CLAIM_MAX`]) due messages to the calling worker,
    /// oldest due first, leasing each until now + `lease`. Due: pending, `next_attempt_at` ≤ now,
    /// not leased (or the lease ran out: its worker died, so it is sent again), not expired.
    /// One atomic update per call: of any number of concurrent claimers, on any number of
    /// servers, no two get the same message while its lease runs. Ephemeral messages past
    /// their expiry are first marked failed (body erased) and never handed out.
    ///
    /// The lease must cover sending the whole batch; mark each message as soon as it is tried.
    pub(crate) async fn claim_outbox(
        &self,
        limit: u32,
        lease: Duration,
    ) -> Result<Vec<OutboxMessage>> {
        let limit = i64::from(limit.min(OUTBOX_CLAIM_MAX));
        if limit == 0 {
            return Ok(Vec::new());
        }
        let now = self.now();
        let until = now.saturating_add(millis(lease).max(1));
        // PostgreSQL: rows another claimer has locked are skipped rather than waited for, so
        // concurrent workers take different batches; SQLite has one writer at a time, so the
        // statement is atomic as it is. The batch is chosen once (MATERIALIZED): re-run inside
        // the update, PostgreSQL's locking subquery would skip the rows just updated and hand out
        // more than `limit`. The outer conditions repeat the inner ones: PostgreSQL re-checks
        // them on a row changed by a concurrent claim, so it is never handed out twice.
        let skip_locked = match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => " FOR UPDATE SKIP LOCKED",
        };
        let claim = format!(
            "WITH batch AS MATERIALIZED (SELECT id FROM outbox \
                 WHERE state = 'pending' AND next_attempt_at <= $2 \
                 AND (locked_until IS NULL OR locked_until <= $2) \
                 AND (expires_at IS NULL OR expires_at > $2) \
                 ORDER BY next_attempt_at, id LIMIT $3{skip_locked}) \
             UPDATE outbox SET locked_until = $1 \
             WHERE id IN (SELECT id FROM batch) \
             AND state = 'pending' AND next_attempt_at <= $2 \
             AND (locked_until IS NULL OR locked_until <= $2) \
             AND (expires_at IS NULL OR expires_at > $2) \
             RETURNING {OUTBOX_COLUMNS}"
        );
        let mut claimed = with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE outbox SET state = 'failed', body = '', last_error = $1, \
                 locked_until = NULL \
                 WHERE state = 'pending' AND expires_at IS NOT NULL AND expires_at <= $2",
                [EXPIRED_ERROR, now],
            )?;
            sqlx::query(&claim)
                .bind(until)
                .bind(now)
                .bind(limit)
                .fetch_all(pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(outbox_from_row)
                .collect::<Result<Vec<_>>>()?
        });
        claimed.sort_by_key(|m| (m.next_attempt_at, m.id));
        Ok(claimed)
    }

    /// Records that a message was handed to the mail server or gateway. Its lease ends; an
    /// ephemeral message's body is erased. Marking a message sent twice keeps the first time.
    /// [`DomainError::NotFound`] for an unknown id.
    pub(crate) async fn mark_sent(&self, id: OutboxId) -> Result<()> {
        let now = self.now();
        let affected = with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE outbox SET state = 'sent', sent_at = COALESCE(sent_at, $1), \
                 locked_until = NULL, \
                 body = CASE WHEN expires_at IS NULL THEN body ELSE '' END \
                 WHERE id = $2",
                [now, id.0],
            )?
        });
        if affected == 0 {
            return Err(DomainError::NotFound(format!("no outbox message {id}")));
        }
        Ok(())
    }

    /// Records a failed delivery: `attempts` + 1, the lease ends, the next try waits
    /// [`outbox_backoff`]`(attempts)`; the [`OUTBOX_MAX_ATTEMPTS`]-th failure makes it `failed`
    /// for good (an ephemeral body is then erased). `error` is kept for the console, on one line,
    /// cut to 500 characters: it must not hold secrets (the worker passes the server's answer,
    /// never the message). A message already sent or failed is left as it is.
    /// [`DomainError::NotFound`] for an unknown id.
    pub(crate) async fn mark_failed(&self, id: OutboxId, error: &str) -> Result<()> {
        let now = self.now();
        // The backoff of every attempt count, as one SQL expression over the stored count, so
        // that reading the count and writing the retry time are one atomic update.
        let waits: String = (0..OUTBOX_MAX_ATTEMPTS)
            .map(|n| format!(" WHEN {n} THEN {}", millis(outbox_backoff(n + 1))))
            .collect();
        let sql = format!(
            "UPDATE outbox SET attempts = attempts + 1, locked_until = NULL, last_error = $1, \
             next_attempt_at = $2 + CASE attempts{waits} ELSE {max} END, \
             state = CASE WHEN attempts + 1 >= {OUTBOX_MAX_ATTEMPTS} THEN 'failed' \
                 ELSE 'pending' END, \
             body = CASE WHEN expires_at IS NOT NULL AND attempts + 1 >= {OUTBOX_MAX_ATTEMPTS} \
                 THEN '' ELSE body END \
             WHERE id = $3 AND state = 'pending'",
            max = millis(OUTBOX_BACKOFF_MAX),
        );
        let error = error_text(error);
        let affected = with_pool!(self, pool => {
            execute!(pool, &sql, [&error, now, id.0])?
        });
        if affected == 0 && !self.outbox_exists(id).await? {
            return Err(DomainError::NotFound(format!("no outbox message {id}")));
        }
        Ok(())
    }

    async fn outbox_exists(&self, id: OutboxId) -> Result<bool> {
        with_pool!(self, pool => {
            Ok(sqlx::query("SELECT id FROM outbox WHERE id = $1")
                .bind(id.0)
                .fetch_optional(pool)
                .await
                .map_err(db_err)?
                .is_some())
        })
    }

    /// Deletes messages that are finished (sent or failed) and were queued more than `keep` ago;
    /// pending ones stay whatever their age. Returns how many went. The outbox is a queue, not
    /// an archive (the audit log is): run it now and then, from any number of servers.
    pub(crate) async fn purge_outbox(&self, keep: Duration) -> Result<u64> {
        let before = self.now().saturating_sub(millis(keep));
        with_pool!(self, pool => {
            Ok(execute!(
                pool,
                "DELETE FROM outbox WHERE state IN ('sent', 'failed') AND created_at <= $1",
                [before],
            )?)
        })
    }

    #[cfg(any(test, feature = "testing"))]
    /// The newest `limit` messages, newest first, in any state: for the console and tests.
    pub(crate) async fn outbox_messages(&self, limit: u32) -> Result<Vec<OutboxMessage>> {
        let sql = format!("SELECT {OUTBOX_COLUMNS} FROM outbox ORDER BY id DESC LIMIT $1");
        with_pool!(self, pool => {
            fetch_all!(pool, &sql, [i64::from(limit)], outbox_from_row)
        })
    }
}

/// A delivery error as kept: control characters replaced by spaces, trimmed, cut.
fn error_text(error: &str) -> String {
    let text: String = error
        .chars()
        .take(LAST_ERROR_MAX_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = text.trim();
    if text.is_empty() {
        "unknown error".to_owned()
    } else {
        text.to_owned()
    }
}

fn outbox_from_row(r: &impl RowExt) -> Result<OutboxMessage> {
    Ok(OutboxMessage {
        id: OutboxId(r.i64("id")?),
        channel: stored(Channel::parse(&r.text("channel")?))?,
        recipient: r.text("recipient")?,
        subject: r.opt_text("subject")?,
        body: r.text("body")?,
        state: stored(OutboxState::parse(&r.text("state")?))?,
        attempts: r.i64("attempts")?,
        next_attempt_at: Timestamp::from_millis(r.i64("next_attempt_at")?),
        locked_until: r.opt_i64("locked_until")?.map(Timestamp::from_millis),
        created_at: Timestamp::from_millis(r.i64("created_at")?),
        sent_at: r.opt_i64("sent_at")?.map(Timestamp::from_millis),
        last_error: r.opt_text("last_error")?,
        expires_at: r.opt_i64("expires_at")?.map(Timestamp::from_millis),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_ten_seconds_and_is_capped_at_an_hour() {
        let secs: Vec<u64> = (1..=OUTBOX_MAX_ATTEMPTS)
            .map(|n| outbox_backoff(n).as_secs())
            .collect();
        assert_eq!(secs, [10, 20, 40, 80, 160, 320, 640, 1280, 2560, 3600]);
        assert_eq!(outbox_backoff(0), Duration::from_secs(5));
        assert_eq!(outbox_backoff(-3), Duration::from_secs(5));
        assert_eq!(outbox_backoff(1_000), OUTBOX_BACKOFF_MAX);
    }

    #[test]
    fn states_round_trip() {
        for s in OutboxState::ALL {
            assert_eq!(OutboxState::parse(s.as_str()).unwrap(), *s);
        }
        assert!(OutboxState::parse("Sent").is_err());
    }

    #[test]
    fn errors_are_kept_on_one_bounded_line() {
        assert_eq!(error_text(" 550 no\r\nsuch user\0 "), "550 no  such user");
        assert_eq!(error_text(""), "unknown error");
        assert_eq!(error_text(&"x".repeat(10_000)).chars().count(), 500);
    }

    #[test]
    fn oob7_debug_hides_the_body() {
        let m = OutboxMessage {
            id: OutboxId(1),
            channel: Channel::Sms,
            recipient: "+420601123456".into(),
            subject: None,
            body: "code 917352".into(),
            state: OutboxState::Pending,
            attempts: 0,
            next_attempt_at: Timestamp::from_millis(0),
            locked_until: None,
            created_at: Timestamp::from_millis(0),
            sent_at: None,
            last_error: None,
            expires_at: None,
        };
        let shown = format!("{m:?}");
        assert!(!shown.contains("917352"), "{shown}");
        assert!(shown.contains("<11 chars>"), "{shown}");
    }
}
