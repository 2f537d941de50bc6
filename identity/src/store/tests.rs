//! One store suite, run unchanged on SQLite and on PostgreSQL: each `async fn` below is a test
//! body, and `backend_tests!` turns it into `sqlite::<name>` and `postgres::<name>` tests, each
//! on its own fresh database.

use std::sync::Arc;
use std::time::Duration;

use crate::testing::{self, fake_password_hash, ManualClock};
use crate::{
    AccountId, AccountState, ContactKind, ContactValue, DomainError, Email, NewAccount, NewContact,
    NewToken, PhoneNumber, Role, SeedCipher, Store, Timestamp, TokenId, TokenKind, TokenState,
    TotpSecret, Username,
};

macro_rules! backend_tests {
    ($($name:ident),+ $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let t = crate::testing::sqlite().await;
                    super::$name(&t.store).await;
                }
            )+
        }

        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    let Some(t) = crate::testing::postgres().await else {
                        return;
                    };
                    super::$name(&t.store).await;
                }
            )+
        }
    };
}

backend_tests!(
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
        "sqlite" => "UPDATE _sqlx_migrations SET checksum = X'00'",
        _ => "UPDATE _sqlx_migrations SET checksum = '\\x00'::bytea",
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
    assert_eq!(
        (totp.last_used_at, totp.last_totp_step, totp.failure_count),
        (None, None, 0)
    );
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
    testing::execute_raw(store, "DROP TABLE tokens")
        .await
        .unwrap();
    let err = store.tokens(a).await.unwrap_err();
    assert!(matches!(err, DomainError::Storage(_)), "{err:?}");
    assert_eq!(err.to_string(), "storage error");
    assert!(err.detail().contains("tokens"), "{}", err.detail());
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
