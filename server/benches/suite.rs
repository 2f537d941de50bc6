//! `make bench`: MAYI ID's performance table (issue 9), measured against the real release
//! server (`target/release/mayi-id`, started as its own process on a fresh database) over HTTP on
//! loopback, with a small Rust load generator in this process.
//!
//! ```sh
//! make bench                                     # builds in release, then runs this
//! cargo bench -p server --bench suite -- --signin-seconds 20 --rps-seconds 10
//! ```
//!
//! Options (or environment variables): `--binary PATH` (`MAYI_BENCH_BINARY`, default
//! `target/release/mayi-id`), `--site-root DIR` (`MAYI_BENCH_SITE_ROOT`, default `target/site`,
//! built by `cargo xtask build --release`), `--signin-seconds S` (default 20), `--rps-seconds S`
//! (default 10), `--verifications N` (default 3000, each kind), `--connections N` (default 8,
//! for the requests-per-second rows), `--sqlite-synchronous full|normal`
//! (`MAYI_BENCH_SQLITE_SYNCHRONOUS`, default `full` as the server's own). PostgreSQL comes from `MAYI_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`), in a fresh schema dropped afterwards; without it
//! the PostgreSQL row says so.
//!
//! Rows:
//! - argon2: mean time of one `PasswordHasher::verify`, measured at start, one at a time;
//! - sign-ins: password + TOTP, as the hydrated page makes them, 4 virtual users for 20 s, p50
//!   and p99, and the ratio to `cores ÷ argon2 time` (target ≥ 0.8), on SQLite and PostgreSQL;
//! - the token list server function (session checked) in requests/s beside a bare axum
//!   hello-world (this very binary, `--hello-world PORT`, its own process), as a ratio (≥ 0.3);
//! - the server-rendered sign-in page in requests/s (≥ 5,000);
//! - TOTP and emergency-code verifications/s (step 2 of sign-in, each one opening a session;
//!   the attempts are created in the database beforehand, so no argon2 is in them; ≥ 2,000);
//! - the server's peak RSS over the whole run (`VmHWM`, ≤ 100 MB);
//! - the first route's wasm + JS, brotli (≤ 150 KB), and the sign-in page's whole transfer.
//!
//! Every load is bounded in time and count; every request has a timeout. Exit status 0 when
//! every request succeeded (whatever the figures), 1 otherwise, 2 on bad arguments.

mod measure;
#[path = "../tests/support/mod.rs"]
mod support;

use identity::testing::StoreAccess;
use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::Request;
use identity::{
    testing::TestStore, CodeHasher, EmergencyCode, SeedCipher, Timestamp, EMERGENCY_CODE_KEY_LABEL,
};
use measure::*;
use support::{
    client::{get, page, post, verify_totp, with_header},
    fixtures::{attempt_cookie, now_secs},
    remote::{error_chain, free_port, serve, Process, Remote},
};

const VIRTUAL_USERS: usize = 4;
/// Accounts for the sign-in load are sized for this much more than argon2's ceiling.
const RATE_HEADROOM: f64 = 1.5;
/// An account signs in at most once per TOTP step (replay protection): a window that long.
const REUSE_WINDOW: Duration = Duration::from_secs(35);
const MAX_ACCOUNTS: usize = 20_000;
const MAX_SECONDS: f64 = 300.0;
const MAX_VERIFICATIONS: usize = 20_000;
const MAX_CONNECTIONS: usize = 64;
/// One load phase never sends more than this many requests, whatever the rate.
const MAX_REQUESTS: u64 = 5_000_000;
/// A verification phase stops after this long even if attempts are left.
const VERIFY_TIME_CAP: Duration = Duration::from_secs(60);

mod target {
    pub const SIGNIN_RATIO: f64 = 0.8;
    pub const FN_RATIO: f64 = 0.3;
    pub const PAGE_RPS: f64 = 5000.0;
    pub const VERIFY_RPS: f64 = 2000.0;
    pub const RSS_MB: f64 = 100.0;
    pub const FIRST_ROUTE_KB: f64 = 150.0;
}

