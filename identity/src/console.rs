//! The operational console: what operators may do for the people they help, and the rules
//! around it (AC rows, EC-9, RB-4, AU-5, SE-7).
//!
//! Every operation takes an [`Operator`], which only [`Console::operator`] (or
//! [`Console::admin`]) makes, from the session and account the web layer just read for this
//! request: so the role is checked on every request, never cached (AC-5), and a restricted
//! emergency session or an ordinary user never gets one (a refusal is audited as
//! `access.denied`). Every action needs a reason, is audited with the operator as actor and the
//! user as subject, and tells the user on every confirmed contact. Acting on an operator or
//! administrator needs an administrator; nobody acts on their own account here.

mod notice;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use unicode_normalization::UnicodeNormalization;

use crate::auth::notice_messages;
use crate::emergency::{undo_events, OperatorIssue};
use crate::notify::recovery_undone_notice;
use crate::store::{
    AccountSearch, RemovalOutcome, RemovalReport, TokenRemoval, TokenSelection, UndoFrom,
    UndoRefused, Undone, CANCEL_LINK_TTL,
};
use crate::{
    device_name, Account, AccountId, AccountState, AuditAction, AuditEvent, AuditOutcome,
    AuditQuery, Client, Contact, DomainError, EmergencyAccess, EmergencyCode, EmergencyCodeInfo,
    FullSession, NewAuditEvent, NewOutboxMessage, Role, SearchMode, Session, SessionId, Store,
    Token, TokenId, TokenState,
};

pub use mayi_types::Overview;
pub use notice::operator_notice;

/// What an operation on one thing returns when the thing is not there (or not the operator's
/// to see): the one "not found" the console says, whatever the reason.
fn item<T>(found: Option<T>) -> Result<T, DomainError> {
    found.ok_or(DomainError::not_found("item"))
}

/// What an operator does to one token ([`Console::change_token`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenAction {
    Remove,
    Block,
    Unblock,
}

/// Longest search term, in characters.
pub const SEARCH_MAX_CHARS: usize = 100;
/// Accounts on one page of search results.
pub const SEARCH_PAGE_SIZE: u32 = 20;
/// Longest reason an operator may give for an action, in characters.
pub const ACTION_REASON_MAX_CHARS: usize = 200;
/// Audit events shown on a user's page.
pub const USER_AUDIT_EVENTS: u32 = 20;
/// Days the overview counts.
pub const OVERVIEW_DAYS: usize = 7;

/// The canonical form searched: NFKC, full case folding, NFKC (the form usernames are stored
/// in, and the form display names are indexed in), trimmed.
pub fn search_key(raw: &str) -> String {
    let first: String = raw.trim().nfkc().collect();
    let folded = caseless::default_case_fold_str(&first);
    folded.nfkc().collect()
}

/// A search term for contact values: a phone number typed with spaces, dashes, dots or
/// parentheses loses them (numbers are stored as `+420601123456`); anything else is
/// lower-cased like addresses are compared.
fn contact_key(key: &str) -> String {
    let compact: String = key
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect();
    let phone_like = !compact.is_empty()
        && compact
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 0 && c == '+'));
    if phone_like {
        compact
    } else {
        key.to_lowercase()
    }
}

impl DomainError {
    /// An Emergency Access refusal as the console tells it: the wizard's and the restricted
    /// session's refusals cannot happen to an operator and are internal errors there.
    pub(crate) fn in_console(self) -> Self {
        match self {
            Self::NotEmergency => Self::Forbidden,
            Self::InvalidCredentials
            | Self::InvalidCode
            | Self::UnusableToken
            | Self::NotYetValid { .. }
            | Self::AttemptExpired
            | Self::RateLimited { .. }
            | Self::Blocked
            | Self::WizardExpired
            | Self::WrongStep(_)
            | Self::NoRecoveryAddress
            | Self::RecoveryStepsLeft => Self::Internal(self.to_string()),
            other => other,
        }
    }
}

/// The caller, checked to be an operator (or admin) in a full session for this request. Only
/// [`Console::operator`] and [`Console::admin`] make one.
#[derive(Clone, Debug)]
pub struct Operator {
    account: Account,
    session: SessionId,
}

