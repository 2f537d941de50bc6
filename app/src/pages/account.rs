use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::{
        my_account, my_sessions, AccountView, EndOtherSessions, EndSession, SessionView, SignOut,
    },
    pages::{kind_name, RecoveryBanner},
};

/// The signed-in landing page: who you are, your tokens (read-only for now), sign out.
/// Without a session it sends the browser to the sign-in page.
#[component]
pub fn AccountPage() -> impl IntoView {
    let account = Resource::new_blocking(|| (), |_| my_account());
    view! {
        <Title text=tr!(common.account_title) />
        <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(account) => view! { <Account account /> }.into_any(),
                    Err(error) => view! { <crate::pages::PageError error /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Account(account: AccountView) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let busy = sign_out.pending();
    let restricted = account.restricted;
    view! {
        <section class="card" aria-labelledby="account-heading">
            {restricted.then(|| view! { <RecoveryBanner version=Signal::derive(|| 0usize) /> })}
            {(!restricted).then(|| view! { <crate::pages::ReadinessBanner version=Signal::derive(|| 0usize) /> })}
            <h1 id="account-heading">{account.display_name.clone()}</h1>
            <p class="muted">{format!("{} {}", tr!(common.account_greeting), account.username)}</p>
            <h2>{tr!(common.account_tokens)}</h2>
            {if account.tokens.is_empty() {
                view! { <p>{tr!(common.account_no_tokens)}</p> }.into_any()
            } else {
                view! {
                    <ul class="token-list" aria-label=tr!(common.account_tokens)>
                        {account
                            .tokens
                            .into_iter()
                            .map(|token| {
                                view! {
                                    <li class="token">
                                        <strong>{token.label.clone()}</strong>
                                        <span class="muted">{format!(" ({})", kind_name(&token.kind))}</span>
                                        <dl>
                                            <dt>{tr!(common.token_device)}</dt>
                                            <dd>{token.device.clone().unwrap_or_else(|| "—".into())}</dd>
                                            <dt>{tr!(common.token_added)}</dt>
                                            <dd>{token.created.clone()}</dd>
                                            <dt>{tr!(common.token_last_used)}</dt>
                                            <dd>{token.last_used.clone().unwrap_or_else(|| tr!(common.never).into())}</dd>
                                        </dl>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                }
                    .into_any()
            }}
            <p>
                <a class="button" href="/tokens">{tr!(tokens.manage_tokens)}</a>
            </p>
            <crate::pages::RecoveryCodesSection />
            <crate::pages::Contacts />
            {(!restricted).then(|| view! { <Sessions /> })}
            {(!restricted).then(|| view! { <crate::pages::RememberedBrowsers /> })}
            {(!restricted).then(|| view! { <crate::pages::AllowedApplications /> })}
            {(!restricted).then(|| view! { <ChangePasswordForm change=ServerAction::new() /> })}
            <ActionForm action=sign_out>
                <button type="submit" disabled=move || busy.get()>{tr!(common.sign_out)}</button>
            </ActionForm>
        </section>
    }
}

/// Where the person is signed in; sign out the others one by one or all at once (SE-7).
#[component]
fn Sessions() -> impl IntoView {
    let end = ServerAction::<EndSession>::new();
    let end_all = ServerAction::<EndOtherSessions>::new();
    let sessions = Resource::new_blocking(
        move || (end.version().get(), end_all.version().get()),
        |_| my_sessions(),
    );
    view! {
        <h2 id="sessions-heading">{tr!(tokens.sessions_heading)}</h2>
        <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                let sessions = sessions.await.unwrap_or_default();
                let others = sessions.iter().filter(|s| !s.current).count();
                view! {
                    <ul class="token-list" aria-labelledby="sessions-heading">
                        {sessions
                            .into_iter()
                            .map(|session| view! { <SessionItem session end /> })
                            .collect_view()}
                    </ul>
                    {if others == 0 {
                        view! { <p>{tr!(tokens.sessions_only_this)}</p> }.into_any()
                    } else {
                        view! {
                            <ActionForm action=end_all>
                                <button type="submit">{tr!(tokens.sessions_end_others)}</button>
                            </ActionForm>
                        }
                            .into_any()
                    }}
                }
            })}
        </Suspense>
    }
}

#[component]
fn SessionItem(session: SessionView, end: ServerAction<EndSession>) -> impl IntoView {
    let name = if session.current {
        format!("{} ({})", session.browser, tr!(tokens.this_device))
    } else {
        session.browser.clone()
    };
    view! {
        <li class="token">
            <strong>{name}</strong>
            <dl>
                <dt>{tr!(tokens.session_signed_in)}</dt>
                <dd>{session.signed_in.clone()}</dd>
                <dt>{tr!(tokens.session_last_seen)}</dt>
                <dd>{session.last_seen.clone()}</dd>
                <dt>{tr!(tokens.session_address)}</dt>
                <dd>{session.ip.clone().unwrap_or_else(|| "—".into())}</dd>
            </dl>
            {(!session.current).then(|| view! {
                <ActionForm action=end>
                    <input type="hidden" name="session_id" value=session.id.to_string() />
                    <button type="submit">{format!("{} {}", tr!(tokens.session_end), session.browser)}</button>
                </ActionForm>
            })}
        </li>
    }
}

/// PW-9: the current password, the new one twice, and whether to sign out everywhere else. On
/// /account, and in a stolen phone's recovery checklist (which refetches itself after `change`).
#[component]
pub fn ChangePasswordForm(
    change: ServerAction<crate::api::ChangePassword>,
    /// Inside another section (the recovery checklist): a level-4 heading instead of level 2.
    #[prop(optional)]
    nested: bool,
) -> impl IntoView {
    let busy = change.pending();
    let result = move || change.value().get();
    let query = leptos_router::hooks::use_query_map();
    let changed_before = move || query.with(|q| q.get("password_changed").is_some());
    view! {
        {if nested {
            view! { <h4 id="password-heading">{tr!(emergency.password_change_heading)}</h4> }.into_any()
        } else {
            view! { <h2 id="password-heading">{tr!(emergency.password_change_heading)}</h2> }.into_any()
        }}
        <ActionForm action=change attr:aria-labelledby="password-heading">
            <div class="field">
                <label for="password-current">{tr!(emergency.password_change_current)}</label>
                <input id="password-current" name="current" type="password" autocomplete="current-password" required />
            </div>
            <div class="field">
                <label for="password-new">{tr!(emergency.password_change_new)}</label>
                <input id="password-new" name="new" type="password" autocomplete="new-password" minlength="8" required
                    aria-describedby=move || matches!(result(), Some(Err(_))).then_some("password-error") />
            </div>
            <div class="field">
                <label for="password-again">{tr!(emergency.password_change_again)}</label>
                <input id="password-again" name="again" type="password" autocomplete="new-password" minlength="8" required />
            </div>
            <label class="checkbox" for="password-end-others">
                <input type="checkbox" id="password-end-others" name="end_others" value="on" checked=true />
                {tr!(emergency.password_change_end_others)}
            </label>
            {move || match result() {
                Some(Ok(_)) => Some(view! { <p class="success" role="status">{tr!(emergency.password_change_done)}</p> }.into_any()),
                Some(Err(error)) => Some(view! { <p class="error" role="alert" id="password-error">{error.to_string()}</p> }.into_any()),
                None if changed_before() => Some(view! { <p class="success" role="status">{tr!(emergency.password_change_done)}</p> }.into_any()),
                None => None,
            }}
            <button type="submit" class="primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                {move || if busy.get() { tr!(emergency.password_change_working) } else { tr!(emergency.password_change_button) }}
            </button>
        </ActionForm>
    }
}
