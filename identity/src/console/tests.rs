//! The console's rules through [`Console`], on SQLite and on PostgreSQL.

use std::time::Duration;

use super::*;
use crate::testing::{
    self, account_in, contact, fake_password_hash, raw_rows, recovery, world_fixture, TestStore,
    World, PASSWORD, URL,
};
use crate::{DomainError, EmergencyPolicy, SeedCipher, SessionScope, SessionToken, SignedIn};

on_both_backends!(
    ac_1_only_operators_in_full_sessions_get_an_operator,
    ac_5_a_role_change_applies_on_the_next_request,
    search_finds_by_name_address_and_number_in_canonical_form,
    search_takes_like_wildcards_literally_and_pages,
    rb_4_ec_9_operator_issue_rules,
    ec_9_au_5_admin_issues_for_an_operator_with_an_alert,
    ec_7_the_issued_code_is_handed_over_once_and_signs_in,
    se_7_lock_ends_sessions_and_refuses_sign_in_until_unlocked,
    operator_removes_tokens_and_ends_sessions_with_notice_and_audit,
    revoke_code_and_set_operator,
    operator_undoes_emergency_access_and_locks,
    operator_undo_is_refused_without_a_recent_code_and_follows_the_target_rules,
    overview_counts_the_last_seven_days,
    operator_blocks_and_unblocks_a_token_with_notice_and_audit,
);

world_fixture!(
    struct Fixture {}
);

fn client() -> Client {
    testing::client("192.0.2.7", "Firefox/140.0")
}

async fn fixture(db: TestStore) -> Fixture {
    Fixture {
        w: World::with_policy(db, EmergencyPolicy::SELF_SERVICE_DEFAULT),
    }
}

impl Fixture {
    async fn account(&self, name: &str, display: &str, role: Role, contacts: &[&str]) -> Account {
        let contacts = contacts.iter().map(|c| contact(c, true)).collect();
        account_in(
            &self.store,
            name,
            display,
            role,
            fake_password_hash(),
            contacts,
        )
        .await
    }

    /// A new session of `account`: the caller it makes, and its token.
    async fn session(&self, account: &Account, scope: SessionScope) -> (SignedIn, SessionToken) {
        let (token, caller) = self.w.session(account, scope).await;
        (caller, token)
    }

    /// A new full session of `account`, as the full-session capability.
    async fn full(&self, account: &Account) -> (FullSession, SessionToken) {
        let (caller, token) = self.session(account, SessionScope::Full).await;
        (caller.full().expect("a full session"), token)
    }

    /// An operator value for `account` in a fresh full session.
    async fn operator(&self, account: &Account) -> Operator {
        let (caller, _) = self.full(account).await;
        self.console
            .operator(&caller, "test", &client())
            .await
            .unwrap()
    }

    async fn totp(&self, account: &Account, label: &str, device: &str) -> TokenId {
        self.with_totp(account.id, label, Some(device)).await.0
    }
}

async fn ac_1_only_operators_in_full_sessions_get_an_operator(db: TestStore) {
    let f = fixture(db).await;
    let user = f.account("ursula", "Ursula", Role::User, &[]).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let admin = f.account("ada", "Ada", Role::Admin, &[]).await;
    let (s, _) = f.full(&user).await;
    assert!(matches!(
        f.console
            .operator(&s, "/api/console_search", &client())
            .await,
        Err(DomainError::Forbidden)
    ));
    // An operator's restricted emergency session is no way into the console either: it never
    // becomes the full session the console takes, and asking is refused and audited.
    let (s, _) = f.session(&op, SessionScope::Emergency).await;
    let s = s
        .full()
        .expect_err("a restricted session is not a full one");
    assert!(matches!(
        f.auth
            .require_full(s, "/api/console_search", &client())
            .await,
        Err(DomainError::Restricted)
    ));
    let (s, _) = f.full(&op).await;
    assert!(f.console.operator(&s, "x", &client()).await.is_ok());
    assert!(matches!(
        f.console
            .admin(&s, "/api/console_set_operator", &client())
            .await,
        Err(DomainError::Forbidden)
    ));
    let (s, token) = f.full(&admin).await;
    assert!(f.console.admin(&s, "x", &client()).await.is_ok());
    // Someone else's session with this account (refused before, fail closed) cannot be put
    // together any more: a caller is a session and its own account, read from the cookie.
    let read = f.auth.authorize(&token).await.unwrap();
    assert_eq!(read.account_id(), admin.id);
    assert_eq!(read.session().account_id, admin.id);
    let denied = f.events(AuditAction::AccessDenied).await;
    assert_eq!(denied.len(), 3, "{denied:?}");
    assert!(denied.iter().any(|e| e.actor == Some(op.id)
        && e.details["what"] == "/api/console_search"
        && e.details["scope"] == "emergency"
        && e.outcome == AuditOutcome::Denied));
    assert!(denied.iter().any(|e| e.actor == Some(user.id)
        && e.details["what"] == "/api/console_search"
        && e.outcome == AuditOutcome::Denied));
}

