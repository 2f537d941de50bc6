//! Emergency access codes, the restricted sessions they open, and the self-service wizard's
//! server-side state (EC-3..EC-11, RB-3). Every rule that two requests could race on is one
//! conditional statement: counting a use (EC-4), one live code per account (EC-9, a unique
//! index), moving the wizard on, and showing the issued code once.

use super::outbox::enqueue_in;
use super::selfservice::notify_contacts_in;
use super::{db_err, Pool, RowExt, Store};
use crate::emergency::{
    CodeIssuer, EmergencyCodeId, EmergencyCodeInfo, NewEmergencyCode, TokenChanges, WizardRow,
    WizardStep,
};
use crate::error::{DomainError, Result};
use crate::notify::{NewOutboxMessage, Notice};
use crate::session::SessionToken;
use crate::store::TokenKind;
use crate::store::{AccountId, SessionId};
use crate::time::Timestamp;

const CODE_COLUMNS: &str = "id, account_id, issuer, issued_by, reason, reason_text, \
     verification, created_at, valid_from, expires_at, uses, max_uses, revoked_at, revoked_why, \
     unknown_browser, password_changed_at";

const WIZARD_COLUMNS: &str = "id, account_id, step, proof_expires_at, reason, code_id, \
     step = 'done' AS code_waiting, created_at, expires_at";

fn code_from_row(r: &impl RowExt) -> Result<EmergencyCodeInfo> {
    Ok(EmergencyCodeInfo {
        id: EmergencyCodeId(r.i64("id")?),
        account_id: AccountId(r.i64("account_id")?),
        issuer: CodeIssuer::parse(&r.text("issuer")?)?,
        issued_by: r.opt_i64("issued_by")?.map(AccountId),
        reason: r.text("reason")?,
        reason_text: r.opt_text("reason_text")?,
        verification: r.opt_text("verification")?,
        created_at: Timestamp::from_millis(r.i64("created_at")?),
        valid_from: Timestamp::from_millis(r.i64("valid_from")?),
        expires_at: Timestamp::from_millis(r.i64("expires_at")?),
        uses: u32::try_from(r.i64("uses")?).unwrap_or(u32::MAX),
        max_uses: u32::try_from(r.i64("max_uses")?).unwrap_or(0),
        revoked_at: r.opt_i64("revoked_at")?.map(Timestamp::from_millis),
        revoked_why: r.opt_text("revoked_why")?,
        unknown_browser: r.flag("unknown_browser")?,
        password_changed_at: r
            .opt_i64("password_changed_at")?
            .map(Timestamp::from_millis),
    })
}

fn wizard_from_row(r: &impl RowExt) -> Result<WizardRow> {
    Ok(WizardRow {
        id: r.i64("id")?,
        account_id: AccountId(r.i64("account_id")?),
        step: WizardStep::parse(&r.text("step")?)?,
        proof_expires_at: r.opt_i64("proof_expires_at")?.map(Timestamp::from_millis),
        reason: r.opt_text("reason")?,
        code_id: r.opt_i64("code_id")?.map(EmergencyCodeId),
        code_waiting: r.flag("code_waiting")?,
        created_at: Timestamp::from_millis(r.i64("created_at")?),
        expires_at: Timestamp::from_millis(r.i64("expires_at")?),
    })
}

/// Revokes the account's live code (if any) inside a transaction and ends the sessions it
/// opened; evaluates to `Result<Option<i64>>`, the revoked code's id.
macro_rules! revoke_live_in {
    ($conn:expr, $where:literal, $key:expr, $why:expr, $now:expr) => {{
        let revoked = sqlx::query(concat!(
            "UPDATE emergency_codes SET revoked_at = $1, revoked_why = $2 WHERE ",
            $where,
            " AND revoked_at IS NULL RETURNING id"
        ))
        .bind($now)
        .bind($why)
        .bind($key)
        .fetch_optional(&mut *$conn)
        .await
        .map_err(db_err)?;
        match revoked {
            Some(row) => {
                let id = row.i64("id")?;
                execute!(
                    &mut *$conn,
                    "DELETE FROM sessions WHERE id IN \
                     (SELECT session_id FROM emergency_sessions WHERE code_id = $1)",
                    [id],
                )?;
                Ok::<_, DomainError>(Some(id))
            }
            None => Ok(None),
        }
    }};
}

