//! One store suite, run unchanged on SQLite and on PostgreSQL: each `async fn` below is a test
//! body, and `backend_tests!` turns it into `sqlite::<name>` and `postgres::<name>` tests, each
//! on its own fresh database.

use std::sync::Arc;
use std::time::Duration;

use crate::testing::{self, fake_password_hash, ManualClock};
use crate::time::Clock;
use crate::{
    AccountId, AccountState, ContactKind, ContactValue, DomainError, Email, NewAccount, NewContact,
    NewSession, NewToken, PhoneNumber, Role, SeedCipher, SessionId, SessionScope, SessionToken,
    Store, Timestamp, TokenId, TokenKind, TokenState, TotpSecret, Username, LOGIN_ATTEMPT_TTL,
    SESSION_ABSOLUTE, SESSION_IDLE,
};

// Suites in their own files.
mod audit_throttle;
mod browsers;
mod confirm;
mod migrations;
mod oob_outbox;
mod passkeys;
mod selfservice;

on_both_backends!(
    store:
    migrate_twice_is_idempotent,
    changed_migration_is_an_error,
    ping_and_backend_name,
    create_and_find_by_canonical_username,
    duplicate_username_is_a_conflict,
    create_account_with_is_atomic,
    create_account_with_writes_contacts,
    display_name_is_checked,
    hostile_text_is_stored_as_plain_text,
    set_role_changes_role_and_stamps_time,
    set_role_unknown_user_is_not_found,
    created_state_is_kept,
    contacts_add_list_and_conflicts,
    tokens_insert_and_list,
    token_shape_and_text_are_checked,
    otp9_token_secret_is_sealed_not_plaintext,
    storage_errors_are_generic,
    se8_login_attempt_create_lookup_and_expiry,
    se8_finish_login_attempt_deletes_it,
    signed_in_session_opens_in_one_transaction,
    an_emergency_code_is_used_by_the_session_it_opens_only_as_read,
    signed_in_reads_session_account_and_code_together,
    se8_login_attempt_token_is_not_a_session,
    se4_session_create_and_lookup,
    se4_session_text_is_cut_and_cleaned,
    se4_session_idle_expiry_after_30_min,
    se4_session_absolute_expiry_at_12_h_despite_activity,
    se5_end_session_then_lookup_is_none,
    se1_only_the_token_hash_is_stored,
    se1_se2_every_session_and_attempt_gets_a_new_token,
    se7_end_sessions_by_id_and_all_others,
    purge_expired_deletes_only_dead_rows,
    otp6_same_step_twice_second_refused,
    otp6_lower_step_after_higher_refused,
    otp6_wrong_account_or_inactive_token_refused,
    otp6_parallel_same_step_exactly_one_wins,
    ac2_token_lookup_is_scoped_by_account_and_active_tokens,
);

fn username(s: &str) -> Username {
    Username::parse(s).unwrap()
}

fn new_account(name: &str) -> NewAccount {
    NewAccount {
        username: username(name),
        display_name: format!("{name} Example"),
        password_hash: fake_password_hash(),
        role: Role::User,
        state: AccountState::Active,
    }
}

fn email(s: &str, recovery: bool) -> NewContact {
    NewContact {
        value: Email::parse(s).unwrap().into(),
        confirmed: true,
        is_recovery: recovery,
    }
}

fn phone(s: &str) -> NewContact {
    NewContact {
        value: PhoneNumber::parse(s).unwrap().into(),
        confirmed: false,
        is_recovery: false,
    }
}

fn totp_token(account: AccountId, sealed: Vec<u8>) -> NewToken {
    NewToken {
        account_id: account,
        kind: TokenKind::Totp,
        label: "Authenticator".into(),
        device: Some("Pixel 8".into()),
        state: TokenState::Pending,
        secret_enc: Some(sealed),
        target: None,
    }
}

fn is_conflict(r: &Result<impl std::fmt::Debug, DomainError>, needle: &str) -> bool {
    matches!(r, Err(DomainError::Conflict(m)) if m.contains(needle))
}

async fn migrate_twice_is_idempotent(store: &Store) {
    // The helper migrated once already.
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 0);
}

async fn changed_migration_is_an_error(store: &Store) {
    let tamper = match store.backend_name() {
        "sqlite" => "UPDATE _sqlx_migrations SET checksum = X'00' WHERE version = 1",
        _ => "UPDATE _sqlx_migrations SET checksum = '\\x00'::bytea WHERE version = 1",
    };
    assert_eq!(testing::execute_raw(store, tamper).await.unwrap(), 1);
    let err = store.migrate().await.unwrap_err();
    assert!(matches!(err, DomainError::Migration(_)), "{err:?}");
    assert!(
        err.to_string().starts_with("database migration failed: "),
        "{err}"
    );
}

async fn ping_and_backend_name(store: &Store) {
    store.ping().await.unwrap();
    assert!(["sqlite", "postgres"].contains(&store.backend_name()));
    assert!(format!("{store:?}").contains(store.backend_name()));
}

async fn create_and_find_by_canonical_username(store: &Store) {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_700_000_000_000)));
    let store = store.clone().with_clock(clock);
    let id = store.create_account(new_account("Alice")).await.unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 1);

    for typed in ["alice", "Alice", "ALICE", "ａｌｉｃｅ"] {
        let found = store
            .account_by_username(&username(typed))
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{typed:?} should find alice"));
        assert_eq!(found.id, id);
        assert_eq!(found.username.as_str(), "alice");
    }
    let a = store.account_by_id(id).await.unwrap().unwrap();
    assert_eq!(a.display_name, "Alice Example");
    assert_eq!(a.password_hash, fake_password_hash());
    assert_eq!(a.state, AccountState::Active);
    assert_eq!(a.role, Role::User);
    assert_eq!(a.created_at, Timestamp::from_millis(1_700_000_000_000));
    assert_eq!(a.updated_at, a.created_at);

    // A homoglyph (Cyrillic а) is another, non-existent account.
    assert!(store
        .account_by_username(&username("аlice"))
        .await
        .unwrap()
        .is_none());
    assert!(store
        .account_by_id(AccountId(id.0 + 1000))
        .await
        .unwrap()
        .is_none());
}

async fn duplicate_username_is_a_conflict(store: &Store) {
    store.create_account(new_account("alice")).await.unwrap();
    let again = store.create_account(new_account("ALICE")).await;
    assert!(
        is_conflict(&again, "the username alice is already taken"),
        "{again:?}"
    );
    assert_eq!(store.count_accounts().await.unwrap(), 1);
}

