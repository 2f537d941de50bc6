//! The audit log's vocabulary: what happened ([`AuditAction`]), how it ended ([`AuditOutcome`]),
//! and the rules every row obeys before it is written (AU-1, AU-2, AU-3).
//!
//! The log is append-only (the database refuses UPDATE and DELETE on `audit_events`) and is
//! written by [`crate::Store::audit`], read by [`crate::Store::audit_events`]. What this module
//! guarantees about a stored row:
//!
//! - **No log injection (AU-3).** The client's address and `User-Agent` lose their control
//!   characters (CR, LF, NUL, escape sequences...) and are cut to 64 and 512 characters. The
//!   details are stored as compact JSON, in which every control character inside a string is
//!   escaped (`\n`, `\u001b`), so a typed username with a newline cannot start a new line of a
//!   log or export, and ends up in the row exactly as typed, escaped.
//! - **No secrets by mistake (AU-2).** Details whose keys (at any depth) are named like a secret
//!   (see [`is_secret_key`]) are refused with [`DomainError::InvalidInput`] before anything is
//!   written. This is a guard against a careless `json!({"code": code})`, not a proof: a secret
//!   under an innocent name is not detected, so callers still never pass secret values.
//! - **Bounded rows (CS-6).** Details must be a JSON object (or `null`, stored as `{}`) of at
//!   most [`AUDIT_DETAILS_MAX_CHARS`] characters once serialised.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::auth::Client;
use crate::error::{DomainError, Result};
use crate::store::AccountId;
use crate::time::Timestamp;

/// Longest client address kept in an audit row, in characters.
pub const AUDIT_IP_MAX_CHARS: usize = 64;
/// Longest `User-Agent` kept in an audit row, in characters.
pub const AUDIT_USER_AGENT_MAX_CHARS: usize = 512;
/// Longest details object, in characters of its compact JSON text.
pub const AUDIT_DETAILS_MAX_CHARS: usize = 4096;
/// Most events one [`AuditQuery`] returns; larger limits are lowered to this.
pub const AUDIT_QUERY_MAX_LIMIT: u32 = 500;
/// Events an [`AuditQuery`] returns when its limit is 0.
pub const AUDIT_QUERY_DEFAULT_LIMIT: u32 = 100;

/// Detail keys refused anywhere in a details object (compared in lower case, `-` read as `_`).
const SECRET_KEYS: &[&str] = &[
    "password",
    "passphrase",
    "passwd",
    "code",
    "otp",
    "secret",
    "seed",
    "token_value",
    "session_token",
    "cookie",
];
/// Detail key endings refused too: `new_password`, `emergency_code`, `totp_seed`...
const SECRET_KEY_SUFFIXES: &[&str] = &[
    "_password",
    "_passphrase",
    "_code",
    "_otp",
    "_secret",
    "_seed",
    "_token_value",
    "_cookie",
];

/// An audit event's database id. Ids grow with insertion order (they page the log).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AuditEventId(pub i64);

impl fmt::Display for AuditEventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