struct Options {
    binary: PathBuf,
    site_root: PathBuf,
    signin: Duration,
    rps: Duration,
    verifications: usize,
    connections: usize,
    /// `synchronous` of the SQLite database (the server's default is `full`).
    sqlite_synchronous: String,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--hello-world") {
        return hello_world(args.get(1).map(String::as_str).unwrap_or("0"));
    }
    let options = match parse_options(&args) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("bench: {message}");
            eprintln!(
                "usage: cargo bench -p server --bench suite -- [--binary PATH] [--site-root DIR] \
                 [--signin-seconds S] [--rps-seconds S] [--verifications N] [--connections N]"
            );
            return ExitCode::from(2);
        }
    };
    run_on_runtime("bench", run(options))
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let env = |name: &str| std::env::var(name).ok();
    let (mut binary, mut site_root) = support::remote::bench_defaults();
    let (mut signin, mut rps, mut verifications, mut connections) = (20.0, 10.0, 3000, 8);
    let mut sqlite_synchronous = env("MAYI_BENCH_SQLITE_SYNCHRONOUS").unwrap_or("full".into());
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{arg} needs a value"));
        let seconds = |v: String| -> Result<f64, String> {
            let s: f64 = v
                .parse()
                .map_err(|_| format!("{v:?} is not a number of seconds"))?;
            (s > 0.0 && s <= MAX_SECONDS).then_some(s).ok_or(format!(
                "seconds must be more than 0 and at most {MAX_SECONDS}"
            ))
        };
        let count = |v: String, max: usize| -> Result<usize, String> {
            let n: usize = v
                .parse()
                .map_err(|_| format!("{v:?} is not a whole number"))?;
            (1..=max)
                .contains(&n)
                .then_some(n)
                .ok_or(format!("{n} is not between 1 and {max}"))
        };
        match arg.as_str() {
            "--bench" => {} // `cargo bench` passes it to every bench binary
            "--binary" => binary = PathBuf::from(value()?),
            "--site-root" => site_root = PathBuf::from(value()?),
            "--signin-seconds" => signin = seconds(value()?)?,
            "--rps-seconds" => rps = seconds(value()?)?,
            "--verifications" => verifications = count(value()?, MAX_VERIFICATIONS)?,
            "--connections" => connections = count(value()?, MAX_CONNECTIONS)?,
            "--sqlite-synchronous" => sqlite_synchronous = value()?,
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if !binary.is_file() {
        return Err(format!(
            "{} does not exist: build it with `cargo xtask build --release` (`make bench` does)",
            binary.display()
        ));
    }
    if !matches!(sqlite_synchronous.as_str(), "full" | "normal") {
        return Err("--sqlite-synchronous must be full or normal".into());
    }
    Ok(Options {
        sqlite_synchronous,
        binary,
        site_root,
        signin: Duration::from_secs_f64(signin),
        rps: Duration::from_secs_f64(rps),
        verifications,
        connections,
    })
}

/// The bare axum baseline: one route answering a constant, on the same runtime setup as
/// `mayi-id` (multi-thread, one worker per core), in its own process.
fn hello_world(port: &str) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async {
        let app = axum::Router::new().route("/", axum::routing::get(|| async { "Hello, World!" }));
        let listener = tokio::net::TcpListener::bind(format!("127.0.0.1:{port}"))
            .await
            .expect("bind the hello-world port");
        axum::serve(listener, app).await.expect("serve");
    });
    ExitCode::SUCCESS
}

/// `mayi-id serve` on `url`, as an operator would start it (its default log level, its own
/// pools), development mode only so that no SMTP server or SMS gateway is needed (messages are
/// logged instead) and plain-http cookies work. Every client is 127.0.0.1, so the per-address
/// windows are raised as for a campus behind one NAT.
async fn start_server(options: &Options, url: &str, dir: &Path) -> Result<Process, String> {
    let raised = [
        "MAYI_LIMIT_ADDRESS_FAILURES",
        "MAYI_LIMIT_ADDRESS_SENDS",
        "MAYI_LIMIT_ADDRESS_WIZARD_STARTS",
    ]
    .map(|name| (name, "100000".to_string()));
    serve(
        &options.binary,
        "server",
        url,
        dir,
        &options.site_root,
        &raised,
    )
    .await
}