async fn create_account_with_is_atomic(store: &Store) {
    // A duplicate contact fails on the second insert, after the account row: all rolled back.
    let dup = store
        .create_account_with(
            new_account("dave"),
            vec![email("d@example.com", false), email("d@EXAMPLE.com", false)],
        )
        .await;
    assert!(is_conflict(&dup, "d@example.com"), "{dup:?}");
    assert!(store
        .account_by_username(&username("dave"))
        .await
        .unwrap()
        .is_none());

    let two_recovery = store
        .create_account_with(
            new_account("dave"),
            vec![email("d@example.com", true), email("d2@example.com", true)],
        )
        .await;
    assert!(is_conflict(&two_recovery, "recovery"), "{two_recovery:?}");
    assert_eq!(store.count_accounts().await.unwrap(), 0);

    // A taken username writes none of the contacts either.
    let taken = store.create_account(new_account("erin")).await.unwrap();
    let again = store
        .create_account_with(new_account("Erin"), vec![email("e@example.com", true)])
        .await;
    assert!(is_conflict(&again, "already taken"), "{again:?}");
    assert!(store.contacts(taken).await.unwrap().is_empty());
    assert_eq!(store.count_accounts().await.unwrap(), 1);

    // Nothing was left behind: the same username works now.
    store
        .create_account_with(new_account("dave"), vec![email("d@example.com", true)])
        .await
        .unwrap();
    assert_eq!(store.count_accounts().await.unwrap(), 2);
}

async fn create_account_with_writes_contacts(store: &Store) {
    let id = store
        .create_account_with(
            new_account("frank"),
            vec![email("f@example.com", true), phone("+420 601 123 456")],
        )
        .await
        .unwrap();
    let contacts = store.contacts(id).await.unwrap();
    assert_eq!(contacts.len(), 2);
    assert_eq!(
        (
            contacts[0].kind,
            contacts[0].value.as_str(),
            contacts[0].confirmed,
            contacts[0].is_recovery
        ),
        (ContactKind::Email, "f@example.com", true, true)
    );
    assert_eq!(
        (
            contacts[1].kind,
            contacts[1].value.as_str(),
            contacts[1].confirmed,
            contacts[1].is_recovery
        ),
        (ContactKind::Phone, "+420601123456", false, false)
    );
    assert!(contacts.iter().all(|c| c.account_id == id));
}

async fn display_name_is_checked(store: &Store) {
    let mut a = new_account("gina");
    a.display_name = "Gina\r\nBcc: victim@example.com".into();
    let r = store.create_account(a).await;
    assert!(
        matches!(
            r,
            Err(DomainError::InvalidInput {
                field: "display name",
                ..
            })
        ),
        "{r:?}"
    );
    let mut a = new_account("gina");
    a.display_name = "x".repeat(101);
    assert!(store.create_account(a).await.is_err());
    assert_eq!(store.count_accounts().await.unwrap(), 0);

    let mut a = new_account("gina");
    a.display_name = "   ".into();
    let id = store.create_account(a).await.unwrap();
    assert_eq!(
        store.account_by_id(id).await.unwrap().unwrap().display_name,
        ""
    );
}

async fn hostile_text_is_stored_as_plain_text(store: &Store) {
    // hostile-inputs.json sql and markup: parameterised SQL stores them verbatim (CS-6).
    let hostile = [
        "' OR '1'='1",
        "admin'--",
        "\"; DROP TABLE accounts;--",
        "%' OR 1=1 --",
        "1; SELECT pg_sleep(5)",
        "<img src=x onerror=alert(1)>",
        "{{7*7}}",
        "${7*7}",
        "\\",
    ];
    for (i, text) in hostile.iter().enumerate() {
        let mut a = new_account(&format!("user{i}"));
        a.display_name = (*text).to_owned();
        let id = store.create_account(a).await.unwrap();
        assert_eq!(
            store.account_by_id(id).await.unwrap().unwrap().display_name,
            *text
        );
        let token = NewToken {
            label: (*text).to_owned(),
            device: Some((*text).to_owned()),
            ..totp_token(id, vec![1; 40])
        };
        store.insert_token(token).await.unwrap();
        let listed = store.tokens(id).await.unwrap();
        assert_eq!(listed[0].label, *text);
        assert_eq!(listed[0].device.as_deref(), Some(*text));
    }
    assert_eq!(store.count_accounts().await.unwrap(), hostile.len() as i64);
    // SQL wildcards in a username are not wildcards.
    assert!(store
        .account_by_username(&username("user_"))
        .await
        .unwrap()
        .is_none());
}

async fn set_role_changes_role_and_stamps_time(store: &Store) {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(1_000_000)));
    let store = store.clone().with_clock(clock.clone());
    let id = store.create_account(new_account("olga")).await.unwrap();
    clock.advance(Duration::from_secs(60));
    store
        .set_role(&username("OLGA"), Role::Operator)
        .await
        .unwrap();
    let a = store.account_by_id(id).await.unwrap().unwrap();
    assert_eq!(a.role, Role::Operator);
    assert_eq!(a.created_at, Timestamp::from_millis(1_000_000));
    assert_eq!(a.updated_at, Timestamp::from_millis(1_060_000));
    store
        .set_role(&username("olga"), Role::Admin)
        .await
        .unwrap();
    assert_eq!(
        store.account_by_id(id).await.unwrap().unwrap().role,
        Role::Admin
    );
}

async fn set_role_unknown_user_is_not_found(store: &Store) {
    let r = store.set_role(&username("nobody"), Role::Admin).await;
    assert!(
        matches!(&r, Err(DomainError::NotFound(m)) if m.contains("nobody")),
        "{r:?}"
    );
}

async fn created_state_is_kept(store: &Store) {
    let locked = NewAccount {
        state: AccountState::Locked,
        ..new_account("paul")
    };
    let id = store.create_account(locked).await.unwrap();
    assert_eq!(
        store.account_by_id(id).await.unwrap().unwrap().state,
        AccountState::Locked
    );
}

async fn contacts_add_list_and_conflicts(store: &Store) {
    let a = store.create_account(new_account("hana")).await.unwrap();
    let b = store.create_account(new_account("ivan")).await.unwrap();
    let e1 = store
        .add_contact(a, email("hana@example.com", true))
        .await
        .unwrap();
    let p1 = store
        .add_contact(a, phone("+1 415 555 2671"))
        .await
        .unwrap();
    assert_ne!(e1, p1);

    let dup = store.add_contact(a, email("hana@Example.COM", false)).await;
    assert!(
        is_conflict(&dup, "already has the e-mail address hana@example.com"),
        "{dup:?}"
    );
    let second_recovery = store.add_contact(a, email("other@example.com", true)).await;
    assert!(
        is_conflict(&second_recovery, "recovery"),
        "{second_recovery:?}"
    );
    // Another account may use the same address, and have its own recovery contact.
    store
        .add_contact(b, email("hana@example.com", true))
        .await
        .unwrap();
    // A non-recovery address beside the recovery one is fine.
    store
        .add_contact(a, email("hana.work@example.com", false))
        .await
        .unwrap();

    let listed = store.contacts(a).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0].id, e1);
    assert_eq!(listed[1].value, "+14155552671");
    assert_eq!(listed.iter().filter(|c| c.is_recovery).count(), 1);
    assert_eq!(store.contacts(b).await.unwrap().len(), 1);

    let missing = store
        .add_contact(AccountId(a.0 + 1000), email("x@example.com", false))
        .await;
    assert!(
        matches!(missing, Err(DomainError::NotFound(_))),
        "{missing:?}"
    );
}

