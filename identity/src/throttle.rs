//! Rate limits and lockout (security.md RL-1..RL-7, abuse cases 2 and 16): what is counted
//! ([`ThrottleKey`]), the rule each count follows ([`ThrottlePolicy`], pure and tested here),
//! and what a caller is told ([`ThrottleState`]). The counters themselves live in the database
//! (`throttle` table, [`crate::Store::throttle_check`] and friends), so every server instance
//! shares them.
//!
//! Two kinds of rule:
//!
//! - **Consecutive failures** per account and factor ([`ThrottleKey::account_factor`]): the
//!   first [`ThrottlePolicy::free_failures`] (5) are free; after `n ≥ 5` failures the next try
//!   waits `2^(n-5)` seconds (1 s, 2 s, 4 s, ...), at most 15 minutes (RL-3: delays, not a
//!   lock, so a victim's own sign-in still works and recovery is untouched, abuse case 16);
//!   after 100 the factor is refused until the count is cleared (RL-1). A success clears the
//!   count (RL-5). The key holds the account, never the IP or session, so guesses spread over
//!   sessions and addresses share one count (RL-2). Time alone never lowers the count.
//! - **Fixed windows** for client addresses ([`ThrottleKey::ip`]) and for sends
//!   ([`ThrottleKey::account_sends`], RL-7, OOB-9): at most `limit` events per window; at the
//!   limit the key is delayed until the window ends, then counting starts again.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use crate::store::AccountId;
use crate::time::Timestamp;

/// Longest text kept from a client address that does not parse as one.
const RAW_IP_MAX_CHARS: usize = 64;

/// A second factor (or the password) whose guesses are counted per account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Factor {
    /// The password step.
    Password,
    /// Authenticator-app codes.
    Totp,
    /// Codes sent by SMS or e-mail.
    OutOfBand,
    /// Emergency access codes (self-service or issued by an operator).
    EmergencyCode,
    /// The Emergency Access wizard's step-2 code, sent to the recovery address.
    RecoveryProof,
    /// Passkeys and security keys (answers to the WebAuthn prompt, issue 17).
    Passkey,
}

impl Factor {
    /// Every factor.
    pub const ALL: &'static [Self] = &[
        Self::Password,
        Self::Totp,
        Self::OutOfBand,
        Self::EmergencyCode,
        Self::RecoveryProof,
        Self::Passkey,
    ];

    /// The factor's name inside a key.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Totp => "totp",
            Self::OutOfBand => "oob",
            Self::EmergencyCode => "emergency",
            Self::RecoveryProof => "recovery",
            Self::Passkey => "passkey",
        }
    }
}

/// What a per-address limit protects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Failed sign-in steps (password or second factor) from one address.
    SignIn,
    /// SMS and e-mail codes sent at one address's request (OOB-9).
    CodeSend,
    /// Wizard starts (enrolment, recovery) from one address (RL-7).
    Wizard,
}

impl Scope {
    /// Every scope.
    pub const ALL: &'static [Self] = &[Self::SignIn, Self::CodeSend, Self::Wizard];

    /// The scope's name inside a key.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::SignIn => "signin",
            Self::CodeSend => "send",
            Self::Wizard => "wizard",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum KeyKind {
    AccountFactor(Factor),
    Ip(Scope),
    AccountSends,
    AccountWizard,
    UsernameAddressPassword,
    UsernameAlert,
}

/// What one counter counts. Made only by its constructors, so every key has one spelling and
/// one rule. Stored as text: `acct:12:totp`, `ip:203.0.113.9:signin`, `ip:2001:db8::/64:send`,
/// `acct:12:sends`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ThrottleKey {
    text: String,
    kind: KeyKind,
}

impl ThrottleKey {
    /// Consecutive failures of one factor of one account (RL-1, RL-2): the same count whatever
    /// the session, address or server instance the guesses come from.
    pub fn account_factor(account: AccountId, factor: Factor) -> Self {
        Self {
            text: format!("acct:{}:{}", account.0, factor.as_str()),
            kind: KeyKind::AccountFactor(factor),
        }
    }

    /// Events from one client address. The address is the one the server saw (the socket peer
    /// or a trusted proxy's header, never an untrusted `X-Forwarded-For`, RL-2), written in its
    /// canonical form; IPv4-mapped IPv6 counts as the IPv4 address, and IPv6 addresses are
    /// counted per /64 network, since one client usually holds a whole /64. Text that is not an
    /// address is kept as given (control characters dropped, at most 64 characters).
    pub fn ip(ip: &str, scope: Scope) -> Self {
        Self {
            text: format!("ip:{}:{}", ip_key(ip), scope.as_str()),
            kind: KeyKind::Ip(scope),
        }
    }