async fn start_hello_world() -> Result<Process, String> {
    let port = free_port()?;
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let log = std::env::temp_dir().join(format!("mayi-bench-hello-{port}.log"));
    let mut command = Command::new(exe);
    command.args(["--hello-world", &port.to_string()]);
    Process::start(command, format!("http://127.0.0.1:{port}"), log, "/").await
}

/// Requests per second of one kind of request, `connections` keep-alive connections for
/// `duration` (and at most [`MAX_REQUESTS`]); only the expected status counts as a success.
#[derive(Default)]
struct Rate {
    ok: u64,
    failed: u64,
    seconds: f64,
    p50: Duration,
    p99: Duration,
}

impl Rate {
    fn per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.ok as f64 / self.seconds
        } else {
            0.0
        }
    }
}

async fn measure_rate<F>(
    base: &str,
    connections: usize,
    duration: Duration,
    request: F,
) -> Result<Rate, String>
where
    F: Fn() -> Request<String> + Send + Sync + 'static,
{
    let request = Arc::new(request);
    let sent = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let deadline = started + duration;
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let remote = Remote::new(base)?;
        let request = Arc::clone(&request);
        let sent = Arc::clone(&sent);
        workers.spawn(async move {
            let (mut ok, mut failed, mut times) = (0u64, 0u64, Vec::new());
            while Instant::now() < deadline && sent.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS {
                let at = Instant::now();
                match remote.execute(request()).await {
                    Ok(response) if response.status().is_success() => {
                        // Read the whole body: a request is done when its answer is.
                        if response.bytes().await.is_ok() {
                            ok += 1;
                            times.push(at.elapsed());
                        } else {
                            failed += 1;
                        }
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed, times)
        });
    }
    let mut rate = Rate::default();
    let mut times = Vec::new();
    while let Some(joined) = workers.join_next().await {
        let (ok, failed, t) = joined.map_err(|e| e.to_string())?;
        rate.ok += ok;
        rate.failed += failed;
        times.extend(t);
    }
    rate.seconds = started.elapsed().as_secs_f64();
    let times = sorted(times);
    rate.p50 = quantile(&times, 0.5);
    rate.p99 = quantile(&times, 0.99);
    Ok(rate)
}

/// Posts each verification once, `connections` at a time, and counts those that opened a
/// session (a `mayi_session` cookie).
async fn measure_verifications(
    base: &str,
    path: &'static str,
    connections: usize,
    queue: Vec<Request<String>>,
) -> Result<Rate, String> {
    let queue = Arc::new(Mutex::new(VecDeque::from(queue)));
    let started = Instant::now();
    let deadline = started + VERIFY_TIME_CAP;
    let mut workers = tokio::task::JoinSet::new();
    let failures = Arc::new(AtomicUsize::new(0));
    for _ in 0..connections {
        let remote = Remote::new(base)?;
        let queue = Arc::clone(&queue);
        let failures = Arc::clone(&failures);
        workers.spawn(async move {
            let mut times = Vec::new();
            loop {
                let next = queue.lock().map(|mut q| q.pop_front()).unwrap_or(None);
                let Some(request) = next else { break };
                if Instant::now() > deadline {
                    break;
                }
                let at = Instant::now();
                match remote.cookie_from(request, "mayi_session").await {
                    Ok(_) => times.push(at.elapsed()),
                    Err(e) => {
                        if failures.fetch_add(1, Ordering::Relaxed) < 3 {
                            eprintln!("bench: {path}: {e}");
                        }
                    }
                }
            }
            times
        });
    }
    let mut times = Vec::new();
    while let Some(joined) = workers.join_next().await {
        times.extend(joined.map_err(|e| e.to_string())?);
    }
    let seconds = started.elapsed().as_secs_f64();
    let times = sorted(times);
    Ok(Rate {
        ok: times.len() as u64,
        failed: failures.load(Ordering::Relaxed) as u64,
        seconds,
        p50: quantile(&times, 0.5),
        p99: quantile(&times, 0.99),
    })
}

struct SignInRow {
    backend: &'static str,
    rate: f64,
    p50: Duration,
    p99: Duration,
    failures: u64,
    server_cpu_ms: Option<f64>,
}

/// What the SQLite server measured beside its sign-ins.
struct SqliteRows {
    page: Rate,
    tokens: Rate,
    hello: Rate,
    totp: Rate,
    emergency: Rate,
}

/// A fresh database with the sign-in accounts (and, for SQLite, the verification accounts),
/// a server on it, the sign-in load; then, if asked, the other rows.
async fn run_backend(
    options: &Options,
    store: TestStore,
    backend: &'static str,
    argon2: &Argon2Time,
    hash: &identity::PasswordHash,
    cores: usize,
    all_rows: bool,
) -> Result<(SignInRow, Option<SqliteRows>, Option<u64>), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cipher = Arc::new(
        SeedCipher::load_or_create(&dir.path().join("seed.key")).map_err(|e| e.to_string())?,
    );
    let ideal = cores as f64 / argon2.mean.as_secs_f64();
    let window = options.signin.min(REUSE_WINDOW).as_secs_f64();
    let count =
        ((ideal * RATE_HEADROOM * window).ceil() as usize + VIRTUAL_USERS).clamp(50, MAX_ACCOUNTS);
    let setup = Instant::now();
    let signin_accounts = create_accounts(&store, hash, &cipher, "bench", count).await?;
    let verify_accounts = if all_rows {
        Some(create_accounts(&store, hash, &cipher, "verify", options.verifications).await?)
    } else {
        None
    };
    eprintln!(
        "bench: {backend}: {count} sign-in accounts{} created in {:.1} s",
        verify_accounts
            .as_ref()
            .map(|a| format!(" and {} verification accounts", a.len()))
            .unwrap_or_default(),
        setup.elapsed().as_secs_f64()
    );
    let url = match backend {
        "SQLite" => format!("{}?synchronous={}", store.url(), options.sqlite_synchronous),
        _ => store.url(),
    };
    let server = start_server(options, &url, dir.path()).await?;
    let base = server.base.clone();

    // Sign-ins first: nothing else has warmed anything.
    let cpu_before = cpu_seconds(server.pid());
    let next = Arc::new(AtomicUsize::new(0));
    let (result, elapsed, sessions) = sign_in_load(
        &base,
        VIRTUAL_USERS,
        &signin_accounts,
        &next,
        options.signin,
    )
    .await?;
    let seconds = elapsed.as_secs_f64();
    let cpu = cpu_seconds(server.pid())
        .zip(cpu_before)
        .map(|(a, b)| a - b);
    let successes = result.successes.len();
    let totals = sorted(result.successes.iter().map(|t| t.total()).collect());
    for (failure, n) in &result.failures {
        eprintln!("bench: {backend}: sign-in failed {n} × {failure}");
    }
    let row = SignInRow {
        backend,
        rate: successes as f64 / seconds,
        p50: quantile(&totals, 0.5),
        p99: quantile(&totals, 0.99),
        failures: result.failures.values().sum(),
        server_cpu_ms: cpu
            .filter(|_| successes > 0)
            .map(|c| c * 1000.0 / successes as f64),
    };
    eprintln!("bench: {backend}: {:.1} sign-ins/s", row.rate);

    let rows = match verify_accounts {
        Some(verify) if !sessions.is_empty() => {
            Some(other_rows(options, &store, &server, &sessions, &verify, &cipher).await?)
        }
        Some(_) => return Err("no sign-in succeeded: the other rows need a session".into()),
        None => None,
    };
    let rss = peak_rss(server.pid());
    drop(server);
    drop(store);
    Ok((row, rows, rss))
}