stored_enum!(
    /// What an audit event records (AU-1). Stored as its dotted name; new variants need no
    /// migration (the column only checks the name's shape).
    AuditAction, "audit action" {
        /// The password step of a sign-in.
        SignInPassword => "sign_in.password",
        /// The second-factor step of a sign-in.
        SignInSecondFactor => "sign_in.second_factor",
        /// The user ended a session.
        SignOut => "sign_out",
        /// A session ended by its idle or absolute timeout.
        SessionExpired => "session.expired",
        /// A TOTP code was submitted again (OTP-6; AU-6 notifies).
        TotpReplay => "totp.replay",
        /// A one-time code was sent by SMS or e-mail.
        CodeSent => "code.sent",
        /// A second factor was added.
        TokenAdded => "token.added",
        /// An OpenID Connect client was registered (issue 18).
        OidcClientCreated => "oidc.client_created",
        /// A signed-in person approved an application's sign-in: a code was issued.
        OidcAuthorized => "oidc.authorized",
        /// An application exchanged a code for its tokens (or was refused).
        OidcTokenIssued => "oidc.token_issued",
        /// A code was presented a second time: refused, and the tokens it gave revoked.
        OidcCodeReplayed => "oidc.code_replayed",
        /// A person allowed an application not run by the organisation to sign them in.
        OidcConsented => "oidc.consented",
        /// A person did not allow an application to sign them in.
        OidcDenied => "oidc.denied",
        /// A person took back an application's access (their consent and its tokens).
        OidcConsentRevoked => "oidc.consent_revoked",
        /// An operator disabled a client: no new sign-ins, its tokens revoked.
        OidcClientDisabled => "oidc.client_disabled",
        /// The ID-token signing key was replaced (the old one stays published a while).
        OidcKeyRotated => "oidc.key_rotated",
        /// A passkey or security key's answer was refused (issue 17): the reason is in the
        /// details (`wrong_origin`, `possible_clone`, ...).
        PasskeyRefused => "passkey.refused",
        /// A second factor was removed.
        TokenRemoved => "token.removed",
        /// An account was created.
        AccountCreated => "account.created",
        /// An account's role changed.
        RoleChanged => "account.role_changed",
        /// A request was refused by a rate limit or lockout (RL rows).
        RateLimited => "rate_limited",
        /// The Emergency Access wizard passed step 1 (username and password).
        EmergencyWizardStarted => "emergency.wizard_started",
        /// Step 2 of the wizard: the code sent to the recovery address (success or failure).
        EmergencyProof => "emergency.proof",
        /// An emergency access code was issued (self-service or by an operator).
        EmergencyCodeIssued => "emergency.code_issued",
        /// A sign-in with an emergency access code (success or failure).
        EmergencyCodeUsed => "emergency.code_used",
        /// An emergency access code was revoked ("this was not me", finished, replaced).
        EmergencyCodeRevoked => "emergency.code_revoked",
        /// Recovery finished from a restricted session.
        EmergencyFinished => "emergency.finished",
        /// A new set of recovery codes replaced the old one (issue 14 item 4).
        RecoveryCodesCreated => "recovery_codes.created",
        /// A sign-in with a recovery code (success or failure).
        RecoveryCodeUsed => "recovery_codes.used",
        /// A signed-in caller was refused a function its session or role does not allow.
        AccessDenied => "access.denied",
        /// The account's password was changed (or a change was refused).
        PasswordChanged => "password.changed",
        // Self-service contacts and password re-entry (issue 4).
        /// A contact (e-mail address or phone number) was confirmed and added.
        ContactAdded => "contact.added",
        /// A contact was removed.
        ContactRemoved => "contact.removed",
        /// A confirmed e-mail address became the recovery address.
        RecoveryAddressSet => "contact.recovery_set",
        /// The password was entered again in a session, to make it recent (RB-1).
        Reauthenticated => "session.reauthenticated",
        // The operational console (issue 6).
        /// An operator locked an account (its sessions ended).
        AccountLocked => "account.locked",
        /// An operator unlocked an account.
        AccountUnlocked => "account.unlocked",
        /// An operator ended sessions of an account.
        SessionsEndedByOperator => "session.ended_by_operator",
        /// Alert (AU-5): an emergency code was issued for an operator or administrator.
        PrivilegedCodeAlert => "alert.privileged_code",
        // Recovery abuse (issue 13).
        /// Alert (RL-3): many wrong passwords for one username from all addresses together.
        PasswordGuessingAlert => "alert.password_guessing",
        // Waiting period by trust (issue 13 item 5).
        /// A browser that completed a full sign-in is remembered for the account.
        BrowserRemembered => "browser.remembered",
        /// The owner made the account forget one of its remembered browsers.
        BrowserForgotten => "browser.forgotten",
        /// An operator approved a self-service code in its waiting period: valid at once.
        EmergencyCodeApproved => "emergency.code_approved",
        /// A token was blocked ("Block my lost phone now").
        TokenBlocked => "token.blocked",
        /// A blocked token was unblocked.
        TokenUnblocked => "token.unblocked",
    }
);

stored_enum!(
    /// How the audited decision ended.
    AuditOutcome, "audit outcome" {
        /// Allowed and done.
        Success => "success",
        /// Tried and failed: a wrong password or code, an expired attempt.
        Failure => "failure",
        /// Refused before trying: no permission, rate limited, locked.
        Denied => "denied",
    }
);

