//! The operational console's server functions. Each one is for operators (role operator or
//! admin, in a full session; `console_set_operator` for admins only) and starts with
//! `require_operator` / `require_admin`, which read the role for this very request (AC-5). Ids
//! in arguments are only ever looked up under the user they name (AC-2); arguments not listed
//! (a `role`, another `user_id`) are ignored by the decoder (AC-3). Every action needs a reason
//! and is audited and told to the user by `identity::Console`.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;
pub use mayi_types::{
    AccountState, BlockAction, CodeIssuer, ContactKind, LockAction, OperatorChange, Overview, Role,
    SessionScope, TokenKind, TokenState,
};

/// One account in the search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub state: AccountState,
    pub role: Role,
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    pub users: Vec<UserRow>,
    pub page: u32,
    pub has_more: bool,
}

/// A contact on the user page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRow {
    pub kind: ContactKind,
    pub value: String,
    pub confirmed: bool,
    pub is_recovery: bool,
}

/// A token on the user page: metadata only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenRow {
    pub id: i64,
    pub kind: TokenKind,
    pub label: String,
    pub device: Option<String>,
    pub state: TokenState,
    pub created: String,
    pub last_used: Option<String>,
    pub removed: Option<String>,
    /// When it was blocked, while it is.
    pub blocked: Option<String>,
}

/// A live session of the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRow {
    pub id: i64,
    pub scope: SessionScope,
    pub browser: String,
    pub ip: Option<String>,
    pub signed_in: String,
    pub last_seen: String,
}

/// An emergency code's metadata (EC-8: never the code or its hash).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRow {
    pub issuer: CodeIssuer,
    /// The issuing operator's username.
    pub issued_by: Option<String>,
    pub reason: String,
    pub verification: Option<String>,
    pub created: String,
    pub expires: String,
    pub uses: u32,
    pub max_uses: u32,
    /// "live", "used up", "expired" or "revoked (why)".
    pub status: String,
}

/// An audit event as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventRow {
    pub id: i64,
    pub at: String,
    pub actor: Option<String>,
    pub subject: Option<String>,
    pub action: String,
    pub outcome: String,
    pub ip: Option<String>,
    /// The details object as compact JSON (shown as text).
    pub details: String,
}

/// Everything the user page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserPage {
    pub user: UserRow,
    pub created: String,
    pub contacts: Vec<ContactRow>,
    pub tokens: Vec<TokenRow>,
    /// Device names of the active tokens (for "remove every token of this device").
    pub devices: Vec<String>,
    pub sessions: Vec<SessionRow>,
    pub codes: Vec<CodeRow>,
    pub has_live_code: bool,
    /// A self-service code waits (asked for from an unknown browser): "Approve now" is offered
    /// (issue 13 item 5).
    pub has_waiting_code: bool,
    pub events: Vec<EventRow>,
    /// The caller is looking at their own account (no lock, no code).
    pub is_self: bool,
    /// The caller is an admin (may make or remove operators).
    pub caller_is_admin: bool,
}

/// The audit log's filters, as typed in its form (and in the CSV link).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilters {
    /// Username of the account the events are about.
    #[serde(default)]
    pub user: Option<String>,
    /// Username of the account that did it.
    #[serde(default)]
    pub actor: Option<String>,
    /// An action name (`emergency.code_issued`).
    #[serde(default)]
    pub action: Option<String>,
    /// From this day (YYYY-MM-DD, UTC, inclusive).
    #[serde(default)]
    pub since: Option<String>,
    /// To this day (YYYY-MM-DD, UTC, inclusive).
    #[serde(default)]
    pub until: Option<String>,
    /// Events older than this id (the next page).
    #[serde(default)]
    pub before: Option<i64>,
}

/// One page of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<EventRow>,
    /// The `before` of the next page, when there is one.
    pub next_before: Option<i64>,
    /// Every action name, for the filter's list.
    pub actions: Vec<String>,
}

