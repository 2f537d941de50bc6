//! The operational console's queries: account search, account state changes written with their
//! notices and audit events in one transaction, the one-time hand-over of an operator-issued
//! code, and the overview's daily counts. The rules (who may do what) are in [`crate::console`].

use super::outbox::enqueue_in;
use super::selfservice::audit_in;
use super::{account_from_row, db_err, AccountState, Pool, RowExt, Store};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::emergency::EmergencyCodeId;
use crate::error::Result;
use crate::notify::NewOutboxMessage;
use crate::store::{Account, AccountId, Role, SessionId};

/// The columns [`account_from_row`] reads.
const ACCOUNT_COLUMNS: &str =
    "id, username, display_name, password_hash, state, role, created_at, updated_at";

/// How a search term is matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchMode {
    /// The value starts with the term (an index range scan).
    Prefix,
    /// The term appears anywhere in the value (reads every row).
    Contains,
}

/// A search, already in canonical form (see [`crate::console::search_key`]).
#[derive(Clone, Debug)]
pub(crate) struct AccountSearch {
    /// Compared with usernames and display names.
    pub key: String,
    /// Compared with lower-cased contact values (addresses, E.164 numbers).
    pub contact_key: String,
    pub mode: SearchMode,
    pub limit: u32,
    pub offset: u32,
}