/// What one audit row says. Build it with [`NewAuditEvent::new`] and the setters, or with the
/// fields directly; [`crate::Store::audit`] stamps the time from its clock and applies the rules
/// of this module (sanitising, secret-key guard).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewAuditEvent {
    /// Who did it (the signed-in user or operator), if anyone is known.
    pub actor: Option<AccountId>,
    /// Whose account it concerns, if any (unknown usernames have none).
    pub subject: Option<AccountId>,
    /// What happened.
    pub action: AuditAction,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// The client's address as the server saw it (never a client-supplied forwarding header
    /// that is not trusted, RL-2).
    pub ip: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: Option<String>,
    /// Anything else worth keeping: a JSON object (`Value::Null` means `{}`). Never secrets
    /// (AU-2): keys named like one are refused.
    pub details: Value,
}

impl NewAuditEvent {
    /// An event with no actor, subject, client or details yet.
    pub fn new(action: AuditAction, outcome: AuditOutcome) -> Self {
        Self {
            actor: None,
            subject: None,
            action,
            outcome,
            ip: None,
            user_agent: None,
            details: Value::Object(serde_json::Map::new()),
        }
    }

    /// Sets who did it.
    pub fn actor(mut self, actor: AccountId) -> Self {
        self.actor = Some(actor);
        self
    }

    /// Sets whose account it concerns.
    pub fn subject(mut self, subject: AccountId) -> Self {
        self.subject = Some(subject);
        self
    }

    /// Sets the client's address and `User-Agent`.
    pub fn client(mut self, ip: Option<String>, user_agent: Option<String>) -> Self {
        self.ip = ip;
        self.user_agent = user_agent;
        self
    }

    /// Sets the details object.
    pub fn details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// Sets the address and `User-Agent` of the request's `client`.
    pub(crate) fn with_client(self, client: &Client) -> Self {
        self.client(client.ip.clone(), client.user_agent.clone())
    }

    /// What `account` did to itself from `client`: the account is both actor and subject.
    pub(crate) fn own(
        action: AuditAction,
        outcome: AuditOutcome,
        account: AccountId,
        client: &Client,
    ) -> Self {
        Self::new(action, outcome)
            .actor(account)
            .subject(account)
            .with_client(client)
    }
}

/// An audit event as stored: its id and time, and what it says (sanitised; `details` is `{}`
/// when there were none). Its fields read through, as in `event.action`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AuditEvent {
    /// Its id (insertion order).
    pub id: AuditEventId,
    /// When it was written, on the store's clock (UTC).
    pub at: Timestamp,
    /// What it says.
    #[serde(flatten)]
    pub event: NewAuditEvent,
}

impl std::ops::Deref for AuditEvent {
    type Target = NewAuditEvent;

    fn deref(&self) -> &NewAuditEvent {
        &self.event
    }
}

/// Which events [`crate::Store::audit_events`] returns: every filter that is set must match.
/// Results come newest first (by id); to page, pass the last id seen as `before_id`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// Only events about this account.
    pub subject: Option<AccountId>,
    /// Only events done by this account.
    pub actor: Option<AccountId>,
    /// Only this kind of event.
    pub action: Option<AuditAction>,
    /// Only events at or after this instant.
    pub since: Option<Timestamp>,
    /// Only events before this instant (exclusive).
    pub until: Option<Timestamp>,
    /// At most this many events: 0 means [`AUDIT_QUERY_DEFAULT_LIMIT`], and anything above
    /// [`AUDIT_QUERY_MAX_LIMIT`] is lowered to it.
    pub limit: u32,
    /// Only events older than this one (keyset pagination: the last id of the previous page).
    pub before_id: Option<AuditEventId>,
}

impl AuditQuery {
    /// The number of rows this query may return.
    pub fn effective_limit(&self) -> u32 {
        match self.limit {
            0 => AUDIT_QUERY_DEFAULT_LIMIT,
            n => n.min(AUDIT_QUERY_MAX_LIMIT),
        }
    }
}

