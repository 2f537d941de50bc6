//! Operator-side provisioning from the command line (issue 16): creating an account, importing
//! a token from another system, changing a role, and what the demo data needs to know.
//!
//! Whoever runs these holds the server's configuration (its database and seed key), so there is
//! no signed-in actor to check: every event is written with no actor and `"via"` naming the
//! command line in its details. What each operation writes, it writes in ONE transaction with
//! its audit event (AU-1): an account with its contacts and `account.created`; an imported
//! token with `token.added` and the "a sign-in method was added" notice to every confirmed
//! contact (AU-6, as self-service enrolment sends it); a role change with
//! `account.role_changed`. A refused operation writes nothing, event included.

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use serde_json::json;

use crate::{
    notify, AccountId, AccountState, AuditAction, AuditOutcome, ContactValue, DomainError,
    NewAccount, NewAuditEvent, NewContact, NewToken, Password, PasswordHasher, Result, Role,
    SeedCipher, Store, TokenId, TokenKind, TokenState, TotpSecret, Username,
};

/// An account to create, its input already parsed (the username canonical, contacts checked).
#[derive(Clone, Debug)]
pub struct NewAccountRequest {
    /// The canonical username.
    pub username: Username,
    /// The name shown to people: one line (checked again by [`Provisioning::create_account`]).
    pub display_name: String,
    /// The account's role.
    pub role: Role,
    /// Its contacts. At most one may be the recovery address, which must be a confirmed e-mail
    /// address; no value may appear twice.
    pub contacts: Vec<NewContact>,
}

impl NewAccountRequest {
    /// A request with no contacts yet.
    pub fn new(username: Username, display_name: impl Into<String>, role: Role) -> Self {
        Self {
            username,
            display_name: display_name.into(),
            role,
            contacts: Vec::new(),
        }
    }

    /// Adds a contact the administrator vouches for (confirmed). The same value given twice
    /// (say as a contact and as the recovery address) stays one contact, the recovery address
    /// if either said so.
    pub fn add_contact(&mut self, value: ContactValue, is_recovery: bool) {
        if let Some(existing) = self.contacts.iter_mut().find(|c| c.value == value) {
            existing.is_recovery |= is_recovery;
        } else {
            self.contacts.push(NewContact {
                value,
                confirmed: true,
                is_recovery,
            });
        }
    }

    /// The rules on contacts, checked before anything costly or written.
    fn check_contacts(&self) -> Result<()> {
        for (i, contact) in self.contacts.iter().enumerate() {
            if self.contacts[..i].iter().any(|c| c.value == contact.value) {
                return Err(DomainError::invalid(
                    "contacts",
                    format!("{} is given twice", contact.value.as_str()),
                ));
            }
            if contact.is_recovery
                && !(contact.confirmed && matches!(contact.value, ContactValue::Email(_)))
            {
                return Err(DomainError::invalid(
                    "recovery address",
                    "must be a confirmed e-mail address",
                ));
            }
        }
        if self.contacts.iter().filter(|c| c.is_recovery).count() > 1 {
            return Err(DomainError::invalid(
                "recovery address",
                "an account has at most one",
            ));
        }
        Ok(())
    }
}

/// A token brought over from another system, its input already parsed. It is active at once.
#[derive(Debug)]
pub struct ImportedToken {
    /// TOTP, SMS or e-mail.
    pub kind: TokenKind,
    /// TOTP only: the shared seed (sealed before it is stored).
    pub secret: Option<TotpSecret>,
    /// SMS (a phone number) and e-mail (an address) only: where the codes go.
    pub target: Option<ContactValue>,
    /// The owner's name for it: one line, 1 to 64 characters.
    pub label: String,
    /// The device that holds it; tokens on one phone share it.
    pub device: Option<String>,
}

/// Provisioning by whoever runs the command line. Cheap to clone.
#[derive(Clone)]
pub struct Provisioning {
    store: Store,
    hasher: PasswordHasher,
    cipher: Arc<SeedCipher>,
    public_url: Arc<str>,
}

impl fmt::Debug for Provisioning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provisioning").finish_non_exhaustive()
    }
}

impl Provisioning {
    /// `public_url` is the configured base URL put in notices (CS-8). Time comes from the
    /// store's clock.
    pub fn new(
        store: Store,
        hasher: PasswordHasher,
        cipher: Arc<SeedCipher>,
        public_url: &str,
    ) -> Self {
        Self {
            store,
            hasher,
            cipher,
            public_url: public_url.into(),
        }
    }