async fn ac_5_a_role_change_applies_on_the_next_request(db: TestStore) {
    let f = fixture(db).await;
    let admin = f.account("ada", "Ada", Role::Admin, &[]).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let (_, token) = f.session(&op, SessionScope::Full).await;
    let fresh = f.auth.authorize(&token).await.unwrap();
    let fresh = fresh.full().expect("a full session");
    assert!(f.console.operator(&fresh, "x", &client()).await.is_ok());
    let a = f.operator(&admin).await;
    f.console
        .set_operator(&a, op.id, false, "left the help desk", &client())
        .await
        .unwrap();
    // The same session, read again for the next request: no console any more.
    let fresh = f.auth.authorize(&token).await.unwrap();
    assert_eq!(fresh.account().role, Role::User);
    let fresh = fresh.full().expect("a full session");
    assert!(f.console.operator(&fresh, "x", &client()).await.is_err());
}

async fn search_finds_by_name_address_and_number_in_canonical_form(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let zoe = f
        .account(
            "zoe",
            "Zoë STRAßE",
            Role::User,
            &["Zoe.Q@Example.org", "+420601123456"],
        )
        .await;
    f.account("zack", "Zack", Role::User, &[]).await;
    let o = f.operator(&op).await;
    let names = |page: SearchPage| {
        page.accounts
            .into_iter()
            .map(|a| a.username.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    let find = |term: &'static str, mode| {
        let console = f.console.clone();
        let o = o.clone();
        async move { console.search(&o, term, mode, 0).await.unwrap() }
    };
    assert_eq!(names(find("Z", SearchMode::Prefix).await), ["zack", "zoe"]);
    assert_eq!(names(find("ZOE", SearchMode::Prefix).await), ["zoe"]);
    assert_eq!(
        names(find("ｚｏ", SearchMode::Prefix).await),
        ["zoe"],
        "NFKC"
    );
    // Display names: full case folding (ß → ss), prefix and contains.
    assert_eq!(
        names(find("zoë strasse", SearchMode::Prefix).await),
        ["zoe"]
    );
    assert_eq!(names(find("STRASSE", SearchMode::Contains).await), ["zoe"]);
    assert!(names(find("STRASSE", SearchMode::Prefix).await).is_empty());
    // Contacts: addresses in any case, numbers as typed with spaces.
    assert_eq!(
        names(find("zoe.q@example", SearchMode::Prefix).await),
        ["zoe"]
    );
    assert_eq!(
        names(find("EXAMPLE.ORG", SearchMode::Contains).await),
        ["zoe"]
    );
    assert_eq!(
        names(find("+420 601 123", SearchMode::Prefix).await),
        ["zoe"]
    );
    assert_eq!(names(find("123 456", SearchMode::Contains).await), ["zoe"]);
    assert!(names(find("   ", SearchMode::Prefix).await).is_empty());
    assert!(f
        .console
        .search(&o, &"x".repeat(SEARCH_MAX_CHARS + 1), SearchMode::Prefix, 0)
        .await
        .is_err());
    assert!(f
        .console
        .search(&o, "a\nb", SearchMode::Contains, 0)
        .await
        .is_err());
    let _ = zoe;
}

async fn search_takes_like_wildcards_literally_and_pages(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    f.account("a_b", "Under Score", Role::User, &[]).await;
    f.account("axb", "Percent 100%", Role::User, &[]).await;
    let o = f.operator(&op).await;
    let found = f
        .console
        .search(&o, "a_", SearchMode::Prefix, 0)
        .await
        .unwrap();
    assert_eq!(found.accounts.len(), 1);
    let found = f
        .console
        .search(&o, "_", SearchMode::Contains, 0)
        .await
        .unwrap();
    assert_eq!(found.accounts[0].username.as_str(), "a_b");
    assert_eq!(found.accounts.len(), 1);
    let found = f
        .console
        .search(&o, "%", SearchMode::Contains, 0)
        .await
        .unwrap();
    assert_eq!(found.accounts.len(), 1, "only the display name with a %");
    let found = f
        .console
        .search(&o, "' OR 1=1 --", SearchMode::Contains, 0)
        .await
        .unwrap();
    assert!(found.accounts.is_empty());
    // Pages of 20, ordered by username.
    for i in 0..25 {
        f.account(&format!("page{i:02}"), "Paged", Role::User, &[])
            .await;
    }
    let first = f
        .console
        .search(&o, "page", SearchMode::Prefix, 0)
        .await
        .unwrap();
    assert_eq!(first.accounts.len(), 20);
    assert!(first.has_more);
    assert_eq!(first.accounts[0].username.as_str(), "page00");
    let second = f
        .console
        .search(&o, "page", SearchMode::Prefix, 1)
        .await
        .unwrap();
    assert_eq!(second.accounts.len(), 5);
    assert!(!second.has_more);
    assert_eq!(second.accounts[0].username.as_str(), "page20");
}

async fn rb_4_ec_9_operator_issue_rules(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let op2 = f.account("olga", "Olga", Role::Operator, &[]).await;
    let user = f
        .account("ursula", "Ursula", Role::User, &["u@example.org"])
        .await;
    let o = f.operator(&op).await;
    let h8 = Duration::from_secs(8 * 3600);
    let issue = |user: AccountId, verification: &'static str, reason: &'static str, uses, life| {
        let console = f.console.clone();
        let o = o.clone();
        async move {
            console
                .issue_code(&o, user, verification, reason, uses, life, &client())
                .await
        }
    };
    // RB-4: verification and reason are required; bounds checked (abuse case 19).
    for (v, r, uses, life) in [
        ("", "lost phone", 3, h8),
        ("ID card", "", 3, h8),
        ("ID card", "   ", 3, h8),
        ("ID card", "lost phone", 0, h8),
        ("ID card", "lost phone", 11, h8),
        ("ID card", "lost phone", 3, Duration::ZERO),
        (
            "ID card",
            "lost phone",
            3,
            Duration::from_secs(8 * 24 * 3600),
        ),
        ("ID\ncard", "lost phone", 3, h8),
    ] {
        let refused = issue(user.id, v, r, uses, life).await;
        assert!(
            matches!(
                refused,
                Err(DomainError::Invalid(_) | DomainError::InvalidInput { .. })
            ),
            "{v:?} {r:?} {uses} {life:?}"
        );
    }
    // EC-9: not for oneself; an operator not for another operator.
    assert!(matches!(
        issue(op.id, "ID card", "lost phone", 3, h8).await,
        Err(DomainError::Invalid(m)) if m.contains("yourself")
    ));
    assert!(matches!(
        issue(op2.id, "ID card", "lost phone", 3, h8).await,
        Err(DomainError::Invalid(m)) if m.contains("administrator")
    ));
    assert!(f.store.emergency_codes(user.id).await.unwrap().is_empty());
    assert!(f.store.emergency_codes(op.id).await.unwrap().is_empty());
    let denied: Vec<_> = f
        .events(AuditAction::EmergencyCodeIssued)
        .await
        .into_iter()
        .filter(|e| e.outcome == AuditOutcome::Denied)
        .collect();
    assert_eq!(denied.len(), 10);
    // The defaults: 3 uses, 8 hours; a second code revokes the first (EC-9).
    let first = issue(user.id, "ID card checked at the desk", "lost phone", 3, h8)
        .await
        .unwrap();
    assert_eq!(
        (first.max_uses, first.issuer),
        (3, crate::CodeIssuer::Operator)
    );
    assert_eq!(first.issued_by, Some(op.id));
    assert_eq!(
        first.verification.as_deref(),
        Some("ID card checked at the desk")
    );
    assert_eq!(first.reason_text.as_deref(), Some("lost phone"));
    assert_eq!(
        first.expires_at.as_millis() - first.created_at.as_millis(),
        8 * 3600 * 1000
    );
    let second = issue(
        user.id,
        "video call",
        "still lost",
        1,
        Duration::from_secs(900),
    )
    .await
    .unwrap();
    let codes = f.store.emergency_codes(user.id).await.unwrap();
    assert_eq!(codes.len(), 2);
    assert_eq!(codes[0].id, second.id);
    assert!(codes[0].revoked_at.is_none());
    assert_eq!(codes[1].revoked_why.as_deref(), Some("replaced"));
    // AU-5: the audit event names operator, target, uses, lifetime, reason, verification.
    let issued: Vec<_> = f
        .events(AuditAction::EmergencyCodeIssued)
        .await
        .into_iter()
        .filter(|e| e.outcome == AuditOutcome::Success)
        .collect();
    assert_eq!(issued.len(), 2);
    let e = &issued[1];
    assert_eq!((e.actor, e.subject), (Some(op.id), Some(user.id)));
    assert_eq!(e.details["max_uses"], 3);
    assert_eq!(e.details["lifetime_minutes"], 480);
    assert_eq!(e.details["reason"], "lost phone");
    assert_eq!(e.details["verification"], "ID card checked at the desk");
    assert!(f.events(AuditAction::PrivilegedCodeAlert).await.is_empty());
    // EC-13: the user's contact was told, twice, never the code.
    let outbox = raw_rows(&f.store, "outbox").await;
    assert_eq!(
        outbox
            .iter()
            .filter(|r| r.contains("help desk issued"))
            .count(),
        2,
        "{outbox:?}"
    );
}

async fn ec_9_au_5_admin_issues_for_an_operator_with_an_alert(db: TestStore) {
    let f = fixture(db).await;
    let admin = f.account("ada", "Ada", Role::Admin, &[]).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let a = f.operator(&admin).await;
    f.console
        .issue_code(
            &a,
            op.id,
            "known colleague",
            "lost phone",
            3,
            Duration::from_secs(3600),
            &client(),
        )
        .await
        .unwrap();
    let alerts = f.events(AuditAction::PrivilegedCodeAlert).await;
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].subject, Some(op.id));
    assert_eq!(alerts[0].details["target_role"], "operator");
    // Nor may an admin issue one for themselves.
    assert!(f
        .console
        .issue_code(
            &a,
            admin.id,
            "me",
            "me",
            3,
            Duration::from_secs(3600),
            &client()
        )
        .await
        .is_err());
}

