//! What MAYI ID tells people by e-mail and SMS, and the checked shape of a message before it is
//! queued in the outbox.
//!
//! Every text the service sends is written here, in English, in one place, so that a translation
//! replaces this module's text functions and nothing else. The rules every text follows:
//! - RB-5: each carries a "Not you?" line that says what to do, and no secret; the only secret
//!   any text carries is the sign-in code, in the two code messages (never in an e-mail subject,
//!   which lock screens and mail logs show).
//! - CS-8: a link is built only from the `public_url` argument, which callers take from the
//!   configuration, never from a request's `Host` header.
//! - Names and labels are the account's own (already checked single-line text); control
//!   characters are dropped again here all the same, so no text can gain a line it was not
//!   written with.
//!
//! A [`NewOutboxMessage`] is a message whose recipient is a checked address or number of the
//! right channel and whose subject is one line: header injection cannot reach the mailer.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::contact::{ContactKind, ContactValue, Email, PhoneNumber};
use crate::error::{DomainError, Result};
use crate::oob::OobCode;
use crate::store::{Token, TokenKind};
use crate::text::single_line;
use crate::time::Timestamp;

mod emergency;
pub use emergency::{
    device_blocked_notice, emergency_code_issued_notice, emergency_code_revoked_notice,
    emergency_code_used_notice, emergency_proof_email, password_changed_notice,
    password_guessing_notice, recovery_code_used_notice, recovery_codes_created_notice,
    recovery_undone_notice, token_blocked_notice, token_unblocked_notice,
};

/// The service's name, as messages say it.
const PRODUCT: &str = "MAYI ID";

/// Longest e-mail subject, in characters.
pub const SUBJECT_MAX_CHARS: usize = 200;
/// Longest e-mail body, in characters.
pub const EMAIL_BODY_MAX_CHARS: usize = 20_000;
/// Longest SMS text, in characters (three concatenated GSM segments).
pub const SMS_BODY_MAX_CHARS: usize = 459;

/// How a message travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    /// By e-mail, with a subject.
    Email,
    /// By SMS, text only.
    Sms,
}

impl Channel {
    /// Every value, in declaration order.
    pub const ALL: &'static [Self] = &[Self::Email, Self::Sms];

