//! Turns a [`Config`] into running parts: the store (connected and migrated), the password
//! hasher, the seed cipher, and the Leptos options; then serves HTTP until a shutdown signal.

use std::sync::Arc;

use app::ssr::{AppState, Settings};
use identity::{Housekeeping, PasswordHasher, SeedCipher, Store, SystemClock};
use leptos::prelude::LeptosOptions;

use crate::config::Config;

/// Connects to the database and applies the migrations; a failed migration stops here.
pub async fn open_store(config: &Config) -> Result<Store, String> {
    let store = Store::connect(config.database_url.expose())
        .await
        .map_err(|e| {
            format!(
                "cannot open the database {}: {}",
                config.database_url,
                e.detail()
            )
        })?;
    store
        .migrate()
        .await
        .map_err(|e| format!("database migration failed, not starting: {}", e.detail()))?;
    Ok(store.with_throttle_policy(config.throttle))
}

/// Loads (or creates, with 0600 permissions) the key that encrypts TOTP seeds.
pub fn open_cipher(config: &Config) -> Result<SeedCipher, String> {
    SeedCipher::load_or_create(&config.seed_key_file).map_err(|e| {
        format!(
            "cannot use the seed key file {}: {e}",
            config.seed_key_file.display()
        )
    })
}

/// Builds the state shared by every request.
pub fn app_state(
    config: &Config,
    store: Store,
    cipher: SeedCipher,
    site_root: &std::path::Path,
) -> Result<AppState, String> {
    let leptos_options = LeptosOptions::builder()
        // This build's content-hashed directory (`crate::assets`).
        .output_name(crate::assets::OUTPUT_NAME)
        .site_root(site_root.to_string_lossy().to_string())
        .site_pkg_dir(crate::assets::site_pkg_dir(site_root))
        .site_addr(config.listen)
        .build();
    let hasher = PasswordHasher::new(None).map_err(|e| e.to_string())?;
    AppState::build(
        leptos_options,
        store,
        hasher,
        Arc::new(cipher),
        Arc::new(SystemClock),
        Settings {
            public_url: config.public_url.clone(),
            dev: config.dev,
            trusted_proxies: config.trusted_proxies.clone(),
        },
        config.emergency,
    )
    .map_err(|e| format!("cannot start: {e}"))
}

/// Serves until Ctrl-C or SIGTERM.
pub async fn serve(config: Config) -> Result<(), String> {
    let site_root = config.resolve_site_root()?;
    if config.metrics_listen.is_some() {
        // Installed before anything is counted.
        crate::observe::metrics();
    }
    let store = open_store(&config).await?;
    let cipher = open_cipher(&config)?;
    let state = app_state(&config, store, cipher, &site_root)?;
    let housekeeping_service = state.identity.housekeeping.clone();
    let outbox = state.identity.outbox.clone();
    let router = crate::http::router(state);

    // Background work: outbox delivery and housekeeping, stopped after the last request.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let delivery = crate::delivery::Delivery::from_config(&config, outbox)?;
    let mut workers = vec![
        tokio::spawn(delivery.run(stopped.clone())),
        tokio::spawn(housekeeping(housekeeping_service, stopped.clone())),
    ];
    if let Some(address) = config.metrics_listen {
        workers.push(serve_metrics(address, stopped).await?);
    }

    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", config.listen))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot read the listening address: {e}"))?;
    tracing::info!(
        address = %local,
        public_url = %config.public_url,
        database = %config.database_url,
        site_root = %site_root.display(),
        dev = config.dev,
        "MAYI ID is serving"
    );
    // A line that scripts (and the tests) wait for.
    println!("MAYI ID listening on http://{local}");
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| format!("server error: {e}"))?;
    let _ = stop.send(true);
    for worker in workers {
        let _ = worker.await;
    }
    Ok(())
}

/// Serves `GET /metrics` (Prometheus text format) on its own address, apart from the public
/// one, until `stopped`. Histograms are kept current by a periodic upkeep.
async fn serve_metrics(
    address: std::net::SocketAddr,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) -> Result<tokio::task::JoinHandle<()>, String> {
    let handle = crate::observe::metrics();
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .map_err(|e| format!("cannot listen on {address} for metrics: {e}"))?;
    tracing::info!(%address, "metrics at /metrics");
    let router = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || async move {
            (
                [(
                    axum::http::header::CONTENT_TYPE,
                    "text/plain; version=0.0.4; charset=utf-8",
                )],
                handle.render(),
            )
        }),
    );
    Ok(tokio::spawn(async move {
        let upkeep = async {
            loop {
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                handle.run_upkeep();
            }
        };
        let server = axum::serve(listener, router).with_graceful_shutdown(async move {
            let _ = stopped.changed().await;
        });
        tokio::select! {
            result = server => {
                if let Err(error) = result {
                    tracing::warn!(%error, "metrics server stopped");
                }
            }
            _ = upkeep => {}
        }
    }))
}

/// Runs [`Housekeeping::purge`] now and every ten minutes until `stopped`: expired sign-in
/// attempts and sessions (they are refused anyway; this only keeps the tables small), dead
/// rate-limit windows, old outbox messages, expired wizards and expired remembered browsers.
async fn housekeeping(housekeeping: Housekeeping, mut stopped: tokio::sync::watch::Receiver<bool>) {
    loop {
        match housekeeping.purge().await {
            Ok(0) => {}
            Ok(count) => tracing::debug!(count, "purged expired rows"),
            Err(error) => tracing::warn!(error = %error.detail(), "housekeeping failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(std::time::Duration::from_secs(600)) => {}
            _ = stopped.changed() => return,
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