/// The code an operator just issued, the one time it is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandedCode {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// `ABCD-EFGH-JKMN-PQRS`.
    pub grouped: String,
    pub max_uses: u32,
    pub expires: String,
}

/// Finds accounts by username, name, e-mail address or phone number.
///
/// Who may call it: operators and admins.
#[server(prefix = "/api", endpoint = "console_search")]
pub async fn console_search(
    q: String,
    mode: Option<String>,
    page: Option<u32>,
) -> Result<SearchResults, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    no_store();
    let (mode, page) = (ssr::search_mode(mode.as_deref()), page.unwrap_or(0));
    let found = respond(state.console.search(&operator, &q, mode, page).await)?;
    Ok(ssr::search_results(&found, page))
}

/// Everything about one account: profile, contacts, tokens, sessions, codes, recent events.
///
/// Who may call it: operators and admins.
#[server(prefix = "/api", endpoint = "console_user")]
pub async fn console_user(user_id: i64) -> Result<UserPage, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    no_store();
    let detail = respond(state.console.user(&operator, user(user_id)).await)?;
    Ok(ssr::user_page(&state, &operator, &detail).await)
}

/// Removes one token of the user (even the last one).
///
/// Who may call it: operators and admins (an operator's or admin's account: admins only).
#[server(prefix = "/api", endpoint = "console_remove_token")]
pub async fn console_remove_token(
    user_id: i64,
    token_id: i64,
    reason: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    let token = identity::TokenId(token_id);
    let result = state
        .console
        .change_token(
            &operator,
            user(user_id),
            token,
            identity::TokenAction::Remove,
            &reason,
            &client(),
        )
        .await;
    done(result, user_id, "token")
}

/// Blocks one token of the user (`block` = "block": it cannot sign in, keeps its seed) or
/// unblocks a blocked one ("unblock").
///
/// Who may call it: operators and admins (an operator's or admin's account: admins only).
#[server(prefix = "/api", endpoint = "console_set_blocked")]
pub async fn console_set_blocked(
    user_id: i64,
    token_id: i64,
    block: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    let Ok(block) = BlockAction::parse(&block) else {
        return respond(Err(AppError::BadRequest));
    };
    let action = match block {
        BlockAction::Block => identity::TokenAction::Block,
        BlockAction::Unblock => identity::TokenAction::Unblock,
    };
    let token = identity::TokenId(token_id);
    let result = state
        .console
        .change_token(&operator, user(user_id), token, action, &reason, &client())
        .await;
    done(result, user_id, block.as_str())
}

/// Removes every token of one device of the user and ends all the user's sessions.
///
/// Who may call it: operators and admins (an operator's or admin's account: admins only).
#[server(prefix = "/api", endpoint = "console_remove_device")]
pub async fn console_remove_device(
    user_id: i64,
    device: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    super::typed_device(&device)?;
    let result = state
        .console
        .remove_device(&operator, user(user_id), &device, &reason, &client())
        .await;
    done(result, user_id, "device")
}

/// Ends one session of the user, or every one when `session_id` is absent.
///
/// Who may call it: operators and admins (an operator's or admin's account: admins only).
#[server(prefix = "/api", endpoint = "console_end_sessions")]
pub async fn console_end_sessions(
    user_id: i64,
    session_id: Option<i64>,
    reason: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    let session = session_id.map(identity::SessionId);
    let result = state
        .console
        .end_sessions(&operator, user(user_id), session, &reason, &client())
        .await;
    done(result, user_id, "sessions")
}

/// Locks the account (`lock` = "lock", ending every session) or unlocks it ("unlock").
///
/// Who may call it: operators and admins, not for their own account (an operator's or admin's
/// account: admins only).
#[server(prefix = "/api", endpoint = "console_set_locked")]
pub async fn console_set_locked(
    user_id: i64,
    lock: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    let Ok(lock) = LockAction::parse(&lock) else {
        return respond(Err(AppError::BadRequest));
    };
    let locking = lock == LockAction::Lock;
    let changed = state
        .console
        .set_locked(&operator, user(user_id), locking, &reason, &client())
        .await;
    done(
        changed,
        user_id,
        if locking { "locked" } else { "unlocked" },
    )
}

