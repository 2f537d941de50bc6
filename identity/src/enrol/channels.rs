//! SMS and e-mail tokens and the account's contacts: each new number or address is usable only
//! once a 6-digit code sent to it comes back (OOB-1). Every addition or change needs a recent
//! authentication (RB-1), is rate limited as a send (OOB-9), tells the channels the account
//! already had in the same transaction (RB-2, OOB-8) and is audited (AU-1).
//!
//! Ids from requests are only ever looked up under the caller's account (AC-2): another
//! account's token or contact is simply not found.

use serde_json::json;

use super::{DomainError, Enrolment};
use crate::notify::{self, confirmation_code_message, Channel, Notice};
use crate::store::{ConfirmOutcome, Confirms, NewConfirmable};
use crate::SignedIn;
use crate::{
    auth::notice_messages, Account, AccountId, AuditAction, AuditOutcome, Client, Contact,
    ContactId, ContactKind, ContactValue, Email, NewAuditEvent, NewContact, NewOutboxMessage,
    NewToken, OobCode, PhoneNumber, Scope, ThrottleKey, Token, TokenId, TokenKind, TokenState,
    ENROLMENT_TTL, OOB_CODE_TTL,
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
pub fn parse_target(kind: ContactKind, typed: &str) -> Result<ContactValue, DomainError> {
    if typed.len() > TARGET_MAX_BYTES {
        return Err(DomainError::Invalid(match kind {
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

/// The kind of contact an SMS or e-mail token's codes go to; `None` for an authenticator app.
fn contact_kind(kind: TokenKind) -> Option<ContactKind> {
    match kind {
        TokenKind::Sms => Some(ContactKind::Phone),
        TokenKind::Email => Some(ContactKind::Email),
        TokenKind::Totp | TokenKind::Webauthn => None,
    }
}

/// How [`Enrolment::send_code`] sends a confirmation code.
enum Sending {
    /// With a new pending token or contact, inserted with the code in one transaction.
    New(NewConfirmable),
    /// For one already pending: the new code replaces its old one (the count of wrong codes
    /// stays, OOB-6).
    Again(Confirms),
}

impl Enrolment {
    fn require_recent(&self, caller: &SignedIn) -> Result<(), DomainError> {
        if !self.is_recent(caller.session()) {
            return Err(DomainError::NotRecent);
        }
        Ok(())
    }

    /// The caller's SMS or e-mail token `id` still waiting for its code, once the session is
    /// recent (RB-1).
    async fn own_pending_oob(&self, caller: &SignedIn, id: TokenId) -> Result<Token, DomainError> {
        self.require_recent(caller)?;
        self.store
            .token(caller.account().id, id)
            .await?
            .filter(|t| t.state == TokenState::Pending && t.kind != TokenKind::Totp)
            .ok_or(DomainError::not_found("enrolment"))
    }

    /// The caller's contact `id` (only while unconfirmed, with `unconfirmed`), once the session
    /// is recent (RB-1).
    async fn own_contact(
        &self,
        caller: &SignedIn,
        id: ContactId,
        unconfirmed: bool,
    ) -> Result<Contact, DomainError> {
        self.require_recent(caller)?;
        self.store
            .contact(caller.account().id, id)
            .await?
            .filter(|c| !(unconfirmed && c.confirmed))
            .ok_or(DomainError::not_found("enrolment"))
    }

    /// The account's contact `id`, as stored now.
    async fn stored_contact(
        &self,
        account: &Account,
        id: ContactId,
    ) -> Result<Contact, DomainError> {
        self.store
            .contact(account.id, id)
            .await?
            .ok_or(DomainError::not_found("enrolment"))
    }

    /// What a change the account makes to itself writes in its transaction: `notice`, one
    /// message to each channel the account has (RB-2), and `action` audited as a success with
    /// `details` (AU-1).
    async fn told(
        &self,
        account: &Account,
        client: &Client,
        notice: &Notice,
        action: AuditAction,
        details: serde_json::Value,
    ) -> Result<(Vec<NewOutboxMessage>, NewAuditEvent), DomainError> {
        let notices = notice_messages(&self.store, account.id, notice).await?;
        let audit = NewAuditEvent::own(action, AuditOutcome::Success, account.id, client);
        Ok((notices, audit.details(details)))
    }

    /// Counts one code send against the account's and the address's limits (OOB-9); refuses,
    /// audited, when either is spent.
    async fn count_send(&self, account: &Account, client: &Client) -> Result<(), DomainError> {
        let mut keys = vec![ThrottleKey::account_sends(account.id)];
        if let Some(ip) = &client.ip {
            keys.push(ThrottleKey::ip(ip, Scope::CodeSend));
        }
        for key in &keys {
            if let Some(error) = DomainError::from_throttle(self.store.throttle_hit(key).await?) {
                self.store
                    .audit(
                        NewAuditEvent::new(AuditAction::RateLimited, AuditOutcome::Denied)
                            .subject(account.id)
                            .with_client(client)
                            .details(json!({ "limit": "sends" })),
                    )
                    .await?;
                return Err(error);
            }
        }
        Ok(())
    }

    /// Sends a 6-digit code to `target` (counted as a send, OOB-9), bound to what it confirms,
    /// as `sending` says; audited as `code.sent`. Returns what the code confirms.
    async fn send_code(
        &self,
        account: &Account,
        client: &Client,
        target: &ContactValue,
        sending: Sending,
    ) -> Result<Confirms, DomainError> {
        self.count_send(account, client).await?;
        let code = OobCode::generate();
        let coded = |what| {
            let hash = self.codes.hash(code.as_str(), &binding(account.id, what));
            let message =
                confirmation_code_message(target, &account.display_name, &code, OOB_CODE_TTL)?;
            Ok((hash, message))
        };
        let what = match sending {
            Sending::New(new) => self.store.insert_with_code(new, coded).await?,
            Sending::Again(what) => {
                let (hash, message) = coded(what)?;
                let reissued = self
                    .store
                    .reissue_code(account.id, what, hash, message, ENROLMENT_TTL)
                    .await?;
                if !reissued {
                    return Err(DomainError::not_found("enrolment"));
                }
                what
            }
        };
        let (purpose, id) = match what {
            Confirms::Token(t) => ("token", t.0),
            Confirms::Contact(c) => ("contact", c.0),
        };
        let channel = Channel::for_contact(target.kind()).as_str();
        let sent = NewAuditEvent::own(
            AuditAction::CodeSent,
            AuditOutcome::Success,
            account.id,
            client,
        );
        let details = json!({ "purpose": purpose, "id": id, "channel": channel });
        self.store.audit(sent.details(details)).await?;
        Ok(what)
    }

    /// Starts adding an SMS (`kind` Sms, `target` a phone number) or e-mail token: a pending
    /// token and a 6-digit code sent to the number or address, in one transaction. It becomes
    /// active only with that code ([`Self::finish_oob`]), within [`ENROLMENT_TTL`].
    pub async fn start_oob(
        &self,
        caller: &SignedIn,
        new: NewOobToken<'_>,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let account = caller.account();
        let NewOobToken {
            kind,
            target,
            label,
            device,
        } = new;
        self.require_recent(caller)?;
        let Some(contact_kind) = contact_kind(kind) else {
            return Err(DomainError::Invalid(
                "invalid token: an authenticator app is set up with a QR code".into(),
            ));
        };
        // Bad input changes nothing and costs no send.
        let target = parse_target(contact_kind, target)?;
        let new = NewToken {
            account_id: account.id,
            kind,
            label: crate::token_label(label)?,
            device: crate::device_name(device)?,
            state: TokenState::Pending,
            secret_enc: None,
            target: Some(target.clone()),
        };
        let sending = Sending::New(NewConfirmable::Token(new));
        let Confirms::Token(id) = self.send_code(account, client, &target, sending).await? else {
            return Err(DomainError::not_found("enrolment"));
        };
        self.stored_token(account, id).await
    }

    /// The SMS or e-mail token being added (pending, fresh, its code not used up), if any.
    pub async fn pending_oob(&self, caller: &SignedIn) -> Result<Option<Token>, DomainError> {
        let account = caller.account();
        self.store
            .pending_oob_token(account.id, ENROLMENT_TTL)
            .await
    }

    /// Sends a new code for the pending SMS or e-mail `token` (the old one stops working; the
    /// count of wrong codes stays, OOB-6).
    pub async fn resend_oob(
        &self,
        caller: &SignedIn,
        token: TokenId,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let pending = self.own_pending_oob(caller, token).await?;
        let kind = contact_kind(pending.kind).unwrap_or(ContactKind::Email);
        let target = parse_target(kind, pending.target.as_deref().unwrap_or_default())?;
        let again = Sending::Again(Confirms::Token(pending.id));
        self.send_code(caller.account(), client, &target, again)
            .await?;
        Ok(pending)
    }

    /// Finishes adding an SMS or e-mail token with the code sent to it: active from now on,
    /// and the channels the account had are told in the same transaction (RB-2).
    pub async fn finish_oob(
        &self,
        caller: &SignedIn,
        token: TokenId,
        code: &str,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let account = caller.account();
        let pending = self.own_pending_oob(caller, token).await?;
        let notice =
            notify::token_added_notice(&account.display_name, &pending.label, self.public_url());
        let details = json!({ "token_id": pending.id.0, "kind": pending.kind.as_str() });
        let (notices, added) = self
            .told(account, client, &notice, AuditAction::TokenAdded, details)
            .await?;
        self.confirm(account, Confirms::Token(pending.id), code, &notices, added)
            .await?;
        self.stored_token(account, pending.id).await
    }

    /// Checks a confirmation code; on success the store confirms `what`, queues `notices` and
    /// writes `success` in one transaction. A wrong code is audited as `success` with the
    /// outcome `failure`.
    async fn confirm(
        &self,
        account: &Account,
        what: Confirms,
        code: &str,
        notices: &[NewOutboxMessage],
        success: NewAuditEvent,
    ) -> Result<(), DomainError> {
        // A malformed code is checked as a hash no code has, so it counts as a wrong one.
        let hash = match OobCode::normalise(code) {
            Some(code) => self.codes.hash(code.as_str(), &binding(account.id, what)),
            None => [0; 32],
        };
        let outcome = self
            .store
            .confirm_code(account.id, what, hash, ENROLMENT_TTL, notices, &success)
            .await?;
        let refused = match outcome {
            ConfirmOutcome::Confirmed => return Ok(()),
            ConfirmOutcome::NotFound => return Err(DomainError::not_found("enrolment")),
            ConfirmOutcome::WrongCode => DomainError::InvalidCode,
            ConfirmOutcome::UsedUp => DomainError::UsedUp,
        };
        let failure = NewAuditEvent {
            outcome: AuditOutcome::Failure,
            ..success
        };
        self.store.audit(failure).await?;
        Err(refused)
    }

    /// The account's contacts (e-mail addresses and phone numbers, confirmed or not), oldest
    /// first.
    pub async fn contacts(&self, caller: &SignedIn) -> Result<Vec<Contact>, DomainError> {
        let account = caller.account();
        self.store.contacts(account.id).await
    }

    /// Adds an e-mail address or phone number, unconfirmed, and sends a code to it (one
    /// transaction). It is used for nothing until [`Self::confirm_contact`].
    pub async fn add_contact(
        &self,
        caller: &SignedIn,
        kind: ContactKind,
        value: &str,
        client: &Client,
    ) -> Result<Contact, DomainError> {
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
            return Err(DomainError::Invalid(match kind {
                ContactKind::Email => "you have already added this email address".into(),
                ContactKind::Phone => "you have already added this phone number".into(),
            }));
        }
        let new = NewContact {
            value: value.clone(),
            confirmed: false,
            is_recovery: false,
        };
        let sending = Sending::New(NewConfirmable::Contact(account.id, new));
        let Confirms::Contact(id) = self.send_code(account, client, &value, sending).await? else {
            return Err(DomainError::not_found("enrolment"));
        };
        self.stored_contact(account, id).await
    }

    /// Sends a new code to an unconfirmed contact of the account.
    pub async fn resend_contact_code(
        &self,
        caller: &SignedIn,
        contact: ContactId,
        client: &Client,
    ) -> Result<Contact, DomainError> {
        let found = self.own_contact(caller, contact, true).await?;
        let again = Sending::Again(Confirms::Contact(found.id));
        let value = parse_target(found.kind, &found.value)?;
        self.send_code(caller.account(), client, &value, again)
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
    ) -> Result<Contact, DomainError> {
        let account = caller.account();
        let found = self.own_contact(caller, contact, true).await?;
        let value = parse_target(found.kind, &found.value)?;
        let notice = notify::contact_added_notice(
            &account.display_name,
            found.kind,
            &shown(&value),
            self.public_url(),
        );
        // The contact is not confirmed yet, so it is not among those told: the previous channels.
        let details = json!({ "contact_id": found.id.0, "kind": found.kind.as_str() });
        let (notices, added) = self
            .told(account, client, &notice, AuditAction::ContactAdded, details)
            .await?;
        self.confirm(account, Confirms::Contact(found.id), code, &notices, added)
            .await?;
        self.stored_contact(account, found.id).await
    }

    /// Removes one of the account's contacts (its recovery role goes with it). Every confirmed
    /// channel the account had, the removed one included, is told in the same transaction.
    pub async fn remove_contact(
        &self,
        caller: &SignedIn,
        contact: ContactId,
        client: &Client,
    ) -> Result<Contact, DomainError> {
        let account = caller.account();
        let found = self.own_contact(caller, contact, false).await?;
        let notice = notify::contact_removed_notice(
            &account.display_name,
            found.kind,
            &shown_stored(found.kind, &found.value),
            self.public_url(),
        );
        let details = json!({
            "contact_id": found.id.0,
            "kind": found.kind.as_str(),
            "was_recovery": found.is_recovery,
        });
        let (notices, audit) = self
            .told(
                account,
                client,
                &notice,
                AuditAction::ContactRemoved,
                details,
            )
            .await?;
        self.store
            .remove_contact(account.id, found.id, &notices, &audit)
            .await?
            .ok_or(DomainError::not_found("enrolment"))
    }

    /// Makes a confirmed e-mail address of the account its recovery address (the one
    /// Emergency Access sends its proof to); the previous one, if any, stops being it. Every
    /// confirmed channel is told in the same transaction.
    pub async fn set_recovery_address(
        &self,
        caller: &SignedIn,
        contact: ContactId,
        client: &Client,
    ) -> Result<Contact, DomainError> {
        let found = self.own_contact(caller, contact, false).await?;
        if found.kind != ContactKind::Email || !found.confirmed {
            return Err(DomainError::Invalid(
                "only a confirmed email address can be the recovery address".into(),
            ));
        }
        let account = caller.account();
        let notice =
            notify::recovery_address_notice(&account.display_name, &found.value, self.public_url());
        let details = json!({ "contact_id": found.id.0 });
        let (notices, audit) = self
            .told(
                account,
                client,
                &notice,
                AuditAction::RecoveryAddressSet,
                details,
            )
            .await?;
        let set = self
            .store
            .set_recovery_contact(account.id, found.id, &notices, &audit)
            .await?;
        if !set {
            return Err(DomainError::not_found("enrolment"));
        }
        self.stored_contact(account, found.id).await
    }
}

#[cfg(test)]
mod tests;
