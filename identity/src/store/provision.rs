//! Operator-side provisioning in the store (issue 16): an account with its contacts, and an
//! imported token with its "token added" notice, each written in ONE transaction with its audit
//! event, so that nothing is created unaudited and no event describes something that was not
//! written. The rules are in [`crate::Provisioning`].

use super::outbox::enqueue_in;
use super::selfservice::{audit_in, notify_contacts_in};
use super::{
    contact_insert_error, db_err, is_foreign_key_violation, is_unique_violation, token_text, Pool,
    RowExt, Store,
};
use crate::audit::{
    client_text, details_text, NewAuditEvent, AUDIT_IP_MAX_CHARS, AUDIT_USER_AGENT_MAX_CHARS,
};
use crate::contact::ContactValue;
use crate::error::{DomainError, Result};
use crate::notify::Notice;
use crate::store::{AccountId, ContactId, NewAccount, NewContact, NewToken, TokenId};
use crate::text::display_name;

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

    /// Records a token in one transaction with `notice` (when given) queued to every confirmed
    /// contact of its account and `event(id)` (when given) audited. The kind decides what it
    /// must carry: TOTP a sealed seed and no target, SMS a phone number, e-mail an address (and
    /// neither of those a seed); label and device follow the text rules. An unknown account is
    /// [`DomainError::NotFound`]. If anything is refused, nothing is written.
    pub(crate) async fn insert_token_notified(
        &self,
        new: NewToken,
        notice: Option<&Notice>,
        event: Option<impl FnOnce(TokenId) -> NewAuditEvent>,
    ) -> Result<TokenId> {
        if new.kind == crate::TokenKind::Webauthn {
            // A passkey exists only with its credential: Store::insert_passkey_token.
            return Err(DomainError::invalid(
                "token",
                "a passkey is added only with its credential, through the browser",
            ));
        }
        let text = token_text(&new)?;
        let now = self.now();
        with_pool!(self, pool => {
            let mut tx = pool.begin().await.map_err(db_err)?;
            let id = insert_token_in!(&mut *tx, &new, &text, now)?;
            if let Some(notice) = notice {
                notify_contacts_in!(&mut *tx, new.account_id.0, notice, now)?;
            }
            if let Some(event) = event {
                audit_in!(&mut *tx, &event(id), now)?;
            }
            tx.commit().await.map_err(db_err)?;
            Ok(id)
        })
    }
}