    /// Creates an active account with its contacts (taken as confirmed when the request says
    /// so) and audits `account.created` (no actor; details `via`, `role`, `contacts`), all in
    /// one transaction. The input is checked before the password is hashed; a taken username
    /// is a [`DomainError::Conflict`]. A refusal writes nothing.
    pub async fn create_account(
        &self,
        request: NewAccountRequest,
        password: Password,
    ) -> Result<AccountId> {
        let display_name = crate::display_name(&request.display_name)?;
        request.check_contacts()?;
        let password_hash = self.hasher.hash(&password).await?;
        let role = request.role;
        let contacts = request.contacts.len();
        let event = move |id: AccountId| {
            NewAuditEvent::new(AuditAction::AccountCreated, AuditOutcome::Success)
                .subject(id)
                .details(json!({ "via": "cli", "role": role.as_str(), "contacts": contacts }))
        };
        self.store
            .insert_account(
                NewAccount {
                    username: request.username,
                    display_name,
                    password_hash,
                    role,
                    state: AccountState::Active,
                },
                &request.contacts,
                Some(event),
            )
            .await
    }

    /// Imports an active token for `username`: the TOTP seed sealed for that account, the
    /// token stored, the "a sign-in method was added" notice queued to every confirmed contact
    /// (AU-6) and `token.added` audited (no actor; details `via: cli_import`, `token_id`,
    /// `kind`), in one transaction. An unknown username is [`DomainError::NotFound`]; a token
    /// whose kind does not match what it carries, or a bad label or device, is
    /// [`DomainError::InvalidInput`]. A refusal writes nothing.
    pub async fn import_token(&self, username: &Username, token: ImportedToken) -> Result<TokenId> {
        let label = crate::token_label(&token.label)?;
        let device = match &token.device {
            Some(device) => crate::device_name(device)?,
            None => None,
        };
        let account = self
            .store
            .account_by_username(username)
            .await?
            .ok_or_else(|| DomainError::NotFound(format!("there is no account {username}")))?;
        let secret_enc = token
            .secret
            .as_ref()
            .map(|secret| secret.seal(&self.cipher, account.id))
            .transpose()?;
        let notice = notify::token_added_notice(&account.display_name, &label, &self.public_url);
        let kind = token.kind;
        self.store
            .insert_token_notified(
                NewToken {
                    account_id: account.id,
                    kind,
                    label,
                    device,
                    state: TokenState::Active,
                    secret_enc,
                    target: token.target,
                },
                Some(&notice),
                Some(|id: TokenId| {
                    NewAuditEvent::new(AuditAction::TokenAdded, AuditOutcome::Success)
                        .subject(account.id)
                        .details(json!({
                            "via": "cli_import",
                            "token_id": id.0,
                            "kind": kind.as_str(),
                        }))
                }),
            )
            .await
    }

    /// Gives the account `username` the role `role`, audited as `account.role_changed` (no
    /// actor; details `via`, `from`, `to`) in the same transaction; it takes effect on the
    /// account's next request (AC-5). Returns the role it had before. When it already has
    /// `role`, nothing changes and nothing is written. An unknown username is
    /// [`DomainError::NotFound`].
    pub async fn set_role(&self, username: &Username, role: Role) -> Result<Role> {
        // The change is conditional on the role read: a concurrent change makes it match
        // nothing, and it is read again (the event's `from` is always the replaced role).
        for _ in 0..3 {
            let account = self
                .store
                .account_by_username(username)
                .await?
                .ok_or_else(|| DomainError::NotFound(format!("no account named {username}")))?;
            let from = account.role;
            if from == role {
                return Ok(from);
            }
            let event = NewAuditEvent::new(AuditAction::RoleChanged, AuditOutcome::Success)
                .subject(account.id)
                .details(json!({ "via": "cli", "from": from.as_str(), "to": role.as_str() }));
            if self
                .store
                .change_role(account.id, from, role, &event)
                .await?
            {
                return Ok(from);
            }
        }
        Err(DomainError::Conflict(format!(
            "the role of {username} kept changing meanwhile; nothing was written, try again"
        )))
    }

    /// How many accounts exist (the demo data goes only into an empty installation).
    pub async fn account_count(&self) -> Result<i64> {
        self.store.count_accounts().await
    }

    /// Whether an account named `username` exists.
    pub async fn account_exists(&self, username: &Username) -> Result<bool> {
        Ok(self.store.account_by_username(username).await?.is_some())
    }
}