async fn ec_7_the_issued_code_is_handed_over_once_and_signs_in(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let user = f.account("ursula", "Ursula", Role::User, &[]).await;
    let o = f.operator(&op).await;
    let other = f.operator(&op).await;
    let info = f
        .console
        .issue_code(
            &o,
            user.id,
            "ID card",
            "lost phone",
            3,
            Duration::from_secs(3600),
            &client(),
        )
        .await
        .unwrap();
    // Another session of the same operator does not get it.
    assert!(f.console.take_code(&other).await.unwrap().is_none());
    let (account, code, shown) = f.console.take_code(&o).await.unwrap().unwrap();
    assert_eq!((account.id, shown.id), (user.id, info.id));
    assert!(
        f.console.take_code(&o).await.unwrap().is_none(),
        "shown once"
    );
    // The code is the user's: it counts a use for them only (EC-10).
    let hasher = crate::CodeHasher::from_cipher(
        &SeedCipher::from_key_bytes([7; 32]),
        crate::EMERGENCY_CODE_KEY_LABEL,
    );
    assert!(f
        .store
        .live_emergency_code(op.id, code.hash(&hasher, op.id))
        .await
        .unwrap()
        .is_none());
    let live = f
        .store
        .live_emergency_code(user.id, code.hash(&hasher, user.id))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((live.account_id, live.uses), (user.id, 0));
    // No row holds the code in clear.
    let grouped = code.grouped().to_string();
    for table in ["emergency_codes", "audit_events", "outbox"] {
        for row in raw_rows(&f.store, table).await {
            assert!(
                !row.contains(&grouped) && !row.contains(&grouped.replace('-', "")),
                "{table}: {row}"
            );
        }
    }
    let _ = &f.emergency;
}