/// Issues an emergency access code for the user (revoking any earlier one) and goes to the page
/// that shows it once. `lifetime_minutes` and `uses` within the policy's bounds.
///
/// Who may call it: operators and admins, not for themselves; for an operator's or admin's
/// account, admins only (and an alert is raised).
#[server(prefix = "/api", endpoint = "console_issue_code")]
pub async fn console_issue_code(
    user_id: i64,
    verification: String,
    reason: String,
    uses: u32,
    lifetime_minutes: u32,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    let lifetime = std::time::Duration::from_secs(u64::from(lifetime_minutes) * 60);
    let (console, account) = (&state.console, user(user_id));
    let issued = console
        .issue_code(
            &operator,
            account,
            &verification,
            &reason,
            uses,
            lifetime,
            &client(),
        )
        .await;
    respond(issued)?;
    redirect("/admin/code");
    Ok(())
}

/// The code this operator session issued last, the first time it is asked for; `None` after.
///
/// Who may call it: operators and admins (their own session's code only).
#[server(prefix = "/api", endpoint = "console_take_code")]
pub async fn console_take_code() -> Result<Option<HandedCode>, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    no_store();
    let taken = respond(state.console.take_code(&operator).await)?;
    Ok(taken.map(ssr::handed_code))
}

/// Revokes the user's live emergency code (its sessions end).
///
/// Who may call it: operators and admins (an operator's or admin's account: admins only).
#[server(prefix = "/api", endpoint = "console_revoke_code")]
pub async fn console_revoke_code(user_id: i64, reason: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    let (console, client) = (&state.console, client());
    let revoked = console
        .revoke_code(&operator, user(user_id), &reason, &client)
        .await;
    done(revoked, user_id, "revoked")
}

/// "This was not me", for the user (issue 13): undoes what emergency access made possible since
/// the account's first emergency code of the last 7 days (codes revoked, tokens and contacts
/// added since removed, the recovery address restored, everyone signed out) and locks the
/// account. Refused with a message when there was no code in that time.
///
/// Who may call it: operators and admins, not for their own account (an operator's or admin's
/// account: admins only).
#[server(prefix = "/api", endpoint = "console_undo_emergency")]
pub async fn console_undo_emergency(user_id: i64, reason: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    let (console, client) = (&state.console, client());
    let undone = console
        .undo_emergency_access(&operator, user(user_id), &reason, &client)
        .await;
    done(undone, user_id, "undone")
}

/// "Approve now": makes the user's self-service code that waits (it was asked for from a
/// browser that never signed in to the account) usable at once; the user is told. Audited.
///
/// Who may call it: operators and admins, not for their own account (an operator's or admin's
/// account: admins only).
#[server(prefix = "/api", endpoint = "console_approve_code")]
pub async fn console_approve_code(user_id: i64, reason: String) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    let (console, client) = (&state.console, client());
    let approved = console
        .approve_code(&operator, user(user_id), &reason, &client)
        .await;
    done(approved, user_id, "approved")
}

/// Makes a user an operator (`operator` = "make") or an operator a user again ("remove").
///
/// Who may call it: admins only, not for their own account, never on an admin.
#[server(prefix = "/api", endpoint = "console_set_operator")]
pub async fn console_set_operator(
    user_id: i64,
    operator: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let admin = respond(require_admin(&state).await)?;
    let Ok(change) = OperatorChange::parse(&operator) else {
        return respond(Err(AppError::BadRequest));
    };
    let make = change == OperatorChange::Make;
    let result = state
        .console
        .set_operator(&admin, user(user_id), make, &reason, &client())
        .await;
    done(result, user_id, "role")
}

/// The audit log, filtered, newest first, 50 a page.
///
/// Who may call it: operators and admins.
#[server(prefix = "/api", endpoint = "console_audit")]
pub async fn console_audit(filters: AuditFilters) -> Result<AuditPage, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    no_store();
    let events = respond(ssr::audit_events(&state, &operator, &filters, ssr::AUDIT_PAGE).await)?;
    Ok(ssr::audit_page(&state, &operator, &events).await)
}

