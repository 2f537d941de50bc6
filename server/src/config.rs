//! Configuration: built-in defaults, then an optional TOML file (`--config` or `MAYI_CONFIG`),
//! then `MAYI_*` environment variables. Values that may hold credentials are kept in [`Secret`]
//! so that printing the configuration never shows them.

use std::{
    collections::BTreeMap,
    fmt,
    net::SocketAddr,
    path::{Path, PathBuf},
};

use serde::Deserialize;

/// A configuration value that may carry a credential (a database or SMTP URL with a password).
/// Its `Debug` and `Display` show only a redacted form.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", redact_url(&self.0))
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", redact_url(&self.0))
    }
}

/// Shows a URL's scheme and host but never its user info, query or fragment.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return "***".to_string();
    };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    let host = match authority.rsplit_once('@') {
        Some((_, host)) => format!("***@{host}"),
        None => authority.to_string(),
    };
    format!("{scheme}://{host}{path}")
}

/// The environment variables MAYI ID reads; any other `MAYI_*` variable is warned about.
pub const ENV_VARS: &[(&str, &str)] = &[
    ("MAYI_CONFIG", "path of an optional TOML configuration file"),
    (
        "MAYI_DATABASE_URL",
        "sqlite://PATH or postgres://USER@HOST/DB",
    ),
    ("MAYI_LISTEN", "address to listen on, e.g. 127.0.0.1:3000"),
    ("MAYI_PUBLIC_URL", "the public base URL used in links"),
    (
        "MAYI_SMTP_URL",
        "SMTP server for email, e.g. smtp://host:25",
    ),
    ("MAYI_MAIL_FROM", "sender address of MAYI ID's email"),
    (
        "MAYI_SMS_GATEWAY_URL",
        "HTTP endpoint receiving {\"to\",\"text\"} JSON",
    ),
    ("MAYI_DEV", "development mode (true/false)"),
    (
        "MAYI_SITE_ROOT",
        "directory holding pkg/ and the static files",
    ),
    (
        "MAYI_SEED_KEY_FILE",
        "file with the key that encrypts TOTP seeds",
    ),
    ("MAYI_LOG", "log filter, e.g. info or mayi_id=debug"),
    ("MAYI_LOG_FORMAT", "log lines as text (default) or json"),
    (
        "MAYI_METRICS_LISTEN",
        "address for Prometheus /metrics, e.g. 127.0.0.1:9464 (off when unset)",
    ),
    (
        "MAYI_LIMIT_ADDRESS_FAILURES",
        "failed sign-in steps per client address per 15 minutes (default 50)",
    ),
    (
        "MAYI_LIMIT_ADDRESS_SENDS",
        "SMS/email codes sent per client address per 15 minutes (default 20)",
    ),
    (
        "MAYI_LIMIT_ADDRESS_WIZARD_STARTS",
        "Emergency Access starts per client address per 15 minutes (default 20)",
    ),
    (
        "MAYI_EMERGENCY_USES",
        "uses of a self-service emergency code (1 to 10, default 3)",
    ),
    (
        "MAYI_EMERGENCY_LIFETIME_MINUTES",
        "lifetime of a self-service emergency code (15 to 10080, default 1440)",
    ),
    (
        "MAYI_EMERGENCY_WAIT_MINUTES",
        "waiting period before a self-service code is valid (default 0)",
    ),
    (
        "MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN",
        "waiting period of a self-service code asked for from a browser that never signed in \
         to the account (0 to 4320, default 1440)",
    ),
    (
        "MAYI_TRUSTED_PROXIES",
        "reverse proxies whose X-Forwarded-For/Forwarded is believed, e.g. 127.0.0.1, 10.0.0.0/8",
    ),
];

