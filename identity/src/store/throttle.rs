//! Rate-limit counters in the store (RL-1..RL-7). Every count is one upsert statement (`INSERT
//! ... ON CONFLICT (key) DO UPDATE ... RETURNING`), so concurrent requests on any number of
//! server instances never lose a count (RL-6), and a gated count ([`Store::throttle_hit`])
//! checks and counts in the same statement, so no burst slips past a limit. The rules come from
//! [`ThrottlePolicy::DEFAULT`]; times from the store's clock.

use std::fmt::Write as _;
use std::time::Duration;

use super::{db_err, millis, Pool, RowExt, Store};
use crate::error::{DomainError, Result};
use crate::throttle::{ConsecutiveLimit, ThrottleKey, ThrottleRecord, ThrottleRule, ThrottleState};
use crate::time::Timestamp;

const RECORD_COLUMNS: &str = "failures, window_start, last_failure_at, blocked_until";

/// A per-username-and-address password delay with no failure for this long is forgotten by the
/// purge: far past the longest delay (15 minutes), so an attacker gains nothing by waiting.
pub const PASSWORD_DELAY_IDLE: Duration = Duration::from_secs(24 * 60 * 60);

/// How many times a gated count that lost a race (refused, then found open) is tried again.
const HIT_RETRIES: usize = 3;

impl Store {
    /// What `key` allows now, without counting anything: call it before the expensive check (an
    /// argon2 run, a code comparison) to answer 429 early. Read-only, so concurrent requests
    /// may all see [`ThrottleState::Open`]; where a hard bound must hold under concurrency
    /// (RL-1), count before checking with [`Self::throttle_hit`].
    pub(crate) async fn throttle_check(&self, key: &ThrottleKey) -> Result<ThrottleState> {
        let record = self.throttle_record(key).await?;
        let state = self
            .throttle_policy()
            .rule(key)
            .state(record.as_ref(), self.clock.now());
        if !state.is_open() {
            crate::telemetry::rate_limited(key);
        }
        Ok(state)
    }

    #[cfg(test)]
    /// Counts one failure for `key`, unconditionally and atomically (RL-6: 300 concurrent
    /// failures count 300), and returns what the next attempt faces: for an account and factor,
    /// [`ThrottleState::Delayed`] from the fifth failure on, [`ThrottleState::Refused`] from the
    /// hundredth (RL-1); for a windowed key, delayed until its window ends once the limit is
    /// reached.
    pub(crate) async fn throttle_fail(&self, key: &ThrottleKey) -> Result<ThrottleState> {
        let now = self.clock.now();
        let rule = self.throttle_policy().rule(key);
        let record = self
            .throttle_count(key, rule, now, false)
            .await?
            .ok_or_else(|| {
                DomainError::Internal("an ungated throttle count returned no row".into())
            })?;
        Ok(rule.state(Some(&record), now))
    }

    /// Counts one event for `key` if, and only if, the key allows one now; the check and the
    /// count are one statement, so of any number of concurrent calls exactly as many pass as
    /// the rule allows. [`ThrottleState::Open`] means "counted, go ahead"; anything else means
    /// nothing was counted and the caller must not go ahead.
    ///
    /// Two uses: sends (SMS, e-mail: [`ThrottleKey::account_sends`] and
    /// [`ThrottleKey::ip`] with [`crate::Scope::CodeSend`], RL-7), counted before sending; and
    /// guesses at a factor when the RL-1 bound must hold even under concurrency: hit the
    /// account-factor key *before* checking the code (the guess counts as a failure in
    /// advance), then [`Self::throttle_clear`] it if the code was right (RL-5). Then at most
    /// 100 guesses are ever checked, however many arrive at once.
    pub(crate) async fn throttle_hit(&self, key: &ThrottleKey) -> Result<ThrottleState> {
        self.throttle_hit_under(key, self.throttle_policy().rule(key))
            .await
    }

    /// [`Self::throttle_hit`] under a stricter `rule` than the key's own (a username under
    /// attack: its per-address delays start at the first failure). The state a later check
    /// reads is the stored delay, so a stricter count simply delays sooner.
    pub(crate) async fn throttle_hit_under(
        &self,
        key: &ThrottleKey,
        rule: ThrottleRule,
    ) -> Result<ThrottleState> {
        for _ in 0..HIT_RETRIES {
            let now = self.clock.now();
            if self.throttle_count(key, rule, now, true).await?.is_some() {
                return Ok(ThrottleState::Open);
            }
            let state = rule.state(self.throttle_record(key).await?.as_ref(), now);
            if !state.is_open() {
                crate::telemetry::rate_limited(key);
                return Ok(state);
            }
            // Cleared or expired between the two statements: try to count again.
        }
        Ok(ThrottleState::Delayed {
            retry_after: Duration::from_secs(1),
        })
    }

