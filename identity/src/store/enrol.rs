//! Enrolment of a new TOTP token: a pending token (its seed sealed) that becomes active only
//! after a valid first code (OTP-12), and only while it is fresh.

use super::outbox::enqueue_in;
use super::{db_err, millis, Pool, RowExt, Store};
use crate::error::Result;
use crate::notify::NewOutboxMessage;
use crate::store::{AccountId, Token, TokenId};
use std::time::Duration;

impl Store {
    /// Whether the account ever had a token that was active (active now, or removed since).
    /// An account that never had one may enrol its first token right after the password step.
    pub async fn has_had_tokens(&self, account: AccountId) -> Result<bool> {
        let count = with_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM tokens \
                 WHERE account_id = $1 AND state IN ('active', 'removed')",
            )
            .bind(account.0)
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
            row.i64("n")?
        });
        Ok(count > 0)
    }

    /// The account's newest pending TOTP token created less than `ttl` ago, if any.
    pub async fn pending_totp(&self, account: AccountId, ttl: Duration) -> Result<Option<Token>> {
        let since = self.now().saturating_sub(millis(ttl));
        let newest = self
            .tokens(account)
            .await?
            .into_iter()
            .filter(|t| {
                t.kind == crate::TokenKind::Totp
                    && t.state == crate::TokenState::Pending
                    && t.created_at.as_millis() > since
            })
            .max_by_key(|t| t.created_at.as_millis());
        Ok(newest)
    }

    /// Activates a pending TOTP token with the time step of its first valid code: one
    /// conditional UPDATE, true iff the token was the account's, pending, a TOTP token, and
    /// created less than `ttl` ago. An unfinished enrolment is never usable after that. The
    /// `notices` (token added, to the account's contacts) are queued in the same transaction.
    pub async fn activate_totp(
        &self,
        account: AccountId,
        token: TokenId,
        step: i64,
        ttl: Duration,
        notices: &[NewOutboxMessage],
    ) -> Result<bool> {
        let now = self.now();
        let since = now.saturating_sub(millis(ttl));
        let changed = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let changed = sqlx::query(
                "UPDATE tokens SET state = 'active', last_totp_step = $1, last_used_at = $2 \
                 WHERE id = $3 AND account_id = $4 AND state = 'pending' AND kind = 'totp' \
                 AND created_at > $5",
            )
            .bind(step)
            .bind(now)
            .bind(token.0)
            .bind(account.0)
            .bind(since)
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
