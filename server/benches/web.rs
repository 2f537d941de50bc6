//! `make bench` (second table) and `make bench-web`: what a first visit to each route downloads
//! (HTML, CSS, JS, every wasm file; raw, gzip, brotli and what went over the wire) and lab web
//! vitals for `/login` and `/emergency` on a throttled phone, read from real Chromium page loads
//! (issue 15). Starts `mayi-id` on a fresh SQLite database with an account, an operator and the
//! cookies each route needs, then runs `end2end/bench/first-load.mjs` (Playwright with Debian's
//! Chromium) against it and prints the tables. Figures are printed, never asserted.
//!
//! ```sh
//! cargo xtask build --release && cargo build --release -p server --bin mayi-id
//! cargo bench -p server --bench web                     # or: make bench-web
//! cargo bench -p server --bench web -- --binary target/debug/mayi-id --vitals-runs 1
//! ```
//!
//! Options: `--binary PATH` (`MAYI_BENCH_BINARY`, default `target/release/mayi-id`),
//! `--site-root DIR` (`MAYI_BENCH_SITE_ROOT`, default `target/site`), `--vitals-runs N`
//! (default 3: each vital is the median of N loads). Exit status 0 when every route loaded
//! (whatever the figures), 1 otherwise, 2 on bad arguments.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use identity::testing::StoreAccess;
use identity::{Role, SeedCipher, SessionScope, Timestamp, TotpSecret, Username};
use serde_json::{json, Value};
use support::fixtures::{attempt_cookie, email_contact, session_cookie, totp_token, user};
use support::remote::serve;

/// Issue 15's budgets: the first route's wasm + JS, brotli, for the phone's routes, and for any.
const FIRST_ROUTE_KB: f64 = 150.0;
const ANY_ROUTE_KB: f64 = 250.0;
/// Lab targets on the throttled phone.
const LCP_MS: f64 = 1500.0;
const INTERACTIVE_MS: f64 = 2500.0;
const CLS: f64 = 0.02;