impl Operator {
    /// An operator value for tests of other modules (the console's own tests go through
    /// [`Console::operator`]).
    #[cfg(test)]
    pub(crate) fn for_tests(account: Account, session: SessionId) -> Self {
        Self { account, session }
    }

    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn id(&self) -> AccountId {
        self.account.id
    }

    pub fn is_admin(&self) -> bool {
        self.account.role == Role::Admin
    }
}

/// One page of search results (accounts ordered by username).
#[derive(Clone, Debug)]
pub struct SearchPage {
    pub accounts: Vec<Account>,
    pub has_more: bool,
}

/// Everything the user page shows. Metadata only: no password hash leaves through the web
/// layer's views, no seed, no code or code hash (EC-8).
#[derive(Clone, Debug)]
pub struct UserDetail {
    pub account: Account,
    pub contacts: Vec<Contact>,
    /// Active and removed tokens (pending enrolments left out), oldest first.
    pub tokens: Vec<Token>,
    pub sessions: Vec<Session>,
    pub codes: Vec<EmergencyCodeInfo>,
    pub events: Vec<AuditEvent>,
    /// When this was read, on the store's clock (a code's "live" or "expired" is relative to it).
    pub now: crate::Timestamp,
}

/// The console's operations. Cheap to clone.
#[derive(Clone)]
pub struct Console {
    store: Store,
    emergency: EmergencyAccess,
    public_url: Arc<str>,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console").finish_non_exhaustive()
    }
}

impl Console {
    pub fn new(store: Store, emergency: EmergencyAccess, public_url: &str) -> Self {
        Self {
            store,
            emergency,
            public_url: public_url.into(),
        }
    }

    /// The caller as an operator: a full session (a restricted emergency session, an operator's
    /// own emergency access included, never gets this far: see [`FullSession`]) of an active
    /// account whose role is operator or admin, as read for this request. Otherwise
    /// `access.denied` is audited with `what` and [`DomainError::Forbidden`] returned (AC-1,
    /// AC-5).
    pub async fn operator(
        &self,
        caller: &FullSession,
        what: &str,
        client: &Client,
    ) -> Result<Operator, DomainError> {
        self.require(caller, what, client, |role| role != Role::User)
            .await
    }

    /// The same, for an administrator only (making and removing operators).
    pub async fn admin(
        &self,
        caller: &FullSession,
        what: &str,
        client: &Client,
    ) -> Result<Operator, DomainError> {
        self.require(caller, what, client, |role| role == Role::Admin)
            .await
    }

    async fn require(
        &self,
        caller: &FullSession,
        what: &str,
        client: &Client,
        allowed: impl Fn(Role) -> bool,
    ) -> Result<Operator, DomainError> {
        let (session, account) = (caller.session(), caller.account());
        let ok = account.state == AccountState::Active && allowed(account.role);
        if ok {
            return Ok(Operator {
                account: account.clone(),
                session: session.id,
            });
        }
        let what: String = what.chars().filter(|c| !c.is_control()).take(200).collect();
        self.store
            .audit(
                NewAuditEvent::new(AuditAction::AccessDenied, AuditOutcome::Denied)
                    .actor(account.id)
                    .subject(account.id)
                    .client(client.ip.clone(), client.user_agent.clone())
                    .details(json!({
                        "scope": session.scope.as_str(),
                        "role": account.role.as_str(),
                        "what": what,
                        "needs": "console",
                    })),
            )
            .await?;
        Err(DomainError::Forbidden)
    }

    /// Finds accounts by username, display name, e-mail address or phone number: `mode`
    /// prefix or contains, case-insensitive in the canonical form sign-in uses, LIKE wildcards
    /// taken literally. `page` counts from 0. An empty term finds nothing.
    pub async fn search(
        &self,
        _operator: &Operator,
        term: &str,
        mode: SearchMode,
        page: u32,
    ) -> Result<SearchPage, DomainError> {
        if term.chars().count() > SEARCH_MAX_CHARS {
            return Err(DomainError::Invalid(format!(
                "invalid search: must be at most {SEARCH_MAX_CHARS} characters"
            )));
        }
        if term.chars().any(char::is_control) {
            return Err(DomainError::Invalid(
                "invalid search: must be one line".into(),
            ));
        }
        let key = search_key(term);
        if key.is_empty() {
            return Ok(SearchPage {
                accounts: Vec::new(),
                has_more: false,
            });
        }
        let search = AccountSearch {
            contact_key: contact_key(&key),
            key,
            mode,
            limit: SEARCH_PAGE_SIZE + 1,
            offset: page.min(10_000).saturating_mul(SEARCH_PAGE_SIZE),
        };
        let mut accounts = self.store.search_accounts(&search).await?;
        let has_more = accounts.len() > SEARCH_PAGE_SIZE as usize;
        accounts.truncate(SEARCH_PAGE_SIZE as usize);
        Ok(SearchPage { accounts, has_more })
    }

