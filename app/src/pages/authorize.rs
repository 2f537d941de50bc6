//! `/authorize`: the page between MAYI ID's sign-in and an application that signs its users in
//! through MAYI ID (issue 18). It asks the person's consent for an application not run by the
//! organisation, says so when a restricted emergency session must finish recovery first, and
//! otherwise leaves for the provider's `/oauth2/authorize` (or the application) as a fresh
//! navigation: at once with JavaScript, by a zero-second refresh without, with a link either
//! way.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

use crate::{
    api::oidc::{authorization, AuthorizationView, DecideAuthorization},
    pages::FormError,
    text,
};

#[component]
pub fn AuthorizePage() -> impl IntoView {
    let location = use_location();
    let request = move || location.search.get();
    // Made here: an answer brings the browser back to this very address (a plain form's
    // redirect), where the router sees no change, so the view is read again when it lands.
    let decide = ServerAction::<DecideAuthorization>::new();
    let view_data = Resource::new(
        move || (request(), decide.version().get()),
        |(request, _)| authorization(request),
    );
    view! {
        <Title text=tr!(oidc.authorize_title) />
        <section class="card" aria-labelledby="authorize-heading">
            <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match view_data.await {
                        Ok(AuthorizationView::Consent { application, username, scopes, destination }) => {
                            view! {
                                <ConsentForm application username scopes destination request=request() decide />
                            }
                                .into_any()
                        }
                        Ok(AuthorizationView::Continue { application, to }) => {
                            view! { <Leave application to /> }.into_any()
                        }
                        Ok(AuthorizationView::FinishRecovery) => view! {
                            <h1 id="authorize-heading">{tr!(oidc.authorize_recovery_heading)}</h1>
                            <p>{tr!(oidc.authorize_recovery_text)}</p>
                            <p><a href="/tokens">{tr!(oidc.authorize_go_to_tokens)}</a></p>
                        }
                            .into_any(),
                        Ok(AuthorizationView::Refused { message }) => view! {
                            <h1 id="authorize-heading">{tr!(oidc.authorize_refused_heading)}</h1>
                            <p class="error" role="alert">{message}</p>
                            <p><a href="/account">{tr!(oidc.authorize_go_to_account)}</a></p>
                        }
                            .into_any(),
                        Err(crate::AppError::Unauthorized) => {
                            // Through the provider's endpoint, which remembers the request and
                            // brings the person back here after signing in.
                            let back = format!("/oauth2/authorize?{}", request().trim_start_matches('?'));
                            view! {
                                <h1 id="authorize-heading">{tr!(oidc.authorize_title)}</h1>
                                <p>{tr!(oidc.authorize_sign_in_text)}</p>
                                <p><a href=back rel="external">{tr!(oidc.authorize_sign_in_link)}</a></p>
                            }
                                .into_any()
                        }
                        Err(error) => view! {
                            <h1 id="authorize-heading">{tr!(oidc.authorize_refused_heading)}</h1>
                            <p class="error" role="alert">{error.to_string()}</p>
                            <p><a href="/account">{tr!(oidc.authorize_go_to_account)}</a></p>
                        }
                            .into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// The consent question: what the application receives, and two buttons.
#[component]
fn ConsentForm(
    application: String,
    username: String,
    scopes: Vec<String>,
    destination: String,
    request: String,
    decide: ServerAction<DecideAuthorization>,
) -> impl IntoView {
    let busy = decide.pending();
    let error = move || decide.value().get().and_then(|result| result.err());
    view! {
        <h1 id="authorize-heading">{text::consent_heading(&application)}</h1>
        <p class="lead">{text::consent_intro(&application, &username)}</p>
        <p>{tr!(oidc.consent_receives)}</p>
        <ul aria-label=tr!(oidc.consent_scopes_label)>
            {scopes
                .iter()
                .map(|s| view! { <li>{text::scope_description(s)}</li> })
                .collect_view()}
        </ul>
        <p class="muted">{tr!(oidc.consent_not_ours)}</p>
        <p class="muted">{text::consent_destination(&destination)}</p>
        <FormError error=Signal::derive(error) />
        <ActionForm action=decide>
            <input type="hidden" name="request" value=request.trim_start_matches('?').to_owned() />
            <div class="actions">
                <button type="submit" class="primary" name="decision" value="allow" disabled=move || busy.get()>
                    {tr!(oidc.consent_allow)}
                </button>
                <button type="submit" name="decision" value="deny" disabled=move || busy.get()>
                    {tr!(oidc.consent_deny)}
                </button>
            </div>
        </ActionForm>
    }
}

/// On the way to `to`, by exactly one navigation: with JavaScript, a replace of this page in
/// the history once it is shown; without, a zero-second refresh inside `<noscript>` (which a
/// browser running scripts ignores, so the two never both fire and ask for two codes); a link
/// if neither happens.
#[component]
fn Leave(application: String, to: String) -> impl IntoView {
    let attribute = to
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let refresh = format!(r#"<meta http-equiv="refresh" content="0;url={attribute}">"#);
    let target = to.clone();
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(window) = web_sys::window() {
            let _ = window.location().replace(&target);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &target;
    });
    view! {
        <noscript inner_html=refresh></noscript>
        <h1 id="authorize-heading">{text::authorize_continue_heading(&application)}</h1>
        <p role="status">{tr!(oidc.authorize_continue_text)}</p>
        <p><a href=to rel="external">{text::authorize_continue_link(&application)}</a></p>
    }
}