/// The overview: counts per day for the last 7 days.
///
/// Who may call it: operators and admins.
#[server(prefix = "/api", endpoint = "console_overview")]
pub async fn console_overview() -> Result<Overview, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    no_store();
    respond(state.console.overview(&operator).await)
}

/// A registered application (OpenID Connect client, issue 18): never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRow {
    pub client_id: String,
    pub name: String,
    /// A public client (no secret, PKCE required).
    pub public: bool,
    /// Run by the organisation (its users are not asked for consent).
    pub first_party: bool,
    pub redirect_uris: Vec<String>,
    pub created: String,
    /// When it was disabled, if it was.
    pub disabled: Option<String>,
}

/// The registered applications, oldest first, and whether the caller may disable them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationsPage {
    pub applications: Vec<ApplicationRow>,
    pub may_disable: bool,
}

/// The applications that sign their users in through MAYI ID.
///
/// Who may call it: operators and admins.
#[server(prefix = "/api", endpoint = "console_applications")]
pub async fn console_applications() -> Result<ApplicationsPage, AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_operator(&state).await)?;
    no_store();
    let clients = respond(state.oidc.clients_for(&operator).await)?;
    Ok(ApplicationsPage {
        applications: clients
            .into_iter()
            .map(|c| ApplicationRow {
                client_id: c.id.as_str().to_owned(),
                name: c.name,
                public: c.public,
                first_party: c.first_party,
                redirect_uris: c
                    .redirect_uris
                    .iter()
                    .map(|u| u.as_str().to_owned())
                    .collect(),
                created: format_utc(c.created_at.as_millis()),
                disabled: c.disabled_at.map(|t| format_utc(t.as_millis())),
            })
            .collect(),
        may_disable: operator.is_admin(),
    })
}

/// Disables an application for `reason`: no new sign-in through it, its tokens stop at once.
///
/// Who may call it: admins only.
#[server(prefix = "/api", endpoint = "console_disable_application")]
pub async fn console_disable_application(
    client_id: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::ssr::*;
    let state = state()?;
    let operator = respond(require_admin(&state).await)?;
    respond(
        state
            .oidc
            .disable_client(&operator, &client_id, &reason)
            .await,
    )?;
    redirect("/admin/applications?done=disabled");
    Ok(())
}

#[cfg(feature = "ssr")]
pub mod ssr {
    //! Server-side helpers of the console's functions, shared with the CSV export route.

    use std::collections::HashMap;

    use identity::{
        Account, AccountId, AuditEvent, AuditQuery, CodeStatus, EmergencyCode, EmergencyCodeInfo,
        Operator, SearchMode, SearchPage, UserDetail,
    };

    use super::{
        AuditFilters, AuditPage, CodeRow, ContactRow, EventRow, HandedCode, SearchResults,
        SessionRow, TokenRow, UserPage, UserRow,
    };
    use crate::ssr::browser_name;

    /// Events on one page of the console's audit log.
    pub const AUDIT_PAGE: u32 = 50;
    use crate::ssr::{format_utc, AppState};
    use crate::AppError;
    pub use mayi_types::{
        AccountState, CodeIssuer, ContactKind, LockAction, OperatorChange, Role, SessionScope,
        TokenKind, TokenState,
    };

    /// Usernames by account id, looked up once per page, for `operator`.
    #[derive(Debug)]
    pub struct Names {
        operator: Operator,
        known: HashMap<i64, Option<String>>,
    }

    impl Names {
        pub fn new(operator: &Operator) -> Self {
            Self {
                operator: operator.clone(),
                known: HashMap::new(),
            }
        }

        pub async fn get(&mut self, state: &AppState, id: AccountId) -> Option<String> {
            if let Some(name) = self.known.get(&id.0) {
                return name.clone();
            }
            let name = state
                .console
                .account(&self.operator, id)
                .await
                .ok()
                .map(|a| a.username.to_string());
            self.known.insert(id.0, name.clone());
            name
        }