    /// Everything about one account, for its page.
    pub async fn user(
        &self,
        operator: &Operator,
        user: AccountId,
    ) -> Result<UserDetail, DomainError> {
        let account = self.account(operator, user).await?;
        let mut tokens = self.store.tokens(user).await?;
        tokens.retain(|t| t.state != TokenState::Pending);
        let events = self
            .store
            .audit_events(AuditQuery {
                subject: Some(user),
                limit: USER_AUDIT_EVENTS,
                ..AuditQuery::default()
            })
            .await?;
        Ok(UserDetail {
            contacts: self.store.contacts(user).await?,
            tokens,
            sessions: self.store.sessions(user).await?,
            codes: self.store.emergency_codes(user).await?,
            events,
            account,
            now: self.store.clock_now(),
        })
    }

    /// The account with this id, or [`DomainError::not_found("item")`].
    pub async fn account(
        &self,
        _operator: &Operator,
        id: AccountId,
    ) -> Result<Account, DomainError> {
        item(self.store.account_by_id(id).await?)
    }

    /// The audit log, filtered (see [`AuditQuery`]).
    pub async fn audit_log(
        &self,
        _operator: &Operator,
        query: AuditQuery,
    ) -> Result<Vec<AuditEvent>, DomainError> {
        self.store.audit_events(query).await
    }

    /// The account with this canonical username, for the audit log's filters.
    pub async fn account_named(
        &self,
        _operator: &Operator,
        username: &str,
    ) -> Result<Account, DomainError> {
        let name = crate::Username::parse(username).map_err(|_| DomainError::not_found("item"))?;
        item(self.store.account_by_username(&name).await?)
    }

    /// Loads the target of an action and checks that `operator` may act on it: not oneself
    /// (when `not_self`), and an operator or admin only by an admin.
    async fn target(
        &self,
        operator: &Operator,
        user: AccountId,
        not_self: bool,
    ) -> Result<Account, DomainError> {
        let account = self.account(operator, user).await?;
        if not_self && account.id == operator.id() {
            return Err(DomainError::Invalid(
                "you cannot do this to your own account: ask another operator".into(),
            ));
        }
        if account.role != Role::User && !operator.is_admin() && account.id != operator.id() {
            return Err(DomainError::Invalid(
                "only an administrator may act on an operator's account".into(),
            ));
        }
        Ok(account)
    }

    /// The reason for an action, checked (RB-4), and its target, checked by [`Self::target`].
    async fn acting_on(
        &self,
        operator: &Operator,
        user: AccountId,
        reason: &str,
        not_self: bool,
    ) -> Result<(String, Account), DomainError> {
        let reason = action_reason(reason)?;
        Ok((reason, self.target(operator, user, not_self).await?))
    }

    /// The notice that an operator did `what` (with the `reason`), one message to each
    /// confirmed contact of `user`, to queue with the change it reports.
    async fn notices(
        &self,
        user: &Account,
        what: &str,
        reason: &str,
    ) -> Result<Vec<NewOutboxMessage>, DomainError> {
        let notice = operator_notice(&user.display_name, what, reason, &self.public_url);
        notice_messages(&self.store, user.id, &notice).await
    }

    fn event(
        &self,
        action: AuditAction,
        operator: &Operator,
        user: &Account,
        client: &Client,
        details: serde_json::Value,
    ) -> NewAuditEvent {
        NewAuditEvent::new(action, AuditOutcome::Success)
            .actor(operator.id())
            .subject(user.id)
            .with_client(client)
            .details(details)
    }

