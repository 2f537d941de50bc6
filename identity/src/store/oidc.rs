//! OpenID Connect clients and ID-token signing keys in the store (issue 18).

use super::selfservice::audit_in;
use super::{db_err, is_unique_violation, Pool, RowExt, Store};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::error::{DomainError, Result};
use crate::oidc::{Client, ClientId, RedirectUri};
use crate::Timestamp;

const CLIENT_COLUMNS: &str =
    "id, name, redirect_uris, secret_hash, public, first_party, created_at, disabled_at";

/// A sealed signing key as stored.
#[derive(Debug)]
pub(crate) struct StoredSigningKey {
    pub kid: String,
    pub sealed: Vec<u8>,
    pub retired_at: Option<Timestamp>,
}

impl Store {
    /// Registers `client` (with the keyed hash of its secret, for a confidential one) and its
    /// audit event in one transaction.
    pub(crate) async fn insert_oidc_client(
        &self,
        client: &Client,
        secret_hash: Option<[u8; 32]>,
        event: &NewAuditEvent,
    ) -> Result<()> {
        if client.public != secret_hash.is_none() {
            return Err(DomainError::Internal(
                "a confidential client has a secret, a public one none".into(),
            ));
        }
        let uris: Vec<&str> = client
            .redirect_uris
            .iter()
            .map(RedirectUri::as_str)
            .collect();
        let uris =
            serde_json::to_string(&uris).map_err(|e| DomainError::Internal(e.to_string()))?;
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let inserted = sqlx::query(&format!(
                "INSERT INTO oidc_clients ({CLIENT_COLUMNS}) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)"
            ))
            .bind(client.id.as_str())
            .bind(&client.name)
            .bind(&uris)
            .bind(secret_hash.map(|h| h.to_vec()))
            .bind(client.public)
            .bind(client.first_party)
            .bind(now)
            .execute(&mut *tx)
            .await;
            if let Err(e) = inserted {
                return Err(if is_unique_violation(&e) {
                    DomainError::Conflict("a client with this id exists; try again".into())
                } else {
                    db_err(e)
                });
            }
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
        });
        Ok(())
    }

    /// Every registered client, oldest first.
    pub(crate) async fn oidc_clients(&self) -> Result<Vec<Client>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients ORDER BY created_at, id");
        with_read_pool!(self, pool => {
            fetch_all!(pool, &sql, [], |row: &_| client_from_row(row).map(|(c, _)| c))
        })
    }

    /// The client `id` and its secret's stored hash (`None` for a public client).
    pub(crate) async fn oidc_client(
        &self,
        id: &ClientId,
    ) -> Result<Option<(Client, Option<Vec<u8>>)>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM oidc_clients WHERE id = $1");
        with_read_pool!(self, pool => {
            fetch_optional!(pool, &sql, [id.as_str()], client_from_row)
        })
    }

    /// The signing keys still published: the ones not retired, and those retired after
    /// `retired_after` (their tokens may still be live). Newest first.
    pub(crate) async fn oidc_signing_keys(
        &self,
        retired_after: Timestamp,
    ) -> Result<Vec<StoredSigningKey>> {
        with_pool!(self, pool => {
            fetch_all!(
                pool,
                "SELECT kid, sealed, retired_at FROM oidc_signing_keys \
                 WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC, kid",
                [retired_after.as_millis()],
                |row: &_| -> Result<StoredSigningKey> {
                    Ok(StoredSigningKey {
                        kid: RowExt::text(row, "kid")?,
                        sealed: RowExt::opt_bytes(row, "sealed")?.unwrap_or_default(),
                        retired_at: RowExt::opt_i64(row, "retired_at")?
                            .map(Timestamp::from_millis),
                    })
                },
            )
        })
    }

    /// Stores a new signing key, unless a key that is not retired exists already (another
    /// instance made one first; the `oidc_one_current_key` index settles a race): true when
    /// this one was stored.
    pub(crate) async fn insert_first_signing_key(&self, kid: &str, sealed: &[u8]) -> Result<bool> {
        let now = self.now();
        with_pool!(self, pool => {
            let inserted = sqlx::query(
                "INSERT INTO oidc_signing_keys (kid, alg, sealed, created_at) \
                 SELECT $1, 'ES256', $2, $3 WHERE NOT EXISTS \
                 (SELECT 1 FROM oidc_signing_keys WHERE retired_at IS NULL)",
            )
            .bind(kid)
            .bind(sealed)
            .bind(now)
            .execute(pool)
            .await;
            match inserted {
                Ok(done) => Ok(done.rows_affected() == 1),
                Err(e) if is_unique_violation(&e) => Ok(false),
                Err(e) => Err(db_err(e)),
            }
        })
    }
}

