//! MAYI ID's closed vocabularies, defined once and shared by the domain (`identity`, which
//! stores them), the server functions and the pages in the browser (which receive them typed,
//! never as strings to compare). Each is a closed enum with one spelling per variant, used in
//! the database, on the wire (serde) and in forms.
//!
//! The console overview's counts ([`Overview`]) travel the same way.
//!
//! This crate depends on serde alone, so the WebAssembly front end can use it.

#![forbid(unsafe_code)]

use std::fmt;

/// A name that is not one of a vocabulary's: says which vocabulary and what it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// What was being read ("token kind").
    pub field: &'static str,
    /// Every accepted name.
    pub allowed: &'static [&'static str],
}

impl UnknownName {
    /// The reason, without the field: "must be one of: a, b".
    pub fn reason(&self) -> String {
        format!("must be one of: {}", self.allowed.join(", "))
    }
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid {}: {}", self.field, self.reason())
    }
}

impl std::error::Error for UnknownName {}

/// A closed enum stored and sent as text: one spelling per variant, with `ALL`, `NAMES`,
/// `as_str`, `parse` (exact), `Display`, `FromStr` and serde under the same names.
#[macro_export]
macro_rules! named_enum {
    (
        $(#[$doc:meta])* $name:ident, $field:literal {
            $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, ::serde::Serialize, ::serde::Deserialize)]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [Self] = &[$(Self::$variant),+];

            /// Every name, in declaration order.
            pub const NAMES: &'static [&'static str] = &[$($text),+];

            /// The stored (and sent) name.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $text),+
                }
            }

            /// Reads a stored, sent or typed name (exact).
            pub fn parse(s: &str) -> ::std::result::Result<Self, $crate::UnknownName> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err($crate::UnknownName { field: $field, allowed: Self::NAMES }),
                }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::UnknownName;

            fn from_str(s: &str) -> ::std::result::Result<Self, $crate::UnknownName> {
                Self::parse(s)
            }
        }
    };
}

named_enum!(
    /// What an account may do. Checked on every request (AC-5), never cached in a session.
    Role, "role" {
        /// Manages their own account.
        User => "user",
        /// Uses the operational console to help users.
        Operator => "operator",
        /// An operator who also manages operators.
        Admin => "admin",
    }
);

named_enum!(
    /// Whether an account may sign in.
    AccountState, "account state" {
        /// Normal.
        Active => "active",
        /// Blocked by an operator (sessions ended) until an operator unlocks it.
        Locked => "locked",
    }
);

named_enum!(
    /// The kind of second factor a token is.
    TokenKind, "token kind" {
        /// An authenticator app (RFC 6238).
        Totp => "totp",
        /// A code sent by SMS to a confirmed number.
        Sms => "sms",
        /// A code sent by e-mail to a confirmed address.
        Email => "email",
        /// A passkey or security key (WebAuthn).
        Webauthn => "webauthn",
    }
);

named_enum!(
    /// Where a token is in its life. Removed tokens stay as history (RB-8).
    TokenState, "token state" {
        /// Enrolled but not yet confirmed by a first valid code (OTP-12): cannot sign in.
        Pending => "pending",
        /// Usable for signing in.
        Active => "active",
        /// Blocked ("Block my lost phone now"): cannot sign in, keeps its seed, can be
        /// unblocked by its owner after a recovery, or removed.
        Blocked => "blocked",
        /// Removed; kept for the record.
        Removed => "removed",
    }
);

named_enum!(
    /// What a session may do. Chosen when the session is made; the account's role and state are
    /// still checked on every request (AC-5).
    SessionScope, "session scope" {
        /// Signed in with password and second factor: the user's own pages.
        Full => "full",
        /// Signed in with password and an emergency code: token and contact management only
        /// (EC-11).
        Emergency => "emergency",
    }
);

named_enum!(
    /// Which kind of channel a contact is.
    ContactKind, "contact kind" {
        /// An e-mail address.
        Email => "email",
        /// A phone number that receives SMS.
        Phone => "phone",
    }
);

named_enum!(
    /// Who issued an emergency access code.
    CodeIssuer, "issuer" {
        /// The person, through the wizard.
        SelfService => "self_service",
        /// An operator, in the operational console.
        Operator => "operator",
    }
);

named_enum!(
    /// Why the person needs an emergency access code (wizard step 3).
    EmergencyReason, "reason" {
        /// The phone with the tokens is lost.
        LostPhone => "lost_phone",
        /// The phone with the tokens was stolen: whoever has it may know the password too.
        StolenPhone => "stolen_phone",
        /// The phone number of an SMS token changed.
        NewPhoneNumber => "new_phone_number",
        /// The address of an e-mail token changed.
        NewEmail => "new_email",
        /// Something else (free text).
        Other => "other",
    }
);

named_enum!(
    /// One step of the restricted session's checklist; which steps there are, and which of them
    /// "Finish recovery" waits for, follows the [`EmergencyReason`] (issue 14 item 3).
    RecoveryStep, "recovery step" {
        /// Block or remove the tokens of the lost (or stolen) phone.
        RemoveLost => "remove_lost",
        /// Choose a new password (stolen phone).
        ChangePassword => "change_password",
        /// End every other session of the account (stolen phone).
        SignOutEverywhere => "sign_out_everywhere",
        /// Remove the SMS token of the old number.
        RemoveOldSms => "remove_old_sms",
        /// Add an SMS token for the new number.
        AddSms => "add_sms",
        /// Remove the e-mail token of the old address.
        RemoveOldEmail => "remove_old_email",
        /// Add an e-mail token for the new address.
        AddEmail => "add_email",
        /// Add a new token (any kind).
        EnrolNew => "enrol_new",
    }
);