/// A route, the cookie it needs (`name=value`), whether it is held to the 150 KB budget, and
/// whether its vitals are measured.
struct Route {
    path: &'static str,
    cookie: Option<String>,
    phone_budget: bool,
    vitals: bool,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let workspace = support::remote::workspace();
    let (mut binary, mut site_root) = support::remote::bench_defaults();
    let mut runs = 3u32;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let Some(value) = it.next() else {
            eprintln!("web bench: {arg} needs a value");
            return ExitCode::from(2);
        };
        match arg.as_str() {
            "--binary" => binary = PathBuf::from(value),
            "--site-root" => site_root = PathBuf::from(value),
            "--vitals-runs" => match value.parse() {
                Ok(n) if (1..=20).contains(&n) => runs = n,
                _ => {
                    eprintln!("web bench: --vitals-runs takes 1 to 20");
                    return ExitCode::from(2);
                }
            },
            other => {
                eprintln!("web bench: unknown option {other}");
                return ExitCode::from(2);
            }
        }
    }
    // Cargo runs a bench in its package's folder: a relative path is read from the workspace.
    for path in [&mut binary, &mut site_root] {
        if path.is_relative() && !path.exists() {
            *path = workspace.join(&*path);
        }
    }
    for (what, path) in [("server binary", &binary), ("site root", &site_root)] {
        if !path.exists() {
            eprintln!("web bench: no {what} at {}", path.display());
            return ExitCode::from(2);
        }
    }
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(run(&workspace, &binary, &site_root, runs)) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("web bench: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(workspace: &Path, binary: &Path, site_root: &Path, runs: u32) -> Result<bool, String> {
    let db = identity::testing::sqlite().await;
    let store = &db.store;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let cipher =
        SeedCipher::load_or_create(&dir.path().join("seed.key")).map_err(|e| e.to_string())?;
    let ada = user(
        store,
        "ada",
        "Ada Lovelace",
        vec![email_contact("ada", true)],
    )
    .await;
    store
        .insert_token(totp_token(&cipher, ada, &TotpSecret::generate()))
        .await
        .map_err(|e| e.detail())?;
    let olga = user(
        store,
        "olga",
        "Olga Operator",
        vec![email_contact("olga", true)],
    )
    .await;
    store
        .insert_token(totp_token(&cipher, olga, &TotpSecret::generate()))
        .await
        .map_err(|e| e.detail())?;
    store
        .set_role(
            &Username::parse("olga").expect("a username"),
            Role::Operator,
        )
        .await
        .map_err(|e| e.detail())?;
    let later = Timestamp::from_millis(i64::MAX / 2);
    let wizard = store
        .create_wizard(ada, later)
        .await
        .map_err(|e| e.detail())?;
    let attempt = attempt_cookie(store, ada).await.map_err(|e| e.detail())?;
    let session = session_cookie(store, ada, SessionScope::Full).await;
    let operator = session_cookie(store, olga, SessionScope::Full).await;
    let route = |path, cookie: Option<&String>, phone_budget, vitals| Route {
        path,
        cookie: cookie.cloned(),
        phone_budget,
        vitals,
    };
    let wizard = format!("mayi_emergency={}", wizard.as_str());
    let routes = [
        route("/login", None, true, true),
        route("/emergency", None, true, true),
        route("/login/verify", Some(&attempt), true, false),
        route("/emergency/prove", Some(&wizard), true, false),
        route("/tokens", Some(&session), true, false),
        route("/account", Some(&session), false, false),
        route("/help/lost-phone", None, false, false),
        route("/admin", Some(&operator), false, false),
    ];
    let server = serve(binary, "web", &db.url(), dir.path(), site_root, &[]).await?;

    let spec: Vec<Value> = routes
        .iter()
        .map(|r| {
            let cookies: Vec<Value> = r
                .cookie
                .iter()
                .filter_map(|c| c.split_once('='))
                .map(|(name, value)| json!({ "name": name, "value": value }))
                .collect();
            json!({ "path": r.path, "cookies": cookies, "vitals": r.vitals })
        })
        .collect();
    eprintln!("web bench: loading {} routes in Chromium…", routes.len());
    let output = Command::new("node")
        .arg("bench/first-load.mjs")
        .current_dir(workspace.join("end2end"))
        .env("BENCH_BASE", &server.base)
        .env("BENCH_ROUTES", Value::Array(spec).to_string())
        .env("BENCH_VITALS_RUNS", runs.to_string())
        .output()
        .map_err(|e| format!("node: {e} (run scripts/install-deps.sh test first)"))?;
    if !output.status.success() {
        return Err(format!(
            "first-load.mjs failed: {}",
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let report: Value = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("first-load.mjs printed no JSON: {e}"))?;
    Ok(print(&routes, &report, runs))
}

fn kb(bytes: u64) -> f64 {
    bytes as f64 / 1024.0
}

/// The sum of `field` over the resources of `kinds` (all when empty).
fn total(resources: &[Value], kinds: &[&str], field: &str) -> u64 {
    resources
        .iter()
        .filter(|r| kinds.is_empty() || kinds.contains(&r["kind"].as_str().unwrap_or("")))
        .filter_map(|r| r[field].as_u64())
        .sum()
}

/// Prints both tables; false when a route did not load (not 200) or did not hydrate.
fn print(routes: &[Route], report: &Value, runs: u32) -> bool {
    let empty = Vec::new();
    let measured = report["routes"].as_array().unwrap_or(&empty);
    let mut all_loaded = true;
    println!();
    println!(
        "MAYI ID first visit per route (fresh browser, empty cache; Debian's Chromium via \
         Playwright; gzip -9 and brotli -q 11 computed from each response body)"
    );
    println!();
    println!(
        "| route | HTML br | CSS br | JS br | wasm files | wasm raw | wasm br | wasm + JS br | over the wire (all) | budget | verdict |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (route, m) in routes.iter().zip(measured) {
        let resources = m["resources"].as_array().unwrap_or(&empty);
        let loaded = m["status"].as_u64() == Some(200) && m["hydrated"].as_bool() == Some(true);
        all_loaded &= loaded;
        let wasm_files = resources.iter().filter(|r| r["kind"] == "wasm").count();
        let first = total(resources, &["wasm", "js"], "brotli");
        let budget = if route.phone_budget {
            FIRST_ROUTE_KB
        } else {
            ANY_ROUTE_KB
        };
        let verdict = if !loaded {
            format!(
                "did not load (status {}, at {}, hydrated {})",
                m["status"], m["finalPath"], m["hydrated"]
            )
        } else if kb(first) <= budget {
            "met".into()
        } else {
            format!("NOT met (+{:.1} KB)", kb(first) - budget)
        };
        println!(
            "| {} | {:.1} KB | {:.1} KB | {:.1} KB | {} | {:.1} KB | {:.1} KB | {:.1} KB | {:.1} KB | ≤ {:.0} KB | {} |",
            route.path,
            kb(total(resources, &["html"], "brotli")),
            kb(total(resources, &["css"], "brotli")),
            kb(total(resources, &["js"], "brotli")),
            wasm_files,
            kb(total(resources, &["wasm"], "raw")),
            kb(total(resources, &["wasm"], "brotli")),
            kb(first),
            kb(total(resources, &[], "transfer")),
            budget,
            verdict,
        );
    }
    println!();
    println!(
        "Lab web vitals on a phone (390×844, DPR 3, CPU 4× slower, 562.5 ms RTT, 1.44 Mbit/s \
         down), median of {runs} loads; interactive = the page's `mayi-hydrated` mark"
    );
    println!();
    println!("| route | LCP | interactive | CLS | targets | verdict |");
    println!("|---|---|---|---|---|---|");
    for (route, m) in routes.iter().zip(measured).filter(|(r, _)| r.vitals) {
        let v = &m["vitals"];
        let (lcp, interactive, cls) = (
            v["lcp_ms"].as_f64(),
            v["interactive_ms"].as_f64(),
            v["cls"].as_f64(),
        );
        let mut missed = Vec::new();
        if lcp.is_none_or(|x| x > LCP_MS) {
            missed.push("LCP");
        }
        if interactive.is_none_or(|x| x > INTERACTIVE_MS) {
            missed.push("interactive");
        }
        if cls.is_none_or(|x| x > CLS) {
            missed.push("CLS");
        }
        let shown = |x: Option<f64>, unit: &str| {
            x.map_or("n/a".to_string(), |x| match unit {
                "s" => format!("{:.2} s", x / 1000.0),
                _ => format!("{x:.3}"),
            })
        };
        println!(
            "| {} | {} | {} | {} | LCP ≤ {:.1} s, interactive ≤ {:.1} s, CLS ≤ {CLS} | {} |",
            route.path,
            shown(lcp, "s"),
            shown(interactive, "s"),
            shown(cls, ""),
            LCP_MS / 1000.0,
            INTERACTIVE_MS / 1000.0,
            if missed.is_empty() {
                "met".to_string()
            } else {
                format!("NOT met: {}", missed.join(", "))
            },
        );
    }
    all_loaded
}