    /// Password guesses for one canonical username from one client address, whether or not
    /// such an account exists: the delays must not tell an attacker which usernames are real
    /// (abuse case 1). Keyed on the address as well as the name, so that whoever hammers a
    /// victim's name delays only their own address: the owner signing in or recovering from
    /// anywhere else is not slowed at all (RL-3, abuse case 16). Delays only, practically never
    /// a refusal. A missing address (no socket peer, as in some tests) counts as one address.
    pub fn username_password(username: &crate::Username, ip: Option<&str>) -> Self {
        let from = ip.map(ip_key).unwrap_or_else(|| "unknown".to_string());
        Self {
            text: format!("pw:{from}:{}", username.as_str()),
            kind: KeyKind::UsernameAddressPassword,
        }
    }

    /// Wrong passwords for one canonical username from every address together: a window whose
    /// limit only raises an alert (the owner is told, the event audited) and slows every
    /// address's delays from the first failure; it never refuses anyone, so a distributed
    /// attack cannot lock the owner out either.
    pub fn username_alert(username: &crate::Username) -> Self {
        Self {
            text: format!("name:{}:alert", username.as_str()),
            kind: KeyKind::UsernameAlert,
        }
    }

    /// SMS and e-mail codes sent for one account (RL-7, OOB-9), whatever the target.
    pub fn account_sends(account: AccountId) -> Self {
        Self {
            text: format!("acct:{}:sends", account.0),
            kind: KeyKind::AccountSends,
        }
    }

    /// Emergency Access wizard starts for one account (RL-7), whatever the address.
    pub fn account_wizard(account: AccountId) -> Self {
        Self {
            text: format!("acct:{}:wizard", account.0),
            kind: KeyKind::AccountWizard,
        }
    }

    /// The stored text of the key.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// What kind of counter this is, without the account or address: `acct_totp`,
    /// `username_password`, `ip_signin`, `account_sends`, … (a metrics label).
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            KeyKind::AccountFactor(Factor::Password) => "acct_password",
            KeyKind::AccountFactor(Factor::Totp) => "acct_totp",
            KeyKind::AccountFactor(Factor::OutOfBand) => "acct_oob",
            KeyKind::AccountFactor(Factor::EmergencyCode) => "acct_emergency_code",
            KeyKind::AccountFactor(Factor::Passkey) => "acct_passkey",
            KeyKind::AccountFactor(Factor::RecoveryProof) => "acct_recovery_proof",
            KeyKind::UsernameAddressPassword => "username_password",
            KeyKind::UsernameAlert => "username_alert",
            KeyKind::Ip(Scope::SignIn) => "ip_signin",
            KeyKind::Ip(Scope::CodeSend) => "ip_send",
            KeyKind::Ip(Scope::Wizard) => "ip_wizard",
            KeyKind::AccountSends => "account_sends",
            KeyKind::AccountWizard => "account_wizard",
        }
    }

    /// The factor of an account-and-factor key.
    pub fn factor(&self) -> Option<Factor> {
        match self.kind {
            KeyKind::AccountFactor(factor) => Some(factor),
            _ => None,
        }
    }
}

impl fmt::Debug for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ThrottleKey({})", self.text)
    }
}

impl fmt::Display for ThrottleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn ip_key(raw: &str) -> String {
    match raw.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
        Err(_) => raw
            .chars()
            .filter(|c| !c.is_control() && !c.is_whitespace())
            .take(RAW_IP_MAX_CHARS)
            .collect(),
    }
}

/// What a caller may do now with a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleState {
    /// Go ahead.
    Open,
    /// Not before `retry_after` has passed (answer 429 with `Retry-After`, RL-3).
    Delayed {
        /// How long to wait.
        retry_after: Duration,
    },
    /// Not at all until the count is cleared (100 consecutive failures of a factor, RL-1).
    Refused,
}

impl ThrottleState {
    /// Whether the caller may go ahead.
    pub fn is_open(self) -> bool {
        self == Self::Open
    }

    /// The wait in whole seconds, rounded up (for a `Retry-After` header); `None` unless
    /// delayed.
    pub fn retry_after_secs(self) -> Option<u64> {
        match self {
            Self::Delayed { retry_after } => {
                Some(retry_after.as_millis().div_ceil(1000).max(1) as u64)
            }
            _ => None,
        }
    }
}

