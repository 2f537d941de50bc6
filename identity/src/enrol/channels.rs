//! SMS and e-mail tokens and the account's contacts: each new number or address is usable only
//! once a 6-digit code sent to it comes back (OOB-1). Every addition or change needs a recent
//! authentication (RB-1), is rate limited as a send (OOB-9), tells the channels the account
//! already had in the same transaction (RB-2, OOB-8) and is audited (AU-1).
//!
//! Ids from requests are only ever looked up under the caller's account (AC-2): another
//! account's token or contact is simply not found.

use serde_json::json;

use super::{EnrolError, Enrolment};
use crate::notify::{self, confirmation_code_message};
use crate::store::{ConfirmOutcome, Confirms, NewConfirmable};
use crate::SignedIn;
use crate::{
    auth::notice_messages, Account, AccountId, AuditAction, AuditOutcome, Client, Contact,
    ContactId, ContactKind, ContactValue, Email, NewAuditEvent, NewContact, NewToken, OobCode,
    PhoneNumber, Scope, ThrottleKey, Token, TokenId, TokenKind, TokenState, ENROLMENT_TTL,
    OOB_CODE_TTL,
};

/// An SMS or e-mail token to add, as typed: its kind (SMS or e-mail), the number or address its
/// codes go to, its label and the device it is on (empty: none).
#[derive(Clone, Copy, Debug)]
pub struct NewOobToken<'a> {
    pub kind: TokenKind,
    pub target: &'a str,
    pub label: &'a str,
    pub device: &'a str,
}

/// Longest typed address or number looked at; anything longer is refused before parsing.
const TARGET_MAX_BYTES: usize = 320;

/// Reads a typed number (SMS) or address (e-mail), with a clear message when it is not one.
pub fn parse_target(kind: ContactKind, typed: &str) -> Result<ContactValue, EnrolError> {
    if typed.len() > TARGET_MAX_BYTES {
        return Err(EnrolError::Invalid(match kind {
            ContactKind::Email => "invalid email: is too long".into(),
            ContactKind::Phone => "invalid phone number: is too long".into(),
        }));
    }
    Ok(match kind {
        ContactKind::Email => Email::parse(typed)?.into(),
        ContactKind::Phone => PhoneNumber::parse(typed)?.into(),
    })
}

/// How a number or address is shown to its owner: a phone number grouped (`+420 601 123 456`),
/// an address as it is.
pub fn shown(value: &ContactValue) -> String {
    match value {
        ContactValue::Phone(p) => p.formatted(),
        ContactValue::Email(e) => e.as_str().to_owned(),
    }
}

/// The stored value of a token's target or a contact, as [`shown`] shows it.
pub fn shown_stored(kind: ContactKind, stored: &str) -> String {
    match parse_target(kind, stored) {
        Ok(value) => shown(&value),
        Err(_) => stored.to_owned(),
    }
}

/// What a confirmation code's hash is bound to: the account and what it confirms, so a code
/// (or its hash) for one pending token or contact never confirms another.
fn binding(account: AccountId, what: Confirms) -> [u8; 17] {
    let (tag, id) = match what {
        Confirms::Token(t) => (b't', t.0),
        Confirms::Contact(c) => (b'c', c.0),
    };
    let mut out = [0u8; 17];
    out[0] = tag;
    out[1..9].copy_from_slice(&account.0.to_be_bytes());
    out[9..].copy_from_slice(&id.to_be_bytes());
    out
}

impl Enrolment {
    fn require_recent(&self, caller: &SignedIn) -> Result<(), EnrolError> {
        if !self.is_recent(caller.session()) {
            return Err(EnrolError::NotRecent);
        }
        Ok(())
    }

    /// Counts one code send against the account's and the address's limits (OOB-9); refuses,
    /// audited, when either is spent.
    async fn count_send(&self, account: &Account, client: &Client) -> Result<(), EnrolError> {
        let mut keys = vec![ThrottleKey::account_sends(account.id)];
        if let Some(ip) = &client.ip {
            keys.push(ThrottleKey::ip(ip, Scope::CodeSend));
        }
        for key in &keys {
            if let Some(error) = EnrolError::from_throttle(self.store.throttle_hit(key).await?) {
                self.store
                    .audit(
                        NewAuditEvent::new(AuditAction::RateLimited, AuditOutcome::Denied)
                            .subject(account.id)
                            .client(client.ip.clone(), client.user_agent.clone())
                            .details(json!({ "limit": "sends" })),
                    )
                    .await?;
                return Err(error);
            }
        }
        Ok(())
    }

