//! Enrolment of a new TOTP token: a pending token (its seed sealed) that becomes active only
//! after a valid first code (OTP-12), and only while it is fresh. A pending token is bound to
//! the session or sign-in attempt that started it ([`EnrolBinding`], issue 13): only there is
//! it read back with its seed, and only there may it be activated.

use super::outbox::enqueue_in;
use super::{
    check_token_shape, db_err, is_foreign_key_violation, millis, token_from_row, Pool, RowExt,
    Store, TOKEN_COLUMNS,
};
use crate::error::{DomainError, Result};
use crate::notify::NewOutboxMessage;
use crate::store::{AccountId, EnrolBinding, NewToken, Token, TokenId, TokenKind, TokenState};
use crate::text::{device_name, token_label};
use std::time::Duration;

/// What the token list shows ([`Store::token_overview`]).
#[derive(Debug, Default)]
pub struct TokenOverview {
    /// The active tokens, oldest first.
    pub active: Vec<Token>,
    /// The TOTP token being set up where the overview was asked for (the given
    /// [`EnrolBinding`]) and its sealed seed.
    pub pending_totp: Option<(Token, Vec<u8>)>,
    /// Another fresh TOTP token is being set up elsewhere (another session or sign-in attempt):
    /// said, never shown.
    pub pending_totp_elsewhere: bool,
    /// The SMS or e-mail token waiting for its code.
    pub pending_oob: Option<Token>,
}