    /// Does `action` to one token of `user`, audited with the operator as actor and the reason,
    /// the user told:
    /// - [`TokenAction::Remove`]: an active token is removed (even the last one: the operator
    ///   helps someone who lost it). The row stays as history with `removed_by` = the operator
    ///   (RB-8); audited as `token.removed`.
    /// - [`TokenAction::Block`] (issue 14; even the last one, as an operator may remove it): it
    ///   cannot sign in, keeps its seed and can be unblocked; audited as `token.blocked`.
    /// - [`TokenAction::Unblock`]: a blocked token works again; audited as `token.unblocked`.
    pub async fn change_token(
        &self,
        operator: &Operator,
        user: AccountId,
        token: TokenId,
        action: TokenAction,
        reason: &str,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let (reason, user) = self.acting_on(operator, user, reason, false).await?;
        let block = match action {
            TokenAction::Remove => false,
            TokenAction::Block => true,
            TokenAction::Unblock => {
                return self.unblock(operator, &user, token, &reason, client).await
            }
        };
        let selection = TokenSelection::One(token);
        let changed = self
            .change_tokens(operator, &user, selection, block, &reason, client)
            .await?;
        item(changed.into_iter().next())
    }

    /// Removes every active token of `user` on `device` and ends every session of the account
    /// (whoever holds the device is signed out). Same audit and notice as
    /// [`Self::remove_token`].
    pub async fn remove_device(
        &self,
        operator: &Operator,
        user: AccountId,
        device: &str,
        reason: &str,
        client: &Client,
    ) -> Result<Vec<Token>, DomainError> {
        let reason = action_reason(reason)?;
        let device = device_name(device)?
            .ok_or_else(|| DomainError::Invalid("invalid device: must not be empty".into()))?;
        let user = self.target(operator, user, false).await?;
        self.change_tokens(
            operator,
            &user,
            TokenSelection::Device(&device),
            false,
            &reason,
            client,
        )
        .await
    }

    /// Unblocks one blocked token of `user` (for [`Self::change_token`]).
    async fn unblock(
        &self,
        operator: &Operator,
        user: &Account,
        token: TokenId,
        reason: &str,
        client: &Client,
    ) -> Result<Token, DomainError> {
        let Some(blocked) = self
            .store
            .blocked_tokens(user.id)
            .await?
            .into_iter()
            .find(|t| t.id == token)
        else {
            return Err(DomainError::not_found("item"));
        };
        let what = format!("unblocked the sign-in method \"{}\"", blocked.label);
        let notices = self.notices(user, &what, reason).await?;
        let event = self.event(
            AuditAction::TokenUnblocked,
            operator,
            user,
            client,
            json!({ "token_id": token.0, "by": "operator", "reason": reason }),
        );
        item(
            self.store
                .unblock_token(user.id, token, &notices, &event)
                .await?,
        )
    }

    /// Removes (`block` false) or blocks the tokens of `user` that `selection` picks, with the
    /// notice and one audit event per token in the same transaction.
    async fn change_tokens(
        &self,
        operator: &Operator,
        user: &Account,
        selection: TokenSelection<'_>,
        block: bool,
        reason: &str,
        client: &Client,
    ) -> Result<Vec<Token>, DomainError> {
        let device = matches!(selection, TokenSelection::Device(_));
        let removal = TokenRemoval {
            account: user.id,
            selection,
            removed_by: operator.id(),
            block,
            allow_last: true,
            // Session ids start at 1: keeping 0 ends them all.
            end_other_sessions: device.then_some(SessionId(0)),
        };
        let (verb, action) = if block {
            ("blocked", AuditAction::TokenBlocked)
        } else {
            ("removed", AuditAction::TokenRemoved)
        };
        let outcome = self
            .store
            .remove_tokens(removal, |changed, sessions_ended| {
                let labels: Vec<&str> = changed.iter().map(|t| t.label.as_str()).collect();
                let what = format!(
                    "{verb} the sign-in method{} {}{}",
                    if labels.len() == 1 { "" } else { "s" },
                    labels
                        .iter()
                        .map(|l| format!("\"{l}\""))
                        .collect::<Vec<_>>()
                        .join(", "),
                    if device {
                        " and signed you out everywhere"
                    } else {
                        ""
                    }
                );
                Ok(RemovalReport {
                    notice: operator_notice(&user.display_name, &what, reason, &self.public_url),
                    audit: changed
                        .iter()
                        .map(|t| {
                            self.event(
                                action,
                                operator,
                                user,
                                client,
                                json!({
                                    "token_id": t.id.0,
                                    "kind": t.kind.as_str(),
                                    "device": t.device,
                                    "by": "operator",
                                    "reason": reason,
                                    "sessions_ended": sessions_ended,
                                }),
                            )
                        })
                        .collect(),
                })
            })
            .await?;
        match outcome {
            RemovalOutcome::Removed { tokens, .. } => Ok(tokens),
            RemovalOutcome::NotFound | RemovalOutcome::LastToken => {
                Err(DomainError::not_found("item"))
            }
        }
    }

