//! What the benchmarks measure with, beside the test kit (`tests/support`, whose requests,
//! accounts and server processes they use): the argon2 measurements, benchmark accounts with
//! TOTP tokens, one full password + TOTP sign-in over HTTP, latency quantiles and CPU samples
//! from `/proc`. Each bench binary (`signin`, `suite`) includes it with `mod measure;` and uses
//! a part.
#![allow(dead_code)]

use identity::testing::StoreAccess;
use std::collections::BTreeMap;
use std::future::Future;
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use identity::{
    testing::TestStore, AccountId, NewToken, PasswordHash, PasswordHasher, Role, SeedCipher,
    TokenId, TotpSecret, TOTP_STEP_SECS,
};

use crate::support::{
    client::{sign_in, verify_totp},
    fixtures::{new_account, now_secs, password, totp_token, PASSWORD},
    remote::Remote,
};

/// Concurrent writers while creating the accounts.
pub const SETUP_TASKS: usize = 8;

/// Verifies per job when measuring argon2 with one job per core.
pub const ARGON2_PARALLEL_RUNS: u32 = 10;

/// Sequential verifies averaged for the argon2 time.
pub const ARGON2_RUNS: u32 = 20;

/// One account the virtual users sign in as.
pub struct BenchAccount {
    pub account: AccountId,
    pub username: String,
    pub token: TokenId,
    pub secret: TotpSecret,
    /// The TOTP step of its last code, so that no code is sent twice in one step.
    pub last_step: AtomicI64,
}

/// The server's password hasher (one argon2 job per core) and the accounts' password hash.
pub async fn hasher_and_hash() -> Result<(PasswordHasher, PasswordHash), String> {
    let hasher = PasswordHasher::new(None).map_err(|e| e.to_string())?;
    let hash = hasher
        .hash(&password())
        .await
        .map_err(|e| format!("hashing the benchmark password: {e}"))?;
    Ok((hasher, hash))
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
                let new = new_account(
                    &username,
                    &format!("Bench User {i}"),
                    Role::User,
                    hash.clone(),
                );
                let account = store
                    .create_account(new)
                    .await
                    .map_err(|e| format!("create account {username}: {}", e.detail()))?;
                let secret = TotpSecret::generate();
                let token = NewToken {
                    device: Some("Bench phone".into()),
                    ..totp_token(&cipher, account, &secret)
                };
                let token = store
                    .insert_token(token)
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
    remote: &Remote,
    accounts: &[BenchAccount],
    next: &AtomicUsize,
) -> Result<SignedIn, String> {
    let account = &accounts[next.fetch_add(1, Ordering::Relaxed) % accounts.len()];
    let started = Instant::now();
    let attempt = remote
        .cookie_from(sign_in(&account.username, PASSWORD), "mayi_signin")
        .await
        .map_err(|e| format!("sign_in: {e}"))?;
    let sign_in = started.elapsed();

    // A code is accepted once per step and account: wait for the next step if this account
    // already sent one in this step.
    let mut now = now_secs();
    let mut step = (now / TOTP_STEP_SECS) as i64;
    while account.last_step.load(Ordering::Relaxed) >= step {
        REUSE_WAITS.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(Duration::from_millis(200)).await;
        now = now_secs();
        step = (now / TOTP_STEP_SECS) as i64;
    }
    account.last_step.store(step, Ordering::Relaxed);
    let code = account.secret.code_at(now);

    let started = Instant::now();
    let session = remote
        .cookie_from(
            verify_totp(&attempt, account.token.0, &code),
            "mayi_session",
        )
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

/// The sign-in load: `users` virtual users on the server at `base` for `duration`, each signing
/// in again and again ([`sign_in_once`], the accounts taken in turn by `next`). Returns what
/// they saw, how long it took (until the last in-flight sign-in ended), and up to 4 sessions
/// of each user.
pub async fn sign_in_load(
    base: &str,
    users: usize,
    accounts: &Arc<Vec<BenchAccount>>,
    next: &Arc<AtomicUsize>,
    duration: Duration,
) -> Result<(UserResult, Duration, Vec<String>), String> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..users {
        let remote = Remote::new(base)?;
        let accounts = Arc::clone(accounts);
        let next = Arc::clone(next);
        tasks.spawn(async move {
            let mut result = UserResult::default();
            let mut sessions = Vec::new();
            while Instant::now() < deadline {
                match sign_in_once(&remote, &accounts, &next).await {
                    Ok(signed_in) => {
                        result.successes.push(signed_in.timing);
                        if sessions.len() < 4 {
                            sessions.push(signed_in.session);
                        }
                    }
                    Err(failure) => *result.failures.entry(failure).or_default() += 1,
                }
            }
            (result, sessions)
        });
    }
    let mut total = UserResult::default();
    let mut sessions = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (result, s) = joined.map_err(|e| format!("a virtual user panicked: {e}"))?;
        total.successes.extend(result.successes);
        for (failure, count) in result.failures {
            *total.failures.entry(failure).or_default() += count;
        }
        sessions.extend(s);
    }
    Ok((total, started.elapsed(), sessions))
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

/// Peak resident set size so far (`VmHWM`) of the process `pid`, in bytes.
pub fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// CPU time (user + system) of the process `pid` so far, in seconds.
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Runs a bench's `run` on a runtime like `mayi-id`'s (`server::cli::main`: multi-thread, one
/// worker per core). Exit status 0 when it returns `Ok(true)`, 1 on `Ok(false)` or an error
/// (printed after `name: `).
pub fn run_on_runtime(name: &str, run: impl Future<Output = Result<bool, String>>) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{name}: cannot start the tokio runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("{name}: {message}");
            ExitCode::FAILURE
        }
    }
}