async fn se_7_lock_ends_sessions_and_refuses_sign_in_until_unlocked(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let user = f
        .member(
            "ursula",
            "Ursula",
            Role::User,
            vec![recovery("u@example.org")],
        )
        .await;
    let (_, token) = f.session(&user, SessionScope::Full).await;
    let o = f.operator(&op).await;
    assert!(
        f.console
            .set_locked(&o, user.id, true, "", &client())
            .await
            .is_err(),
        "reason required"
    );
    assert!(
        f.console
            .set_locked(&o, op.id, true, "test", &client())
            .await
            .is_err(),
        "not oneself"
    );
    f.console
        .set_locked(&o, user.id, true, "reported stolen", &client())
        .await
        .unwrap();
    assert!(f.auth.authorize(&token).await.is_err(), "sessions ended");
    assert!(f.store.sessions(user.id).await.unwrap().is_empty());
    assert!(f
        .auth
        .verify_password("ursula", PASSWORD.into(), &client())
        .await
        .is_err());
    // Nor Emergency Access, nor an operator code.
    assert!(f
        .emergency
        .start("ursula", PASSWORD.into(), &client())
        .await
        .is_err());
    assert!(f
        .console
        .issue_code(
            &o,
            user.id,
            "ID",
            "lost",
            3,
            Duration::from_secs(3600),
            &client()
        )
        .await
        .is_err());
    assert!(f
        .console
        .set_locked(&o, user.id, true, "again", &client())
        .await
        .is_err());
    f.console
        .set_locked(&o, user.id, false, "owner confirmed", &client())
        .await
        .unwrap();
    assert!(f
        .auth
        .verify_password("ursula", PASSWORD.into(), &client())
        .await
        .is_ok());
    let locked = f.events(AuditAction::AccountLocked).await;
    assert_eq!(locked.len(), 1);
    assert_eq!(
        (locked[0].actor, locked[0].subject),
        (Some(op.id), Some(user.id))
    );
    assert_eq!(locked[0].details["reason"], "reported stolen");
    assert_eq!(f.events(AuditAction::AccountUnlocked).await.len(), 1);
    let outbox = raw_rows(&f.store, "outbox").await;
    assert!(outbox.iter().any(|r| r.contains("locked your account")));
    assert!(outbox.iter().any(|r| r.contains("unlocked your account")));
}