    /// Ends one session of `user` (or all of them with `None`); returns how many ended. The
    /// user is told; audited as `session.ended_by_operator`.
    pub async fn end_sessions(
        &self,
        operator: &Operator,
        user: AccountId,
        session: Option<SessionId>,
        reason: &str,
        client: &Client,
    ) -> Result<u64, DomainError> {
        let (reason, user) = self.acting_on(operator, user, reason, false).await?;
        let ended = match session {
            Some(id) => u64::from(self.store.end_session_by_id(user.id, id).await?),
            None => self.store.end_sessions(user.id, None).await?,
        };
        if ended == 0 {
            return Err(DomainError::not_found("item"));
        }
        let what = if session.is_some() {
            "signed you out of one session"
        } else {
            "signed you out everywhere"
        };
        self.notify(&user, what, &reason).await?;
        self.store
            .audit(self.event(
                AuditAction::SessionsEndedByOperator,
                operator,
                &user,
                client,
                json!({
                    "session_id": session.map(|s| s.0),
                    "ended": ended,
                    "reason": reason,
                }),
            ))
            .await?;
        Ok(ended)
    }

    /// Locks `user`'s account (`lock` true: every session ends at once, and it can neither sign
    /// in nor use Emergency Access until unlocked) or unlocks a locked one (`lock` false). Not
    /// one's own account.
    pub async fn set_locked(
        &self,
        operator: &Operator,
        user: AccountId,
        lock: bool,
        reason: &str,
        client: &Client,
    ) -> Result<(), DomainError> {
        let (reason, user) = self.acting_on(operator, user, reason, true).await?;
        let (from, to, action, what) = if lock {
            (
                AccountState::Active,
                AccountState::Locked,
                AuditAction::AccountLocked,
                "locked your account and signed you out everywhere",
            )
        } else {
            (
                AccountState::Locked,
                AccountState::Active,
                AuditAction::AccountUnlocked,
                "unlocked your account",
            )
        };
        let notices = self.notices(&user, what, &reason).await?;
        let event = self.event(action, operator, &user, client, json!({ "reason": reason }));
        let changed = self
            .store
            .change_account_state(user.id, from, to, lock, &notices, &[event])
            .await?;
        if !changed {
            return Err(DomainError::Invalid(if lock {
                "the account is not active".into()
            } else {
                "the account is not locked".into()
            }));
        }
        Ok(())
    }

    /// Issues an emergency code for `user` (see [`EmergencyAccess::issue_by_operator`] for the
    /// rules) and keeps it, sealed, for the operator's session: [`Self::take_code`] shows it
    /// once. Returns its metadata.
    #[allow(clippy::too_many_arguments)]
    pub async fn issue_code(
        &self,
        operator: &Operator,
        user: AccountId,
        verification: &str,
        reason: &str,
        max_uses: u32,
        lifetime: Duration,
        client: &Client,
    ) -> Result<EmergencyCodeInfo, DomainError> {
        let user = self.account(operator, user).await?;
        let request = OperatorIssue {
            verification,
            reason,
            max_uses,
            lifetime,
        };
        let (code, info) = self
            .emergency
            .issue_by_operator(operator.account(), &user, &request, client)
            .await
            .map_err(DomainError::in_console)?;
        let sealed = self
            .emergency
            .seal_code(&code, &handover_aad(operator.session, info.id.0))?;
        self.store
            .put_handover(operator.session, info.id, user.id, &sealed)
            .await?;
        Ok(info)
    }

