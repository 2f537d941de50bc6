//! The records the store keeps and the values that create them. Ids are distinct types so that a
//! token id can never be passed where an account id is expected (AC-2 starts here); states and
//! roles are closed enums with one stored spelling each.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::contact::{ContactKind, ContactValue};
use crate::password::PasswordHash;
use crate::time::Timestamp;
use crate::username::Username;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }
    };
}

id_type!(
    /// An account's database id.
    AccountId
);
id_type!(
    /// A token's (authenticator's) database id.
    TokenId
);
id_type!(
    /// A contact channel's database id.
    ContactId
);
id_type!(
    /// A session's database id (what a session list shows and ends; never the token).
    SessionId
);
id_type!(
    /// A sign-in attempt's database id.
    LoginAttemptId
);

pub use mayi_types::{AccountState, Role, SessionScope, TokenKind, TokenState};

/// An account as stored.
#[derive(Clone, Debug)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// Canonical username.
    pub username: Username,
    /// Name shown to people; may be empty.
    pub display_name: String,
    /// The argon2id hash of the password.
    pub password_hash: PasswordHash,
    /// Whether it may sign in.
    pub state: AccountState,
    /// What it may do.
    pub role: Role,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// What creating an account needs. The username is canonical and the password already hashed,
/// so nothing unchecked reaches the store.
#[derive(Clone, Debug)]
pub struct NewAccount {
    /// Canonical username; must be free.
    pub username: Username,
    /// Name shown to people: one line, at most 100 characters, may be empty.
    pub display_name: String,
    /// The hash of the chosen password.
    pub password_hash: PasswordHash,
    /// Its role.
    pub role: Role,
    /// Normally [`AccountState::Active`].
    pub state: AccountState,
}

/// A contact channel as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    /// Its id.
    pub id: ContactId,
    /// The owner.
    pub account_id: AccountId,
    /// E-mail or phone.
    pub kind: ContactKind,
    /// The canonical address or E.164 number.
    pub value: String,
    /// Whether the owner proved they receive messages there.
    pub confirmed: bool,
    /// Whether it is the account's recovery address (at most one per account).
    pub is_recovery: bool,
    /// When it was added.
    pub created_at: Timestamp,
}

/// What adding a contact channel needs.
#[derive(Clone, Debug)]
pub struct NewContact {
    /// The checked address or number.
    pub value: ContactValue,
    /// Whether it is already confirmed (an operator's or the CLI's word for it).
    pub confirmed: bool,
    /// Whether it becomes the recovery address.
    pub is_recovery: bool,
}

/// A token's metadata. The sealed seed is deliberately not here: it is read only by
/// [`crate::Store::token_secret`], so that listing tokens can never leak it (OTP-9, EC-8).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    /// Its id.
    pub id: TokenId,
    /// The owner.
    pub account_id: AccountId,
    /// TOTP, SMS or e-mail.
    pub kind: TokenKind,
    /// The owner's name for it ("Work phone").
    pub label: String,
    /// The device it lives on, if any; tokens on one device are removed together.
    pub device: Option<String>,
    /// Pending, active or removed.
    pub state: TokenState,
    /// For SMS and e-mail tokens: where codes go.
    pub target: Option<String>,
    /// When it was enrolled.
    pub created_at: Timestamp,
    /// When it last let someone in.
    pub last_used_at: Option<Timestamp>,
    /// For TOTP: the last time step accepted (replay protection, OTP-6).
    pub last_totp_step: Option<i64>,
    /// When it was removed.
    pub removed_at: Option<Timestamp>,
    /// Who removed it (the owner or an operator).
    pub removed_by: Option<AccountId>,
    /// When it was blocked, while it is.
    pub blocked_at: Option<Timestamp>,
}

/// What enrolling a token needs.
#[derive(Clone, Debug)]
pub struct NewToken {
    /// The owner.
    pub account_id: AccountId,
    /// TOTP, SMS or e-mail.
    pub kind: TokenKind,
    /// The owner's name for it: one line, 1 to 64 characters.
    pub label: String,
    /// The device it lives on: one line, at most 64 characters; empty means none.
    pub device: Option<String>,
    /// Normally [`TokenState::Pending`] until a first valid code (OTP-12).
    pub state: TokenState,
    /// For TOTP only: the seed sealed by [`crate::TotpSecret::seal`].
    pub secret_enc: Option<Vec<u8>>,
    /// For SMS (a phone number) and e-mail (an address) only.
    pub target: Option<ContactValue>,
}

/// Where a pending authenticator app was started (issue 13): its seed is shown, and its first
/// code accepted, only there. Stored as the row id in `tokens.enrol_session` or
/// `tokens.enrol_attempt`; when that session or attempt ends, the binding matches nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EnrolBinding {
    /// A signed-in session adding a token.
    Session(SessionId),
    /// A sign-in attempt enrolling the account's first token.
    Attempt(LoginAttemptId),
}

impl EnrolBinding {
    /// The `tokens` column that holds this kind of binding, and the row id it holds.
    pub(crate) fn column(self) -> (&'static str, i64) {
        match self {
            Self::Session(id) => ("enrol_session", id.0),
            Self::Attempt(id) => ("enrol_attempt", id.0),
        }
    }
}