async fn other_rows(
    options: &Options,
    store: &TestStore,
    server: &Process,
    sessions: &[String],
    verify: &Arc<Vec<BenchAccount>>,
    cipher: &SeedCipher,
) -> Result<SqliteRows, String> {
    let base = server.base.clone();
    let connections = options.connections;

    let page = measure_rate(&base, connections, options.rps, || page("/login", "")).await?;
    eprintln!("bench: sign-in page: {:.0} requests/s", page.per_second());

    let tokens = {
        let sessions: Vec<String> = sessions.to_vec();
        let next = AtomicUsize::new(0);
        measure_rate(&base, connections, options.rps, move || {
            let cookie = &sessions[next.fetch_add(1, Ordering::Relaxed) % sessions.len()];
            post("/api/my_tokens", "", cookie)
        })
        .await?
    };
    eprintln!("bench: token list: {:.0} requests/s", tokens.per_second());

    let hello = {
        let hello = start_hello_world().await?;
        measure_rate(&hello.base, connections, options.rps, || get("/")).await?
    };
    eprintln!("bench: hello world: {:.0} requests/s", hello.per_second());

    // Step 2 of sign-in with a TOTP code, each on an attempt made in the database beforehand.
    let now = now_secs();
    let mut queue = Vec::with_capacity(verify.len());
    for account in verify.iter() {
        let cookie = attempt_cookie(store, account.account)
            .await
            .map_err(|e| e.detail())?;
        queue.push(verify_totp(
            &cookie,
            account.token.0,
            &account.secret.code_at(now),
        ));
    }
    if now_secs() / identity::TOTP_STEP_SECS != now / identity::TOTP_STEP_SECS {
        // The codes stay valid one step either side (OTP-3 drift window): still fine.
        eprintln!("bench: the TOTP step changed while preparing (codes still within the window)");
    }
    let totp = measure_verifications(&base, "/api/verify_code", connections, queue).await?;
    eprintln!("bench: TOTP verifications: {:.0}/s", totp.per_second());

    // Step 2 with an emergency access code instead (one live code per account).
    let hasher = CodeHasher::from_cipher(cipher, EMERGENCY_CODE_KEY_LABEL);
    let mut queue = Vec::with_capacity(verify.len());
    let issued = Timestamp::now();
    for account in verify.iter() {
        let code = EmergencyCode::generate();
        store
            .issue_emergency_code(
                &identity::testing::self_service_code(
                    account.account,
                    code.hash(&hasher, account.account),
                    issued,
                    issued.plus(Duration::from_secs(3600)),
                    3,
                ),
                &[],
            )
            .await
            .map_err(|e| e.detail())?;
        let cookie = attempt_cookie(store, account.account)
            .await
            .map_err(|e| e.detail())?;
        queue.push(post(
            "/api/verify_emergency",
            &format!("code={}", code.grouped().as_str()),
            &cookie,
        ));
    }
    let emergency =
        measure_verifications(&base, "/api/verify_emergency", connections, queue).await?;
    eprintln!(
        "bench: emergency-code verifications: {:.0}/s",
        emergency.per_second()
    );

    Ok(SqliteRows {
        page,
        tokens,
        hello,
        totp,
        emergency,
    })
}

