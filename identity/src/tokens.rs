//! Token self-service for a signed-in person: the token list and its history, removing a token,
//! "I lost this device", and renaming.
//!
//! Every operation acts for the account of the caller's session, as the web layer got them from
//! [`crate::Authenticator::authorize`]: a token id from a request is only ever looked up under that
//! account, so another account's id is simply not found (AC-2, no IDOR). A removal takes effect
//! at once (RB-7), keeps the row as history (RB-8), and is written in one transaction with the
//! notice to every confirmed contact (RB-2, AU-6) and its audit events (AU-1).
//!
//! The rule that keeps people from locking themselves out: a Full session may not remove the
//! account's last active token (nor, for a lost device, every token that is left). An Emergency
//! session may: that is how a person whose only phone held every token gets back in (the seed's
//! "lost phone with all tokens"), removing them all and then enrolling new ones in the same
//! session (RB-1).

use std::fmt;
use std::sync::Arc;

use serde_json::json;

use crate::auth::Client;
use crate::notify;
use crate::store::{RemovalOutcome, RemovalReport, TokenRemoval, TokenSelection};
use crate::SignedIn;
use crate::{
    device_name, token_label, Account, AuditAction, AuditOutcome, DomainError, NewAuditEvent,
    Result, Session, SessionScope, Store, Token, TokenId, TokenState,
};

/// What "I lost this device" did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LostDevice {
    /// The tokens removed (now in state `removed`), oldest first.
    pub removed: Vec<Token>,
    /// How many live sessions of the account ended (every one but the caller's).
    pub sessions_ended: u64,
}

/// What "Block this device" did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockedDevice {
    /// The tokens blocked (now in state `blocked`), oldest first.
    pub blocked: Vec<Token>,
    /// How many live sessions of the account ended (every one but the caller's).
    pub sessions_ended: u64,
}

/// What a self-service change does to the selected tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Change {
    Remove,
    Block,
}

/// Token self-service: cheap to clone, shared by every request. Time comes from the store's
/// clock.
#[derive(Clone)]
pub struct TokenService {
    store: Store,
    public_url: Arc<str>,
}

impl fmt::Debug for TokenService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenService").finish_non_exhaustive()
    }
}

impl TokenService {
    /// `public_url` is the configured base URL put in notices (never one taken from a request,
    /// CS-8).
    pub fn new(store: Store, public_url: &str) -> Self {
        Self {
            store,
            public_url: public_url.into(),
        }
    }

    /// The account's active tokens (the ones it may sign in with), oldest first.
    pub async fn list(&self, caller: &SignedIn) -> Result<Vec<Token>> {
        let account = caller.account();
        self.store.active_tokens(account.id).await
    }

    /// Every token the account has had, active and removed (with when and by whom, RB-8),
    /// oldest first. Unfinished enrolments (pending tokens) are left out: they never were a
    /// way to sign in.
    pub async fn history(&self, caller: &SignedIn) -> Result<Vec<Token>> {
        let account = caller.account();
        let mut tokens = self.store.tokens(account.id).await?;
        tokens.retain(|t| t.state != TokenState::Pending);
        Ok(tokens)
    }

    /// The distinct device names of the account's active tokens, in the order of their first
    /// token: the choices for "I lost this device". Tokens without a device are not listed.
    pub async fn devices(&self, caller: &SignedIn) -> Result<Vec<String>> {
        let mut devices: Vec<String> = Vec::new();
        for token in self.list(caller).await? {
            if let Some(device) = token.device {
                if !devices.contains(&device) {
                    devices.push(device);
                }
            }
        }
        Ok(devices)
    }

    /// Removes one active token of the caller's account: it stops working at once (RB-7), its
    /// row stays with `removed_at` and `removed_by` = the account itself (RB-8), and
    /// [`notify::token_removed_notice`] goes to every confirmed contact in the same transaction
    /// (RB-2, AU-6). Audited as `token.removed` with `{token_id, kind, device, scope}` (AU-1).
    ///
    /// Refused, with nothing changed and a `denied` audit event: [`DomainError::not_found("token")`] for an
    /// id that is not an active token of this account (AC-2); [`DomainError::LastToken`] when it
    /// is the last active token and the session is not an Emergency one.
    pub async fn remove(
        &self,
        caller: &SignedIn,
        token: TokenId,
        client: &Client,
    ) -> Result<Token, DomainError> {
        self.change_one(caller, token, Change::Remove, client).await
    }