async fn tokens_insert_and_list(store: &Store) {
    let clock = Arc::new(ManualClock::new(Timestamp::from_millis(5_000)));
    let store = store.clone().with_clock(clock);
    let a = store.create_account(new_account("jan")).await.unwrap();
    let b = store.create_account(new_account("kim")).await.unwrap();
    let cipher = SeedCipher::from_key_bytes([5; 32]);
    let seed = TotpSecret::generate();

    let t1 = store
        .insert_token(totp_token(a, seed.seal(&cipher, a).unwrap()))
        .await
        .unwrap();
    let t2 = store
        .insert_token(NewToken {
            account_id: a,
            kind: TokenKind::Sms,
            label: "  Phone  ".into(),
            device: Some("Pixel 8".into()),
            state: TokenState::Active,
            secret_enc: None,
            target: Some(PhoneNumber::parse("+420601123456").unwrap().into()),
        })
        .await
        .unwrap();
    let t3 = store
        .insert_token(NewToken {
            account_id: a,
            kind: TokenKind::Email,
            label: "Mail".into(),
            device: Some("".into()),
            state: TokenState::Active,
            secret_enc: None,
            target: Some(Email::parse("jan@example.com").unwrap().into()),
        })
        .await
        .unwrap();

    let tokens = store.tokens(a).await.unwrap();
    assert_eq!(
        tokens.iter().map(|t| t.id).collect::<Vec<_>>(),
        [t1, t2, t3]
    );
    let totp = &tokens[0];
    assert_eq!(totp.kind, TokenKind::Totp);
    assert_eq!(totp.state, TokenState::Pending);
    assert_eq!(totp.label, "Authenticator");
    assert_eq!(totp.device.as_deref(), Some("Pixel 8"));
    assert_eq!(totp.target, None);
    assert_eq!(totp.created_at, Timestamp::from_millis(5_000));
    assert_eq!((totp.last_used_at, totp.last_totp_step), (None, None));
    assert_eq!((totp.removed_at, totp.removed_by), (None, None));
    assert_eq!(tokens[1].label, "Phone");
    assert_eq!(tokens[1].target.as_deref(), Some("+420601123456"));
    assert_eq!(tokens[1].state, TokenState::Active);
    // An empty device name means none.
    assert_eq!(tokens[2].device, None);
    assert_eq!(tokens[2].target.as_deref(), Some("jan@example.com"));

    // Another account's list is its own (AC-2).
    assert!(store.tokens(b).await.unwrap().is_empty());
    let missing = store
        .insert_token(totp_token(AccountId(a.0 + 1000), vec![1; 40]))
        .await;
    assert!(
        matches!(missing, Err(DomainError::NotFound(_))),
        "{missing:?}"
    );
}

async fn token_shape_and_text_are_checked(store: &Store) {
    let a = store.create_account(new_account("lena")).await.unwrap();
    let phone_target: ContactValue = PhoneNumber::parse("+420601123456").unwrap().into();
    let bad = [
        NewToken {
            secret_enc: None,
            ..totp_token(a, vec![])
        },
        NewToken {
            target: Some(phone_target.clone()),
            ..totp_token(a, vec![1; 40])
        },
        NewToken {
            kind: TokenKind::Sms,
            secret_enc: None,
            target: Some(Email::parse("a@example.com").unwrap().into()),
            ..totp_token(a, vec![])
        },
        NewToken {
            kind: TokenKind::Email,
            secret_enc: Some(vec![1; 40]),
            target: Some(Email::parse("a@example.com").unwrap().into()),
            ..totp_token(a, vec![])
        },
    ];
    for token in bad {
        let r = store.insert_token(token).await;
        assert!(
            matches!(r, Err(DomainError::InvalidInput { field: "token", .. })),
            "{r:?}"
        );
    }
    for (label, device) in [
        ("label\r\nX-Evil: 1", None),
        ("", None),
        (&*"x".repeat(65), None),
        ("ok", Some("dev\u{202E}ice")),
    ] {
        let r = store
            .insert_token(NewToken {
                label: label.to_owned(),
                device: device.map(str::to_owned),
                ..totp_token(a, vec![1; 40])
            })
            .await;
        assert!(
            matches!(r, Err(DomainError::InvalidInput { .. })),
            "{label:?}: {r:?}"
        );
    }
    assert!(store.tokens(a).await.unwrap().is_empty());
}

async fn otp9_token_secret_is_sealed_not_plaintext(store: &Store) {
    let a = store.create_account(new_account("mira")).await.unwrap();
    let cipher = SeedCipher::from_key_bytes([6; 32]);
    let seed = TotpSecret::generate();
    let base32 = seed.to_base32();
    let id = store
        .insert_token(totp_token(a, seed.seal(&cipher, a).unwrap()))
        .await
        .unwrap();

    let stored = store
        .token_secret(id)
        .await
        .unwrap()
        .expect("a TOTP token has a seed");
    let plain_code = seed.code_at(1_700_000_000);
    let opened = TotpSecret::open(&cipher, &stored, a).unwrap();
    assert_eq!(opened.code_at(1_700_000_000), plain_code);

    // What the database holds is neither the seed nor its base32 text.
    for raw in testing::raw_token_secrets(store).await {
        assert_eq!(raw, stored);
        assert!(!raw.windows(base32.len()).any(|w| w == base32.as_bytes()));
        let reopened = TotpSecret::open(&cipher, &raw, a).unwrap();
        assert_eq!(reopened.to_base32(), base32);
    }
    // Bound to its account: it does not open for another.
    assert!(TotpSecret::open(&cipher, &stored, AccountId(a.0 + 1)).is_err());

    let sms = store
        .insert_token(NewToken {
            kind: TokenKind::Sms,
            secret_enc: None,
            target: Some(PhoneNumber::parse("+420601123456").unwrap().into()),
            ..totp_token(a, vec![])
        })
        .await
        .unwrap();
    assert_eq!(store.token_secret(sms).await.unwrap(), None);
    assert_eq!(
        store.token_secret(TokenId(id.0 + 1000)).await.unwrap(),
        None
    );
}

async fn storage_errors_are_generic(store: &Store) {
    // CS-7: a forced database error reaches callers as "storage error" only.
    let a = store.create_account(new_account("nina")).await.unwrap();
    // Tables that refer to tokens go first: PostgreSQL refuses to drop a referenced table.
    for table in [
        "oob_challenges",
        "confirmation_codes",
        "webauthn_credentials",
    ] {
        testing::execute_raw(store, &format!("DROP TABLE {table}"))
            .await
            .unwrap();
    }
    testing::execute_raw(store, "DROP TABLE tokens")
        .await
        .unwrap();
    let err = store.tokens(a).await.unwrap_err();
    assert!(matches!(err, DomainError::Storage(_)), "{err:?}");
    assert_eq!(err.to_string(), "storage error");
    assert!(err.detail().contains("tokens"), "{}", err.detail());
}

// ---- Sign-in attempts, sessions (SE-*) and TOTP replay (OTP-6) ----

const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

/// The store on a manual clock showing [`T0`], and that clock.
fn clocked(store: &Store) -> (Store, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(T0));
    (store.clone().with_clock(clock.clone()), clock)
}