async fn operator_removes_tokens_and_ends_sessions_with_notice_and_audit(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let user = f
        .account("ursula", "Ursula", Role::User, &["u@example.org"])
        .await;
    let bob = f.account("bob", "Bob", Role::User, &[]).await;
    let one = f.totp(&user, "App", "Old phone").await;
    f.totp(&user, "Second app", "Old phone").await;
    let bobs = f.totp(&bob, "Bob's app", "Bob phone").await;
    let (_, s1) = f.session(&user, SessionScope::Full).await;
    let (s2, _) = f.session(&user, SessionScope::Full).await;
    let o = f.operator(&op).await;
    // AC-2: bob's token under ursula's id is not found, and stays.
    assert!(matches!(
        f.console
            .change_token(&o, user.id, bobs, TokenAction::Remove, "lost", &client())
            .await,
        Err(DomainError::NotFound(_))
    ));
    assert!(f
        .console
        .change_token(&o, user.id, one, TokenAction::Remove, "", &client())
        .await
        .is_err());
    let removed = f
        .console
        .change_token(
            &o,
            user.id,
            one,
            TokenAction::Remove,
            "lost phone",
            &client(),
        )
        .await
        .unwrap();
    assert_eq!(removed.removed_by, Some(op.id));
    assert_eq!(f.store.active_tokens(bob.id).await.unwrap().len(), 1);
    // One session, then the device (every token on it, even the last, and every session).
    assert_eq!(
        f.console
            .end_sessions(
                &o,
                user.id,
                Some(s2.session_id()),
                "asked by phone",
                &client()
            )
            .await
            .unwrap(),
        1
    );
    let gone = f
        .console
        .remove_device(&o, user.id, "Old phone", "lost phone", &client())
        .await
        .unwrap();
    assert_eq!(gone.len(), 1);
    assert!(f.store.active_tokens(user.id).await.unwrap().is_empty());
    assert!(f.auth.authorize(&s1).await.is_err());
    assert!(matches!(
        f.console
            .end_sessions(&o, user.id, None, "again", &client())
            .await,
        Err(DomainError::NotFound(_))
    ));
    let removed = f.events(AuditAction::TokenRemoved).await;
    assert_eq!(removed.len(), 2);
    assert!(removed.iter().all(|e| e.actor == Some(op.id)
        && e.subject == Some(user.id)
        && e.details["by"] == "operator"
        && e.details["reason"] == "lost phone"));
    assert_eq!(
        f.events(AuditAction::SessionsEndedByOperator).await.len(),
        1
    );
    let outbox = raw_rows(&f.store, "outbox").await;
    assert_eq!(
        outbox
            .iter()
            .filter(|r| r.contains("Your help desk"))
            .count(),
        3,
        "{outbox:?}"
    );
}

async fn revoke_code_and_set_operator(db: TestStore) {
    let f = fixture(db).await;
    let admin = f.account("ada", "Ada", Role::Admin, &[]).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let user = f.account("ursula", "Ursula", Role::User, &[]).await;
    let o = f.operator(&op).await;
    assert!(matches!(
        f.console
            .revoke_code(&o, user.id, "mistake", &client())
            .await,
        Err(DomainError::NotFound(_))
    ));
    f.console
        .issue_code(
            &o,
            user.id,
            "ID",
            "lost",
            3,
            Duration::from_secs(3600),
            &client(),
        )
        .await
        .unwrap();
    f.console
        .revoke_code(&o, user.id, "mistake", &client())
        .await
        .unwrap();
    let codes = f.store.emergency_codes(user.id).await.unwrap();
    assert_eq!(codes[0].revoked_why.as_deref(), Some("operator"));
    // Only an admin makes operators; an operator's Operator value cannot.
    assert!(matches!(
        f.console
            .set_operator(&o, user.id, true, "new colleague", &client())
            .await,
        Err(DomainError::Forbidden)
    ));
    let a = f.operator(&admin).await;
    assert!(f
        .console
        .set_operator(&a, user.id, true, "", &client())
        .await
        .is_err());
    f.console
        .set_operator(&a, user.id, true, "new colleague", &client())
        .await
        .unwrap();
    assert_eq!(
        f.store.account_by_id(user.id).await.unwrap().unwrap().role,
        Role::Operator
    );
    assert!(f
        .console
        .set_operator(&a, admin.id, false, "me", &client())
        .await
        .is_err());
    f.console
        .set_operator(&a, user.id, false, "left", &client())
        .await
        .unwrap();
    assert_eq!(
        f.store.account_by_id(user.id).await.unwrap().unwrap().role,
        Role::User
    );
    assert_eq!(f.events(AuditAction::RoleChanged).await.len(), 2);
}

/// Ursula with a real password and a confirmed recovery address, and her own authenticator app.
async fn owner_with_recovery(f: &Fixture) -> (Account, TokenId) {
    let user = f
        .member(
            "ursula",
            "Ursula",
            Role::User,
            vec![recovery("u@example.org")],
        )
        .await;
    let token = f.totp(&user, "App", "Old phone").await;
    (user, token)
}

