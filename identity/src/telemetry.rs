//! Counters and histograms for whoever runs MAYI ID (issue 9), through the `metrics` facade.
//! The server installs a Prometheus recorder and serves it on its metrics address; without a
//! recorder (the tests, the command line) every call here does nothing. Labels take values from
//! small fixed sets only (factor names, outcomes, key kinds), never from user input, so the
//! number of series stays bounded.

use std::time::Duration;

use crate::throttle::{Factor, ThrottleKey};

/// Sign-in steps by factor and outcome.
pub const SIGN_IN_STEPS: &str = "mayi_sign_in_steps_total";
/// Emergency access codes issued, by issuer (`self_service`, `operator`).
pub const EMERGENCY_CODES_ISSUED: &str = "mayi_emergency_codes_issued_total";
/// Emergency access codes used to sign in (one per accepted use).
pub const EMERGENCY_CODES_USED: &str = "mayi_emergency_codes_used_total";
/// Requests refused by a rate limit (429 or refused), by the kind of counter that refused.
pub const RATE_LIMIT_REFUSALS: &str = "mayi_rate_limit_refusals_total";
/// Time a password hashing job waited for a free slot on the bounded argon2 pool.
pub const ARGON2_QUEUE_WAIT: &str = "mayi_argon2_queue_wait_seconds";
/// Password hashing jobs refused because the pool stayed full (answered 503).
pub const ARGON2_BUSY: &str = "mayi_argon2_busy_total";

/// One sign-in step ended: `outcome` is `success`, `failure` or `rate_limited`.
pub(crate) fn sign_in_step(factor: Factor, outcome: &'static str) {
    metrics::counter!(SIGN_IN_STEPS, "factor" => factor.as_str(), "outcome" => outcome)
        .increment(1);
}

/// A code was issued by `issuer` (its stored name).
pub(crate) fn emergency_code_issued(issuer: &'static str) {
    metrics::counter!(EMERGENCY_CODES_ISSUED, "issuer" => issuer).increment(1);
}

/// One use of a code was accepted.
pub(crate) fn emergency_code_used() {
    metrics::counter!(EMERGENCY_CODES_USED).increment(1);
}

/// A rate limit said no to `key`.
pub(crate) fn rate_limited(key: &ThrottleKey) {
    metrics::counter!(RATE_LIMIT_REFUSALS, "key" => key.kind_name()).increment(1);
}

/// A hashing job got its slot after `waited`.
pub(crate) fn argon2_waited(waited: Duration) {
    metrics::histogram!(ARGON2_QUEUE_WAIT).record(waited.as_secs_f64());
}

/// A hashing job gave up waiting for a slot.
pub(crate) fn argon2_busy() {
    metrics::counter!(ARGON2_BUSY).increment(1);
}