fn new_session(account: AccountId) -> NewSession {
    NewSession {
        account_id: account,
        scope: SessionScope::Full,
        ip: Some("192.0.2.7".into()),
        user_agent: Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into()),
        second_factor: None,
    }
}

fn hex(bytes: &[u8]) -> String {
    data_encoding::HEXLOWER.encode(bytes)
}

async fn se8_login_attempt_create_lookup_and_expiry(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("alice")).await.unwrap();
    let token = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let attempt = store.login_attempt(&token).await.unwrap().unwrap();
    assert_eq!(attempt.account_id, a);
    assert_eq!(attempt.created_at, T0);
    assert_eq!(attempt.expires_at, T0.plus(LOGIN_ATTEMPT_TTL));

    // Found through a token parsed back from the cookie text.
    let from_cookie = SessionToken::parse(token.as_str()).unwrap();
    assert_eq!(
        store.login_attempt(&from_cookie).await.unwrap(),
        Some(attempt.clone())
    );
    // An unknown token finds nothing.
    assert_eq!(
        store
            .login_attempt(&SessionToken::generate())
            .await
            .unwrap(),
        None
    );

    // Usable until its last millisecond, not at its expiry instant.
    clock.advance(LOGIN_ATTEMPT_TTL - Duration::from_millis(1));
    assert_eq!(
        store.login_attempt(&token).await.unwrap(),
        Some(attempt.clone())
    );
    clock.advance(Duration::from_millis(1));
    assert_eq!(store.login_attempt(&token).await.unwrap(), None);

    // A custom lifetime is honoured.
    let short = store
        .create_login_attempt(a, Duration::from_secs(30))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(29));
    assert!(store.login_attempt(&short).await.unwrap().is_some());
    clock.advance(Duration::from_secs(1));
    assert!(store.login_attempt(&short).await.unwrap().is_none());

    let missing = store
        .create_login_attempt(AccountId(a.0 + 1000), LOGIN_ATTEMPT_TTL)
        .await;
    assert!(
        matches!(missing, Err(DomainError::NotFound(_))),
        "{missing:?}"
    );
}

async fn se8_finish_login_attempt_deletes_it(store: &Store) {
    let a = store.create_account(new_account("bob")).await.unwrap();
    let first = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let second = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    assert_eq!(testing::raw_rows(store, "login_attempts").await.len(), 2);

    store.finish_login_attempt(&first).await.unwrap();
    assert_eq!(store.login_attempt(&first).await.unwrap(), None);
    assert_eq!(testing::raw_rows(store, "login_attempts").await.len(), 1);
    // The other attempt is untouched; finishing twice (or an unknown token) is fine.
    assert!(store.login_attempt(&second).await.unwrap().is_some());
    store.finish_login_attempt(&first).await.unwrap();
    store
        .finish_login_attempt(&SessionToken::generate())
        .await
        .unwrap();
    assert!(store.login_attempt(&second).await.unwrap().is_some());
}

/// The second step passed: the attempt ends, the failure count goes, a session opens (linked to
/// its emergency code when one opened it) and the audit event is written, together; an event
/// that breaks the audit rules writes none of it.
async fn signed_in_session_opens_in_one_transaction(store: &Store) {
    use crate::audit::{AuditAction, AuditOutcome, NewAuditEvent};
    use crate::{Factor, ThrottleKey};
    let a = store.create_account(new_account("bob")).await.unwrap();
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let key = ThrottleKey::account_factor(a, Factor::EmergencyCode);
    store.throttle_fail(&key).await.unwrap();
    let new = || NewSession {
        account_id: a,
        scope: SessionScope::Emergency,
        ip: Some("192.0.2.7".into()),
        user_agent: None,
        second_factor: None,
    };
    let event = || {
        NewAuditEvent::new(AuditAction::EmergencyCodeUsed, AuditOutcome::Success)
            .actor(a)
            .subject(a)
    };
    let audit_rows = || async { testing::raw_rows(store, "audit_events").await.len() };
    let notices = [crate::NewOutboxMessage::email(
        &crate::Email::parse("bob@example.org").unwrap(),
        "Your emergency access code was used",
        "Hello",
    )
    .unwrap()];

    // Refused before anything is written: a secret-named key in the details (AU-2).
    let bad = event().details(serde_json::json!({ "password": "x" }));
    let refused = store
        .open_signed_in_session(&attempt, &key, new(), None, bad, &notices)
        .await;
    assert!(
        matches!(refused, Err(DomainError::InvalidInput { .. })),
        "{refused:?}"
    );
    assert!(store.login_attempt(&attempt).await.unwrap().is_some());
    assert!(store.throttle_record(&key).await.unwrap().is_some());
    assert!(testing::raw_rows(store, "sessions").await.is_empty());
    assert_eq!(audit_rows().await, 0);
    assert!(store.outbox_messages(10).await.unwrap().is_empty());

    let now = Timestamp::now();
    let code = store
        .issue_emergency_code(
            &crate::testing::self_service_code(
                a,
                [7; 32],
                now,
                now.plus(Duration::from_secs(3600)),
                3,
            ),
            &[],
        )
        .await
        .unwrap();
    let session = store
        .open_signed_in_session(&attempt, &key, new(), Some(code), event(), &notices)
        .await
        .unwrap();
    assert_eq!(store.login_attempt(&attempt).await.unwrap(), None);
    assert_eq!(store.throttle_record(&key).await.unwrap(), None);
    let opened = store
        .session(&session)
        .await
        .unwrap()
        .expect("the session is live");
    assert_eq!(
        (opened.account_id, opened.scope),
        (a, SessionScope::Emergency)
    );
    assert_ne!(session.as_str(), attempt.as_str(), "a fresh token (SE-2)");
    let linked = store.emergency_session_code(opened.id).await.unwrap();
    assert_eq!(linked.map(|c| c.id), Some(code));
    assert_eq!(audit_rows().await, 1);
    let queued = store.outbox_messages(10).await.unwrap();
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0].recipient, "bob@example.org");
}