    /// "I lost this device": in ONE transaction, removes every active token of the caller's
    /// account whose device is `device` (the stored name, as [`Self::devices`] lists it; typed
    /// text is trimmed and NFC-normalised first, as on enrolment, but never case-folded), ends
    /// every other session of the account (whoever holds the lost device and was signed in on
    /// it is signed out; the caller's own session stays), queues ONE
    /// [`notify::device_notice`] naming what was removed to every confirmed contact, and
    /// audits one `token.removed` per token with `{token_id, kind, device, reason:
    /// "lost_device", sessions_ended, scope}`.
    ///
    /// Refused, with nothing changed (no token removed, no session ended) and a `denied` audit
    /// event: [`DomainError::not_found("token")`] when no active token of the account is on that device;
    /// [`DomainError::LastToken`] when those are all the account's active tokens and the session
    /// is not an Emergency one (the person must enrol another token first). An empty or
    /// malformed device name is [`DomainError::Invalid`].
    pub async fn lost_device(
        &self,
        caller: &SignedIn,
        device: &str,
        client: &Client,
    ) -> Result<LostDevice, DomainError> {
        let (removed, sessions_ended) = self
            .change_device(caller, device, Change::Remove, client)
            .await?;
        Ok(LostDevice {
            removed,
            sessions_ended,
        })
    }

    /// Blocks one active token of the caller's account (issue 14): it stops working at once but
    /// keeps its seed, shows as blocked with the date, and can be unblocked
    /// ([`Self::unblock`]) if the phone turns up, or removed. Same rules as [`Self::remove`]:
    /// recent authentication, and a Full session may not block the last active token. Told
    /// to every confirmed contact and audited as `token.blocked` in the same transaction.
    pub async fn block(
        &self,
        caller: &SignedIn,
        token: TokenId,
        client: &Client,
    ) -> Result<Token, DomainError> {
        self.change_one(caller, token, Change::Block, client).await
    }

    /// "Block this device": as [`Self::lost_device`], but every active token on `device` is
    /// blocked instead of removed (it can be unblocked if the phone turns up), and every other
    /// session of the account ends.
    pub async fn block_device(
        &self,
        caller: &SignedIn,
        device: &str,
        client: &Client,
    ) -> Result<BlockedDevice, DomainError> {
        let (blocked, sessions_ended) = self
            .change_device(caller, device, Change::Block, client)
            .await?;
        Ok(BlockedDevice {
            blocked,
            sessions_ended,
        })
    }

    /// Taking a way in away is as sensitive as adding one (RB-1): a session left open on a
    /// shared computer must not quietly remove the owner's tokens, nor unblock one.
    fn require_recent(&self, session: &Session) -> Result<(), DomainError> {
        if !session.authenticated_recently(self.store.clock_now()) {
            return Err(DomainError::NotRecent);
        }
        Ok(())
    }

    /// Removes or blocks (`change`) the caller's own tokens that `selection` picks, as
    /// [`Self::remove`] / [`Self::block`] (one token) or [`Self::lost_device`] /
    /// [`Self::block_device`] (a device's, ending every other session) describe: the change,
    /// the notice and the audit events in one transaction, or a `denied` event and the refusal.
    /// Returns the changed tokens and how many sessions ended.
    /// [`Self::remove`] and [`Self::block`]: recent authentication, then one token.
    async fn change_one(
        &self,
        caller: &SignedIn,
        token: TokenId,
        change: Change,
        client: &Client,
    ) -> Result<Token, DomainError> {
        self.require_recent(caller.session())?;
        let (mut changed, _) = self
            .change_own(caller, TokenSelection::One(token), change, client)
            .await?;
        changed.pop().ok_or_else(|| {
            DomainError::Internal(format!("a token change ({change:?}) reported no token"))
        })
    }

    /// [`Self::lost_device`] and [`Self::block_device`]: recent authentication, a well-formed
    /// device name, then every active token on it; returns them and the sessions ended.
    async fn change_device(
        &self,
        caller: &SignedIn,
        device: &str,
        change: Change,
        client: &Client,
    ) -> Result<(Vec<Token>, u64), DomainError> {
        self.require_recent(caller.session())?;
        let device = named_device(device)?;
        self.change_own(caller, TokenSelection::Device(&device), change, client)
            .await
    }

