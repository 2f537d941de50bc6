//! The limits around one password check, shared by sign-in, Emergency Access step 1,
//! re-authentication and password change (RL-2, RL-3, RL-6, abuse cases 1, 2 and 16).
//!
//! Three counters, chosen so that an attacker who knows a username cannot keep its owner out:
//!
//! - **Per client address** ([`ThrottleKey::ip`], [`Scope::SignIn`], 50 per 15 minutes): the
//!   attempt is counted *before* the hash is checked, in the statement that checks the limit
//!   (RL-6), so of any number of parallel attempts at most the limit get past it, and an attempt
//!   answered 503 because hashing is busy still counts. A right password gives its count back.
//! - **Per username and address** ([`ThrottleKey::username_password`]): 5 free failures, then
//!   doubling delays (RL-3). Whoever hammers a name delays only their own address; the owner
//!   signing in or recovering from any other address is not slowed at all.
//! - **Per username from everywhere** ([`ThrottleKey::username_alert`], 100 per 15 minutes):
//!   never refuses. When it fills, the owner is told once (and it is audited), and for the rest
//!   of the window every address's delays start at its first wrong password.
//!
//! Unknown usernames are counted exactly like real ones, so none of this tells an attacker
//! which names exist (abuse case 1).

use crate::{
    notify, Account, AuditAction, AuditOutcome, Client, DomainError, NewAuditEvent, Scope, Store,
    ThrottleKey, ThrottleRule, ThrottleState, Username,
};

/// Which limit refused an attempt (an audit detail, never shown to the person).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    /// The client address's failed sign-ins.
    Address,
    /// This username from this address.
    Username,
}

impl Limit {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Address => "ip",
            Self::Username => "username",
        }
    }
}

/// What [`PasswordGuard::enter`] decided.
pub(crate) enum Entry {
    /// Go ahead and check the password; then call [`PasswordGuard::passed`] or
    /// [`PasswordGuard::failed`].
    Open(PasswordGuard),
    /// Refused before any hashing: answer 429 with `Retry-After` (RL-3).
    Refused { state: ThrottleState, limit: Limit },
}

/// Why a signed-in account's password, typed again, was not accepted
/// ([`crate::Authenticator::recheck_password`]); each service answers it with its own error.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Recheck {
    /// A limit refused it before any hashing (RL-3).
    Refused(ThrottleState),
    /// The password is not the account's.
    Wrong,
}

/// One password check's counters, counted in advance.
pub(crate) struct PasswordGuard {
    address: Option<ThrottleKey>,
    username: Option<(ThrottleKey, ThrottleKey)>,
}

impl PasswordGuard {
    /// Before the hash is checked: counts the attempt against the client's address, then
    /// against this username from this address (stricter while the username is under attack).
    /// `username` is `None` for text that is no username at all (nothing to count per name).
    pub(crate) async fn enter(
        store: &Store,
        username: Option<&Username>,
        client: &Client,
    ) -> Result<Entry, DomainError> {
        let address = client
            .ip
            .as_deref()
            .map(|ip| ThrottleKey::ip(ip, Scope::SignIn));
        if let Some(key) = &address {
            let state = store.throttle_hit(key).await?;
            if !state.is_open() {
                return Ok(Entry::Refused {
                    state,
                    limit: Limit::Address,
                });
            }
        }
        let Some(username) = username else {
            return Ok(Entry::Open(Self {
                address,
                username: None,
            }));
        };
        let pair = ThrottleKey::username_password(username, client.ip.as_deref());
        let alert = ThrottleKey::username_alert(username);
        let policy = store.throttle_policy();
        let rule = if store.throttle_check(&alert).await?.is_open() {
            policy.rule(&pair)
        } else {
            ThrottleRule::Consecutive(policy.username_under_attack)
        };
        let state = store.throttle_hit_under(&pair, rule).await?;
        if !state.is_open() {
            return Ok(Entry::Refused {
                state,
                limit: Limit::Username,
            });
        }
        Ok(Entry::Open(Self {
            address,
            username: Some((pair, alert)),
        }))
    }

    /// The password was right: the address gets its count back (a right password is no failed
    /// sign-in) and this address's delays for the name are cleared (RL-5).
    pub(crate) async fn passed(self, store: &Store) -> Result<(), DomainError> {
        if let Some(key) = &self.address {
            store.throttle_refund(key).await?;
        }
        if let Some((pair, _)) = &self.username {
            store.throttle_clear(pair).await?;
        }
        Ok(())
    }

    /// The password was wrong (or the name unknown): the counts made in advance stand. Counts
    /// the failure for the name from everywhere; when that fills its window, the owner of
    /// `account` (if the name has one) is told and the alert audited, once per window.
    pub(crate) async fn failed(
        self,
        store: &Store,
        account: Option<&Account>,
        client: &Client,
        public_url: &str,
    ) -> Result<(), DomainError> {
        let Some((_, alert)) = &self.username else {
            return Ok(());
        };
        let count = store.throttle_count_event(alert).await?;
        if count != store.throttle_policy().username_alert.limit {
            return Ok(());
        }
        let Some(account) = account else {
            return Ok(());
        };
        tracing::warn!(
            account = account.id.0,
            "many wrong passwords for one username: alerting its owner"
        );
        store
            .audit(
                NewAuditEvent::new(AuditAction::PasswordGuessingAlert, AuditOutcome::Denied)
                    .subject(account.id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(serde_json::json!({ "failures": count })),
            )
            .await?;
        let notice = notify::password_guessing_notice(&account.display_name, public_url);
        for message in crate::auth::notice_messages(store, account.id, &notice).await? {
            store.enqueue(message).await?;
        }
        Ok(())
    }
}
