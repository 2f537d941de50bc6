//! Token self-service in the store: removing tokens (one, or every token on a lost device) and
//! renaming them. The rules (who may remove what, which notice is sent) belong to
//! [`crate::TokenService`]; this module makes each removal one transaction, so that the tokens,
//! the notice to every confirmed contact (RB-2, AU-6), the audit events (AU-1) and, for a lost
//! device, the end of the account's other sessions are written together or not at all.
//!
//! Removals of one account are serialised: every removal first takes a write lock on the
//! account's row (a no-op UPDATE: a row lock on PostgreSQL, the database's write lock on SQLite),
//! then counts the account's active tokens. So two concurrent removals, on any number of servers,
//! can never each see "one other token remains" and together remove the last one. Code that
//! removes tokens elsewhere (the operator console) must take the same lock.

use super::outbox::enqueue_in;
use super::{db_err, millis, token_from_row, Pool, RowExt, Store, TOKEN_COLUMNS};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::error::Result;
use crate::notify::Notice;
use crate::session::SESSION_IDLE;
use crate::store::{AccountId, SessionId, Token, TokenId, TokenState};
use crate::text::{device_name, token_label};

/// Which of an account's active tokens a removal takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokenSelection<'a> {
    /// One token, by id; only ever looked up under the acting account (AC-2).
    One(TokenId),
    /// Every active token whose device is exactly this stored name.
    Device(&'a str),
}

/// A removal to carry out: whose tokens, which, by whom, and what else it does.
#[derive(Clone, Copy, Debug)]
pub(crate) struct TokenRemoval<'a> {
    /// The account whose tokens go.
    pub account: AccountId,
    /// Which of its active tokens.
    pub selection: TokenSelection<'a>,
    /// Who removes them, kept in `removed_by` (RB-8): the owner's own id for self-service.
    pub removed_by: AccountId,
    /// `true`: the tokens are blocked instead (state `blocked`, `blocked_at` now, seeds kept,
    /// `removed_by` unused), and only active tokens can be selected.
    pub block: bool,
    /// Whether the removal may leave the account without any active token.
    pub allow_last: bool,
    /// `Some(keep)`: every session of the account except `keep` ends in the same transaction.
    pub end_other_sessions: Option<SessionId>,
}

/// How a removal ended. Only `Removed` wrote anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum RemovalOutcome {
    /// The tokens as they are now (state `removed`), oldest first, and how many live sessions
    /// ended.
    Removed {
        tokens: Vec<Token>,
        sessions_ended: u64,
    },
    /// The selection matched no active token of the account (unknown, another account's,
    /// pending or already removed), or the account is not active.
    NotFound,
    /// The selection covers every active token left and `allow_last` was false.
    LastToken,
}

/// What is written with a removal: the notice for every confirmed contact and the audit events.
/// Built from the removed tokens and the number of sessions ended, inside the transaction.
pub(crate) struct RemovalReport {
    pub notice: Notice,
    pub audit: Vec<NewAuditEvent>,
}

