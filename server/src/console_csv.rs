//! `GET /admin/audit.csv`: the audit log as CSV for operators (issue 6). A plain route, because
//! it is a file download rather than a server function; it authorises itself exactly as the
//! console's server functions do: a session (401 without), a full one (403 and an
//! `access.denied` event for a restricted emergency session), the role operator or admin read
//! for this request (403 and an `access.denied` event otherwise).

use app::api::console::{
    ssr::{audit_events, csv, event_row, Names},
    AuditFilters,
};
use app::ssr::{authorize_operator, client_of, cookie_in, session_cookie, AppState, ConsoleRole};
use axum::{
    extract::{Query, State},
    http::{header, Extensions, HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use identity::SessionToken;

/// Most events one export holds (the store's page limit).
const EXPORT_MAX: u32 = identity::AUDIT_QUERY_MAX_LIMIT;

pub async fn audit_csv(
    State(state): State<AppState>,
    extensions: Extensions,
    headers: HeaderMap,
    Query(filters): Query<AuditFilters>,
) -> Response {
    // The address the client middleware worked out (behind a trusted proxy: the forwarded one).
    let client = client_of(&extensions, &headers);
    let name = session_cookie(&state.settings);
    let token = cookie_in(&headers, name).and_then(SessionToken::parse);
    let plain = |status: StatusCode, text: &'static str| {
        (status, [(header::CACHE_CONTROL, "no-store")], text).into_response()
    };
    const WHAT: &str = "/admin/audit.csv";
    // The same guard chain as the console's server functions.
    let operator =
        match authorize_operator(&state, token, ConsoleRole::Operator, WHAT, &client).await {
            Ok(operator) => operator,
            Err(app::AppError::Unauthorized) => {
                return plain(StatusCode::UNAUTHORIZED, "Please sign in.")
            }
            Err(app::AppError::Forbidden) => return plain(StatusCode::FORBIDDEN, "Not allowed."),
            Err(error) => {
                tracing::error!(%error, "audit export failed");
                return plain(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong.");
            }
        };
    let events = match audit_events(&state, &operator, &filters, EXPORT_MAX).await {
        Ok(events) => events,
        Err(app::AppError::Invalid(message)) => {
            return (
                StatusCode::BAD_REQUEST,
                [(header::CACHE_CONTROL, "no-store")],
                message,
            )
                .into_response()
        }
        Err(_) => return plain(StatusCode::INTERNAL_SERVER_ERROR, "Something went wrong."),
    };
    let mut names = Names::new(&operator);
    let mut rows = Vec::with_capacity(events.len());
    for event in &events {
        rows.push(event_row(&state, &mut names, event).await);
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit.csv\"",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        csv(&rows),
    )
        .into_response()
}
