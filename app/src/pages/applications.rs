//! "Applications you allowed" on the account page (issue 18): the applications not run by the
//! organisation that the person let sign them in, each with "Remove access" (which also stops
//! the application's tokens; it asks again next time).

use leptos::prelude::*;

use crate::{
    api::oidc::{my_applications, ApplicationView, RemoveApplication},
    text,
};

/// The allowed applications and their "Remove access" buttons (full sessions only). Plain
/// forms without JavaScript.
#[component]
pub fn AllowedApplications() -> impl IntoView {
    let remove = ServerAction::<RemoveApplication>::new();
    let applications =
        Resource::new_blocking(move || remove.version().get(), |_| my_applications());
    let result = move || remove.value().get();
    view! {
        <h2 id="applications-heading">{tr!(oidc.applications_heading)}</h2>
        <p class="muted">{tr!(oidc.applications_intro)}</p>
        {move || match result() {
            Some(Ok(())) => Some(view! { <p class="success" role="status">{tr!(oidc.application_removed)}</p> }.into_any()),
            Some(Err(error)) => Some(view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any()),
            None => None,
        }}
        <Suspense fallback=|| view! { <p>{tr!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                let applications = applications.await.unwrap_or_default();
                if applications.is_empty() {
                    view! { <p>{tr!(oidc.applications_none)}</p> }.into_any()
                } else {
                    view! {
                        <ul class="token-list" aria-label=tr!(oidc.applications_label)>
                            {applications
                                .into_iter()
                                .map(|application| view! { <ApplicationItem application remove /> })
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
fn ApplicationItem(
    application: ApplicationView,
    remove: ServerAction<RemoveApplication>,
) -> impl IntoView {
    let label = text::application_remove_caption(&application.name);
    view! {
        <li class="token">
            <strong>{application.name.clone()}</strong>
            <p>{text::application_allowed(&text::scopes_sentence(&application.scopes), &application.allowed)}</p>
            <ActionForm action=remove>
                <input type="hidden" name="client_id" value=application.client_id.clone() />
                <button type="submit" class="danger" aria-label=label>{tr!(oidc.application_remove)}</button>
            </ActionForm>
        </li>
    }
}
