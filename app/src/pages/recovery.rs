//! Recovery codes (issue 14 item 4): the account page's section (how many are left, a warning at
//! three or fewer, make a new set) and `/account/recovery-codes`, which shows a new set once,
//! with a text-file download and a print view. Every control works without JavaScript.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::recovery::{
        readiness, recovery_codes, take_recovery_codes, CreateRecoveryCodes, ReadinessView,
        RecoveryCodesView,
    },
    api::Reauthenticate,
    pages::{ConfirmPassword, FormError, PageError},
    text,
};

/// The account page's section.
#[component]
pub fn RecoveryCodesSection() -> impl IntoView {
    let create = ServerAction::<CreateRecoveryCodes>::new();
    let reauth = ServerAction::<Reauthenticate>::new();
    let status = Resource::new_blocking(
        move || (create.version().get(), reauth.version().get()),
        |_| recovery_codes(),
    );
    view! {
        <section class="recovery-codes" aria-labelledby="recovery-codes-heading">
            <h2 id="recovery-codes-heading">{tr!(recovery.recovery_heading)}</h2>
            <p>{tr!(recovery.recovery_intro)}</p>
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(view) => view! { <Status view create reauth /> }.into_any(),
                        Err(error) => view! { <FormError error=Signal::derive(move || Some(error.clone())) /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Status(
    view: RecoveryCodesView,
    create: ServerAction<CreateRecoveryCodes>,
    reauth: ServerAction<Reauthenticate>,
) -> impl IntoView {
    let busy = create.pending();
    let error = move || create.value().get().and_then(|result| result.err());
    let state = if view.total == 0 {
        view! { <p class="warning" id="recovery-codes-state">{tr!(recovery.recovery_none)}</p> }
            .into_any()
    } else {
        let made = view.made_utc.clone().unwrap_or_default();
        view! {
            <p id="recovery-codes-state">{text::recovery_left(view.left, view.total, &made)}</p>
            {view.low.then(|| view! { <p class="warning" role="status">{tr!(recovery.recovery_low)}</p> })}
        }
        .into_any()
    };
    let action = if view.may_create {
        let label = if view.total == 0 {
            tr!(recovery.recovery_make)
        } else {
            tr!(recovery.recovery_make_new)
        };
        let replaces = view.total > 0;
        view! {
            <ActionForm action=create attr:aria-labelledby="recovery-codes-heading">
                {replaces.then(|| view! { <p class="hint">{tr!(recovery.recovery_make_new_hint)}</p> })}
                <FormError error=Signal::derive(error) />
                <button type="submit" class="primary" disabled=move || busy.get() aria-busy=move || busy.get().to_string()>
                    {move || if busy.get() { tr!(recovery.recovery_working) } else { label }}
                </button>
            </ActionForm>
        }
        .into_any()
    } else if view.needs_password {
        view! { <ConfirmPassword action=reauth /> }.into_any()
    } else {
        view! { <p class="muted">{tr!(recovery.recovery_restricted)}</p> }.into_any()
    };
    view! { {state} {action} }
}

/// The readiness banner (issue 14 item 5) on /tokens and /account: shown while every active
/// token is on one device, or there is no recovery address and no recovery code, with the two
/// actions that fix it (plain links). `version` refetches it after the page's own actions.
#[component]
pub fn ReadinessBanner(#[prop(into)] version: Signal<usize>) -> impl IntoView {
    let status = Resource::new_blocking(move || version.get(), |_| readiness());
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(Some(view)) => Some(view! { <Readiness view /> }),
                    _ => None,
                }
            })}
        </Suspense>
    }
}

#[component]
fn Readiness(view: ReadinessView) -> impl IntoView {
    view! {
        <aside class="readiness warning" aria-labelledby="readiness-heading">
            <h2 id="readiness-heading">{tr!(recovery.readiness_heading)}</h2>
            <ul>
                {view.one_device.then(|| view! { <li>{text::readiness_one_device(view.device.as_deref())}</li> })}
                {view.no_fallback.then(|| view! { <li>{tr!(recovery.readiness_no_fallback)}</li> })}
            </ul>
            <p class="actions">
                <a class="button" href="/tokens#add-totp-heading">{tr!(recovery.readiness_add_device)}</a>
                <a class="button" href="/account#recovery-codes-heading">{tr!(recovery.readiness_make_codes)}</a>
            </p>
        </aside>
    }
}

/// `/account/recovery-codes`: a new set, shown once.
#[component]
pub fn RecoveryCodesPage() -> impl IntoView {
    let page = Resource::new_blocking(|| (), |_| take_recovery_codes());
    view! {
        <Title text=tr!(recovery.recovery_new_title) />
        <section class="card code-page" aria-labelledby="recovery-new-heading">
            <h1 id="recovery-new-heading">{tr!(recovery.recovery_new_title)}</h1>
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(Some(codes)) => view! { <NewCodes codes=codes.codes file=codes.file /> }.into_any(),
                        Ok(None) => view! {
                            <p role="status">{tr!(recovery.recovery_already_shown)}</p>
                            <p><a class="button" href="/account">{tr!(recovery.recovery_back)}</a></p>
                        }
                        .into_any(),
                        Err(error) => view! { <PageError error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn NewCodes(codes: Vec<String>, file: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.print();
        }
    };
    let download = format!("data:text/plain;charset=utf-8,{}", percent_encode(&file));
    view! {
        <p class="lead">{tr!(recovery.recovery_shown_once)}</p>
        <ol class="recovery-code-list" aria-label=tr!(recovery.recovery_list_label)>
            {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
        </ol>
        <div class="actions no-print">
            <a class="button" href=download download=tr!(recovery.recovery_file_name)>{tr!(recovery.recovery_download)}</a>
            <Show
                when=move || hydrated.get()
                fallback=|| view! { <p class="muted">{tr!(recovery.recovery_print_no_js)}</p> }
            >
                <button type="button" class="secondary" on:click=print>{tr!(recovery.recovery_print)}</button>
            </Show>
        </div>
        <p class="no-print"><a class="button primary" href="/account">{tr!(recovery.recovery_done)}</a></p>
    }
}

/// `text` for a `data:` address: everything but unreserved characters percent-encoded.
fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::percent_encode;

    #[test]
    fn a_download_address_carries_the_file_exactly() {
        assert_eq!(percent_encode("AB-12 c\nd,é"), "AB-12%20c%0Ad%2C%C3%A9");
    }
}