/// A sign-in attempt: the password was right, the second factor is still pending. Not a session
/// (SE-8): it lives in its own table and opens no protected page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginAttempt {
    /// Its id.
    pub id: LoginAttemptId,
    /// The account whose password was given.
    pub account_id: AccountId,
    /// When the password step succeeded.
    pub created_at: Timestamp,
    /// When the attempt stops being usable.
    pub expires_at: Timestamp,
}

/// What creating a session needs. The token is made by the store, never by the caller.
#[derive(Clone, Debug)]
pub struct NewSession {
    /// Who is signed in.
    pub account_id: AccountId,
    /// What the session may do.
    pub scope: SessionScope,
    /// The client's address as the server saw it (at most 64 characters are kept).
    pub ip: Option<String>,
    /// The `User-Agent` header (at most 512 characters are kept).
    pub user_agent: Option<String>,
    /// The token the second step passed with (its kind is stored with the session), if any.
    pub second_factor: Option<crate::TokenId>,
}

/// A signed-in request's session with its account, read together ([`super::Store::signed_in`]).
#[derive(Clone, Debug)]
pub struct LiveSession {
    /// The live session (touched).
    pub session: Session,
    /// Its account, in whatever state it is (the caller checks it).
    pub account: Account,
    /// For an emergency session: whether the code that opened it is unexpired and not revoked
    /// (`false` when none is linked). `None` for a full session.
    pub emergency_code_live: Option<bool>,
}

/// A live session as stored (the token is not here: only its hash is stored).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    /// Its id.
    pub id: SessionId,
    /// Who is signed in.
    pub account_id: AccountId,
    /// What it may do.
    pub scope: SessionScope,
    /// When it was made (sign-in).
    pub created_at: Timestamp,
    /// The last recorded request (updated at most once a minute).
    pub last_seen_at: Timestamp,
    /// The absolute end: `created_at` + 12 h (SE-4).
    pub expires_at: Timestamp,
    /// The client's address at sign-in, if known.
    pub ip: Option<String>,
    /// The browser's `User-Agent` at sign-in, if known.
    pub user_agent: Option<String>,
    /// When the owner last re-entered their password in this session (RB-1), if ever.
    pub reauthenticated_at: Option<Timestamp>,
}

impl Session {
    /// Whether the person proved their password in this session recently enough for a change
    /// that adds or takes away a way into the account (RB-1): a restricted emergency session
    /// always is (it exists to replace lost tokens, and is itself short-lived); any other when
    /// its sign-in or latest password re-entry is less than [`crate::RECENT_SIGN_IN`] old.
    pub fn authenticated_recently(&self, now: Timestamp) -> bool {
        if self.scope == SessionScope::Emergency {
            return true;
        }
        let fresh = |at: Timestamp| {
            let age = now.as_millis() - at.as_millis();
            age >= 0 && (age as u128) < crate::RECENT_SIGN_IN.as_millis()
        };
        fresh(self.created_at) || self.reauthenticated_at.is_some_and(fresh)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_authentication_is_ten_minutes_from_sign_in_or_password_re_entry() {
        let t0 = Timestamp::from_millis(1_700_000_000_000);
        let minutes = |m: u64| std::time::Duration::from_secs(m * 60);
        let mut session = Session {
            id: SessionId(1),
            account_id: AccountId(1),
            scope: SessionScope::Full,
            created_at: t0,
            last_seen_at: t0,
            expires_at: t0.plus(minutes(720)),
            ip: None,
            user_agent: None,
            reauthenticated_at: None,
        };
        assert!(session.authenticated_recently(t0.plus(minutes(9))));
        assert!(!session.authenticated_recently(t0.plus(minutes(10))));
        session.reauthenticated_at = Some(t0.plus(minutes(30)));
        assert!(session.authenticated_recently(t0.plus(minutes(39))));
        assert!(!session.authenticated_recently(t0.plus(minutes(40))));
        session.scope = SessionScope::Emergency;
        assert!(session.authenticated_recently(t0.plus(minutes(600))));
    }

    #[test]
    fn enums_round_trip_through_their_stored_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), *r);
        }
        for s in AccountState::ALL {
            assert_eq!(AccountState::parse(s.as_str()).unwrap(), *s);
        }
        for k in TokenKind::ALL {
            assert_eq!(k.as_str().parse::<TokenKind>().unwrap(), *k);
        }
        for s in TokenState::ALL {
            assert_eq!(TokenState::parse(s.as_str()).unwrap(), *s);
        }
        for s in SessionScope::ALL {
            assert_eq!(SessionScope::parse(s.as_str()).unwrap(), *s);
        }
        assert_eq!(
            SessionScope::ALL
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            ["full", "emergency"]
        );
    }

    #[test]
    fn enum_parse_is_exact_and_explains() {
        let err = Role::parse("Admin").unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid role: must be one of: user, operator, admin"
        );
        assert!(TokenKind::parse("WebAuthn").is_err());
        assert_eq!(TokenKind::parse("webauthn").unwrap(), TokenKind::Webauthn);
        assert!(SessionScope::parse("Full").is_err());
        assert_eq!(
            SessionScope::parse("admin").unwrap_err().to_string(),
            "invalid session scope: must be one of: full, emergency"
        );
        // The operator step-up scope is gone (it was never made).
        assert!(SessionScope::parse("operator").is_err());
    }

    #[test]
    fn ids_display_as_numbers() {
        assert_eq!(AccountId(42).to_string(), "42");
        assert_ne!(format!("{:?}", TokenId(1)), format!("{:?}", AccountId(1)));
    }
}
