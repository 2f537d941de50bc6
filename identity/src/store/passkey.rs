//! Passkeys and security keys (issue 17): the credentials of `webauthn` tokens, the account's
//! WebAuthn user handle, and the ceremonies begun and not yet answered.
//!
//! A ceremony's state holds its challenge. It is bound to where it was begun (the session adding
//! a passkey, or the sign-in attempt using one), one per place (beginning another replaces it),
//! and taken at most once by one `DELETE … RETURNING`: of two answers to one challenge, on any
//! number of servers, at most one finds it; a replayed answer finds nothing.

use super::outbox::enqueue_in;
use super::{db_err, is_unique_violation, millis, token_text, Pool, RowExt, Store};
use crate::error::{DomainError, Result};
use crate::notify::NewOutboxMessage;
use crate::store::{AccountId, EnrolBinding, LoginAttemptId, NewToken, SessionId, TokenId};
use crate::{TokenKind, TokenState};
use std::time::Duration;

/// Where a ceremony was begun, and so what it is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CeremonyPlace {
    /// A signed-in session adding a passkey (registration).
    Session(SessionId),
    /// A sign-in attempt whose second step uses one (authentication).
    Attempt(LoginAttemptId),
}

impl CeremonyPlace {
    fn column(self) -> (&'static str, &'static str, i64) {
        match self {
            Self::Session(id) => ("session_id", "register", id.0),
            Self::Attempt(id) => ("attempt_id", "authenticate", id.0),
        }
    }
}

/// A ceremony to keep: its state (stored text of [`crate::passkey::CeremonyState`]) and, for a
/// registration, the name and device the new token will have.
#[derive(Debug)]
pub(crate) struct NewCeremony {
    pub account: AccountId,
    pub place: CeremonyPlace,
    pub state: String,
    pub label: Option<String>,
    pub device: Option<String>,
}

/// A ceremony taken back for its answer.
#[derive(Debug)]
pub(crate) struct TakenCeremony {
    pub state: String,
    pub label: Option<String>,
    pub device: Option<String>,
}

/// A new credential, to be stored with its token.
#[derive(Debug)]
pub(crate) struct NewCredential {
    pub credential_id: Vec<u8>,
    pub record: String,
    pub counter: u32,
    pub aaguid: Option<[u8; 16]>,
    pub transports: Vec<String>,
}

/// A stored credential of the account's.
#[derive(Debug, Clone)]
pub(crate) struct StoredCredential {
    pub token: TokenId,
    pub state: TokenState,
    pub record: String,
    pub counter: u32,
}

/// What a passkey sign-in writes in the transaction that opens its session (first, and the
/// session opens only if it changed the row): the credential's new counter and record, but only
/// if its counter is still the one the check read and its token is still an active passkey of
/// the account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CounterMove {
    pub token: TokenId,
    pub was: u32,
    pub now: u32,
    /// The updated record (new counter, flags), if the library changed it.
    pub record: Option<String>,
}

/// `$1` new counter, `$2` new record or NULL (keep), `$3` token, `$4` counter as read, `$5`
/// account. One conditional UPDATE: of any number of concurrent sign-ins that read one counter,
/// exactly one changes the row.
pub(super) const MOVE_PASSKEY_COUNTER: &str = "UPDATE webauthn_credentials \
     SET counter = $1, record = COALESCE($2, record) \
     WHERE token_id = $3 AND counter = $4 AND token_id IN (SELECT id FROM tokens \
     WHERE id = $3 AND account_id = $5 AND state = 'active' AND kind = 'webauthn')";

/// `$1` time, `$2` token: the passkey's last use.
pub(super) const STAMP_PASSKEY_USE: &str = "UPDATE tokens SET last_used_at = $1 WHERE id = $2";

