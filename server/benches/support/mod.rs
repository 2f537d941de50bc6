//! What the benchmarks share: the argon2 measurements, benchmark accounts with TOTP tokens,
//! one full password + TOTP sign-in over HTTP, latency quantiles and CPU samples from `/proc`.
//! Each bench binary (`signin`, `suite`) includes it with `mod support;` and uses a part.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use identity::{
    testing::TestStore, AccountId, AccountState, NewAccount, NewToken, Password, PasswordHash,
    PasswordHasher, Role, SeedCipher, TokenId, TokenKind, TokenState, TotpSecret, Username,
    TOTP_STEP_SECS,
};
use reqwest::header;

/// One HTTP request may take at most this long (a stuck server fails the run, not hangs it).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Concurrent writers while creating the accounts.
pub const SETUP_TASKS: usize = 8;

/// Verifies per job when measuring argon2 with one job per core.
pub const ARGON2_PARALLEL_RUNS: u32 = 10;

/// Sequential verifies averaged for the argon2 time.
pub const ARGON2_RUNS: u32 = 20;

pub const PASSWORD: &str = "benchmark passphrase, not a secret";

/// One account the virtual users sign in as.
pub struct BenchAccount {
    pub account: AccountId,
    pub username: String,
    pub token: TokenId,
    pub secret: TotpSecret,
    /// The TOTP step of its last code, so that no code is sent twice in one step.
    pub last_step: AtomicI64,
}

pub fn password() -> Password {
    Password::new(PASSWORD.to_string()).expect("the benchmark password meets the policy")
}

/// One-at-a-time verifies: their mean wall time, and the minor page faults each caused (argon2
/// works in 19 MiB: ~4,900 faults when that memory is freshly mapped for every hash, ~0 when
/// the allocator reuses it).
#[derive(Clone, Copy)]
pub struct Argon2Time {
    pub mean: Duration,
    pub faults_per_verify: Option<f64>,
}

/// Mean wall time of one verify, one at a time, after one unmeasured warm-up.
pub async fn argon2_mean(
    hasher: &PasswordHasher,
    hash: &PasswordHash,
) -> Result<Argon2Time, String> {
    let password = password();
    let verify = || async {
        match hasher.verify(&password, hash).await {
            Ok(true) => Ok(()),
            Ok(false) => Err("the benchmark password does not verify".to_string()),
            Err(e) => Err(format!("argon2 verify: {e}")),
        }
    };
    verify().await?;
    let faults_before = minor_faults();
    let started = Instant::now();
    for _ in 0..ARGON2_RUNS {
        verify().await?;
    }
    let mean = started.elapsed() / ARGON2_RUNS;
    let faults_per_verify = match (faults_before, minor_faults()) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) as f64 / f64::from(ARGON2_RUNS)),
        _ => None,
    };
    Ok(Argon2Time {
        mean,
        faults_per_verify,
    })
}

/// argon2id with PasswordHasher's parameters, called directly on one thread with its 19 MiB
/// allocated once and reused: the hash's pure computing time, without the cost of fresh memory
/// that `argon2::Argon2::hash_password_into` (used by `verify`) may pay on every call.
pub fn argon2_compute_mean() -> Result<Argon2Time, String> {
    use argon2::{Algorithm, Argon2, Block, Params, Version};
    let params = Params::new(19_456, 2, 1, Some(32)).map_err(|e| e.to_string())?;
    let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut memory = vec![Block::default(); params.block_count()];
    let mut out = [0u8; 32];
    let mut run = || {
        argon2
            .hash_password_into_with_memory(
                PASSWORD.as_bytes(),
                b"sixteen byte slt",
                &mut out,
                &mut memory,
            )
            .map_err(|e| format!("argon2: {e}"))
    };
    run()?;
    let faults_before = minor_faults();
    let started = Instant::now();
    for _ in 0..ARGON2_RUNS {
        run()?;
    }
    let mean = started.elapsed() / ARGON2_RUNS;
    Ok(Argon2Time {
        mean,
        faults_per_verify: faults_before
            .zip(minor_faults())
            .map(|(a, b)| b.saturating_sub(a) as f64 / f64::from(ARGON2_RUNS)),
    })
}

/// Minor page faults of this process so far (Linux `/proc/self/stat`, field 10).
pub fn minor_faults() -> Option<u64> {
    proc_self_stat_field(10)
}

/// Field `n` (1-based, as in proc(5)) of `/proc/self/stat`, as a number.
pub fn proc_self_stat_field(n: usize) -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The fields after the parenthesised command name start with field 3.
    let rest = stat.rsplit_once(')')?.1;
    rest.split_whitespace().nth(n.checked_sub(3)?)?.parse().ok()
}

