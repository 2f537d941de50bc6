//! [`StoreAccess`]: the store's own operations for other crates' tests (feature `testing`
//! only). Production code reaches the store through the services alone (`identity::Identity`);
//! tests use this back door to build a situation quickly and to read the outcome back.

use std::future::Future;
use std::time::Duration;

use crate::audit::{AuditEvent, AuditQuery};
use crate::emergency::{EmergencyCodeId, EmergencyCodeInfo, NewEmergencyCode};
use crate::notify::NewOutboxMessage;
use crate::session::SessionToken;
use crate::store::*;
use crate::{RememberedBrowser, Result, ThrottleKey, ThrottleRecord, Username};

/// Declares [`StoreAccess`] with one method per store operation listed, each forwarding to the
/// store's own.
macro_rules! store_access {
    ($(fn $name:ident($($arg:ident: $ty:ty),* $(,)?) -> $ret:ty;)*) => {
        /// The store's operations that tests of other crates need; `use
        /// identity::testing::StoreAccess` and call them on a [`Store`] as if they were its own.
        pub trait StoreAccess {
            /// The delivery worker's service on this store.
            fn outbox(&self) -> crate::Outbox;

            $(
                #[doc = concat!("[`Store::", stringify!($name), "`].")]
                fn $name(&self, $($arg: $ty),*) -> impl Future<Output = $ret> + Send;
            )*
        }

        impl StoreAccess for Store {
            fn outbox(&self) -> crate::Outbox {
                crate::Outbox::new(self.clone())
            }

            $(
                fn $name(&self, $($arg: $ty),*) -> impl Future<Output = $ret> + Send {
                    Store::$name(self, $($arg),*)
                }
            )*
        }
    };
}

store_access! {
    fn active_tokens(account: AccountId) -> Result<Vec<Token>>;
    fn account_by_id(id: AccountId) -> Result<Option<Account>>;
    fn account_by_username(username: &Username) -> Result<Option<Account>>;
    fn remembered_browsers(account: AccountId) -> Result<Vec<RememberedBrowser>>;
    fn remembered_browser(account: AccountId, token: &SessionToken) -> Result<Option<RememberedBrowser>>;
    fn emergency_codes(account: AccountId) -> Result<Vec<EmergencyCodeInfo>>;
    fn outbox_messages(limit: u32) -> Result<Vec<OutboxMessage>>;
    fn contacts(account: AccountId) -> Result<Vec<Contact>>;
    fn set_role(username: &Username, role: Role) -> Result<()>;
    fn audit_events(query: AuditQuery) -> Result<Vec<AuditEvent>>;
    fn tokens(account: AccountId) -> Result<Vec<Token>>;
    fn recovery_address(account: AccountId) -> Result<Option<crate::Email>>;
    fn insert_token(new: NewToken) -> Result<TokenId>;
    fn enqueue(message: NewOutboxMessage) -> Result<OutboxId>;
    fn create_account_with(new: NewAccount, contacts: Vec<NewContact>) -> Result<AccountId>;
    fn create_account(new: NewAccount) -> Result<AccountId>;
    fn session(token: &SessionToken) -> Result<Option<Session>>;
    fn sessions(account: AccountId) -> Result<Vec<Session>>;
    fn remember_browser(account: AccountId, presented: Option<&SessionToken>, ip: Option<&str>, user_agent: Option<&str>) -> Result<(SessionToken, bool)>;
    fn issue_emergency_code(new: &NewEmergencyCode, notices: &[NewOutboxMessage]) -> Result<EmergencyCodeId>;
    fn add_contact(account: AccountId, contact: NewContact) -> Result<ContactId>;
    fn create_session(new: NewSession) -> Result<SessionToken>;
    fn token(account: AccountId, token: TokenId) -> Result<Option<Token>>;
    fn create_login_attempt(account: AccountId, ttl: Duration) -> Result<SessionToken>;
    fn create_wizard(account: AccountId, expires_at: crate::Timestamp) -> Result<SessionToken>;
    fn open_signed_in_session(attempt: &SessionToken, cleared: &crate::throttle::ThrottleKey, new: NewSession, emergency_code: Option<crate::EmergencyCodeId>, audit: crate::audit::NewAuditEvent, notices: &[crate::NewOutboxMessage]) -> Result<SessionToken>;
    fn throttle_record(key: &ThrottleKey) -> Result<Option<ThrottleRecord>>;
}
