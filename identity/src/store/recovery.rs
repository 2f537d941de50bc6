//! Recovery codes (issue 14 item 4): one set of ten per account, only keyed hashes kept; a new
//! set replaces the old in one transaction with its notice and audit event. Spending one is in
//! [`Store::use_recovery_code`] (store/emergency.rs), which issues the restricted session's code.

use super::outbox::enqueue_in;
use super::selfservice::{audit_in, notify_contacts_in};
use super::{db_err, Pool, RowExt, Store};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::error::Result;
use crate::notify::Notice;
use crate::store::{AccountId, SessionId};
use crate::time::Timestamp;

/// An account's recovery codes, as the account page shows them (never the codes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct RecoveryCodesInfo {
    /// Codes in the current set (0: none made yet).
    pub total: i64,
    /// Codes of it not used yet.
    pub left: i64,
    /// When the set was made.
    pub created_at: Option<Timestamp>,
}

impl Store {
    /// Replaces the account's recovery codes with `hashes` (the old set is deleted), keeps the
    /// new set `sealed` for the session that made it to show once, tells the contacts
    /// (`notice`) and audits `event`, in one transaction.
    pub(crate) async fn replace_recovery_codes(
        &self,
        account: AccountId,
        session: SessionId,
        hashes: &[[u8; 32]],
        sealed: &[u8],
        notice: &Notice,
        event: &NewAuditEvent,
    ) -> Result<()> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            execute!(&mut *tx, "DELETE FROM recovery_codes WHERE account_id = $1", [account.0])?;
            execute!(
                &mut *tx,
                "DELETE FROM recovery_code_reveals WHERE session_id = $1",
                [session.0],
            )?;
            execute!(
                &mut *tx,
                "INSERT INTO recovery_code_reveals (session_id, sealed, created_at) \
                 VALUES ($1, $2, $3)",
                [session.0, sealed.to_vec(), now],
            )?;
            for hash in hashes {
                execute!(
                    &mut *tx,
                    "INSERT INTO recovery_codes (account_id, code_hash, created_at) \
                     VALUES ($1, $2, $3)",
                    [account.0, hash.to_vec(), now],
                )?;
            }
            notify_contacts_in!(&mut *tx, account.0, notice, now)?;
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
        });
        Ok(())
    }

    /// The set the session made, sealed, and when, once: the row goes as it is read.
    pub(crate) async fn take_recovery_code_reveal(
        &self,
        session: SessionId,
    ) -> Result<Option<(Vec<u8>, Timestamp)>> {
        with_pool!(self, pool => {
            fetch_optional!(
                pool,
                "DELETE FROM recovery_code_reveals WHERE session_id = $1 RETURNING sealed, created_at",
                [session.0],
                sealed_from_row,
            )
        })
    }

    /// How many recovery codes the account has, and how many of them are left.
    pub(crate) async fn recovery_codes_info(
        &self,
        account: AccountId,
    ) -> Result<RecoveryCodesInfo> {
        with_read_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(*) AS total, \
                 COALESCE(SUM(CASE WHEN used_at IS NULL THEN 1 ELSE 0 END), 0) AS unused, \
                 MAX(created_at) AS created FROM recovery_codes WHERE account_id = $1",
            )
            .bind(account.0)
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
            Ok(RecoveryCodesInfo {
                total: row.i64("total")?,
                left: row.i64("unused")?,
                created_at: row.opt_i64("created")?.map(Timestamp::from_millis),
            })
        })
    }
}

fn sealed_from_row(r: &impl RowExt) -> Result<(Vec<u8>, Timestamp)> {
    Ok((
        r.opt_bytes("sealed")?.unwrap_or_default(),
        Timestamp::from_millis(r.i64("created_at")?),
    ))
}