/// Inserts a new code (no use yet) inside a transaction; evaluates to `Result<Row>` with its id.
macro_rules! insert_code_in {
    ($conn:expr, $new:expr, $now:expr) => {{
        let new: &NewEmergencyCode = $new;
        sqlx::query(
            "INSERT INTO emergency_codes (account_id, code_hash, issuer, issued_by, reason, \
             reason_text, verification, created_at, valid_from, expires_at, uses, max_uses, \
             cancel_hash, recovery_before, unknown_browser) VALUES ($1, $2, $3, $4, $5, $6, $7, \
             $8, $9, $10, 0, $11, $12, \
             (SELECT id FROM contacts WHERE account_id = $1 AND is_recovery), $13) \
             RETURNING id",
        )
        .bind(new.account_id.0)
        .bind(new.code_hash.to_vec())
        .bind(new.issuer.as_str())
        .bind(new.issued_by.map(|a| a.0))
        .bind(&new.reason)
        .bind(&new.reason_text)
        .bind(&new.verification)
        .bind($now)
        .bind(new.valid_from.as_millis())
        .bind(new.expires_at.as_millis())
        .bind(i64::from(new.max_uses))
        .bind(new.cancel_hash.map(|h| h.to_vec()))
        .bind(new.unknown_browser)
        .fetch_one(&mut *$conn)
        .await
        .map_err(db_err)
    }};
}