/// One counter as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottleRecord {
    /// Failures (or sends) counted: consecutive ones, or those in the current window.
    pub failures: i64,
    /// When the current window (or run of consecutive failures) began.
    pub window_start: Timestamp,
    /// The last counted event.
    pub last_failure_at: Timestamp,
    /// Until when the key is delayed, if it is.
    pub blocked_until: Option<Timestamp>,
}

/// Consecutive failures: free, then doubling delays, then refusal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsecutiveLimit {
    /// Failures allowed without any delay.
    pub free_failures: i64,
    /// The delay after the first failure past the free ones; it doubles with each further one.
    pub first_delay: Duration,
    /// The longest delay.
    pub max_delay: Duration,
    /// At this many failures the key is refused until cleared.
    pub refuse_at: i64,
}

impl ConsecutiveLimit {
    /// The wait after `failures` consecutive failures: `None` while they are free, and also at
    /// or past [`Self::refuse_at`] (refused, no wait helps).
    pub fn delay_after(&self, failures: i64) -> Option<Duration> {
        if failures < self.free_failures || failures >= self.refuse_at {
            return None;
        }
        let doublings = u32::try_from(failures - self.free_failures).unwrap_or(u32::MAX);
        let delay = 2u32
            .checked_pow(doublings)
            .and_then(|factor| self.first_delay.checked_mul(factor))
            .unwrap_or(self.max_delay);
        Some(delay.min(self.max_delay))
    }
}

/// A fixed window: at most `limit` events per `window`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WindowLimit {
    /// Events allowed per window.
    pub limit: i64,
    /// The window's length, from its first event.
    pub window: Duration,
}

/// The rule one key follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThrottleRule {
    /// Per account and factor.
    Consecutive(ConsecutiveLimit),
    /// Per address, and sends per account.
    Window(WindowLimit),
}

impl ThrottleRule {
    /// What a key with `record` allows at `now`. A missing record is [`ThrottleState::Open`].
    pub fn state(&self, record: Option<&ThrottleRecord>, now: Timestamp) -> ThrottleState {
        let Some(r) = record else {
            return ThrottleState::Open;
        };
        match self {
            Self::Consecutive(rule) => {
                if r.failures >= rule.refuse_at {
                    ThrottleState::Refused
                } else {
                    wait_until(r.blocked_until, now)
                }
            }
            Self::Window(rule) => {
                let end = r.window_start.plus(rule.window);
                if end <= now || r.failures < rule.limit {
                    ThrottleState::Open
                } else {
                    wait_until(Some(end), now)
                }
            }
        }
    }
}

fn wait_until(until: Option<Timestamp>, now: Timestamp) -> ThrottleState {
    match until {
        Some(until) if until > now => ThrottleState::Delayed {
            retry_after: Duration::from_millis((until.as_millis() - now.as_millis()) as u64),
        },
        _ => ThrottleState::Open,
    }
}

/// The numbers behind every key. [`ThrottlePolicy::DEFAULT`] is what the store applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Per account and factor (RL-1, RL-3).
    pub account_factor: ConsecutiveLimit,
    /// Password guesses per username and address (delays only; see
    /// [`ThrottleKey::username_password`]).
    pub username_password: ConsecutiveLimit,
    /// The same once the username is under attack (its alert window is full): no free
    /// failures, so every address is slowed from its first wrong password.
    pub username_under_attack: ConsecutiveLimit,
    /// Wrong passwords per username from all addresses before the owner is alerted (see
    /// [`ThrottleKey::username_alert`]).
    pub username_alert: WindowLimit,
    /// Failed sign-in steps per address.
    pub ip_sign_in: WindowLimit,
    /// Code sends requested per address (OOB-9).
    pub ip_code_send: WindowLimit,
    /// Wizard starts per address (RL-7).
    pub ip_wizard: WindowLimit,
    /// Code sends per account (RL-7, OOB-9).
    pub account_sends: WindowLimit,
    /// Emergency Access wizard starts per account (RL-7).
    pub account_wizard: WindowLimit,
}

const FIFTEEN_MINUTES: Duration = Duration::from_secs(15 * 60);

