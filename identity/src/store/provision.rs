//! Operator-side provisioning in the store (issue 16): an account with its contacts, and an
//! imported token with its "token added" notice, each written in ONE transaction with its audit
//! event, so that nothing is created unaudited and no event describes something that was not
//! written. The rules are in [`crate::Provisioning`].

use super::outbox::enqueue_in;
use super::selfservice::{audit_in, notify_contacts_in};
use super::{
    check_token_shape, contact_insert_error, db_err, is_foreign_key_violation, is_unique_violation,
    Pool, RowExt, Store,
};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::contact::ContactValue;
use crate::error::{DomainError, Result};
use crate::notify::Notice;
use crate::store::{AccountId, ContactId, NewAccount, NewContact, NewToken, TokenId};
use crate::text::{device_name, display_name, token_label};

impl Store {
    /// Creates an account and its contacts in one transaction, with `event(id)` audited in it
    /// when given ([`Store::create_account_with`] passes none). A taken username is a
    /// [`DomainError::Conflict`]; if any part is refused (the account, a contact, the event's
    /// details) nothing is written.
    pub(crate) async fn insert_account(
        &self,
        new: NewAccount,
        contacts: &[NewContact],
        event: Option<impl FnOnce(AccountId) -> NewAuditEvent>,
    ) -> Result<AccountId> {
        let display_name = display_name(&new.display_name)?;
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let inserted = sqlx::query(
                "INSERT INTO accounts \
                 (username, display_name, password_hash, state, role, created_at, updated_at, \
                 search_name) VALUES ($1, $2, $3, $4, $5, $6, $6, $7) RETURNING id",
            )
            .bind(new.username.as_str())
            .bind(&display_name)
            .bind(new.password_hash.as_str())
            .bind(new.state.as_str())
            .bind(new.role.as_str())
            .bind(now)
            .bind(crate::console::search_key(&display_name))
            .fetch_one(&mut *tx)
            .await;
            let id = match inserted {
                Ok(row) => AccountId(row.i64("id")?),
                Err(e) if is_unique_violation(&e) => {
                    return Err(DomainError::Conflict(format!(
                        "the username {} is already taken",
                        new.username
                    )));
                }
                Err(e) => return Err(db_err(e)),
            };
            for contact in contacts {
                insert_contact!(&mut *tx, id, contact, now)?;
            }
            if let Some(event) = event {
                audit_in!(&mut *tx, &event(id), now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }

    /// Records a token that is active at once (imported from another system) in one
    /// transaction with `notice` queued to every confirmed contact of its account and
    /// `event(id)` audited. The token's shape, label and device are checked as by
    /// [`Store::insert_token`]; an unknown account is [`DomainError::NotFound`]. If anything is
    /// refused, nothing is written.
    pub(crate) async fn insert_token_notified(
        &self,
        new: NewToken,
        notice: &Notice,
        event: impl FnOnce(TokenId) -> NewAuditEvent,
    ) -> Result<TokenId> {
        let label = token_label(&new.label)?;
        let device = match &new.device {
            Some(d) => device_name(d)?,
            None => None,
        };
        check_token_shape(&new)?;
        let target = new.target.as_ref().map(ContactValue::as_str);
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let inserted = sqlx::query(
                "INSERT INTO tokens \
                 (account_id, kind, label, device, state, secret_enc, target, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(new.account_id.0)
            .bind(new.kind.as_str())
            .bind(&label)
            .bind(device.as_deref())
            .bind(new.state.as_str())
            .bind(new.secret_enc.as_deref())
            .bind(target)
            .bind(now)
            .fetch_one(&mut *tx)
            .await;
            let id = match inserted {
                Ok(row) => TokenId(row.i64("id")?),
                Err(e) if is_foreign_key_violation(&e) => {
                    return Err(DomainError::NotFound("account not found".into()));
                }
                Err(e) => return Err(db_err(e)),
            };
            notify_contacts_in!(&mut *tx, new.account_id.0, notice, now)?;
            audit_in!(&mut *tx, &event(id), now)?;
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }
}
