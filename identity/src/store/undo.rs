//! "This was not me" (issue 13): undoing what an emergency access code made possible, in one
//! transaction. Used by the link in the notices and by an operator in the console.

use super::outbox::enqueue_in;
use super::selfservice::{audit_in, notify_contacts_in};
use super::{db_err, millis, Pool, RowExt, Store};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::emergency::EmergencyCodeId;
use crate::error::Result;
use crate::notify::Notice;
use crate::store::AccountId;

/// How long the "this was not me" link of a notice keeps working after its code was issued:
/// long enough for a notice read days later (or after the code was used, replaced or finished),
/// short enough that a stale mail cannot lock an account months later.
pub const CANCEL_LINK_TTL: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 60 * 60);

/// Which codes an undo starts from.
#[derive(Clone, Copy, Debug)]
pub enum UndoFrom {
    /// The code whose notice carried this "this was not me" link token hash.
    Link([u8; 32]),
    /// Every code of this account issued in the last [`CANCEL_LINK_TTL`] (an operator).
    Account(AccountId),
}

/// What an undo did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Undone {
    /// The account (now locked).
    pub account: AccountId,
    /// The codes covered (revoked if they were live).
    pub codes: Vec<EmergencyCodeId>,
    /// Tokens added since the first of them was issued, now removed.
    pub tokens_removed: u64,
    /// Contacts added since then, now removed.
    pub contacts_removed: u64,
    /// Whether the recovery address the account had then is the recovery address again.
    pub recovery_restored: bool,
    /// Sessions ended (all of the account's).
    pub sessions_ended: u64,
    /// Whether the password a stolen phone's restricted session replaced is the password
    /// again (issue 14 item 3).
    pub password_restored: bool,
}

/// Why an undo did nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UndoRefused {
    /// No code has this link, or it is older than [`CANCEL_LINK_TTL`].
    Unknown,
    /// The link was used already: the account was locked for review then.
    AlreadyUsed,
    /// (Operator) the account had no emergency code in the last [`CANCEL_LINK_TTL`].
    NoRecentCode,
}

