//! Confirmation codes for what a signed-in person adds themselves: a pending SMS or e-mail token
//! (active only once the code sent to its number or address comes back, OOB-1) and an
//! unconfirmed contact. One live code per token or contact, stored as its keyed hash only
//! (OOB-7), issued in the same transaction as the message that carries it; a resend replaces
//! the code but never the failure count (OOB-6); after [`CONFIRMATION_MAX_FAILURES`] wrong codes
//! the row accepts nothing more. Also here: the session's password re-entry (RB-1), contact
//! removal and the recovery address, each one transaction with its notices and audit event.

use std::time::Duration;

use super::outbox::enqueue_in;
use super::selfservice::audit_in;
use super::{
    contact_from_row, db_err, is_foreign_key_violation, millis, token_text, Pool, RowExt, Store,
    TOKEN_COLUMNS,
};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::contact::{ContactKind, ContactValue};
use crate::error::{DomainError, Result};
use crate::notify::NewOutboxMessage;
use crate::oob::OOB_CODE_TTL;
use crate::store::{
    contact_insert_error, token_from_row, AccountId, Contact, ContactId, NewContact, NewToken,
    SessionId, Token, TokenId, TokenState,
};
use crate::time::Timestamp;

/// Wrong codes a confirmation accepts before it is used up (a resend does not reset them).
pub const CONFIRMATION_MAX_FAILURES: i64 = 5;

/// What a confirmation code confirms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Confirms {
    /// A pending SMS or e-mail token.
    Token(TokenId),
    /// An unconfirmed contact.
    Contact(ContactId),
}

impl Confirms {
    /// The column of `confirmation_codes` that names it, and its id.
    fn column(self) -> (&'static str, i64) {
        match self {
            Self::Token(t) => ("token_id", t.0),
            Self::Contact(c) => ("contact_id", c.0),
        }
    }
}

/// What a submitted confirmation code did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ConfirmOutcome {
    /// Accepted: the token is active / the contact confirmed, notices and audit written.
    Confirmed,
    /// Wrong (or expired) code; counted.
    WrongCode,
    /// No live code for this: unknown, another account's, already confirmed, expired pending
    /// token, or used up by wrong codes.
    NotFound,
    /// Used up by wrong codes: start again.
    UsedUp,
}

/// What to insert with its first code.
pub(crate) enum NewConfirmable {
    Token(NewToken),
    Contact(AccountId, NewContact),
}

