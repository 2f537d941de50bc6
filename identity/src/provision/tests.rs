//! Provisioning through [`Provisioning`], on SQLite and on PostgreSQL: each operation writes
//! what it should with its audit event, and a refused one writes nothing at all.

use serde_json::json;

use super::*;
use crate::testing::{
    fake_password_hash, raw_rows, world_fixture, TestStore, World, PASSWORD, URL,
};
use crate::{AuditEvent, AuditQuery, Channel, Email, PhoneNumber};

on_both_backends!(
    create_account_writes_the_account_its_contacts_and_its_event,
    create_account_refusals_write_nothing,
    import_token_writes_an_active_token_its_notice_and_its_event,
    import_token_refusals_write_nothing,
    set_role_is_audited_and_a_no_op_writes_nothing,
    set_role_on_an_unknown_account_fails_and_writes_nothing,
    account_count_and_existence,
);

/// Base32 of 20 bytes, like an authenticator app's seed.
const SEED: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

world_fixture!(
    struct Fixture {
        provisioning: Provisioning,
    }
);

async fn fixture(db: TestStore) -> Fixture {
    let w = World::new(db);
    let provisioning = Provisioning::new(w.store.clone(), w.hasher.clone(), w.cipher.clone(), URL);
    Fixture { w, provisioning }
}

fn name(raw: &str) -> Username {
    Username::parse(raw).unwrap()
}

fn email(raw: &str) -> ContactValue {
    Email::parse(raw).unwrap().into()
}

fn phone(raw: &str) -> ContactValue {
    PhoneNumber::parse(raw).unwrap().into()
}

fn password() -> Password {
    Password::new(PASSWORD.into()).unwrap()
}

fn totp(label: &str) -> ImportedToken {
    ImportedToken {
        kind: TokenKind::Totp,
        secret: Some(TotpSecret::from_base32(SEED).unwrap()),
        target: None,
        label: label.into(),
        device: Some("Pixel 7".into()),
    }
}

impl Fixture {
    async fn events(&self) -> Vec<AuditEvent> {
        self.store
            .audit_events(AuditQuery::default())
            .await
            .unwrap()
    }

    /// Row counts of every table a provisioning operation may write.
    async fn counts(&self) -> [usize; 5] {
        let mut counts = [0; 5];
        for (count, table) in
            counts
                .iter_mut()
                .zip(["accounts", "contacts", "tokens", "outbox", "audit_events"])
        {
            *count = raw_rows(&self.store, table).await.len();
        }
        counts
    }

    /// An account made straight in the store (no event), with these contacts.
    async fn account(&self, username: &str, contacts: Vec<NewContact>) -> AccountId {
        self.store
            .create_account_with(
                NewAccount {
                    username: name(username),
                    display_name: "Olga Nováková".into(),
                    password_hash: fake_password_hash(),
                    role: Role::User,
                    state: AccountState::Active,
                },
                contacts,
            )
            .await
            .unwrap()
    }
}

async fn create_account_writes_the_account_its_contacts_and_its_event(db: TestStore) {
    let f = fixture(db).await;
    let mut request = NewAccountRequest::new(name("Alice"), "Alice Liddell", Role::Operator);
    request.add_contact(email("alice@example.org"), false);
    request.add_contact(phone("+420 601 123 456"), false);
    request.add_contact(email("alice.recovery@example.org"), true);
    // The same address again, now as the recovery address: still one contact.
    request.add_contact(email("alice@example.org"), false);
    assert_eq!(request.contacts.len(), 3);

    let id = f
        .provisioning
        .create_account(request, password())
        .await
        .unwrap();

    let account = f.store.account_by_id(id).await.unwrap().unwrap();
    assert_eq!(account.username.as_str(), "alice");
    assert_eq!(account.display_name, "Alice Liddell");
    assert_eq!(account.role, Role::Operator);
    assert_eq!(account.state, AccountState::Active);
    assert!(f
        .hasher
        .verify(&password(), &account.password_hash)
        .await
        .unwrap());
    let contacts = f.store.contacts(id).await.unwrap();
    assert_eq!(contacts.len(), 3);
    assert!(contacts.iter().all(|c| c.confirmed));
    let recovery: Vec<_> = contacts.iter().filter(|c| c.is_recovery).collect();
    assert_eq!(recovery.len(), 1);
    assert_eq!(recovery[0].value, "alice.recovery@example.org");

    let events = f.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.action, AuditAction::AccountCreated);
    assert_eq!(event.outcome, AuditOutcome::Success);
    assert_eq!(event.actor, None);
    assert_eq!(event.subject, Some(id));
    assert_eq!(
        event.details,
        json!({ "via": "cli", "role": "operator", "contacts": 3 })
    );
    // No notice: a new account has nobody to tell yet.
    assert!(raw_rows(&f.store, "outbox").await.is_empty());
}

