//! The audit log in the store: one INSERT per event, one keyset-paged SELECT to read them. The
//! table refuses UPDATE and DELETE (triggers in migration 0003), so a row once written stays
//! as written. The rules a row obeys are in [`crate::audit`].

use serde_json::Value;

use super::{db_err, stored, AccountId, Pool, RowExt, Store};
use crate::audit::{
    client_text, details_text, AuditAction, AuditEvent, AuditEventId, AuditOutcome, AuditQuery,
    NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::error::{DomainError, Result};
use crate::time::Timestamp;

/// The columns [`audit_event_from_row`] reads.
const AUDIT_COLUMNS: &str =
    "id, at, actor_account_id, subject_account_id, action, outcome, ip, user_agent, details";

/// An audit event checked and cleaned for its row (AU-2, AU-3): what `insert_audit!` writes.
pub(crate) struct AuditRow {
    pub actor: Option<i64>,
    pub subject: Option<i64>,
    pub action: &'static str,
    pub outcome: &'static str,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: String,
}

impl AuditRow {
    /// [`DomainError::InvalidInput`] when the details break the rules; nothing is written then.
    pub fn new(event: &NewAuditEvent) -> Result<Self> {
        Ok(Self {
            actor: event.actor.map(|a| a.0),
            subject: event.subject.map(|a| a.0),
            action: event.action.as_str(),
            outcome: event.outcome.as_str(),
            ip: client_text(event.ip.as_deref(), AUDIT_IP_MAX_CHARS),
            user_agent: client_text(event.user_agent.as_deref(), AUDIT_USER_AGENT_MAX_CHARS),
            details: details_text(&event.details)?,
        })
    }
}

/// A value bound to a dynamically built query.
enum Bind {
    I64(i64),
    Text(&'static str),
}

impl Store {
    /// Appends one event to the audit log (AU-1), stamped with the store's clock. The address
    /// and user agent are cleaned (control characters dropped, cut to 64 and 512 characters,
    /// AU-3); details must be a JSON object of at most 4096 characters with no secret-named key
    /// at any depth (AU-2, see [`crate::audit::is_secret_key`]), else
    /// [`DomainError::InvalidInput`] and nothing is written. Actor and subject are not checked
    /// against the accounts table: the log also records events about unknown usernames, and
    /// outlives what it describes.
    pub(crate) async fn audit(&self, event: NewAuditEvent) -> Result<()> {
        let row = AuditRow::new(&event)?;
        let now = self.now();
        with_pool!(self, pool => {
            insert_audit!(pool, &row, now)?;
        });
        Ok(())
    }

    /// Audit events matching every filter `query` sets, newest (highest id) first, at most
    /// [`AuditQuery::effective_limit`] of them (500 at most). For the next page, pass the last
    /// id returned as `before_id`. `since` is inclusive, `until` exclusive.
    pub(crate) async fn audit_events(&self, query: AuditQuery) -> Result<Vec<AuditEvent>> {
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let mut push = |condition: &str, value: Bind| {
            binds.push(value);
            conditions.push(format!("{condition} ${}", binds.len()));
        };
        if let Some(subject) = query.subject {
            push("subject_account_id =", Bind::I64(subject.0));
        }
        if let Some(actor) = query.actor {
            push("actor_account_id =", Bind::I64(actor.0));
        }
        if let Some(action) = query.action {
            push("action =", Bind::Text(action.as_str()));
        }
        if let Some(since) = query.since {
            push("at >=", Bind::I64(since.as_millis()));
        }
        if let Some(until) = query.until {
            push("at <", Bind::I64(until.as_millis()));
        }
        if let Some(before) = query.before_id {
            push("id <", Bind::I64(before.0));
        }
        let filter = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_events {filter} ORDER BY id DESC LIMIT {}",
            query.effective_limit()
        );
        with_pool!(self, pool => {
            let mut q = sqlx::query(&sql);
            for b in &binds {
                q = match b {
                    Bind::I64(v) => q.bind(*v),
                    Bind::Text(v) => q.bind(*v),
                };
            }
            q.fetch_all(pool)
                .await
                .map_err(db_err)?
                .iter()
                .map(audit_event_from_row)
                .collect()
        })
    }
}

fn audit_event_from_row(r: &impl RowExt) -> Result<AuditEvent> {
    let details: Value = serde_json::from_str(&r.text("details")?)
        .map_err(|e| DomainError::Storage(format!("unexpected stored audit details: {e}")))?;
    Ok(AuditEvent {
        id: AuditEventId(r.i64("id")?),
        at: Timestamp::from_millis(r.i64("at")?),
        event: NewAuditEvent {
            actor: r.opt_i64("actor_account_id")?.map(AccountId),
            subject: r.opt_i64("subject_account_id")?.map(AccountId),
            action: stored(AuditAction::parse(&r.text("action")?))?,
            outcome: stored(AuditOutcome::parse(&r.text("outcome")?))?,
            ip: r.opt_text("ip")?,
            user_agent: r.opt_text("user_agent")?,
            details,
        },
    })
}
