//! Response headers every page or server function sets: the Content-Security-Policy and
//! `Cache-Control: no-store`.

use super::*;

/// The Content-Security-Policy of a page (issue 8, CS rows): scripts only from this origin or
/// carrying this response's `nonce` (none when empty; Leptos puts it on its hydration scripts),
/// WebAssembly compilation allowed for the front end, no plugins, no `<base>`, no framing, forms
/// only to this origin. The server sets it on every HTML response (`server::http`), the error
/// and 404 pages included.
pub fn page_policy(nonce: &str) -> String {
    let script = if nonce.is_empty() {
        "'self' 'wasm-unsafe-eval'".to_string()
    } else {
        format!("'self' 'nonce-{nonce}' 'wasm-unsafe-eval'")
    };
    format!(
        "default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    )
}

/// Makes the nonce the server made for this request (a request extension, `server::http`) the
/// page's: its hydration scripts then carry the nonce that the response's policy names. Called by
/// the shell on every page.
pub fn provide_request_nonce() {
    let nonce = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<leptos::nonce::Nonce>().cloned());
    if let Some(nonce) = nonce {
        provide_context(nonce);
    }
}

/// Marks the response as private: authenticated pages are never cached (SE-10).
pub fn no_store() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