/// EC-4 with one commit: a sign-in reads the live code, and the transaction that opens its
/// session counts the use only if the count is still the one read. A stale reading (another
/// sign-in used the code meanwhile) or a code no longer live opens nothing and writes nothing;
/// a code is live only for its own account, while valid, unexpired, unrevoked and not used up.
async fn an_emergency_code_is_used_by_the_session_it_opens_only_as_read(store: &Store) {
    use crate::audit::{AuditAction, AuditOutcome, NewAuditEvent};
    use crate::{Factor, ThrottleKey};
    let a = store.create_account(new_account("erin")).await.unwrap();
    let b = store.create_account(new_account("fred")).await.unwrap();
    let now = Timestamp::now();
    let hour = Duration::from_secs(3600);
    let code = |account, hash, valid_from: Timestamp| {
        crate::testing::self_service_code(account, hash, valid_from, now.plus(hour * 2), 2)
    };
    // (A new self-service code replaces the account's earlier one: one code per account here.)
    let id = store
        .issue_emergency_code(&code(a, [9; 32], now), &[])
        .await
        .unwrap();
    // Waiting (valid only in an hour): not live, but the waiting read finds it.
    store
        .issue_emergency_code(&code(b, [8; 32], now.plus(hour)), &[])
        .await
        .unwrap();
    assert!(store
        .live_emergency_code(b, [8; 32])
        .await
        .unwrap()
        .is_none());
    assert!(store
        .waiting_emergency_code(b, [8; 32])
        .await
        .unwrap()
        .is_some());
    // Only the account's own codes (EC-10), only the right hash.
    assert!(store
        .live_emergency_code(b, [9; 32])
        .await
        .unwrap()
        .is_none());
    assert!(store
        .live_emergency_code(a, [1; 32])
        .await
        .unwrap()
        .is_none());

    let key = ThrottleKey::account_factor(a, Factor::EmergencyCode);
    let new = || NewSession {
        account_id: a,
        scope: SessionScope::Emergency,
        ip: None,
        user_agent: None,
        second_factor: None,
    };
    let event = || {
        NewAuditEvent::new(AuditAction::EmergencyCodeUsed, AuditOutcome::Success)
            .actor(a)
            .subject(a)
    };
    let uses = || async { store.emergency_code(id).await.unwrap().unwrap().uses };
    let rows = |table| async move { testing::raw_rows(store, table).await.len() };

    let first = store
        .live_emergency_code(a, [9; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!((first.id, first.uses), (id, 0));
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let session = store
        .open_emergency_code_session(&attempt, &key, new(), &first, event(), &[])
        .await
        .unwrap()
        .expect("the reading is current: the session opens");
    assert_eq!(uses().await, 1);
    let opened = store.session(&session).await.unwrap().unwrap();
    let linked = store.emergency_session_code(opened.id).await.unwrap();
    assert_eq!(linked.map(|c| c.id), Some(id));
    assert_eq!(store.login_attempt(&attempt).await.unwrap(), None);

    // The same reading again (a racing sign-in that read before the first committed): refused,
    // nothing written, its attempt and the failure count left as they were.
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    store.throttle_fail(&key).await.unwrap();
    let (sessions, audits) = (rows("sessions").await, rows("audit_events").await);
    let stale = store
        .open_emergency_code_session(&attempt, &key, new(), &first, event(), &[])
        .await
        .unwrap();
    assert!(stale.is_none());
    assert_eq!(uses().await, 1);
    assert_eq!(rows("sessions").await, sessions);
    assert_eq!(rows("audit_events").await, audits);
    assert!(store.login_attempt(&attempt).await.unwrap().is_some());
    assert!(store.throttle_record(&key).await.unwrap().is_some());

    // Read again, it opens; then the code is used up: no longer live, and its last reading
    // opens nothing.
    let second = store
        .live_emergency_code(a, [9; 32])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.uses, 1);
    store
        .open_emergency_code_session(&attempt, &key, new(), &second, event(), &[])
        .await
        .unwrap()
        .expect("read again, the session opens");
    assert_eq!(uses().await, 2);
    assert!(store
        .live_emergency_code(a, [9; 32])
        .await
        .unwrap()
        .is_none());
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let used_up = crate::EmergencyCodeInfo {
        uses: 2,
        ..second.clone()
    };
    assert!(store
        .open_emergency_code_session(&attempt, &key, new(), &used_up, event(), &[])
        .await
        .unwrap()
        .is_none());
    assert_eq!(uses().await, 2);
}

/// The one query behind every signed-in request: the session as [`Store::session`] gives it,
/// its account in whatever state (the caller decides), and, for an emergency session, whether
/// its code still holds (false without a link, after expiry or revocation).
async fn signed_in_reads_session_account_and_code_together(store: &Store) {
    use crate::audit::{AuditAction, AuditOutcome, NewAuditEvent};
    use crate::{Factor, ThrottleKey};
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("dora")).await.unwrap();
    assert!(store
        .signed_in(&SessionToken::generate())
        .await
        .unwrap()
        .is_none());

    let full = store.create_session(new_session(a)).await.unwrap();
    let got = store.signed_in(&full).await.unwrap().expect("live");
    assert_eq!(
        Some(&got.session),
        store.session(&full).await.unwrap().as_ref()
    );
    assert_eq!(got.account.id, a);
    assert_eq!(got.account.username.as_str(), "dora");
    assert_eq!(got.account.state, AccountState::Active);
    assert_eq!(got.emergency_code_live, None);

    // An emergency session with no code linked: fail closed.
    let emergency = || NewSession {
        scope: SessionScope::Emergency,
        ..new_session(a)
    };
    let unlinked = store.create_session(emergency()).await.unwrap();
    let got = store.signed_in(&unlinked).await.unwrap().expect("live row");
    assert_eq!(got.emergency_code_live, Some(false));

    // Linked to a code that lives 20 minutes.
    let code = store
        .issue_emergency_code(
            &crate::testing::self_service_code(
                a,
                [9; 32],
                T0,
                T0.plus(Duration::from_secs(20 * 60)),
                3,
            ),
            &[],
        )
        .await
        .unwrap();
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let linked = store
        .open_signed_in_session(
            &attempt,
            &ThrottleKey::account_factor(a, Factor::EmergencyCode),
            emergency(),
            Some(code),
            NewAuditEvent::new(AuditAction::EmergencyCodeUsed, AuditOutcome::Success)
                .actor(a)
                .subject(a),
            &[],
        )
        .await
        .unwrap();
    let got = store.signed_in(&linked).await.unwrap().expect("live");
    assert_eq!(got.emergency_code_live, Some(true));
    // Ten minutes on (the session touched), then past the code's expiry.
    clock.advance(Duration::from_secs(10 * 60));
    let got = store.signed_in(&linked).await.unwrap().expect("live");
    assert_eq!(
        got.session.last_seen_at,
        T0.plus(Duration::from_secs(10 * 60))
    );
    assert_eq!(got.emergency_code_live, Some(true));
    clock.advance(Duration::from_secs(10 * 60 + 1));
    let got = store.signed_in(&linked).await.unwrap().expect("live row");
    assert_eq!(got.emergency_code_live, Some(false));

    // A locked account is still read (its state says no); a full session stays as it was.
    testing::execute_raw(
        &store,
        &format!("UPDATE accounts SET state = 'locked' WHERE id = {}", a.0),
    )
    .await
    .unwrap();
    let got = store.signed_in(&full).await.unwrap();
    assert_eq!(got.map(|g| g.account.state), Some(AccountState::Locked));
}

async fn se8_login_attempt_token_is_not_a_session(store: &Store) {
    let a = store.create_account(new_account("carol")).await.unwrap();
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    assert!(store.login_attempt(&attempt).await.unwrap().is_some());
    assert_eq!(store.session(&attempt).await.unwrap(), None);
    assert!(store.sessions(a).await.unwrap().is_empty());
    // Nor the other way round.
    let session = store.create_session(new_session(a)).await.unwrap();
    assert_eq!(store.login_attempt(&session).await.unwrap(), None);
    // Ending a "session" with the attempt's token ends nothing.
    store.end_session(&attempt).await.unwrap();
    assert!(store.session(&session).await.unwrap().is_some());
    assert!(store.login_attempt(&attempt).await.unwrap().is_some());
}

