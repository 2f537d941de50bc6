//! The operational console's pages (issue 6): find a user, the user's page with its actions,
//! the code shown once, the audit log and the overview. Every page works without JavaScript
//! (plain GET forms for searching and filtering, `ActionForm` posts for actions) and links to
//! `/help/console`. The pages are UX only: every server function authorises again.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use mayi_types::{AccountState, BlockAction, LockAction, OperatorChange, Role, TokenState};

use crate::{
    api::console::{
        console_applications, console_audit, console_overview, console_search, console_take_code,
        console_user, ApplicationRow, AuditFilters, AuditPage, CodeRow, ConsoleDisableApplication,
        ConsoleEndSessions, ConsoleIssueCode, ConsoleRemoveDevice, ConsoleRemoveToken,
        ConsoleRevokeCode, ConsoleSetLocked, ConsoleSetOperator, ConsoleUndoEmergency, ContactRow,
        EventRow, HandedCode, SearchResults, SessionRow, TokenRow, UserPage,
    },
    pages::kind_name,
    text, AppError,
};

/// The console's navigation, with the link to its help page.
#[component]
fn ConsoleNav() -> impl IntoView {
    view! {
        <nav class="console-nav no-print" aria-label=text::CONSOLE_NAV_LABEL>
            <ul>
                <li><a href="/admin">{text::CONSOLE_NAV_SEARCH}</a></li>
                <li><a href="/admin/overview">{text::CONSOLE_NAV_OVERVIEW}</a></li>
                <li><a href="/admin/audit">{text::CONSOLE_NAV_AUDIT}</a></li>
                <li><a href="/admin/applications">{text::CONSOLE_NAV_APPLICATIONS}</a></li>
                <li><a href="/help/console">{text::CONSOLE_HELP_LINK}</a></li>
            </ul>
        </nav>
    }
}

