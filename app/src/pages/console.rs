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
        <nav class="console-nav no-print" aria-label=tr!(console.console_nav_label)>
            <ul>
                <li><a href="/admin">{tr!(console.console_nav_search)}</a></li>
                <li><a href="/admin/overview">{tr!(console.console_nav_overview)}</a></li>
                <li><a href="/admin/audit">{tr!(console.console_nav_audit)}</a></li>
                <li><a href="/admin/applications">{tr!(console.console_nav_applications)}</a></li>
                <li><a href="/help/console">{tr!(console.console_help_link)}</a></li>
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
            view! { <p><a href="/login">{tr!(common.go_to_sign_in)}</a></p> }.into_any()
        }
        AppError::Forbidden => {
            #[cfg(feature = "ssr")]
            if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
                response.set_status(axum::http::StatusCode::FORBIDDEN);
            }
            view! {
                <div class="forbidden" role="alert">
                    <h2>{tr!(console.console_forbidden_title)}</h2>
                    <p>{tr!(console.console_forbidden_body)}</p>
                </div>
                <p><a class="button" href="/account">{tr!(console.console_back_to_account)}</a></p>
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
        <Title text=tr!(console.console_nav_search) />
        <section class="card console" aria-labelledby="console-heading">
            <h1 id="console-heading">{tr!(console.console_nav_search)}</h1>
            <ConsoleNav />
            <form method="get" action="/admin" role="search">
                <div class="field">
                    <label for="q">{tr!(console.search_label)}</label>
                    <input id="q" name="q" type="search" value=q maxlength="100" autocomplete="off" aria-describedby="q-hint" />
                    <p class="hint" id="q-hint">{tr!(console.search_hint)}</p>
                </div>
                <fieldset class="field">
                    <legend>{tr!(console.search_mode_legend)}</legend>
                    <label class="checkbox">
                        <input type="radio" name="mode" value="prefix" checked=move || mode() != "contains" />
                        {tr!(console.search_mode_prefix)}
                    </label>
                    <label class="checkbox">
                        <input type="radio" name="mode" value="contains" checked=move || mode() == "contains" />
                        {tr!(console.search_mode_contains)}
                    </label>
                </fieldset>
                <button type="submit" class="primary">{tr!(console.search_button)}</button>
            </form>
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
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
        return view! { <p role="status">{tr!(console.search_none)}</p> }.into_any();
    }
    let link = |page: u32| format!("/admin?q={}&mode={}&page={page}", encode(&q), encode(&mode));
    let previous = (found.page > 0).then(|| link(found.page - 1));
    let next = found.has_more.then(|| link(found.page + 1));
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label=tr!(console.search_results)><table class="console-table">
            <caption>{tr!(console.search_results)}</caption>
            <thead>
                <tr>
                    <th scope="col">{tr!(console.col_username)}</th>
                    <th scope="col">{tr!(console.col_name)}</th>
                    <th scope="col">{tr!(console.col_state)}</th>
                    <th scope="col">{tr!(console.col_role)}</th>
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
            {previous.map(|href| view! { <a href=href>{tr!(console.search_previous)}</a> " " })}
            {next.map(|href| view! { <a href=href>{tr!(console.search_next)}</a> })}
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
        <Title text=tr!(console.console_title) />
        <section class="card console" aria-labelledby="user-heading">
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
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
                            <h1 id="user-heading">{tr!(console.console_title)}</h1>
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
            <label for=id.clone()>{tr!(console.reason_label)}</label>
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
            <h2 id="profile-heading">{tr!(console.user_profile)}</h2>
            <dl class="facts">
                <dt>{tr!(console.col_username)}</dt><dd>{user.user.username.clone()}</dd>
                <dt>{tr!(console.col_name)}</dt><dd>{user.user.display_name.clone()}</dd>
                <dt>{tr!(console.col_state)}</dt><dd>{user.user.state.as_str()}</dd>
                <dt>{tr!(console.col_role)}</dt><dd>{user.user.role.as_str()}</dd>
                <dt>{tr!(console.user_created)}</dt><dd>{user.created.clone()}</dd>
            </dl>
        </section>
        <Contacts contacts=user.contacts.clone() />
        <Tokens uid tokens=user.tokens.clone() devices=user.devices.clone() actions />
        <Sessions uid sessions=user.sessions.clone() actions />
        <Codes uid codes=user.codes.clone() has_live=user.has_live_code
            has_waiting=user.has_waiting_code && !user.is_self actions />
        <section aria-labelledby="account-heading">
            <h2 id="account-heading">{tr!(console.user_account_actions)}</h2>
            <details class="confirm">
                <summary>{if locked { tr!(console.action_unlock) } else { tr!(console.action_lock) }}</summary>
                <ActionForm action=actions.lock>
                    <input type="hidden" name="user_id" value=uid />
                    <input type="hidden" name="lock" value=if locked { LockAction::Unlock.as_str() } else { LockAction::Lock.as_str() } />
                    {(!locked).then(|| view! { <p>{tr!(console.action_lock_explained)}</p> })}
                    <ReasonField id="reason-lock".to_string() />
                    <p class="hint">{tr!(console.confirm_hint)}</p>
                    <button type="submit" class="danger">
                        {if locked { tr!(console.action_unlock_confirm) } else { tr!(console.action_lock_confirm) }}
                    </button>
                </ActionForm>
            </details>
            {(user.caller_is_admin && user.user.role != Role::Admin).then(|| {
                let make = user.user.role == Role::User;
                view! {
                    <details class="confirm">
                        <summary>{if make { tr!(console.action_make_operator) } else { tr!(console.action_remove_operator) }}</summary>
                        <ActionForm action=actions.role>
                            <input type="hidden" name="user_id" value=uid />
                            <input type="hidden" name="operator" value=if make { OperatorChange::Make.as_str() } else { OperatorChange::Remove.as_str() } />
                            <ReasonField id="reason-role".to_string() />
                            <button type="submit" class="danger">
                                {if make { tr!(console.action_make_operator_confirm) } else { tr!(console.action_remove_operator_confirm) }}
                            </button>
                        </ActionForm>
                    </details>
                }
            })}
        </section>
        <Events heading=tr!(console.user_events) events=user.events.clone() />
    }
}

