//! The restricted session's checklist (EC-12, issue 14 item 3): which steps it shows, and which
//! of them "Finish recovery" waits for, follow the reason the person gave in the wizard.
//!
//! | reason             | steps (required in bold)                                              |
//! |--------------------|-----------------------------------------------------------------------|
//! | lost phone, other  | remove the lost tokens, **add a new token**                           |
//! | stolen phone       | **remove the lost tokens**, **new password**, sign out everywhere, **add a new token** |
//! | new phone number   | remove the old SMS token, **add an SMS token**                        |
//! | new e-mail address | remove the old e-mail token, **add an e-mail token**                  |
//!
//! For a stolen phone, "Finish recovery" signs out every other session whatever the person
//! chose, so signing out everywhere earlier is there to cut the thief off at once.
//!
//! An operator's code carries the operator's own words, not a wizard reason: its checklist is
//! the lost phone's.

use super::{CodeIssuer, EmergencyCodeInfo, EmergencyReason};
use mayi_types::{RecoveryStep, TokenKind};

/// Tokens counted by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub totp: i64,
    pub sms: i64,
    pub email: i64,
    pub webauthn: i64,
}

impl KindCounts {
    /// How many of `kind`.
    pub fn of(&self, kind: TokenKind) -> i64 {
        match kind {
            TokenKind::Totp => self.totp,
            TokenKind::Sms => self.sms,
            TokenKind::Email => self.email,
            TokenKind::Webauthn => self.webauthn,
        }
    }

    /// How many of every kind.
    pub fn total(&self) -> i64 {
        self.totp + self.sms + self.email + self.webauthn
    }

    pub(crate) fn add(&mut self, kind: TokenKind, n: i64) {
        match kind {
            TokenKind::Totp => self.totp += n,
            TokenKind::Sms => self.sms += n,
            TokenKind::Email => self.email += n,
            TokenKind::Webauthn => self.webauthn += n,
        }
    }
}

/// What happened to the account's tokens since the code was issued.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TokenChanges {
    /// Blocked or removed since.
    pub removed: KindCounts,
    /// Created since and active now.
    pub added: KindCounts,
}

/// One line of the checklist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChecklistItem {
    pub step: RecoveryStep,
    pub done: bool,
    /// "Finish recovery" waits for it.
    pub required: bool,
}

/// Where a restricted session stands: the banner and the checklist (EC-12).
#[derive(Clone, Debug)]
pub struct RecoveryStatus {
    pub code: EmergencyCodeInfo,
    pub changes: TokenChanges,
    /// The account's other live sessions (this one not counted).
    pub other_sessions: usize,
}

impl EmergencyCodeInfo {
    /// The reason its restricted session's checklist follows: the wizard's, or a lost phone for
    /// an operator's code (whose reason is the operator's own words).
    pub fn checklist_reason(&self) -> EmergencyReason {
        match self.issuer {
            CodeIssuer::SelfService => {
                EmergencyReason::parse(&self.reason).unwrap_or(EmergencyReason::LostPhone)
            }
            CodeIssuer::Operator => EmergencyReason::LostPhone,
        }
    }

    /// Whether its restricted sessions may change the password and end the account's other
    /// sessions (only for a stolen phone: whoever holds it may know the password too).
    pub fn may_secure_account(&self) -> bool {
        self.checklist_reason() == EmergencyReason::StolenPhone
    }
}

impl RecoveryStatus {
    /// The reason the checklist follows: the wizard's, or a lost phone for an operator's code
    /// (whose reason is the operator's own words).
    pub fn reason(&self) -> EmergencyReason {
        self.code.checklist_reason()
    }

    /// The checklist, in the order to do it.
    pub fn checklist(&self) -> Vec<ChecklistItem> {
        let (removed, added) = (self.changes.removed, self.changes.added);
        let item = |step, done, required| ChecklistItem {
            step,
            done,
            required,
        };
        match self.reason() {
            EmergencyReason::LostPhone | EmergencyReason::Other => vec![
                item(RecoveryStep::RemoveLost, removed.total() > 0, false),
                item(RecoveryStep::EnrolNew, added.total() > 0, true),
            ],
            EmergencyReason::StolenPhone => vec![
                item(RecoveryStep::RemoveLost, removed.total() > 0, true),
                item(
                    RecoveryStep::ChangePassword,
                    self.code.password_changed_at.is_some(),
                    true,
                ),
                item(
                    RecoveryStep::SignOutEverywhere,
                    self.other_sessions == 0,
                    false,
                ),
                item(RecoveryStep::EnrolNew, added.total() > 0, true),
            ],
            EmergencyReason::NewPhoneNumber => vec![
                item(RecoveryStep::RemoveOldSms, removed.sms > 0, false),
                item(RecoveryStep::AddSms, added.sms > 0, true),
            ],
            EmergencyReason::NewEmail => vec![
                item(RecoveryStep::RemoveOldEmail, removed.email > 0, false),
                item(RecoveryStep::AddEmail, added.email > 0, true),
            ],
        }
    }

    /// "Finish recovery" is possible once every required step is done.
    pub fn may_finish(&self) -> bool {
        self.checklist().iter().all(|i| i.done || !i.required)
    }

