//! The `mayi-id` binary as an administrator uses it: each command against a fresh SQLite
//! database in a temporary directory. Bad arguments must give a clear message, a non-zero exit
//! status, and leave the database unchanged.

use std::{
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Output, Stdio},
};

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("cli.db")
    }

    fn run(&self, args: &[&str], stdin: &str) -> Output {
        self.run_with(args, stdin, &[])
    }

    /// [`Self::run`] with extra environment variables (`MAYI_DEV`, …).
    fn run_with(&self, args: &[&str], stdin: &str, env: &[(&str, &str)]) -> Output {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mayi-id"))
            .args(args)
            // Runs from an unrelated directory: nothing may depend on the working directory.
            .current_dir(self.dir.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env(
                "MAYI_DATABASE_URL",
                format!("sqlite://{}", self.db().display()),
            )
            .env("MAYI_SEED_KEY_FILE", self.dir.path().join("keys/seed.key"))
            .env("MAYI_LOG", "warn")
            .env("MAYI_SITE_ROOT", self.dir.path().join("site"))
            .env("MAYI_LISTEN", "127.0.0.1:0")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// `user create` of `username`, no contacts, the password "passphrase ok".
    fn create_user(&self, username: &str, display_name: &str) -> String {
        let args = [
            "user",
            "create",
            "--username",
            username,
            "--display-name",
            display_name,
        ];
        self.ok(&args, "passphrase ok\n")
    }

    fn fails(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(!out.status.success(), "{args:?} should have failed");
        String::from_utf8(out.stderr).unwrap()
    }

    /// Row counts of the tables the CLI writes, to prove that a refused command wrote nothing.
    fn counts(&self) -> (i64, i64, i64) {
        let out = self.ok(&["migrate"], "");
        assert!(out.contains("up to date"));
        let count = |table: &str| -> i64 {
            let out = Command::new("python3")
                .arg("-c")
                .arg(format!(
                    "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from {table}').fetchone()[0])"
                ))
                .arg(self.db())
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout)
                .unwrap()
                .trim()
                .parse()
                .unwrap()
        };
        (count("accounts"), count("contacts"), count("tokens"))
    }
}

fn key_mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn user_create_reads_the_password_from_stdin_and_stores_confirmed_contacts() {
    let env = Env::new();
    let out = env.ok(
        &[
            "user",
            "create",
            "--username",
            "Alice",
            "--display-name",
            "Alice Liddell",
            "--email",
            "alice@example.org",
            "--phone",
            "+420 601 123 456",
            "--recovery-email",
            "alice.recovery@example.org",
        ],
        "a long enough passphrase\n",
    );
    assert!(out.contains("created account alice"), "{out}");
    assert_eq!(env.counts(), (1, 3, 0));
}

#[test]
fn duplicate_usernames_are_refused_in_any_case_or_width() {
    let env = Env::new();
    env.ok(
        &[
            "user",
            "create",
            "--username",
            "alice",
            "--display-name",
            "A",
        ],
        "passphrase one\n",
    );
    let err = env.fails(
        &[
            "user",
            "create",
            "--username",
            "ＡＬＩＣＥ",
            "--display-name",
            "B",
            "--email",
            "b@example.org",
        ],
        "passphrase two\n",
    );
    assert!(err.contains("already"), "{err}");
    assert_eq!(
        env.counts(),
        (1, 0, 0),
        "the refused account left nothing behind"
    );
}

#[test]
fn bad_arguments_are_clear_errors_and_write_nothing() {
    let env = Env::new();
    env.counts();
    for (args, stdin, expected) in [
        (
            vec![
                "user",
                "create",
                "--username",
                "ali ce",
                "--display-name",
                "A",
            ],
            "passphrase ok\n",
            "username",
        ),
        (
            vec![
                "user",
                "create",
                "--username",
                "bob",
                "--display-name",
                "B",
                "--email",
                "not-an-email",
            ],
            "passphrase ok\n",
            "email",
        ),
        (
            vec![
                "user",
                "create",
                "--username",
                "bob",
                "--display-name",
                "B",
                "--phone",
                "601123456",
            ],
            "passphrase ok\n",
            "phone",
        ),
        (
            vec!["user", "create", "--username", "bob", "--display-name", "B"],
            "short\n",
            "password",
        ),
        (
            vec!["user", "create", "--username", "bob", "--display-name", "B"],
            "",
            "password",
        ),
        // PW-5: a chosen password passes the blocklist, and the reason is shown.
        (
            vec!["user", "create", "--username", "bob", "--display-name", "B"],
            "password123\n",
            "most common passwords",
        ),
        (
            vec![
                "user",
                "create",
                "--username",
                "bobby",
                "--display-name",
                "B",
            ],
            "hello bobby hello\n",
            "must not contain your username",
        ),
        (
            vec![
                "user",
                "set-role",
                "--username",
                "nobody",
                "--role",
                "admin",
            ],
            "",
            "nobody",
        ),
        (
            vec![
                "token",
                "import",
                "--username",
                "nobody",
                "--kind",
                "totp",
                "--secret",
                "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
                "--label",
                "L",
                "--device",
                "D",
            ],
            "",
            "nobody",
        ),
    ] {
        let err = env.fails(&args, stdin);
        assert!(err.to_lowercase().contains(expected), "{args:?}: {err}");
    }
    assert_eq!(env.counts(), (0, 0, 0));
}

