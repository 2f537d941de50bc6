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
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower::Layer;
use tower_http::{
    limit::RequestBodyLimitLayer,
    services::ServeDir,
    set_header::{SetResponseHeader, SetResponseHeaderLayer},
};

/// Largest request body accepted anywhere: forms are small; anything bigger is refused (413).
pub const BODY_LIMIT: usize = 64 * 1024;

pub fn router(state: AppState) -> Router {
    let options = state.leptos_options.clone();
    let routes = generate_route_list(App);
    let pkg_dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);

    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/", get(|| async { Redirect::to("/login") }))
        .leptos_routes(&state, routes, {
            let options = options.clone();
            move || shell(options.clone())
        })
        .nest_service("/pkg", static_files(&pkg_dir))
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
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
            // to, and never sends one to another site.
            HeaderValue::from_static("same-origin"),
        ))
        .with_state(state)
}

/// The front end's files, served precompressed (brotli, gzip) when the build made them. Their
/// names carry no hash, so browsers revalidate them (cheaply, by ETag/Last-Modified).
fn static_files(dir: &Path) -> SetResponseHeader<ServeDir, HeaderValue> {
    SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"))
        .layer(ServeDir::new(dir).precompressed_br().precompressed_gzip())
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
