//! Sign-in throughput: full password + TOTP sign-ins per second through the real router, over
//! real HTTP on loopback, compared with what argon2 alone allows on this machine.
//!
//! ```sh
//! cargo bench -p server --bench signin                          # SQLite, 4 users, 20 s
//! cargo bench -p server --bench signin -- --backend postgres --duration 30 --concurrency 8
//! make bench-signin                                              # the same, via the Makefile
//! ```
//!
//! Options (or environment variables): `--duration SECS` (`MAYI_BENCH_DURATION`, default 20),
//! `--concurrency N` (`MAYI_BENCH_CONCURRENCY`, default 4), `--backend sqlite|postgres`
//! (`MAYI_BENCH_BACKEND`, default sqlite). PostgreSQL comes from `MAYI_TEST_POSTGRES_URL`
//! (default `postgres://postgres@127.0.0.1:5432/test`), in a fresh schema dropped afterwards.
//!
//! What it does:
//! 1. measures the mean wall time of one `PasswordHasher::verify` (one at a time: the argon2
//!    time of the ratio), the verifies per second with one job per core, and argon2's pure
//!    computing time (the `argon2` crate with its 19 MiB reused: no fresh memory to fault in);
//! 2. creates a fresh store (SQLite: a temporary file, WAL, on disk, as in production) with
//!    enough accounts, each with one active TOTP token, that no account signs in twice within
//!    one 30-s TOTP step (a code is accepted once per step: replay protection). One password
//!    hash is computed once and shared by every account;
//! 3. serves `server::http::router` on 127.0.0.1:0 in this process (multi-thread runtime) and
//!    runs `concurrency` virtual users for the duration, each (as the hydrated page, with
//!    `Accept: application/json` and a same-origin `Origin`): `POST /api/sign_in`, take the
//!    `mayi_signin` cookie, `POST /api/verify_code` with the current TOTP code, expect a
//!    `mayi_session` cookie. Only full successes count; every failure is counted and shown;
//! 4. prints one table: rate, latencies, and ratio = (sign-ins/s) ÷ (cores ÷ argon2 seconds),
//!    target ≥ 0.8; then what explains it: argon2 again after the run, page faults, the CPU
//!    this process and the machine used per sign-in, and a warning when other processes were
//!    busy (on a shared machine, run it when nothing else is).
//!
//! Exit status: 0 when every sign-in succeeded (whatever the ratio), 1 on any failure, 2 on bad
//! arguments.

mod measure;
#[path = "../tests/support/mod.rs"]
mod support;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use identity::TOTP_STEP_SECS;
use measure::*;
use support::{
    fixtures::cipher,
    harness::{router_for, site},
    remote::Remote,
};

const TARGET_RATIO: f64 = 0.8;
/// Accounts are sized for this much more than argon2's ceiling, so that none is reused within
/// a TOTP step even if the measured argon2 time was pessimistic.
const RATE_HEADROOM: f64 = 1.5;
/// An account is not reused sooner than this (one TOTP step plus a margin).
const REUSE_AFTER: Duration = Duration::from_secs(TOTP_STEP_SECS + 5);
/// Hard bounds, so that a wrong measurement cannot make the setup run for ever.
const MAX_ACCOUNTS: usize = 50_000;
const MAX_DURATION: Duration = Duration::from_secs(600);
const MAX_CONCURRENCY: usize = 256;
/// Other processes using more CPU than this (in cores) during a measurement spoil it.
const QUIET_OTHERS_CORES: f64 = 0.2;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sqlite => "sqlite",
            Self::Postgres => "postgres",
        }
    }
}

#[derive(Debug)]
struct Options {
    duration: Duration,
    concurrency: usize,
    backend: Backend,
}

fn main() -> ExitCode {
    let options = match parse_options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("signin bench: {message}");
            eprintln!(
                "usage: cargo bench -p server --bench signin -- \
                 [--duration SECS] [--concurrency N] [--backend sqlite|postgres]"
            );
            return ExitCode::from(2);
        }
    };
    // sqlx's slow-statement warnings are left out by default: account creation, many writers
    // on one SQLite file, trips them and they say nothing the table does not.
    let filter = std::env::var("MAYI_LOG").unwrap_or_else(|_| "warn,sqlx::query=error".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&filter)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .try_init();

    run_on_runtime("signin bench", run(options))
}