/// What a console page shows when its data was refused: sign-in for no session, a 403 page
/// for a caller who is not an operator, the message otherwise.
#[component]
fn ConsoleRefused(error: AppError) -> impl IntoView {
    match error {
        AppError::Unauthorized => {
            crate::pages::go_to("/login");
            view! { <p><a href="/login">{text::GO_TO_SIGN_IN}</a></p> }.into_any()
        }
        AppError::Forbidden => {
            #[cfg(feature = "ssr")]
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(axum::http::StatusCode::FORBIDDEN);
            }
            view! {
                <div class="forbidden" role="alert">
                    <h2>{text::CONSOLE_FORBIDDEN_TITLE}</h2>
                    <p>{text::CONSOLE_FORBIDDEN_BODY}</p>
                </div>
                <p><a class="button" href="/account">{text::CONSOLE_BACK_TO_ACCOUNT}</a></p>
            }
            .into_any()
        }
        other => view! { <p class="error" role="alert">{other.to_string()}</p> }.into_any(),
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Find a user: a GET form (works without JavaScript) and the results, 20 a page.
#[component]
pub fn ConsoleSearchPage() -> impl IntoView {
    let query = use_query_map();
    let q = move || query.with(|m| m.get("q").unwrap_or_default());
    let mode = move || query.with(|m| m.get("mode").unwrap_or_default());
    let page = move || {
        query.with(|m| {
            m.get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .unwrap_or(0)
        })
    };
    let results = Resource::new_blocking(
        move || (q(), mode(), page()),
        |(q, mode, page)| console_search(q, Some(mode), Some(page)),
    );
    view! {
        <Title text=text::CONSOLE_NAV_SEARCH />
        <section class="card console" aria-labelledby="console-heading">
            <h1 id="console-heading">{text::CONSOLE_NAV_SEARCH}</h1>
            <ConsoleNav />
            <form method="get" action="/admin" role="search">
                <div class="field">
                    <label for="q">{text::SEARCH_LABEL}</label>
                    <input id="q" name="q" type="search" value=q maxlength="100" autocomplete="off" aria-describedby="q-hint" />
                    <p class="hint" id="q-hint">{text::SEARCH_HINT}</p>
                </div>
                <fieldset class="field">
                    <legend>{text::SEARCH_MODE_LEGEND}</legend>
                    <label class="checkbox">
                        <input type="radio" name="mode" value="prefix" checked=move || mode() != "contains" />
                        {text::SEARCH_MODE_PREFIX}
                    </label>
                    <label class="checkbox">
                        <input type="radio" name="mode" value="contains" checked=move || mode() == "contains" />
                        {text::SEARCH_MODE_CONTAINS}
                    </label>
                </fieldset>
                <button type="submit" class="primary">{text::SEARCH_BUTTON}</button>
            </form>
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match results.await {
                        Ok(found) => view! { <Results found q=q() mode=mode() /> }.into_any(),
                        Err(error) => view! { <ConsoleRefused error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Results(found: SearchResults, q: String, mode: String) -> impl IntoView {
    if q.trim().is_empty() {
        return ().into_any();
    }
    if found.users.is_empty() {
        return view! { <p role="status">{text::SEARCH_NONE}</p> }.into_any();
    }
    let link = |page: u32| format!("/admin?q={}&mode={}&page={page}", encode(&q), encode(&mode));
    let previous = (found.page > 0).then(|| link(found.page - 1));
    let next = found.has_more.then(|| link(found.page + 1));
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label=text::SEARCH_RESULTS><table class="console-table">
            <caption>{text::SEARCH_RESULTS}</caption>
            <thead>
                <tr>
                    <th scope="col">{text::COL_USERNAME}</th>
                    <th scope="col">{text::COL_NAME}</th>
                    <th scope="col">{text::COL_STATE}</th>
                    <th scope="col">{text::COL_ROLE}</th>
                </tr>
            </thead>
            <tbody>
                {found.users.into_iter().map(|u| view! {
                    <tr>
                        <td><a href=format!("/admin/users/{}", u.id)>{u.username}</a></td>
                        <td>{u.display_name}</td>
                        <td>{u.state.as_str()}</td>
                        <td>{u.role.as_str()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table></div>
        <p class="pager">
            {previous.map(|href| view! { <a href=href>{text::SEARCH_PREVIOUS}</a> " " })}
            {next.map(|href| view! { <a href=href>{text::SEARCH_NEXT}</a> })}
        </p>
    }
    .into_any()
}

/// The actions of the user page.
#[derive(Clone, Copy)]
struct Actions {
    remove: ServerAction<ConsoleRemoveToken>,
    block: ServerAction<crate::api::console::ConsoleSetBlocked>,
    device: ServerAction<ConsoleRemoveDevice>,
    end: ServerAction<ConsoleEndSessions>,
    lock: ServerAction<ConsoleSetLocked>,
    issue: ServerAction<ConsoleIssueCode>,
    revoke: ServerAction<ConsoleRevokeCode>,
    approve: ServerAction<crate::api::console::ConsoleApproveCode>,
    role: ServerAction<ConsoleSetOperator>,
    undo: ServerAction<ConsoleUndoEmergency>,
}

impl Actions {
    fn new() -> Self {
        Self {
            remove: ServerAction::new(),
            block: ServerAction::new(),
            device: ServerAction::new(),
            end: ServerAction::new(),
            lock: ServerAction::new(),
            issue: ServerAction::new(),
            revoke: ServerAction::new(),
            approve: ServerAction::new(),
            role: ServerAction::new(),
            undo: ServerAction::new(),
        }
    }

    fn version(&self) -> usize {
        self.remove.version().get()
            + self.block.version().get()
            + self.device.version().get()
            + self.end.version().get()
            + self.lock.version().get()
            + self.issue.version().get()
            + self.revoke.version().get()
            + self.approve.version().get()
            + self.role.version().get()
            + self.undo.version().get()
    }

    fn error(&self) -> Option<AppError> {
        [
            self.remove.value().get().and_then(|r| r.err()),
            self.block.value().get().and_then(|r| r.err()),
            self.device.value().get().and_then(|r| r.err()),
            self.end.value().get().and_then(|r| r.err()),
            self.lock.value().get().and_then(|r| r.err()),
            self.issue.value().get().and_then(|r| r.err()),
            self.revoke.value().get().and_then(|r| r.err()),
            self.approve.value().get().and_then(|r| r.err()),
            self.role.value().get().and_then(|r| r.err()),
            self.undo.value().get().and_then(|r| r.err()),
        ]
        .into_iter()
        .flatten()
        .next()
    }
}

/// One user: profile, contacts, tokens, sessions, codes, recent events, and every action.
#[component]
pub fn ConsoleUserPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id").and_then(|s| s.parse::<i64>().ok()));
    let done = move || query.with(|q| q.get("done").unwrap_or_default());
    let actions = Actions::new();
    let page = Resource::new_blocking(
        move || (id(), done(), actions.version()),
        |(id, _, _)| async move {
            match id {
                Some(id) => console_user(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Title text=text::CONSOLE_TITLE />
        <section class="card console" aria-labelledby="user-heading">
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(user) => view! {
                            <h1 id="user-heading">{format!("{} ({})", user.user.display_name, user.user.username)}</h1>
                            <ConsoleNav />
                            {text::console_done(&done()).map(|m| view! { <p class="success" role="status">{m}</p> })}
                            {move || actions.error().map(|e| view! { <p class="error" role="alert">{e.to_string()}</p> })}
                            <UserView user actions />
                        }.into_any(),
                        Err(error) => view! {
                            <h1 id="user-heading">{text::CONSOLE_TITLE}</h1>
                            <ConsoleNav />
                            <ConsoleRefused error />
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// A required reason field, with a unique id.
#[component]
fn ReasonField(id: String) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id.clone()>{text::REASON_LABEL}</label>
            <input id=id name="reason" type="text" required maxlength="200" autocomplete="off" />
        </div>
    }
}

#[component]
fn UserView(user: UserPage, actions: Actions) -> impl IntoView {
    let uid = user.user.id;
    let locked = user.user.state == AccountState::Locked;
    view! {
        <section aria-labelledby="profile-heading">
            <h2 id="profile-heading">{text::USER_PROFILE}</h2>
            <dl class="facts">
                <dt>{text::COL_USERNAME}</dt><dd>{user.user.username.clone()}</dd>
                <dt>{text::COL_NAME}</dt><dd>{user.user.display_name.clone()}</dd>
                <dt>{text::COL_STATE}</dt><dd>{user.user.state.as_str()}</dd>
                <dt>{text::COL_ROLE}</dt><dd>{user.user.role.as_str()}</dd>
                <dt>{text::USER_CREATED}</dt><dd>{user.created.clone()}</dd>
            </dl>
        </section>
        <Contacts contacts=user.contacts.clone() />
        <Tokens uid tokens=user.tokens.clone() devices=user.devices.clone() actions />
        <Sessions uid sessions=user.sessions.clone() actions />
        <Codes uid codes=user.codes.clone() has_live=user.has_live_code
            has_waiting=user.has_waiting_code && !user.is_self actions />
        <section aria-labelledby="account-heading">
            <h2 id="account-heading">{text::USER_ACCOUNT_ACTIONS}</h2>
            <details class="confirm">
                <summary>{if locked { text::ACTION_UNLOCK } else { text::ACTION_LOCK }}</summary>
                <ActionForm action=actions.lock>
                    <input type="hidden" name="user_id" value=uid />
                    <input type="hidden" name="lock" value=if locked { LockAction::Unlock.as_str() } else { LockAction::Lock.as_str() } />
                    {(!locked).then(|| view! { <p>{text::ACTION_LOCK_EXPLAINED}</p> })}
                    <ReasonField id="reason-lock".to_string() />
                    <p class="hint">{text::CONFIRM_HINT}</p>
                    <button type="submit" class="danger">
                        {if locked { text::ACTION_UNLOCK_CONFIRM } else { text::ACTION_LOCK_CONFIRM }}
                    </button>
                </ActionForm>
            </details>
            {(user.caller_is_admin && user.user.role != Role::Admin).then(|| {
                let make = user.user.role == Role::User;
                view! {
                    <details class="confirm">
                        <summary>{if make { text::ACTION_MAKE_OPERATOR } else { text::ACTION_REMOVE_OPERATOR }}</summary>
                        <ActionForm action=actions.role>
                            <input type="hidden" name="user_id" value=uid />
                            <input type="hidden" name="operator" value=if make { OperatorChange::Make.as_str() } else { OperatorChange::Remove.as_str() } />
                            <ReasonField id="reason-role".to_string() />
                            <button type="submit" class="danger">
                                {if make { text::ACTION_MAKE_OPERATOR_CONFIRM } else { text::ACTION_REMOVE_OPERATOR_CONFIRM }}
                            </button>
                        </ActionForm>
                    </details>
                }
            })}
        </section>
        <Events heading=text::USER_EVENTS events=user.events.clone() />
    }
}

#[component]
fn Contacts(contacts: Vec<ContactRow>) -> impl IntoView {
    view! {
        <section aria-labelledby="contacts-heading">
            <h2 id="contacts-heading">{text::USER_CONTACTS}</h2>
            {if contacts.is_empty() {
                view! { <p>{text::USER_NO_CONTACTS}</p> }.into_any()
            } else {
                view! {
                    <ul class="contact-list">
                        {contacts.into_iter().map(|c| {
                            let mut notes = vec![if c.confirmed { text::USER_CONFIRMED } else { text::USER_UNCONFIRMED }];
                            if c.is_recovery {
                                notes.push(text::USER_RECOVERY);
                            }
                            view! { <li>{c.value}" ("{c.kind.as_str()}", "{notes.join(", ")}")"</li> }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Tokens(
    uid: i64,
    tokens: Vec<TokenRow>,
    devices: Vec<String>,
    actions: Actions,
) -> impl IntoView {
    view! {
        <section aria-labelledby="tokens-heading">
            <h2 id="tokens-heading">{text::USER_TOKENS}</h2>
            {if tokens.is_empty() {
                view! { <p>{text::USER_NO_TOKENS}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label=text::USER_TOKENS><table class="console-table">
                        <caption class="visually-hidden">{text::USER_TOKENS}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{text::COL_LABEL}</th>
                                <th scope="col">{text::COL_KIND}</th>
                                <th scope="col">{text::COL_DEVICE}</th>
                                <th scope="col">{text::COL_CREATED}</th>
                                <th scope="col">{text::COL_LAST_USED}</th>
                                <th scope="col">{text::COL_ACTION}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {tokens.into_iter().map(|t| view! { <TokenLine uid token=t actions /> }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
            {(!devices.is_empty()).then(|| view! {
                <details class="confirm">
                    <summary>{text::ACTION_REMOVE_DEVICE}</summary>
                    {devices.into_iter().enumerate().map(|(i, device)| view! {
                        <ActionForm action=actions.device>
                            <input type="hidden" name="user_id" value=uid />
                            <input type="hidden" name="device" value=device.clone() />
                            <ReasonField id=format!("reason-device-{i}") />
                            <button type="submit" class="danger">{format!("{} {device}", text::ACTION_REMOVE_DEVICE_CONFIRM)}</button>
                        </ActionForm>
                    }).collect_view()}
                </details>
            })}
        </section>
    }
}

#[component]
fn TokenLine(uid: i64, token: TokenRow, actions: Actions) -> impl IntoView {
    let active = token.state == TokenState::Active;
    let blocked = token.state == TokenState::Blocked;
    let last_used = match (&token.removed, &token.blocked, &token.last_used) {
        (Some(removed), _, _) => format!("{} {removed}", text::REMOVED_ON),
        (None, Some(at), _) => format!("{} {at}", text::BLOCKED_ON),
        (None, None, Some(used)) => used.clone(),
        (None, None, None) => text::NEVER.to_string(),
    };
    let id = token.id;
    let block = (active || blocked).then(|| {
        let (summary, confirm, what) = if blocked {
            (
                text::ACTION_UNBLOCK_TOKEN,
                text::ACTION_UNBLOCK_TOKEN_CONFIRM,
                BlockAction::Unblock,
            )
        } else {
            (
                text::ACTION_BLOCK_TOKEN,
                text::ACTION_BLOCK_TOKEN_CONFIRM,
                BlockAction::Block,
            )
        };
        view! {
            <details class="confirm">
                <summary>{format!("{summary} {}", token.label)}</summary>
                <ActionForm action=actions.block>
                    <input type="hidden" name="user_id" value=uid />
                    <input type="hidden" name="token_id" value=id />
                    <input type="hidden" name="block" value=what.as_str() />
                    <ReasonField id=format!("reason-block-{id}") />
                    <button type="submit" class="danger">{confirm}</button>
                </ActionForm>
            </details>
        }
    });
    let remove = (active || blocked).then(|| {
        view! {
            <details class="confirm">
                <summary>{format!("{} {}", text::ACTION_REMOVE_TOKEN, token.label)}</summary>
                <ActionForm action=actions.remove>
                    <input type="hidden" name="user_id" value=uid />
                    <input type="hidden" name="token_id" value=id />
                    <ReasonField id=format!("reason-token-{id}") />
                    <button type="submit" class="danger">{text::ACTION_REMOVE_TOKEN_CONFIRM}</button>
                </ActionForm>
            </details>
        }
    });
    let class = match (active, blocked) {
        (true, _) => "",
        (false, true) => "blocked",
        (false, false) => "removed",
    };
    view! {
        <tr class=class>
            <td>{token.label.clone()}</td>
            <td>{kind_name(&token.kind)}</td>
            <td>{token.device.clone().unwrap_or_default()}</td>
            <td>{token.created.clone()}</td>
            <td>{last_used}</td>
            <td>{block}{remove}</td>
        </tr>
    }
}

#[component]
fn Sessions(uid: i64, sessions: Vec<SessionRow>, actions: Actions) -> impl IntoView {
    if sessions.is_empty() {
        return view! {
            <section aria-labelledby="sessions-heading">
                <h2 id="sessions-heading">{text::USER_SESSIONS}</h2>
                <p>{text::USER_NO_SESSIONS}</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{text::USER_SESSIONS}</h2>
            <div class="table-scroll" tabindex="0" role="region" aria-label=text::USER_SESSIONS><table class="console-table">
                <caption class="visually-hidden">{text::USER_SESSIONS}</caption>
                <thead>
                    <tr>
                        <th scope="col">{text::COL_SCOPE}</th>
                        <th scope="col">{text::COL_BROWSER}</th>
                        <th scope="col">{text::COL_IP}</th>
                        <th scope="col">{text::COL_SIGNED_IN}</th>
                        <th scope="col">{text::COL_LAST_SEEN}</th>
                        <th scope="col">{text::COL_ACTION}</th>
                    </tr>
                </thead>
                <tbody>
                    {sessions.into_iter().map(|s| {
                        let id = s.id;
                        view! {
                            <tr>
                                <td>{s.scope.as_str()}</td>
                                <td>{s.browser}</td>
                                <td>{s.ip.unwrap_or_default()}</td>
                                <td>{s.signed_in}</td>
                                <td>{s.last_seen}</td>
                                <td>
                                    <details class="confirm">
                                        <summary>{text::ACTION_END_SESSION}</summary>
                                        <ActionForm action=actions.end>
                                            <input type="hidden" name="user_id" value=uid />
                                            <input type="hidden" name="session_id" value=id />
                                            <ReasonField id=format!("reason-session-{id}") />
                                            <button type="submit" class="danger">{text::ACTION_END_SESSION_CONFIRM}</button>
                                        </ActionForm>
                                    </details>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
            <details class="confirm">
                <summary>{text::ACTION_END_ALL}</summary>
                <ActionForm action=actions.end>
                    <input type="hidden" name="user_id" value=uid />
                    <ReasonField id="reason-all".to_string() />
                    <button type="submit" class="danger">{text::ACTION_END_ALL_CONFIRM}</button>
                </ActionForm>
            </details>
        </section>
    }
    .into_any()
}

#[component]
fn Codes(
    uid: i64,
    codes: Vec<CodeRow>,
    has_live: bool,
    has_waiting: bool,
    actions: Actions,
) -> impl IntoView {
    let busy = actions.issue.pending();
    view! {
        <section aria-labelledby="codes-heading">
            <h2 id="codes-heading">{text::USER_CODES}</h2>
            {if codes.is_empty() {
                view! { <p>{text::USER_NO_CODES}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label=text::USER_CODES><table class="console-table">
                        <caption class="visually-hidden">{text::USER_CODES}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{text::COL_CREATED}</th>
                                <th scope="col">{text::COL_ISSUER}</th>
                                <th scope="col">{text::COL_REASON}</th>
                                <th scope="col">{text::COL_VERIFICATION}</th>
                                <th scope="col">{text::COL_EXPIRES}</th>
                                <th scope="col">{text::COL_USES}</th>
                                <th scope="col">{text::COL_STATUS}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {codes.into_iter().map(|c| view! {
                                <tr>
                                    <td>{c.created}</td>
                                    <td>{c.issued_by.unwrap_or_else(|| text::ISSUER_SELF.to_string())}</td>
                                    <td>{c.reason}</td>
                                    <td>{c.verification.unwrap_or_default()}</td>
                                    <td>{c.expires}</td>
                                    <td>{format!("{} / {}", c.uses, c.max_uses)}</td>
                                    <td>{c.status}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table></div>
                }.into_any()
            }}
            {has_waiting.then(|| view! {
                <details class="confirm approve-code">
                    <summary>{text::ACTION_APPROVE}</summary>
                    <p>{text::ACTION_APPROVE_EXPLAINED}</p>
                    <ActionForm action=actions.approve>
                        <input type="hidden" name="user_id" value=uid />
                        <ReasonField id="reason-approve".to_string() />
                        <button type="submit" class="primary">{text::ACTION_APPROVE_CONFIRM}</button>
                    </ActionForm>
                </details>
            })}
            {has_live.then(|| view! {
                <details class="confirm">
                    <summary>{text::ACTION_REVOKE}</summary>
                    <ActionForm action=actions.revoke>
                        <input type="hidden" name="user_id" value=uid />
                        <ReasonField id="reason-revoke".to_string() />
                        <button type="submit" class="danger">{text::ACTION_REVOKE_CONFIRM}</button>
                    </ActionForm>
                </details>
            })}
            // "This was not me" for the user: a disclosure named by its summary (so that it can be
            // found by its name), then a form with the required reason.
            <details class="confirm" aria-labelledby="undo-summary">
                <summary id="undo-summary">{text::ACTION_UNDO}</summary>
                <ActionForm action=actions.undo attr:aria-label=text::ACTION_UNDO>
                    <input type="hidden" name="user_id" value=uid />
                    <p>{text::ACTION_UNDO_EXPLAINED}</p>
                    <ReasonField id="reason-undo".to_string() />
                    <p class="hint">{text::CONFIRM_HINT}</p>
                    <button type="submit" class="danger">{text::ACTION_UNDO_CONFIRM}</button>
                </ActionForm>
            </details>
            <details class="confirm issue-code">
                <summary>{text::ACTION_ISSUE}</summary>
                <p>{text::ACTION_ISSUE_EXPLAINED}</p>
                <ActionForm action=actions.issue>
                    <input type="hidden" name="user_id" value=uid />
                    <div class="field">
                        <label for="issue-verification">{text::VERIFICATION_LABEL}</label>
                        <input id="issue-verification" name="verification" type="text" required maxlength="200" autocomplete="off" placeholder=text::VERIFICATION_PLACEHOLDER />
                    </div>
                    <ReasonField id="reason-issue".to_string() />
                    <div class="field">
                        <label for="issue-uses">{text::USES_LABEL}</label>
                        <input id="issue-uses" name="uses" type="number" min="1" max="10" value="3" required />
                    </div>
                    <div class="field">
                        <label for="issue-lifetime">{text::LIFETIME_LABEL}</label>
                        <select id="issue-lifetime" name="lifetime_minutes">
                            {text::LIFETIMES.iter().map(|(minutes, label)| view! {
                                <option value=minutes.to_string() selected=*minutes == text::LIFETIME_DEFAULT>{*label}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="primary" disabled=move || busy.get()>{text::ACTION_ISSUE_CONFIRM}</button>
                </ActionForm>
            </details>
        </section>
    }
}

#[component]
fn Events(heading: &'static str, events: Vec<EventRow>) -> impl IntoView {
    view! {
        <section aria-labelledby="events-heading">
            <h2 id="events-heading">{heading}</h2>
            <EventTable events />
        </section>
    }
}

#[component]
fn EventTable(events: Vec<EventRow>) -> impl IntoView {
    if events.is_empty() {
        return view! { <p>{text::USER_NO_EVENTS}</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label=text::AUDIT_EVENTS>
            <table class="console-table events">
                <caption class="visually-hidden">{text::AUDIT_EVENTS}</caption>
                <thead>
                    <tr>
                        <th scope="col">{text::COL_AT}</th>
                        <th scope="col">{text::AUDIT_ACTION}</th>
                        <th scope="col">{text::COL_OUTCOME}</th>
                        <th scope="col">{text::COL_ACTOR}</th>
                        <th scope="col">{text::COL_SUBJECT}</th>
                        <th scope="col">{text::COL_IP}</th>
                        <th scope="col">{text::COL_DETAILS}</th>
                    </tr>
                </thead>
                <tbody>
                    {events.into_iter().map(|e| view! {
                        <tr>
                            <td>{e.at}</td>
                            <td>{e.action}</td>
                            <td>{e.outcome}</td>
                            <td>{e.actor.unwrap_or_default()}</td>
                            <td>{e.subject.unwrap_or_default()}</td>
                            <td>{e.ip.unwrap_or_default()}</td>
                            <td><code>{e.details}</code></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The code just issued, shown once, with a print view (the page prints as the hand-over
/// slip: code, uses, expiry and how to use it).
#[component]
pub fn ConsoleCodePage() -> impl IntoView {
    let code = Resource::new_blocking(|| (), |_| console_take_code());
    view! {
        <Title text=text::CODE_PAGE_TITLE />
        <section class="card console code-page" aria-labelledby="code-heading">
            <h1 id="code-heading">{text::CODE_PAGE_TITLE}</h1>
            <ConsoleNav />
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match code.await {
                        Ok(Some(code)) => view! { <Handed code /> }.into_any(),
                        Ok(None) => view! {
                            <p role="status">{text::CODE_PAGE_GONE}</p>
                        }.into_any(),
                        Err(error) => view! { <ConsoleRefused error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Handed(code: HandedCode) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    view! {
        <p class="lead no-print">{text::CODE_PAGE_INTRO}</p>
        <div class="code-box">
            <p>{format!("{}: {} ({})", text::CODE_PAGE_FOR, code.display_name, code.username)}</p>
            <p class="code-label" id="code-label">{text::CODE_PAGE_CODE}</p>
            <p class="emergency-code" aria-labelledby="code-label"><code>{code.grouped.clone()}</code></p>
            <dl class="facts">
                <dt>{text::CODE_PAGE_USES}</dt>
                <dd>{code.max_uses}</dd>
                <dt>{text::CODE_PAGE_EXPIRES}</dt>
                <dd>{code.expires.clone()}</dd>
            </dl>
            <p>{text::CODE_PAGE_HOW}</p>
        </div>
        <Show when=move || hydrated.get()>
            <div class="actions no-print">
                <button type="button" class="secondary" on:click=print>{text::CODE_PAGE_PRINT}</button>
            </div>
        </Show>
        <p class="no-print"><a href=format!("/admin/users/{}", code.user_id)>{text::CODE_PAGE_BACK}</a></p>
    }
}

/// The audit log: GET filters, newest first, 50 a page, CSV export of what is selected.
#[component]
pub fn ConsoleAuditPage() -> impl IntoView {
    let query = use_query_map();
    let filters = move || {
        query.with(|m| AuditFilters {
            user: m.get("user"),
            actor: m.get("actor"),
            action: m.get("action"),
            since: m.get("since"),
            until: m.get("until"),
            before: m.get("before").and_then(|b| b.parse().ok()),
        })
    };
    let page = Resource::new_blocking(filters, console_audit);
    view! {
        <Title text=text::AUDIT_TITLE />
        <section class="card console wide" aria-labelledby="audit-heading">
            <h1 id="audit-heading">{text::AUDIT_TITLE}</h1>
            <ConsoleNav />
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    let f = filters();
                    match page.await {
                        Ok(page) => view! { <AuditView page filters=f /> }.into_any(),
                        Err(AppError::Invalid(message)) => view! {
                            <AuditForm filters=f actions=Vec::new() />
                            <p class="error" role="alert">{message}</p>
                        }.into_any(),
                        Err(error) => view! { <ConsoleRefused error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

fn filter_query(f: &AuditFilters) -> String {
    let mut parts = Vec::new();
    for (name, value) in [
        ("user", &f.user),
        ("actor", &f.actor),
        ("action", &f.action),
        ("since", &f.since),
        ("until", &f.until),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
            parts.push(format!("{name}={}", encode(v)));
        }
    }
    parts.join("&")
}

#[component]
fn AuditForm(filters: AuditFilters, actions: Vec<String>) -> impl IntoView {
    let chosen = filters.action.clone().unwrap_or_default();
    view! {
        <form method="get" action="/admin/audit" class="filters">
            <fieldset>
                <legend>{text::AUDIT_FILTERS}</legend>
                <div class="field">
                    <label for="f-user">{text::AUDIT_USER}</label>
                    <input id="f-user" name="user" type="text" value=filters.user.clone().unwrap_or_default() maxlength="256" autocomplete="off" />
                </div>
                <div class="field">
                    <label for="f-actor">{text::AUDIT_ACTOR}</label>
                    <input id="f-actor" name="actor" type="text" value=filters.actor.clone().unwrap_or_default() maxlength="256" autocomplete="off" />
                </div>
                <div class="field">
                    <label for="f-action">{text::AUDIT_ACTION}</label>
                    <select id="f-action" name="action">
                        <option value="">{text::AUDIT_ANY_ACTION}</option>
                        {actions.into_iter().map(|a| {
                            let selected = a == chosen;
                            view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-since">{text::AUDIT_SINCE}</label>
                    <input id="f-since" name="since" type="date" value=filters.since.clone().unwrap_or_default() />
                </div>
                <div class="field">
                    <label for="f-until">{text::AUDIT_UNTIL}</label>
                    <input id="f-until" name="until" type="date" value=filters.until.clone().unwrap_or_default() />
                </div>
                <button type="submit" class="primary">{text::AUDIT_APPLY}</button>
            </fieldset>
        </form>
    }
}

#[component]
fn AuditView(page: AuditPage, filters: AuditFilters) -> impl IntoView {
    let base = filter_query(&filters);
    let csv = format!("/admin/audit.csv?{base}");
    let newest = filters
        .before
        .is_some()
        .then(|| format!("/admin/audit?{base}"));
    let older = page
        .next_before
        .map(|before| format!("/admin/audit?{base}&before={before}"));
    let empty = page.events.is_empty();
    view! {
        <AuditForm filters=filters.clone() actions=page.actions.clone() />
        <p><a href=csv download="audit.csv">{text::AUDIT_CSV}</a></p>
        <h2>{text::AUDIT_EVENTS}</h2>
        {if empty {
            view! { <p role="status">{text::AUDIT_NONE}</p> }.into_any()
        } else {
            view! { <EventTable events=page.events /> }.into_any()
        }}
        <p class="pager">
            {newest.map(|href| view! { <a href=href>{text::AUDIT_NEWEST}</a> " " })}
            {older.map(|href| view! { <a href=href>{text::AUDIT_OLDER}</a> })}
        </p>
    }
}

/// The overview: five small bar charts (inline SVG, no script), each with its numbers as text.
#[component]
pub fn ConsoleOverviewPage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| console_overview());
    view! {
        <Title text=text::CONSOLE_NAV_OVERVIEW />
        <section class="card console wide" aria-labelledby="overview-heading">
            <h1 id="overview-heading">{text::OVERVIEW_TITLE}</h1>
            <ConsoleNav />
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => view! { <Charts data /> }.into_any(),
                        Err(error) => view! { <ConsoleRefused error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Charts(data: mayi_types::Overview) -> impl IntoView {
    let series = [
        (text::OVERVIEW_CODES_SELF, data.codes_self_service.clone()),
        (text::OVERVIEW_CODES_OPERATOR, data.codes_operator.clone()),
        (text::OVERVIEW_CODES_USED, data.codes_used.clone()),
        (text::OVERVIEW_LOCKED, data.accounts_locked.clone()),
        (text::OVERVIEW_FAILURES, data.sign_in_failures.clone()),
    ];
    view! {
        <p class="at-risk" id="overview-at-risk">
            <strong>{data.accounts_at_risk}</strong>
            " "{text::OVERVIEW_AT_RISK}
        </p>
        <p class="hint">{text::OVERVIEW_AT_RISK_HINT}</p>
        <div class="charts">
            {series.into_iter().map(|(title, values)| view! {
                <BarChart title days=data.days.clone() values />
            }).collect_view()}
        </div>
    }
}

#[component]
fn BarChart(title: &'static str, days: Vec<String>, values: Vec<u32>) -> impl IntoView {
    const STEP: u32 = 40;
    const HEIGHT: u32 = 80;
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    let total: u32 = values.iter().sum();
    let spoken = days
        .iter()
        .zip(&values)
        .map(|(d, v)| format!("{d}: {v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let width = STEP * values.len() as u32;
    let bars = days
        .into_iter()
        .zip(values)
        .enumerate()
        .map(|(i, (day, value))| {
            let x = i as u32 * STEP;
            let h = value * (HEIGHT - 14) / max;
            view! {
                <g>
                    <rect class="bar" x=(x + 8).to_string() y=(HEIGHT - h).to_string() width="24" height=h.to_string() />
                    <text class="value" x=(x + 20).to_string() y=(HEIGHT - h - 3).to_string() text-anchor="middle">{value}</text>
                    <text class="day" x=(x + 20).to_string() y=(HEIGHT + 14).to_string() text-anchor="middle">{day}</text>
                </g>
            }
        })
        .collect_view();
    view! {
        <figure class="chart">
            <figcaption>{format!("{title}. {}: {total}", text::OVERVIEW_TOTAL)}</figcaption>
            <svg viewBox=format!("0 0 {width} {}", HEIGHT + 20) width=width.to_string() height=(HEIGHT + 20).to_string() role="img" aria-label=format!("{title}: {spoken}")>
                <line class="axis" x1="0" x2=width.to_string() y1=HEIGHT.to_string() y2=HEIGHT.to_string() />
                {bars}
            </svg>
        </figure>
    }
}

/// `/help/console`: the operators' documentation.
#[component]
pub fn HelpConsole() -> impl IntoView {
    view! {
        <Title text=text::HELP_CONSOLE_TITLE />
        <section class="card help" aria-labelledby="help-console-heading">
            <h1 id="help-console-heading">{text::HELP_CONSOLE_TITLE}</h1>
            {text::HELP_CONSOLE_SECTIONS.iter().map(|(heading, paragraphs)| view! {
                <h2>{*heading}</h2>
                {paragraphs.iter().map(|p| view! { <p>{*p}</p> }).collect_view()}
                {text::HELP_CONSOLE_PICTURES
                    .iter()
                    .filter(|(section, _, _)| section == heading)
                    .map(|(_, name, description)| view! { <crate::pages::HelpPicture name=*name description=*description /> })
                    .collect_view()}
            }).collect_view()}
            <p><a href="/admin">{text::CONSOLE_TITLE}</a></p>
        </section>
    }
}

/// `/admin/applications`: the applications that sign their users in through MAYI ID (issue 18),
/// each with its client ID, kind and return addresses; an administrator may disable one.
#[component]
pub fn ConsoleApplicationsPage() -> impl IntoView {
    let disable = ServerAction::<ConsoleDisableApplication>::new();
    let data = Resource::new_blocking(move || disable.version().get(), |_| console_applications());
    let query = use_query_map();
    let done = move || {
        query.with(|q| q.get("done").as_deref() == Some("disabled"))
            || matches!(disable.value().get(), Some(Ok(())))
    };
    let error = move || disable.value().get().and_then(|r| r.err());
    view! {
        <Title text=text::APPLICATIONS_TITLE />
        <section class="card console wide" aria-labelledby="applications-heading">
            <h1 id="applications-heading">{text::APPLICATIONS_TITLE}</h1>
            <ConsoleNav />
            <p class="lead">{text::APPLICATIONS_CONSOLE_INTRO}</p>
            <Show when=done>
                <p class="success" role="status">{text::APPLICATION_DISABLED_DONE}</p>
            </Show>
            <crate::pages::FormError error=Signal::derive(error) />
            <Suspense fallback=|| view! { <p>{text::LOADING}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) if page.applications.is_empty() => {
                            view! { <p>{text::APPLICATIONS_CONSOLE_NONE}</p> }.into_any()
                        }
                        Ok(page) => {
                            let may_disable = page.may_disable;
                            view! {
                                <ul class="token-list" aria-label=text::APPLICATIONS_CONSOLE_LABEL>
                                    {page
                                        .applications
                                        .into_iter()
                                        .map(|application| view! { <ApplicationItem application may_disable disable /> })
                                        .collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ConsoleRefused error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ApplicationItem(
    application: ApplicationRow,
    may_disable: bool,
    disable: ServerAction<ConsoleDisableApplication>,
) -> impl IntoView {
    let busy = disable.pending();
    let reason_id = format!("disable-reason-{}", application.client_id);
    let active = application.disabled.is_none();
    view! {
        <li class="token">
            <strong>{application.name.clone()}</strong>
            <dl>
                <dt>{text::APPLICATION_CLIENT_ID}</dt>
                <dd><code>{application.client_id.clone()}</code></dd>
                <dt>{text::APPLICATION_KIND}</dt>
                <dd>
                    {if application.public { text::APPLICATION_PUBLIC } else { text::APPLICATION_CONFIDENTIAL }}
                    ". "
                    {if application.first_party { text::APPLICATION_FIRST_PARTY } else { text::APPLICATION_THIRD_PARTY }}
                </dd>
                <dt>{text::APPLICATION_REDIRECTS}</dt>
                <dd>
                    <ul>
                        {application.redirect_uris.iter().map(|u| view! { <li><code>{u.clone()}</code></li> }).collect_view()}
                    </ul>
                </dd>
                <dt>{text::APPLICATION_CREATED}</dt>
                <dd>{application.created.clone()}</dd>
                <dt>{text::APPLICATION_STATE}</dt>
                <dd>
                    {match &application.disabled {
                        Some(when) => text::application_disabled_at(when),
                        None => text::APPLICATION_ACTIVE.to_owned(),
                    }}
                </dd>
            </dl>
            {(may_disable && active).then(|| view! {
                <crate::pages::Confirm
                    summary=text::application_disable_summary(&application.name)
                    explained=text::APPLICATION_DISABLE_EXPLAINED
                >
                    <ActionForm action=disable>
                        <input type="hidden" name="client_id" value=application.client_id.clone() />
                        <div class="field">
                            <label for=reason_id.clone()>{text::APPLICATION_REASON_LABEL}</label>
                            <input id=reason_id name="reason" type="text" required maxlength="200" autocomplete="off" />
                        </div>
                        <button type="submit" class="danger" disabled=move || busy.get()>
                            {text::APPLICATION_DISABLE_BUTTON}
                        </button>
                    </ActionForm>
                </crate::pages::Confirm>
            })}
        </li>
    }
}
