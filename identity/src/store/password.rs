//! Changing an account's password (PW-9): the new hash and the notice to the account's contacts
//! in one transaction.

use super::outbox::enqueue_in;
use super::{db_err, Pool, Store};
use crate::error::Result;
use crate::notify::NewOutboxMessage;
use crate::password::PasswordHash;
use crate::store::AccountId;

impl Store {
    /// Replaces the account's password hash and queues `notices`, in one transaction. False
    /// when the account does not exist.
    pub async fn set_password_hash(
        &self,
        account: AccountId,
        hash: &PasswordHash,
        notices: &[NewOutboxMessage],
    ) -> Result<bool> {
        let now = self.now();
        let changed = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let changed = sqlx::query(
                "UPDATE accounts SET password_hash = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(hash.as_str())
            .bind(now)
            .bind(account.0)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if changed == 1 {
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