        /// How an event names an account: its username, or `#id` when it has none.
        async fn shown(&mut self, state: &AppState, id: Option<AccountId>) -> Option<String> {
            let id = id?;
            Some(
                self.get(state, id)
                    .await
                    .unwrap_or_else(|| format!("#{}", id.0)),
            )
        }
    }

    /// The search's `mode` argument: "contains", or a prefix search (anything else).
    pub fn search_mode(mode: Option<&str>) -> SearchMode {
        match mode {
            Some("contains") => SearchMode::Contains,
            _ => SearchMode::Prefix,
        }
    }

    /// Page `page` of the search results.
    pub fn search_results(found: &SearchPage, page: u32) -> SearchResults {
        SearchResults {
            users: found.accounts.iter().map(user_row).collect(),
            page,
            has_more: found.has_more,
        }
    }

    /// The user page of `detail`, as `operator` sees it.
    pub async fn user_page(state: &AppState, operator: &Operator, detail: &UserDetail) -> UserPage {
        let now = detail.now;
        let mut names = Names::new(operator);
        let mut codes = Vec::new();
        for code in &detail.codes {
            let issued_by = match code.issued_by {
                Some(id) => names.get(state, id).await,
                None => None,
            };
            codes.push(CodeRow {
                issuer: code.issuer,
                issued_by,
                reason: code
                    .reason_text
                    .clone()
                    .unwrap_or_else(|| code.reason.clone()),
                verification: code.verification.clone(),
                created: format_utc(code.created_at.as_millis()),
                expires: format_utc(code.expires_at.as_millis()),
                uses: code.uses,
                max_uses: code.max_uses,
                status: code_status(code, now),
            });
        }
        let mut events = Vec::new();
        for event in &detail.events {
            events.push(event_row(state, &mut names, event).await);
        }
        let mut devices: Vec<String> = Vec::new();
        for token in &detail.tokens {
            if token.state == identity::TokenState::Active {
                if let Some(device) = &token.device {
                    if !devices.contains(device) {
                        devices.push(device.clone());
                    }
                }
            }
        }
        UserPage {
            user: user_row(&detail.account),
            created: format_utc(detail.account.created_at.as_millis()),
            contacts: detail
                .contacts
                .iter()
                .map(|c| ContactRow {
                    kind: c.kind,
                    value: c.value.clone(),
                    confirmed: c.confirmed,
                    is_recovery: c.is_recovery,
                })
                .collect(),
            tokens: detail
                .tokens
                .iter()
                .map(|t| TokenRow {
                    id: t.id.0,
                    kind: t.kind,
                    label: t.label.clone(),
                    device: t.device.clone(),
                    state: t.state,
                    created: format_utc(t.created_at.as_millis()),
                    last_used: t.last_used_at.map(|x| format_utc(x.as_millis())),
                    removed: t.removed_at.map(|x| format_utc(x.as_millis())),
                    blocked: t.blocked_at.map(|x| format_utc(x.as_millis())),
                })
                .collect(),
            devices,
            sessions: detail
                .sessions
                .iter()
                .map(|s| SessionRow {
                    id: s.id.0,
                    scope: s.scope,
                    browser: browser_name(s.user_agent.as_deref()),
                    ip: s.ip.clone(),
                    signed_in: format_utc(s.created_at.as_millis()),
                    last_seen: format_utc(s.last_seen_at.as_millis()),
                })
                .collect(),
            has_live_code: detail.codes.iter().any(|c| c.is_revocable(now)),
            has_waiting_code: detail
                .codes
                .iter()
                .any(|c| c.issuer == identity::CodeIssuer::SelfService && c.is_waiting(now)),
            codes,
            events,
            is_self: detail.account.id == operator.id(),
            caller_is_admin: operator.is_admin(),
        }
    }