/// Issue 13: the help desk's "this was not me". After an emergency code, someone added their
/// own app and mailbox, made the mailbox the recovery address and holds sessions; the operator
/// undoes it all and locks the account, audited under their name with the reason.
async fn operator_undoes_emergency_access_and_locks(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let (user, owners) = owner_with_recovery(&f).await;
    let o = f.operator(&op).await;
    f.clock.advance(Duration::from_secs(60));
    f.console
        .issue_code(
            &o,
            user.id,
            "ID card",
            "lost phone",
            3,
            Duration::from_secs(3600),
            &client(),
        )
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(60));
    let theirs = f.totp(&user, "Attacker app", "Attacker phone").await;
    let mailbox = f
        .store
        .add_contact(user.id, contact("attacker@evil.example", true))
        .await
        .unwrap();
    assert!(f
        .store
        .set_recovery_contact(
            user.id,
            mailbox,
            &[],
            &NewAuditEvent::new(AuditAction::RecoveryAddressSet, AuditOutcome::Success),
        )
        .await
        .unwrap());
    let (_, restricted) = f.session(&user, SessionScope::Emergency).await;
    let (_, full) = f.session(&user, SessionScope::Full).await;
    let undone = f
        .console
        .undo_emergency_access(&o, user.id, "owner called: not them", &client())
        .await
        .unwrap();
    assert_eq!(undone.account, user.id);
    assert_eq!(undone.codes.len(), 1);
    assert_eq!(
        (
            undone.tokens_removed,
            undone.contacts_removed,
            undone.recovery_restored,
            undone.sessions_ended
        ),
        (1, 1, true, 2)
    );
    // Locked, everyone signed out, the password alone gets nowhere.
    assert_eq!(
        f.store.account_by_id(user.id).await.unwrap().unwrap().state,
        AccountState::Locked
    );
    assert!(f.auth.authorize(&restricted).await.is_err());
    assert!(f.auth.authorize(&full).await.is_err());
    assert!(f
        .auth
        .verify_password("ursula", PASSWORD.into(), &client())
        .await
        .is_err());
    // The owner's app stays; the one added since is removed; the recovery address is hers.
    assert_eq!(
        f.store.token(user.id, owners).await.unwrap().unwrap().state,
        TokenState::Active
    );
    assert_eq!(
        f.store.token(user.id, theirs).await.unwrap().unwrap().state,
        TokenState::Removed
    );
    let contacts = f.store.contacts(user.id).await.unwrap();
    assert_eq!(contacts.len(), 1, "{contacts:?}");
    assert_eq!(
        (contacts[0].value.as_str(), contacts[0].is_recovery),
        ("u@example.org", true)
    );
    let codes = f.store.emergency_codes(user.id).await.unwrap();
    assert_eq!(codes[0].revoked_why.as_deref(), Some("not_me"));
    // Audited with the operator as actor, the user as subject, and the reason.
    for action in [
        AuditAction::AccountLocked,
        AuditAction::EmergencyCodeRevoked,
    ] {
        let events = f.events(action).await;
        assert_eq!(events.len(), 1, "{action:?}: {events:?}");
        assert_eq!(
            (events[0].actor, events[0].subject),
            (Some(op.id), Some(user.id))
        );
        assert_eq!(events[0].details["why"], "operator");
        assert_eq!(events[0].details["reason"], "owner called: not them");
    }
    // The owner is told that the help desk did it; the removed mailbox is not.
    let outbox = f.store.outbox_messages(100).await.unwrap();
    assert!(outbox
        .iter()
        .any(|m| m.recipient == "u@example.org" && m.body.contains("Your help desk has stopped")));
    assert!(!outbox
        .iter()
        .any(|m| m.recipient == "attacker@evil.example" && m.body.contains("locked")));
}

/// The undo needs a reason and a code of the last 7 days (a clear message otherwise, nothing
/// changed); not one's own account; an operator's account by an administrator only.
async fn operator_undo_is_refused_without_a_recent_code_and_follows_the_target_rules(
    db: TestStore,
) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let olga = f.account("olga", "Olga", Role::Operator, &[]).await;
    let admin = f.account("ada", "Ada", Role::Admin, &[]).await;
    let (user, _) = owner_with_recovery(&f).await;
    let (_, session) = f.session(&user, SessionScope::Full).await;
    let o = f.operator(&op).await;
    let refused = |result: Result<Undone, DomainError>, what: &str| match result {
        Err(e) if e.is_invalid() => assert!(e.to_string().contains(what), "{e}"),
        other => panic!("{other:?}"),
    };
    refused(
        f.console
            .undo_emergency_access(&o, user.id, "not them", &client())
            .await,
        "no emergency access code in the last 7 days",
    );
    refused(
        f.console
            .undo_emergency_access(&o, user.id, "", &client())
            .await,
        "reason",
    );
    refused(
        f.console
            .undo_emergency_access(&o, op.id, "me", &client())
            .await,
        "your own account",
    );
    refused(
        f.console
            .undo_emergency_access(&o, olga.id, "colleague", &client())
            .await,
        "only an administrator",
    );
    // An administrator gets past that rule (and to the missing code).
    let a = f.operator(&admin).await;
    refused(
        f.console
            .undo_emergency_access(&a, olga.id, "colleague", &client())
            .await,
        "no emergency access code",
    );
    assert!(f.store.session(&session).await.unwrap().is_some());
    // A code older than 7 days is no longer undone from the console either.
    f.console
        .issue_code(
            &o,
            user.id,
            "ID card",
            "lost phone",
            3,
            Duration::from_secs(3600),
            &client(),
        )
        .await
        .unwrap();
    f.clock
        .advance(crate::CANCEL_LINK_TTL + Duration::from_secs(1));
    refused(
        f.console
            .undo_emergency_access(&o, user.id, "not them", &client())
            .await,
        "no emergency access code",
    );
    // Nothing changed by any of it.
    assert_eq!(
        f.store.account_by_id(user.id).await.unwrap().unwrap().state,
        AccountState::Active
    );
    assert!(f.events(AuditAction::AccountLocked).await.is_empty());
}