/// Escapes `%`, `_` and `\` for a LIKE pattern with `ESCAPE '\'` (abuse case 13).
pub(crate) fn like_escape(term: &str) -> String {
    let mut out = String::with_capacity(term.len());
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The first string after every string that starts with `prefix`, in byte order.
fn prefix_end(prefix: &str) -> String {
    format!("{prefix}\u{10FFFF}")
}

impl Store {
    /// Accounts whose username, display name or a contact matches, ordered by username.
    pub(crate) async fn search_accounts(&self, search: &AccountSearch) -> Result<Vec<Account>> {
        // PostgreSQL compares in byte order only when told to, whatever the database's locale.
        let c = match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => " COLLATE \"C\"",
        };
        let (matcher, contact_matcher) = match search.mode {
            SearchMode::Prefix => (
                format!("{{col}}{c} >= $1 AND {{col}}{c} < $2"),
                format!("lower(c.value){c} >= $3 AND lower(c.value){c} < $4"),
            ),
            SearchMode::Contains => (
                "{col} LIKE $1 ESCAPE '\\'".to_string(),
                "lower(c.value) LIKE $2 ESCAPE '\\'".to_string(),
            ),
        };
        // The page of ids is chosen first (index range scans, a sort of the matches only), and
        // only its rows are read whole: so PostgreSQL never hash-joins the whole table.
        let sql = format!(
            "SELECT {ACCOUNT_COLUMNS} FROM accounts WHERE id IN (\
             SELECT id FROM (\
             SELECT id, username FROM accounts WHERE {u} \
             UNION SELECT id, username FROM accounts WHERE {d} \
             UNION SELECT a.id, a.username FROM contacts c JOIN accounts a ON a.id = c.account_id \
             WHERE {contact_matcher}) m \
             ORDER BY username LIMIT {limit} OFFSET {offset}) \
             ORDER BY username",
            u = matcher.replace("{col}", "username"),
            d = matcher.replace("{col}", "search_name"),
            limit = search.limit,
            offset = search.offset,
        );
        let binds: Vec<String> = match search.mode {
            SearchMode::Prefix => vec![
                search.key.clone(),
                prefix_end(&search.key),
                search.contact_key.clone(),
                prefix_end(&search.contact_key),
            ],
            SearchMode::Contains => vec![
                format!("%{}%", like_escape(&search.key)),
                format!("%{}%", like_escape(&search.contact_key)),
            ],
        };
        with_pool!(self, pool => {
            let mut q = sqlx::query(&sql);
            for value in &binds {
                q = q.bind(value);
            }
            q.fetch_all(pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(account_from_row)
                .collect()
        })
    }

    /// Fills `search_name` for accounts that lack it (those created before migration 0007).
    pub(crate) async fn fill_search_names(&self) -> Result<u64> {
        let mut filled = 0;
        loop {
            let rows: Vec<(i64, String)> = with_pool!(self, pool => {
                sqlx::query(
                    "SELECT id, display_name FROM accounts WHERE search_name IS NULL \
                     ORDER BY id LIMIT 500",
                )
                .fetch_all(pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| Ok((r.i64("id")?, r.text("display_name")?)))
                .collect::<Result<Vec<_>>>()?
            });
            if rows.is_empty() {
                return Ok(filled);
            }
            for (id, name) in rows {
                let key = crate::console::search_key(&name);
                with_pool!(self, pool => {
                    execute!(
                        pool,
                        "UPDATE accounts SET search_name = $1 WHERE id = $2",
                        [&key, id],
                    )?;
                });
                filled += 1;
            }
        }
    }

    /// Moves `account` from state `from` to `to` in ONE transaction with its notices and audit
    /// events; `end_sessions` also ends every session of the account (locking, SE-7). Returns
    /// false (nothing written) when the account is not in state `from`.
    pub(crate) async fn change_account_state(
        &self,
        account: AccountId,
        from: AccountState,
        to: AccountState,
        end_sessions: bool,
        notices: &[NewOutboxMessage],
        events: &[NewAuditEvent],
    ) -> Result<bool> {
        self.swap_account_column(
            account,
            "UPDATE accounts SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
            (from.as_str(), to.as_str()),
            end_sessions,
            notices,
            events,
        )
        .await
    }

    /// Changes the role of the account with this id from `from` to `to`, with its audit event,
    /// in one transaction. False when the account does not have the role `from`.
    pub(crate) async fn change_role(
        &self,
        account: AccountId,
        from: Role,
        to: Role,
        event: &NewAuditEvent,
    ) -> Result<bool> {
        self.swap_account_column(
            account,
            "UPDATE accounts SET role = $1, updated_at = $2 WHERE id = $3 AND role = $4",
            (from.as_str(), to.as_str()),
            false,
            &[],
            std::slice::from_ref(event),
        )
        .await
    }

    /// Runs `update` (`$1` the new value, `$2` now, `$3` the account, `$4` the value it must
    /// still have: `values` is `(from, to)`), and only when it changed a row ends the account's
    /// sessions (when asked), queues `notices` and writes `events`, all in one transaction.
    /// False, with nothing written, when the account no longer has `from`.
    async fn swap_account_column(
        &self,
        account: AccountId,
        update: &'static str,
        (from, to): (&str, &str),
        end_sessions: bool,
        notices: &[NewOutboxMessage],
        events: &[NewAuditEvent],
    ) -> Result<bool> {
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let changed = execute!(&mut *tx, update, [to, now, account.0, from])?;
            if changed == 0 {
                return Ok(false);
            }
            if end_sessions {
                execute!(&mut *tx, "DELETE FROM sessions WHERE account_id = $1", [account.0])?;
            }
            for notice in notices {
                enqueue_in!(&mut *tx, notice, now)?;
            }
            for event in events {
                audit_in!(&mut *tx, event, now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    /// Keeps a sealed operator-issued code for the operator's session, replacing any earlier
    /// one of that session.
    pub(crate) async fn put_handover(
        &self,
        session: SessionId,
        code: EmergencyCodeId,
        account: AccountId,
        sealed: &[u8],
    ) -> Result<()> {
        let now = self.now();
        with_pool!(self, pool => {
            execute!(
                pool,
                "INSERT INTO console_handover (session_id, code_id, account_id, code_sealed, \
                 created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (session_id) DO UPDATE \
                 SET code_id = excluded.code_id, account_id = excluded.account_id, \
                 code_sealed = excluded.code_sealed, created_at = excluded.created_at",
                [session.0, code.0, account.0, sealed.to_vec(), now],
            )?;
        });
        Ok(())
    }

    /// Takes (and deletes) the sealed code waiting for the session: the second call gets `None`,
    /// whatever the number of racing requests (one DELETE … RETURNING).
    pub(crate) async fn take_handover(
        &self,
        session: SessionId,
    ) -> Result<Option<(EmergencyCodeId, AccountId, Vec<u8>)>> {
        with_pool!(self, pool => {
            let row = sqlx::query(
                "DELETE FROM console_handover WHERE session_id = $1 \
                 RETURNING code_id, account_id, code_sealed",
            )
            .bind(session.0)
            .fetch_optional(pool)
            .await
            .map_err(db_err)?;
            match row {
                Some(r) => Ok(Some((
                    EmergencyCodeId(r.i64("code_id")?),
                    AccountId(r.i64("account_id")?),
                    r.opt_bytes("code_sealed")?.unwrap_or_default(),
                ))),
                None => Ok(None),
            }
        })
    }

    /// How many audit events with this action (and outcome, if given) fell on each of the
    /// `days` days starting at `since` (unix ms, day 0 first).
    pub(crate) async fn audit_daily_counts(
        &self,
        action: &str,
        outcome: Option<&str>,
        since: i64,
        days: usize,
    ) -> Result<Vec<u32>> {
        let sql = "SELECT (at - $1) / 86400000 AS day, COUNT(*) AS n FROM audit_events \
                   WHERE action = $2 AND at >= $1 AND ($3 = '' OR outcome = $3) \
                   GROUP BY (at - $1) / 86400000";
        self.daily_counts(sql, since, &[action, outcome.unwrap_or("")], days)
            .await
    }

    /// Active accounts one lost phone away from needing the help desk (issue 14 item 5, the same
    /// rule as `crate::Readiness`): every active token on one device, or no confirmed recovery
    /// address and no unused recovery code.
    pub(crate) async fn count_accounts_at_risk(&self) -> Result<i64> {
        with_read_pool!(self, pool => {
            let row = sqlx::query(
                "SELECT COUNT(*) AS n FROM accounts a WHERE a.state = 'active' AND ( \
                 (SELECT COUNT(DISTINCT COALESCE(t.device, '')) FROM tokens t \
                  WHERE t.account_id = a.id AND t.state = 'active') = 1 \
                 OR (NOT EXISTS (SELECT 1 FROM contacts c WHERE c.account_id = a.id \
                     AND c.is_recovery = $1 AND c.confirmed = $1) \
                   AND NOT EXISTS (SELECT 1 FROM recovery_codes r \
                     WHERE r.account_id = a.id AND r.used_at IS NULL)))",
            )
            .bind(true)
            .fetch_one(pool)
            .await
            .map_err(db_err)?;
            row.i64("n")
        })
    }

    /// How many emergency codes of this issuer were created on each of the `days` days starting
    /// at `since`.
    pub(crate) async fn codes_daily_counts(
        &self,
        issuer: &str,
        since: i64,
        days: usize,
    ) -> Result<Vec<u32>> {
        let sql = "SELECT (created_at - $1) / 86400000 AS day, COUNT(*) AS n \
                   FROM emergency_codes WHERE issuer = $2 AND created_at >= $1 \
                   GROUP BY (created_at - $1) / 86400000";
        self.daily_counts(sql, since, &[issuer], days).await
    }

    /// The `(day, n)` rows of `sql` (`since` bound to `$1`, then `texts` to `$2`…) as counts of
    /// the `days` days starting at `since`.
    async fn daily_counts(
        &self,
        sql: &str,
        since: i64,
        texts: &[&str],
        days: usize,
    ) -> Result<Vec<u32>> {
        let rows: Vec<(i64, i64)> = with_pool!(self, pool => {
            let mut query = sqlx::query(sql).bind(since);
            for text in texts {
                query = query.bind(*text);
            }
            query
                .fetch_all(pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(|r| Ok((r.i64("day")?, r.i64("n")?)))
                .collect::<Result<Vec<_>>>()?
        });
        Ok(bucket(rows, days))
    }
}

fn bucket(rows: Vec<(i64, i64)>, days: usize) -> Vec<u32> {
    let mut out = vec![0u32; days];
    for (day, n) in rows {
        if let Ok(day) = usize::try_from(day) {
            if let Some(slot) = out.get_mut(day) {
                *slot = u32::try_from(n).unwrap_or(u32::MAX);
            }
        }
    }
    out
}