    /// Whether a recovery code opened this session (its code is the one-use carrier).
    pub fn by_recovery_code(&self) -> bool {
        self.code.reason == super::RECOVERY_CODE_REASON
    }

    /// Whether this session may change the password and end the account's other sessions
    /// (only for a stolen phone: whoever holds it may know the password too).
    pub fn may_secure_account(&self) -> bool {
        self.code.may_secure_account()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emergency::EmergencyCodeId;
    use crate::store::AccountId;
    use crate::time::Timestamp;

    fn code(issuer: CodeIssuer, reason: &str) -> EmergencyCodeInfo {
        let t = Timestamp::from_millis(1_000);
        EmergencyCodeInfo {
            id: EmergencyCodeId(1),
            account_id: AccountId(1),
            issuer,
            issued_by: None,
            reason: reason.into(),
            reason_text: None,
            verification: None,
            created_at: t,
            valid_from: t,
            expires_at: t,
            uses: 1,
            max_uses: 3,
            revoked_at: None,
            revoked_why: None,
            unknown_browser: false,
            password_changed_at: None,
        }
    }

    fn status(reason: &str) -> RecoveryStatus {
        RecoveryStatus {
            code: code(CodeIssuer::SelfService, reason),
            changes: TokenChanges::default(),
            other_sessions: 1,
        }
    }

    fn steps(status: &RecoveryStatus) -> Vec<(RecoveryStep, bool, bool)> {
        status
            .checklist()
            .iter()
            .map(|i| (i.step, i.done, i.required))
            .collect()
    }

    #[test]
    fn a_lost_phone_needs_a_new_token_and_suggests_removing_the_old_ones() {
        let mut s = status("lost_phone");
        assert_eq!(
            steps(&s),
            [
                (RecoveryStep::RemoveLost, false, false),
                (RecoveryStep::EnrolNew, false, true)
            ]
        );
        assert!(!s.may_finish() && !s.may_secure_account());
        s.changes.added.add(TokenKind::Totp, 1);
        assert!(s.may_finish(), "removing the old tokens is not required");
    }

    #[test]
    fn a_stolen_phone_needs_every_step_before_finishing() {
        let mut s = status("stolen_phone");
        assert!(s.may_secure_account());
        let order: Vec<_> = s.checklist().iter().map(|i| i.step).collect();
        assert_eq!(
            order,
            [
                RecoveryStep::RemoveLost,
                RecoveryStep::ChangePassword,
                RecoveryStep::SignOutEverywhere,
                RecoveryStep::EnrolNew
            ]
        );
        let required: Vec<_> = s.checklist().iter().map(|i| i.required).collect();
        assert_eq!(
            required,
            [true, true, false, true],
            "finishing signs out everywhere"
        );
        assert!(s.checklist().iter().all(|i| !i.done));
        s.changes.added.add(TokenKind::Totp, 1);
        assert!(!s.may_finish(), "the stolen tokens are still there");
        s.changes.removed.add(TokenKind::Sms, 2);
        assert!(!s.may_finish(), "the password is not changed yet");
        s.code.password_changed_at = Some(Timestamp::from_millis(2_000));
        assert!(s.may_finish());
        assert!(!s.checklist()[2].done, "another session is still signed in");
        s.other_sessions = 0;
        assert!(s.checklist().iter().all(|i| i.done));
    }

    #[test]
    fn a_new_number_or_address_needs_a_token_of_that_kind() {
        let mut s = status("new_phone_number");
        assert_eq!(
            steps(&s),
            [
                (RecoveryStep::RemoveOldSms, false, false),
                (RecoveryStep::AddSms, false, true)
            ]
        );
        s.changes.added.add(TokenKind::Totp, 1);
        s.changes.removed.add(TokenKind::Email, 1);
        assert!(
            !s.may_finish(),
            "an app token is not the new number's SMS token"
        );
        assert!(
            !s.checklist()[0].done,
            "an e-mail token is not the old SMS token"
        );
        s.changes.added.add(TokenKind::Sms, 1);
        s.changes.removed.add(TokenKind::Sms, 1);
        assert!(s.may_finish() && s.checklist().iter().all(|i| i.done));

        let mut s = status("new_email");
        assert_eq!(s.checklist()[1].step, RecoveryStep::AddEmail);
        s.changes.added.add(TokenKind::Sms, 1);
        assert!(!s.may_finish());
        s.changes.added.add(TokenKind::Email, 1);
        assert!(s.may_finish() && !s.may_secure_account());
    }

    #[test]
    fn an_operators_code_and_an_unknown_reason_follow_the_lost_phone() {
        let s = RecoveryStatus {
            code: code(CodeIssuer::Operator, "stolen_phone"),
            changes: TokenChanges::default(),
            other_sessions: 0,
        };
        assert_eq!(s.reason(), EmergencyReason::LostPhone);
        assert!(!s.may_secure_account());
        assert_eq!(status("other").reason(), EmergencyReason::Other);
        assert_eq!(
            status("something else").reason(),
            EmergencyReason::LostPhone
        );
        assert_eq!(
            status("other").checklist().len(),
            status("lost_phone").checklist().len()
        );
    }
}