named_enum!(
    /// Where a wizard stands: the step the person is at.
    WizardStep, "wizard step" {
        /// Step 2: prove it with the code sent to the recovery address.
        Prove => "prove",
        /// Step 3: say why.
        Reason => "reason",
        /// Step 4: the code is issued and not shown yet.
        Done => "done",
        /// Step 4: the code was shown (once).
        Shown => "shown",
    }
);

named_enum!(
    /// The console's lock button: what it does to the account.
    LockAction, "lock action" {
        /// Lock the account and end its sessions.
        Lock => "lock",
        /// Let it sign in again.
        Unlock => "unlock",
    }
);

named_enum!(
    /// The console's block button on one token: what it does to it.
    BlockAction, "block action" {
        /// Block the token: it cannot sign in until unblocked.
        Block => "block",
        /// Let it sign in again.
        Unblock => "unblock",
    }
);

named_enum!(
    /// The console's operator button (admins only): what it does to the account's role.
    OperatorChange, "operator change" {
        /// Make a user an operator.
        Make => "make",
        /// Make an operator a user again.
        Remove => "remove",
    }
);

/// The console's overview: counts per UTC day for the last few days, oldest day first, and
/// the accounts at risk now. Made by the domain, shown by the console's charts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Overview {
    /// The days counted, `MM-DD`, one label per entry of each series.
    pub days: Vec<String>,
    pub codes_self_service: Vec<u32>,
    pub codes_operator: Vec<u32>,
    pub codes_used: Vec<u32>,
    pub accounts_locked: Vec<u32>,
    pub sign_in_failures: Vec<u32>,
    /// Active accounts one lost phone away from needing the help desk.
    pub accounts_at_risk: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trips<T>(all: &[T], names: &[&str])
    where
        T: Copy + PartialEq + fmt::Debug + fmt::Display + std::str::FromStr,
        T: serde::Serialize,
    {
        assert_eq!(all.len(), names.len());
        for (value, name) in all.iter().zip(names) {
            assert_eq!(value.to_string(), *name);
            assert!(matches!(name.parse::<T>(), Ok(v) if v == *value));
        }
    }

    #[test]
    fn every_vocabulary_round_trips_through_its_names() {
        round_trips(Role::ALL, Role::NAMES);
        round_trips(AccountState::ALL, AccountState::NAMES);
        round_trips(TokenKind::ALL, TokenKind::NAMES);
        round_trips(TokenState::ALL, TokenState::NAMES);
        round_trips(SessionScope::ALL, SessionScope::NAMES);
        round_trips(ContactKind::ALL, ContactKind::NAMES);
        round_trips(CodeIssuer::ALL, CodeIssuer::NAMES);
        round_trips(EmergencyReason::ALL, EmergencyReason::NAMES);
        round_trips(WizardStep::ALL, WizardStep::NAMES);
        round_trips(RecoveryStep::ALL, RecoveryStep::NAMES);
        round_trips(LockAction::ALL, LockAction::NAMES);
        round_trips(BlockAction::ALL, BlockAction::NAMES);
        round_trips(OperatorChange::ALL, OperatorChange::NAMES);
    }

    #[test]
    fn names_are_exact_and_an_unknown_one_says_what_is_allowed() {
        assert!(TokenKind::parse("TOTP").is_err());
        assert!(TokenKind::parse(" totp").is_err());
        let error = LockAction::parse("delete").unwrap_err();
        assert_eq!(error.field, "lock action");
        assert_eq!(
            error.to_string(),
            "invalid lock action: must be one of: lock, unlock"
        );
    }
}

/// A moment in UTC as calendar date and time of day (to the minute), from milliseconds since
/// the Unix epoch: the one conversion the server's texts, the pages' `<time datetime>` and each
/// language's date format share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UtcMinute {
    pub year: i64,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
}

impl UtcMinute {
    pub fn from_millis(millis: i64) -> Self {
        let secs = millis.div_euclid(1000);
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        // Howard Hinnant's days-to-civil algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        Self {
            year,
            month: month as u8,
            day: day as u8,
            hour: (rem / 3600) as u8,
            minute: ((rem % 3600) / 60) as u8,
        }
    }

    /// "2026-12-04 15:00 UTC".
    pub fn iso_utc(self) -> String {
        self.written(' ', " UTC")
    }

    /// "2026-12-04T15:00Z", for `<time datetime>`.
    pub fn html_datetime(self) -> String {
        self.written('T', "Z")
    }

    fn written(self, between: char, zone: &str) -> String {
        let Self {
            year,
            month,
            day,
            hour,
            minute,
        } = self;
        format!("{year:04}-{month:02}-{day:02}{between}{hour:02}:{minute:02}{zone}")
    }
}

#[cfg(test)]
mod utc_minute_tests {
    use super::UtcMinute;

    #[test]
    fn converts_dates_across_leap_years_and_eras() {
        let at = |ms| UtcMinute::from_millis(ms).iso_utc();
        assert_eq!(at(0), "1970-01-01 00:00 UTC");
        assert_eq!(at(1_111_111_109_000), "2005-03-18 01:58 UTC");
        assert_eq!(at(951_782_400_000), "2000-02-29 00:00 UTC");
        assert_eq!(at(20_000_000_000_000), "2603-10-11 11:33 UTC");
        assert_eq!(at(-1), "1969-12-31 23:59 UTC");
        assert_eq!(
            UtcMinute::from_millis(1_796_396_400_000).html_datetime(),
            "2026-12-04T15:00Z"
        );
    }
}