impl Store {
    #[cfg(test)]
    /// Records that the owner of `session` re-entered their password now (RB-1).
    pub(crate) async fn mark_reauthenticated(&self, session: SessionId) -> Result<bool> {
        let now = self.now();
        let changed = with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE sessions SET reauthenticated_at = $1 WHERE id = $2",
                [now, session.0],
            )?
        });
        Ok(changed == 1)
    }

    /// Records that the owner of `session` re-entered their password now (RB-1) and gives the
    /// session a fresh token, in one UPDATE (SE-2, issue 13): the old token opens nothing from
    /// then on, and the session keeps its row id, so what is bound to it (a pending
    /// authenticator app) stays bound. `None` when the session is gone.
    pub(crate) async fn reauthenticate_session(
        &self,
        session: SessionId,
    ) -> Result<Option<crate::SessionToken>> {
        let token = crate::SessionToken::generate();
        let now = self.now();
        let changed = with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE sessions SET reauthenticated_at = $1, token_hash = $2 WHERE id = $3",
                [now, token.hash().to_vec(), session.0],
            )?
        });
        Ok((changed == 1).then_some(token))
    }

    #[cfg(any(test, feature = "testing"))]
    /// The account's confirmed recovery e-mail address, if it has one (what Emergency Access
    /// sends its proof to, RB-3).
    pub(crate) async fn recovery_address(
        &self,
        account: AccountId,
    ) -> Result<Option<crate::Email>> {
        let value = with_pool!(self, pool => {
            sqlx::query(
                "SELECT value FROM contacts WHERE account_id = $1 AND kind = 'email' \
                 AND is_recovery = $2 AND confirmed = $2",
            )
            .bind(account.0)
            .bind(true)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .map(|row| row.text("value"))
            .transpose()?
        });
        value.map(|v| crate::Email::parse(&v)).transpose()
    }

    /// Inserts a pending SMS/e-mail token or an unconfirmed contact together with its first
    /// confirmation code, in ONE transaction: `code` gets the new row's id and returns the
    /// code's hash (bound to that id) and the message that carries the code, which is queued
    /// as ephemeral (valid [`OOB_CODE_TTL`]). A duplicate contact is a
    /// [`DomainError::Conflict`]; nothing is written then.
    pub(crate) async fn insert_with_code(
        &self,
        new: NewConfirmable,
        code: impl FnOnce(Confirms) -> Result<([u8; 32], NewOutboxMessage)>,
    ) -> Result<Confirms> {
        let now = self.now();
        let expires_at = now.saturating_add(millis(OOB_CODE_TTL));
        // Checked before the transaction, as `insert_token` does.
        let token_text = match &new {
            NewConfirmable::Token(t) => {
                if t.state != TokenState::Pending || t.kind == crate::TokenKind::Totp {
                    return Err(DomainError::invalid(
                        "token",
                        "only a pending SMS or e-mail token is confirmed by a code",
                    ));
                }
                Some(token_text(t)?)
            }
            NewConfirmable::Contact(_, c) => {
                if c.confirmed || c.is_recovery {
                    return Err(DomainError::invalid(
                        "contact",
                        "a new contact starts unconfirmed and is not the recovery address",
                    ));
                }
                None
            }
        };
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let (account, what) = match &new {
                NewConfirmable::Token(t) => {
                    let text = token_text.clone().unwrap_or_default();
                    let id = insert_token_in!(&mut *tx, t, &text, now)?;
                    (t.account_id, Confirms::Token(id))
                }
                NewConfirmable::Contact(account, contact) => {
                    let id = insert_contact!(&mut *tx, *account, contact, now)?;
                    (*account, Confirms::Contact(id))
                }
            };
            let (hash, message) = code(what)?;
            let message = message.ephemeral(Timestamp::from_millis(expires_at));
            let (column, id) = what.column();
            execute!(
                &mut *tx,
                &format!(
                "INSERT INTO confirmation_codes \
                 (account_id, {column}, code_hash, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5)"
            ),
                [account.0, id, hash.to_vec(), now, expires_at],
            )?;
            enqueue_in!(&mut *tx, &message, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(what)
        })
    }

    /// Replaces the live code of `what` (a resend, OOB-6: the old code stops working, the
    /// failure count stays) and queues `message` with it, in one transaction. False, with
    /// nothing written, when `what` is not the account's, is no longer waiting for a code (the
    /// token is active, removed or older than `pending_ttl`; the contact is confirmed), or its
    /// code is used up.
    pub(crate) async fn reissue_code(
        &self,
        account: AccountId,
        what: Confirms,
        code_hash: [u8; 32],
        message: NewOutboxMessage,
        pending_ttl: Duration,
    ) -> Result<bool> {
        let now = self.now();
        let expires_at = now.saturating_add(millis(OOB_CODE_TTL));
        let since = now.saturating_sub(millis(pending_ttl));
        let message = message.ephemeral(Timestamp::from_millis(expires_at));
        let (column, id) = what.column();
        let waiting = waiting_clause(what, 7);
        let sql = format!(
            "UPDATE confirmation_codes SET code_hash = $1, created_at = $2, expires_at = $3, \
             used_at = NULL \
             WHERE account_id = $4 AND {column} = $5 AND used_at IS NULL AND failures < $6 \
             AND {waiting}"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let changed = execute!(
                &mut *tx,
                &sql,
                [
                    code_hash.to_vec(),
                    now,
                    expires_at,
                    account.0,
                    id,
                    CONFIRMATION_MAX_FAILURES,
                    since,
                    false,
                ],
            )?;
            if changed != 1 {
                return Ok(false);
            }
            enqueue_in!(&mut *tx, &message, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    /// Checks a confirmation code of the account's `what` and, when it is the live one (not
    /// expired, OOB-4; not used; not replaced, OOB-6; not used up), in ONE transaction: uses
    /// it, activates the token (only while pending and younger than `pending_ttl`) or confirms
    /// the contact, queues `notices` (to the channels the account had before, RB-2) and writes
    /// `audit`. A wrong code counts a failure on the row instead. Of concurrent submissions of
    /// the right code exactly one confirms.
    pub(crate) async fn confirm_code(
        &self,
        account: AccountId,
        what: Confirms,
        code_hash: [u8; 32],
        pending_ttl: Duration,
        notices: &[NewOutboxMessage],
        audit: &NewAuditEvent,
    ) -> Result<ConfirmOutcome> {
        let now = self.now();
        let since = now.saturating_sub(millis(pending_ttl));
        let (column, id) = what.column();
        let waiting = waiting_clause(what, 6);
        let use_code = format!(
            "UPDATE confirmation_codes SET used_at = $1 \
             WHERE account_id = $2 AND {column} = $3 AND code_hash = $4 AND used_at IS NULL \
             AND expires_at > $1 AND failures < $5 AND {waiting}"
        );
        let activate = match what {
            Confirms::Token(_) => {
                "UPDATE tokens SET state = 'active', last_used_at = $1 \
                 WHERE id = $2 AND account_id = $3 AND state = 'pending' AND created_at > $4"
            }
            Confirms::Contact(_) => {
                "UPDATE contacts SET confirmed = $4 WHERE id = $2 AND account_id = $3 \
                 AND confirmed = $1"
            }
        };
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let used = execute!(
                &mut *tx,
                &use_code,
                [now, account.0, id, code_hash.to_vec(), CONFIRMATION_MAX_FAILURES, since, false],
            )?;
            if used == 1 {
                let query = sqlx::query(activate);
                let query = match what {
                    Confirms::Token(_) => query.bind(now).bind(id).bind(account.0).bind(since),
                    Confirms::Contact(_) => query.bind(false).bind(id).bind(account.0).bind(true),
                };
                let activated = query
                    .execute(&mut *tx)
                    .await
                    .map_err(db_err)?
                    .rows_affected();
                if activated != 1 {
                    return Ok(ConfirmOutcome::NotFound);
                }
                for notice in notices {
                    enqueue_in!(&mut *tx, notice, now)?;
                }
                audit_in!(&mut *tx, audit, now)?;
                tx.commit().await.map_err(db_err)?;
                return Ok(ConfirmOutcome::Confirmed);
            }
            // Not accepted: count a failure on the live row, if there is one.
            let counted = execute!(
                &mut *tx,
                &format!(
                "UPDATE confirmation_codes SET failures = failures + 1 \
                 WHERE account_id = $1 AND {column} = $2 AND used_at IS NULL AND failures < $3 \
                 AND {}",
                waiting_clause(what, 4)
            ),
                [account.0, id, CONFIRMATION_MAX_FAILURES, since, false],
            )?;
            if counted == 1 {
                tx.commit().await.map_err(db_err)?;
                return Ok(ConfirmOutcome::WrongCode);
            }
            let used_up = sqlx::query(&format!(
                "SELECT id FROM confirmation_codes WHERE account_id = $1 AND {column} = $2 \
                 AND used_at IS NULL AND failures >= $3"
            ))
            .bind(account.0)
            .bind(id)
            .bind(CONFIRMATION_MAX_FAILURES)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            Ok(if used_up.is_some() {
                ConfirmOutcome::UsedUp
            } else {
                ConfirmOutcome::NotFound
            })
        })
    }

    /// The account's newest SMS or e-mail token waiting for its code: pending, younger than
    /// `pending_ttl`, with a code that is not used up.
    pub(crate) async fn pending_oob_token(
        &self,
        account: AccountId,
        pending_ttl: Duration,
    ) -> Result<Option<Token>> {
        let since = self.now().saturating_sub(millis(pending_ttl));
        let columns = TOKEN_COLUMNS
            .split(", ")
            .map(|c| format!("t.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM tokens t JOIN confirmation_codes c ON c.token_id = t.id \
             WHERE t.account_id = $1 AND t.state = 'pending' AND t.kind IN ('sms', 'email') \
             AND t.created_at > $2 AND c.used_at IS NULL AND c.failures < $3 \
             ORDER BY t.id DESC LIMIT 1"
        );
        with_pool!(self, pool => {
            fetch_optional!(
                pool,
                &sql,
                [account.0, since, CONFIRMATION_MAX_FAILURES],
                token_from_row,
            )
        })
    }

    /// One contact of `account`; `None` for another account's (AC-2).
    pub(crate) async fn contact(
        &self,
        account: AccountId,
        contact: ContactId,
    ) -> Result<Option<Contact>> {
        with_pool!(self, pool => {
            fetch_optional!(
                pool,
                "SELECT id, account_id, kind, value, confirmed, is_recovery, created_at \
                 FROM contacts WHERE id = $1 AND account_id = $2",
                [contact.0, account.0],
                contact_from_row,
            )
        })
    }

    /// Deletes one contact of `account` (its pending code goes with it) and, in the same
    /// transaction, queues `notices` and writes `audit`. `None`, with nothing written, for
    /// another account's or an unknown contact (AC-2).
    pub(crate) async fn remove_contact(
        &self,
        account: AccountId,
        contact: ContactId,
        notices: &[NewOutboxMessage],
        audit: &NewAuditEvent,
    ) -> Result<Option<Contact>> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let removed = sqlx::query(
                "DELETE FROM contacts WHERE id = $1 AND account_id = $2 \
                 RETURNING id, account_id, kind, value, confirmed, is_recovery, created_at",
            )
            .bind(contact.0)
            .bind(account.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?
            .map(|row| contact_from_row(&row))
            .transpose()?;
            let Some(removed) = removed else {
                return Ok(None);
            };
            for notice in notices {
                enqueue_in!(&mut *tx, notice, now)?;
            }
            audit_in!(&mut *tx, audit, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(Some(removed))
        })
    }

    /// Makes `contact`, a confirmed e-mail address of `account`, its only recovery address, and
    /// in the same transaction queues `notices` and writes `audit`. False, with nothing
    /// changed, when it is not a confirmed e-mail address of this account.
    pub(crate) async fn set_recovery_contact(
        &self,
        account: AccountId,
        contact: ContactId,
        notices: &[NewOutboxMessage],
        audit: &NewAuditEvent,
    ) -> Result<bool> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            // The old one first: at most one recovery address per account (a unique index).
            execute!(
                &mut *tx,
                "UPDATE contacts SET is_recovery = $1 \
                 WHERE account_id = $2 AND is_recovery = $3 AND id <> $4",
                [false, account.0, true, contact.0],
            )?;
            let set = execute!(
                &mut *tx,
                "UPDATE contacts SET is_recovery = $1 \
                 WHERE id = $2 AND account_id = $3 AND kind = $4 AND confirmed = $1",
                [true, contact.0, account.0, ContactKind::Email.as_str()],
            )?;
            if set != 1 {
                // Dropping the transaction rolls the first update back.
                return Ok(false);
            }
            for notice in notices {
                enqueue_in!(&mut *tx, notice, now)?;
            }
            audit_in!(&mut *tx, audit, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}

/// The SQL condition that `what` still waits for its code, with two parameters numbered from
/// `first`: the pending token's earliest creation time, then `false`. Both are always bound,
/// and each branch mentions both, so the statement's parameters are the same for either kind.
fn waiting_clause(what: Confirms, first: usize) -> String {
    let (since, no) = (first, first + 1);
    match what {
        Confirms::Token(_) => format!(
            "EXISTS (SELECT 1 FROM tokens WHERE tokens.id = confirmation_codes.token_id \
             AND tokens.state = 'pending' AND tokens.created_at > ${since}) AND ${no} = ${no}"
        ),
        Confirms::Contact(_) => format!(
            "EXISTS (SELECT 1 FROM contacts WHERE contacts.id = confirmation_codes.contact_id \
             AND contacts.confirmed = ${no}) AND ${since} = ${since}"
        ),
    }
}
