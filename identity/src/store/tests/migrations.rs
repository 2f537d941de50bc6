//! Upgrades of an existing SQLite database. Migration 0010 rebuilds the `tokens` table (a CHECK
//! constraint cannot be changed in place): every token and every code that points at one is
//! kept, and the foreign keys still hold. Migration 0012 maps the states nothing sets any more.

use std::borrow::Cow;

use sqlx::migrate::Migrator;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::Row;

use crate::store::{Store, SQLITE_MIGRATOR};

/// A SQLite database in a fresh directory with the migrations before `version` applied and
/// `rows` inserted (as a database written by an older release); the directory lives as long
/// as the returned guard.
async fn database_before(version: i64, rows: &[&str]) -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let options = SqliteConnectOptions::new().filename(dir.path().join("old.db"));
    let store = Store::connect_sqlite(options, false).await.unwrap();
    let pool = store.sqlite_pool().unwrap();
    let before = Migrator {
        migrations: Cow::Owned(
            SQLITE_MIGRATOR
                .iter()
                .filter(|m| m.version < version)
                .cloned()
                .collect(),
        ),
        ..Migrator::DEFAULT
    };
    before.run(pool).await.unwrap();
    for sql in rows {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
    (dir, store)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrade_to_0010_keeps_tokens_and_the_codes_that_point_at_them() {
    let (_dir, store) = database_before(10, &[
        "INSERT INTO accounts (id, username, display_name, password_hash, created_at, updated_at) \
         VALUES (1, 'old-user', 'Old User', 'x', 1, 1)",
        "INSERT INTO tokens (id, account_id, kind, label, device, state, target, created_at) \
         VALUES (7, 1, 'sms', 'Work phone', 'Nokia', 'active', '+420601000001', 2)",
        "INSERT INTO tokens (id, account_id, kind, label, device, state, target, created_at) \
         VALUES (8, 1, 'email', 'Mail', NULL, 'pending', 'old@example.org', 3)",
        "INSERT INTO login_attempts (id, token_hash, account_id, created_at, expires_at) \
         VALUES (3, zeroblob(32), 1, 4, 999999999999)",
        "INSERT INTO oob_challenges (attempt_id, token_id, code_hash, created_at, expires_at) \
         VALUES (3, 7, zeroblob(32), 5, 999999999999)",
        "INSERT INTO confirmation_codes (account_id, token_id, code_hash, created_at, expires_at) \
         VALUES (1, 8, zeroblob(32), 6, 999999999999)",
    ])
    .await;
    let pool = store.sqlite_pool().unwrap();
    store.migrate().await.unwrap();
    let count = |table: &'static str| async move {
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(pool)
            .await
            .unwrap()
            .get::<i64, _>("n")
    };
    assert_eq!(count("tokens").await, 2);
    assert_eq!(count("oob_challenges").await, 1);
    assert_eq!(count("confirmation_codes").await, 1);
    let token = store
        .token(crate::AccountId(1), crate::TokenId(7))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (token.label.as_str(), token.device.as_deref(), token.state),
        ("Work phone", Some("Nokia"), crate::TokenState::Active)
    );
    assert!(sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap()
        .is_empty());
    // The foreign keys name the new table and are enforced.
    assert!(sqlx::query(
        "INSERT INTO oob_challenges (attempt_id, token_id, code_hash, created_at, expires_at) \
         VALUES (3, 999, zeroblob(32), 5, 6)"
    )
    .execute(pool)
    .await
    .is_err());
    // The new state is accepted only with its time.
    assert!(
        sqlx::query("UPDATE tokens SET state = 'blocked' WHERE id = 7")
            .execute(pool)
            .await
            .is_err()
    );
    sqlx::query("UPDATE tokens SET state = 'blocked', blocked_at = 9 WHERE id = 7")
        .execute(pool)
        .await
        .unwrap();
    // Removing the token still takes its codes with it (ON DELETE CASCADE survived).
    sqlx::query("DELETE FROM tokens WHERE id = 7")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(count("oob_challenges").await, 0);
}

/// Migration 0012 takes away what nothing sets any more: a `disabled` account becomes `locked`
/// (still refused, unlockable by an operator), an `operator`-scope session is ended, and the
/// unused `tokens.failure_count` column goes; every other row stays.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrade_to_0012_maps_the_dead_states_and_keeps_the_rest() {
    let (_dir, store) = database_before(12, &[
        "INSERT INTO accounts (id, username, display_name, password_hash, state, created_at, \
         updated_at) VALUES (1, 'gone', 'Gone User', 'x', 'disabled', 1, 1)",
        "INSERT INTO accounts (id, username, display_name, password_hash, created_at, updated_at) \
         VALUES (2, 'kept', 'Kept User', 'x', 1, 1)",
        "INSERT INTO tokens (id, account_id, kind, label, state, target, created_at, \
         failure_count) VALUES (7, 2, 'sms', 'Phone', 'active', '+420601000001', 2, 4)",
        "INSERT INTO sessions (token_hash, account_id, scope, created_at, last_seen_at, \
         expires_at) VALUES (zeroblob(32), 2, 'operator', 3, 3, 999999999999)",
        "INSERT INTO sessions (token_hash, account_id, scope, created_at, last_seen_at, \
         expires_at) VALUES (randomblob(32), 2, 'full', 3, 3, 999999999999)",
    ])
    .await;
    let pool = store.sqlite_pool().unwrap();
    store.migrate().await.unwrap();
    let gone = store.account_by_id(crate::AccountId(1)).await.unwrap();
    assert_eq!(gone.map(|a| a.state), Some(crate::AccountState::Locked));
    let kept = store.account_by_id(crate::AccountId(2)).await.unwrap();
    assert_eq!(kept.map(|a| a.state), Some(crate::AccountState::Active));
    let scopes: Vec<String> = sqlx::query("SELECT scope FROM sessions")
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get("scope"))
        .collect();
    assert_eq!(scopes, ["full"]);
    let token = store
        .token(crate::AccountId(2), crate::TokenId(7))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(token.label, "Phone");
    assert!(sqlx::query("SELECT failure_count FROM tokens")
        .fetch_all(pool)
        .await
        .is_err());
}