    /// The code an operator just issued, for the page that shows it once.
    pub fn handed_code(
        (account, code, info): (Account, EmergencyCode, EmergencyCodeInfo),
    ) -> HandedCode {
        HandedCode {
            user_id: account.id.0,
            username: account.username.to_string(),
            display_name: account.display_name,
            grouped: code.grouped().to_string(),
            max_uses: info.max_uses,
            expires: format_utc(info.expires_at.as_millis()),
        }
    }

    /// One page of the audit log (`events`, at most [`AUDIT_PAGE`]), as `operator` sees it.
    pub async fn audit_page(
        state: &AppState,
        operator: &Operator,
        events: &[AuditEvent],
    ) -> AuditPage {
        let mut names = Names::new(operator);
        let mut rows = Vec::new();
        for event in events {
            rows.push(event_row(state, &mut names, event).await);
        }
        AuditPage {
            next_before: (events.len() == AUDIT_PAGE as usize)
                .then(|| events.last().map(|e| e.id.0))
                .flatten(),
            events: rows,
            actions: identity::AuditAction::ALL
                .iter()
                .map(|a| a.as_str().to_string())
                .collect(),
        }
    }

    pub fn user_row(account: &identity::Account) -> UserRow {
        UserRow {
            id: account.id.0,
            username: account.username.to_string(),
            display_name: account.display_name.clone(),
            state: account.state,
            role: account.role,
        }
    }

    pub fn code_status(code: &EmergencyCodeInfo, now: identity::Timestamp) -> String {
        match code.status(now) {
            CodeStatus::Revoked { why } => tr!(console.code_status_revoked, why = why).to_string(),
            CodeStatus::UsedUp => tr!(console.code_status_used_up).into(),
            CodeStatus::Expired => tr!(console.code_status_expired).into(),
            CodeStatus::Waiting {
                until,
                unknown_browser,
            } => {
                let until = format_utc(until.as_millis());
                if unknown_browser {
                    format!(
                        "{} {until} ({})",
                        tr!(browsers.code_status_waiting),
                        tr!(browsers.code_status_unknown_browser)
                    )
                } else {
                    format!("{} {until}", tr!(browsers.code_status_waiting))
                }
            }
            CodeStatus::Live => tr!(console.code_status_live).into(),
        }
    }

    pub async fn event_row(state: &AppState, names: &mut Names, event: &AuditEvent) -> EventRow {
        EventRow {
            id: event.id.0,
            at: format_utc(event.at.as_millis()),
            actor: names.shown(state, event.actor).await,
            subject: names.shown(state, event.subject).await,
            action: event.action.as_str().to_string(),
            outcome: event.outcome.as_str().to_string(),
            ip: event.ip.clone(),
            details: event.details.to_string(),
        }
    }

    /// The events `filters` select, at most `limit`, newest first. An unknown username or
    /// action, or a malformed date, is a clear `Invalid` error.
    pub async fn audit_events(
        state: &AppState,
        operator: &Operator,
        filters: &AuditFilters,
        limit: u32,
    ) -> Result<Vec<AuditEvent>, AppError> {
        let mut query = AuditQuery {
            limit,
            before_id: filters.before.map(identity::AuditEventId),
            ..AuditQuery::default()
        };
        fn filled(v: &Option<String>) -> Option<&str> {
            v.as_deref().map(str::trim).filter(|v| !v.is_empty())
        }
        let named = |name| async move {
            match state.console.account_named(operator, name).await {
                Ok(account) => Ok(account.id),
                Err(_) => Err(AppError::Invalid(tr!(console.console_no_such_user).into())),
            }
        };
        if let Some(name) = filled(&filters.user) {
            query.subject = Some(named(name).await?);
        }
        if let Some(name) = filled(&filters.actor) {
            query.actor = Some(named(name).await?);
        }
        if let Some(action) = filled(&filters.action) {
            query.action = Some(
                identity::AuditAction::parse(action)
                    .map_err(|_| AppError::Invalid(tr!(console.console_bad_action).into()))?,
            );
        }
        if let Some(day) = filled(&filters.since) {
            query.since = Some(identity::Timestamp::from_millis(parse_day(day)?));
        }
        if let Some(day) = filled(&filters.until) {
            query.until = Some(identity::Timestamp::from_millis(
                parse_day(day)? + 86_400_000,
            ));
        }
        Ok(state.console.audit_log(operator, query).await?)
    }