    /// The stored name: `email` or `sms`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
        }
    }

    /// Reads a stored name (exact, lower case).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "email" => Ok(Self::Email),
            "sms" => Ok(Self::Sms),
            _ => Err(DomainError::invalid(
                "channel",
                "must be one of: email, sms",
            )),
        }
    }

    /// The channel an SMS or e-mail token's codes travel by; `None` for TOTP and passkeys.
    pub const fn for_token(kind: TokenKind) -> Option<Self> {
        match kind {
            TokenKind::Sms => Some(Self::Sms),
            TokenKind::Email => Some(Self::Email),
            TokenKind::Totp | TokenKind::Webauthn => None,
        }
    }

    /// The channel that reaches a contact of this kind.
    pub const fn for_contact(kind: ContactKind) -> Self {
        match kind {
            ContactKind::Email => Self::Email,
            ContactKind::Phone => Self::Sms,
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A message to queue in the outbox ([`crate::Store::enqueue`]). Only its constructors make one,
/// so every queued message has a recipient of its channel's kind (a checked e-mail address or
/// E.164 number, free of CR/LF by construction), a one-line subject for e-mail and none for SMS,
/// and a bounded body without control characters other than line feeds and tabs. `Debug` does
/// not show the body (it may carry a code); the body is wiped on drop.
#[derive(Clone)]
pub struct NewOutboxMessage {
    channel: Channel,
    recipient: String,
    subject: Option<String>,
    body: Zeroizing<String>,
    expires_at: Option<Timestamp>,
}

impl NewOutboxMessage {
    /// An e-mail to `to`. The subject must be one line (no CR/LF or other control characters, no
    /// bidi controls), 1 to [`SUBJECT_MAX_CHARS`] characters.
    pub fn email(to: &Email, subject: &str, body: &str) -> Result<Self> {
        let subject = single_line("subject", subject, SUBJECT_MAX_CHARS, false)?;
        Ok(Self {
            channel: Channel::Email,
            recipient: to.as_str().to_owned(),
            subject: Some(subject),
            body: checked_body(body, EMAIL_BODY_MAX_CHARS)?,
            expires_at: None,
        })
    }

    /// An SMS to `to`, at most [`SMS_BODY_MAX_CHARS`] characters.
    pub fn sms(to: &PhoneNumber, body: &str) -> Result<Self> {
        Ok(Self {
            channel: Channel::Sms,
            recipient: to.as_str().to_owned(),
            subject: None,
            body: checked_body(body, SMS_BODY_MAX_CHARS)?,
            expires_at: None,
        })
    }

    /// A message by `channel` to `to`, which must be of that channel's kind (an address for
    /// e-mail, a number for SMS); e-mail needs a subject and SMS takes none.
    pub fn new(
        channel: Channel,
        to: &ContactValue,
        subject: Option<&str>,
        body: &str,
    ) -> Result<Self> {
        match (channel, to, subject) {
            (Channel::Email, ContactValue::Email(e), Some(subject)) => {
                Self::email(e, subject, body)
            }
            (Channel::Email, ContactValue::Email(_), None) => {
                Err(DomainError::invalid("subject", "an e-mail needs a subject"))
            }
            (Channel::Sms, ContactValue::Phone(p), None) => Self::sms(p, body),
            (Channel::Sms, ContactValue::Phone(_), Some(_)) => {
                Err(DomainError::invalid("subject", "an SMS has no subject"))
            }
            (Channel::Email, ContactValue::Phone(_), _) => Err(DomainError::invalid(
                "recipient",
                "an e-mail goes to an e-mail address",
            )),
            (Channel::Sms, ContactValue::Email(_), _) => Err(DomainError::invalid(
                "recipient",
                "an SMS goes to a phone number",
            )),
        }
    }

    /// Marks the message as carrying a short-lived secret (a code) valid until `until`: it is
    /// delivered only before then, and its body is erased from the outbox once it is sent, has
    /// failed for good, or has expired unsent (OOB-7: the code does not outlive its use).
    pub fn ephemeral(mut self, until: Timestamp) -> Self {
        self.expires_at = Some(until);
        self
    }

    /// E-mail or SMS.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The canonical address or E.164 number.
    pub fn recipient(&self) -> &str {
        &self.recipient
    }

    /// The subject (e-mail only).
    pub fn subject(&self) -> Option<&str> {
        self.subject.as_deref()
    }

    /// The text. May carry a code: never log it.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// For an ephemeral message, when it stops being worth delivering.
    pub fn expires_at(&self) -> Option<Timestamp> {
        self.expires_at
    }
}

impl fmt::Debug for NewOutboxMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (subject, body) = (self.subject.as_deref(), &self.body);
        debug_message(
            f,
            "NewOutboxMessage",
            &[],
            self.channel,
            &self.recipient,
            subject,
            body,
        )
        .field("expires_at", &self.expires_at)
        .finish()
    }
}

/// Starts the `Debug` of an outbox message, new or stored (`name`): the `lead` fields, then
/// what every message has, the body shown only by its length (it may carry a code). The
/// caller adds the rest.
pub(crate) fn debug_message<'a, 'b: 'a>(
    f: &'a mut fmt::Formatter<'b>,
    name: &str,
    lead: &[(&str, &dyn fmt::Debug)],
    channel: Channel,
    recipient: &str,
    subject: Option<&str>,
    body: &str,
) -> fmt::DebugStruct<'a, 'b> {
    let mut out = f.debug_struct(name);
    for (field, value) in lead {
        out.field(field, value);
    }
    out.field("channel", &channel)
        .field("recipient", &recipient)
        .field("subject", &subject)
        .field("body", &format_args!("<{} chars>", body.chars().count()));
    out
}