impl ThrottlePolicy {
    /// 5 free failures, then 1 s doubling to at most 15 min, refused at 100 (per account and
    /// factor); per address 50 failed sign-in steps, 20 code sends and 20 wizard starts per 15
    /// minutes; per account 5 code sends and 5 Emergency Access wizard starts per 15 minutes.
    pub const DEFAULT: Self = Self {
        account_factor: ConsecutiveLimit {
            free_failures: 5,
            first_delay: Duration::from_secs(1),
            max_delay: FIFTEEN_MINUTES,
            refuse_at: 100,
        },
        // Refusal only after 10,000 consecutive failures, which the 15-minute delays stretch
        // over more than 100 days: in practice, delays only.
        username_password: ConsecutiveLimit {
            free_failures: 5,
            first_delay: Duration::from_secs(1),
            max_delay: FIFTEEN_MINUTES,
            refuse_at: 10_000,
        },
        username_under_attack: ConsecutiveLimit {
            free_failures: 0,
            first_delay: Duration::from_secs(1),
            max_delay: FIFTEEN_MINUTES,
            refuse_at: 10_000,
        },
        username_alert: WindowLimit {
            limit: 100,
            window: FIFTEEN_MINUTES,
        },
        ip_sign_in: WindowLimit {
            limit: 50,
            window: FIFTEEN_MINUTES,
        },
        ip_code_send: WindowLimit {
            limit: 20,
            window: FIFTEEN_MINUTES,
        },
        ip_wizard: WindowLimit {
            limit: 20,
            window: FIFTEEN_MINUTES,
        },
        account_sends: WindowLimit {
            limit: 5,
            window: FIFTEEN_MINUTES,
        },
        account_wizard: WindowLimit {
            limit: 5,
            window: FIFTEEN_MINUTES,
        },
    };

    /// The rule `key` follows.
    pub fn rule(&self, key: &ThrottleKey) -> ThrottleRule {
        match key.kind {
            KeyKind::AccountFactor(_) => ThrottleRule::Consecutive(self.account_factor),
            KeyKind::UsernameAddressPassword => ThrottleRule::Consecutive(self.username_password),
            KeyKind::UsernameAlert => ThrottleRule::Window(self.username_alert),
            KeyKind::Ip(Scope::SignIn) => ThrottleRule::Window(self.ip_sign_in),
            KeyKind::Ip(Scope::CodeSend) => ThrottleRule::Window(self.ip_code_send),
            KeyKind::Ip(Scope::Wizard) => ThrottleRule::Window(self.ip_wizard),
            KeyKind::AccountSends => ThrottleRule::Window(self.account_sends),
            KeyKind::AccountWizard => ThrottleRule::Window(self.account_wizard),
        }
    }

    /// The longest window of any windowed rule: rows of windowed keys older than this are dead.
    pub fn longest_window(&self) -> Duration {
        [
            self.ip_sign_in,
            self.ip_code_send,
            self.ip_wizard,
            self.account_sends,
            self.account_wizard,
            self.username_alert,
        ]
        .iter()
        .map(|w| w.window)
        .max()
        .unwrap_or(Duration::ZERO)
    }
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    fn consecutive() -> ConsecutiveLimit {
        ThrottlePolicy::DEFAULT.account_factor
    }

    fn record(failures: i64, blocked_until: Option<Timestamp>) -> ThrottleRecord {
        ThrottleRecord {
            failures,
            window_start: T0,
            last_failure_at: T0,
            blocked_until,
        }
    }

    #[test]
    fn rl3_first_five_failures_are_free_then_delays_double() {
        let rule = consecutive();
        for n in 0..5 {
            assert_eq!(rule.delay_after(n), None, "{n}");
        }
        assert_eq!(rule.delay_after(5), Some(secs(1)));
        assert_eq!(rule.delay_after(6), Some(secs(2)));
        assert_eq!(rule.delay_after(7), Some(secs(4)));
        assert_eq!(rule.delay_after(10), Some(secs(32)));
        assert_eq!(rule.delay_after(14), Some(secs(512)));
        // 2^10 s would be 17 min: capped at 15.
        assert_eq!(rule.delay_after(15), Some(secs(900)));
        assert_eq!(rule.delay_after(60), Some(secs(900)));
        assert_eq!(rule.delay_after(99), Some(secs(900)));
    }

    #[test]
    fn rl1_refused_at_100_whatever_the_time() {
        let rule = ThrottleRule::Consecutive(consecutive());
        assert_eq!(consecutive().delay_after(100), None);
        for failures in [100, 101, 300, i64::MAX] {
            for now in [T0, T0.plus(secs(86_400 * 365))] {
                assert_eq!(
                    rule.state(Some(&record(failures, None)), now),
                    ThrottleState::Refused
                );
            }
        }
        assert_eq!(rule.state(Some(&record(99, None)), T0), ThrottleState::Open);
    }