/// Verifies per second with one job per core: argon2's real ceiling on this machine (memory
/// bandwidth and other processes included).
pub async fn argon2_parallel_rate(
    hasher: &PasswordHasher,
    hash: &PasswordHash,
    jobs: usize,
) -> Result<f64, String> {
    let started = Instant::now();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..jobs {
        let hasher = hasher.clone();
        let hash = hash.clone();
        set.spawn(async move {
            let password = password();
            for _ in 0..ARGON2_PARALLEL_RUNS {
                if !hasher
                    .verify(&password, &hash)
                    .await
                    .map_err(|e| e.to_string())?
                {
                    return Err("the benchmark password does not verify".to_string());
                }
            }
            Ok(())
        });
    }
    while let Some(joined) = set.join_next().await {
        joined.map_err(|e| e.to_string())??;
    }
    Ok((jobs as u32 * ARGON2_PARALLEL_RUNS) as f64 / started.elapsed().as_secs_f64())
}

/// `count` accounts `bench-00000`…, each with one active TOTP token of its own random seed,
/// created through the store's API by a few concurrent tasks.
pub async fn create_accounts(
    store: &TestStore,
    hash: &PasswordHash,
    cipher: &Arc<SeedCipher>,
    prefix: &str,
    count: usize,
) -> Result<Arc<Vec<BenchAccount>>, String> {
    let mut tasks = tokio::task::JoinSet::new();
    for task in 0..SETUP_TASKS {
        let store = store.store.clone();
        let hash = hash.clone();
        let cipher = Arc::clone(cipher);
        let prefix = prefix.to_string();
        tasks.spawn(async move {
            let mut made = Vec::new();
            for i in (task..count).step_by(SETUP_TASKS) {
                let username = format!("{prefix}-{i:05}");
                let account = store
                    .create_account(NewAccount {
                        username: Username::parse(&username).map_err(|e| e.to_string())?,
                        display_name: format!("Bench User {i}"),
                        password_hash: hash.clone(),
                        role: Role::User,
                        state: AccountState::Active,
                    })
                    .await
                    .map_err(|e| format!("create account {username}: {}", e.detail()))?;
                let secret = TotpSecret::generate();
                let sealed = secret.seal(&cipher, account).map_err(|e| e.to_string())?;
                let token = store
                    .insert_token(NewToken {
                        account_id: account,
                        kind: TokenKind::Totp,
                        label: "Authenticator app".into(),
                        device: Some("Bench phone".into()),
                        state: TokenState::Active,
                        secret_enc: Some(sealed),
                        target: None,
                    })
                    .await
                    .map_err(|e| format!("insert token for {username}: {}", e.detail()))?;
                made.push((
                    i,
                    BenchAccount {
                        account,
                        username,
                        token,
                        secret,
                        last_step: AtomicI64::new(i64::MIN),
                    },
                ));
            }
            Ok::<_, String>(made)
        });
    }
    let mut all = Vec::with_capacity(count);
    while let Some(joined) = tasks.join_next().await {
        all.extend(joined.map_err(|e| e.to_string())??);
    }
    all.sort_by_key(|(i, _)| *i);
    Ok(Arc::new(all.into_iter().map(|(_, a)| a).collect()))
}

pub fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        // A server function answers with a redirect to the next page; the page is not wanted.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .user_agent("mayi-id signin bench")
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

/// A successful sign-in: how long it took and the session cookie (`name=value`) it opened.
pub struct SignedIn {
    pub timing: Timing,
    pub session: String,
}

/// Times of one successful sign-in.
#[derive(Clone, Copy)]
pub struct Timing {
    pub sign_in: Duration,
    pub verify: Duration,
}

impl Timing {
    pub fn total(self) -> Duration {
        self.sign_in + self.verify
    }
}

#[derive(Default)]
pub struct UserResult {
    pub successes: Vec<Timing>,
    /// Failure description → how many times.
    pub failures: BTreeMap<String, u64>,
}

/// Times a sign-in had to wait for the next TOTP step because its account was used in this one
/// (never, when the accounts are sized right).
pub static REUSE_WAITS: AtomicUsize = AtomicUsize::new(0);