async fn se4_session_create_and_lookup(store: &Store) {
    let (store, _clock) = clocked(store);
    let a = store.create_account(new_account("dan")).await.unwrap();
    let b = store.create_account(new_account("eve")).await.unwrap();
    let token = store
        .create_session(NewSession {
            scope: SessionScope::Emergency,
            ..new_session(a)
        })
        .await
        .unwrap();
    let s = store.session(&token).await.unwrap().unwrap();
    assert_eq!(s.account_id, a);
    assert_eq!(s.scope, SessionScope::Emergency);
    assert_eq!(s.created_at, T0);
    assert_eq!(s.last_seen_at, T0);
    assert_eq!(s.expires_at, T0.plus(SESSION_ABSOLUTE));
    assert_eq!(s.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(
        s.user_agent.as_deref(),
        Some("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0")
    );
    let cookie = SessionToken::parse(token.as_str()).unwrap();
    assert_eq!(store.session(&cookie).await.unwrap(), Some(s.clone()));

    assert_eq!(store.sessions(a).await.unwrap(), vec![s.clone()]);
    assert!(store.sessions(b).await.unwrap().is_empty());
    assert_eq!(
        store.session(&SessionToken::generate()).await.unwrap(),
        None
    );

    for scope in SessionScope::ALL {
        let t = store
            .create_session(NewSession {
                scope: *scope,
                ..new_session(b)
            })
            .await
            .unwrap();
        assert_eq!(store.session(&t).await.unwrap().unwrap().scope, *scope);
    }
    assert_eq!(
        store.sessions(b).await.unwrap().len(),
        SessionScope::ALL.len()
    );

    let missing = store
        .create_session(new_session(AccountId(b.0 + 1000)))
        .await;
    assert!(
        matches!(missing, Err(DomainError::NotFound(_))),
        "{missing:?}"
    );
}

async fn se4_session_text_is_cut_and_cleaned(store: &Store) {
    let a = store.create_account(new_account("fay")).await.unwrap();
    let long_ua = "é".repeat(600);
    let token = store
        .create_session(NewSession {
            ip: Some("9".repeat(100)),
            user_agent: Some(long_ua.clone()),
            second_factor: None,
            ..new_session(a)
        })
        .await
        .unwrap();
    let s = store.session(&token).await.unwrap().unwrap();
    assert_eq!(s.ip.as_deref(), Some(&*"9".repeat(64)));
    assert_eq!(s.user_agent.as_deref(), Some(&*"é".repeat(512)));

    let token = store
        .create_session(NewSession {
            ip: Some("".into()),
            user_agent: Some("Evil\0Agent\r\n<b>".into()),
            second_factor: None,
            ..new_session(a)
        })
        .await
        .unwrap();
    let s = store.session(&token).await.unwrap().unwrap();
    assert_eq!(s.ip, None);
    assert_eq!(s.user_agent.as_deref(), Some("EvilAgent<b>"));

    let token = store
        .create_session(NewSession {
            ip: None,
            user_agent: None,
            second_factor: None,
            ..new_session(a)
        })
        .await
        .unwrap();
    let s = store.session(&token).await.unwrap().unwrap();
    assert_eq!((s.ip, s.user_agent), (None, None));
}

async fn se4_session_idle_expiry_after_30_min(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("gus")).await.unwrap();
    let token = store.create_session(new_session(a)).await.unwrap();

    // Activity is recorded at most once a minute.
    clock.advance(Duration::from_secs(59));
    let s = store.session(&token).await.unwrap().unwrap();
    assert_eq!(s.last_seen_at, T0);
    clock.advance(Duration::from_secs(1));
    let s = store.session(&token).await.unwrap().unwrap();
    let seen = T0.plus(Duration::from_secs(60));
    assert_eq!(s.last_seen_at, seen);
    assert_eq!(store.sessions(a).await.unwrap()[0].last_seen_at, seen);

    // Idle exactly 30 minutes: still alive (and that request counts as activity).
    clock.advance(SESSION_IDLE);
    let s = store.session(&token).await.unwrap().unwrap();
    let seen = seen.plus(SESSION_IDLE);
    assert_eq!(s.last_seen_at, seen);

    // Idle 30 minutes and one second: gone, for good, and no longer listed.
    clock.advance(SESSION_IDLE + Duration::from_secs(1));
    assert_eq!(store.session(&token).await.unwrap(), None);
    assert!(store.sessions(a).await.unwrap().is_empty());
    clock.advance(Duration::from_secs(1));
    assert_eq!(store.session(&token).await.unwrap(), None);
}

async fn se4_session_absolute_expiry_at_12_h_despite_activity(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("hal")).await.unwrap();
    let token = store.create_session(new_session(a)).await.unwrap();
    let step = Duration::from_secs(20 * 60);
    let steps = SESSION_ABSOLUTE.as_secs() / step.as_secs();
    assert_eq!(steps, 36);
    // A request every 20 minutes keeps it alive up to 11 h 40 min...
    for i in 1..steps {
        clock.advance(step);
        let s = store.session(&token).await.unwrap();
        assert!(s.is_some(), "alive after {} min", i * 20);
        assert_eq!(s.unwrap().expires_at, T0.plus(SESSION_ABSOLUTE));
    }
    // ...one millisecond before 12 h still...
    clock.advance(step - Duration::from_millis(1));
    assert!(store.session(&token).await.unwrap().is_some());
    // ...and at 12 h it is over, however active.
    clock.advance(Duration::from_millis(1));
    assert_eq!(clock.now(), T0.plus(SESSION_ABSOLUTE));
    assert_eq!(store.session(&token).await.unwrap(), None);
    assert!(store.sessions(a).await.unwrap().is_empty());
}

async fn se5_end_session_then_lookup_is_none(store: &Store) {
    let a = store.create_account(new_account("ida")).await.unwrap();
    let laptop = store.create_session(new_session(a)).await.unwrap();
    let phone = store.create_session(new_session(a)).await.unwrap();
    let phone_id = store.session(&phone).await.unwrap().unwrap().id;

    store.end_session(&laptop).await.unwrap();
    assert_eq!(store.session(&laptop).await.unwrap(), None);
    // The same cookie text replayed later finds nothing either.
    let replayed = SessionToken::parse(laptop.as_str()).unwrap();
    assert_eq!(store.session(&replayed).await.unwrap(), None);
    // The row is gone, not flagged.
    assert_eq!(testing::raw_rows(store, "sessions").await.len(), 1);

    // The other session lives on; ending again is fine.
    let listed = store.sessions(a).await.unwrap();
    assert_eq!(listed.iter().map(|s| s.id).collect::<Vec<_>>(), [phone_id]);
    store.end_session(&laptop).await.unwrap();
    assert!(store.session(&phone).await.unwrap().is_some());
}