fn client_from_row(row: &impl RowExt) -> Result<(Client, Option<Vec<u8>>)> {
    let uris: Vec<String> = super::stored(serde_json::from_str(&row.text("redirect_uris")?))?;
    Ok((
        Client {
            id: ClientId::from_stored(row.text("id")?),
            name: row.text("name")?,
            redirect_uris: uris.into_iter().map(RedirectUri::from_stored).collect(),
            public: row.flag("public")?,
            first_party: row.flag("first_party")?,
            created_at: Timestamp::from_millis(row.i64("created_at")?),
            disabled_at: row.opt_i64("disabled_at")?.map(Timestamp::from_millis),
        },
        row.opt_bytes("secret_hash")?,
    ))
}

/// A new authorization code, as stored: its hash and everything it was approved for.
#[derive(Debug)]
pub(crate) struct NewCode {
    pub code_hash: [u8; 32],
    pub client_id: ClientId,
    pub account_id: crate::AccountId,
    pub session_id: crate::SessionId,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: Timestamp,
    pub expires_at: Timestamp,
}

/// A code taken for its token request.
#[derive(Debug)]
pub(crate) struct RedeemedCode {
    pub id: i64,
    pub client_id: ClientId,
    pub account_id: crate::AccountId,
    pub session_id: crate::SessionId,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub auth_time: Timestamp,
}

/// What presenting a code found.
#[derive(Debug)]
pub(crate) enum Redemption {
    /// Live and unused: now used (whatever the rest of the request turns out to be).
    Fresh(RedeemedCode),
    /// Used before: the tokens it gave are revoked now (this many).
    Replayed { code: i64, revoked: u64 },
    /// Unknown or expired.
    Unknown,
}

/// An application a person allowed to sign them in, as stored.
#[derive(Debug)]
pub(crate) struct StoredConsent {
    pub client_id: ClientId,
    pub client_name: String,
    pub scope: String,
    pub granted_at: Timestamp,
}

/// A live access token's grant.
#[derive(Debug)]
pub(crate) struct LiveAccessToken {
    pub account_id: crate::AccountId,
    pub scope: String,
}