/// Sizes of what the browser downloads for the first page.
const OUTPUT: &str = server::assets::OUTPUT_NAME;

struct Transfer {
    wasm_br: u64,
    js_br: u64,
    css_br: u64,
    html: u64,
    favicon: u64,
}

async fn transfer(options: &Options, base: &str) -> Result<Transfer, String> {
    let pkg = options
        .site_root
        .join(server::assets::site_pkg_dir(&options.site_root));
    let size = |name: String| {
        std::fs::metadata(pkg.join(&name))
            .map(|m| m.len())
            .map_err(|e| {
                format!(
                    "{}: {e} (build the site with `cargo xtask build --release`)",
                    pkg.join(&name).display()
                )
            })
    };
    // The sign-in page's own chunks, as the split manifest lists them (`app::routes`).
    let manifest = std::fs::read_to_string(pkg.join(server::assets::SPLIT_MANIFEST))
        .map_err(|e| format!("{}: {e}", pkg.display()))?;
    let manifest: std::collections::HashMap<String, Vec<String>> =
        serde_json::from_str(&manifest).map_err(|e| e.to_string())?;
    let chunks = manifest
        .iter()
        .find(|(split, _)| split.contains(app::routes::SignInPages::SPLIT))
        .map(|(_, chunks)| chunks.clone())
        .ok_or("the split manifest has no entry for the sign-in pages")?;
    let mut wasm_br = size(format!("{OUTPUT}.wasm.br"))?;
    for chunk in chunks {
        wasm_br += size(format!("{chunk}.wasm.br"))?;
    }
    let request = with_header(page("/login", ""), "accept-encoding", "br, gzip");
    let html = Remote::new(base)?
        .execute(request)
        .await
        .map_err(|e| error_chain(&e))?
        .bytes()
        .await
        .map_err(|e| error_chain(&e))?
        .len() as u64;
    let favicon = std::fs::metadata(options.site_root.join("favicon.svg")).map_or(0, |m| m.len());
    Ok(Transfer {
        wasm_br,
        js_br: size(format!("{OUTPUT}.js.br"))?
            + size(format!("{}.br", server::assets::SPLIT_LOADER))?,
        css_br: size(format!("{OUTPUT}.css.br"))?,
        html,
        favicon,
    })
}