    async fn change_own(
        &self,
        caller: &SignedIn,
        selection: TokenSelection<'_>,
        change: Change,
        client: &Client,
    ) -> Result<(Vec<Token>, u64), DomainError> {
        let (session, account) = (caller.session(), caller.account());
        let device = match selection {
            TokenSelection::One(_) => None,
            TokenSelection::Device(device) => Some(device),
        };
        let removal = TokenRemoval {
            account: account.id,
            selection,
            removed_by: account.id,
            block: change == Change::Block,
            allow_last: may_remove_last(session),
            end_other_sessions: device.map(|_| session.id),
        };
        let scope = session.scope.as_str();
        let action = match change {
            Change::Remove => AuditAction::TokenRemoved,
            Change::Block => AuditAction::TokenBlocked,
        };
        let outcome = self
            .store
            .remove_tokens(removal, |changed, sessions_ended| {
                let labels: Vec<&str> = changed.iter().map(|t| t.label.as_str()).collect();
                let label = labels.first().copied().unwrap_or("");
                let url = &self.public_url;
                let name = &account.display_name;
                let notice = match (change, device) {
                    (Change::Remove, None) => notify::token_removed_notice(name, label, url),
                    (Change::Remove, Some(device)) => notify::device_notice(
                        name,
                        notify::DeviceChange::Lost,
                        device,
                        &labels,
                        url,
                    ),
                    (Change::Block, None) => notify::token_blocked_notice(name, label, url),
                    (Change::Block, Some(device)) => notify::device_notice(
                        name,
                        notify::DeviceChange::Blocked,
                        device,
                        &labels,
                        url,
                    ),
                };
                let details = |t: &Token| {
                    let mut details = json!({
                        "token_id": t.id.0,
                        "kind": t.kind.as_str(),
                        "device": t.device,
                        "scope": scope,
                    });
                    if device.is_some() {
                        details["reason"] = json!("lost_device");
                        details["sessions_ended"] = json!(sessions_ended);
                    }
                    details
                };
                Ok(RemovalReport {
                    notice,
                    audit: changed
                        .iter()
                        .map(|t| {
                            event(action, AuditOutcome::Success, account, client)
                                .details(details(t))
                        })
                        .collect(),
                })
            })
            .await?;
        let refused = match outcome {
            RemovalOutcome::Removed {
                tokens,
                sessions_ended,
            } => return Ok((tokens, sessions_ended)),
            RemovalOutcome::NotFound => DomainError::not_found("token"),
            RemovalOutcome::LastToken => DomainError::LastToken,
        };
        let mut details = json!({ "scope": scope, "refused": refusal(&refused) });
        match selection {
            TokenSelection::One(token) => details["token_id"] = json!(token.0),
            TokenSelection::Device(device) => {
                details["device"] = json!(device);
                details["reason"] = json!("lost_device");
            }
        }
        self.store
            .audit(event(action, AuditOutcome::Denied, account, client).details(details))
            .await?;
        Err(refused)
    }

    /// Renames an active token of the account: `label` one line of 1 to 64 characters,
    /// `device` one line of at most 64 (empty: none), both trimmed and NFC-normalised.
    /// [`DomainError::Invalid`] names the rule broken; [`DomainError::not_found("token")`] for an id that is
    /// not an active token of this account (AC-2). Not audited and not notified: a name is not
    /// a credential.
    pub async fn rename(
        &self,
        caller: &SignedIn,
        token: TokenId,
        label: &str,
        device: &str,
    ) -> Result<Token, DomainError> {
        let account = caller.account();
        // Checked before the store is asked, so bad input never costs a query.
        token_label(label)?;
        device_name(device)?;
        self.store
            .rename_token(account.id, token, label, device)
            .await?
            .ok_or(DomainError::not_found("token"))
    }

    /// The account's blocked tokens ("Block my lost phone now"), oldest first.
    pub async fn blocked(&self, caller: &SignedIn) -> Result<Vec<Token>> {
        let account = caller.account();
        self.store.blocked_tokens(account.id).await
    }

    /// Unblocks one blocked token of the caller's account: it works again. Like adding a way in,
    /// it needs a recent authentication (or the restricted emergency session of a recovery:
    /// undoing a block needs a recovery, never the password alone). The contacts are told and
    /// it is audited as `token.unblocked`.
    pub async fn unblock(
        &self,
        caller: &SignedIn,
        token: TokenId,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        self.require_recent(session)?;
        let Some(blocked) = self
            .store
            .blocked_tokens(account.id)
            .await?
            .into_iter()
            .find(|t| t.id == token)
        else {
            return Err(DomainError::not_found("token"));
        };
        let notice =
            notify::token_unblocked_notice(&account.display_name, &blocked.label, &self.public_url);
        let notices = crate::auth::notice_messages(&self.store, account.id, &notice).await?;
        let audit = NewAuditEvent::own(
            AuditAction::TokenUnblocked,
            AuditOutcome::Success,
            account.id,
            client,
        )
        .details(json!({
            "token_id": token.0,
            "scope": session.scope.as_str(),
        }));
        self.store
            .unblock_token(account.id, token, &notices, &audit)
            .await?
            .ok_or(DomainError::not_found("token"))
    }
}

/// A device name typed for "I lost this device" or "Block this device": trimmed and
/// NFC-normalised as on enrolment, never empty.
fn named_device(device: &str) -> Result<String, DomainError> {
    device_name(device)?
        .ok_or_else(|| DomainError::Invalid("invalid device: must not be empty".into()))
}

/// Only an Emergency session may remove the last active token: it exists to replace lost ones.
fn may_remove_last(session: &Session) -> bool {
    session.scope == SessionScope::Emergency
}

fn event(
    action: AuditAction,
    outcome: AuditOutcome,
    account: &Account,
    client: &Client,
) -> NewAuditEvent {
    NewAuditEvent::own(action, outcome, account.id, client)
}

/// The word a `denied` audit event records for a refusal.
fn refusal(error: &DomainError) -> &'static str {
    match error {
        DomainError::NotFound(_) => "not_found",
        DomainError::LastToken => "last_token",
        DomainError::NotRecent => "not_recent",
        DomainError::Invalid(_) | DomainError::InvalidInput { .. } => "invalid",
        _ => "error",
    }
}

#[cfg(test)]
mod tests;
