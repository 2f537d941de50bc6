//! Changing an account's password (PW-9): the new hash and the notice to the account's contacts
//! in one transaction.

use super::outbox::enqueue_in;
use super::{db_err, Pool, Store};
use crate::emergency::EmergencyCodeId;
use crate::error::Result;
use crate::notify::NewOutboxMessage;
use crate::password::PasswordHash;
use crate::store::AccountId;

impl Store {
    /// Replaces the account's password hash and queues `notices`, in one transaction. False
    /// when the account does not exist. Whatever the old password opened without a second
    /// factor ends with it, in the same transaction: pending sign-in attempts, open Emergency
    /// Access wizards, live self-service emergency codes with the sessions they opened (an
    /// operator's code stays: the help desk checked the person, not the password), and every
    /// remembered browser (issue 13 item 5: trust is earned again with the new password).
    ///
    /// From a stolen phone's restricted session (`recovery`: its code, issue 14 item 3) that
    /// code and its sessions stay, and the code records the change and the hash it replaced
    /// (the first one, if changed twice), which "this was not me" restores. False, and nothing
    /// changed, when that code is no longer live.
    pub(crate) async fn set_password_hash(
        &self,
        account: AccountId,
        hash: &PasswordHash,
        recovery: Option<EmergencyCodeId>,
        notices: &[NewOutboxMessage],
    ) -> Result<bool> {
        let now = self.now();
        let changed = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            if let Some(code) = recovery {
                let kept = execute!(
                    &mut *tx,
                    "UPDATE emergency_codes SET password_changed_at = $3, password_before = \
                     COALESCE(password_before, \
                     (SELECT password_hash FROM accounts WHERE id = $2)) \
                     WHERE id = $1 AND account_id = $2 AND revoked_at IS NULL",
                    [code.0, account.0, now],
                )?;
                if kept != 1 {
                    return Ok(false);
                }
            }
            let changed = execute!(
                &mut *tx,
                "UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3",
                [hash.as_str(), now, account.0],
            )?;
            if changed == 1 {
                // Ids start at 1, so 0 keeps nothing.
                let keep = recovery.map_or(0, |c| c.0);
                for sql in [
                    "DELETE FROM login_attempts WHERE account_id = $1",
                    "DELETE FROM emergency_wizards WHERE account_id = $1",
                    "DELETE FROM remembered_browsers WHERE account_id = $1",
                ] {
                    execute!(&mut *tx, sql, [account.0])?;
                }
                execute!(
                    &mut *tx,
                    "DELETE FROM sessions WHERE id IN (SELECT s.session_id \
                     FROM emergency_sessions s JOIN emergency_codes c ON c.id = s.code_id \
                     WHERE c.account_id = $1 AND c.revoked_at IS NULL \
                     AND c.issuer = 'self_service' AND c.id <> $2)",
                    [account.0, keep],
                )?;
                execute!(
                    &mut *tx,
                    "UPDATE emergency_codes SET revoked_at = $2, \
                     revoked_why = 'password_changed' \
                     WHERE account_id = $1 AND revoked_at IS NULL AND issuer = 'self_service' \
                     AND id <> $3",
                    [account.0, now, keep],
                )?;
                for notice in notices {
                    enqueue_in!(&mut *tx, notice, now)?;
                }
            }
            tx.commit().await.map_err(db_err)?;
            changed
        });
        Ok(changed == 1)
    }
}