    async fn audit_sent(
        &self,
        account: &Account,
        client: &Client,
        what: Confirms,
        channel: &str,
    ) -> Result<(), EnrolError> {
        let (purpose, id) = match what {
            Confirms::Token(t) => ("token", t.0),
            Confirms::Contact(c) => ("contact", c.0),
        };
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::CodeSent, AuditOutcome::Success)
                    .actor(account.id)
                    .subject(account.id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(json!({ "purpose": purpose, "id": id, "channel": channel })),
            )
            .await?;
        Ok(())
    }

    /// Starts adding an SMS (`kind` Sms, `target` a phone number) or e-mail token: a pending
    /// token and a 6-digit code sent to the number or address, in one transaction. It becomes
    /// active only with that code ([`Self::finish_oob`]), within [`ENROLMENT_TTL`].
    pub async fn start_oob(
        &self,
        caller: &SignedIn,
        new: NewOobToken<'_>,
        client: &Client,
    ) -> Result<Token, EnrolError> {
        let account = caller.account();
        let NewOobToken {
            kind,
            target,
            label,
            device,
        } = new;
        self.require_recent(caller)?;
        let contact_kind = match kind {
            TokenKind::Sms => ContactKind::Phone,
            TokenKind::Email => ContactKind::Email,
            TokenKind::Totp => {
                return Err(EnrolError::Invalid(
                    "invalid token: an authenticator app is set up with a QR code".into(),
                ))
            }
        };
        // Bad input changes nothing and costs no send.
        let target = parse_target(contact_kind, target)?;
        let label = crate::token_label(label)?;
        let device = crate::device_name(device)?;
        self.count_send(account, client).await?;
        let code = OobCode::generate();
        let new = NewToken {
            account_id: account.id,
            kind,
            label,
            device,
            state: TokenState::Pending,
            secret_enc: None,
            target: Some(target.clone()),
        };
        let what = self
            .store
            .insert_with_code(NewConfirmable::Token(new), |what| {
                let hash = self.codes.hash(code.as_str(), &binding(account.id, what));
                let message =
                    confirmation_code_message(&target, &account.display_name, &code, OOB_CODE_TTL)?;
                Ok((hash, message))
            })
            .await?;
        self.audit_sent(account, client, what, kind.as_str())
            .await?;
        let Confirms::Token(id) = what else {
            return Err(EnrolError::NotFound);
        };
        self.store
            .token(account.id, id)
            .await?
            .ok_or(EnrolError::NotFound)
    }

    /// The SMS or e-mail token being added (pending, fresh, its code not used up), if any.
    pub async fn pending_oob(&self, caller: &SignedIn) -> Result<Option<Token>, EnrolError> {
        let account = caller.account();
        Ok(self
            .store
            .pending_oob_token(account.id, ENROLMENT_TTL)
            .await?)
    }

    /// Sends a new code for the pending SMS or e-mail `token` (the old one stops working; the
    /// count of wrong codes stays, OOB-6).
    pub async fn resend_oob(
        &self,
        caller: &SignedIn,
        token: TokenId,
        client: &Client,
    ) -> Result<Token, EnrolError> {
        let account = caller.account();
        self.require_recent(caller)?;
        let pending = self
            .store
            .token(account.id, token)
            .await?
            .filter(|t| t.state == TokenState::Pending && t.kind != TokenKind::Totp)
            .ok_or(EnrolError::NotFound)?;
        let contact_kind = match pending.kind {
            TokenKind::Sms => ContactKind::Phone,
            _ => ContactKind::Email,
        };
        let target = parse_target(contact_kind, pending.target.as_deref().unwrap_or_default())?;
        self.resend(account, client, Confirms::Token(pending.id), &target)
            .await?;
        Ok(pending)
    }

    async fn resend(
        &self,
        account: &Account,
        client: &Client,
        what: Confirms,
        target: &ContactValue,
    ) -> Result<(), EnrolError> {
        self.count_send(account, client).await?;
        let code = OobCode::generate();
        let hash = self.codes.hash(code.as_str(), &binding(account.id, what));
        let message =
            confirmation_code_message(target, &account.display_name, &code, OOB_CODE_TTL)?;
        if !self
            .store
            .reissue_code(account.id, what, hash, message, ENROLMENT_TTL)
            .await?
        {
            return Err(EnrolError::NotFound);
        }
        let channel = match target.kind() {
            ContactKind::Email => "email",
            ContactKind::Phone => "sms",
        };
        self.audit_sent(account, client, what, channel).await
    }

    /// Finishes adding an SMS or e-mail token with the code sent to it: active from now on,
    /// and the channels the account had are told in the same transaction (RB-2).
    pub async fn finish_oob(
        &self,
        caller: &SignedIn,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<Token, EnrolError> {
        let account = caller.account();
        self.require_recent(caller)?;
        let pending = self
            .store
            .token(account.id, token)
            .await?
            .filter(|t| t.state == TokenState::Pending && t.kind != TokenKind::Totp)
            .ok_or(EnrolError::NotFound)?;
        let notice =
            notify::token_added_notice(&account.display_name, &pending.label, &self.public_url);
        let notices = notice_messages(&self.store, account.id, &notice).await?;
        let event = |outcome| {
            NewAuditEvent::new(AuditAction::TokenAdded, outcome)
                .actor(account.id)
                .subject(account.id)
                .client(client.ip.clone(), client.user_agent.clone())
                .details(json!({ "token_id": pending.id.0, "kind": pending.kind.as_str() }))
        };
        self.confirm(
            account,
            Confirms::Token(pending.id),
            code,
            &notices,
            event(AuditOutcome::Success),
            event(AuditOutcome::Failure),
        )
        .await?;
        self.store
            .token(account.id, pending.id)
            .await?
            .ok_or(EnrolError::NotFound)
    }

    /// Checks a confirmation code; on success the store confirms `what`, queues `notices` and
    /// writes `success` in one transaction. A wrong code is audited as `failure`.
    async fn confirm(
        &self,
        account: &Account,
        what: Confirms,
        code: &str,
        notices: &[crate::NewOutboxMessage],
        success: NewAuditEvent,
        failure: NewAuditEvent,
    ) -> Result<(), EnrolError> {
        // A malformed code is checked as a hash no code has, so it counts as a wrong one.
        let hash = match OobCode::normalise(code) {
            Some(code) => self.codes.hash(code.as_str(), &binding(account.id, what)),
            None => [0; 32],
        };
        let outcome = self
            .store
            .confirm_code(account.id, what, hash, ENROLMENT_TTL, notices, &success)
            .await?;
        match outcome {
            ConfirmOutcome::Confirmed => Ok(()),
            ConfirmOutcome::WrongCode => {
                self.store.audit(failure).await?;
                Err(EnrolError::InvalidCode)
            }
            ConfirmOutcome::UsedUp => {
                self.store.audit(failure).await?;
                Err(EnrolError::UsedUp)
            }
            ConfirmOutcome::NotFound => Err(EnrolError::NotFound),
        }
    }

    /// The account's contacts (e-mail addresses and phone numbers, confirmed or not), oldest
    /// first.
    pub async fn contacts(&self, caller: &SignedIn) -> Result<Vec<Contact>, EnrolError> {
        let account = caller.account();
        Ok(self.store.contacts(account.id).await?)
    }

    /// Adds an e-mail address or phone number, unconfirmed, and sends a code to it (one
    /// transaction). It is used for nothing until [`Self::confirm_contact`].
    pub async fn add_contact(
        &self,
        caller: &SignedIn,
        kind: ContactKind,
        value: &str,
        client: &Client,
    ) -> Result<Contact, EnrolError> {
        let account = caller.account();
        self.require_recent(caller)?;
        let value = parse_target(kind, value)?;
        if self
            .store
            .contacts(account.id)
            .await?
            .iter()
            .any(|c| c.kind == kind && c.value == value.as_str())
        {
            return Err(EnrolError::Invalid(match kind {
                ContactKind::Email => "you have already added this email address".into(),
                ContactKind::Phone => "you have already added this phone number".into(),
            }));
        }
        self.count_send(account, client).await?;
        let code = OobCode::generate();
        let new = NewContact {
            value: value.clone(),
            confirmed: false,
            is_recovery: false,
        };
        let what = self
            .store
            .insert_with_code(NewConfirmable::Contact(account.id, new), |what| {
                let hash = self.codes.hash(code.as_str(), &binding(account.id, what));
                let message =
                    confirmation_code_message(&value, &account.display_name, &code, OOB_CODE_TTL)?;
                Ok((hash, message))
            })
            .await?;
        let channel = match kind {
            ContactKind::Email => "email",
            ContactKind::Phone => "sms",
        };
        self.audit_sent(account, client, what, channel).await?;
        let Confirms::Contact(id) = what else {
            return Err(EnrolError::NotFound);
        };
        self.store
            .contact(account.id, id)
            .await?
            .ok_or(EnrolError::NotFound)
    }

    /// Sends a new code to an unconfirmed contact of the account.
    pub async fn resend_contact_code(
        &self,
        caller: &SignedIn,
        contact: ContactId,
        client: &Client,
    ) -> Result<Contact, EnrolError> {
        let account = caller.account();
        self.require_recent(caller)?;
        let found = self
            .store
            .contact(account.id, contact)
            .await?
            .filter(|c| !c.confirmed)
            .ok_or(EnrolError::NotFound)?;
        let value = parse_target(found.kind, &found.value)?;
        self.resend(account, client, Confirms::Contact(found.id), &value)
            .await?;
        Ok(found)
    }

    /// Confirms a contact with the code sent to it. The channels the account had before are
    /// told in the same transaction (RB-2, OOB-8); audited as `contact.added`.
    pub async fn confirm_contact(
        &self,
        caller: &SignedIn,
        contact: ContactId,
        code: &str,
        client: &Client,
    ) -> Result<Contact, EnrolError> {
        let account = caller.account();
        self.require_recent(caller)?;
        let found = self
            .store
            .contact(account.id, contact)
            .await?
            .filter(|c| !c.confirmed)
            .ok_or(EnrolError::NotFound)?;
        let value = parse_target(found.kind, &found.value)?;
        let notice = notify::contact_added_notice(
            &account.display_name,
            found.kind,
            &shown(&value),
            &self.public_url,
        );
        // The contact is not confirmed yet, so it is not among these: the previous channels.
        let notices = notice_messages(&self.store, account.id, &notice).await?;
        let event = |outcome| {
            NewAuditEvent::new(AuditAction::ContactAdded, outcome)
                .actor(account.id)
                .subject(account.id)
                .client(client.ip.clone(), client.user_agent.clone())
                .details(json!({ "contact_id": found.id.0, "kind": found.kind.as_str() }))
        };
        self.confirm(
            account,
            Confirms::Contact(found.id),
            code,
            &notices,
            event(AuditOutcome::Success),
            event(AuditOutcome::Failure),
        )
        .await?;
        self.store
            .contact(account.id, found.id)
            .await?
            .ok_or(EnrolError::NotFound)
    }

    /// Removes one of the account's contacts (its recovery role goes with it). Every confirmed
    /// channel the account had, the removed one included, is told in the same transaction.
    pub async fn remove_contact(
        &self,
        caller: &SignedIn,
        contact: ContactId,
        client: &Client,
    ) -> Result<Contact, EnrolError> {
        let account = caller.account();
        self.require_recent(caller)?;
        let found = self
            .store
            .contact(account.id, contact)
            .await?
            .ok_or(EnrolError::NotFound)?;
        let notice = notify::contact_removed_notice(
            &account.display_name,
            found.kind,
            &shown_stored(found.kind, &found.value),
            &self.public_url,
        );
        let notices = notice_messages(&self.store, account.id, &notice).await?;
        let audit = NewAuditEvent::new(AuditAction::ContactRemoved, AuditOutcome::Success)
            .actor(account.id)
            .subject(account.id)
            .client(client.ip.clone(), client.user_agent.clone())
            .details(json!({
                "contact_id": found.id.0,
                "kind": found.kind.as_str(),
                "was_recovery": found.is_recovery,
            }));
        self.store
            .remove_contact(account.id, found.id, &notices, &audit)
            .await?
            .ok_or(EnrolError::NotFound)
    }

    /// Makes a confirmed e-mail address of the account its recovery address (the one
    /// Emergency Access sends its proof to); the previous one, if any, stops being it. Every
    /// confirmed channel is told in the same transaction.
    pub async fn set_recovery_address(
        &self,
        caller: &SignedIn,
        contact: ContactId,
        client: &Client,
    ) -> Result<Contact, EnrolError> {
        let account = caller.account();
        self.require_recent(caller)?;
        let found = self
            .store
            .contact(account.id, contact)
            .await?
            .ok_or(EnrolError::NotFound)?;
        if found.kind != ContactKind::Email || !found.confirmed {
            return Err(EnrolError::Invalid(
                "only a confirmed email address can be the recovery address".into(),
            ));
        }
        let notice =
            notify::recovery_address_notice(&account.display_name, &found.value, &self.public_url);
        let notices = notice_messages(&self.store, account.id, &notice).await?;
        let audit = NewAuditEvent::new(AuditAction::RecoveryAddressSet, AuditOutcome::Success)
            .actor(account.id)
            .subject(account.id)
            .client(client.ip.clone(), client.user_agent.clone())
            .details(json!({ "contact_id": found.id.0 }));
        if !self
            .store
            .set_recovery_contact(account.id, found.id, &notices, &audit)
            .await?
        {
            return Err(EnrolError::NotFound);
        }
        self.store
            .contact(account.id, found.id)
            .await?
            .ok_or(EnrolError::NotFound)
    }
}

#[cfg(test)]
mod tests;
