//! Response headers every page or server function sets: the Content-Security-Policy and
//! `Cache-Control: no-store`.

use super::*;

/// The Content-Security-Policy of a page (issue 8, CS rows): scripts only from this origin or
/// carrying this response's nonce (Leptos puts it on its hydration scripts), WebAssembly
/// compilation allowed for the front end, no plugins, no `<base>`, no framing, forms only to
/// this origin. Set by the shell on every page it renders, the error and 404 pages included.
pub fn page_csp() {
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    let script = match leptos::nonce::use_nonce() {
        Some(nonce) => format!("'self' 'nonce-{}' 'wasm-unsafe-eval'", nonce.as_inner()),
        None => "'self' 'wasm-unsafe-eval'".to_string(),
    };
    let policy = format!(
        "default-src 'self'; script-src {script}; style-src 'self'; img-src 'self' data:; \
         connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         frame-ancestors 'none'; form-action 'self'"
    );
    if let Ok(value) = HeaderValue::from_str(&policy) {
        response.insert_header(header::CONTENT_SECURITY_POLICY, value);
    }
}

/// Marks the response as private: authenticated pages are never cached (SE-10).
pub fn no_store() {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
}