/// The file format: every key optional, unknown keys refused.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<Secret>,
    listen: Option<String>,
    public_url: Option<String>,
    smtp_url: Option<Secret>,
    mail_from: Option<String>,
    sms_gateway_url: Option<Secret>,
    dev: Option<bool>,
    site_root: Option<PathBuf>,
    seed_key_file: Option<PathBuf>,
    emergency_uses: Option<u32>,
    emergency_lifetime_minutes: Option<u64>,
    emergency_wait_minutes: Option<u64>,
    emergency_wait_minutes_unknown: Option<u64>,
    limit_address_failures: Option<u64>,
    limit_address_sends: Option<u64>,
    limit_address_wizard_starts: Option<u64>,
    log_format: Option<String>,
    metrics_listen: Option<String>,
    trusted_proxies: Option<OneOrMany>,
}

/// A file value given as one string or as a list of strings.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: Secret,
    pub listen: SocketAddr,
    pub public_url: String,
    pub smtp_url: Option<Secret>,
    pub mail_from: String,
    pub sms_gateway_url: Option<Secret>,
    pub dev: bool,
    /// Where `pkg/` and the static files are; found next to the binary when not configured.
    pub site_root: Option<PathBuf>,
    pub seed_key_file: PathBuf,
    /// The self-service emergency code policy (bounds checked on load).
    pub emergency: identity::EmergencyPolicy,
    /// The rate limits; only the per-address windows are configurable (many people behind one
    /// NAT, as on a campus, may need more), the per-account rules are fixed.
    pub throttle: identity::ThrottlePolicy,
    /// Log lines as JSON objects (one per line) instead of text.
    pub log_json: bool,
    /// Where `/metrics` is served; `None`: not at all. Never the public address.
    pub metrics_listen: Option<SocketAddr>,
    /// The reverse proxies whose forwarding headers name the client; empty: the TCP peer is
    /// the client and no forwarding header is read.
    pub trusted_proxies: Vec<app::ssr::TrustedProxy>,
    /// Warnings met while loading (unknown variables), reported once logging is up.
    pub warnings: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("{name} is not valid: {message}")]
    Value { name: String, message: String },
}