async fn overview_counts_the_last_seven_days(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let user = f.account("ursula", "Ursula", Role::User, &[]).await;
    let o = f.operator(&op).await;
    // Eight days ago: outside the window.
    f.clock.advance(Duration::ZERO);
    f.console
        .issue_code(
            &o,
            user.id,
            "ID",
            "lost",
            3,
            Duration::from_secs(3600),
            &client(),
        )
        .await
        .unwrap();
    f.clock.advance(Duration::from_secs(8 * 86_400));
    f.console
        .issue_code(
            &o,
            user.id,
            "ID",
            "lost",
            3,
            Duration::from_secs(3600),
            &client(),
        )
        .await
        .unwrap();
    f.console
        .set_locked(&o, user.id, true, "stolen", &client())
        .await
        .unwrap();
    f.store
        .audit(NewAuditEvent::new(
            AuditAction::SignInPassword,
            AuditOutcome::Failure,
        ))
        .await
        .unwrap();
    f.store
        .audit(NewAuditEvent::new(
            AuditAction::SignInSecondFactor,
            AuditOutcome::Failure,
        ))
        .await
        .unwrap();
    f.store
        .audit(NewAuditEvent::new(
            AuditAction::SignInPassword,
            AuditOutcome::Success,
        ))
        .await
        .unwrap();
    let view = f.console.overview(&o).await.unwrap();
    assert_eq!(view.codes_operator.len(), OVERVIEW_DAYS);
    assert_eq!(view.codes_operator.iter().sum::<u32>(), 1);
    assert_eq!(
        *view.codes_operator.last().unwrap(),
        1,
        "today is the last day"
    );
    assert_eq!(view.codes_self_service.iter().sum::<u32>(), 0);
    assert_eq!(view.accounts_locked.iter().sum::<u32>(), 1);
    assert_eq!(view.sign_in_failures.iter().sum::<u32>(), 2);
    assert_eq!(view.codes_used.iter().sum::<u32>(), 0);
}

#[test]
fn search_keys_fold_like_usernames() {
    assert_eq!(search_key("  ZOË  "), "zoë");
    assert_eq!(search_key("Straße"), "strasse");
    assert_eq!(search_key("ＡＢＣ"), "abc");
    assert_eq!(contact_key("+420 601-123.456"), "+420601123456");
    assert_eq!(contact_key("(601) 123"), "601123");
    assert_eq!(contact_key("zoe@example.org"), "zoe@example.org");
    assert_eq!(contact_key("+"), "+");
    assert_eq!(
        crate::store::like_escape_for_tests("a%b_c\\"),
        "a\\%b\\_c\\\\"
    );
}

#[test]
fn operator_notices_carry_no_control_characters() {
    let n = operator_notice("Eve\r\nBcc: x", "locked your account", "stolen\nphone", URL);
    assert!(!n.subject.contains('\n'));
    assert!(n.body.contains("Hello EveBcc: x,"));
    assert!(n.body.contains("Reason given: stolenphone"));
    assert!(n.sms.contains("locked your account"));
}

/// The figure for the README: console search over 100,000 accounts (each with an e-mail
/// address and a phone number), on SQLite and on PostgreSQL. Ignored by default (it takes a
/// while to fill); run it with
/// `cargo test -p identity --release --lib console::tests::search_timing -- --ignored --nocapture`.
/// It prints the median of 5 runs per query and checks each query's answer, never its time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn search_timing_over_100_000_accounts() {
    let mut backends = vec![("sqlite", crate::testing::sqlite().await)];
    if let Some(pg) = crate::testing::postgres().await {
        backends.push(("postgres", pg));
    }
    for (name, db) in backends {
        let f = fixture(db).await;
        fill(&f.store, 100_000).await;
        let op = f.account("otto", "Otto", Role::Operator, &[]).await;
        let o = f.operator(&op).await;
        let cases: [(&str, SearchMode, &str); 6] = [
            ("user099998", SearchMode::Prefix, "user099998"),
            ("Person 4242", SearchMode::Prefix, "user004242"),
            ("+420 600 077", SearchMode::Prefix, "user077000"),
            ("USER05000@example", SearchMode::Prefix, "user005000"),
            ("surname 987", SearchMode::Contains, "user000987"),
            ("@example.org", SearchMode::Contains, "otto"),
        ];
        for (term, mode, first) in cases {
            let mut times = Vec::new();
            let mut page = None;
            for _ in 0..5 {
                let start = std::time::Instant::now();
                page = Some(f.console.search(&o, term, mode, 0).await.unwrap());
                times.push(start.elapsed());
            }
            times.sort();
            let page = page.unwrap();
            let names: Vec<&str> = page.accounts.iter().map(|a| a.username.as_str()).collect();
            if term == "@example.org" {
                assert_eq!(names.len(), 20, "{names:?}");
                assert!(page.has_more);
            } else {
                assert_eq!(names.first().copied(), Some(first), "{term}: {names:?}");
            }
            eprintln!(
                "search timing [{name}] {term:?} {mode:?}: median {:.1} ms ({} results{})",
                times[2].as_secs_f64() * 1000.0,
                names.len(),
                if page.has_more { ", more" } else { "" }
            );
        }
    }
}