/// Migration 0015 (issue 17) rebuilds `tokens` again for the kind `webauthn`: every token keeps
/// every column (its block time, its enrolment binding, its seed), the codes that point at
/// tokens stay, the foreign keys still hold, and the new kind is accepted only without a seed
/// or target while SMS and e-mail tokens still need theirs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_upgrade_to_0015_keeps_every_token_column_and_takes_passkeys() {
    let (_dir, store) = database_before(15, &[
        "INSERT INTO accounts (id, username, display_name, password_hash, created_at, updated_at) \
         VALUES (1, 'old-user', 'Old User', 'x', 1, 1)",
        "INSERT INTO tokens (id, account_id, kind, label, device, state, secret_enc, created_at, \
         last_used_at, last_totp_step, enrol_session) \
         VALUES (6, 1, 'totp', 'App', 'Pixel', 'active', zeroblob(40), 2, 3, 44, 12)",
        "INSERT INTO tokens (id, account_id, kind, label, device, state, target, created_at, \
         blocked_at) VALUES (7, 1, 'sms', 'Work phone', 'Nokia', 'blocked', '+420601000001', 2, 5)",
        "INSERT INTO tokens (id, account_id, kind, label, device, state, target, created_at, \
         enrol_attempt) VALUES (8, 1, 'email', 'Mail', NULL, 'pending', 'old@example.org', 3, 3)",
        "INSERT INTO login_attempts (id, token_hash, account_id, created_at, expires_at) \
         VALUES (3, zeroblob(32), 1, 4, 999999999999)",
        "INSERT INTO oob_challenges (attempt_id, token_id, code_hash, created_at, expires_at) \
         VALUES (3, 7, zeroblob(32), 5, 999999999999)",
        "INSERT INTO confirmation_codes (account_id, token_id, code_hash, created_at, expires_at) \
         VALUES (1, 8, zeroblob(32), 6, 999999999999)",
    ])
    .await;
    let pool = store.sqlite_pool().unwrap();
    let columns = "id, account_id, kind, label, device, state, secret_enc, target, created_at, \
                   last_used_at, last_totp_step, removed_at, removed_by, enrol_session, \
                   enrol_attempt, blocked_at";
    let rows = async |pool: &sqlx::SqlitePool| {
        sqlx::query(&format!("SELECT {columns} FROM tokens ORDER BY id"))
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|row: &sqlx::sqlite::SqliteRow| {
                (0..16)
                    .map(|i| {
                        let v: Option<Vec<u8>> =
                            row.try_get::<Option<Vec<u8>>, _>(i).ok().flatten();
                        let t: Option<String> = row.try_get::<Option<String>, _>(i).ok().flatten();
                        let n: Option<i64> = row.try_get::<Option<i64>, _>(i).ok().flatten();
                        format!("{t:?}/{n:?}/{v:?}")
                    })
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>()
    };
    let old = rows(pool).await;
    store.migrate().await.unwrap();
    assert_eq!(rows(pool).await, old, "every token, every column");
    let count = |table: &'static str| async move {
        sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(pool)
            .await
            .unwrap()
            .get::<i64, _>("n")
    };
    assert_eq!(count("oob_challenges").await, 1);
    assert_eq!(count("confirmation_codes").await, 1);
    assert!(sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(pool)
        .await
        .unwrap()
        .is_empty());
    // A passkey has neither a target nor a seed; an SMS token still needs its number.
    for refused in [
        "INSERT INTO tokens (account_id, kind, label, state, target, created_at) \
         VALUES (1, 'webauthn', 'Key', 'active', 'x@example.org', 9)",
        "INSERT INTO tokens (account_id, kind, label, state, secret_enc, created_at) \
         VALUES (1, 'webauthn', 'Key', 'active', zeroblob(40), 9)",
        "INSERT INTO tokens (account_id, kind, label, state, created_at) \
         VALUES (1, 'sms', 'Phone', 'active', 9)",
        "INSERT INTO tokens (account_id, kind, label, state, created_at) \
         VALUES (1, 'fido', 'Key', 'active', 9)",
    ] {
        assert!(
            sqlx::query(refused).execute(pool).await.is_err(),
            "{refused}"
        );
    }
    sqlx::query(
        "INSERT INTO tokens (account_id, kind, label, state, created_at) \
         VALUES (1, 'webauthn', 'Key', 'active', 9)",
    )
    .execute(pool)
    .await
    .unwrap();
    // Removing a token still takes its codes with it (ON DELETE CASCADE survived).
    sqlx::query("DELETE FROM tokens WHERE id = 7")
        .execute(pool)
        .await
        .unwrap();
    assert_eq!(count("oob_challenges").await, 0);
}