/// One full sign-in as a browser with JavaScript makes it: password, then the TOTP code.
pub async fn sign_in_once(
    client: &reqwest::Client,
    base: &str,
    accounts: &[BenchAccount],
    next: &AtomicUsize,
) -> Result<SignedIn, String> {
    let account = &accounts[next.fetch_add(1, Ordering::Relaxed) % accounts.len()];
    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/sign_in"))
        .header(header::ACCEPT, "application/json")
        // As the hydrated page sends it (the router refuses cross-site posts).
        .header(header::ORIGIN, base)
        .form(&[
            ("username", account.username.as_str()),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .map_err(|e| format!("sign_in: request failed: {}", error_chain(&e)))?;
    let attempt = expect_cookie(response, "mayi_signin")
        .await
        .map_err(|e| format!("sign_in: {e}"))?;
    let sign_in = started.elapsed();

    // A code is accepted once per step and account: wait for the next step if this account
    // already sent one in this step.
    let mut now = unix_secs();
    let mut step = (now / TOTP_STEP_SECS) as i64;
    while account.last_step.load(Ordering::Relaxed) >= step {
        REUSE_WAITS.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(200)).await;
        now = unix_secs();
        step = (now / TOTP_STEP_SECS) as i64;
    }
    account.last_step.store(step, Ordering::Relaxed);
    let code = account.secret.code_at(now);

    let started = Instant::now();
    let response = client
        .post(format!("{base}/api/verify_code"))
        .header(header::ACCEPT, "application/json")
        .header(header::ORIGIN, base)
        .header(header::COOKIE, attempt)
        .form(&[
            ("token_id", account.token.0.to_string().as_str()),
            ("kind", "totp"),
            ("code", code.as_str()),
        ])
        .send()
        .await
        .map_err(|e| format!("verify_code: request failed: {}", error_chain(&e)))?;
    let session = expect_cookie(response, "mayi_session")
        .await
        .map_err(|e| format!("verify_code: {e}"))?;
    Ok(SignedIn {
        timing: Timing {
            sign_in,
            verify: started.elapsed(),
        },
        session,
    })
}

/// `name=value` of a non-empty cookie the (successful) response sets, or why not.
pub async fn expect_cookie(response: reqwest::Response, name: &str) -> Result<String, String> {
    let status = response.status();
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|pair| {
            pair.split_once('=')
                .is_some_and(|(n, v)| n.trim() == name && !v.is_empty())
        })
        .map(str::to_string);
    let body = response.text().await.unwrap_or_default();
    match cookie {
        Some(cookie) if status.is_success() || status.is_redirection() => Ok(cookie),
        _ => {
            let body: String = body.chars().take(160).collect();
            Err(format!("HTTP {status}, no {name} cookie; body: {body}"))
        }
    }
}

pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

pub fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `q`-quantile (nearest rank) of sorted durations.
pub fn quantile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub fn sorted(mut v: Vec<Duration>) -> Vec<Duration> {
    v.sort_unstable();
    v
}

/// CPU time of this process and of the whole machine (Linux `/proc`), to tell how much of the
/// machine the benchmark had.
#[derive(Clone, Copy)]
pub struct CpuSample {
    at: Instant,
    /// This process, user + system, in clock ticks.
    process_ticks: Option<u64>,
    /// All CPUs: (busy, total) clock ticks.
    machine_ticks: Option<(u64, u64)>,
    /// This process's minor page faults.
    faults: Option<u64>,
}

/// What a run used: cores' worth of CPU for this process and for the machine.
#[derive(Clone, Copy)]
pub struct CpuUse {
    pub process_cores: Option<f64>,
    pub machine_busy_cores: Option<f64>,
    /// Minor page faults of this process.
    pub faults: Option<u64>,
}

impl CpuSample {
    pub fn now() -> Self {
        // utime and stime.
        let process_ticks = proc_self_stat_field(14)
            .zip(proc_self_stat_field(15))
            .map(|(u, s)| u + s);
        let machine_ticks = std::fs::read_to_string("/proc/stat").ok().and_then(|stat| {
            let line = stat.lines().next()?;
            let values: Vec<u64> = line
                .split_whitespace()
                .skip(1)
                .filter_map(|v| v.parse().ok())
                .collect();
            let total: u64 = values.iter().take(8).sum();
            // idle + iowait
            let idle = values.get(3)? + values.get(4).copied().unwrap_or(0);
            Some((total - idle, total))
        });
        Self {
            at: Instant::now(),
            process_ticks,
            machine_ticks,
            faults: minor_faults(),
        }
    }

    pub fn since(&self, before: &Self) -> CpuUse {
        // Linux reports both in USER_HZ, which is 100 on every common configuration.
        const TICKS_PER_SEC: f64 = 100.0;
        let wall = self.at.duration_since(before.at).as_secs_f64();
        let process_cores = match (self.process_ticks, before.process_ticks) {
            (Some(a), Some(b)) if wall > 0.0 => {
                Some(a.saturating_sub(b) as f64 / TICKS_PER_SEC / wall)
            }
            _ => None,
        };
        let machine_busy_cores = match (self.machine_ticks, before.machine_ticks) {
            (Some((busy_a, _)), Some((busy_b, _))) if wall > 0.0 => {
                Some(busy_a.saturating_sub(busy_b) as f64 / TICKS_PER_SEC / wall)
            }
            _ => None,
        };
        CpuUse {
            process_cores,
            machine_busy_cores,
            faults: self
                .faults
                .zip(before.faults)
                .map(|(a, b)| a.saturating_sub(b)),
        }
    }
}

pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    Some(
        text.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    )
}