async fn se1_only_the_token_hash_is_stored(store: &Store) {
    let a = store.create_account(new_account("jay")).await.unwrap();
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let session = store.create_session(new_session(a)).await.unwrap();
    for (table, token) in [("login_attempts", &attempt), ("sessions", &session)] {
        let rows = testing::raw_rows(store, table).await;
        assert_eq!(rows.len(), 1, "{table}");
        let row = rows[0].to_lowercase();
        // The SHA-256 is there...
        assert!(row.contains(&hex(&token.hash())), "{table}: {row}");
        // ...and neither the cookie text nor the random bytes, in any spelling.
        assert!(!rows[0].contains(token.as_str()), "{table}");
        assert!(!row.contains(&token.as_str().to_lowercase()), "{table}");
        assert!(!row.contains(&hex(token.bytes())), "{table}");
    }
}

async fn se1_se2_every_session_and_attempt_gets_a_new_token(store: &Store) {
    let a = store.create_account(new_account("kai")).await.unwrap();
    // Password step, then second factor: each step its own token (SE-2).
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    store.finish_login_attempt(&attempt).await.unwrap();
    let first = store.create_session(new_session(a)).await.unwrap();
    // An emergency sign-in: again a new token.
    let emergency = store
        .create_session(NewSession {
            scope: SessionScope::Emergency,
            ..new_session(a)
        })
        .await
        .unwrap();
    let again = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    let tokens = [&attempt, &first, &emergency, &again];
    for (i, x) in tokens.iter().enumerate() {
        for y in &tokens[i + 1..] {
            assert_ne!(x.as_str(), y.as_str());
            assert_ne!(x.hash(), y.hash());
        }
    }
    let ids: Vec<SessionId> = store
        .sessions(a)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();
    // The full and the emergency session (the attempts are no sessions).
    assert_eq!(ids.len(), 2);
}

async fn se7_end_sessions_by_id_and_all_others(store: &Store) {
    let a = store.create_account(new_account("lou")).await.unwrap();
    let b = store.create_account(new_account("max")).await.unwrap();
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(store.create_session(new_session(a)).await.unwrap());
    }
    let b_token = store.create_session(new_session(b)).await.unwrap();
    let ids: Vec<SessionId> = store
        .sessions(a)
        .await
        .unwrap()
        .iter()
        .map(|s| s.id)
        .collect();

    // Another account's session id ends nothing (AC-2).
    assert!(!store.end_session_by_id(b, ids[0]).await.unwrap());
    assert!(store.session(&tokens[0]).await.unwrap().is_some());
    assert!(store.end_session_by_id(a, ids[0]).await.unwrap());
    assert!(store.session(&tokens[0]).await.unwrap().is_none());
    assert!(!store.end_session_by_id(a, ids[0]).await.unwrap());

    // "Sign out everywhere else" keeps the caller's own.
    assert_eq!(store.end_sessions(a, Some(ids[1])).await.unwrap(), 2);
    assert!(store.session(&tokens[1]).await.unwrap().is_some());
    assert!(store.session(&tokens[2]).await.unwrap().is_none());
    assert!(store.session(&tokens[3]).await.unwrap().is_none());
    // Locking ends them all; other accounts are untouched.
    assert_eq!(store.end_sessions(a, None).await.unwrap(), 1);
    assert!(store.sessions(a).await.unwrap().is_empty());
    assert!(store.session(&b_token).await.unwrap().is_some());
}

async fn purge_expired_deletes_only_dead_rows(store: &Store) {
    let (store, clock) = clocked(store);
    let a = store.create_account(new_account("ned")).await.unwrap();
    let idle = store.create_session(new_session(a)).await.unwrap();
    let attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(20 * 60));
    let busy = store.create_session(new_session(a)).await.unwrap();
    let fresh_attempt = store
        .create_login_attempt(a, LOGIN_ATTEMPT_TTL)
        .await
        .unwrap();
    assert_eq!(store.purge_expired().await.unwrap(), 1); // the first attempt
    clock.advance(Duration::from_secs(11 * 60));
    assert!(store.session(&busy).await.unwrap().is_some());
    // `idle` is 31 minutes idle, the second attempt 11 minutes old.
    assert_eq!(store.purge_expired().await.unwrap(), 2);
    assert_eq!(testing::raw_rows(&store, "sessions").await.len(), 1);
    assert!(testing::raw_rows(&store, "login_attempts").await.is_empty());
    assert!(store.session(&busy).await.unwrap().is_some());
    assert!(store.session(&idle).await.unwrap().is_none());
    assert!(store.login_attempt(&attempt).await.unwrap().is_none());
    assert!(store.login_attempt(&fresh_attempt).await.unwrap().is_none());
    assert_eq!(store.purge_expired().await.unwrap(), 0);
}

/// An account with an active TOTP token.
async fn account_with_active_totp(store: &Store, name: &str) -> (AccountId, TokenId) {
    let a = store.create_account(new_account(name)).await.unwrap();
    let t = store
        .insert_token(NewToken {
            state: TokenState::Active,
            ..totp_token(a, vec![1; 40])
        })
        .await
        .unwrap();
    (a, t)
}

async fn otp6_same_step_twice_second_refused(store: &Store) {
    let (store, clock) = clocked(store);
    let (a, t) = account_with_active_totp(&store, "olly").await;
    clock.advance(Duration::from_secs(5));
    assert!(store.record_totp_use(t, a, 1_000).await.unwrap());
    let token = store.token(a, t).await.unwrap().unwrap();
    assert_eq!(token.last_totp_step, Some(1_000));
    assert_eq!(token.last_used_at, Some(T0.plus(Duration::from_secs(5))));

    clock.advance(Duration::from_secs(5));
    assert!(!store.record_totp_use(t, a, 1_000).await.unwrap());
    let token = store.token(a, t).await.unwrap().unwrap();
    assert_eq!(token.last_totp_step, Some(1_000));
    assert_eq!(token.last_used_at, Some(T0.plus(Duration::from_secs(5))));
}

async fn otp6_lower_step_after_higher_refused(store: &Store) {
    let (a, t) = account_with_active_totp(store, "pia").await;
    assert!(store.record_totp_use(t, a, 1_001).await.unwrap());
    assert!(!store.record_totp_use(t, a, 1_000).await.unwrap());
    assert!(!store.record_totp_use(t, a, 1_001).await.unwrap());
    assert!(store.record_totp_use(t, a, 1_002).await.unwrap());
    assert!(!store.record_totp_use(t, a, 0).await.unwrap());
    assert!(!store.record_totp_use(t, a, -1).await.unwrap());
    assert_eq!(
        store.token(a, t).await.unwrap().unwrap().last_totp_step,
        Some(1_002)
    );
}