async fn run(options: Options) -> Result<bool, String> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load_before = load_average();
    let (hasher, hash) = hasher_and_hash().await?;
    let argon2 = argon2_mean(&hasher, &hash).await?;
    eprintln!("bench: argon2 {:.1} ms per hash", ms(argon2.mean));
    // The same verifications with one job per core at once: what the machine really sustains
    // (argon2 is memory-bound; two vCPUs may share one core and its caches).
    let parallel = argon2_parallel_rate(&hasher, &hash, cores).await?;
    eprintln!("bench: argon2 on {cores} cores at once: {parallel:.1}/s");

    let sqlite = identity::testing::sqlite().await;
    let (sqlite_row, rows, sqlite_rss) =
        run_backend(&options, sqlite, "SQLite", &argon2, &hash, cores, true).await?;
    let rows = rows.ok_or("the SQLite run measured no rows")?;

    // The page sizes, from a server of its own (the sizes do not depend on the store).
    let sizes = {
        let store = identity::testing::sqlite().await;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let server = start_server(&options, &store.url(), dir.path()).await?;
        transfer(&options, &server.base).await?
    };

    let postgres = match identity::testing::postgres().await {
        Some(store) => {
            let (row, _, rss) =
                run_backend(&options, store, "PostgreSQL", &argon2, &hash, cores, false).await?;
            Some((row, rss))
        }
        None => None,
    };
    let argon2_after = argon2_mean(&hasher, &hash).await?;

    let date = app::ssr::format_utc(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64),
    );
    let ideal = cores as f64 / argon2.mean.as_secs_f64();
    let verdict = |met: bool| if met { "met" } else { "NOT met" };
    let mb = |b: u64| b as f64 / (1024.0 * 1024.0);
    let kb = |b: u64| b as f64 / 1024.0;

    println!();
    println!(
        "MAYI ID benchmark, {date}, {cores} cores, release build ({}), load generator in this \
         process on loopback; SQLite synchronous={}",
        options.binary.display(),
        options.sqlite_synchronous
    );
    println!();
    println!("| what | measured | target | verdict |");
    println!("|---|---|---|---|");
    println!(
        "| argon2id (m=19 MiB, t=2, p=1) per hash, measured at start | {:.1} ms (cores ÷ argon2 = {ideal:.1}/s) | | |",
        ms(argon2.mean)
    );
    println!(
        "| argon2id verifications, one job per core at once (no server, no database) | {parallel:.1}/s ({:.0} % of cores ÷ argon2) | | |",
        100.0 * parallel / ideal
    );
    let mut failed = sqlite_row.failures > 0;
    let mut sign_in_rows = vec![(sqlite_row, sqlite_rss)];
    if let Some(pg) = postgres {
        failed |= pg.0.failures > 0;
        sign_in_rows.push(pg);
    }
    for (row, _) in &sign_in_rows {
        let ratio = row.rate / ideal;
        println!(
            "| password + TOTP sign-ins, {VIRTUAL_USERS} users × {:.0} s, {} | {:.1}/s, p50 {:.0} ms, p99 {:.0} ms, ratio {ratio:.2} ({:.2} of argon2 on all cores at once){} | ratio ≥ {} | {} |",
            options.signin.as_secs_f64(),
            row.backend,
            row.rate,
            ms(row.p50),
            ms(row.p99),
            row.rate / parallel,
            if row.failures > 0 { format!(", {} FAILED", row.failures) } else { String::new() },
            target::SIGNIN_RATIO,
            verdict(ratio >= target::SIGNIN_RATIO),
        );
    }
    if sign_in_rows.len() < 2 {
        println!("| password + TOTP sign-ins, PostgreSQL | not measured: PostgreSQL unreachable (MAYI_TEST_POSTGRES_URL) | ratio ≥ 0.8 | n/a |");
    }
    let fn_ratio = rows.tokens.per_second() / rows.hello.per_second().max(1.0);
    println!(
        "| token list server fn (session checked), {} connections | {:.0}/s (p50 {:.2} ms); bare axum hello-world {:.0}/s; ratio {fn_ratio:.2} | ratio ≥ {} | {} |",
        options.connections,
        rows.tokens.per_second(),
        ms(rows.tokens.p50),
        rows.hello.per_second(),
        target::FN_RATIO,
        verdict(fn_ratio >= target::FN_RATIO),
    );
    println!(
        "| server-rendered sign-in page, {} connections | {:.0}/s (p50 {:.2} ms, p99 {:.2} ms) | ≥ {:.0}/s | {} |",
        options.connections,
        rows.page.per_second(),
        ms(rows.page.p50),
        ms(rows.page.p99),
        target::PAGE_RPS,
        verdict(rows.page.per_second() >= target::PAGE_RPS),
    );
    for (what, rate) in [("TOTP", &rows.totp), ("emergency-code", &rows.emergency)] {
        println!(
            "| {what} verifications (step 2, opens a session), SQLite, {} connections | {:.0}/s ({} in {:.1} s, p50 {:.1} ms) | ≥ {:.0}/s | {} |",
            options.connections,
            rate.per_second(),
            rate.ok,
            rate.seconds,
            ms(rate.p50),
            target::VERIFY_RPS,
            verdict(rate.per_second() >= target::VERIFY_RPS),
        );
    }
    let rss = sign_in_rows.iter().filter_map(|(_, rss)| *rss).max();
    println!(
        "| peak RSS of the server (VmHWM, worst of the runs) | {} | ≤ {:.0} MB | {} |",
        rss.map_or("n/a".into(), |b| format!("{:.1} MB", mb(b))),
        target::RSS_MB,
        rss.map_or("n/a", |b| verdict(mb(b) <= target::RSS_MB)),
    );
    let first = sizes.wasm_br + sizes.js_br;
    println!(
        "| first route's wasm + JS, brotli | {:.1} KB (wasm {:.1} KB + JS {:.1} KB) | ≤ {:.0} KB | {} |",
        kb(first),
        kb(sizes.wasm_br),
        kb(sizes.js_br),
        target::FIRST_ROUTE_KB,
        verdict(kb(first) <= target::FIRST_ROUTE_KB),
    );
    let page_total = first + sizes.css_br + sizes.html + sizes.favicon;
    println!(
        "| sign-in page, whole transfer (HTML {:.1} KB + CSS {:.1} KB + wasm + JS + icon {:.1} KB) | {:.1} KB | | |",
        kb(sizes.html),
        kb(sizes.css_br),
        kb(sizes.favicon),
        kb(page_total),
    );
    println!();
    for (row, _) in &sign_in_rows {
        if let Some(cpu) = row.server_cpu_ms {
            println!(
                "{}: the server used {cpu:.1} ms of CPU per sign-in (argon2 alone is {:.1} ms)",
                row.backend,
                ms(argon2.mean)
            );
        }
    }
    println!(
        "argon2 after the run: {:.1} ms per hash ({:+.0} %); load average before: {}",
        ms(argon2_after.mean),
        100.0 * (argon2_after.mean.as_secs_f64() / argon2.mean.as_secs_f64() - 1.0),
        load_before.as_deref().unwrap_or("n/a"),
    );
    for (what, rate) in [
        ("sign-in page", &rows.page),
        ("token list", &rows.tokens),
        ("hello world", &rows.hello),
        ("TOTP verifications", &rows.totp),
        ("emergency-code verifications", &rows.emergency),
    ] {
        if rate.failed > 0 {
            failed = true;
            println!("FAILED: {what}: {} requests failed", rate.failed);
        }
    }
    Ok(!failed)
}
