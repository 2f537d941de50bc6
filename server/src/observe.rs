//! What whoever runs MAYI ID sees (issue 9): a request id on every request (taken from a valid
//! `X-Request-Id`, made up otherwise, sent back in the response) carried by a `tracing` span
//! over every log line the request writes; a latency histogram per route; and the Prometheus
//! recorder behind `/metrics`, which `runtime::serve` exposes only on its own listen address
//! (`MAYI_METRICS_LISTEN`), never on the public one.
//!
//! Labels come from fixed sets: the route *template* (`/api/my_tokens`, `/pkg/{*path}`, never a
//! raw path, which may carry a link's token), the method, the status class.

use std::{
    hash::{BuildHasher, Hasher},
    sync::{
        atomic::{AtomicU64, Ordering},
        OnceLock,
    },
    time::Instant,
};

use axum::{
    extract::{MatchedPath, Request},
    http::{HeaderName, HeaderValue, Method, StatusCode},
    middleware::Next,
    response::Response,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tracing::Instrument;

/// The request id header, read and sent back.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
/// Request latency by route, method and status class.
pub const HTTP_REQUEST_DURATION: &str = "mayi_http_request_duration_seconds";
/// Messages waiting in the outbox (pending, whether due or backing off).
pub const OUTBOX_QUEUE_DEPTH: &str = "mayi_outbox_queue_depth";
/// Messages handed to SMTP or the SMS gateway, by channel.
pub const OUTBOX_DELIVERED: &str = "mayi_outbox_delivered_total";
/// Delivery attempts that failed (to be retried, or given up after the last), by channel.
pub const OUTBOX_DELIVERY_FAILURES: &str = "mayi_outbox_delivery_failures_total";

/// Histogram buckets in seconds: from a fast page (1 ms) past a slow argon2 queue (2.5 s).
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];

/// The process's Prometheus recorder, installed as the global `metrics` recorder on first use.
pub fn metrics() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
            .expect("the bucket list is not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Fails only if something else installed a recorder first; ours then renders nothing.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed");
        }
        describe();
        handle
    })
}

/// Help texts for `/metrics`.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(
        identity::SIGN_IN_STEPS,
        "Sign-in steps by factor and outcome (success, failure, rate_limited)"
    );
    describe_counter!(
        identity::EMERGENCY_CODES_ISSUED,
        "Emergency access codes issued, by issuer"
    );
    describe_counter!(
        identity::EMERGENCY_CODES_USED,
        "Emergency access code uses accepted"
    );
    describe_counter!(
        identity::RATE_LIMIT_REFUSALS,
        "Requests a rate limit refused, by the kind of counter"
    );
    describe_histogram!(
        identity::ARGON2_QUEUE_WAIT,
        Unit::Seconds,
        "Time a password hashing job waited for a slot on the argon2 pool"
    );
    describe_counter!(
        identity::ARGON2_BUSY,
        "Password hashing jobs refused with 503 because the pool stayed full"
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Request latency by route template, method and status class"
    );
    describe_gauge!(OUTBOX_QUEUE_DEPTH, "Messages waiting in the outbox");
    describe_counter!(OUTBOX_DELIVERED, "Messages delivered, by channel");
    describe_counter!(
        OUTBOX_DELIVERY_FAILURES,
        "Delivery attempts that failed, by channel"
    );
}

/// The middleware: request id, span, latency. Outermost, so it times everything.
pub async fn track(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| is_valid_request_id(v))
        .map(str::to_string)
        .unwrap_or_else(new_request_id);
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string());
    let span = tracing::info_span!(
        "request",
        request_id = %id,
        method,
        route = route.as_deref().unwrap_or("unmatched"),
        // Filled in by the client-address middleware (`http::client_address`).
        client = tracing::field::Empty,
    );
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status();
    let elapsed = started.elapsed();
    let route = match route {
        // A 404 on a catch-all route says nothing about that route's speed.
        Some(route) if status != StatusCode::NOT_FOUND => route,
        _ => "unmatched".to_string(),
    };
    metrics::histogram!(
        HTTP_REQUEST_DURATION,
        "route" => route,
        "method" => method,
        "status" => status_class(status),
    )
    .record(elapsed.as_secs_f64());
    span.in_scope(|| {
        tracing::debug!(
            status = status.as_u16(),
            micros = elapsed.as_micros() as u64,
            "request done"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// A request id from upstream is kept if it is 1 to 64 characters of `A-Z a-z 0-9 . _ -`.
pub fn is_valid_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// A new id: a random per-process prefix and a counter, unique across instances in practice.
fn new_request_id() -> String {
    static PREFIX: OnceLock<u64> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        hasher.finish()
    });
    format!("{prefix:016x}-{:x}", NEXT.fetch_add(1, Ordering::Relaxed))
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::HEAD => "HEAD",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_request_ids_are_kept_only_when_plain_and_short() {
        assert!(is_valid_request_id("4bf92f3577b34da6-a3ce929d0e0e4736"));
        assert!(is_valid_request_id("req_1.2-3"));
        assert!(!is_valid_request_id(""));
        assert!(!is_valid_request_id(&"a".repeat(65)));
        assert!(!is_valid_request_id("id with spaces"));
        assert!(!is_valid_request_id("id\r\nSet-Cookie: x=1"));
        assert!(!is_valid_request_id("ünïcode"));
    }

    #[test]
    fn new_request_ids_differ_and_are_valid() {
        let (a, b) = (new_request_id(), new_request_id());
        assert_ne!(a, b);
        assert!(is_valid_request_id(&a), "{a}");
    }

    #[test]
    fn labels_come_from_fixed_sets() {
        assert_eq!(method_label(&Method::POST), "POST");
        assert_eq!(method_label(&Method::PATCH), "other");
        assert_eq!(status_class(StatusCode::OK), "2xx");
        assert_eq!(status_class(StatusCode::TOO_MANY_REQUESTS), "4xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }
}