    /// Counts one event for a windowed `key` unconditionally and returns the count in its
    /// window after this one (an alert fires once, when the count reaches the limit).
    pub(crate) async fn throttle_count_event(&self, key: &ThrottleKey) -> Result<i64> {
        let now = self.clock.now();
        let rule = self.throttle_policy().rule(key);
        Ok(self
            .throttle_count(key, rule, now, false)
            .await?
            .ok_or_else(|| {
                DomainError::Internal("an ungated throttle count returned no row".into())
            })?
            .failures)
    }

    /// Gives back one event counted in advance by [`Self::throttle_hit`] on a windowed key when
    /// it turned out not to be a failure (a right password from an address whose failed sign-ins
    /// are limited): the count drops by one, and the key is open again if it is now under its
    /// limit. Never below zero; unknown keys are fine.
    pub(crate) async fn throttle_refund(&self, key: &ThrottleKey) -> Result<()> {
        let ThrottleRule::Window(limit) = self.throttle_policy().rule(key) else {
            return Err(DomainError::Internal(
                "only windowed counts are given back".into(),
            ));
        };
        with_pool!(self, pool => {
            execute!(
                pool,
                "UPDATE throttle SET failures = failures - 1, \
                 blocked_until = CASE WHEN failures - 1 >= $2 THEN blocked_until ELSE NULL END \
                 WHERE key = $1 AND failures > 0",
                [key.as_str(), limit.limit],
            )?;
        });
        Ok(())
    }

    /// Forgets `key`'s count (RL-5: a success clears the failures of its account and factor; an
    /// operator's unlock clears a refused factor). Unknown keys are fine.
    pub(crate) async fn throttle_clear(&self, key: &ThrottleKey) -> Result<()> {
        with_pool!(self, pool => {
            execute!(pool, "DELETE FROM throttle WHERE key = $1", [key.as_str()])?;
        });
        Ok(())
    }

    /// `key`'s counter as stored, if it has one (for tests and the operator console).
    pub(crate) async fn throttle_record(
        &self,
        key: &ThrottleKey,
    ) -> Result<Option<ThrottleRecord>> {
        let sql = format!("SELECT {RECORD_COLUMNS} FROM throttle WHERE key = $1");
        with_read_pool!(self, pool => {
            fetch_optional!(pool, &sql, [key.as_str()], record_from_row)
        })
    }

    /// Deletes the counters that allow everything again anyway: address, send, wizard-start
    /// and username-alert keys whose window has ended, and the per-username-and-address password
    /// delays (and the per-username ones of earlier versions) with no failure for
    /// [`PASSWORD_DELAY_IDLE`], so that names that never sign in do not grow the table without
    /// bound. Account-and-factor counts are never purged: only a success or an operator clears
    /// them (RL-1). Returns how many rows went; safe to run at any time.
    pub(crate) async fn throttle_purge(&self) -> Result<u64> {
        let now = self.now();
        let dead_before = now.saturating_sub(millis(self.throttle_policy().longest_window()));
        let idle_before = now.saturating_sub(millis(PASSWORD_DELAY_IDLE));
        with_pool!(self, pool => {
            Ok(execute!(
                pool,
                "DELETE FROM throttle WHERE ((key LIKE 'ip:%' OR key LIKE 'acct:%:sends' \
                 OR key LIKE 'acct:%:wizard' OR key LIKE 'name:%:alert') AND window_start <= $1) \
                 OR ((key LIKE 'pw:%' OR key LIKE 'name:%:password') AND last_failure_at <= $2)",
                [dead_before, idle_before],
            )?)
        })
    }

    /// One counting statement. `gated`: count only if the rule allows an event now, and return
    /// `None` when it did not count. Ungated, it always counts and returns the row.
    async fn throttle_count(
        &self,
        key: &ThrottleKey,
        rule: ThrottleRule,
        now: Timestamp,
        gated: bool,
    ) -> Result<Option<ThrottleRecord>> {
        let now_ms = now.as_millis();
        let gated = i64::from(gated);
        with_pool!(self, pool => {
            let row = match rule {
                ThrottleRule::Consecutive(limit) => {
                    let sql = consecutive_sql(&limit);
                    sqlx::query(&sql)
                        .bind(key.as_str())
                        .bind(now_ms)
                        .bind(limit.delay_after(1).map(|d| now.plus(d).as_millis()))
                        .bind(gated)
                        .bind(limit.refuse_at)
                        .fetch_optional(pool)
                        .await
                }
                ThrottleRule::Window(limit) => {
                    let window = millis(limit.window);
                    sqlx::query(WINDOW_SQL)
                        .bind(key.as_str())
                        .bind(now_ms)
                        .bind((limit.limit <= 1).then(|| now_ms.saturating_add(window)))
                        .bind(now_ms.saturating_sub(window))
                        .bind(limit.limit)
                        .bind(window)
                        .bind(gated)
                        .fetch_optional(pool)
                        .await
                }
            };
            row.map_err(db_err)?.map(|row| record_from_row(&row)).transpose()
        })
    }
}

