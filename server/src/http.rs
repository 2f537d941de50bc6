//! The HTTP surface: pages and server functions from `app`, static files, health checks and the
//! middleware around them. `router` is what `serve` runs and what the HTTP tests drive.

use std::path::Path;

use app::{shell, ssr::AppState, App};
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Redirect},
    routing::get,
    Router,
};
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::{limit::RequestBodyLimitLayer, set_header::SetResponseHeaderLayer};

/// Largest request body accepted anywhere: forms are small; anything bigger is refused (413).
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let options_public_url = state.settings.public_url.clone();
    let origin_guard = OriginGuard::new(&state.settings.public_url, state.settings.dev);
    let routes = route_list();
    let pkg_dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/", get(|| async { Redirect::to("/login") }))
        .route("/admin/audit.csv", get(crate::console_csv::audit_csv))
        .leptos_routes(&state, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .nest_service("/pkg", crate::assets::PkgFiles::new(&pkg_dir))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn(move |request, next| {
            let guard = origin_guard.clone();
            async move { guard.check(request, next).await }
        }))
        .layer(RequestBodyLimitLayer::new(BODY_LIMIT))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            // Same-origin keeps the Referer that no-JavaScript form posts are redirected back
            // to, and never sends one to another site (a documented deviation from
            // `no-referrer`: SECURITY.md).
            HeaderValue::from_static("same-origin"),
        ))
        // Pages set their own policy with the response's nonce (`app::ssr::page_csp`); every
        // other response (server functions, files, health checks) gets the strictest one.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(FALLBACK_CSP),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            axum::http::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        // Nothing dynamic is cached anywhere (SE-10); `/pkg` files set their own policy.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            hsts(&options_public_url),
        ))
        // Outermost: the request id, its span and the latency cover everything above.
        .layer(axum::middleware::from_fn(crate::observe::track))
        .with_state(state)
}

/// The application's routes, generated once per process.
///
/// Generating them renders the app with resource loading suppressed by a process-wide flag
/// (leptos_server's `SuppressResourceLoad`): a resource first polled by a page being rendered on
/// another thread at that moment never loads, and that response never ends (leptos issue
/// #4773). A server builds one router before it serves; the tests build many, concurrently, and
/// hung now and then until the list was made once, before any router can serve a request.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: std::sync::OnceLock<Vec<AxumRouteListing>> = std::sync::OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// The Content-Security-Policy of every response that is not a page.
pub const FALLBACK_CSP: &str =
    "default-src 'none'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// `Strict-Transport-Security` when the public URL is https (two years, subdomains); otherwise
/// none (a plain-http development server must not pin browsers to https).
fn hsts(public_url: &str) -> Option<HeaderValue> {
    public_url
        .to_ascii_lowercase()
        .starts_with("https://")
        .then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains"))
}

/// Refuses state-changing requests that a browser sends on behalf of another site (CSRF, login
/// CSRF included: CS-1, CS-2). Leptos server functions have no protection of their own.
///
/// A request with a method other than GET, HEAD or OPTIONS passes only if its `Origin` is the
/// configured public origin (in development mode also the origin the browser addressed, so that
/// both `localhost` and `127.0.0.1` work), or, without `Origin`, if `Sec-Fetch-Site` says
/// `same-origin` or `none`. Requests with neither header do not come from a browser page and
/// carry no ambient authority a third site could abuse, so they pass (scripts, tests, curl).
#[derive(Clone)]
pub struct OriginGuard {
    public_origin: String,
    dev: bool,
}

impl OriginGuard {
    pub fn new(public_url: &str, dev: bool) -> Self {
        Self {
            public_origin: origin_of(public_url),
            dev,
        }
    }

    /// Whether a request with these headers may change state.
    pub fn allows(&self, method: &axum::http::Method, headers: &axum::http::HeaderMap) -> bool {
        use axum::http::Method;
        if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return true;
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            if origin == self.public_origin {
                return true;
            }
            // Development: the origin of the address the browser used for this very request.
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            return self.dev
                && host.is_some_and(|host| {
                    origin == format!("http://{host}") || origin == format!("https://{host}")
                });
        }
        match headers.get("sec-fetch-site").map(|v| v.to_str()) {
            Some(Ok("same-origin" | "none")) => true,
            Some(_) => false,
            None => true,
        }
    }

    async fn check(
        self,
        request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        if self.allows(request.method(), request.headers()) {
            next.run(request).await
        } else {
            tracing::warn!(
                method = %request.method(),
                path = %request.uri().path(),
                origin = ?request.headers().get(header::ORIGIN),
                "cross-site request refused"
            );
            (StatusCode::FORBIDDEN, "Cross-site request refused.").into_response()
        }
    }
}

/// `scheme://host[:port]` of a URL, lower-cased, as browsers send it in `Origin`.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    format!(
        "{}://{}",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    )
}

/// Liveness: the process answers.
async fn healthz() -> impl IntoResponse {
    (StatusCode::OK, "ok")
}

/// Readiness: the database answers.
async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready"),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed: the database does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::hsts;

    #[test]
    fn hsts_only_for_an_https_public_url() {
        assert_eq!(
            hsts("https://id.example.org").unwrap(),
            "max-age=63072000; includeSubDomains"
        );
        assert_eq!(
            hsts("HTTPS://ID.EXAMPLE.ORG").unwrap(),
            "max-age=63072000; includeSubDomains"
        );
        assert!(hsts("http://127.0.0.1:3000").is_none());
    }
}