impl Store {
    /// Issues an emergency code: revokes the account's live code (and ends the sessions it
    /// opened), stores the new one's hash and metadata, and queues `notices`, all in one
    /// transaction (EC-9, EC-13). Returns the new code's id.
    pub(crate) async fn issue_emergency_code(
        &self,
        new: &NewEmergencyCode,
        notices: &[NewOutboxMessage],
    ) -> Result<EmergencyCodeId> {
        let now = self.now();
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            revoke_live_in!(tx, "account_id = $3", new.account_id.0, "replaced", now)?;
            let row = insert_code_in!(tx, new, now)?;
            for notice in notices {
                enqueue_in!(&mut *tx, notice, now)?;
            }
            let id = row.i64("id")?;
            tx.commit().await.map_err(db_err)?;
            id
        });
        crate::telemetry::emergency_code_issued(new.issuer.as_str());
        Ok(EmergencyCodeId(id))
    }

    /// Spends one of the account's recovery codes (issue 14 item 4): ONE conditional UPDATE marks
    /// it used, so of two sign-ins racing with the same code one wins. In the same transaction
    /// the account's live emergency code is revoked (with the sessions it opened), `new` is
    /// issued with its one use already counted (it carries the restricted session and the
    /// "this was not me" link), and every confirmed contact is told `notice(codes left)`.
    /// `None`, and nothing written, when no unused code of the account matches.
    pub(crate) async fn use_recovery_code(
        &self,
        account: AccountId,
        code_hash: [u8; 32],
        new: &NewEmergencyCode,
        notice: impl FnOnce(i64) -> Notice,
    ) -> Result<Option<EmergencyCodeInfo>> {
        let now = self.now();
        let used_sql =
            format!("UPDATE emergency_codes SET uses = 1 WHERE id = $1 RETURNING {CODE_COLUMNS}");
        let info = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let spent = execute!(
                &mut *tx,
                "UPDATE recovery_codes SET used_at = $3 \
                 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
                [account.0, code_hash.to_vec(), now],
            )?;
            if spent != 1 {
                return Ok(None);
            }
            revoke_live_in!(tx, "account_id = $3", account.0, "replaced", now)?;
            let id = insert_code_in!(tx, new, now)?.i64("id")?;
            let row = sqlx::query(&used_sql)
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            let info = code_from_row(&row)?;
            let left = sqlx::query(
                "SELECT COUNT(*) AS n FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
            )
            .bind(account.0)
            .fetch_one(&mut *tx)
            .await
            .map_err(db_err)?
            .i64("n")?;
            notify_contacts_in!(&mut *tx, account.0, &notice(left), now)?;
            tx.commit().await.map_err(db_err)?;
            info
        });
        Ok(Some(info))
    }

    /// The account's live code whose hash is `code_hash` (not used up, valid now, unexpired,
    /// not revoked), as it stands: the sign-in then counts its use with the session it opens
    /// ([`Store::open_emergency_code_session`], conditional on the use count read here, EC-4).
    /// Only the account's own codes are looked at (EC-10). `None` when no live code matched
    /// (unknown, another account's, used up, expired, not yet valid, revoked). A read, on
    /// SQLite's read connections: it writes nothing.
    pub(crate) async fn live_emergency_code(
        &self,
        account: AccountId,
        code_hash: [u8; 32],
    ) -> Result<Option<EmergencyCodeInfo>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM emergency_codes \
             WHERE account_id = $1 AND code_hash = $2 AND uses < max_uses \
             AND expires_at > $3 AND valid_from <= $3 AND revoked_at IS NULL"
        );
        self.code_by_hash(&sql, account, code_hash).await
    }

    /// The account's live code whose hash is `code_hash` when it is not valid yet (its waiting
    /// period runs): so that signing in with it can say from when it works. `None` for any
    /// other code (unknown, another account's, used up, expired, revoked, or already valid).
    pub(crate) async fn waiting_emergency_code(
        &self,
        account: AccountId,
        code_hash: [u8; 32],
    ) -> Result<Option<EmergencyCodeInfo>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM emergency_codes \
             WHERE account_id = $1 AND code_hash = $2 AND uses < max_uses \
             AND expires_at > $3 AND valid_from > $3 AND revoked_at IS NULL"
        );
        self.code_by_hash(&sql, account, code_hash).await
    }

    /// The code `sql` (a read: on SQLite's read connections) returns with `$1` the account, `$2`
    /// the code's hash and `$3` now.
    async fn code_by_hash(
        &self,
        sql: &str,
        account: AccountId,
        code_hash: [u8; 32],
    ) -> Result<Option<EmergencyCodeInfo>> {
        let now = self.now();
        with_read_pool!(self, pool => {
            fetch_optional!(pool, sql, [account.0, code_hash.to_vec(), now], code_from_row)
        })
    }

    /// An operator approves the account's waiting self-service code: ONE conditional UPDATE
    /// makes it valid from now (only a live, unused-up, self-service code still in its waiting
    /// period), and `notices` and `events` are written with it, in one transaction. Returns the
    /// approved code's metadata; `None` (nothing written) when no code waits.
    pub(crate) async fn approve_emergency_code(
        &self,
        account: AccountId,
        notices: &[NewOutboxMessage],
        events: &[crate::audit::NewAuditEvent],
    ) -> Result<Option<EmergencyCodeInfo>> {
        let now = self.now();
        let rows = events
            .iter()
            .map(super::AuditRow::new)
            .collect::<Result<Vec<_>>>()?;
        let sql = format!(
            "UPDATE emergency_codes SET valid_from = $1 \
             WHERE account_id = $2 AND issuer = 'self_service' AND revoked_at IS NULL \
             AND uses < max_uses AND expires_at > $1 AND valid_from > $1 \
             RETURNING {CODE_COLUMNS}"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let approved = sqlx::query(&sql)
                .bind(now)
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?
                .map(|row| code_from_row(&row))
                .transpose()?;
            if approved.is_none() {
                return Ok(None);
            }
            for notice in notices {
                enqueue_in!(&mut *tx, notice, now)?;
            }
            for row in &rows {
                insert_audit!(&mut *tx, row, now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(approved)
        })
    }

    /// One code's metadata (never the code or its hash: EC-8).
    pub(crate) async fn emergency_code(
        &self,
        id: EmergencyCodeId,
    ) -> Result<Option<EmergencyCodeInfo>> {
        let sql = format!("SELECT {CODE_COLUMNS} FROM emergency_codes WHERE id = $1");
        with_pool!(self, pool => {
            fetch_optional!(pool, &sql, [id.0], code_from_row)
        })
    }

    /// Every code the account was ever issued, newest first: metadata only (EC-8).
    pub(crate) async fn emergency_codes(
        &self,
        account: AccountId,
    ) -> Result<Vec<EmergencyCodeInfo>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM emergency_codes WHERE account_id = $1 \
             ORDER BY created_at DESC, id DESC"
        );
        with_pool!(self, pool => {
            fetch_all!(pool, &sql, [account.0], code_from_row)
        })
    }

    /// Revokes the account's live code, if any, and ends the sessions it opened; `notices` are
    /// queued with it. Returns the revoked code's id.
    pub(crate) async fn revoke_emergency_code(
        &self,
        account: AccountId,
        why: &str,
        notices: &[NewOutboxMessage],
    ) -> Result<Option<EmergencyCodeId>> {
        let now = self.now();
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let id = revoke_live_in!(tx, "account_id = $3", account.0, why, now)?;
            if id.is_some() {
                for notice in notices {
                    enqueue_in!(&mut *tx, notice, now)?;
                }
            }
            tx.commit().await.map_err(db_err)?;
            id
        });
        Ok(id.map(EmergencyCodeId))
    }

    /// The code behind a restricted session, if the session has one.
    pub(crate) async fn emergency_session_code(
        &self,
        session: SessionId,
    ) -> Result<Option<EmergencyCodeInfo>> {
        let sql = format!(
            "SELECT {CODE_COLUMNS} FROM emergency_codes \
             WHERE id = (SELECT code_id FROM emergency_sessions WHERE session_id = $1)"
        );
        with_read_pool!(self, pool => {
            fetch_optional!(pool, &sql, [session.0], code_from_row)
        })
    }

    /// Starts a wizard for `account` that lives until `expires_at`; returns its cookie's token.
    pub(crate) async fn create_wizard(
        &self,
        account: AccountId,
        expires_at: Timestamp,
    ) -> Result<SessionToken> {
        let token = SessionToken::generate();
        let now = self.now();
        with_pool!(self, pool => {
            execute!(
                pool,
                "INSERT INTO emergency_wizards (token_hash, account_id, step, created_at, \
                 expires_at) VALUES ($1, $2, 'prove', $3, $4)",
                [token.hash().to_vec(), account.0, now, expires_at.as_millis()],
            )?;
        });
        Ok(token)
    }

    /// The live (unexpired) wizard behind `token`.
    pub(crate) async fn wizard(&self, token: &SessionToken) -> Result<Option<WizardRow>> {
        let sql = format!(
            "SELECT {WIZARD_COLUMNS} FROM emergency_wizards WHERE token_hash = $1 AND expires_at > $2"
        );
        let now = self.now();
        with_pool!(self, pool => {
            fetch_optional!(pool, &sql, [token.hash().to_vec(), now], wizard_from_row)
        })
    }

    /// Stores a new step-2 code (replacing any earlier one) valid until `expires_at` and queues
    /// `messages` (the code's e-mails, ephemeral) in one transaction. False, with nothing
    /// written, unless the wizard is live and at step 2.
    pub(crate) async fn set_wizard_proof(
        &self,
        token: &SessionToken,
        proof_hash: [u8; 32],
        expires_at: Timestamp,
        messages: &[NewOutboxMessage],
    ) -> Result<bool> {
        let now = self.now();
        let changed = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let changed = execute!(
                &mut *tx,
                "UPDATE emergency_wizards SET proof_hash = $1, proof_expires_at = $2 \
                 WHERE token_hash = $3 AND step = 'prove' AND expires_at > $4",
                [proof_hash.to_vec(), expires_at.as_millis(), token.hash().to_vec(), now],
            )?;
            if changed == 1 {
                for message in messages {
                    enqueue_in!(&mut *tx, &message.clone().ephemeral(expires_at), now)?;
                }
            }
            tx.commit().await.map_err(db_err)?;
            changed
        });
        Ok(changed == 1)
    }

    /// Step 2 passed: one conditional UPDATE that checks the code's hash and expiry and moves
    /// the wizard to step 3, so a code works once. False when anything does not match.
    pub(crate) async fn pass_wizard_proof(
        &self,
        token: &SessionToken,
        proof_hash: [u8; 32],
    ) -> Result<bool> {
        let now = self.now();
        let changed = with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE emergency_wizards SET step = 'reason', proof_hash = NULL, \
                 proof_expires_at = NULL \
                 WHERE token_hash = $1 AND step = 'prove' AND proof_hash = $2 \
                 AND proof_expires_at > $3 AND expires_at > $3",
                [token.hash().to_vec(), proof_hash.to_vec(), now],
            )?
        });
        Ok(changed == 1)
    }

    /// Step 3 done: issues the code (as [`Self::issue_emergency_code`], revoking the old one and
    /// queuing `notices`) and keeps it `sealed` in the wizard until it is shown, all in one
    /// transaction, only if the wizard is live and at step 3. `None` otherwise.
    pub(crate) async fn finish_wizard(
        &self,
        token: &SessionToken,
        reason: &str,
        new: &NewEmergencyCode,
        sealed: &[u8],
        notices: &[NewOutboxMessage],
    ) -> Result<Option<EmergencyCodeId>> {
        let now = self.now();
        let id = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let claimed = execute!(
                &mut *tx,
                "UPDATE emergency_wizards SET step = 'done', reason = $1 \
                 WHERE token_hash = $2 AND step = 'reason' AND expires_at > $3 AND account_id = $4",
                [reason, token.hash().to_vec(), now, new.account_id.0],
            )?;
            if claimed != 1 {
                return Ok(None);
            }
            revoke_live_in!(tx, "account_id = $3", new.account_id.0, "replaced", now)?;
            let row = insert_code_in!(tx, new, now)?;
            let id = row.i64("id")?;
            execute!(
                &mut *tx,
                "UPDATE emergency_wizards SET code_id = $1, code_sealed = $2 WHERE token_hash = $3",
                [id, sealed.to_vec(), token.hash().to_vec()],
            )?;
            for notice in notices {
                enqueue_in!(&mut *tx, notice, now)?;
            }
            tx.commit().await.map_err(db_err)?;
            id
        });
        Ok(Some(EmergencyCodeId(id)))
    }

    /// Takes the sealed code out of a finished wizard: the first call gets it, every later one
    /// `None` (the code is shown once, EC-7).
    pub(crate) async fn take_wizard_code(&self, token: &SessionToken) -> Result<Option<Vec<u8>>> {
        let now = self.now();
        with_pool!(self, pool => {
            // Claimed by one conditional UPDATE (of two racing page loads, one gets it), then
            // wiped from the row.
            let row = sqlx::query(
                "UPDATE emergency_wizards SET step = 'shown' \
                 WHERE token_hash = $1 AND step = 'done' AND expires_at > $2 \
                 RETURNING id, code_sealed",
            )
            .bind(token.hash().to_vec())
            .bind(now)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
            let Some(row) = row else {
                return Ok(None);
            };
            execute!(
                pool,
                "UPDATE emergency_wizards SET code_sealed = NULL WHERE id = $1",
                [row.i64("id")?],
            )?;
            row.opt_bytes("code_sealed")
        })
    }

    /// Deletes wizards past their expiry (housekeeping); returns how many.
    pub(crate) async fn purge_expired_wizards(&self) -> Result<u64> {
        let now = self.now();
        with_pool!(self, pool => {
            Ok(execute!(pool, "DELETE FROM emergency_wizards WHERE expires_at <= $1", [now])?)
        })
    }

    /// The account's tokens changed since `since`, by kind (the recovery checklist): blocked or
    /// removed at or after it, and active ones created after it.
    pub(crate) async fn token_changes_since(
        &self,
        account: AccountId,
        since: Timestamp,
    ) -> Result<TokenChanges> {
        let mut changes = TokenChanges::default();
        with_pool!(self, pool => {
            for (sql, removed) in [
                (
                    "SELECT kind, COUNT(*) AS n FROM tokens WHERE account_id = $1 AND \
                     ((state = 'removed' AND removed_at >= $2) \
                     OR (state = 'blocked' AND blocked_at >= $2)) GROUP BY kind",
                    true,
                ),
                (
                    "SELECT kind, COUNT(*) AS n FROM tokens WHERE account_id = $1 \
                     AND state = 'active' AND created_at > $2 GROUP BY kind",
                    false,
                ),
            ] {
                let rows = sqlx::query(sql)
                    .bind(account.0)
                    .bind(since.as_millis())
                    .fetch_all(pool)
                    .await
                    .map_err(db_err)?;
                for row in &rows {
                    let kind = TokenKind::parse(&row.text("kind")?)?;
                    let counts = if removed { &mut changes.removed } else { &mut changes.added };
                    counts.add(kind, row.i64("n")?);
                }
            }
        });
        Ok(changes)
    }
}