#[test]
fn token_import_checks_the_options_of_each_kind() {
    let env = Env::new();
    env.create_user("carol", "Carol");
    let base = [
        "token",
        "import",
        "--username",
        "carol",
        "--label",
        "Phone app",
        "--device",
        "Pixel 7",
    ];
    let with = |extra: &[&'static str]| -> Vec<&str> {
        base.iter().copied().chain(extra.iter().copied()).collect()
    };
    assert!(env
        .fails(&with(&["--kind", "totp"]), "")
        .contains("--secret"));
    assert!(env
        .fails(&with(&["--kind", "totp", "--secret", "not base32!"]), "")
        .to_lowercase()
        .contains("secret"));
    assert!(env
        .fails(&with(&["--kind", "totp", "--secret", "GEZDGNBV"]), "")
        .to_lowercase()
        .contains("secret"));
    assert!(env.fails(&with(&["--kind", "sms"]), "").contains("--phone"));
    assert!(env
        .fails(
            &with(&[
                "--kind",
                "sms",
                "--phone",
                "+420601123456",
                "--email",
                "c@example.org"
            ]),
            ""
        )
        .contains("only"));
    assert_eq!(env.counts().2, 0);

    env.ok(
        &with(&[
            "--kind",
            "totp",
            "--secret",
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
        ]),
        "",
    );
    env.ok(&with(&["--kind", "sms", "--phone", "+420601123456"]), "");
    env.ok(
        &with(&["--kind", "email", "--email", "carol@example.org"]),
        "",
    );
    assert_eq!(env.counts().2, 3);
    assert_eq!(key_mode(&env.dir.path().join("keys/seed.key")), 0o600);
}

#[test]
fn set_role_and_demo_are_idempotent() {
    let env = Env::new();
    env.create_user("dave", "Dave");
    assert!(env
        .ok(
            &[
                "user",
                "set-role",
                "--username",
                "DAVE",
                "--role",
                "operator"
            ],
            ""
        )
        .contains("operator"));
    // A database with a real account takes the demo accounts only in development mode.
    let dev = [("MAYI_DEV", "true")];
    let first = env.run_with(&["demo"], "", &dev);
    assert!(first.status.success(), "{first:?}");
    let first = String::from_utf8(first.stdout).unwrap();
    assert!(first.contains("created demo account demo"), "{first}");
    let second = String::from_utf8(env.run_with(&["demo"], "", &dev).stdout).unwrap();
    assert!(second.contains("already exists"), "{second}");
    assert_eq!(env.counts(), (3, 2, 2));
}

// ---- item 6: the demo accounts never reach a real installation ----