    /// `YYYY-MM-DD` (UTC midnight) as unix ms.
    pub fn parse_day(text: &str) -> Result<i64, AppError> {
        let bad = || AppError::Invalid(tr!(console.console_bad_date).into());
        let mut parts = text.split('-');
        let (Some(y), Some(m), Some(d), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let (y, m, d): (i64, i64, i64) = (
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        );
        if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return Err(bad());
        }
        // Howard Hinnant's days-from-civil.
        let y2 = if m <= 2 { y - 1 } else { y };
        let era = y2.div_euclid(400);
        let yoe = y2 - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        let days = era * 146_097 + doe - 719_468;
        let ms = days * 86_400_000;
        // Refuse 2026-02-31 and the like: the date must read back the same.
        if format_utc(ms).get(..10) != Some(text) {
            return Err(bad());
        }
        Ok(ms)
    }

    /// The audit events as CSV (RFC 4180: every field quoted, quotes doubled). A field that a
    /// spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) gets a leading `'`.
    pub fn csv(rows: &[EventRow]) -> String {
        fn field(value: &str) -> String {
            let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                format!("'{value}")
            } else {
                value.to_string()
            };
            format!("\"{}\"", value.replace('"', "\"\""))
        }
        let mut out = String::from("id,at,actor,subject,action,outcome,ip,details\r\n");
        for row in rows {
            let line = [
                row.id.to_string(),
                row.at.clone(),
                row.actor.clone().unwrap_or_default(),
                row.subject.clone().unwrap_or_default(),
                row.action.clone(),
                row.outcome.clone(),
                row.ip.clone().unwrap_or_default(),
                row.details.clone(),
            ]
            .iter()
            .map(|v| field(v))
            .collect::<Vec<_>>()
            .join(",");
            out.push_str(&line);
            out.push_str("\r\n");
        }
        out
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn days_parse_and_refuse_nonsense() {
            assert_eq!(parse_day("1970-01-01").unwrap(), 0);
            assert_eq!(parse_day("2000-02-29").unwrap(), 951_782_400_000);
            for bad in [
                "2026-02-31",
                "2026-13-01",
                "26-01-01",
                "2026-01",
                "x",
                "2026-01-01-01",
            ] {
                assert!(parse_day(bad).is_err(), "{bad}");
            }
        }

        #[test]
        fn csv_quotes_and_defuses_formulas() {
            let row = EventRow {
                id: 7,
                at: "2026-01-01 00:00 UTC".into(),
                actor: Some("=cmd|' /C calc'!A0".into()),
                subject: None,
                action: "token.removed".into(),
                outcome: "success".into(),
                ip: None,
                details: r#"{"label":"a \"b\"\nc"}"#.into(),
            };
            let csv = csv(&[row]);
            let line = csv.lines().nth(1).unwrap();
            assert!(
                line.starts_with("\"7\",\"2026-01-01 00:00 UTC\",\"'=cmd"),
                "{line}"
            );
            assert!(csv.contains(r#""{""label"":""a \""b\""\nc""}""#), "{csv}");
        }
    }
}

/// The account a console function's `user_id` argument names.
#[cfg(feature = "ssr")]
fn user(user_id: i64) -> identity::AccountId {
    identity::AccountId(user_id)
}

/// The end of an action on the user's account: its error as the answer, or, once done, back to
/// the user page saying `what` was done (a 302 without JavaScript).
#[cfg(feature = "ssr")]
fn done<T, E: Into<AppError>>(
    result: Result<T, E>,
    user_id: i64,
    what: &str,
) -> Result<(), AppError> {
    crate::ssr::respond(result)?;
    crate::ssr::redirect(&format!("/admin/users/{user_id}?done={what}"));
    Ok(())
}