async fn create_account_refusals_write_nothing(db: TestStore) {
    let f = fixture(db).await;
    let existing = NewAccountRequest::new(name("bob"), "Bob", Role::User);
    f.provisioning
        .create_account(existing, password())
        .await
        .unwrap();
    let before = f.counts().await;
    assert_eq!(before, [1, 0, 0, 0, 1]);

    // A taken username, in another case and width, with a contact that would be new: the
    // database refuses the account, and the transaction takes the contact and event with it.
    let mut taken = NewAccountRequest::new(name("ＢＯＢ"), "Another Bob", Role::Admin);
    taken.add_contact(email("bob2@example.org"), true);
    let error = f
        .provisioning
        .create_account(taken, password())
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::Conflict(_)), "{error:?}");
    assert!(error.to_string().contains("already taken"), "{error}");
    assert_eq!(f.counts().await, before);

    let refused = |request: NewAccountRequest, field: &str| {
        let field = field.to_owned();
        let provisioning = f.provisioning.clone();
        async move {
            let error = provisioning
                .create_account(request, password())
                .await
                .unwrap_err();
            assert!(
                matches!(&error, DomainError::InvalidInput { field: got, .. } if *got == field),
                "{error:?}"
            );
        }
    };
    let mut two_recovery = NewAccountRequest::new(name("carol"), "Carol", Role::User);
    two_recovery.add_contact(email("c1@example.org"), true);
    two_recovery.add_contact(email("c2@example.org"), true);
    refused(two_recovery, "recovery address").await;

    let mut phone_recovery = NewAccountRequest::new(name("carol"), "Carol", Role::User);
    phone_recovery.add_contact(phone("+420601123456"), true);
    refused(phone_recovery, "recovery address").await;

    let mut unconfirmed_recovery = NewAccountRequest::new(name("carol"), "Carol", Role::User);
    unconfirmed_recovery.contacts.push(NewContact {
        value: email("carol@example.org"),
        confirmed: false,
        is_recovery: true,
    });
    refused(unconfirmed_recovery, "recovery address").await;

    let mut twice = NewAccountRequest::new(name("carol"), "Carol", Role::User);
    for _ in 0..2 {
        twice.contacts.push(NewContact {
            value: email("carol@example.org"),
            confirmed: true,
            is_recovery: false,
        });
    }
    refused(twice, "contacts").await;

    let bad_name = NewAccountRequest::new(name("carol"), "Carol\nadmin", Role::User);
    refused(bad_name, "display name").await;

    assert_eq!(f.counts().await, before);
    assert!(!f.provisioning.account_exists(&name("carol")).await.unwrap());
}

async fn import_token_writes_an_active_token_its_notice_and_its_event(db: TestStore) {
    let f = fixture(db).await;
    let confirmed = |value| NewContact {
        value,
        confirmed: true,
        is_recovery: false,
    };
    let id = f
        .account(
            "olga",
            vec![
                confirmed(email("olga@example.org")),
                confirmed(phone("+420601123456")),
                NewContact {
                    value: email("unconfirmed@example.org"),
                    confirmed: false,
                    is_recovery: false,
                },
            ],
        )
        .await;

    let token = f
        .provisioning
        .import_token(&name("OLGA"), totp("Authenticator app"))
        .await
        .unwrap();

    let stored = f.store.token(id, token).await.unwrap().unwrap();
    assert_eq!(stored.state, TokenState::Active);
    assert_eq!(stored.kind, TokenKind::Totp);
    assert_eq!(stored.label, "Authenticator app");
    assert_eq!(stored.device.as_deref(), Some("Pixel 7"));
    // The seed is sealed for this account, and opens to what was imported.
    let sealed = f.store.token_secret(token).await.unwrap().unwrap();
    assert!(TotpSecret::open(&f.cipher, &sealed, AccountId(id.0 + 1)).is_err());
    let opened = TotpSecret::open(&f.cipher, &sealed, id).unwrap();
    assert_eq!(*opened.to_base32(), SEED);

    // The notice went to the two confirmed contacts, not to the unconfirmed one.
    let messages = f.store.outbox_messages(10).await.unwrap();
    let mut recipients: Vec<_> = messages.iter().map(|m| m.recipient.as_str()).collect();
    recipients.sort_unstable();
    assert_eq!(recipients, ["+420601123456", "olga@example.org"]);
    let mail = messages
        .iter()
        .find(|m| m.channel == Channel::Email)
        .unwrap();
    assert!(
        mail.body.contains("\"Authenticator app\" was added"),
        "{}",
        mail.body
    );
    assert!(!mail.body.contains(SEED));

    let events = f.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.action, AuditAction::TokenAdded);
    assert_eq!(event.outcome, AuditOutcome::Success);
    assert_eq!(event.actor, None);
    assert_eq!(event.subject, Some(id));
    assert_eq!(
        event.details,
        json!({ "via": "cli_import", "token_id": token.0, "kind": "totp" })
    );

    // An SMS token: its number, no seed, its own event.
    let sms = f
        .provisioning
        .import_token(
            &name("olga"),
            ImportedToken {
                kind: TokenKind::Sms,
                secret: None,
                target: Some(phone("+420 777 000 111")),
                label: "Work phone".into(),
                device: None,
            },
        )
        .await
        .unwrap();
    let stored = f.store.token(id, sms).await.unwrap().unwrap();
    assert_eq!(stored.state, TokenState::Active);
    assert_eq!(stored.target.as_deref(), Some("+420777000111"));
    assert_eq!(stored.device, None);
    assert!(f.store.token_secret(sms).await.unwrap().is_none());
    let events = f.events().await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].details,
        json!({ "via": "cli_import", "token_id": sms.0, "kind": "sms" })
    );
    assert_eq!(f.store.outbox_messages(10).await.unwrap().len(), 4);
}