/// Whether a details key is named like a secret (AU-2): one of `password`, `passphrase`,
/// `passwd`, `code`, `otp`, `secret`, `seed`, `token_value`, `session_token`, `cookie`, or
/// ending in `_password`, `_passphrase`, `_code`, `_otp`, `_secret`, `_seed`, `_token_value`,
/// `_cookie`; compared in lower case with `-` and spaces read as `_`. So `code_id` or
/// `code_lifetime_secs` are fine, `emergency_code` or `New-Password` are not.
pub fn is_secret_key(key: &str) -> bool {
    let key: String = key
        .trim()
        .chars()
        .map(|c| match c {
            '-' | ' ' => '_',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    SECRET_KEYS.contains(&key.as_str()) || SECRET_KEY_SUFFIXES.iter().any(|s| key.ends_with(s))
}

/// Checks and serialises the details of a new event: a JSON object (or null, meaning `{}`), no
/// secret-named key at any depth, at most [`AUDIT_DETAILS_MAX_CHARS`] characters of compact JSON
/// (in which control characters are escaped, AU-3).
pub(crate) fn details_text(details: &Value) -> Result<String> {
    match details {
        Value::Null => return Ok("{}".to_owned()),
        Value::Object(_) => {}
        _ => {
            return Err(DomainError::invalid(
                "audit details",
                "must be a JSON object",
            ))
        }
    }
    if let Some(key) = find_secret_key(details) {
        return Err(DomainError::invalid(
            "audit details",
            format!("the key {key:?} names a secret, which audit rows never hold (AU-2)"),
        ));
    }
    let text = serde_json::to_string(details)
        .map_err(|e| DomainError::Internal(format!("cannot serialise audit details: {e}")))?;
    if text.chars().count() > AUDIT_DETAILS_MAX_CHARS {
        return Err(DomainError::invalid(
            "audit details",
            format!("must be at most {AUDIT_DETAILS_MAX_CHARS} characters of JSON"),
        ));
    }
    Ok(text)
}

/// The first secret-named key anywhere in `value` (objects inside arrays included).
fn find_secret_key(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            if is_secret_key(k) {
                Some(k.as_str())
            } else {
                find_secret_key(v)
            }
        }),
        Value::Array(items) => items.iter().find_map(find_secret_key),
        _ => None,
    }
}

