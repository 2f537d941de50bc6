//! The browser's bundle must never carry the server's crates: the domain (`identity`, with its
//! store and secrets), the database driver, the password hash or the async runtime. Read from
//! the front end's dependency tree for the wasm target, so a feature or dependency change that
//! pulls one in fails here before it ships (issue 15).

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Crates that belong to the server alone.
const SERVER_ONLY: &[&str] = &[
    "identity",
    "sqlx",
    "sqlx-core",
    "sqlx-sqlite",
    "sqlx-postgres",
    "libsqlite3-sys",
    "argon2",
    "tokio",
    "aes-gcm",
    "axum",
    "leptos_axum",
    "lettre",
    "totp-rs",
];

/// The names of every crate `frontend` links for `wasm32-unknown-unknown` (normal dependencies
/// with the features that target enables).
fn wasm_crates() -> BTreeSet<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .current_dir(&root)
        .args([
            "tree",
            "--package",
            "frontend",
            "--target",
            "wasm32-unknown-unknown",
            "--edges",
            "normal",
            "--prefix",
            "none",
            "--format",
            "{p}",
            "--locked",
            "--offline",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "cargo tree failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout)
        .expect("cargo tree prints UTF-8")
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_owned)
        .collect()
}

#[test]
fn no_server_crate_is_linked_into_the_wasm_bundle() {
    let crates = wasm_crates();
    // The tree is the real one: the front end, the pages and the shared vocabularies are in it.
    for expected in ["frontend", "app", "mayi-types", "leptos"] {
        assert!(
            crates.contains(expected),
            "{expected} missing from {crates:?}"
        );
    }
    let linked: Vec<&str> = SERVER_ONLY
        .iter()
        .copied()
        .filter(|name| crates.contains(*name))
        .collect();
    assert!(
        linked.is_empty(),
        "server-only crates in the wasm bundle: {linked:?} (a dependency or feature of `app` \
         that should be behind its `ssr` feature)"
    );
}