#[component]
fn Contacts(contacts: Vec<ContactRow>) -> impl IntoView {
    view! {
        <section aria-labelledby="contacts-heading">
            <h2 id="contacts-heading">{tr!(console.user_contacts)}</h2>
            {if contacts.is_empty() {
                view! { <p>{tr!(console.user_no_contacts)}</p> }.into_any()
            } else {
                view! {
                    <ul class="contact-list">
                        {contacts.into_iter().map(|c| {
                            let mut notes = vec![if c.confirmed { tr!(console.user_confirmed) } else { tr!(console.user_unconfirmed) }];
                            if c.is_recovery {
                                notes.push(tr!(console.user_recovery));
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
            <h2 id="tokens-heading">{tr!(console.user_tokens)}</h2>
            {if tokens.is_empty() {
                view! { <p>{tr!(console.user_no_tokens)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label=tr!(console.user_tokens)><table class="console-table">
                        <caption class="visually-hidden">{tr!(console.user_tokens)}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{tr!(console.col_label)}</th>
                                <th scope="col">{tr!(console.col_kind)}</th>
                                <th scope="col">{tr!(console.col_device)}</th>
                                <th scope="col">{tr!(console.col_created)}</th>
                                <th scope="col">{tr!(console.col_last_used)}</th>
                                <th scope="col">{tr!(console.col_action)}</th>
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
                    <summary>{tr!(console.action_remove_device)}</summary>
                    {devices.into_iter().enumerate().map(|(i, device)| view! {
                        <ActionForm action=actions.device>
                            <input type="hidden" name="user_id" value=uid />
                            <input type="hidden" name="device" value=device.clone() />
                            <ReasonField id=format!("reason-device-{i}") />
                            <button type="submit" class="danger">{format!("{} {device}", tr!(console.action_remove_device_confirm))}</button>
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
        (Some(removed), _, _) => format!("{} {removed}", tr!(console.removed_on)),
        (None, Some(at), _) => format!("{} {at}", tr!(console.blocked_on)),
        (None, None, Some(used)) => used.clone(),
        (None, None, None) => tr!(common.never).to_string(),
    };
    let id = token.id;
    let block = (active || blocked).then(|| {
        let (summary, confirm, what) = if blocked {
            (
                tr!(console.action_unblock_token),
                tr!(console.action_unblock_token_confirm),
                BlockAction::Unblock,
            )
        } else {
            (
                tr!(console.action_block_token),
                tr!(console.action_block_token_confirm),
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
                <summary>{format!("{} {}", tr!(console.action_remove_token), token.label)}</summary>
                <ActionForm action=actions.remove>
                    <input type="hidden" name="user_id" value=uid />
                    <input type="hidden" name="token_id" value=id />
                    <ReasonField id=format!("reason-token-{id}") />
                    <button type="submit" class="danger">{tr!(console.action_remove_token_confirm)}</button>
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
                <h2 id="sessions-heading">{tr!(console.user_sessions)}</h2>
                <p>{tr!(console.user_no_sessions)}</p>
            </section>
        }
        .into_any();
    }
    view! {
        <section aria-labelledby="sessions-heading">
            <h2 id="sessions-heading">{tr!(console.user_sessions)}</h2>
            <div class="table-scroll" tabindex="0" role="region" aria-label=tr!(console.user_sessions)><table class="console-table">
                <caption class="visually-hidden">{tr!(console.user_sessions)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr!(console.col_scope)}</th>
                        <th scope="col">{tr!(console.col_browser)}</th>
                        <th scope="col">{tr!(console.col_ip)}</th>
                        <th scope="col">{tr!(console.col_signed_in)}</th>
                        <th scope="col">{tr!(console.col_last_seen)}</th>
                        <th scope="col">{tr!(console.col_action)}</th>
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
                                        <summary>{tr!(console.action_end_session)}</summary>
                                        <ActionForm action=actions.end>
                                            <input type="hidden" name="user_id" value=uid />
                                            <input type="hidden" name="session_id" value=id />
                                            <ReasonField id=format!("reason-session-{id}") />
                                            <button type="submit" class="danger">{tr!(console.action_end_session_confirm)}</button>
                                        </ActionForm>
                                    </details>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
            <details class="confirm">
                <summary>{tr!(console.action_end_all)}</summary>
                <ActionForm action=actions.end>
                    <input type="hidden" name="user_id" value=uid />
                    <ReasonField id="reason-all".to_string() />
                    <button type="submit" class="danger">{tr!(console.action_end_all_confirm)}</button>
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
            <h2 id="codes-heading">{tr!(console.user_codes)}</h2>
            {if codes.is_empty() {
                view! { <p>{tr!(console.user_no_codes)}</p> }.into_any()
            } else {
                view! {
                    <div class="table-scroll" tabindex="0" role="region" aria-label=tr!(console.user_codes)><table class="console-table">
                        <caption class="visually-hidden">{tr!(console.user_codes)}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{tr!(console.col_created)}</th>
                                <th scope="col">{tr!(console.col_issuer)}</th>
                                <th scope="col">{tr!(console.col_reason)}</th>
                                <th scope="col">{tr!(console.col_verification)}</th>
                                <th scope="col">{tr!(console.col_expires)}</th>
                                <th scope="col">{tr!(console.col_uses)}</th>
                                <th scope="col">{tr!(console.col_status)}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {codes.into_iter().map(|c| view! {
                                <tr>
                                    <td>{c.created}</td>
                                    <td>{c.issued_by.unwrap_or_else(|| tr!(console.issuer_self).to_string())}</td>
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
                    <summary>{tr!(browsers.action_approve)}</summary>
                    <p>{tr!(browsers.action_approve_explained)}</p>
                    <ActionForm action=actions.approve>
                        <input type="hidden" name="user_id" value=uid />
                        <ReasonField id="reason-approve".to_string() />
                        <button type="submit" class="primary">{tr!(browsers.action_approve_confirm)}</button>
                    </ActionForm>
                </details>
            })}
            {has_live.then(|| view! {
                <details class="confirm">
                    <summary>{tr!(console.action_revoke)}</summary>
                    <ActionForm action=actions.revoke>
                        <input type="hidden" name="user_id" value=uid />
                        <ReasonField id="reason-revoke".to_string() />
                        <button type="submit" class="danger">{tr!(console.action_revoke_confirm)}</button>
                    </ActionForm>
                </details>
            })}
            // "This was not me" for the user: a disclosure named by its summary (so that it can be
            // found by its name), then a form with the required reason.
            <details class="confirm" aria-labelledby="undo-summary">
                <summary id="undo-summary">{tr!(console.action_undo)}</summary>
                <ActionForm action=actions.undo attr:aria-label=tr!(console.action_undo)>
                    <input type="hidden" name="user_id" value=uid />
                    <p>{tr!(console.action_undo_explained)}</p>
                    <ReasonField id="reason-undo".to_string() />
                    <p class="hint">{tr!(console.confirm_hint)}</p>
                    <button type="submit" class="danger">{tr!(console.action_undo_confirm)}</button>
                </ActionForm>
            </details>
            <details class="confirm issue-code">
                <summary>{tr!(console.action_issue)}</summary>
                <p>{tr!(console.action_issue_explained)}</p>
                <ActionForm action=actions.issue>
                    <input type="hidden" name="user_id" value=uid />
                    <div class="field">
                        <label for="issue-verification">{tr!(console.verification_label)}</label>
                        <input id="issue-verification" name="verification" type="text" required maxlength="200" autocomplete="off" placeholder=tr!(console.verification_placeholder) />
                    </div>
                    <ReasonField id="reason-issue".to_string() />
                    <div class="field">
                        <label for="issue-uses">{tr!(console.uses_label)}</label>
                        <input id="issue-uses" name="uses" type="number" min="1" max="10" value="3" required />
                    </div>
                    <div class="field">
                        <label for="issue-lifetime">{tr!(console.lifetime_label)}</label>
                        <select id="issue-lifetime" name="lifetime_minutes">
                            {text::lifetimes().iter().map(|(minutes, label)| view! {
                                <option value=minutes.to_string() selected=*minutes == text::LIFETIME_DEFAULT>{*label}</option>
                            }).collect_view()}
                        </select>
                    </div>
                    <button type="submit" class="primary" disabled=move || busy.get()>{tr!(console.action_issue_confirm)}</button>
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
        return view! { <p>{tr!(console.user_no_events)}</p> }.into_any();
    }
    view! {
        <div class="table-scroll" tabindex="0" role="region" aria-label=tr!(console.audit_events)>
            <table class="console-table events">
                <caption class="visually-hidden">{tr!(console.audit_events)}</caption>
                <thead>
                    <tr>
                        <th scope="col">{tr!(console.col_at)}</th>
                        <th scope="col">{tr!(console.audit_action)}</th>
                        <th scope="col">{tr!(console.col_outcome)}</th>
                        <th scope="col">{tr!(console.col_actor)}</th>
                        <th scope="col">{tr!(console.col_subject)}</th>
                        <th scope="col">{tr!(console.col_ip)}</th>
                        <th scope="col">{tr!(console.col_details)}</th>
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
        <Title text=tr!(console.code_page_title) />
        <section class="card console code-page" aria-labelledby="code-heading">
            <h1 id="code-heading">{tr!(console.code_page_title)}</h1>
            <ConsoleNav />
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match code.await {
                        Ok(Some(code)) => view! { <Handed code /> }.into_any(),
                        Ok(None) => view! {
                            <p role="status">{tr!(console.code_page_gone)}</p>
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
        <p class="lead no-print">{tr!(console.code_page_intro)}</p>
        <div class="code-box">
            <p>{format!("{}: {} ({})", tr!(console.code_page_for), code.display_name, code.username)}</p>
            <p class="code-label" id="code-label">{tr!(console.code_page_code)}</p>
            <p class="emergency-code" aria-labelledby="code-label"><code>{code.grouped.clone()}</code></p>
            <dl class="facts">
                <dt>{tr!(console.code_page_uses)}</dt>
                <dd>{code.max_uses}</dd>
                <dt>{tr!(console.code_page_expires)}</dt>
                <dd>{code.expires.clone()}</dd>
            </dl>
            <p>{tr!(console.code_page_how)}</p>
        </div>
        <Show when=move || hydrated.get()>
            <div class="actions no-print">
                <button type="button" class="secondary" on:click=print>{tr!(console.code_page_print)}</button>
            </div>
        </Show>
        <p class="no-print"><a href=format!("/admin/users/{}", code.user_id)>{tr!(console.code_page_back)}</a></p>
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
        <Title text=tr!(console.audit_title) />
        <section class="card console wide" aria-labelledby="audit-heading">
            <h1 id="audit-heading">{tr!(console.audit_title)}</h1>
            <ConsoleNav />
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
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
                <legend>{tr!(console.audit_filters)}</legend>
                <div class="field">
                    <label for="f-user">{tr!(console.audit_user)}</label>
                    <input id="f-user" name="user" type="text" value=filters.user.clone().unwrap_or_default() maxlength="256" autocomplete="off" />
                </div>
                <div class="field">
                    <label for="f-actor">{tr!(console.audit_actor)}</label>
                    <input id="f-actor" name="actor" type="text" value=filters.actor.clone().unwrap_or_default() maxlength="256" autocomplete="off" />
                </div>
                <div class="field">
                    <label for="f-action">{tr!(console.audit_action)}</label>
                    <select id="f-action" name="action">
                        <option value="">{tr!(console.audit_any_action)}</option>
                        {actions.into_iter().map(|a| {
                            let selected = a == chosen;
                            view! { <option value=a.clone() selected=selected>{a.clone()}</option> }
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="f-since">{tr!(console.audit_since)}</label>
                    <input id="f-since" name="since" type="date" value=filters.since.clone().unwrap_or_default() />
                </div>
                <div class="field">
                    <label for="f-until">{tr!(console.audit_until)}</label>
                    <input id="f-until" name="until" type="date" value=filters.until.clone().unwrap_or_default() />
                </div>
                <button type="submit" class="primary">{tr!(console.audit_apply)}</button>
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
        <p><a href=csv download="audit.csv">{tr!(console.audit_csv)}</a></p>
        <h2>{tr!(console.audit_events)}</h2>
        {if empty {
            view! { <p role="status">{tr!(console.audit_none)}</p> }.into_any()
        } else {
            view! { <EventTable events=page.events /> }.into_any()
        }}
        <p class="pager">
            {newest.map(|href| view! { <a href=href>{tr!(console.audit_newest)}</a> " " })}
            {older.map(|href| view! { <a href=href>{tr!(console.audit_older)}</a> })}
        </p>
    }
}

/// The overview: five small bar charts (inline SVG, no script), each with its numbers as text.
#[component]
pub fn ConsoleOverviewPage() -> impl IntoView {
    let data = Resource::new_blocking(|| (), |_| console_overview());
    view! {
        <Title text=tr!(console.console_nav_overview) />
        <section class="card console wide" aria-labelledby="overview-heading">
            <h1 id="overview-heading">{tr!(console.overview_title)}</h1>
            <ConsoleNav />
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
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
        (
            tr!(console.overview_codes_self),
            data.codes_self_service.clone(),
        ),
        (
            tr!(console.overview_codes_operator),
            data.codes_operator.clone(),
        ),
        (tr!(console.overview_codes_used), data.codes_used.clone()),
        (tr!(console.overview_locked), data.accounts_locked.clone()),
        (
            tr!(console.overview_failures),
            data.sign_in_failures.clone(),
        ),
    ];
    view! {
        <p class="at-risk" id="overview-at-risk">
            {tr!(recovery.overview_at_risk)}": "
            <strong>{data.accounts_at_risk}</strong>
        </p>
        <p class="hint">{tr!(recovery.overview_at_risk_hint)}</p>
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
            <figcaption>{format!("{title}. {}: {total}", tr!(console.overview_total))}</figcaption>
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
        <Title text=tr!(console.help_console_title) />
        <section class="card help" aria-labelledby="help-console-heading">
            <h1 id="help-console-heading">{tr!(console.help_console_title)}</h1>
            {text::help_console_sections().iter().map(|(heading, paragraphs)| view! {
                <h2>{*heading}</h2>
                {paragraphs.iter().map(|p| view! { <p>{*p}</p> }).collect_view()}
                {text::help_console_pictures()
                    .iter()
                    .filter(|(section, _, _)| section == heading)
                    .map(|(_, name, description)| view! { <crate::pages::HelpPicture name=*name description=*description /> })
                    .collect_view()}
            }).collect_view()}
            <p><a href="/admin">{tr!(console.console_title)}</a></p>
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
        <Title text=tr!(console.applications_title) />
        <section class="card console wide" aria-labelledby="applications-heading">
            <h1 id="applications-heading">{tr!(console.applications_title)}</h1>
            <ConsoleNav />
            <p class="lead">{tr!(console.applications_console_intro)}</p>
            <Show when=done>
                <p class="success" role="status">{tr!(console.application_disabled_done)}</p>
            </Show>
            <crate::pages::FormError error=Signal::derive(error) />
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(page) if page.applications.is_empty() => {
                            view! { <p>{tr!(console.applications_console_none)}</p> }.into_any()
                        }
                        Ok(page) => {
                            let may_disable = page.may_disable;
                            view! {
                                <ul class="token-list" aria-label=tr!(console.applications_console_label)>
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
                <dt>{tr!(console.application_client_id)}</dt>
                <dd><code>{application.client_id.clone()}</code></dd>
                <dt>{tr!(console.application_kind)}</dt>
                <dd>
                    {if application.public { tr!(console.application_public) } else { tr!(console.application_confidential) }}
                    ". "
                    {if application.first_party { tr!(console.application_first_party) } else { tr!(console.application_third_party) }}
                </dd>
                <dt>{tr!(console.application_redirects)}</dt>
                <dd>
                    <ul>
                        {application.redirect_uris.iter().map(|u| view! { <li><code>{u.clone()}</code></li> }).collect_view()}
                    </ul>
                </dd>
                <dt>{tr!(console.application_created)}</dt>
                <dd>{application.created.clone()}</dd>
                <dt>{tr!(console.application_state)}</dt>
                <dd>
                    {match &application.disabled {
                        Some(when) => text::application_disabled_at(when),
                        None => tr!(console.application_active).to_owned(),
                    }}
                </dd>
            </dl>
            {(may_disable && active).then(|| view! {
                <crate::pages::Confirm
                    summary=text::application_disable_summary(&application.name)
                    explained=tr!(console.application_disable_explained)
                >
                    <ActionForm action=disable>
                        <input type="hidden" name="client_id" value=application.client_id.clone() />
                        <div class="field">
                            <label for=reason_id.clone()>{tr!(console.application_reason_label)}</label>
                            <input id=reason_id name="reason" type="text" required maxlength="200" autocomplete="off" />
                        </div>
                        <button type="submit" class="danger" disabled=move || busy.get()>
                            {tr!(console.application_disable_button)}
                        </button>
                    </ActionForm>
                </crate::pages::Confirm>
            })}
        </li>
    }
}