async fn import_token_refusals_write_nothing(db: TestStore) {
    let f = fixture(db).await;
    f.account(
        "olga",
        vec![NewContact {
            value: email("olga@example.org"),
            confirmed: true,
            is_recovery: false,
        }],
    )
    .await;
    let before = f.counts().await;
    assert_eq!(before, [1, 1, 0, 0, 0]);

    let error = f
        .provisioning
        .import_token(&name("nobody"), totp("Authenticator app"))
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::NotFound(_)), "{error:?}");
    assert_eq!(error.to_string(), "there is no account nobody");
    assert_eq!(f.counts().await, before);

    let olga = name("olga");
    let invalid = [
        // A TOTP token without its seed, or with a target too.
        ImportedToken {
            secret: None,
            ..totp("App")
        },
        ImportedToken {
            target: Some(email("olga@example.org")),
            ..totp("App")
        },
        // An SMS token sent to an address, or carrying a seed.
        ImportedToken {
            kind: TokenKind::Sms,
            secret: None,
            target: Some(email("olga@example.org")),
            label: "Phone".into(),
            device: None,
        },
        ImportedToken {
            kind: TokenKind::Sms,
            target: Some(phone("+420601123456")),
            ..totp("Phone")
        },
        // An e-mail token without an address.
        ImportedToken {
            kind: TokenKind::Email,
            secret: None,
            target: None,
            label: "Mail".into(),
            device: None,
        },
        // A label or device that breaks the text rules.
        totp(""),
        totp("two\nlines"),
        ImportedToken {
            device: Some("x".repeat(200)),
            ..totp("App")
        },
    ];
    for token in invalid {
        let shown = format!("{token:?}");
        let error = f.provisioning.import_token(&olga, token).await.unwrap_err();
        assert!(
            matches!(error, DomainError::InvalidInput { .. }),
            "{shown}: {error:?}"
        );
    }
    assert_eq!(f.counts().await, before);
}

async fn set_role_is_audited_and_a_no_op_writes_nothing(db: TestStore) {
    let f = fixture(db).await;
    let id = f.account("dave", Vec::new()).await;

    let from = f
        .provisioning
        .set_role(&name("DAVE"), Role::Admin)
        .await
        .unwrap();
    assert_eq!(from, Role::User);
    let account = f.store.account_by_id(id).await.unwrap().unwrap();
    assert_eq!(account.role, Role::Admin);
    let events = f.events().await;
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!(event.action, AuditAction::RoleChanged);
    assert_eq!(event.outcome, AuditOutcome::Success);
    assert_eq!(event.actor, None);
    assert_eq!(event.subject, Some(id));
    assert_eq!(
        event.details,
        json!({ "via": "cli", "from": "user", "to": "admin" })
    );

    // The role it already has: nothing changes, nothing is written.
    let before = f.counts().await;
    let from = f
        .provisioning
        .set_role(&name("dave"), Role::Admin)
        .await
        .unwrap();
    assert_eq!(from, Role::Admin);
    assert_eq!(f.counts().await, before);

    // And back: a second event, the first kept as written.
    f.provisioning
        .set_role(&name("dave"), Role::Operator)
        .await
        .unwrap();
    let events = f.events().await;
    assert_eq!(events.len(), 2);
    assert_eq!(
        events[0].details,
        json!({ "via": "cli", "from": "admin", "to": "operator" })
    );
    assert_eq!(events[1], *event);
}

async fn set_role_on_an_unknown_account_fails_and_writes_nothing(db: TestStore) {
    let f = fixture(db).await;
    f.account("dave", Vec::new()).await;
    let before = f.counts().await;
    let error = f
        .provisioning
        .set_role(&name("nobody"), Role::Admin)
        .await
        .unwrap_err();
    assert!(matches!(error, DomainError::NotFound(_)), "{error:?}");
    assert_eq!(error.to_string(), "no account named nobody");
    assert_eq!(f.counts().await, before);
    let dave = f.store.account_by_username(&name("dave")).await.unwrap();
    assert_eq!(dave.unwrap().role, Role::User);
}

async fn account_count_and_existence(db: TestStore) {
    let f = fixture(db).await;
    assert_eq!(f.provisioning.account_count().await.unwrap(), 0);
    assert!(!f.provisioning.account_exists(&name("erin")).await.unwrap());
    f.account("erin", Vec::new()).await;
    assert_eq!(f.provisioning.account_count().await.unwrap(), 1);
    assert!(f.provisioning.account_exists(&name("ERIN")).await.unwrap());
}
