//! Time as the domain sees it: UTC instants in unix milliseconds, read from an injectable clock so
//! that expiry, TOTP windows and rate limits can be tested at chosen instants (OTP-8: the server
//! clock is the only clock).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// An instant, in milliseconds since the unix epoch (UTC). Stored as a 64-bit integer column.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Timestamp(i64);

impl Timestamp {
    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: i64) -> Self {
        Self(millis)
    }

    /// The instant `secs` seconds after the epoch.
    pub const fn from_unix_secs(secs: i64) -> Self {
        Self(secs.saturating_mul(1000))
    }

    /// The system clock now. Prefer a [`Clock`] in code that tests need to steer.
    pub fn now() -> Self {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
            .unwrap_or(0);
        Self(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn as_millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch, as TOTP wants them (instants before 1970 count as 0).
    pub const fn unix_secs(self) -> u64 {
        if self.0 < 0 {
            0
        } else {
            (self.0 / 1000) as u64
        }
    }

    /// This instant moved back by `d` (saturating).
    pub fn minus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_sub(ms))
    }

    /// This instant moved forward by `d` (saturating).
    pub fn plus(self, d: Duration) -> Self {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Self(self.0.saturating_add(ms))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ms", self.0)
    }
}

/// Where the domain reads "now". Production uses [`SystemClock`]; tests use a manual clock.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_secs_truncates_and_clamps() {
        assert_eq!(Timestamp::from_millis(59_999).unix_secs(), 59);
        assert_eq!(Timestamp::from_millis(-5).unix_secs(), 0);
        assert_eq!(Timestamp::from_unix_secs(59).as_millis(), 59_000);
    }

    #[test]
    fn plus_moves_forward() {
        let t = Timestamp::from_millis(1_000).plus(Duration::from_secs(2));
        assert_eq!(t.as_millis(), 3_000);
    }

    #[test]
    fn system_clock_is_after_2020() {
        assert!(SystemClock.now().as_millis() > 1_577_836_800_000);
    }
}