fn checked_body(body: &str, max_chars: usize) -> Result<Zeroizing<String>> {
    const FIELD: &str = "message body";
    if body.trim().is_empty() {
        return Err(DomainError::invalid(FIELD, "must not be empty"));
    }
    if body.len() > max_chars * 4 || body.chars().count() > max_chars {
        return Err(DomainError::invalid(
            FIELD,
            format!("must be at most {max_chars} characters"),
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err(DomainError::invalid(
            FIELD,
            "must not contain control characters other than line feeds and tabs",
        ));
    }
    Ok(Zeroizing::new(body.to_owned()))
}

/// A notice without secrets, ready for either channel: an e-mail (subject and body) and a short
/// SMS text. Send it to every confirmed contact the account had before the change (RB-2) with
/// [`Notice::message_to`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notice {
    /// The e-mail subject.
    pub subject: String,
    /// The e-mail body.
    pub body: String,
    /// The SMS text.
    pub sms: String,
}

impl Notice {
    /// The message for one contact: the e-mail to an address, the SMS text to a number.
    pub fn message_to(&self, to: &ContactValue) -> Result<NewOutboxMessage> {
        match to {
            ContactValue::Email(e) => NewOutboxMessage::email(e, &self.subject, &self.body),
            ContactValue::Phone(p) => NewOutboxMessage::sms(p, &self.sms),
        }
    }
}

/// The message that carries a sign-in `code` for an SMS or e-mail `token`, to the token's own
/// number or address ([`sign_in_code_sms`] or [`sign_in_code_email`], valid `ttl`): what
/// [`crate::Store::issue_oob_code`] expects. [`DomainError::InvalidInput`] for a TOTP token.
pub fn sign_in_code_message(
    token: &Token,
    display_name: &str,
    code: &OobCode,
    ttl: Duration,
) -> Result<NewOutboxMessage> {
    let target = token.target.as_deref().unwrap_or_default();
    match token.kind {
        TokenKind::Sms => {
            NewOutboxMessage::sms(&PhoneNumber::parse(target)?, &sign_in_code_sms(code, ttl))
        }
        TokenKind::Email => {
            let (subject, body) = sign_in_code_email(display_name, code, ttl);
            NewOutboxMessage::email(&Email::parse(target)?, &subject, &body)
        }
        TokenKind::Totp | TokenKind::Webauthn => Err(DomainError::invalid(
            "token",
            "codes are sent only for SMS and e-mail tokens",
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// The texts. A translation replaces everything below this line.
// ---------------------------------------------------------------------------------------------

/// The SMS that carries a sign-in code (OOB-3). The code is the only secret; no link (a link in
/// a code message is what phishing messages look like).
pub fn sign_in_code_sms(code: &OobCode, ttl: Duration) -> Zeroizing<String> {
    Zeroizing::new(format!(
        "{PRODUCT} sign-in code: {code}. It expires in {ttl} and works once. Never share it. \
         Not you? Someone knows your password: change it now.",
        code = code.as_str(),
        ttl = minutes(ttl),
    ))
}

/// The e-mail that carries a sign-in code: `(subject, body)`. The subject holds no code.
pub fn sign_in_code_email(
    display_name: &str,
    code: &OobCode,
    ttl: Duration,
) -> (String, Zeroizing<String>) {
    code_email(
        display_name,
        format!("Your {PRODUCT} sign-in code"),
        &format!("Your {PRODUCT} sign-in code is:"),
        code,
        &format!(
            "It expires in {ttl} and works only once, for the sign-in that asked for it. Never \
             share it: nobody from {PRODUCT} or your help desk will ever ask you for it.",
            ttl = minutes(ttl),
        ),
        "Not you? Then someone else has your password and is trying to sign in. Do not give \
         this code to anyone, change your password as soon as you can, and tell your help desk.",
    )
}

/// An e-mail in the shape every one-time code is sent in: the greeting, `intro`, the code on
/// a line of its own, `rules` (how long it lives, never share it) and the "Not you?" advice.
/// The subject never holds the code; the body is wiped when dropped.
pub(crate) fn code_email(
    display_name: &str,
    subject: String,
    intro: &str,
    code: &OobCode,
    rules: &str,
    not_you: &str,
) -> (String, Zeroizing<String>) {
    let body = Zeroizing::new(format!(
        "{greeting}\n\n{intro}\n\n    {code}\n\n{rules}\n\n{not_you}\n",
        greeting = greeting(display_name),
        code = code.as_str(),
    ));
    (subject, body)
}

/// A notice in the usual shape (RB-5): the greeting, what `happened`, what to do `if_you` did
/// it, and the "Not you?" advice `not_you`; `sms` says it in one short text.
fn notice(
    display_name: &str,
    subject: String,
    happened: &str,
    if_you: &str,
    not_you: &str,
    sms: String,
) -> Notice {
    Notice {
        subject,
        body: format!(
            "{greeting}\n\n{happened}\n\n{if_you}\n\n{not_you}\n",
            greeting = greeting(display_name),
        ),
        sms,
    }
}

/// What a notice says to the person who made the change themselves.
const NOTHING_TO_DO: &str = "If that was you, there is nothing to do.";

/// AU-6, RB-2: a sign-in method or contact (`what`; `named` with its label or value) was added
/// to the account.
fn added_notice(display_name: &str, what: &str, named: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    notice(
        display_name,
        format!("A {what} was added to your {PRODUCT} account"),
        &format!("The {named} was added to your {PRODUCT} account."),
        NOTHING_TO_DO,
        &format!(
            "Not you? Sign in at {url}, remove it and change your password. If you cannot sign \
             in, contact your help desk at once."
        ),
        format!(
            "{PRODUCT}: the {named} was added to your account. Not you? Remove it and change your \
             password at {url}"
        ),
    )
}

/// AU-6, RB-2: a sign-in method or contact (`what`; `named` with its label or value) was removed
/// from the account, which means `so`; the owner is asked to check their `listed` ones.
fn removed_notice(
    display_name: &str,
    what: &str,
    named: &str,
    so: &str,
    listed: &str,
    public_url: &str,
) -> Notice {
    let url = link(public_url);
    notice(
        display_name,
        format!("A {what} was removed from your {PRODUCT} account"),
        &format!("The {named} was removed from your {PRODUCT} account. {so}"),
        NOTHING_TO_DO,
        &format!(
            "Not you? Sign in at {url}, check your {listed} and change your password. If you \
             cannot sign in, contact your help desk."
        ),
        format!(
            "{PRODUCT}: the {named} was removed from your account. Not you? Check your account \
             and change your password at {url}"
        ),
    )
}

/// AU-6: the password was right but the second step failed several times in a row.
pub fn second_factor_failures_notice(display_name: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    notice(
        display_name,
        format!("Failed sign-in to your {PRODUCT} account"),
        &format!(
            "Someone entered your {PRODUCT} password correctly, then failed the second sign-in \
             step (the code) several times."
        ),
        NOTHING_TO_DO,
        &format!(
            "Not you? Then someone else knows your password. Sign in at {url} and change it now, \
             and check your sign-in methods and sessions. If you cannot sign in, contact your \
             help desk."
        ),
        format!(
            "{PRODUCT}: someone entered your password, then failed the sign-in code several \
             times. Not you? Change your password now at {url}"
        ),
    )
}

/// AU-6, RB-2: a sign-in method (token) was added to the account.
pub fn token_added_notice(display_name: &str, token_label: &str, public_url: &str) -> Notice {
    let named = format!("sign-in method \"{}\"", one_line(token_label));
    added_notice(display_name, "sign-in method", &named, public_url)
}

/// AU-6: a sign-in method (token) was removed from the account.
pub fn token_removed_notice(display_name: &str, token_label: &str, public_url: &str) -> Notice {
    removed_notice(
        display_name,
        "sign-in method",
        &format!("sign-in method \"{}\"", one_line(token_label)),
        "It can no longer be used to sign in.",
        "sign-in methods",
        public_url,
    )
}

/// How many labels a device's notice ([`device_notice`]) lists before it says "and N more".
const LOST_DEVICE_LABELS_SHOWN: usize = 20;

/// The e-mail lines that list a device's token `labels` (at most 20, then "and N more").
pub(crate) fn label_list(labels: &[&str]) -> String {
    let mut list: String = labels
        .iter()
        .take(LOST_DEVICE_LABELS_SHOWN)
        .map(|label| format!("  - \"{}\"\n", one_line(label)))
        .collect();
    if labels.len() > LOST_DEVICE_LABELS_SHOWN {
        list.push_str(&format!(
            "  - and {} more\n",
            labels.len() - LOST_DEVICE_LABELS_SHOWN
        ));
    }
    list
}

/// What the owner did to every sign-in method on a device, for [`device_notice`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceChange {
    /// Reported lost (AU-6, RB-2): the methods were removed.
    Lost,
    /// Blocked (issue 14): the methods are refused until they are unblocked.
    Blocked,
}

/// The owner reported the device `device` lost or blocked it, so every sign-in method on it
/// (`labels`) was removed or blocked and every other session of the account was ended. The
/// e-mail lists at most 20 labels; the SMS names only the device, so it stays within one
/// message whatever the number of tokens.
pub fn device_notice(
    display_name: &str,
    change: DeviceChange,
    device: &str,
    labels: &[&str],
    public_url: &str,
) -> Notice {
    let url = link(public_url);
    let device = one_line(device);
    let list = label_list(labels);
    let not_you = format!(
        "Not you? Sign in at {url}, check your sign-in methods and change your password. If \
         you cannot sign in, contact your help desk."
    );
    let sessions_ended = "Every other session of your account was ended, so whoever was signed \
                          in elsewhere is signed out.";
    match change {
        DeviceChange::Lost => notice(
            display_name,
            format!("Sign-in methods on a lost device were removed from your {PRODUCT} account"),
            &format!(
                "The device \"{device}\" was reported lost, and the sign-in methods on it were \
                 removed from your {PRODUCT} account:\n\n{list}\nThey can no longer be used to \
                 sign in. {sessions_ended}"
            ),
            &format!(
                "If that was you, set up your sign-in methods again on your new device at {url}."
            ),
            &not_you,
            format!(
                "{PRODUCT}: the device \"{device}\" was reported lost; its sign-in methods were \
                 removed from your account and your other sessions ended. Not you? Check your \
                 account and change your password at {url}"
            ),
        ),
        DeviceChange::Blocked => notice(
            display_name,
            format!("A device was blocked on your {PRODUCT} account"),
            &format!(
                "The sign-in methods on the device \"{device}\" were blocked on your {PRODUCT} \
                 account:\n\n{list}\nThey cannot be used to sign in until they are unblocked. \
                 {sessions_ended}"
            ),
            "If that was you, there is nothing to do. If the device turns up, you can unblock \
             its sign-in methods on the sign-in methods page.",
            &not_you,
            format!(
                "{PRODUCT}: the device \"{device}\" was blocked on your account and your other \
                 sessions ended. Not you? Check your account at {url}"
            ),
        ),
    }
}

/// AU-6, OTP-6: a code from the authenticator app was used again after it had been accepted.
pub fn totp_replay_notice(display_name: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    notice(
        display_name,
        format!("A sign-in code was reused on your {PRODUCT} account"),
        "A code from your authenticator app was entered again after it had already been used, \
         and was refused. A code works only once.",
        "If you sent the same code twice, there is nothing to do.",
        &format!(
            "Not you? Then someone may have seen one of your codes and knows your password. \
             Sign in at {url} and change your password now. If you cannot sign in, contact your \
             help desk."
        ),
        format!(
            "{PRODUCT}: a used sign-in code was entered again and refused. Not you? Change your \
             password now at {url}"
        ),
    )
}

/// "N minutes" (whole minutes, rounded up, at least 1).
fn minutes(ttl: Duration) -> String {
    let m = ttl.as_secs().div_ceil(60).max(1);
    if m == 1 {
        "1 minute".to_owned()
    } else {
        format!("{m} minutes")
    }
}

fn greeting(display_name: &str) -> String {
    let name = one_line(display_name);
    if name.is_empty() {
        "Hello,".to_owned()
    } else {
        format!("Hello {name},")
    }
}

/// The configured public URL, without a trailing slash.
fn link(public_url: &str) -> String {
    one_line(public_url).trim_end_matches('/').to_owned()
}

/// Text as one line: control characters dropped, trimmed, at most 100 characters.
fn one_line(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .take(100)
        .collect::<String>()
        .trim()
        .to_owned()
}

// ---------------------------------------------------------------------------------------------
// Self-service enrolment: confirming a new number or address, and the notices for contacts.
// ---------------------------------------------------------------------------------------------

/// The message that carries a code confirming a new phone number or e-mail address (a new SMS
/// or e-mail token, or a new contact), to that number or address, valid `ttl`.
pub fn confirmation_code_message(
    to: &ContactValue,
    display_name: &str,
    code: &OobCode,
    ttl: Duration,
) -> Result<NewOutboxMessage> {
    match to {
        ContactValue::Phone(p) => NewOutboxMessage::sms(
            p,
            &format!(
                "{PRODUCT} confirmation code: {code}. It expires in {ttl}. Never share it. Not \
                 you? Someone typed this number into a {PRODUCT} account: ignore this message.",
                code = code.as_str(),
                ttl = minutes(ttl),
            ),
        ),
        ContactValue::Email(e) => NewOutboxMessage::email(
            e,
            &format!("Confirm your address for {PRODUCT}"),
            &format!(
                "{greeting}\n\
                 \n\
                 To add this address to your {PRODUCT} account, type this code:\n\
                 \n\
                 \x20   {code}\n\
                 \n\
                 It expires in {ttl} and works only once. Never share it: nobody from {PRODUCT} \
                 or your help desk will ever ask you for it.\n\
                 \n\
                 Not you? Someone typed this address into a {PRODUCT} account. Ignore this \
                 message: without the code the address is not added.\n",
                greeting = greeting(display_name),
                code = code.as_str(),
                ttl = minutes(ttl),
            ),
        ),
    }
}

/// A contact as notices name it: "e-mail address a@example.org", "phone number +420 …".
fn contact_named(kind: ContactKind, shown: &str) -> String {
    let words = match kind {
        ContactKind::Email => "e-mail address",
        ContactKind::Phone => "phone number",
    };
    format!("{words} {}", one_line(shown))
}

/// RB-2, OOB-8: an e-mail address or phone number (`shown`) was added to the account.
pub fn contact_added_notice(
    display_name: &str,
    kind: ContactKind,
    shown: &str,
    public_url: &str,
) -> Notice {
    added_notice(
        display_name,
        "contact",
        &contact_named(kind, shown),
        public_url,
    )
}

/// RB-2, OOB-8: an e-mail address or phone number (`shown`) was removed from the account.
pub fn contact_removed_notice(
    display_name: &str,
    kind: ContactKind,
    shown: &str,
    public_url: &str,
) -> Notice {
    removed_notice(
        display_name,
        "contact",
        &contact_named(kind, shown),
        "We no longer send anything there.",
        "contacts",
        public_url,
    )
}

/// RB-2: the account's recovery address (used by Emergency Access) is now `address`.
pub fn recovery_address_notice(display_name: &str, address: &str, public_url: &str) -> Notice {
    let url = link(public_url);
    let address = one_line(address);
    notice(
        display_name,
        format!("Your {PRODUCT} recovery address changed"),
        &format!(
            "Your {PRODUCT} recovery address is now {address}. If you lose every sign-in \
             method, the proof that it is you is sent there."
        ),
        NOTHING_TO_DO,
        &format!(
            "Not you? Sign in at {url}, check your contacts and change your password. If you \
             cannot sign in, contact your help desk at once."
        ),
        format!(
            "{PRODUCT}: your recovery address is now {address}. Not you? Check your account and \
             change your password at {url}"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oob::OOB_CODE_TTL;

    const URL: &str = "https://id.example.org/";

    fn email(s: &str) -> Email {
        Email::parse(s).unwrap()
    }

    fn phone(s: &str) -> PhoneNumber {
        PhoneNumber::parse(s).unwrap()
    }

    fn notices() -> Vec<Notice> {
        vec![
            second_factor_failures_notice("Alice", URL),
            token_added_notice("Alice", "Work phone", URL),
            token_removed_notice("Alice", "Work phone", URL),
            totp_replay_notice("Alice", URL),
        ]
    }

    #[test]
    fn channel_names_round_trip() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()).unwrap(), *c);
            assert_eq!(c.to_string(), c.as_str());
        }
        assert!(Channel::parse("SMS").is_err());
        assert_eq!(Channel::for_token(TokenKind::Sms), Some(Channel::Sms));
        assert_eq!(Channel::for_token(TokenKind::Email), Some(Channel::Email));
        assert_eq!(Channel::for_token(TokenKind::Totp), None);
        assert_eq!(Channel::for_contact(ContactKind::Phone), Channel::Sms);
        // Token kinds and channels share their stored names.
        assert_eq!(Channel::Sms.as_str(), TokenKind::Sms.as_str());
        assert_eq!(Channel::Email.as_str(), TokenKind::Email.as_str());
    }

    #[test]
    fn subject_with_crlf_is_refused() {
        // Header injection through the subject is impossible.
        for subject in [
            "Hello\r\nBcc: victim@example.com",
            "Hello\nX-Evil: 1",
            "Hello\rX",
            "a\0b",
            "abc\u{202E}def",
            "",
            "   ",
        ] {
            let err =
                NewOutboxMessage::email(&email("a@example.com"), subject, "body").unwrap_err();
            assert!(
                matches!(
                    err,
                    DomainError::InvalidInput {
                        field: "subject",
                        ..
                    }
                ),
                "{subject:?}: {err:?}"
            );
        }
        assert!(
            NewOutboxMessage::email(&email("a@example.com"), &"x".repeat(201), "body").is_err()
        );
        let ok = NewOutboxMessage::email(&email("a@EXAMPLE.com"), "  Hi  ", "body").unwrap();
        assert_eq!(ok.subject(), Some("Hi"));
        assert_eq!(ok.recipient(), "a@example.com");
        assert_eq!(ok.channel(), Channel::Email);
    }

    #[test]
    fn body_is_bounded_and_free_of_control_characters() {
        let to = phone("+420 601 123 456");
        let sms = NewOutboxMessage::sms(&to, "line 1\nline 2\tend").unwrap();
        assert_eq!(sms.recipient(), "+420601123456");
        assert_eq!(sms.subject(), None);
        assert_eq!(sms.body(), "line 1\nline 2\tend");
        for body in ["", " \n ", "a\rb", "a\0b", "a\u{1b}[31mb"] {
            assert!(NewOutboxMessage::sms(&to, body).is_err(), "{body:?}");
        }
        assert!(NewOutboxMessage::sms(&to, &"x".repeat(SMS_BODY_MAX_CHARS)).is_ok());
        assert!(NewOutboxMessage::sms(&to, &"x".repeat(SMS_BODY_MAX_CHARS + 1)).is_err());
        let to = email("a@example.com");
        assert!(NewOutboxMessage::email(&to, "s", &"é".repeat(EMAIL_BODY_MAX_CHARS)).is_ok());
        assert!(NewOutboxMessage::email(&to, "s", &"x".repeat(EMAIL_BODY_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn recipient_must_match_the_channel() {
        let e: ContactValue = email("a@example.com").into();
        let p: ContactValue = phone("+420601123456").into();
        assert!(NewOutboxMessage::new(Channel::Email, &e, Some("s"), "b").is_ok());
        assert!(NewOutboxMessage::new(Channel::Sms, &p, None, "b").is_ok());
        for (channel, to, subject) in [
            (Channel::Email, &p, Some("s")),
            (Channel::Sms, &e, None),
            (Channel::Email, &e, None),
            (Channel::Sms, &p, Some("s")),
        ] {
            assert!(
                NewOutboxMessage::new(channel, to, subject, "b").is_err(),
                "{channel} {to:?} {subject:?}"
            );
        }
    }

    #[test]
    fn oob7_debug_hides_the_body() {
        let code = OobCode::normalise("917352").unwrap();
        let m = NewOutboxMessage::sms(
            &phone("+420601123456"),
            &sign_in_code_sms(&code, OOB_CODE_TTL),
        )
        .unwrap()
        .ephemeral(Timestamp::from_millis(5));
        let shown = format!("{m:?}");
        assert!(!shown.contains("917352"), "{shown}");
        assert!(shown.contains("+420601123456"), "{shown}");
        assert_eq!(m.expires_at(), Some(Timestamp::from_millis(5)));
    }

    #[test]
    fn oob3_rb5_code_messages_carry_the_code_ttl_and_a_not_you_line_and_no_link() {
        let code = OobCode::normalise("048213").unwrap();
        let sms = sign_in_code_sms(&code, OOB_CODE_TTL);
        assert!(sms.contains("048213"), "{}", *sms);
        assert!(sms.contains("5 minutes"), "{}", *sms);
        assert!(sms.contains("Not you?"), "{}", *sms);
        assert!(
            sms.chars().count() <= 160,
            "one SMS segment: {}",
            sms.chars().count()
        );
        NewOutboxMessage::sms(&phone("+420601123456"), &sms).unwrap();

        let (subject, body) = sign_in_code_email("Alice Example", &code, OOB_CODE_TTL);
        assert!(
            !subject.contains("048213"),
            "the subject is shown on lock screens"
        );
        assert!(body.starts_with("Hello Alice Example,\n"), "{}", *body);
        assert!(body.contains("    048213\n"), "{}", *body);
        assert!(body.contains("5 minutes"), "{}", *body);
        assert!(body.contains("Not you?"), "{}", *body);
        NewOutboxMessage::email(&email("a@example.com"), &subject, &body).unwrap();

        for text in [&*sms, &*body] {
            assert!(!text.contains("http"), "no link in a code message: {text}");
        }
        assert_eq!(minutes(Duration::from_secs(60)), "1 minute");
        assert_eq!(minutes(Duration::from_secs(61)), "2 minutes");
        assert_eq!(minutes(Duration::from_secs(1)), "1 minute");
    }

    #[test]
    fn oob3_sign_in_code_message_goes_to_the_tokens_own_target() {
        use crate::store::{AccountId, TokenId, TokenState};
        let code = OobCode::normalise("604917").unwrap();
        let token = |kind, target: Option<&str>| Token {
            id: TokenId(1),
            account_id: AccountId(1),
            kind,
            label: "x".into(),
            device: None,
            state: TokenState::Active,
            target: target.map(str::to_owned),
            created_at: Timestamp::from_millis(0),
            last_used_at: None,
            last_totp_step: None,
            removed_at: None,
            removed_by: None,
            blocked_at: None,
        };
        let message = |kind, target| {
            sign_in_code_message(&token(kind, Some(target)), "Alice", &code, OOB_CODE_TTL).unwrap()
        };
        let sms = message(TokenKind::Sms, "+420601123456");
        assert_eq!(
            (sms.channel(), sms.recipient()),
            (Channel::Sms, "+420601123456")
        );
        assert_eq!(sms.body(), sign_in_code_sms(&code, OOB_CODE_TTL).as_str());
        let mail = message(TokenKind::Email, "alice@example.com");
        assert_eq!(
            (mail.channel(), mail.recipient()),
            (Channel::Email, "alice@example.com")
        );
        assert_eq!(mail.subject(), Some("Your MAYI ID sign-in code"));
        assert!(mail.body().starts_with("Hello Alice,\n"));
        assert!(mail.body().contains("604917"));
        assert!(
            sign_in_code_message(&token(TokenKind::Totp, None), "A", &code, OOB_CODE_TTL).is_err()
        );
    }

    #[test]
    fn rb5_cs8_notices_have_a_not_you_line_the_configured_url_and_no_digits() {
        for n in notices() {
            for text in [&n.body, &n.sms] {
                assert!(text.contains("Not you?"), "{text}");
                assert!(text.contains("https://id.example.org"), "{text}");
                assert!(!text.contains("https://id.example.org/"), "{text}");
                // No secret (code, token, session id) can be there: no digits at all.
                assert!(!text.chars().any(|c| c.is_ascii_digit()), "{text}");
            }
            assert!(n.body.starts_with("Hello Alice,\n"), "{}", n.body);
            assert!(n.sms.chars().count() <= SMS_BODY_MAX_CHARS);
            n.message_to(&email("a@example.com").into()).unwrap();
            n.message_to(&phone("+420601123456").into()).unwrap();
        }
        let added = token_added_notice("", "Work phone", URL);
        assert!(added.body.starts_with("Hello,\n"));
        assert!(added.body.contains("\"Work phone\""));
    }

    #[test]
    fn notice_texts_cannot_gain_lines_from_names_or_labels() {
        let n = token_added_notice("Eve\r\nBcc: x@example.com", "Phone\nClick here", URL);
        assert!(
            n.body.contains("Hello EveBcc: x@example.com,"),
            "{}",
            n.body
        );
        assert!(n.body.contains("\"PhoneClick here\""), "{}", n.body);
        assert!(n.subject.chars().all(|c| !c.is_control()));
        let e = n.message_to(&email("a@example.com").into()).unwrap();
        let p = n.message_to(&phone("+420601123456").into()).unwrap();
        assert_eq!((e.channel(), p.channel()), (Channel::Email, Channel::Sms));
        assert_eq!(e.subject(), Some(n.subject.as_str()));
        assert_eq!(p.body(), n.sms);
    }
}
