//! Readiness (issue 14 item 5): is the account one lost phone away from needing the help desk?
//! Two facts, each with its fix: every active token is on one device (add one on another
//! device), or there is no recovery address and no recovery code left (make recovery codes, or
//! confirm a recovery address). The token list and the account page show a banner while either
//! holds; the console's overview counts the accounts for which it does.

use crate::store::{Contact, Token, TokenState};
use crate::{DomainError, EmergencyAccess, SignedIn};

/// Where an account stands.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Readiness {
    /// Every active token is on one device (there is at least one).
    pub one_device: bool,
    /// That device's name, if its tokens have one.
    pub device: Option<String>,
    /// No confirmed recovery address and no unused recovery code.
    pub no_fallback: bool,
}

impl Readiness {
    /// Reads it from the account's tokens, contacts and unused recovery codes.
    pub fn of(tokens: &[Token], contacts: &[Contact], recovery_codes_left: i64) -> Self {
        let mut active = tokens.iter().filter(|t| t.state == TokenState::Active);
        let one_device = match active.next() {
            None => false,
            Some(first) => active.all(|t| t.device == first.device),
        };
        let device = if one_device {
            tokens
                .iter()
                .find(|t| t.state == TokenState::Active)
                .and_then(|t| t.device.clone())
        } else {
            None
        };
        let recovery_address = contacts.iter().any(|c| c.is_recovery && c.confirmed);
        Self {
            one_device,
            device,
            no_fallback: !recovery_address && recovery_codes_left == 0,
        }
    }

    /// Whether the banner shows: one lost phone away from needing the help desk.
    pub fn at_risk(&self) -> bool {
        self.one_device || self.no_fallback
    }
}

impl EmergencyAccess {
    /// The caller's readiness; `None` in a restricted session (it is recovering already).
    pub async fn readiness(&self, caller: &SignedIn) -> Result<Option<Readiness>, DomainError> {
        if caller.is_restricted() {
            return Ok(None);
        }
        let account = caller.account_id();
        let tokens = self.store().tokens(account).await?;
        let contacts = self.store().contacts(account).await?;
        let codes = self.store().recovery_codes_info(account).await?;
        Ok(Some(Readiness::of(&tokens, &contacts, codes.left)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{AccountId, ContactId, TokenId, TokenKind};
    use crate::ContactKind;
    use crate::Timestamp;

    fn token(id: i64, device: Option<&str>, state: TokenState) -> Token {
        Token {
            id: TokenId(id),
            account_id: AccountId(1),
            kind: TokenKind::Totp,
            label: format!("App {id}"),
            device: device.map(str::to_owned),
            state,
            target: None,
            created_at: Timestamp::from_millis(0),
            last_used_at: None,
            last_totp_step: None,
            removed_at: None,
            removed_by: None,
            blocked_at: None,
        }
    }

    fn recovery(confirmed: bool) -> Contact {
        Contact {
            id: ContactId(1),
            account_id: AccountId(1),
            kind: ContactKind::Email,
            value: "erin@example.org".into(),
            confirmed,
            is_recovery: true,
            created_at: Timestamp::from_millis(0),
        }
    }

    #[test]
    fn one_device_without_a_fallback_is_at_risk_and_each_fix_counts() {
        let phone = [
            token(1, Some("Pixel"), TokenState::Active),
            token(2, Some("Pixel"), TokenState::Active),
        ];
        let r = Readiness::of(&phone, &[], 0);
        assert!(r.one_device && r.no_fallback && r.at_risk());
        assert_eq!(r.device.as_deref(), Some("Pixel"));
        // Recovery codes, or a confirmed recovery address, are a fallback; an unconfirmed one not.
        assert!(!Readiness::of(&phone, &[], 1).no_fallback);
        assert!(!Readiness::of(&phone, &[recovery(true)], 0).no_fallback);
        assert!(Readiness::of(&phone, &[recovery(false)], 0).no_fallback);
        // Still on one device: the banner stays, for that reason alone.
        let r = Readiness::of(&phone, &[recovery(true)], 5);
        assert!(r.one_device && !r.no_fallback && r.at_risk());
        // A token on a second device (blocked and removed ones do not count) fixes it.
        let two = [
            token(1, Some("Pixel"), TokenState::Active),
            token(2, Some("Tablet"), TokenState::Active),
            token(3, Some("Old"), TokenState::Blocked),
        ];
        assert!(!Readiness::of(&two, &[recovery(true)], 0).at_risk());
        let blocked_other = [
            token(1, Some("Pixel"), TokenState::Active),
            token(2, Some("Tablet"), TokenState::Blocked),
        ];
        assert!(Readiness::of(&blocked_other, &[recovery(true)], 0).one_device);
        // No active token at all: not "on one device" (the account cannot sign in; other pages
        // say so), but the missing fallback still shows.
        let none = Readiness::of(&[], &[], 0);
        assert!(!none.one_device && none.no_fallback);
    }
}

#[cfg(test)]
mod store_tests {
    use crate::testing::{execute_raw, recovery, world_fixture, TestStore, World};
    use crate::{Account, Role, SessionScope};

    on_both_backends!(the_console_counts_the_accounts_the_banner_warns,);

    world_fixture!(
        struct Fixture {}
    );

    async fn member(w: &World, name: &str, recovery_address: bool, devices: &[&str]) -> Account {
        let contacts = if recovery_address {
            vec![recovery(&format!("{name}@example.org"))]
        } else {
            vec![]
        };
        let account = w.member(name, name, Role::User, contacts).await;
        for device in devices {
            w.with_totp(account.id, "App", Some(device)).await;
        }
        account
    }

    /// The console's SQL count and the banner's rule agree, account by account.
    async fn the_console_counts_the_accounts_the_banner_warns(db: TestStore) {
        let f = Fixture { w: World::new(db) };
        let one_phone = member(&f, "one-phone", true, &["Pixel", "Pixel"]).await;
        let two = member(&f, "two-devices", true, &["Pixel", "Tablet"]).await;
        let no_fallback = member(&f, "no-fallback", false, &["Pixel", "Tablet"]).await;
        let with_codes = member(&f, "with-codes", false, &["Pixel", "Tablet"]).await;
        let (_, caller) = f.session(&with_codes, SessionScope::Full).await;
        f.emergency
            .create_recovery_codes(
                &caller.full().unwrap(),
                &crate::testing::client("192.0.2.1", "x"),
            )
            .await
            .unwrap();
        let locked = member(&f, "locked", false, &["Pixel"]).await;
        execute_raw(
            &f.store,
            &format!(
                "UPDATE accounts SET state = 'locked' WHERE id = {}",
                locked.id.0
            ),
        )
        .await
        .unwrap();
        let mut expected = 0;
        for (account, at_risk) in [
            (&one_phone, true),
            (&two, false),
            (&no_fallback, true),
            (&with_codes, false),
        ] {
            let (_, caller) = f.session(account, SessionScope::Full).await;
            let readiness = f.emergency.readiness(&caller).await.unwrap().unwrap();
            assert_eq!(readiness.at_risk(), at_risk, "{}", account.username);
            expected += i64::from(at_risk);
        }
        assert_eq!(
            f.store.count_accounts_at_risk().await.unwrap(),
            expected,
            "locked ones not counted"
        );
        // A restricted session is recovering: no banner.
        let (_, restricted) = f.session(&one_phone, SessionScope::Emergency).await;
        assert!(f.emergency.readiness(&restricted).await.unwrap().is_none());
    }
}