    /// The code this operator session issued last, the first time it is asked for (EC-7),
    /// with the account it is for and its metadata; `None` afterwards.
    pub async fn take_code(
        &self,
        operator: &Operator,
    ) -> Result<Option<(Account, EmergencyCode, EmergencyCodeInfo)>, DomainError> {
        let Some((code_id, account, sealed)) = self.store.take_handover(operator.session).await?
        else {
            return Ok(None);
        };
        let code = self
            .emergency
            .open_code(&sealed, &handover_aad(operator.session, code_id.0))?;
        let info = item(self.store.emergency_code(code_id).await?)?;
        let account = self.account(operator, account).await?;
        Ok(Some((account, code, info)))
    }

    /// Revokes `user`'s live emergency code (and ends the sessions it opened); the user is
    /// told. [`DomainError::not_found("item")`] when there is none.
    pub async fn revoke_code(
        &self,
        operator: &Operator,
        user: AccountId,
        reason: &str,
        client: &Client,
    ) -> Result<(), DomainError> {
        let (reason, user) = self.acting_on(operator, user, reason, false).await?;
        let what = "cancelled your emergency access code";
        let notices = self.notices(&user, what, &reason).await?;
        let Some(id) = self
            .store
            .revoke_emergency_code(user.id, "operator", &notices)
            .await?
        else {
            return Err(DomainError::not_found("item"));
        };
        self.store
            .audit(self.event(
                AuditAction::EmergencyCodeRevoked,
                operator,
                &user,
                client,
                json!({ "code_id": id.0, "why": "operator", "reason": reason }),
            ))
            .await?;
        Ok(())
    }

    /// "Approve now": makes `user`'s self-service code that is still in its waiting period
    /// (asked for from a browser the account does not remember, issue 13 item 5) valid from
    /// now. Needs a reason; not for one's own account; an operator's or admin's account needs
    /// an admin. The user is told on every confirmed contact (the notice keeps the "this was
    /// not me" way out) and it is audited as `emergency.code_approved`, in the same transaction.
    /// [`DomainError::not_found("item")`] when no code waits. Returns the approved code's metadata.
    pub async fn approve_code(
        &self,
        operator: &Operator,
        user: AccountId,
        reason: &str,
        client: &Client,
    ) -> Result<EmergencyCodeInfo, DomainError> {
        let (reason, user) = self.acting_on(operator, user, reason, true).await?;
        let what = "approved your emergency access code: it works now, without waiting";
        let notices = self.notices(&user, what, &reason).await?;
        let waiting = self
            .store
            .emergency_codes(user.id)
            .await?
            .into_iter()
            .find(|c| c.is_waiting(self.store.clock_now()));
        let Some(waiting) = waiting else {
            return Err(DomainError::not_found("item"));
        };
        let event = self.event(
            AuditAction::EmergencyCodeApproved,
            operator,
            &user,
            client,
            json!({
                "code_id": waiting.id.0,
                "was_valid_from": waiting.valid_from.as_millis(),
                "unknown_browser": waiting.unknown_browser,
                "reason": reason,
            }),
        );
        item(
            self.store
                .approve_emergency_code(user.id, &notices, &[event])
                .await?,
        )
    }

    /// "This was not me", done by the help desk (issue 13): undoes what emergency access made
    /// possible on `user`'s account since its earliest emergency code of the last
    /// [`crate::CANCEL_LINK_TTL`] was issued (see [`Store::undo_emergency_access`]): every code
    /// since then revoked, every token and contact added since then removed, the recovery
    /// address of that time restored, every session, attempt and wizard ended, the account
    /// locked for review, the remaining contacts told. Not one's own account; an operator's or
    /// administrator's only by an administrator. Audited with the operator as actor and the
    /// reason. An account with no code in that time is refused with a message that says so.
    pub async fn undo_emergency_access(
        &self,
        operator: &Operator,
        user: AccountId,
        reason: &str,
        client: &Client,
    ) -> Result<Undone, DomainError> {
        let (reason, user) = self.acting_on(operator, user, reason, true).await?;
        let notice = recovery_undone_notice(&user.display_name, true, &self.public_url);
        let undone = self
            .store
            .undo_emergency_access(UndoFrom::Account(user.id), &notice, |undone| {
                let mut events = undo_events(undone, Some(operator.id()), client, "operator");
                for event in &mut events {
                    if let Some(details) = event.details.as_object_mut() {
                        details.insert("reason".into(), json!(reason));
                    }
                }
                events
            })
            .await?;
        match undone {
            Ok(undone) => Ok(undone),
            Err(UndoRefused::NoRecentCode | UndoRefused::Unknown | UndoRefused::AlreadyUsed) => {
                Err(DomainError::Invalid(format!(
                    "this account had no emergency access code in the last {} days: there is \
                     nothing to undo (lock the account instead if it is being misused)",
                    CANCEL_LINK_TTL.as_secs() / 86_400
                )))
            }
        }
    }