/// A fixed window. Parameters: $1 key, $2 now, $3 blocked_until after a first event, $4 the
/// oldest window start still running (now - window), $5 limit, $6 window (ms), $7 gated (0/1).
/// Every SET expression reads the row as it was before the update, on both backends.
const WINDOW_SQL: &str = "INSERT INTO throttle \
     (key, failures, window_start, last_failure_at, blocked_until) \
     VALUES ($1, 1, $2, $2, $3) \
     ON CONFLICT (key) DO UPDATE SET \
     failures = CASE WHEN throttle.window_start <= $4 THEN 1 ELSE throttle.failures + 1 END, \
     window_start = CASE WHEN throttle.window_start <= $4 THEN $2 ELSE throttle.window_start END, \
     last_failure_at = $2, \
     blocked_until = CASE WHEN throttle.window_start <= $4 THEN $3 \
     WHEN throttle.failures + 1 >= $5 THEN throttle.window_start + $6 ELSE NULL END \
     WHERE $7 = 0 OR throttle.window_start <= $4 OR throttle.failures < $5 \
     RETURNING failures, window_start, last_failure_at, blocked_until";

/// Consecutive failures. Parameters: $1 key, $2 now, $3 blocked_until after a first failure,
/// $4 gated (0/1), $5 the refusal count. The delay after the new count is a CASE written out
/// from [`ConsecutiveLimit::delay_after`], so the same statement checks, counts and sets the
/// next delay: no second statement a concurrent request could slip between.
fn consecutive_sql(limit: &ConsecutiveLimit) -> String {
    format!(
        "INSERT INTO throttle \
         (key, failures, window_start, last_failure_at, blocked_until) \
         VALUES ($1, 1, $2, $2, $3) \
         ON CONFLICT (key) DO UPDATE SET \
         failures = throttle.failures + 1, \
         last_failure_at = $2, \
         blocked_until = {} \
         WHERE $4 = 0 OR (throttle.failures < $5 \
         AND (throttle.blocked_until IS NULL OR throttle.blocked_until <= $2)) \
         RETURNING failures, window_start, last_failure_at, blocked_until",
        delay_case(limit, "throttle.failures + 1", "$2")
    )
}

/// `CASE` giving `now + delay_after(count)` in milliseconds, or NULL where there is no delay.
fn delay_case(limit: &ConsecutiveLimit, count: &str, now: &str) -> String {
    let mut sql = format!("CASE WHEN {count} >= {} THEN NULL", limit.refuse_at);
    let mut n = limit.refuse_at - 1;
    while n >= 1 {
        let delay = limit.delay_after(n);
        // The lowest count with the same delay as `n`.
        let mut from = n;
        while from > 1 && limit.delay_after(from - 1) == delay {
            from -= 1;
        }
        match delay {
            Some(d) => {
                let _ = write!(sql, " WHEN {count} >= {from} THEN {now} + {}", millis(d));
            }
            None => {
                let _ = write!(sql, " WHEN {count} >= {from} THEN NULL");
            }
        }
        n = from - 1;
    }
    sql.push_str(" ELSE NULL END");
    sql
}

fn record_from_row(r: &impl RowExt) -> Result<ThrottleRecord> {
    Ok(ThrottleRecord {
        failures: r.i64("failures")?,
        window_start: Timestamp::from_millis(r.i64("window_start")?),
        last_failure_at: Timestamp::from_millis(r.i64("last_failure_at")?),
        blocked_until: r.opt_i64("blocked_until")?.map(Timestamp::from_millis),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delay_case_follows_the_policy() {
        let sql = delay_case(&crate::ThrottlePolicy::DEFAULT.account_factor, "f", "now");
        assert_eq!(
            sql,
            "CASE WHEN f >= 100 THEN NULL WHEN f >= 15 THEN now + 900000 \
             WHEN f >= 14 THEN now + 512000 WHEN f >= 13 THEN now + 256000 \
             WHEN f >= 12 THEN now + 128000 WHEN f >= 11 THEN now + 64000 \
             WHEN f >= 10 THEN now + 32000 WHEN f >= 9 THEN now + 16000 \
             WHEN f >= 8 THEN now + 8000 WHEN f >= 7 THEN now + 4000 \
             WHEN f >= 6 THEN now + 2000 WHEN f >= 5 THEN now + 1000 \
             WHEN f >= 1 THEN NULL ELSE NULL END"
        );
    }
}