/// Appends `$event` (a `&NewAuditEvent`) to the audit log on `$conn` at `$now`, with the rules
/// of [`Store::audit`] (cleaned client text, no secret-named detail keys); evaluates to
/// `Result<()>`. The same INSERT as `Store::audit`, on a transaction's connection.
macro_rules! audit_in {
    ($conn:expr, $event:expr, $now:expr) => {{
        let event: &NewAuditEvent = $event;
        match details_text(&event.details) {
            Err(e) => Err(e),
            Ok(details) => sqlx::query(
                "INSERT INTO audit_events (at, actor_account_id, subject_account_id, action, \
                 outcome, ip, user_agent, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind($now)
            .bind(event.actor.map(|a| a.0))
            .bind(event.subject.map(|a| a.0))
            .bind(event.action.as_str())
            .bind(event.outcome.as_str())
            .bind(client_text(event.ip.as_deref(), AUDIT_IP_MAX_CHARS))
            .bind(client_text(
                event.user_agent.as_deref(),
                AUDIT_USER_AGENT_MAX_CHARS,
            ))
            .bind(details)
            .execute($conn)
            .await
            .map(|_| ())
            .map_err(db_err),
        }
    }};
}
pub(crate) use audit_in;

/// Queues `$notice` (a `&Notice`) to every confirmed contact of the account with id `$account`
/// (an `i64`) on the transaction `$conn` at `$now`: the contacts as they are in the transaction,
/// so a change made in it (a contact removed) is already seen. Evaluates to `Result<()>`.
macro_rules! notify_contacts_in {
    ($conn:expr, $account:expr, $notice:expr, $now:expr) => {{
        let notice: &crate::notify::Notice = $notice;
        let contacts = sqlx::query(
            "SELECT kind, value FROM contacts WHERE account_id = $1 AND confirmed = $2 ORDER BY id",
        )
        .bind($account)
        .bind(true)
        .fetch_all(&mut *$conn)
        .await
        .map_err(db_err)?;
        let mut queued: Result<()> = Ok(());
        for contact in &contacts {
            let value = contact.text("value")?;
            let to: crate::contact::ContactValue = match crate::store::stored(
                crate::contact::ContactKind::parse(&contact.text("kind")?),
            )? {
                crate::contact::ContactKind::Email => crate::contact::Email::parse(&value)?.into(),
                crate::contact::ContactKind::Phone => {
                    crate::contact::PhoneNumber::parse(&value)?.into()
                }
            };
            queued = enqueue_in!(&mut *$conn, &notice.message_to(&to)?, $now).map(|_| ());
            if queued.is_err() {
                break;
            }
        }
        queued
    }};
}
pub(crate) use notify_contacts_in;

impl Store {
    /// Removes (or, with `removal.block`, blocks) the selected tokens of `removal.account` in
    /// ONE transaction. Removed (active or blocked ones), each becomes `removed` with
    /// `removed_at` now and `removed_by` (the row stays, RB-8) and loses its sealed seed (a
    /// removed token never needs it again). Blocked (active ones only), each becomes `blocked`
    /// with `blocked_at` now and keeps its seed, to be unblocked if the phone turns up. Either
    /// way, from the commit on no code of theirs is accepted anywhere (RB-7: every sign-in
    /// check requires `state = 'active'`).
    /// With `end_other_sessions`, the account's other sessions end in the same transaction.
    /// `report` is then called with the removed tokens and the number of live sessions ended;
    /// its notice is queued to every confirmed contact of the account and its events are
    /// audited, still in the transaction. If anything fails (including `report`), nothing is
    /// written.
    ///
    /// Refusals write nothing: [`RemovalOutcome::NotFound`] when the selection matches no
    /// active token of the account or the account is not active; [`RemovalOutcome::LastToken`]
    /// when no active token would remain and `allow_last` is false.
    pub(crate) async fn remove_tokens(
        &self,
        removal: TokenRemoval<'_>,
        report: impl FnOnce(&[Token], u64) -> Result<RemovalReport>,
    ) -> Result<RemovalOutcome> {
        let now = self.now();
        let idle_since = now.saturating_sub(millis(SESSION_IDLE));
        let account = removal.account.0;
        let states = if removal.block {
            "('active')"
        } else {
            "('active', 'blocked')"
        };
        let select_active = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 \
             AND state IN {states} ORDER BY id"
        );
        let change_one = if removal.block {
            format!(
                "UPDATE tokens SET state = 'blocked', blocked_at = $1 \
                 WHERE id = $2 AND account_id = $3 AND state = 'active' \
                 RETURNING {TOKEN_COLUMNS}"
            )
        } else {
            format!(
                "UPDATE tokens SET state = 'removed', removed_at = $1, removed_by = $4, \
                 secret_enc = NULL, blocked_at = NULL \
                 WHERE id = $2 AND account_id = $3 AND state IN ('active', 'blocked') \
                 RETURNING {TOKEN_COLUMNS}"
            )
        };
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            // The lock that serialises removals of this account.
            if !lock_active_account!(&mut *tx, account)? {
                return Ok(RemovalOutcome::NotFound);
            }
            let active: Vec<Token> =
                fetch_all!(&mut *tx, &select_active, [account], token_from_row)?;
            let selected: Vec<TokenId> = active
                .iter()
                .filter(|t| match removal.selection {
                    TokenSelection::One(id) => t.id == id,
                    TokenSelection::Device(device) => t.device.as_deref() == Some(device),
                })
                .map(|t| t.id)
                .collect();
            if selected.is_empty() {
                return Ok(RemovalOutcome::NotFound);
            }
            // The last-token rule is about ways to sign in: only active tokens count (a
            // blocked one can be removed whatever remains).
            let active_left = active
                .iter()
                .filter(|t| t.state == TokenState::Active && !selected.contains(&t.id))
                .count();
            let takes_active = active
                .iter()
                .any(|t| t.state == TokenState::Active && selected.contains(&t.id));
            if takes_active && active_left == 0 && !removal.allow_last {
                return Ok(RemovalOutcome::LastToken);
            }
            let mut removed = Vec::with_capacity(selected.len());
            for id in selected {
                let query = sqlx::query(&change_one).bind(now).bind(id.0).bind(account);
                let query = if removal.block {
                    query
                } else {
                    query.bind(removal.removed_by.0)
                };
                let row = query
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                // Under the lock nothing else removes this account's tokens; if one went anyway,
                // give up and write nothing.
                let Some(row) = row else {
                    return Ok(RemovalOutcome::NotFound);
                };
                removed.push(token_from_row(&row)?);
            }
            let mut sessions_ended = 0;
            if let Some(keep) = removal.end_other_sessions {
                // Dead sessions not yet purged go too, but only live ones are counted.
                let ended = sqlx::query(
                    "DELETE FROM sessions WHERE account_id = $1 AND id <> $2 \
                     RETURNING expires_at, last_seen_at",
                )
                .bind(account)
                .bind(keep.0)
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
                for row in &ended {
                    if row.i64("expires_at")? > now && row.i64("last_seen_at")? >= idle_since {
                        sessions_ended += 1;
                    }
                }
            }
            let report = report(&removed, sessions_ended)?;
            notify_contacts_in!(&mut *tx, account, &report.notice, now)?;
            for event in &report.audit {
                audit_in!(&mut *tx, event, now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(RemovalOutcome::Removed {
                tokens: removed,
                sessions_ended,
            })
        })
    }

    /// Renames an active token of `account`: label (one line, 1 to 64 characters) and device
    /// (one line, at most 64; empty means none), checked here as on enrolment. `None` when the
    /// account has no such active token (another account's, pending, removed: AC-2).
    pub(crate) async fn rename_token(
        &self,
        account: AccountId,
        token: TokenId,
        label: &str,
        device: &str,
    ) -> Result<Option<Token>> {
        let label = token_label(label)?;
        let device = device_name(device)?;
        let sql = format!(
            "UPDATE tokens SET label = $1, device = $2 \
             WHERE id = $3 AND account_id = $4 AND state = 'active' \
             RETURNING {TOKEN_COLUMNS}"
        );
        with_pool!(self, pool => {
            fetch_optional!(
                pool,
                &sql,
                [&label, device.as_deref(), token.0, account.0],
                token_from_row,
            )
        })
    }
}
