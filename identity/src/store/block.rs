//! Blocked tokens (issue 13 item 5, "Block my lost phone now"): blocking every active token of
//! one device with everything that must end with it, in one transaction, and unblocking one.

use super::outbox::enqueue_in;
use super::selfservice::{audit_in, notify_contacts_in};
use super::{db_err, token_from_row, Pool, RowExt, Store, TOKEN_COLUMNS};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::error::Result;
use crate::notify::Notice;
use crate::store::{AccountId, Token, TokenId};

/// What a block did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    /// The tokens now blocked.
    pub tokens: Vec<Token>,
    /// Sessions ended (every session of the account).
    pub sessions_ended: u64,
}

impl Store {
    /// Blocks every active token of `account` on `device` in ONE transaction: they become
    /// `blocked` (they keep their seeds), every session, pending sign-in attempt and open
    /// wizard of the account ends, and `notice(blocked)` goes to every confirmed contact with
    /// `events(blocked)` audited. `None`, with nothing written, when the account is not active
    /// or has no active token on that device.
    pub(crate) async fn block_device(
        &self,
        account: AccountId,
        device: &str,
        notice: impl FnOnce(&Blocked) -> Notice,
        events: impl FnOnce(&Blocked) -> Vec<NewAuditEvent>,
    ) -> Result<Option<Blocked>> {
        let now = self.now();
        let block = format!(
            "UPDATE tokens SET state = 'blocked', blocked_at = $1 \
             WHERE account_id = $2 AND device = $3 AND state = 'active' \
             RETURNING {TOKEN_COLUMNS}"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            if !lock_active_account!(&mut *tx, account.0)? {
                return Ok(None);
            }
            let mut tokens: Vec<Token> =
                fetch_all!(&mut *tx, &block, [now, account.0, device], token_from_row)?;
            if tokens.is_empty() {
                return Ok(None);
            }
            tokens.sort_by_key(|t| t.id);
            let sessions_ended = execute!(
                &mut *tx,
                "DELETE FROM sessions WHERE account_id = $1",
                [account.0],
            )?;
            for sql in [
                "DELETE FROM login_attempts WHERE account_id = $1",
                "DELETE FROM emergency_wizards WHERE account_id = $1",
            ] {
                execute!(&mut *tx, sql, [account.0])?;
            }
            let blocked = Blocked {
                tokens,
                sessions_ended,
            };
            let notice = notice(&blocked);
            notify_contacts_in!(&mut *tx, account.0, &notice, now)?;
            for event in &events(&blocked) {
                audit_in!(&mut *tx, event, now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(Some(blocked))
        })
    }

    /// Unblocks a blocked token of `account` (it is active again), queueing `notices` and
    /// writing `event` in the same transaction. `None` when the account has no such blocked
    /// token.
    pub(crate) async fn unblock_token(
        &self,
        account: AccountId,
        token: TokenId,
        notices: &[crate::NewOutboxMessage],
        event: &NewAuditEvent,
    ) -> Result<Option<Token>> {
        let now = self.now();
        let sql = format!(
            "UPDATE tokens SET state = 'active', blocked_at = NULL \
             WHERE id = $1 AND account_id = $2 AND state = 'blocked' \
             RETURNING {TOKEN_COLUMNS}"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let row = sqlx::query(&sql)
                .bind(token.0)
                .bind(account.0)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
            let Some(row) = row else {
                return Ok(None);
            };
            let token = token_from_row(&row)?;
            for notice in notices {
                enqueue_in!(&mut *tx, notice, now)?;
            }
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(Some(token))
        })
    }

    /// The account's blocked tokens, oldest first.
    pub(crate) async fn blocked_tokens(&self, account: AccountId) -> Result<Vec<Token>> {
        self.tokens_in_state(account, crate::store::TokenState::Blocked)
            .await
    }
}
