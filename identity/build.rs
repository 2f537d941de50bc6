//! `sqlx::migrate!` embeds the SQL files at compile time; this makes a new or edited migration
//! rebuild the crate instead of silently shipping the old set.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