impl Store {
    /// Records an authorization code and its audit event in one transaction.
    pub(crate) async fn insert_oidc_code(
        &self,
        code: &NewCode,
        event: &NewAuditEvent,
    ) -> Result<()> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            sqlx::query(
                "INSERT INTO oidc_codes (code_hash, client_id, account_id, session_id, \
                 redirect_uri, scope, nonce, code_challenge, auth_time, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            )
            .bind(code.code_hash.to_vec())
            .bind(code.client_id.as_str())
            .bind(code.account_id.0)
            .bind(code.session_id.0)
            .bind(&code.redirect_uri)
            .bind(&code.scope)
            .bind(code.nonce.as_deref())
            .bind(code.code_challenge.as_deref())
            .bind(code.auth_time.as_millis())
            .bind(now)
            .bind(code.expires_at.as_millis())
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
        });
        Ok(())
    }

    /// Takes the code whose hash is `code_hash`, once: of any number of concurrent requests
    /// with one code, at most one finds it fresh (one conditional UPDATE). A code used before
    /// revokes every access token it gave (RFC 6749 §4.1.2), in the same transaction.
    pub(crate) async fn redeem_oidc_code(&self, code_hash: &[u8; 32]) -> Result<Redemption> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let fresh = sqlx::query(
                "UPDATE oidc_codes SET used_at = $2 \
                 WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 \
                 RETURNING id, client_id, account_id, session_id, redirect_uri, scope, nonce, \
                 code_challenge, auth_time",
            )
            .bind(code_hash.to_vec())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_err)?;
            let redemption = match fresh {
                Some(row) => Redemption::Fresh(RedeemedCode {
                    id: row.i64("id")?,
                    client_id: ClientId::from_stored(row.text("client_id")?),
                    account_id: crate::AccountId(row.i64("account_id")?),
                    session_id: crate::SessionId(row.i64("session_id")?),
                    redirect_uri: row.text("redirect_uri")?,
                    scope: row.text("scope")?,
                    nonce: row.opt_text("nonce")?,
                    code_challenge: row.opt_text("code_challenge")?,
                    auth_time: Timestamp::from_millis(row.i64("auth_time")?),
                }),
                None => {
                    let used = sqlx::query(
                        "SELECT id FROM oidc_codes WHERE code_hash = $1 AND used_at IS NOT NULL",
                    )
                    .bind(code_hash.to_vec())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(db_err)?;
                    match used {
                        Some(row) => {
                            let code = row.i64("id")?;
                            let revoked = execute!(
                                &mut *tx,
                                "UPDATE oidc_access_tokens SET revoked_at = $2 \
                                 WHERE code_id = $1 AND revoked_at IS NULL",
                                [code, now],
                            )?;
                            Redemption::Replayed { code, revoked }
                        }
                        None => Redemption::Unknown,
                    }
                }
            };
            tx.commit().await.map_err(db_err)?;
            Ok(redemption)
        })
    }

    /// Records an access token given for `code`, with its audit event, but only while the
    /// session that approved the code is live (unexpired, full) and its account active: a
    /// signed-out session or a locked account gets no new token. `None` (nothing written)
    /// otherwise; else the kind of token the session's second step passed with, if recorded.
    pub(crate) async fn insert_oidc_access_token(
        &self,
        token_hash: &[u8; 32],
        code: &RedeemedCode,
        ttl: std::time::Duration,
        event: &NewAuditEvent,
    ) -> Result<Option<Option<String>>> {
        let now = self.now();
        let expires = now.saturating_add(super::millis(ttl));
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let inserted = sqlx::query(
                "INSERT INTO oidc_access_tokens (token_hash, code_id, client_id, account_id, \
                 session_id, scope, created_at, expires_at) \
                 SELECT $1, $2, $3, $4, $5, $6, $7, $8 WHERE EXISTS (SELECT 1 FROM sessions s \
                 JOIN accounts a ON a.id = s.account_id WHERE s.id = $5 AND s.account_id = $4 \
                 AND s.scope = 'full' AND s.expires_at > $7 AND a.state = 'active')",
            )
            .bind(token_hash.to_vec())
            .bind(code.id)
            .bind(code.client_id.as_str())
            .bind(code.account_id.0)
            .bind(code.session_id.0)
            .bind(&code.scope)
            .bind(now)
            .bind(expires)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?
            .rows_affected();
            if inserted != 1 {
                return Ok(None);
            }
            let factor = sqlx::query("SELECT second_factor FROM sessions WHERE id = $1")
                .bind(code.session_id.0)
                .fetch_one(&mut *tx)
                .await
                .map_err(db_err)?
                .opt_text("second_factor")?;
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(Some(factor))
        })
    }

    /// The scopes `account` allowed `client` (space-separated), if it ever did and has not
    /// taken them back.
    pub(crate) async fn oidc_consent(
        &self,
        account: crate::AccountId,
        client: &ClientId,
    ) -> Result<Option<String>> {
        with_read_pool!(self, pool => {
            fetch_optional!(
                pool,
                "SELECT scope FROM oidc_consents WHERE account_id = $1 AND client_id = $2",
                [account.0, client.as_str()],
                |row: &_| -> Result<String> { RowExt::text(row, "scope") },
            )
        })
    }

    /// Records that `account` allows `client` the scopes `scope` (replacing what it allowed
    /// before), with its audit event, in one transaction.
    pub(crate) async fn grant_oidc_consent(
        &self,
        account: crate::AccountId,
        client: &ClientId,
        scope: &str,
        event: &NewAuditEvent,
    ) -> Result<()> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            execute!(
                &mut *tx,
                "INSERT INTO oidc_consents (account_id, client_id, scope, granted_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (account_id, client_id) \
                 DO UPDATE SET scope = excluded.scope, granted_at = excluded.granted_at",
                [account.0, client.as_str(), scope, now],
            )?;
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
        });
        Ok(())
    }

    /// The applications `account` allowed, newest first.
    pub(crate) async fn oidc_consents(
        &self,
        account: crate::AccountId,
    ) -> Result<Vec<StoredConsent>> {
        with_read_pool!(self, pool => {
            fetch_all!(
                pool,
                "SELECT c.client_id, k.name, c.scope, c.granted_at FROM oidc_consents c \
                 JOIN oidc_clients k ON k.id = c.client_id WHERE c.account_id = $1 \
                 ORDER BY c.granted_at DESC, c.client_id",
                [account.0],
                |row: &_| -> Result<StoredConsent> {
                    Ok(StoredConsent {
                        client_id: ClientId::from_stored(RowExt::text(row, "client_id")?),
                        client_name: RowExt::text(row, "name")?,
                        scope: RowExt::text(row, "scope")?,
                        granted_at: Timestamp::from_millis(RowExt::i64(row, "granted_at")?),
                    })
                },
            )
        })
    }

    /// Takes back `account`'s consent to `client` and revokes the access tokens `client` holds
    /// for it, with the audit event, in one transaction. False (nothing written) when there was
    /// no consent.
    pub(crate) async fn revoke_oidc_consent(
        &self,
        account: crate::AccountId,
        client: &ClientId,
        event: &NewAuditEvent,
    ) -> Result<bool> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let removed = execute!(
                &mut *tx,
                "DELETE FROM oidc_consents WHERE account_id = $1 AND client_id = $2",
                [account.0, client.as_str()],
            )?;
            if removed == 0 {
                return Ok(false);
            }
            execute!(
                &mut *tx,
                "UPDATE oidc_access_tokens SET revoked_at = $3 \
                 WHERE account_id = $1 AND client_id = $2 AND revoked_at IS NULL",
                [account.0, client.as_str(), now],
            )?;
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    /// Disables `client`: no new authorization or token, its unused codes and its access tokens
    /// revoked, with the audit event, in one transaction. False when it was disabled already.
    pub(crate) async fn disable_oidc_client(
        &self,
        client: &ClientId,
        event: &NewAuditEvent,
    ) -> Result<bool> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let disabled = execute!(
                &mut *tx,
                "UPDATE oidc_clients SET disabled_at = $2 WHERE id = $1 AND disabled_at IS NULL",
                [client.as_str(), now],
            )?;
            if disabled == 0 {
                return Ok(false);
            }
            execute!(
                &mut *tx,
                "UPDATE oidc_codes SET used_at = $2 WHERE client_id = $1 AND used_at IS NULL",
                [client.as_str(), now],
            )?;
            execute!(
                &mut *tx,
                "UPDATE oidc_access_tokens SET revoked_at = $2 \
                 WHERE client_id = $1 AND revoked_at IS NULL",
                [client.as_str(), now],
            )?;
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    /// Retires the current signing key and stores `kid` as the new one, in one transaction with
    /// its audit event.
    pub(crate) async fn rotate_signing_key(
        &self,
        kid: &str,
        sealed: &[u8],
        event: &NewAuditEvent,
    ) -> Result<()> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            execute!(
                &mut *tx,
                "UPDATE oidc_signing_keys SET retired_at = $1 WHERE retired_at IS NULL",
                [now],
            )?;
            sqlx::query(
                "INSERT INTO oidc_signing_keys (kid, alg, sealed, created_at) \
                 VALUES ($1, 'ES256', $2, $3)",
            )
            .bind(kid)
            .bind(sealed)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
            audit_in!(&mut *tx, event, now)?;
            tx.commit().await.map_err(db_err)?;
        });
        Ok(())
    }

    /// The grant of the access token whose hash is `token_hash`: `None` when it is unknown,
    /// expired or revoked, or its session has ended or its account is no longer active.
    pub(crate) async fn oidc_access_token(
        &self,
        token_hash: &[u8; 32],
    ) -> Result<Option<LiveAccessToken>> {
        let now = self.now();
        with_read_pool!(self, pool => {
            fetch_optional!(
                pool,
                "SELECT t.account_id, t.scope FROM oidc_access_tokens t \
                 JOIN sessions s ON s.id = t.session_id JOIN accounts a ON a.id = t.account_id \
                 WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND t.expires_at > $2 \
                 AND s.expires_at > $2 AND a.state = 'active'",
                [token_hash.to_vec(), now],
                |row: &_| -> Result<LiveAccessToken> {
                    Ok(LiveAccessToken {
                        account_id: crate::AccountId(RowExt::i64(row, "account_id")?),
                        scope: RowExt::text(row, "scope")?,
                    })
                },
            )
        })
    }
}