    /// An administrator makes a user an operator (`operator` true) or an operator a user again.
    /// Not one's own role, and never an administrator's (that stays with the CLI). Takes effect
    /// on the next request (AC-5).
    pub async fn set_operator(
        &self,
        admin: &Operator,
        user: AccountId,
        operator: bool,
        reason: &str,
        client: &Client,
    ) -> Result<(), DomainError> {
        if !admin.is_admin() {
            return Err(DomainError::Forbidden);
        }
        let (reason, user) = self.acting_on(admin, user, reason, true).await?;
        let (from, to) = if operator {
            (Role::User, Role::Operator)
        } else {
            (Role::Operator, Role::User)
        };
        let event = self.event(
            AuditAction::RoleChanged,
            admin,
            &user,
            client,
            json!({ "from": from.as_str(), "to": to.as_str(), "reason": reason }),
        );
        if !self.store.change_role(user.id, from, to, &event).await? {
            return Err(DomainError::Invalid(format!(
                "the account's role is not {}",
                from.as_str()
            )));
        }
        Ok(())
    }

    /// Counts for the overview: the last [`OVERVIEW_DAYS`] days up to now, in whole UTC days.
    pub async fn overview(&self, _operator: &Operator) -> Result<Overview, DomainError> {
        const DAY: i64 = 86_400_000;
        let now = self.store.clock_now().as_millis();
        let since = (now.div_euclid(DAY) - (OVERVIEW_DAYS as i64 - 1)) * DAY;
        let days = OVERVIEW_DAYS;
        let s = &self.store;
        let events = |action: AuditAction, outcome: Option<&'static str>| {
            s.audit_daily_counts(action.as_str(), outcome, since, days)
        };
        let failures_password = events(AuditAction::SignInPassword, Some("failure")).await?;
        let failures_second = events(AuditAction::SignInSecondFactor, Some("failure")).await?;
        Ok(Overview {
            days: (0..days as i64)
                .map(|i| {
                    let day = crate::format_utc(crate::Timestamp::from_millis(since + i * DAY));
                    day.get(5..10).unwrap_or_default().to_string()
                })
                .collect(),
            codes_self_service: s.codes_daily_counts("self_service", since, days).await?,
            codes_operator: s.codes_daily_counts("operator", since, days).await?,
            codes_used: events(AuditAction::EmergencyCodeUsed, Some("success")).await?,
            accounts_locked: events(AuditAction::AccountLocked, None).await?,
            sign_in_failures: failures_password
                .iter()
                .zip(&failures_second)
                .map(|(a, b)| a + b)
                .collect(),
            accounts_at_risk: s.count_accounts_at_risk().await?,
        })
    }

    async fn notify(&self, user: &Account, what: &str, reason: &str) -> Result<(), DomainError> {
        for message in self.notices(user, what, reason).await? {
            self.store.enqueue(message).await?;
        }
        Ok(())
    }
}

/// A required reason: one line, 1 to [`ACTION_REASON_MAX_CHARS`] characters (RB-4).
pub(crate) fn action_reason(reason: &str) -> Result<String, DomainError> {
    crate::text::single_line("reason", reason, ACTION_REASON_MAX_CHARS, false)
}

/// Binds a sealed hand-over code to the operator's session and the code's id.
fn handover_aad(session: SessionId, code: i64) -> Vec<u8> {
    let mut aad = b"console-handover".to_vec();
    aad.extend_from_slice(&session.0.to_be_bytes());
    aad.extend_from_slice(&code.to_be_bytes());
    aad
}
