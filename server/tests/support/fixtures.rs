//! What the tests and benches give the store (accounts, authenticator apps, sessions) and read
//! back from it (codes queued in the outbox), and the TOTP codes of now.

use identity::testing::StoreAccess;
use identity::{
    AccountId, AccountState, Email, NewAccount, NewContact, NewOutboxMessage, NewSession, NewToken,
    Password, PasswordHash, PasswordHasher, PhoneNumber, Role, SeedCipher, SessionScope, Store,
    TokenKind, TokenState, TotpSecret, Username,
};

/// The password of every account the kit creates.
pub const PASSWORD: &str = "a perfectly fine passphrase";

/// The seed of alice's authenticator app (the in-process harness's account).
pub const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The key the in-process router seals and opens token seeds with.
pub fn cipher() -> SeedCipher {
    SeedCipher::from_key_bytes([9; 32])
}

pub fn password() -> Password {
    Password::new(PASSWORD.to_string()).expect("the test password meets the policy")
}

/// [`PASSWORD`] hashed with the default parameters.
pub async fn password_hash() -> PasswordHash {
    PasswordHasher::new(None)
        .unwrap()
        .hash(&password())
        .await
        .unwrap()
}

/// An active account `name` with the role and password hash given.
pub fn new_account(
    name: &str,
    display_name: &str,
    role: Role,
    password_hash: PasswordHash,
) -> NewAccount {
    NewAccount {
        username: Username::parse(name).expect("a valid username"),
        display_name: display_name.into(),
        password_hash,
        role,
        state: AccountState::Active,
    }
}

/// A new active user `name` with the password [`PASSWORD`] and `contacts`; returns its id.
pub async fn user(
    store: &Store,
    name: &str,
    display_name: &str,
    contacts: Vec<NewContact>,
) -> AccountId {
    let account = new_account(name, display_name, Role::User, password_hash().await);
    store.create_account_with(account, contacts).await.unwrap()
}

/// A confirmed e-mail address `name@example.org`, the recovery address if `recovery`.
pub fn email_contact(name: &str, recovery: bool) -> NewContact {
    NewContact {
        value: Email::parse(&format!("{name}@example.org")).unwrap().into(),
        confirmed: true,
        is_recovery: recovery,
    }
}

/// An active authenticator app ("Authenticator app" on "Pixel 7") of `account` with `secret`.
pub fn totp_token(cipher: &SeedCipher, account: AccountId, secret: &TotpSecret) -> NewToken {
    NewToken {
        account_id: account,
        kind: TokenKind::Totp,
        label: "Authenticator app".into(),
        device: Some("Pixel 7".into()),
        state: TokenState::Active,
        secret_enc: Some(secret.seal(cipher, account).unwrap()),
        target: None,
    }
}

/// The cookie (`mayi_signin=…`) of a new sign-in attempt of `account`, as a right password
/// opens it.
pub async fn attempt_cookie(store: &Store, account: AccountId) -> identity::Result<String> {
    let token = store
        .create_login_attempt(account, identity::LOGIN_ATTEMPT_TTL)
        .await?;
    Ok(format!("mayi_signin={}", token.as_str()))
}

/// The cookie (`mayi_session=…`) of a new session of `account`, as a finished sign-in opens it.
pub async fn session_cookie(store: &Store, account: AccountId, scope: SessionScope) -> String {
    let token = store
        .create_session(NewSession {
            account_id: account,
            scope,
            ip: None,
            user_agent: None,
            second_factor: None,
        })
        .await
        .unwrap();
    format!("mayi_session={}", token.as_str())
}

/// Queues an SMS with `text` to `to` (international form).
pub async fn queue_sms(store: &Store, to: &str, text: &str) {
    let message = NewOutboxMessage::sms(&PhoneNumber::parse(to).unwrap(), text).unwrap();
    store.enqueue(message).await.unwrap();
}

pub fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// The code an authenticator app with the seed `base32` (spaces allowed) shows now.
pub fn code_now(base32: &str) -> String {
    TotpSecret::from_base32(&base32.replace(' ', ""))
        .unwrap()
        .code_at(now_secs())
}

/// The 6-digit code in a message's text (a word of its own, maybe ending a sentence).
pub fn six_digit_code(text: &str) -> Option<String> {
    text.split_whitespace()
        .map(|word| word.trim_end_matches(['.', ',']))
        .find(|word| word.len() == 6 && word.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_string)
}

/// The code in the newest message with a code queued for `recipient` (an address or number).
pub async fn queued_code(store: &Store, recipient: &str) -> String {
    store
        .outbox_messages(100)
        .await
        .unwrap()
        .iter()
        .filter(|m| m.recipient == recipient)
        .find_map(|m| six_digit_code(&m.body))
        .unwrap_or_else(|| panic!("no code queued for {recipient}"))
}

/// A 6-digit code that is not `code`.
pub fn wrong(code: &str) -> &'static str {
    if code == "000000" {
        "111111"
    } else {
        "000000"
    }
}