/// Inserts `n` accounts `user000000…` with an address and a number each, 1000 a statement,
/// then refreshes the planner's statistics.
async fn fill(store: &Store, n: usize) {
    let hash = fake_password_hash();
    for chunk in (0..n).collect::<Vec<_>>().chunks(1000) {
        let accounts: Vec<String> = chunk
            .iter()
            .map(|i| {
                format!(
                    "('user{i:06}', 'Person {i} Surname {}', '{}', 'active', 'user', 0, 0, \
                     'person {i} surname {}')",
                    i % 1000,
                    hash.as_str(),
                    i % 1000
                )
            })
            .collect();
        crate::testing::execute_raw(
            store,
            &format!(
                "INSERT INTO accounts (username, display_name, password_hash, state, role, \
                 created_at, updated_at, search_name) VALUES {}",
                accounts.join(", ")
            ),
        )
        .await
        .unwrap();
        let contacts: Vec<String> = chunk
            .iter()
            .flat_map(|i| {
                [
                    format!(
                        "((SELECT id FROM accounts WHERE username = 'user{i:06}'), 'email', \
                         'User{i:05}@example.org', {t}, {t}, 0)",
                        t = "TRUE"
                    ),
                    format!(
                        "((SELECT id FROM accounts WHERE username = 'user{i:06}'), 'phone', \
                         '+420600{i:06}', TRUE, FALSE, 0)"
                    ),
                ]
            })
            .collect();
        crate::testing::execute_raw(
            store,
            &format!(
                "INSERT INTO contacts (account_id, kind, value, confirmed, is_recovery, \
                 created_at) VALUES {}",
                contacts.join(", ")
            ),
        )
        .await
        .unwrap();
    }
    // As autovacuum (PostgreSQL) or `PRAGMA optimize` (SQLite) would after a bulk load: the
    // planner needs the statistics to choose the index range scans.
    crate::testing::execute_raw(store, "ANALYZE").await.unwrap();
}

/// Issue 14: operators block and unblock one token (even the last); a reason is required,
/// another account's token is not found, the user is told and each step is audited.
async fn operator_blocks_and_unblocks_a_token_with_notice_and_audit(db: TestStore) {
    let f = fixture(db).await;
    let op = f.account("otto", "Otto", Role::Operator, &[]).await;
    let user = f
        .account("ursula", "Ursula", Role::User, &["u@example.org"])
        .await;
    let bob = f.account("bob", "Bob", Role::User, &[]).await;
    let only = f.totp(&user, "App", "Old phone").await;
    let bobs = f.totp(&bob, "Bob's app", "Bob phone").await;
    let o = f.operator(&op).await;
    assert!(matches!(
        f.console
            .change_token(&o, user.id, bobs, TokenAction::Block, "lost", &client())
            .await,
        Err(DomainError::NotFound(_))
    ));
    assert!(f
        .console
        .change_token(&o, user.id, only, TokenAction::Block, " ", &client())
        .await
        .is_err());
    assert_eq!(f.store.active_tokens(bob.id).await.unwrap().len(), 1);
    assert_eq!(f.store.active_tokens(user.id).await.unwrap().len(), 1);

    let blocked = f
        .console
        .change_token(
            &o,
            user.id,
            only,
            TokenAction::Block,
            "phone reported lost",
            &client(),
        )
        .await
        .unwrap();
    assert_eq!(blocked.state, TokenState::Blocked);
    assert!(blocked.blocked_at.is_some());
    assert!(f.store.active_tokens(user.id).await.unwrap().is_empty());
    // Unblocking an active token, or twice: not found.
    assert!(matches!(
        f.console
            .change_token(&o, user.id, bobs, TokenAction::Unblock, "found", &client())
            .await,
        Err(DomainError::NotFound(_))
    ));
    let back = f
        .console
        .change_token(
            &o,
            user.id,
            only,
            TokenAction::Unblock,
            "phone found",
            &client(),
        )
        .await
        .unwrap();
    assert_eq!((back.state, back.blocked_at), (TokenState::Active, None));
    assert!(matches!(
        f.console
            .change_token(
                &o,
                user.id,
                only,
                TokenAction::Unblock,
                "phone found",
                &client()
            )
            .await,
        Err(DomainError::NotFound(_))
    ));

    let block_events = f.events(AuditAction::TokenBlocked).await;
    let unblock_events = f.events(AuditAction::TokenUnblocked).await;
    assert_eq!((block_events.len(), unblock_events.len()), (1, 1));
    for (event, reason) in [
        (&block_events[0], "phone reported lost"),
        (&unblock_events[0], "phone found"),
    ] {
        assert_eq!((event.actor, event.subject), (Some(op.id), Some(user.id)));
        assert_eq!(event.details["by"], "operator");
        assert_eq!(event.details["reason"], reason);
    }
    let outbox = raw_rows(&f.store, "outbox").await;
    assert!(outbox
        .iter()
        .any(|r| r.contains("blocked the sign-in method") && r.contains("App")));
    assert!(outbox
        .iter()
        .any(|r| r.contains("unblocked the sign-in method")));
}