impl Store {
    /// Whether the account ever had a token that was active (active now, or removed since).
    /// An account that never had one may enrol its first token right after the password step.
    /// Every state but `pending` counts: a blocked token (the owner's lost phone, or blocked by
    /// someone who holds only the password) is a token the account had.
    pub(crate) async fn has_had_tokens(&self, account: AccountId) -> Result<bool> {
        let count = with_read_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM tokens \
                 WHERE account_id = $1 AND state <> 'pending'",
            )
            .bind(account.0)
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
            row.i64("n")?
        });
        Ok(count > 0)
    }

    /// The account's newest pending TOTP token started by `by` less than `ttl` ago, if any. A
    /// token started by another session or attempt is never returned (issue 13).
    pub(crate) async fn pending_totp(
        &self,
        account: AccountId,
        by: EnrolBinding,
        ttl: Duration,
    ) -> Result<Option<Token>> {
        let since = self.now().saturating_sub(millis(ttl));
        let (column, id) = by.column();
        let sql = format!(
            "SELECT {TOKEN_COLUMNS} FROM tokens WHERE account_id = $1 AND state = 'pending' \
             AND kind = 'totp' AND created_at > $2 AND {column} = $3 \
             ORDER BY created_at DESC, id DESC LIMIT 1"
        );
        with_pool!(self, pool => {
            fetch_optional!(pool, &sql, [account.0, since, id], token_from_row)
        })
    }

    /// Records a pending TOTP token bound to `by`, the session or sign-in attempt starting it:
    /// one INSERT, so the token is never readable unbound.
    pub(crate) async fn insert_pending_totp(
        &self,
        new: NewToken,
        by: EnrolBinding,
    ) -> Result<TokenId> {
        if new.kind != TokenKind::Totp || new.state != TokenState::Pending {
            return Err(DomainError::invalid(
                "token",
                "only a pending authenticator app is bound to where it was started",
            ));
        }
        let label = token_label(&new.label)?;
        let device = match &new.device {
            Some(d) => device_name(d)?,
            None => None,
        };
        check_token_shape(&new)?;
        let (column, id) = by.column();
        let now = self.now();
        let sql = format!(
            "INSERT INTO tokens \
             (account_id, kind, label, device, state, secret_enc, created_at, {column}) \
             VALUES ($1, 'totp', $2, $3, 'pending', $4, $5, $6) RETURNING id"
        );
        with_pool!(self, pool => {
            let inserted = sqlx::query(&sql)
                .bind(new.account_id.0)
                .bind(&label)
                .bind(device.as_deref())
                .bind(new.secret_enc.as_deref())
                .bind(now)
                .bind(id)
                .fetch_one(pool)
                .await;
            match inserted {
                Ok(row) => Ok(TokenId(row.i64("id")?)),
                Err(e) if is_foreign_key_violation(&e) => {
                    Err(DomainError::NotFound("account not found".into()))
                }
                Err(e) => Err(db_err(e)),
            }
        })
    }

    /// Everything the token list shows, in one query (it is read on every visit): the active
    /// tokens, oldest first; the TOTP token being set up by `by` (pending, younger than
    /// `pending_ttl`, the newest if several) with its sealed seed, as [`Self::pending_totp`]
    /// and [`Self::token_secret`] give it, and whether another one is being set up elsewhere;
    /// and the SMS or e-mail token waiting for its code, as [`Self::pending_oob_token`] gives
    /// it.
    pub(crate) async fn token_overview(
        &self,
        account: AccountId,
        pending_ttl: Duration,
        by: EnrolBinding,
    ) -> Result<TokenOverview> {
        let since = self.now().saturating_sub(millis(pending_ttl));
        let (column, bound_to) = by.column();
        let sql = format!(
            "SELECT {TOKEN_COLUMNS}, {column} AS bound_to, \
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
                .map(|row| Ok((
                    token_from_row(row)?,
                    row.opt_bytes("pending_seed")?,
                    row.flag("code_open")?,
                    row.opt_i64("bound_to")? == Some(bound_to),
                )))
                .collect::<Result<Vec<_>>>()?
        });
        let mut overview = TokenOverview::default();
        for (token, seed, code_open, bound_here) in rows {
            match (token.state, token.kind) {
                (TokenState::Active, _) => overview.active.push(token),
                (TokenState::Pending, TokenKind::Totp) if !bound_here => {
                    overview.pending_totp_elsewhere = true;
                }
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
    /// conditional UPDATE, true iff the token was the account's, pending, a TOTP token, started
    /// by `by` (issue 13), and created less than `ttl` ago. An unfinished enrolment is never
    /// usable after that. With `first` (an account's first token, enrolled at sign-in after the
    /// password alone) it also needs the account never to have had a token (active, blocked or removed), checked in
    /// the same statement after the account row is locked (PostgreSQL; SQLite has one writer):
    /// of two attempts racing, at most one activates, and an account that got a token meanwhile
    /// gets no password-only first token. The `notices` (token added, to the account's
    /// contacts) are queued in the same transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn activate_totp(
        &self,
        account: AccountId,
        token: TokenId,
        by: EnrolBinding,
        first: bool,
        step: i64,
        ttl: Duration,
        notices: &[NewOutboxMessage],
    ) -> Result<bool> {
        let now = self.now();
        let since = now.saturating_sub(millis(ttl));
        let (column, bound_to) = by.column();
        let first_only = if first {
            " AND NOT EXISTS (SELECT 1 FROM tokens o WHERE o.account_id = $4 \
             AND o.state <> 'pending')"
        } else {
            ""
        };
        let sql = format!(
            "UPDATE tokens SET state = 'active', last_totp_step = $1, last_used_at = $2 \
             WHERE id = $3 AND account_id = $4 AND state = 'pending' AND kind = 'totp' \
             AND created_at > $5 AND {column} = $6{first_only}"
        );
        let lock = match (&self.pool, first) {
            // Serialises the first-token activations (and token inserts, whose foreign key
            // takes a share lock on the account row) of one account.
            (Pool::Postgres(_), true) => Some("SELECT id FROM accounts WHERE id = $1 FOR UPDATE"),
            _ => None,
        };
        let changed = with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            if let Some(lock) = lock {
                sqlx::query(lock)
                    .bind(account.0)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
            }
            let changed = execute!(
                &mut *tx,
                &sql,
                [step, now, token.0, account.0, since, bound_to],
            )?;
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