    #[test]
    fn rl3_delayed_until_blocked_until_then_open() {
        let rule = ThrottleRule::Consecutive(consecutive());
        let r = record(10, Some(T0.plus(secs(32))));
        assert_eq!(
            rule.state(Some(&r), T0),
            ThrottleState::Delayed {
                retry_after: secs(32)
            }
        );
        assert_eq!(
            rule.state(Some(&r), T0.plus(Duration::from_millis(31_500))),
            ThrottleState::Delayed {
                retry_after: Duration::from_millis(500)
            }
        );
        assert_eq!(rule.state(Some(&r), T0.plus(secs(32))), ThrottleState::Open);
        assert_eq!(rule.state(None, T0), ThrottleState::Open);
        assert_eq!(rule.state(Some(&record(3, None)), T0), ThrottleState::Open);
    }

    #[test]
    fn huge_counts_do_not_overflow() {
        let rule = ConsecutiveLimit {
            refuse_at: i64::MAX,
            ..consecutive()
        };
        assert_eq!(rule.delay_after(1_000_000), Some(secs(900)));
        assert_eq!(rule.delay_after(i64::MAX - 1), Some(secs(900)));
    }

    #[test]
    fn rl7_window_counts_then_resets_when_the_window_ends() {
        let policy = ThrottlePolicy::DEFAULT;
        let sends = policy.rule(&ThrottleKey::account_sends(AccountId(1)));
        assert_eq!(
            sends,
            ThrottleRule::Window(WindowLimit {
                limit: 5,
                window: secs(900)
            })
        );
        let at = |failures| ThrottleRecord {
            failures,
            window_start: T0,
            last_failure_at: T0.plus(secs(60)),
            blocked_until: None,
        };
        assert_eq!(
            sends.state(Some(&at(4)), T0.plus(secs(60))),
            ThrottleState::Open
        );
        assert_eq!(
            sends.state(Some(&at(5)), T0.plus(secs(60))),
            ThrottleState::Delayed {
                retry_after: secs(840)
            }
        );
        // The window ends 15 minutes after its first event: open again.
        assert_eq!(
            sends.state(Some(&at(5)), T0.plus(secs(900))),
            ThrottleState::Open
        );
        assert_eq!(
            sends.state(Some(&at(500)), T0.plus(secs(901))),
            ThrottleState::Open
        );
    }

    #[test]
    fn rl3_password_delays_are_per_username_and_address_and_the_alert_never_refuses() {
        let p = ThrottlePolicy::default();
        let alice = crate::Username::parse("Alice").unwrap();
        let from_a = ThrottleKey::username_password(&alice, Some("198.51.100.7"));
        let from_b = ThrottleKey::username_password(&alice, Some("198.51.100.8"));
        // One address's guesses never delay another address (abuse case 16).
        assert_ne!(from_a, from_b);
        assert_eq!(from_a.as_str(), "pw:198.51.100.7:alice");
        assert_eq!(
            ThrottleKey::username_password(&alice, Some("::ffff:198.51.100.7")),
            from_a
        );
        assert_eq!(
            ThrottleKey::username_password(&alice, None).as_str(),
            "pw:unknown:alice"
        );
        assert_eq!(
            p.rule(&from_a),
            ThrottleRule::Consecutive(ConsecutiveLimit {
                free_failures: 5,
                first_delay: secs(1),
                max_delay: secs(900),
                refuse_at: 10_000,
            })
        );
        assert_eq!(p.username_under_attack.free_failures, 0);
        assert_eq!(p.username_under_attack.delay_after(1), Some(secs(2)));
        let alert = ThrottleKey::username_alert(&alice);
        assert_eq!(alert.as_str(), "name:alice:alert");
        assert_eq!(
            p.rule(&alert),
            ThrottleRule::Window(WindowLimit {
                limit: 100,
                window: secs(900)
            })
        );
        assert_eq!(alert.kind_name(), "username_alert");
        assert_eq!(from_a.kind_name(), "username_password");
    }

