//! Enrolment of a new TOTP token: a pending token (its seed sealed) that becomes active only
//! after a valid first code (OTP-12), and only while it is fresh.

use super::outbox::enqueue_in;
use super::{db_err, millis, token_from_row, Pool, RowExt, Store, TOKEN_COLUMNS};
use crate::error::Result;
use crate::notify::NewOutboxMessage;
use crate::store::{AccountId, Token, TokenId, TokenKind, TokenState};
use std::time::Duration;

/// What the token list shows ([`Store::token_overview`]).
#[derive(Debug, Default)]
pub struct TokenOverview {
    /// The active tokens, oldest first.
    pub active: Vec<Token>,
    /// The TOTP token being set up and its sealed seed.
    pub pending_totp: Option<(Token, Vec<u8>)>,
    /// The SMS or e-mail token waiting for its code.
    pub pending_oob: Option<Token>,
}

impl Store {
    /// Whether the account ever had a token that was active (active now, or removed since).
    /// An account that never had one may enrol its first token right after the password step.
    pub async fn has_had_tokens(&self, account: AccountId) -> Result<bool> {
        let count = with_read_pool!(self, pool => {
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
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 AND state = 'pending' \
             AND kind = 'totp' AND created_at > $2 ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        with_pool!(self, pool => {
            sqlx::query(&sql)
                .bind(account.0)
                .bind(since)
                .fetch_optional(pool)
                .await
                .map_err(db_err)?
                .map(|row| token_from_row(&row))
                .transpose()
        })
    }

    /// Everything the token list shows, in one query (it is read on every visit): the active
    /// tokens, oldest first; the TOTP token being set up (pending, younger than `pending_ttl`,
    /// the newest if several) with its sealed seed, as [`Self::pending_totp`] and
    /// [`Self::token_secret`] give it; and the SMS or e-mail token waiting for its code, as
    /// [`Self::pending_oob_token`] gives it.
    pub async fn token_overview(
        &self,
        account: AccountId,
        pending_ttl: Duration,
    ) -> Result<TokenOverview> {
        let since = self.now().saturating_sub(millis(pending_ttl));
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, \
             CASE WHEN state = 'pending' AND kind = 'totp' THEN secret_enc END AS pending_seed, \
             CASE WHEN state = 'pending' AND kind IN ('sms', 'email') AND EXISTS ( \
               SELECT 1 FROM confirmation_codes c WHERE c.token_id = tokens.id \
               AND c.used_at IS NULL AND c.failures < $3) THEN TRUE ELSE FALSE END AS code_open \
             FROM tokens WHERE account_id = $1 \
             AND (state = 'active' OR (state = 'pending' AND created_at > $2)) ORDER BY id"
        );
        let rows = with_read_pool!(self, pool => {
            sqlx::query(&sql)
                .bind(account.0)
                .bind(since)
                .bind(super::CONFIRMATION_MAX_FAILURES)
                .fetch_all(pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(|row| Ok((token_from_row(row)?, row.opt_bytes("pending_seed")?, row.flag("code_open")?)))
                .collect::<Result<Vec<_>>>()?
        });
        let mut overview = TokenOverview::default();
        for (token, seed, code_open) in rows {
            match (token.state, token.kind) {
                (TokenState::Active, _) => overview.active.push(token),
                (TokenState::Pending, TokenKind::Totp) => {
                    let newer = overview
                        .pending_totp
                        .as_ref()
                        .is_none_or(|(t, _)| token.created_at >= t.created_at);
                    if let (true, Some(seed)) = (newer, seed) {
                        overview.pending_totp = Some((token, seed));
                    }
                }
                (TokenState::Pending, TokenKind::Sms | TokenKind::Email) if code_open => {
                    // Rows come by id: the last one is the newest.
                    overview.pending_oob = Some(token);
                }
                _ => {}
            }
        }
        Ok(overview)
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
