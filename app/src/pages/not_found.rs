use leptos::prelude::*;
use leptos_meta::Title;

use crate::text;

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
        <Title text=text::NOT_FOUND_TITLE />
        <section class="card" aria-labelledby="not-found-heading">
            <h1 id="not-found-heading">{text::NOT_FOUND_TITLE}</h1>
            <p>{text::NOT_FOUND_BODY}</p>
            <p>
                <a class="button" href="/login">{text::GO_TO_SIGN_IN}</a>
            </p>
        </section>
    }
}