    #[test]
    fn policy_numbers_per_key() {
        let p = ThrottlePolicy::default();
        let window = |key: ThrottleKey| match p.rule(&key) {
            ThrottleRule::Window(w) => (w.limit, w.window.as_secs()),
            other => panic!("{key:?}: {other:?}"),
        };
        assert_eq!(
            window(ThrottleKey::ip("192.0.2.1", Scope::SignIn)),
            (50, 900)
        );
        assert_eq!(
            window(ThrottleKey::ip("192.0.2.1", Scope::CodeSend)),
            (20, 900)
        );
        assert_eq!(
            window(ThrottleKey::ip("192.0.2.1", Scope::Wizard)),
            (20, 900)
        );
        assert_eq!(window(ThrottleKey::account_sends(AccountId(3))), (5, 900));
        assert_eq!(window(ThrottleKey::account_wizard(AccountId(3))), (5, 900));
        assert_eq!(
            ThrottleKey::account_wizard(AccountId(3)).as_str(),
            "acct:3:wizard"
        );
        for f in Factor::ALL {
            assert_eq!(
                p.rule(&ThrottleKey::account_factor(AccountId(3), *f)),
                ThrottleRule::Consecutive(ConsecutiveLimit {
                    free_failures: 5,
                    first_delay: secs(1),
                    max_delay: secs(900),
                    refuse_at: 100,
                })
            );
        }
        assert_eq!(p.longest_window(), secs(900));
    }

    #[test]
    fn rl2_keys_have_one_spelling_and_the_account_key_has_no_address() {
        assert_eq!(
            ThrottleKey::account_factor(AccountId(12), Factor::Totp).as_str(),
            "acct:12:totp"
        );
        assert_eq!(
            ThrottleKey::account_factor(AccountId(12), Factor::Password).as_str(),
            "acct:12:password"
        );
        assert_eq!(
            ThrottleKey::account_factor(AccountId(12), Factor::OutOfBand).as_str(),
            "acct:12:oob"
        );
        assert_eq!(
            ThrottleKey::account_factor(AccountId(12), Factor::EmergencyCode).as_str(),
            "acct:12:emergency"
        );
        assert_eq!(
            ThrottleKey::account_sends(AccountId(12)).as_str(),
            "acct:12:sends"
        );
        assert_eq!(
            ThrottleKey::ip("203.0.113.9", Scope::SignIn).as_str(),
            "ip:203.0.113.9:signin"
        );
        assert_eq!(
            ThrottleKey::ip(" 203.0.113.9 ", Scope::CodeSend).to_string(),
            "ip:203.0.113.9:send"
        );
        assert_eq!(
            format!("{:?}", ThrottleKey::ip("203.0.113.9", Scope::Wizard)),
            "ThrottleKey(ip:203.0.113.9:wizard)"
        );
    }

    #[test]
    fn ipv6_is_canonical_and_counted_per_64() {
        let a = ThrottleKey::ip("2001:DB8:0:0:1::1", Scope::SignIn);
        let b = ThrottleKey::ip("2001:db8::1:0:0:2", Scope::SignIn);
        assert_eq!(a.as_str(), "ip:2001:db8::/64:signin");
        assert_eq!(a, b);
        assert_ne!(a, ThrottleKey::ip("2001:db8:0:1::1", Scope::SignIn));
        // IPv4-mapped IPv6 (a dual-stack socket) is the IPv4 address.
        assert_eq!(
            ThrottleKey::ip("::ffff:203.0.113.9", Scope::SignIn),
            ThrottleKey::ip("203.0.113.9", Scope::SignIn)
        );
        // Not an address: kept, cleaned and bounded.
        let odd = ThrottleKey::ip("unknown\r\n", Scope::SignIn);
        assert_eq!(odd.as_str(), "ip:unknown:signin");
        let long = ThrottleKey::ip(&"x".repeat(1000), Scope::SignIn);
        assert_eq!(long.as_str().len(), "ip::signin".len() + 64);
    }

    #[test]
    fn retry_after_secs_rounds_up() {
        let d = |ms| ThrottleState::Delayed {
            retry_after: Duration::from_millis(ms),
        };
        assert_eq!(d(1).retry_after_secs(), Some(1));
        assert_eq!(d(1_000).retry_after_secs(), Some(1));
        assert_eq!(d(1_001).retry_after_secs(), Some(2));
        assert_eq!(d(0).retry_after_secs(), Some(1));
        assert_eq!(ThrottleState::Open.retry_after_secs(), None);
        assert_eq!(ThrottleState::Refused.retry_after_secs(), None);
        assert!(ThrottleState::Open.is_open());
        assert!(!ThrottleState::Refused.is_open());
    }
}