#[test]
fn demo_is_refused_on_a_database_with_a_real_account_unless_dev() {
    let env = Env::new();
    env.create_user("dave", "Dave");
    let before = env.counts();
    let error = env.fails(&["demo"], "");
    assert!(
        error.contains("refusing to add the demo accounts"),
        "{error}"
    );
    assert!(error.contains("1 other account"), "{error}");
    assert!(error.contains("MAYI_DEV=true"), "{error}");
    assert!(error.contains("empty database"), "{error}");
    assert_eq!(env.counts(), before, "nothing written");
    // MAYI_DEV=false is the same as unset.
    let out = env.run_with(&["demo"], "", &[("MAYI_DEV", "false")]);
    assert!(!out.status.success());
    assert_eq!(env.counts(), before);
    // Development mode allows it.
    let out = env.run_with(&["demo"], "", &[("MAYI_DEV", "true")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.counts().0, 3);
}

#[test]
fn demo_runs_on_an_empty_database_and_again_on_a_demo_only_one() {
    let env = Env::new();
    let first = env.ok(&["demo"], "");
    assert!(first.contains("created demo account demo"), "{first}");
    assert!(first.contains("created demo account operator"), "{first}");
    let again = env.ok(&["demo"], "");
    assert!(again.contains("already exists"), "{again}");
    assert_eq!(env.counts(), (2, 2, 2));
    // Once a real account exists, it is refused again (dev off).
    env.create_user("erin", "Erin");
    let error = env.fails(&["demo"], "");
    assert!(
        error.contains("refusing to add the demo accounts"),
        "{error}"
    );
}

#[test]
fn unknown_options_and_commands_are_refused() {
    let env = Env::new();
    let out = env.run(
        &[
            "user",
            "create",
            "--username",
            "x",
            "--display-name",
            "X",
            "--password",
            "p",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["frobnicate"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_failed_migration_stops_start_up_with_a_clear_error() {
    let env = Env::new();
    env.counts();
    // Tamper with the record of an applied migration, as a hand-edited schema would.
    let out = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"update _sqlx_migrations set checksum = x'00'\"); c.commit()")
        .arg(env.db())
        .output()
        .unwrap();
    assert!(out.status.success());
    let err = env.fails(&["migrate"], "");
    assert!(err.contains("migration"), "{err}");
    std::fs::create_dir_all(env.dir.path().join("site/pkg")).unwrap();
    let err = env.fails(&["serve"], "");
    assert!(err.contains("migration failed, not starting"), "{err}");
}

#[test]
fn client_create_prints_the_secret_once_and_list_never_shows_it() {
    let env = Env::new();
    let out = env.ok(
        &[
            "client",
            "create",
            "--name",
            "Team wiki",
            "--redirect-uri",
            "https://wiki.example.org/oauth/callback",
            "--redirect-uri",
            "http://localhost:8080/callback",
            "--first-party",
        ],
        "",
    );
    let field = |name: &str| {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}: ")))
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .to_string()
    };
    let (id, secret) = (field("client_id"), field("client_secret"));
    assert_eq!(id.len(), 20);
    assert_eq!(secret.len(), 43);
    let listed = env.ok(&["client", "list"], "");
    assert!(
        listed.contains(&id) && listed.contains("Team wiki"),
        "{listed}"
    );
    assert!(listed.contains("confidential, first party"), "{listed}");
    assert!(
        listed.contains("https://wiki.example.org/oauth/callback"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "the secret is never shown again");
    // The database holds no secret either.
    let db = std::fs::read(env.db()).unwrap();
    assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()));

    let public = env.ok(
        &[
            "client",
            "create",
            "--name",
            "App",
            "--redirect-uri",
            "http://127.0.0.1:9000/cb",
            "--public",
        ],
        "",
    );
    assert!(public.contains("public client: no secret"), "{public}");
    assert!(!public.contains("client_secret"), "{public}");

    // Disabling: listed as disabled; a second time, or an unknown client, is an error.
    let done = env.ok(&["client", "disable", "--client-id", &id], "");
    assert!(done.contains("disabled client"), "{done}");
    let listed = env.ok(&["client", "list"], "");
    assert!(listed.contains("first party, disabled"), "{listed}");
    let again = env.fails(&["client", "disable", "--client-id", &id], "");
    assert!(again.contains("no such application"), "{again}");
    let bad = env.fails(&["client", "disable", "--client-id", "nope"], "");
    assert!(bad.contains("no such application"), "{bad}");
}

#[test]
fn client_rotate_key_makes_a_new_signing_key_each_time() {
    let env = Env::new();
    let kid = |out: String| {
        out.split_whitespace()
            .nth(3)
            .unwrap_or_else(|| panic!("no kid in {out}"))
            .trim_end_matches(';')
            .to_string()
    };
    let first = kid(env.ok(&["client", "rotate-key"], ""));
    let second = kid(env.ok(&["client", "rotate-key"], ""));
    assert_eq!(first.len(), 43, "an RFC 7638 thumbprint: {first}");
    assert_ne!(first, second);
}

#[test]
fn client_create_refuses_bad_redirect_uris_and_writes_nothing() {
    let env = Env::new();
    for (uri, why) in [
        ("http://wiki.example.org/cb", "https"),
        ("https://wiki.example.org/cb#x", "fragment"),
        ("not a url", "spaces"),
    ] {
        let error = env.fails(
            &["client", "create", "--name", "Wiki", "--redirect-uri", uri],
            "",
        );
        assert!(
            error.contains(why) && error.contains("nothing was written"),
            "{uri}: {error}"
        );
    }
    let error = env.fails(&["client", "create", "--name", "Wiki"], "");
    assert!(error.contains("--redirect-uri"), "{error}");
    assert_eq!(env.ok(&["client", "list"], "").trim(), "no clients");
}