impl Store {
    /// Undoes what emergency access made possible since the link's code (or, for an operator,
    /// since the account's earliest code of the last week) was issued, in ONE transaction:
    ///
    /// - every code of the account issued since then is revoked (`not_me`) and the link is
    ///   marked used, so an older notice's link still works after its code was replaced or
    ///   finished, and works once;
    /// - every token added since then (pending or active) is removed, its seed wiped, and every
    ///   contact added since then is deleted (whatever the session: an attacker who finished
    ///   recovery and then signed in fully with their own token is covered too);
    /// - the recovery address the account had when the first of those codes was issued is the
    ///   recovery address again (if that contact still exists);
    /// - every session, pending sign-in attempt and open wizard of the account ends, and every
    ///   browser it remembers is forgotten;
    /// - a password changed from a restricted session since then is the owner's old one again;
    /// - the account is locked for help-desk review;
    /// - `notice` goes to every confirmed contact that remains and `events` are audited.
    ///
    /// Tokens the owner had before stay as they are (removed ones were wiped on removal; the
    /// help desk restores access after review).
    pub(crate) async fn undo_emergency_access(
        &self,
        from: UndoFrom,
        notice: &Notice,
        events: impl FnOnce(&Undone) -> Vec<NewAuditEvent>,
    ) -> Result<std::result::Result<Undone, UndoRefused>> {
        let now = self.now();
        let oldest = now.saturating_sub(millis(CANCEL_LINK_TTL));
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            // The first statement writes, so that SQLite takes its write lock at once; it also
            // marks the link used (once only).
            let start = match from {
                UndoFrom::Link(hash) => {
                    let start = fetch_optional!(
                        &mut *tx,
                        "UPDATE emergency_codes SET cancelled_at = $1 \
                         WHERE cancel_hash = $2 AND created_at > $3 AND cancelled_at IS NULL \
                         RETURNING account_id, created_at, recovery_before",
                        [now, hash.to_vec(), oldest],
                        undo_start,
                    )?;
                    match start {
                        Some(start) => start,
                        None => {
                            let used = fetch_optional!(
                                &mut *tx,
                                "SELECT 1 AS one FROM emergency_codes WHERE cancel_hash = $1 \
                                 AND created_at > $2 AND cancelled_at IS NOT NULL",
                                [hash.to_vec(), oldest],
                                |_| Result::<()>::Ok(()),
                            )?;
                            return Ok(Err(if used.is_some() {
                                UndoRefused::AlreadyUsed
                            } else {
                                UndoRefused::Unknown
                            }));
                        }
                    }
                }
                UndoFrom::Account(account) => {
                    execute!(
                        &mut *tx,
                        "UPDATE accounts SET updated_at = updated_at WHERE id = $1",
                        [account.0],
                    )?;
                    let start = fetch_optional!(
                        &mut *tx,
                        "SELECT account_id, created_at, recovery_before FROM emergency_codes \
                         WHERE account_id = $1 AND created_at > $2 ORDER BY created_at, id \
                         LIMIT 1",
                        [account.0, oldest],
                        undo_start,
                    )?;
                    match start {
                        Some(start) => start,
                        None => return Ok(Err(UndoRefused::NoRecentCode)),
                    }
                }
            };
            let (account, since, recovery_before) = start;
            let codes = sqlx::query(
                "SELECT id FROM emergency_codes WHERE account_id = $1 AND created_at >= $2 \
                 ORDER BY id",
            )
            .bind(account)
            .bind(since)
            .fetch_all(&mut *tx)
            .await
            .map_err(db_err)?
            .iter()
            .map(|r| r.i64("id").map(EmergencyCodeId))
            .collect::<Result<Vec<_>>>()?;
            execute!(
                &mut *tx,
                "UPDATE emergency_codes SET revoked_at = $1, revoked_why = 'not_me' \
                 WHERE account_id = $2 AND created_at >= $3 AND revoked_at IS NULL",
                [now, account, since],
            )?;
            let tokens_removed = execute!(
                &mut *tx,
                "UPDATE tokens SET state = 'removed', removed_at = $1, removed_by = NULL, \
                 secret_enc = NULL, blocked_at = NULL \
                 WHERE account_id = $2 AND created_at >= $3 AND state <> 'removed'",
                [now, account, since],
            )?;
            let contacts_removed = execute!(
                &mut *tx,
                "DELETE FROM contacts WHERE account_id = $1 AND created_at >= $2",
                [account, since],
            )?;
            let mut recovery_restored = false;
            if let Some(contact) = recovery_before {
                let exists = sqlx::query(
                    "SELECT 1 AS one FROM contacts WHERE id = $1 AND account_id = $2 \
                     AND kind = 'email' AND confirmed = $3",
                )
                .bind(contact)
                .bind(account)
                .bind(true)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                if exists.is_some() {
                    execute!(
                        &mut *tx,
                        "UPDATE contacts SET is_recovery = $3 \
                         WHERE account_id = $1 AND is_recovery = $4 AND id <> $2",
                        [account, contact, false, true],
                    )?;
                    execute!(
                        &mut *tx,
                        "UPDATE contacts SET is_recovery = $2 WHERE id = $1",
                        [contact, true],
                    )?;
                    recovery_restored = true;
                }
            }
            let sessions_ended = execute!(
                &mut *tx,
                "DELETE FROM sessions WHERE account_id = $1",
                [account],
            )?;
            // Every remembered browser is forgotten too (issue 13 item 5): the attacker's
            // browser, if it completed a full sign-in, must not skip the next code's wait.
            for sql in [
                "DELETE FROM login_attempts WHERE account_id = $1",
                "DELETE FROM emergency_wizards WHERE account_id = $1",
                "DELETE FROM remembered_browsers WHERE account_id = $1",
            ] {
                execute!(&mut *tx, sql, [account])?;
            }
            // A password changed from a restricted session since then is put back: the first
            // code's record holds the hash the owner had.
            let password_before = fetch_optional!(
                &mut *tx,
                "SELECT password_before FROM emergency_codes WHERE account_id = $1 \
                 AND created_at >= $2 AND password_before IS NOT NULL \
                 ORDER BY created_at, id LIMIT 1",
                [account, since],
                password_before,
            )?;
            let password_restored = match &password_before {
                Some(hash) => {
                    execute!(
                        &mut *tx,
                        "UPDATE accounts SET password_hash = $1 WHERE id = $2",
                        [hash.as_str(), account],
                    )? == 1
                }
                None => false,
            };
            execute!(
                &mut *tx,
                "UPDATE accounts SET state = 'locked', updated_at = $1 WHERE id = $2",
                [now, account],
            )?;
            let undone = Undone {
                account: AccountId(account),
                codes,
                tokens_removed,
                contacts_removed,
                recovery_restored,
                sessions_ended,
                password_restored,
            };
            notify_contacts_in!(&mut *tx, account, &notice, now)?;
            for event in &events(&undone) {
                audit_in!(&mut *tx, event, now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(Ok(undone))
        })
    }
}

impl Store {
    /// The account whose code's notice carried the "this was not me" link with this hash, if
    /// the link is still within [`CANCEL_LINK_TTL`] (for the notice's greeting).
    pub(crate) async fn account_by_cancel_link(
        &self,
        cancel_hash: [u8; 32],
    ) -> Result<Option<crate::store::Account>> {
        let oldest = self.now().saturating_sub(millis(CANCEL_LINK_TTL));
        let id = with_pool!(self, pool => {
            sqlx::query(
                "SELECT account_id FROM emergency_codes WHERE cancel_hash = $1 AND created_at > $2",
            )
            .bind(cancel_hash.to_vec())
            .bind(oldest)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .map(|r| r.i64("account_id"))
            .transpose()?
        });
        match id {
            Some(id) => self.account_by_id(AccountId(id)).await,
            None => Ok(None),
        }
    }
}

/// Where an undo starts: the account, when its earliest code in reach was issued, and the
/// recovery address it had then.
fn undo_start(r: &impl RowExt) -> Result<(i64, i64, Option<i64>)> {
    Ok((
        r.i64("account_id")?,
        r.i64("created_at")?,
        r.opt_i64("recovery_before")?,
    ))
}

/// The hash a stolen phone's restricted session replaced.
fn password_before(r: &impl RowExt) -> Result<String> {
    r.text("password_before")
}