/// Client-supplied text kept in an audit row: trimmed, control characters dropped (AU-3), cut
/// to `max` characters; empty means unknown.
pub(crate) fn client_text(value: Option<&str>, max: usize) -> Option<String> {
    let kept: String = value?
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect();
    let kept = kept.trim().to_owned();
    (!kept.is_empty()).then_some(kept)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn actions_and_outcomes_round_trip_through_their_stored_names() {
        for a in AuditAction::ALL {
            assert_eq!(AuditAction::parse(a.as_str()).unwrap(), *a);
            assert_eq!(serde_json::to_value(a).unwrap(), json!(a.as_str()));
        }
        for o in AuditOutcome::ALL {
            assert_eq!(o.as_str().parse::<AuditOutcome>().unwrap(), *o);
        }
        assert_eq!(AuditAction::SignInPassword.as_str(), "sign_in.password");
        assert_eq!(
            AuditOutcome::ALL
                .iter()
                .map(|o| o.as_str())
                .collect::<Vec<_>>(),
            ["success", "failure", "denied"]
        );
        assert!(AuditAction::parse("SIGN_IN.PASSWORD").is_err());
        assert!(AuditOutcome::parse("ok").is_err());
    }

    #[test]
    fn action_names_are_short_lowercase_and_distinct() {
        let mut seen = std::collections::HashSet::new();
        for a in AuditAction::ALL {
            let s = a.as_str();
            assert!(s.len() <= 64 && !s.is_empty(), "{s}");
            assert!(
                s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'.'),
                "{s}"
            );
            assert!(seen.insert(s), "{s}");
        }
    }

    #[test]
    fn au2_secret_named_keys_are_recognised() {
        for key in [
            "password",
            "Password",
            "new_password",
            "new-password",
            "code",
            "CODE",
            "emergency_code",
            "otp",
            "secret",
            "totp_secret",
            "seed",
            "token_value",
            "session_token",
            "passphrase",
            " seed ",
        ] {
            assert!(is_secret_key(key), "{key}");
        }
        for key in [
            "username",
            "token_id",
            "code_id",
            "code_lifetime_secs",
            "max_uses",
            "reason",
            "kind",
            "seeded",
            "passwords_changed",
        ] {
            assert!(!is_secret_key(key), "{key}");
        }
    }

    #[test]
    fn au2_details_with_a_secret_key_at_any_depth_are_refused() {
        for details in [
            json!({"password": "hunter2"}),
            json!({"token": {"id": 4, "seed": "JBSWY3DP"}}),
            json!({"attempts": [{"code": "123456"}]}),
            json!({"Emergency-Code": "x"}),
        ] {
            let err = details_text(&details).unwrap_err();
            assert!(
                matches!(
                    err,
                    DomainError::InvalidInput {
                        field: "audit details",
                        ..
                    }
                ),
                "{details}: {err:?}"
            );
            // The message names the key, never the value.
            assert!(!err.to_string().contains("hunter2"));
            assert!(!err.to_string().contains("123456"));
        }
    }

    #[test]
    fn details_must_be_a_bounded_object() {
        assert_eq!(details_text(&Value::Null).unwrap(), "{}");
        assert_eq!(details_text(&json!({})).unwrap(), "{}");
        for bad in [json!([1]), json!("x"), json!(3)] {
            assert!(details_text(&bad).is_err(), "{bad}");
        }
        let big = json!({ "note": "x".repeat(AUDIT_DETAILS_MAX_CHARS) });
        assert!(details_text(&big).is_err());
        let fits = json!({ "n": "x".repeat(AUDIT_DETAILS_MAX_CHARS - 8) });
        assert!(details_text(&fits).is_ok());
    }

    #[test]
    fn au3_details_text_is_one_line_with_control_characters_escaped() {
        let text =
            details_text(&json!({"username": "eve\n2024-01-01 sign_in ok admin\r\u{1b}[2J\0"}))
                .unwrap();
        assert!(!text.chars().any(char::is_control), "{text:?}");
        assert!(text.contains("\\n") && text.contains("\\r") && text.contains("\\u001b"));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back["username"],
            "eve\n2024-01-01 sign_in ok admin\r\u{1b}[2J\0"
        );
    }

    #[test]
    fn au3_client_text_drops_control_characters_and_is_bounded() {
        assert_eq!(
            client_text(Some("Mozilla/5.0\r\nX-Forged: 1\0"), 512).as_deref(),
            Some("Mozilla/5.0X-Forged: 1")
        );
        assert_eq!(client_text(Some(" \r\n "), 512), None);
        assert_eq!(client_text(None, 512), None);
        let long = "é".repeat(600);
        assert_eq!(
            client_text(Some(&long), AUDIT_USER_AGENT_MAX_CHARS)
                .unwrap()
                .chars()
                .count(),
            512
        );
    }

    #[test]
    fn query_limit_defaults_and_is_capped() {
        let mut q = AuditQuery::default();
        assert_eq!(q.effective_limit(), AUDIT_QUERY_DEFAULT_LIMIT);
        q.limit = 7;
        assert_eq!(q.effective_limit(), 7);
        q.limit = 100_000;
        assert_eq!(q.effective_limit(), AUDIT_QUERY_MAX_LIMIT);
    }

    #[test]
    fn builder_sets_every_field() {
        let e = NewAuditEvent::new(AuditAction::TokenAdded, AuditOutcome::Success)
            .actor(AccountId(1))
            .subject(AccountId(2))
            .client(Some("192.0.2.1".into()), Some("ua".into()))
            .details(json!({"token_id": 3}));
        assert_eq!(e.actor, Some(AccountId(1)));
        assert_eq!(e.subject, Some(AccountId(2)));
        assert_eq!(e.ip.as_deref(), Some("192.0.2.1"));
        assert_eq!(e.user_agent.as_deref(), Some("ua"));
        assert_eq!(e.details["token_id"], 3);
        assert_eq!(
            NewAuditEvent::new(AuditAction::SignOut, AuditOutcome::Success).details,
            json!({})
        );
    }
}