fn parse_options() -> Result<Options, String> {
    let mut duration = env_or("MAYI_BENCH_DURATION", "20");
    let mut concurrency = env_or("MAYI_BENCH_CONCURRENCY", "4");
    let mut backend = env_or("MAYI_BENCH_BACKEND", "sqlite");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (arg.clone(), None),
        };
        let slot = match name.as_str() {
            // `cargo bench` passes `--bench` to every bench binary.
            "--bench" => continue,
            "--duration" => &mut duration,
            "--concurrency" => &mut concurrency,
            "--backend" => &mut backend,
            _ => return Err(format!("unknown argument {arg:?}")),
        };
        *slot = match inline {
            Some(value) => value,
            None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
    }
    let secs: f64 = duration
        .trim_end_matches('s')
        .parse()
        .map_err(|_| format!("duration {duration:?} is not a number of seconds"))?;
    if !(secs > 0.0 && secs <= MAX_DURATION.as_secs_f64()) {
        return Err(format!(
            "duration must be more than 0 and at most {} s",
            MAX_DURATION.as_secs()
        ));
    }
    let concurrency: usize = concurrency
        .parse()
        .map_err(|_| format!("concurrency {concurrency:?} is not a whole number"))?;
    if concurrency == 0 || concurrency > MAX_CONCURRENCY {
        return Err(format!("concurrency must be 1 to {MAX_CONCURRENCY}"));
    }
    let backend = match backend.as_str() {
        "sqlite" => Backend::Sqlite,
        "postgres" | "postgresql" => Backend::Postgres,
        other => return Err(format!("backend {other:?}: use sqlite or postgres")),
    };
    Ok(Options {
        duration: Duration::from_secs_f64(secs),
        concurrency,
        backend,
    })
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_string())
}

/// Runs the benchmark; `Ok(false)` when some sign-in failed.
async fn run(options: Options) -> Result<bool, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load_before = load_average();

    // 1. argon2, alone.
    let (hasher, hash) = hasher_and_hash().await?;
    let argon2_cpu_before = CpuSample::now();
    let argon2 = argon2_mean(&hasher, &hash).await?;
    let argon2_cpu = CpuSample::now().since(&argon2_cpu_before);
    let argon2_parallel = argon2_parallel_rate(&hasher, &hash, cores).await?;
    let argon2_compute = tokio::task::spawn_blocking(argon2_compute_mean)
        .await
        .map_err(|e| e.to_string())??;
    let ideal = cores as f64 / argon2.mean.as_secs_f64();
    eprintln!(
        "argon2: {:.1} ms per verify (mean of {ARGON2_RUNS}), {:.1} verifies/s with {cores} \
         parallel jobs; cores ÷ argon2 = {ideal:.1}/s",
        ms(argon2.mean),
        argon2_parallel
    );

    // 2. a fresh store with enough accounts.
    let test_store = match options.backend {
        Backend::Sqlite => identity::testing::sqlite().await,
        Backend::Postgres => identity::testing::postgres()
            .await
            .ok_or("PostgreSQL is not reachable (see MAYI_TEST_POSTGRES_URL)")?,
    };
    let rate_bound = ideal.max(argon2_parallel) * RATE_HEADROOM;
    let window = options.duration.min(REUSE_AFTER).as_secs_f64();
    let wanted = (rate_bound * window).ceil() as usize + options.concurrency;
    let account_count = wanted.clamp(50, MAX_ACCOUNTS);
    // The router's key: the accounts' seeds are sealed with it.
    let cipher = Arc::new(cipher());
    let setup_started = Instant::now();
    let accounts = create_accounts(&test_store, &hash, &cipher, "bench", account_count).await?;
    let setup = setup_started.elapsed();
    eprintln!(
        "store: {} with {account_count} accounts (one TOTP token each), created in {:.1} s",
        options.backend.as_str(),
        setup.as_secs_f64()
    );

    // 3. the real router on loopback.
    let site = site();
    let router = router_for(
        &test_store,
        site.path(),
        hasher.clone(),
        true,
        Vec::new(),
        identity::EmergencyPolicy::SELF_SERVICE_DEFAULT,
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let address = listener.local_addr().map_err(|e| e.to_string())?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
    });
    let base = format!("http://{address}");

    // One sign-in first: a broken flow stops here, with its reason, before any measurement.
    let next = Arc::new(AtomicUsize::new(0));
    if let Err(failure) = sign_in_once(&Remote::new(&base)?, &accounts, &next).await {
        let _ = stop.send(());
        return Err(format!("the first sign-in failed: {failure}"));
    }

    // 4. the load.
    let cpu_before = CpuSample::now();
    let (total, elapsed, _) = sign_in_load(
        &base,
        options.concurrency,
        &accounts,
        &next,
        options.duration,
    )
    .await?;
    let cpu = CpuSample::now().since(&cpu_before);
    let _ = stop.send(());
    let _ = server.await;

    let argon2_after = argon2_mean(&hasher, &hash).await?;
    let reuse_waits = REUSE_WAITS.load(Ordering::Relaxed) as u64;
    report(&Report {
        options: &options,
        cores,
        argon2,
        argon2_after,
        argon2_cpu,
        argon2_parallel,
        argon2_compute,
        account_count,
        setup,
        elapsed,
        result: &total,
        cpu,
        load_before,
        reuse_waits,
    });
    drop(test_store);
    Ok(total.failures.is_empty())
}