impl Config {
    /// Loads the configuration from an optional file and the given environment.
    pub fn load(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
    ) -> Result<Config, ConfigError> {
        let file_path = file
            .map(Path::to_path_buf)
            .or_else(|| env.get("MAYI_CONFIG").map(PathBuf::from));
        let from_file = match &file_path {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.clone(),
                    source,
                })?;
                toml::from_str::<FileConfig>(&text).map_err(|e| ConfigError::Parse {
                    path: path.clone(),
                    message: e.message().to_string(),
                })?
            }
            None => FileConfig::default(),
        };

        let get = |name: &str| env.get(name).filter(|v| !v.is_empty()).cloned();
        let database_url = get("MAYI_DATABASE_URL")
            .map(Secret::new)
            .or(from_file.database_url)
            .unwrap_or_else(|| Secret::new("sqlite://data/mayi-id.db"));
        if !(database_url.expose().starts_with("sqlite:")
            || database_url.expose().starts_with("postgres://")
            || database_url.expose().starts_with("postgresql://"))
        {
            return Err(ConfigError::Value {
                name: "MAYI_DATABASE_URL".into(),
                message: format!("{database_url} is neither sqlite:// nor postgres://"),
            });
        }
        let listen_text = get("MAYI_LISTEN")
            .or(from_file.listen)
            .unwrap_or_else(|| "127.0.0.1:3000".to_string());
        let listen: SocketAddr = listen_text.parse().map_err(|_| ConfigError::Value {
            name: "MAYI_LISTEN".into(),
            message: format!("{listen_text:?} is not an address such as 127.0.0.1:3000"),
        })?;
        let public_url = get("MAYI_PUBLIC_URL")
            .or(from_file.public_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let public_url = public_url.trim_end_matches('/').to_string();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError::Value {
                name: "MAYI_PUBLIC_URL".into(),
                message: format!("{public_url:?} must start with http:// or https://"),
            });
        }
        let dev = match get("MAYI_DEV") {
            Some(value) => parse_bool(&value).ok_or_else(|| ConfigError::Value {
                name: "MAYI_DEV".into(),
                message: format!("{value:?} is not true or false"),
            })?,
            None => from_file.dev.unwrap_or(false),
        };
        let number = |name: &str, from_file: Option<u64>| -> Result<Option<u64>, ConfigError> {
            match get(name) {
                Some(value) => {
                    value
                        .trim()
                        .parse::<u64>()
                        .map(Some)
                        .map_err(|_| ConfigError::Value {
                            name: name.into(),
                            message: format!("{value:?} is not a whole number"),
                        })
                }
                None => Ok(from_file),
            }
        };
        let defaults = identity::EmergencyPolicy::SELF_SERVICE_DEFAULT;
        let uses = number(
            "MAYI_EMERGENCY_USES",
            from_file.emergency_uses.map(u64::from),
        )?;
        let lifetime = number(
            "MAYI_EMERGENCY_LIFETIME_MINUTES",
            from_file.emergency_lifetime_minutes,
        )?;
        let wait = number(
            "MAYI_EMERGENCY_WAIT_MINUTES",
            from_file.emergency_wait_minutes,
        )?;
        let wait_unknown = number(
            "MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN",
            from_file.emergency_wait_minutes_unknown,
        )?;
        let emergency = identity::EmergencyPolicy {
            max_uses: uses.map_or(defaults.max_uses, |n| u32::try_from(n).unwrap_or(u32::MAX)),
            lifetime: lifetime.map_or(defaults.lifetime, |m| {
                std::time::Duration::from_secs(m.saturating_mul(60))
            }),
            wait: wait.map_or(defaults.wait, |m| {
                std::time::Duration::from_secs(m.saturating_mul(60))
            }),
            wait_unknown: wait_unknown.map_or(defaults.wait_unknown, |m| {
                std::time::Duration::from_secs(m.saturating_mul(60))
            }),
        };
        emergency.check().map_err(|e| ConfigError::Value {
            name: "MAYI_EMERGENCY_*".into(),
            message: e.to_string(),
        })?;
        let mut throttle = identity::ThrottlePolicy::DEFAULT;
        for (name, from_file, limit) in [
            (
                "MAYI_LIMIT_ADDRESS_FAILURES",
                from_file.limit_address_failures,
                &mut throttle.ip_sign_in.limit,
            ),
            (
                "MAYI_LIMIT_ADDRESS_SENDS",
                from_file.limit_address_sends,
                &mut throttle.ip_code_send.limit,
            ),
            (
                "MAYI_LIMIT_ADDRESS_WIZARD_STARTS",
                from_file.limit_address_wizard_starts,
                &mut throttle.ip_wizard.limit,
            ),
        ] {
            if let Some(value) = number(name, from_file)? {
                if !(1..=100_000).contains(&value) {
                    return Err(ConfigError::Value {
                        name: name.into(),
                        message: format!("{value} is not between 1 and 100000"),
                    });
                }
                *limit = value as i64;
            }
        }
        let log_json = match get("MAYI_LOG_FORMAT").or(from_file.log_format).as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(ConfigError::Value {
                    name: "MAYI_LOG_FORMAT".into(),
                    message: format!("{other:?} is not text or json"),
                })
            }
        };
        let metrics_listen = match get("MAYI_METRICS_LISTEN").or(from_file.metrics_listen) {
            None => None,
            Some(text) => {
                let address: SocketAddr = text.parse().map_err(|_| ConfigError::Value {
                    name: "MAYI_METRICS_LISTEN".into(),
                    message: format!("{text:?} is not an address such as 127.0.0.1:9464"),
                })?;
                if address == listen {
                    return Err(ConfigError::Value {
                        name: "MAYI_METRICS_LISTEN".into(),
                        message: "must differ from MAYI_LISTEN: /metrics is not public".into(),
                    });
                }
                Some(address)
            }
        };
        let trusted_proxies = match get("MAYI_TRUSTED_PROXIES") {
            Some(text) => parse_trusted_proxies(&[text])?,
            None => match from_file.trusted_proxies {
                None => Vec::new(),
                Some(OneOrMany::One(text)) => parse_trusted_proxies(&[text])?,
                Some(OneOrMany::Many(list)) => parse_trusted_proxies(&list)?,
            },
        };
        let mut warnings = Vec::new();
        for name in env.keys().filter(|k| k.starts_with("MAYI_")) {
            if !ENV_VARS.iter().any(|(known, _)| known == name) && !name.starts_with("MAYI_TEST_") {
                warnings.push(format!("unknown environment variable {name} is ignored"));
            }
        }
        Ok(Config {
            database_url,
            listen,
            public_url,
            smtp_url: get("MAYI_SMTP_URL").map(Secret::new).or(from_file.smtp_url),
            mail_from: get("MAYI_MAIL_FROM")
                .or(from_file.mail_from)
                .unwrap_or_else(|| "MAYI ID <no-reply@localhost>".to_string()),
            sms_gateway_url: get("MAYI_SMS_GATEWAY_URL")
                .map(Secret::new)
                .or(from_file.sms_gateway_url),
            dev,
            site_root: get("MAYI_SITE_ROOT")
                .map(PathBuf::from)
                .or(from_file.site_root),
            seed_key_file: get("MAYI_SEED_KEY_FILE")
                .map(PathBuf::from)
                .or(from_file.seed_key_file)
                .unwrap_or_else(|| PathBuf::from("data/seed.key")),
            emergency,
            throttle,
            log_json,
            metrics_listen,
            trusted_proxies,
            warnings,
        })
    }

    /// Loads from the process environment.
    pub fn from_process(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Config::load(file, &env)
    }

    /// The site root: configured, or the `site` directory beside the binary's directory
    /// (`target/site` for `target/{debug,release}/mayi-id`), or `./target/site`.
    pub fn resolve_site_root(&self) -> Result<PathBuf, String> {
        if let Some(root) = &self.site_root {
            return if root.join("pkg").is_dir() {
                Ok(root.clone())
            } else {
                Err(format!(
                    "the configured site root {} has no pkg/ directory; build it with `cargo xtask build`",
                    root.display()
                ))
            };
        }
        let mut candidates = Vec::new();
        if let Ok(exe) = std::env::current_exe() {
            if let Some(dir) = exe.parent() {
                candidates.push(dir.join("site"));
                if let Some(parent) = dir.parent() {
                    candidates.push(parent.join("site"));
                }
            }
        }
        candidates.push(PathBuf::from("target/site"));
        candidates
            .iter()
            .find(|c| crate::assets::has_front_end(c))
            .cloned()
            .ok_or_else(|| {
                format!(
                    "no built site found (looked in {}); build it with `cargo xtask build` or set MAYI_SITE_ROOT",
                    candidates
                        .iter()
                        .map(|c| c.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
    }
}

/// `MAYI_TRUSTED_PROXIES`: addresses and networks separated by commas and/or whitespace, in
/// one or more strings.
fn parse_trusted_proxies(texts: &[String]) -> Result<Vec<app::ssr::TrustedProxy>, ConfigError> {
    texts
        .iter()
        .flat_map(|text| text.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            app::ssr::TrustedProxy::parse(entry).map_err(|reason| ConfigError::Value {
                name: "MAYI_TRUSTED_PROXIES".into(),
                message: format!(
                    "{entry:?} is not an address or a network such as 10.0.0.0/8 ({reason})"
                ),
            })
        })
        .collect()
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_without_file_or_env() {
        let config = Config::load(None, &env(&[])).unwrap();
        assert_eq!(config.database_url.expose(), "sqlite://data/mayi-id.db");
        assert_eq!(config.listen.to_string(), "127.0.0.1:3000");
        assert_eq!(config.public_url, "http://127.0.0.1:3000");
        assert!(!config.dev);
        assert!(config.warnings.is_empty());
    }

    #[test]
    fn environment_overrides_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mayi.toml");
        std::fs::write(
            &path,
            "listen = \"127.0.0.1:4000\"\ndev = true\npublic_url = \"https://id.example.org/\"\n",
        )
        .unwrap();
        let config = Config::load(Some(&path), &env(&[("MAYI_LISTEN", "127.0.0.1:5000")])).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:5000");
        assert!(config.dev);
        assert_eq!(config.public_url, "https://id.example.org");
    }

    #[test]
    fn config_file_from_env_and_unknown_keys_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.toml");
        std::fs::write(&path, "listne = \"x\"\n").unwrap();
        let err = Config::load(None, &env(&[("MAYI_CONFIG", path.to_str().unwrap())])).unwrap_err();
        assert!(err.to_string().contains("listne"), "{err}");
    }

    #[test]
    fn unknown_mayi_variables_are_warned_about() {
        let config =
            Config::load(None, &env(&[("MAYI_DATABSE_URL", "x"), ("OTHER", "y")])).unwrap();
        assert_eq!(config.warnings.len(), 1);
        assert!(config.warnings[0].contains("MAYI_DATABSE_URL"));
    }

    #[test]
    fn bad_values_are_clear_errors() {
        let err = Config::load(None, &env(&[("MAYI_LISTEN", "nowhere")])).unwrap_err();
        assert!(err.to_string().contains("MAYI_LISTEN"));
        let err = Config::load(None, &env(&[("MAYI_DATABASE_URL", "mysql://x")])).unwrap_err();
        assert!(err.to_string().contains("MAYI_DATABASE_URL"));
        let err = Config::load(None, &env(&[("MAYI_DEV", "maybe")])).unwrap_err();
        assert!(err.to_string().contains("MAYI_DEV"));
    }

    #[test]
    fn emergency_policy_is_read_and_its_bounds_checked_at_start() {
        let config = Config::load(None, &env(&[])).unwrap();
        assert_eq!(
            config.emergency,
            identity::EmergencyPolicy::SELF_SERVICE_DEFAULT
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mayi.toml");
        std::fs::write(
            &path,
            "emergency_uses = 5\nemergency_lifetime_minutes = 60\n",
        )
        .unwrap();
        let config =
            Config::load(Some(&path), &env(&[("MAYI_EMERGENCY_WAIT_MINUTES", "30")])).unwrap();
        assert_eq!(config.emergency.max_uses, 5);
        assert_eq!(config.emergency.lifetime.as_secs(), 3600);
        assert_eq!(config.emergency.wait.as_secs(), 1800);
        // The unknown browser's wait (issue 13 item 5): 24 hours by default, from the file or
        // the environment.
        assert_eq!(config.emergency.wait_unknown.as_secs(), 24 * 3600);
        std::fs::write(&path, "emergency_wait_minutes_unknown = 90\n").unwrap();
        let config = Config::load(Some(&path), &env(&[])).unwrap();
        assert_eq!(config.emergency.wait_unknown.as_secs(), 90 * 60);
        let config = Config::load(
            Some(&path),
            &env(&[("MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN", "0")]),
        )
        .unwrap();
        assert_eq!(config.emergency.wait_unknown.as_secs(), 0);
        for (name, value) in [
            ("MAYI_EMERGENCY_USES", "0"),
            ("MAYI_EMERGENCY_USES", "11"),
            ("MAYI_EMERGENCY_USES", "three"),
            ("MAYI_EMERGENCY_LIFETIME_MINUTES", "14"),
            ("MAYI_EMERGENCY_LIFETIME_MINUTES", "10081"),
            ("MAYI_EMERGENCY_WAIT_MINUTES", "1440"),
            ("MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN", "4321"),
            ("MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN", "a day"),
        ] {
            let err = Config::load(None, &env(&[(name, value)])).unwrap_err();
            assert!(
                err.to_string().contains("MAYI_EMERGENCY"),
                "{name}={value}: {err}"
            );
        }
    }

    #[test]
    fn per_address_limits_are_configurable_within_bounds() {
        let config = Config::load(None, &env(&[])).unwrap();
        assert_eq!(config.throttle, identity::ThrottlePolicy::DEFAULT);
        let config = Config::load(
            None,
            &env(&[
                ("MAYI_LIMIT_ADDRESS_SENDS", "500"),
                ("MAYI_LIMIT_ADDRESS_WIZARD_STARTS", "40"),
                ("MAYI_LIMIT_ADDRESS_FAILURES", "200"),
            ]),
        )
        .unwrap();
        assert_eq!(config.throttle.ip_code_send.limit, 500);
        assert_eq!(config.throttle.ip_wizard.limit, 40);
        assert_eq!(config.throttle.ip_sign_in.limit, 200);
        // The per-account rules stay as they are.
        assert_eq!(
            config.throttle.account_factor,
            identity::ThrottlePolicy::DEFAULT.account_factor
        );
        for value in ["0", "100001", "many"] {
            let err = Config::load(None, &env(&[("MAYI_LIMIT_ADDRESS_SENDS", value)])).unwrap_err();
            assert!(
                err.to_string().contains("MAYI_LIMIT_ADDRESS_SENDS"),
                "{err}"
            );
        }
    }

    fn proxy(text: &str) -> app::ssr::TrustedProxy {
        app::ssr::TrustedProxy::parse(text).unwrap()
    }

    fn ip(text: &str) -> std::net::IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn trusted_proxies_default_to_none() {
        let config = Config::load(None, &env(&[])).unwrap();
        assert!(config.trusted_proxies.is_empty());
        let config = Config::load(None, &env(&[("MAYI_TRUSTED_PROXIES", "")])).unwrap();
        assert!(config.trusted_proxies.is_empty());
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }

    #[test]
    fn trusted_proxies_are_read_from_the_environment_separated_by_commas_or_spaces() {
        let config = Config::load(
            None,
            &env(&[(
                "MAYI_TRUSTED_PROXIES",
                " 127.0.0.1, 10.0.0.0/8 ,192.168.1.0/24\t::1\n 2001:db8::/32,,",
            )]),
        )
        .unwrap();
        assert_eq!(
            config.trusted_proxies,
            vec![
                proxy("127.0.0.1/32"),
                proxy("10.0.0.0/8"),
                proxy("192.168.1.0/24"),
                proxy("::1/128"),
                proxy("2001:db8::/32"),
            ]
        );
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    }

    #[test]
    fn trusted_proxies_are_read_from_the_file_as_a_list_or_a_string() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mayi.toml");
        std::fs::write(&path, "trusted_proxies = [\"10.1.2.3\", \"fd00::/8\"]\n").unwrap();
        let config = Config::load(Some(&path), &env(&[])).unwrap();
        assert_eq!(
            config.trusted_proxies,
            vec![proxy("10.1.2.3"), proxy("fd00::/8")]
        );
        std::fs::write(&path, "trusted_proxies = \"10.1.2.3 172.16.0.0/12\"\n").unwrap();
        let config = Config::load(Some(&path), &env(&[])).unwrap();
        assert_eq!(
            config.trusted_proxies,
            vec![proxy("10.1.2.3"), proxy("172.16.0.0/12")]
        );
        // The environment wins over the file.
        let config =
            Config::load(Some(&path), &env(&[("MAYI_TRUSTED_PROXIES", "127.0.0.1")])).unwrap();
        assert_eq!(config.trusted_proxies, vec![proxy("127.0.0.1")]);
        std::fs::write(&path, "trusted_proxies = [\"10.0.0.0/33\"]\n").unwrap();
        let err = Config::load(Some(&path), &env(&[])).unwrap_err();
        assert!(err.to_string().contains("MAYI_TRUSTED_PROXIES"), "{err}");
        assert!(err.to_string().contains("10.0.0.0/33"), "{err}");
    }

    #[test]
    fn bad_trusted_proxies_are_clear_errors_naming_the_entry() {
        for bad in [
            "10.0.0.0/33",
            "nonsense",
            "127.0.0.1, nonsense",
            "::1/129",
            "10.0.0.0/",
            "10.0.0.0/-1",
            "10.0.0.0/8/8",
            "10.0.0.256",
            "[::1]",
            "10.0.0.1:80",
            "/8",
        ] {
            let err = Config::load(None, &env(&[("MAYI_TRUSTED_PROXIES", bad)])).unwrap_err();
            let text = err.to_string();
            assert!(text.contains("MAYI_TRUSTED_PROXIES"), "{bad}: {text}");
            let entry = bad.rsplit(", ").next().unwrap();
            assert!(text.contains(entry), "{bad}: {text}");
        }
    }

    #[test]
    fn trusted_proxy_networks_match_their_masked_bits() {
        let net = proxy("10.0.0.0/8");
        assert!(net.contains(ip("10.0.0.0")));
        assert!(net.contains(ip("10.255.255.255")));
        assert!(!net.contains(ip("11.0.0.0")));
        assert!(!net.contains(ip("9.255.255.255")));
        let net = proxy("192.168.1.128/25");
        assert!(net.contains(ip("192.168.1.200")));
        assert!(!net.contains(ip("192.168.1.127")));
        // Host bits in the network are ignored.
        assert!(proxy("10.1.2.3/8").contains(ip("10.200.0.1")));
        // One address is a /32 or a /128.
        let one = proxy("127.0.0.1");
        assert!(one.contains(ip("127.0.0.1")));
        assert!(!one.contains(ip("127.0.0.2")));
        assert_eq!(one, proxy("127.0.0.1/32"));
        // /0 holds every address of its family, and only of its family.
        assert!(proxy("0.0.0.0/0").contains(ip("203.0.113.9")));
        assert!(!proxy("0.0.0.0/0").contains(ip("2001:db8::1")));
        assert!(proxy("::/0").contains(ip("2001:db8::1")));
        assert!(!proxy("::/0").contains(ip("203.0.113.9")));
        // IPv6.
        let net = proxy("2001:db8:abcd::/48");
        assert!(net.contains(ip("2001:db8:abcd:12::1")));
        assert!(net.contains(ip("2001:DB8:ABCD:FFFF:FFFF:FFFF:FFFF:FFFF")));
        assert!(!net.contains(ip("2001:db8:abce::1")));
        let net = proxy("fe80::/10");
        assert!(net.contains(ip("febf::1")));
        assert!(!net.contains(ip("fec0::1")));
        assert!(proxy("::1").contains(ip("::1")));
        assert!(!proxy("::1").contains(ip("::2")));
        assert!(!proxy("::1").contains(ip("127.0.0.1")));
        // An IPv4-mapped IPv6 peer (a dual-stack listener) counts as its IPv4 address.
        assert!(proxy("127.0.0.1").contains(ip("::ffff:127.0.0.1")));
        assert!(proxy("10.0.0.0/8").contains(ip("::ffff:10.9.8.7")));
        assert!(!proxy("10.0.0.0/8").contains(ip("::ffff:11.9.8.7")));
        // And a mapped network is its IPv4 network.
        assert_eq!(proxy("::ffff:10.0.0.0/104"), proxy("10.0.0.0/8"));
        assert!(proxy("::ffff:10.0.0.0/104").contains(ip("10.1.1.1")));
        assert_eq!(proxy("10.0.0.0/8").to_string(), "10.0.0.0/8");
    }

    #[test]
    fn secrets_are_never_printed() {
        let config = Config::load(
            None,
            &env(&[
                (
                    "MAYI_DATABASE_URL",
                    "postgres://mayi:hunter2-secret@db.example/mayi?sslmode=require",
                ),
                ("MAYI_SMTP_URL", "smtp://user:mail-secret@mail.example:587"),
            ]),
        )
        .unwrap();
        let printed = format!("{config:?} {}", config.database_url);
        assert!(!printed.contains("hunter2-secret"), "{printed}");
        assert!(!printed.contains("mail-secret"), "{printed}");
        assert!(printed.contains("db.example/mayi"), "{printed}");
    }
}