async fn otp6_wrong_account_or_inactive_token_refused(store: &Store) {
    let (a, t) = account_with_active_totp(store, "quin").await;
    let (b, _) = account_with_active_totp(store, "rosa").await;
    // Another account's token (AC-2): refused, and untouched.
    assert!(!store.record_totp_use(t, b, 10).await.unwrap());
    assert_eq!(
        store.token(a, t).await.unwrap().unwrap().last_totp_step,
        None
    );
    // A pending token (OTP-12) cannot sign in.
    let pending = store
        .insert_token(totp_token(a, vec![1; 40]))
        .await
        .unwrap();
    assert!(!store.record_totp_use(pending, a, 10).await.unwrap());
    // A removed token stops at once (RB-7).
    assert!(store.record_totp_use(t, a, 10).await.unwrap());
    testing::execute_raw(
        store,
        &format!(
            "UPDATE tokens SET state = 'removed', removed_at = 1, removed_by = {} WHERE id = {}",
            a.0, t.0
        ),
    )
    .await
    .unwrap();
    assert!(!store.record_totp_use(t, a, 11).await.unwrap());
    // An active SMS token is not a TOTP token.
    let sms = store
        .insert_token(NewToken {
            kind: TokenKind::Sms,
            state: TokenState::Active,
            secret_enc: None,
            target: Some(PhoneNumber::parse("+420601123456").unwrap().into()),
            ..totp_token(a, vec![])
        })
        .await
        .unwrap();
    assert!(!store.record_totp_use(sms, a, 12).await.unwrap());
    // An unknown token.
    assert!(!store
        .record_totp_use(TokenId(t.0 + 1000), a, 13)
        .await
        .unwrap());
    let tokens = store.tokens(a).await.unwrap();
    assert_eq!(
        tokens.iter().map(|t| t.last_totp_step).collect::<Vec<_>>(),
        [Some(10), None, None]
    );
}

async fn otp6_parallel_same_step_exactly_one_wins(store: &Store) {
    const RACERS: usize = 50;
    let (a, t) = account_with_active_totp(store, "sam").await;
    let start = Arc::new(tokio::sync::Barrier::new(RACERS));
    let mut tasks = Vec::new();
    for _ in 0..RACERS {
        let store = store.clone();
        let start = start.clone();
        tasks.push(tokio::spawn(async move {
            start.wait().await;
            store.record_totp_use(t, a, 56_666_666).await
        }));
    }
    let mut wins = 0;
    for task in tasks {
        if task.await.unwrap().unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1, "exactly one of {RACERS} parallel submissions wins");
    assert_eq!(
        store.token(a, t).await.unwrap().unwrap().last_totp_step,
        Some(56_666_666)
    );
}

async fn ac2_token_lookup_is_scoped_by_account_and_active_tokens(store: &Store) {
    let (a, active) = account_with_active_totp(store, "tia").await;
    let (b, b_token) = account_with_active_totp(store, "uma").await;
    let pending = store
        .insert_token(totp_token(a, vec![1; 40]))
        .await
        .unwrap();
    let sms = store
        .insert_token(NewToken {
            kind: TokenKind::Sms,
            state: TokenState::Active,
            secret_enc: None,
            target: Some(PhoneNumber::parse("+420601123456").unwrap().into()),
            ..totp_token(a, vec![])
        })
        .await
        .unwrap();
    let removed = store
        .insert_token(NewToken {
            state: TokenState::Active,
            ..totp_token(a, vec![1; 40])
        })
        .await
        .unwrap();
    testing::execute_raw(
        store,
        &format!(
            "UPDATE tokens SET state = 'removed', removed_at = 1 WHERE id = {}",
            removed.0
        ),
    )
    .await
    .unwrap();

    let listed = store.active_tokens(a).await.unwrap();
    assert_eq!(
        listed.iter().map(|t| t.id).collect::<Vec<_>>(),
        [active, sms]
    );
    assert!(listed.iter().all(|t| t.state == TokenState::Active));
    assert_eq!(
        store
            .active_tokens(b)
            .await
            .unwrap()
            .iter()
            .map(|t| t.id)
            .collect::<Vec<_>>(),
        [b_token]
    );

    // Any state, but only under its own account.
    for id in [active, pending, sms, removed] {
        let t = store.token(a, id).await.unwrap().unwrap();
        assert_eq!((t.id, t.account_id), (id, a));
        assert_eq!(store.token(b, id).await.unwrap(), None);
    }
    assert_eq!(
        store.token(a, removed).await.unwrap().unwrap().state,
        TokenState::Removed
    );
    assert_eq!(store.token(a, b_token).await.unwrap(), None);
    assert_eq!(
        store.token(a, TokenId(b_token.0 + 1000)).await.unwrap(),
        None
    );
}

/// `Store::connect` itself, on URLs as the configuration gives them.
mod connect {
    use super::*;

    async fn pragma(store: &Store, name: &str) -> String {
        use sqlx::Row;
        let pool = store.sqlite_pool().unwrap();
        let row = sqlx::query(&format!("PRAGMA {name}"))
            .fetch_one(pool)
            .await
            .unwrap();
        row.try_get::<String, _>(0)
            .or_else(|_| row.try_get::<i64, _>(0).map(|n| n.to_string()))
            .unwrap()
    }

    #[tokio::test]
    async fn sqlite_url_creates_file_and_directories_with_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/data/mayi.db");
        let store = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        assert!(path.exists());
        assert_eq!(store.backend_name(), "sqlite");
        assert_eq!(pragma(&store, "journal_mode").await, "wal");
        assert_eq!(pragma(&store, "foreign_keys").await, "1");
        assert_eq!(pragma(&store, "busy_timeout").await, "5000");
        store.migrate().await.unwrap();
        store.create_account(new_account("alice")).await.unwrap();
        store.close().await;

        // Reopening finds the data; migrating again changes nothing.
        let again = Store::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        again.migrate().await.unwrap();
        assert_eq!(again.count_accounts().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn sqlite_in_memory_url_works_across_pooled_connections() {
        let store = Store::connect("sqlite::memory:").await.unwrap();
        store.migrate().await.unwrap();
        store.create_account(new_account("alice")).await.unwrap();
        assert_eq!(store.count_accounts().await.unwrap(), 1);
    }

    #[tokio::test]
    async fn unsupported_url_is_a_config_error_that_does_not_repeat_the_url() {
        let err = Store::connect("mysql://root:hunter2@db/x")
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Config(_)), "{err:?}");
        assert!(!err.to_string().contains("hunter2"));
        assert!(!format!("{err:?}").contains("hunter2"));
    }

    #[tokio::test]
    async fn unreachable_database_is_a_storage_error() {
        let err = Store::connect("postgres://nobody:hunter2@127.0.0.1:1/none")
            .await
            .unwrap_err();
        assert!(matches!(err, DomainError::Storage(_)), "{err:?}");
        assert_eq!(err.to_string(), "storage error");
        assert!(!err.detail().contains("hunter2"));
    }

    #[tokio::test]
    async fn postgres_url_connects() {
        // Only when the suite's PostgreSQL is there (the helper decides: skip or, in CI, fail).
        if testing::postgres().await.is_none() {
            return;
        }
        let url = std::env::var(testing::POSTGRES_URL_ENV)
            .unwrap_or_else(|_| testing::DEFAULT_POSTGRES_URL.to_owned());
        let store = Store::connect(&url).await.unwrap();
        assert_eq!(store.backend_name(), "postgres");
        store.ping().await.unwrap();
    }
}
