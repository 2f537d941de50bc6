//! Sign-in codes sent by SMS or e-mail (OOB-3..OOB-7): one live code per sign-in attempt, stored
//! as its keyed hash only, issued together with the message that carries it, and accepted once.

use super::outbox::enqueue_in;
use super::{db_err, millis, Pool, RowExt, Store};
use crate::error::{DomainError, Result};
use crate::notify::NewOutboxMessage;
use crate::oob::OOB_CODE_TTL;
use crate::session::SessionToken;
use crate::store::TokenId;
use crate::time::Timestamp;

impl Store {
    /// Issues a sign-in code for `token` in the sign-in attempt behind `attempt`: stores
    /// `code_hash` (from [`crate::OobCode::hash`]), valid [`OOB_CODE_TTL`] from now, and queues
    /// `message`, the SMS or e-mail that carries the code, in ONE transaction: a crash can
    /// neither send a code that is not stored nor store one whose message is lost.
    ///
    /// An attempt has one live code: issuing again (a resend, or another token) replaces the
    /// previous code, which stops working at once (OOB-6). Failure counts are not here (they
    /// live in the rate-limit counters) and a resend does not touch them.
    ///
    /// Refused, with nothing written: [`DomainError::NotFound`] when the attempt is unknown,
    /// finished or expired, or when `token` is not an active SMS or e-mail token of the
    /// attempt's account (another account's, pending, removed, TOTP: AC-2, OOB-1);
    /// [`DomainError::InvalidInput`] when `message` does not go to the token's own number or
    /// address by the token's channel. The message is stored as ephemeral: delivered only while
    /// the code is valid, its body erased afterwards.
    pub(crate) async fn issue_oob_code(
        &self,
        attempt: &SessionToken,
        token: TokenId,
        code_hash: [u8; 32],
        message: NewOutboxMessage,
    ) -> Result<()> {
        let now = self.now();
        let expires_at = now.saturating_add(millis(OOB_CODE_TTL));
        let message = message.ephemeral(Timestamp::from_millis(expires_at));
        let attempt_hash = attempt.hash().to_vec();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            // Every condition in the write itself, so that it is the first statement of the
            // transaction (SQLite takes its write lock at once) and nothing can change between a
            // check and the write. The WHERE clause also keeps SQLite's parser from reading
            // "ON CONFLICT" as a join condition.
            let issued = sqlx::query(
                "INSERT INTO oob_challenges \
                 (attempt_id, token_id, code_hash, created_at, expires_at) \
                 SELECT a.id, t.id, $1, $2, $3 \
                 FROM login_attempts a JOIN tokens t ON t.account_id = a.account_id \
                 WHERE a.token_hash = $4 AND a.expires_at > $2 \
                 AND t.id = $5 AND t.state = 'active' AND t.kind IN ('sms', 'email') \
                 AND t.kind = $6 AND t.target = $7 \
                 ON CONFLICT (attempt_id) DO UPDATE SET token_id = excluded.token_id, \
                 code_hash = excluded.code_hash, created_at = excluded.created_at, \
                 expires_at = excluded.expires_at, used_at = NULL \
                 RETURNING id",
            )
            .bind(code_hash.to_vec())
            .bind(now)
            .bind(expires_at)
            .bind(&attempt_hash)
            .bind(token.0)
            .bind(message.channel().as_str())
            .bind(message.recipient())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            if issued.is_none() {
                // Nothing was written: find out why, for the caller.
                let account = sqlx::query(
                    "SELECT account_id FROM login_attempts WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(&attempt_hash)
                .bind(now)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                let Some(account) = account else {
                    return Err(DomainError::NotFound(
                        "sign-in attempt not found or expired".into(),
                    ));
                };
                let usable = sqlx::query(
                    "SELECT id FROM tokens WHERE id = $1 AND account_id = $2 \
                     AND state = 'active' AND kind IN ('sms', 'email')",
                )
                .bind(token.0)
                .bind(account.i64("account_id")?)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                return Err(if usable.is_some() {
                    DomainError::invalid(
                        "message",
                        "a sign-in code must go to the token's own address or number",
                    )
                } else {
                    DomainError::NotFound("no active SMS or e-mail token with this id".into())
                });
            }
            enqueue_in!(&mut *tx, &message, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(())
        })
    }

    /// Accepts a sign-in code once (OOB-5): true only if `code_hash` is the live code of the
    /// attempt behind `attempt` (not expired, OOB-4; not used; not replaced by a resend, OOB-6)
    /// for `token`, and the token is still active (RB-7). One conditional UPDATE decides, so of
    /// any number of concurrent submissions of the right code, on any number of servers,
    /// exactly one gets `true`; a code issued in another attempt is `false` here. On success
    /// the token's `last_used_at` is stamped.
    ///
    /// `false` means "refuse the code"; the caller counts the failure (RL-1) and, on `true`,
    /// finishes the attempt and opens the session.
    pub(crate) async fn consume_oob_code(
        &self,
        attempt: &SessionToken,
        token: TokenId,
        code_hash: [u8; 32],
    ) -> Result<bool> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let used = execute!(
                &mut *tx,
                "UPDATE oob_challenges SET used_at = $1 \
                 WHERE attempt_id = (SELECT id FROM login_attempts \
                 WHERE token_hash = $2 AND expires_at > $1) \
                 AND token_id = $3 AND code_hash = $4 AND used_at IS NULL AND expires_at > $1 \
                 AND EXISTS (SELECT 1 FROM tokens WHERE id = $3 AND state = 'active')",
                [now, attempt.hash().to_vec(), token.0, code_hash.to_vec()],
            )?;
            if used != 1 {
                return Ok(false);
            }
            execute!(
                &mut *tx,
                "UPDATE tokens SET last_used_at = $1 WHERE id = $2",
                [now, token.0],
            )?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}

impl Store {
    /// The token whose sign-in code is live (sent, unused, unexpired) in the attempt behind
    /// `attempt`, so that a page rendered again (a reload, a form post without JavaScript)
    /// shows the code field for it.
    pub(crate) async fn live_oob_token(&self, attempt: &SessionToken) -> Result<Option<TokenId>> {
        let now = self.now();
        let attempt_hash = attempt.hash().to_vec();
        let row = with_read_pool!(self, pool => {
            sqlx::query(
                "SELECT c.token_id FROM oob_challenges c \
                 JOIN login_attempts a ON a.id = c.attempt_id \
                 WHERE a.token_hash = $1 AND a.expires_at > $2 \
                 AND c.used_at IS NULL AND c.expires_at > $2",
            )
            .bind(attempt_hash)
            .bind(now)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?
            .map(|row| row.i64("token_id"))
            .transpose()?
        });
        Ok(row.map(TokenId))
    }
}
