//! "Browsers you signed in with" on the account page (issue 13 item 5): the browsers that
//! completed a full sign-in, this one marked, each with "Forget".

use leptos::prelude::*;

use crate::api::browsers::{my_browsers, BrowserView, ForgetBrowser};

/// The remembered browsers and their "Forget" buttons (full sessions only: the account page
/// leaves it out of a restricted emergency session). Works as plain forms without JavaScript.
#[component]
pub fn RememberedBrowsers() -> impl IntoView {
    let forget = ServerAction::<ForgetBrowser>::new();
    let browsers = Resource::new_blocking(move || forget.version().get(), |_| my_browsers());
    let result = move || forget.value().get();
    view! {
        <h2 id="browsers-heading">{tr!(browsers.browsers_heading)}</h2>
        <p class="muted">{tr!(browsers.browsers_intro)}</p>
        {move || match result() {
            Some(Ok(())) => Some(view! { <p class="success" role="status">{tr!(browsers.browser_forgotten)}</p> }.into_any()),
            Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
            None => None,
        }}
        <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                let browsers = browsers.await.unwrap_or_default();
                if browsers.is_empty() {
                    view! { <p>{tr!(browsers.browsers_none)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="token-list" aria-labelledby="browsers-heading">
                            {browsers
                                .into_iter()
                                .map(|browser| view! { <BrowserItem browser forget /> })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            })}
        </Suspense>
    }
}

#[component]
fn BrowserItem(browser: BrowserView, forget: ServerAction<ForgetBrowser>) -> impl IntoView {
    let name = if browser.current {
        format!("{} ({})", browser.browser, tr!(tokens.this_device))
    } else {
        browser.browser.clone()
    };
    let label = format!("{} {}", tr!(browsers.browser_forget), name);
    view! {
        <li class="token">
            <strong>{name}</strong>
            <dl>
                <dt>{tr!(browsers.browser_first_sign_in)}</dt>
                <dd>{browser.first_sign_in.clone()}</dd>
                <dt>{tr!(browsers.browser_last_sign_in)}</dt>
                <dd>{browser.last_sign_in.clone()}</dd>
                <dt>{tr!(browsers.browser_address)}</dt>
                <dd>{browser.ip.clone().unwrap_or_else(|| "—".into())}</dd>
            </dl>
            <ActionForm action=forget>
                <input type="hidden" name="browser_id" value=browser.id.to_string() />
                <button type="submit" aria-label=label>{tr!(browsers.browser_forget)}</button>
            </ActionForm>
        </li>
    }
}
