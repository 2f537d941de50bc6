//! [`Housekeeping`]: deleting the rows nothing needs any more. Every lookup already ignores
//! them (an expired session opens nothing, a dead rate-limit window counts nothing); purging
//! only keeps the tables small. Safe to run at any time, from any number of servers at once.

use std::fmt;
use std::time::Duration;

use crate::{Result, Store};

/// How long delivered or failed outbox messages are kept (for the console and support).
pub const OUTBOX_KEEP: Duration = Duration::from_secs(30 * 86_400);

/// The periodic purges. Cheap to clone.
#[derive(Clone)]
pub struct Housekeeping {
    store: Store,
}

impl fmt::Debug for Housekeeping {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Housekeeping").finish_non_exhaustive()
    }
}

impl Housekeeping {
    /// Purges on `store`, by its clock.
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Deletes expired sign-in attempts and sessions, dead rate-limit windows, outbox messages
    /// finished more than [`OUTBOX_KEEP`] ago, expired Emergency Access wizards and expired
    /// remembered browsers. Returns how many rows went; stops at the first failure.
    pub async fn purge(&self) -> Result<u64> {
        let store = &self.store;
        Ok(store.purge_expired().await?
            + store.throttle_purge().await?
            + store.purge_outbox(OUTBOX_KEEP).await?
            + store.purge_expired_wizards().await?
            + store.purge_expired_browsers().await?
            + store.purge_passkey_ceremonies().await?)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::testing::{fake_password_hash, raw_rows, ManualClock, TestStore};
    use crate::{
        AccountState, NewAccount, NewSession, Role, SessionScope, Timestamp, Username,
        LOGIN_ATTEMPT_TTL, SESSION_ABSOLUTE,
    };

    on_both_backends!(purge_deletes_expired_rows_and_keeps_live_ones);

    async fn purge_deletes_expired_rows_and_keeps_live_ones(db: TestStore) {
        let clock = Arc::new(ManualClock::new(Timestamp::from_unix_secs(1_800_000_000)));
        let store = db.store.clone().with_clock(clock.clone());
        let account = store
            .create_account(NewAccount {
                username: Username::parse("hana").unwrap(),
                display_name: "Hana".into(),
                password_hash: fake_password_hash(),
                role: Role::User,
                state: AccountState::Active,
            })
            .await
            .unwrap();
        let session = |scope| NewSession {
            account_id: account,
            scope,
            ip: None,
            user_agent: None,
            second_factor: None,
        };
        let old = store
            .create_session(session(SessionScope::Full))
            .await
            .unwrap();
        // A passkey prompt left unanswered in the old session (it goes with the session).
        let old_id = store.session(&old).await.unwrap().unwrap().id;
        store
            .begin_passkey_ceremony(
                crate::store::NewCeremony {
                    account,
                    place: crate::store::CeremonyPlace::Session(old_id),
                    state: "{}".into(),
                    label: Some("Key".into()),
                    device: None,
                },
                crate::PASSKEY_CEREMONY_TTL,
            )
            .await
            .unwrap();
        store
            .create_login_attempt(account, LOGIN_ATTEMPT_TTL)
            .await
            .unwrap();
        clock.advance(SESSION_ABSOLUTE + Duration::from_secs(1));
        let live = store
            .create_session(session(SessionScope::Full))
            .await
            .unwrap();
        let housekeeping = Housekeeping::new(store.clone());

        assert_eq!(
            housekeeping.purge().await.unwrap(),
            2,
            "one session, one attempt"
        );
        assert!(store.session(&old).await.unwrap().is_none());
        assert!(store.session(&live).await.unwrap().is_some());
        assert_eq!(raw_rows(&store, "sessions").await.len(), 1);
        assert!(raw_rows(&store, "login_attempts").await.is_empty());
        assert!(raw_rows(&store, "webauthn_ceremonies").await.is_empty());
        assert_eq!(
            housekeeping.purge().await.unwrap(),
            0,
            "nothing left to purge"
        );
    }
}