impl Store {
    /// The account's WebAuthn user handle, made (16 random bytes) on first use. Never the
    /// username: a discoverable credential carries it to the authenticator.
    pub(crate) async fn passkey_handle(&self, account: AccountId) -> Result<[u8; 16]> {
        let mut fresh = [0u8; 16];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut fresh);
        let handle = with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE accounts SET webauthn_handle = $1 \
                 WHERE id = $2 AND webauthn_handle IS NULL",
                [fresh.to_vec(), account.0],
            )?;
            let row = sqlx::query("SELECT webauthn_handle FROM accounts WHERE id = $1")
                .bind(account.0)
                .fetch_optional(pool)
                .await
                .map_err(db_err)?
                .ok_or_else(|| DomainError::NotFound("account not found".into()))?;
            row.opt_bytes("webauthn_handle")?
        });
        handle
            .and_then(|h| <[u8; 16]>::try_from(h.as_slice()).ok())
            .ok_or_else(|| DomainError::Storage("a WebAuthn user handle is not 16 bytes".into()))
    }

    /// The account's passkey credentials whose tokens are in one of `states`, oldest first.
    pub(crate) async fn passkey_credentials(
        &self,
        account: AccountId,
        states: &[TokenState],
    ) -> Result<Vec<StoredCredential>> {
        let rows = with_read_pool!(self, pool => {
            fetch_all!(
                pool,
                "SELECT t.id, t.state, c.record, c.counter FROM webauthn_credentials c \
                 JOIN tokens t ON t.id = c.token_id \
                 WHERE t.account_id = $1 AND t.kind = 'webauthn' ORDER BY t.id",
                [account.0],
                credential_from_row,
            )?
        });
        Ok(rows
            .into_iter()
            .filter(|c| states.contains(&c.state))
            .collect())
    }

    /// The account's passkey credential with ID `credential_id`, in any state.
    pub(crate) async fn passkey_credential(
        &self,
        account: AccountId,
        credential_id: &[u8],
    ) -> Result<Option<StoredCredential>> {
        with_read_pool!(self, pool => {
            fetch_optional!(
                pool,
                "SELECT t.id, t.state, c.record, c.counter FROM webauthn_credentials c \
                 JOIN tokens t ON t.id = c.token_id \
                 WHERE t.account_id = $1 AND c.credential_id = $2",
                [account.0, credential_id.to_vec()],
                credential_from_row,
            )
        })
    }

    /// Keeps a ceremony begun at its place for `ttl`, replacing one begun there before.
    pub(crate) async fn begin_passkey_ceremony(
        &self,
        new: NewCeremony,
        ttl: Duration,
    ) -> Result<()> {
        let now = self.now();
        let (column, purpose, place) = new.place.column();
        if (purpose == "register") != new.label.is_some() {
            return Err(DomainError::Internal(
                "a registration (only) names the passkey it adds".into(),
            ));
        }
        let delete = format!("DELETE FROM webauthn_ceremonies WHERE {column} = $1");
        let insert = format!(
            "INSERT INTO webauthn_ceremonies \
             (account_id, purpose, {column}, state, label, device, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        );
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            execute!(&mut *tx, &delete, [place])?;
            sqlx::query(&insert)
                .bind(new.account.0)
                .bind(purpose)
                .bind(place)
                .bind(&new.state)
                .bind(new.label.as_deref())
                .bind(new.device.as_deref())
                .bind(now)
                .bind(now.saturating_add(millis(ttl)))
                .execute(&mut *tx)
                .await
                .map_err(|e| {
                    if super::is_foreign_key_violation(&e) {
                        DomainError::NotFound("the session or sign-in has ended".into())
                    } else {
                        db_err(e)
                    }
                })?;
            tx.commit().await.map_err(db_err)?;
        });
        Ok(())
    }

    /// Takes the ceremony begun at `place` for `account`, once: `None` when there is none (never
    /// begun, answered already, replaced by a newer one) or it has expired (then it is gone too).
    pub(crate) async fn take_passkey_ceremony(
        &self,
        account: AccountId,
        place: CeremonyPlace,
    ) -> Result<Option<TakenCeremony>> {
        let now = self.now();
        let (column, purpose, id) = place.column();
        let sql = format!(
            "DELETE FROM webauthn_ceremonies \
             WHERE {column} = $1 AND account_id = $2 AND purpose = $3 \
             RETURNING state, label, device, expires_at"
        );
        let taken = with_pool!(self, pool => {
            fetch_optional!(pool, &sql, [id, account.0, purpose], |row: &_| {
                Ok::<_, DomainError>((
                    TakenCeremony {
                        state: RowExt::text(row, "state")?,
                        label: RowExt::opt_text(row, "label")?,
                        device: RowExt::opt_text(row, "device")?,
                    },
                    RowExt::i64(row, "expires_at")?,
                ))
            })?
        });
        Ok(taken.and_then(|(c, expires_at)| (expires_at > now).then_some(c)))
    }

    /// Records an active passkey token with its credential, bound to `by` (so that "this was not
    /// me" undoes it like any token added in a restricted session), and queues `notices` (token
    /// added), in one transaction that first locks the account and requires it active. A
    /// credential already stored (on any account) is a conflict, and nothing is written.
    pub(crate) async fn insert_passkey_token(
        &self,
        new: NewToken,
        credential: NewCredential,
        by: EnrolBinding,
        notices: &[NewOutboxMessage],
    ) -> Result<TokenId> {
        if new.kind != TokenKind::Webauthn || new.state != TokenState::Active {
            return Err(DomainError::Internal(
                "insert_passkey_token adds active passkeys only".into(),
            ));
        }
        let (label, device) = token_text(&new)?;
        let (column, bound_to) = by.column();
        let now = self.now();
        let sql = format!(
            "INSERT INTO tokens (account_id, kind, label, device, state, created_at, {column}) \
             VALUES ($1, 'webauthn', $2, $3, 'active', $4, $5) RETURNING id"
        );
        let transports = credential.transports.join(",");
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            if !lock_active_account!(&mut *tx, new.account_id.0)? {
                return Err(DomainError::NotFound("account not found".into()));
            }
            let row = sqlx::query(&sql)
                .bind(new.account_id.0)
                .bind(&label)
                .bind(device.as_deref())
                .bind(now)
                .bind(bound_to)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?;
            let id = TokenId(row.i64("id")?);
            let inserted = sqlx::query(
                "INSERT INTO webauthn_credentials \
                 (token_id, credential_id, record, counter, aaguid, transports) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(id.0)
            .bind(&credential.credential_id)
            .bind(&credential.record)
            .bind(i64::from(credential.counter))
            .bind(credential.aaguid.map(|a| a.to_vec()))
            .bind(&transports)
            .execute(&mut *tx)
            .await;
            if let Err(e) = inserted {
                return Err(if is_unique_violation(&e) {
                    DomainError::Conflict("this passkey or security key is added already".into())
                } else {
                    db_err(e)
                });
            }
            for notice in notices {
                enqueue_in!(&mut *tx, notice, now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }

    /// Removes expired ceremonies (housekeeping); returns how many.
    pub(crate) async fn purge_passkey_ceremonies(&self) -> Result<u64> {
        let now = self.now();
        with_pool!(self, pool => {
            execute!(pool, "DELETE FROM webauthn_ceremonies WHERE expires_at <= $1", [now])
        })
    }
}

fn credential_from_row(row: &impl RowExt) -> Result<StoredCredential> {
    let counter = row.i64("counter")?;
    Ok(StoredCredential {
        token: TokenId(row.i64("id")?),
        state: super::stored(TokenState::parse(&row.text("state")?))?,
        record: row.text("record")?,
        counter: super::stored(u32::try_from(counter))?,
    })
}
