//! Remembered browsers (issue 13 item 5, "waiting period by trust"): a browser that completed a
//! full sign-in (password and second factor) gets a long-lived cookie with a random token, of
//! which only the SHA-256 is kept here, bound to the account. A self-service emergency code
//! asked for from a remembered browser of the same account is valid at once; from any other
//! browser it waits (see [`crate::EmergencyPolicy::wait_unknown`]).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{db_err, millis, Pool, RowExt, Store};
use super::{SESSION_IP_MAX_CHARS, SESSION_USER_AGENT_MAX_CHARS};
use crate::audit::client_text;
use crate::error::Result;
use crate::session::SessionToken;
use crate::store::AccountId;
use crate::time::Timestamp;

/// How long a browser stays remembered after its last full sign-in (and its cookie's Max-Age).
pub const REMEMBERED_BROWSER_TTL: Duration = Duration::from_secs(180 * 24 * 60 * 60);

const BROWSER_COLUMNS: &str =
    "id, account_id, created_at, last_seen_at, expires_at, ip, user_agent";

/// A remembered browser's database id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RememberedBrowserId(pub i64);

/// A browser that completed a full sign-in to the account (its cookie's token is not here:
/// only its hash is stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RememberedBrowser {
    pub id: RememberedBrowserId,
    pub account_id: AccountId,
    /// Its first full sign-in.
    pub created_at: Timestamp,
    /// Its last full sign-in.
    pub last_seen_at: Timestamp,
    pub expires_at: Timestamp,
    /// The client address of the last full sign-in.
    pub ip: Option<String>,
    /// The `User-Agent` of the last full sign-in (the page names the browser from it).
    pub user_agent: Option<String>,
}

fn browser_from_row(r: &impl RowExt) -> Result<RememberedBrowser> {
    Ok(RememberedBrowser {
        id: RememberedBrowserId(r.i64("id")?),
        account_id: AccountId(r.i64("account_id")?),
        created_at: Timestamp::from_millis(r.i64("created_at")?),
        last_seen_at: Timestamp::from_millis(r.i64("last_seen_at")?),
        expires_at: Timestamp::from_millis(r.i64("expires_at")?),
        ip: r.opt_text("ip")?,
        user_agent: r.opt_text("user_agent")?,
    })
}

impl Store {
    /// Remembers the browser that just completed a full sign-in to `account`. When it presents
    /// a token (`presented`) that `account` already remembers, that one is kept: its last sign-in,
    /// address and `User-Agent` are updated and its expiry moves to
    /// [`REMEMBERED_BROWSER_TTL`] from now. Otherwise a fresh token is made (a token of another
    /// account, or an unknown or expired one, is never adopted). Returns the token for the
    /// cookie and whether it is new.
    pub(crate) async fn remember_browser(
        &self,
        account: AccountId,
        presented: Option<&SessionToken>,
        ip: Option<&str>,
        user_agent: Option<&str>,
    ) -> Result<(SessionToken, bool)> {
        let now = self.now();
        let expires = now.saturating_add(millis(REMEMBERED_BROWSER_TTL));
        let ip = client_text(ip, SESSION_IP_MAX_CHARS);
        let user_agent = client_text(user_agent, SESSION_USER_AGENT_MAX_CHARS);
        if let Some(token) = presented {
            let touched = with_pool!(self, pool => {
                execute!(
                    pool,
                    "UPDATE remembered_browsers SET last_seen_at = $1, expires_at = $2, ip = $3, \
                     user_agent = $4 WHERE token_hash = $5 AND account_id = $6 AND expires_at > $1",
                    [
                        now,
                        expires,
                        ip.as_deref(),
                        user_agent.as_deref(),
                        token.hash().to_vec(),
                        account.0,
                    ],
                )?
            });
            if touched == 1 {
                return Ok((token.clone(), false));
            }
        }
        let token = SessionToken::generate();
        with_pool!(self, pool => {
            execute!(
                pool,
                "INSERT INTO remembered_browsers (token_hash, account_id, created_at, \
                 last_seen_at, expires_at, ip, user_agent) VALUES ($1, $2, $3, $3, $4, $5, $6)",
                [
                    token.hash().to_vec(),
                    account.0,
                    now,
                    expires,
                    ip.as_deref(),
                    user_agent.as_deref(),
                ],
            )?;
        });
        Ok((token, true))
    }

    /// The unexpired remembered browser of `account` behind `token`; `None` for an unknown or
    /// expired token, or one that another account remembers.
    pub(crate) async fn remembered_browser(
        &self,
        account: AccountId,
        token: &SessionToken,
    ) -> Result<Option<RememberedBrowser>> {
        let now = self.now();
        let sql = format!(
            "SELECT {BROWSER_COLUMNS} FROM remembered_browsers \
             WHERE token_hash = $1 AND account_id = $2 AND expires_at > $3"
        );
        with_pool!(self, pool => {
            fetch_optional!(pool, &sql, [token.hash().to_vec(), account.0, now], browser_from_row)
        })
    }

    /// The account's unexpired remembered browsers, the most recently used first.
    pub(crate) async fn remembered_browsers(
        &self,
        account: AccountId,
    ) -> Result<Vec<RememberedBrowser>> {
        let now = self.now();
        let sql = format!(
            "SELECT {BROWSER_COLUMNS} FROM remembered_browsers \
             WHERE account_id = $1 AND expires_at > $2 ORDER BY last_seen_at DESC, id DESC"
        );
        with_pool!(self, pool => {
            fetch_all!(pool, &sql, [account.0, now], browser_from_row)
        })
    }

    /// Forgets one of `account`'s browsers; another account's id forgets nothing (AC-2).
    /// Returns whether one was forgotten.
    pub(crate) async fn forget_browser(
        &self,
        account: AccountId,
        browser: RememberedBrowserId,
    ) -> Result<bool> {
        let affected = with_pool!(self, pool => {
            execute!(
                pool,
                "DELETE FROM remembered_browsers WHERE id = $1 AND account_id = $2",
                [browser.0, account.0],
            )?
        });
        Ok(affected == 1)
    }

    #[cfg(test)]
    /// Forgets every browser of `account`; returns how many.
    pub(crate) async fn forget_browsers(&self, account: AccountId) -> Result<u64> {
        with_pool!(self, pool => {
            Ok(execute!(
                pool,
                "DELETE FROM remembered_browsers WHERE account_id = $1",
                [account.0],
            )?)
        })
    }

    /// Deletes remembered browsers past their expiry (housekeeping); returns how many.
    pub(crate) async fn purge_expired_browsers(&self) -> Result<u64> {
        let now = self.now();
        with_pool!(self, pool => {
            Ok(execute!(pool, "DELETE FROM remembered_browsers WHERE expires_at <= $1", [now])?)
        })
    }
}