struct Report<'a> {
    options: &'a Options,
    cores: usize,
    argon2: Argon2Time,
    argon2_after: Argon2Time,
    /// CPU use while `argon2` was measured (one job: anything above 1 core is someone else).
    argon2_cpu: CpuUse,
    argon2_parallel: f64,
    argon2_compute: Argon2Time,
    account_count: usize,
    setup: Duration,
    elapsed: Duration,
    result: &'a UserResult,
    cpu: CpuUse,
    load_before: Option<String>,
    reuse_waits: u64,
}

fn report(r: &Report<'_>) {
    let successes = r.result.successes.len();
    let failures: u64 = r.result.failures.values().sum();
    let rate = successes as f64 / r.elapsed.as_secs_f64();
    let argon2_s = r.argon2.mean.as_secs_f64();
    let ideal = r.cores as f64 / argon2_s;
    let ratio = rate / ideal;
    let ratio_after = rate * r.argon2_after.mean.as_secs_f64() / r.cores as f64;
    let totals = sorted(r.result.successes.iter().map(|t| t.total()).collect());
    let sign_ins = sorted(r.result.successes.iter().map(|t| t.sign_in).collect());
    let verifies = sorted(r.result.successes.iter().map(|t| t.verify).collect());
    let date = app::ssr::format_utc(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    );
    let verdict = if ratio >= TARGET_RATIO {
        "met"
    } else {
        "NOT met"
    };
    let two = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.2}"));
    let whole = |v: Option<f64>| v.map_or("n/a".to_string(), |v| format!("{v:.0}"));

    println!();
    println!(
        "MAYI ID sign-in benchmark: password + TOTP over HTTP, real router, {} virtual users, \
         {:.0} s",
        r.options.concurrency,
        r.options.duration.as_secs_f64()
    );
    println!();
    println!(
        "| date | cores | backend | argon2 ms/hash | sign-ins/s | p50 ms | p99 ms | ratio | target | failures |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    println!(
        "| {date} | {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | ≥ {TARGET_RATIO} ({verdict}) | {failures} |",
        r.cores,
        r.options.backend.as_str(),
        ms(r.argon2.mean),
        rate,
        ms(quantile(&totals, 0.50)),
        ms(quantile(&totals, 0.99)),
        ratio,
    );
    println!();
    println!(
        "ratio = (sign-ins/s) ÷ (cores ÷ argon2 s) = {rate:.1} ÷ ({} ÷ {argon2_s:.4}) = \
         {rate:.1} ÷ {ideal:.1}; with the argon2 time measured after the run: {ratio_after:.2}",
        r.cores
    );
    println!(
        "sign-ins: {successes} in {:.2} s (until the last in-flight one ended); latency of a \
         full sign-in p50 / p99 {:.1} / {:.1} ms: sign_in {:.1} / {:.1} ms, verify_code \
         {:.1} / {:.1} ms",
        r.elapsed.as_secs_f64(),
        ms(quantile(&totals, 0.50)),
        ms(quantile(&totals, 0.99)),
        ms(quantile(&sign_ins, 0.50)),
        ms(quantile(&sign_ins, 0.99)),
        ms(quantile(&verifies, 0.50)),
        ms(quantile(&verifies, 0.99)),
    );
    println!(
        "argon2 (PasswordHasher::verify, mean of {ARGON2_RUNS}, one at a time): {:.1} ms before \
         the run ({} page faults per verify), {:.1} ms after ({} page faults per verify); \
         {:.1} verifies/s with {} parallel jobs before the run",
        ms(r.argon2.mean),
        whole(r.argon2.faults_per_verify),
        ms(r.argon2_after.mean),
        whole(r.argon2_after.faults_per_verify),
        r.argon2_parallel,
        r.cores,
    );
    println!(
        "argon2 compute alone (argon2 crate, 19 MiB allocated once and reused): {:.1} ms per \
         hash ({} page faults); ratio against it: {:.2}",
        ms(r.argon2_compute.mean),
        whole(r.argon2_compute.faults_per_verify),
        rate * r.argon2_compute.mean.as_secs_f64() / r.cores as f64,
    );
    if let (Some(process), Some(machine)) =
        (r.argon2_cpu.process_cores, r.argon2_cpu.machine_busy_cores)
    {
        println!(
            "  while argon2 was measured: this process {process:.2} cores, other processes \
             {:.2} cores",
            (machine - process).max(0.0),
        );
    }
    println!(
        "concurrency: tokio multi-thread runtime with {} workers (one per core, as \
         mayi-id's); server and load generator in this process; PasswordHasher::new \
         allows {} argon2 jobs at once (one per core) on tokio's blocking pool, waiting up to \
         2 s for a slot; argon2id m=19456 KiB, t=2, p=1 (one thread per hash)",
        r.cores, r.cores
    );
    println!(
        "store: {} ({}), {} accounts with one TOTP token each, created in {:.1} s; waits for \
         a fresh TOTP step: {}",
        r.options.backend.as_str(),
        match r.options.backend {
            Backend::Sqlite => "temporary file on disk, WAL, pool of 8, as in production",
            Backend::Postgres => "fresh schema, identity::testing pool of 4 connections",
        },
        r.account_count,
        r.setup.as_secs_f64(),
        r.reuse_waits,
    );
    println!(
        "CPU during the run: this process {} cores, whole machine busy {} of {} cores{}; load \
         average before: {}",
        two(r.cpu.process_cores),
        two(r.cpu.machine_busy_cores),
        r.cores,
        match r.options.backend {
            Backend::Sqlite => "",
            Backend::Postgres => " (PostgreSQL's server processes included)",
        },
        r.load_before.as_deref().unwrap_or("n/a"),
    );
    if successes > 0 {
        let per = |total: f64| total / successes as f64;
        let per_ms = |cores: Option<f64>| cores.map(|c| per(c * r.elapsed.as_secs_f64() * 1000.0));
        let process_ms = per_ms(r.cpu.process_cores);
        let machine_ms = per_ms(r.cpu.machine_busy_cores);
        println!(
            "per sign-in during the run: {} ms of CPU in this process (server + load \
             generator), {} ms on the whole machine; {} page faults",
            two(process_ms),
            two(machine_ms),
            whole(r.cpu.faults.map(|f| per(f as f64))),
        );
        // On PostgreSQL the database's CPU is spent outside this process.
        let cpu_ms = match r.options.backend {
            Backend::Sqlite => process_ms,
            Backend::Postgres => machine_ms,
        };
        if let Some(cpu_ms) = cpu_ms {
            let compute = r.argon2_compute.mean;
            println!(
                "  argon2 compute ({:.1} ms) is {:.0} % of the {:.1} ms: with every core busy, \
                 that caps sign-ins/s at {:.1} = ratio {:.2} against that argon2 time; the \
                 rest is argon2's memory, HTTP, server functions, the store and the load \
                 generator",
                ms(compute),
                100.0 * ms(compute) / cpu_ms,
                cpu_ms,
                r.cores as f64 * 1000.0 / cpu_ms,
                ms(compute) / cpu_ms,
            );
        }
    }
    let others = |cpu: &CpuUse| {
        cpu.process_cores
            .zip(cpu.machine_busy_cores)
            .map(|(process, machine)| (machine - process).max(0.0))
    };
    // PostgreSQL's own processes are busy during the run: only the argon2 measurement counts.
    let run_others = match r.options.backend {
        Backend::Sqlite => others(&r.cpu),
        Backend::Postgres => None,
    };
    let busy = [others(&r.argon2_cpu), run_others]
        .into_iter()
        .flatten()
        .fold(0.0, f64::max);
    if busy > QUIET_OTHERS_CORES {
        println!(
            "WARNING: other processes used up to {busy:.2} cores during the measurements: the \
             machine was not quiet and these numbers are not representative; run again"
        );
    }
    let drift = r.argon2_after.mean.as_secs_f64() / argon2_s - 1.0;
    if drift.abs() > 0.10 {
        println!(
            "NOTE: argon2 took {:+.0} % as long after the run as before it: the ratio depends on \
             which time is used (page faults and other processes above tell why)",
            100.0 * drift,
        );
    }
    if failures > 0 {
        println!();
        println!("FAILURES ({failures}), by kind:");
        for (failure, count) in &r.result.failures {
            println!("  {count:>6} × {failure}");
        }
    }
}
