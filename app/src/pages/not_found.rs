use leptos::prelude::*;
use leptos_meta::Title;

/// Shown for every address that is not a page; answered with status 404.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    // Part of the main module, not a lazily loaded route: interactive once it has hydrated.
    crate::mark_interactive();
    view! {
        <Title text=tr!(common.not_found_title) />
        <section class="card" aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">{tr!(common.not_found_title)}</h1>
            <p>{tr!(common.not_found_body)}</p>
            <p>
                <a class="button" href="/login">{tr!(common.go_to_sign_in)}</a>
            </p>
        </section>
    }
}
