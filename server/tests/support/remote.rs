//! The same requests as the in-process tests ([`super::client`]), over real TCP to a server in
//! its own process: `mayi-id serve` as an operator starts it, or a bench's baseline server.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use axum::http::{header, HeaderMap, HeaderValue, Method, Request};

use super::client::{find_cookie, post, sign_in};
use super::fixtures::PASSWORD;

/// One request may take at most this long (a stuck server fails the run, not hangs it).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a started server may take to answer its readiness check.
pub const START_TIMEOUT: Duration = Duration::from_secs(60);

/// What the server answered: `(status, headers, body)`.
pub type Answer = (u16, HeaderMap, String);

/// A browser talking to the server at `base`: its cookies are passed by hand (as in the
/// in-process tests), redirects are not followed (a server function's answer is what counts,
/// not the next page), every request is bounded in time. Clones share their connections.
#[derive(Clone)]
pub struct Remote {
    client: reqwest::Client,
    pub base: String,
}

impl Remote {
    pub fn new(base: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .user_agent("mayi-id test kit")
            .build()
            .map_err(|e| format!("HTTP client: {}", error_chain(&e)))?;
        Ok(Self {
            client,
            base: base.to_string(),
        })
    }

    /// Sends `request` (its URI a path on this server); a POST carries the server's own
    /// `Origin`, as the hydrated page's do (the router refuses cross-site posts). The answer
    /// as it comes, its body unread.
    pub async fn execute(
        &self,
        request: Request<String>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let (mut parts, body) = request.into_parts();
        if parts.method == Method::POST {
            if let Ok(origin) = HeaderValue::from_str(&self.base) {
                parts.headers.entry(header::ORIGIN).or_insert(origin);
            }
        }
        self.client
            .request(parts.method, format!("{}{}", self.base, parts.uri))
            .headers(parts.headers)
            .body(body)
            .send()
            .await
    }

    /// [`Self::execute`], the body read as text: `(status, headers, body)`.
    pub async fn send(&self, request: Request<String>) -> Result<Answer, reqwest::Error> {
        let response = self.execute(request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        Ok((status, headers, response.text().await?))
    }

    /// A server function call ([`post`]).
    pub async fn call(
        &self,
        path: &str,
        form: &str,
        cookie: &str,
    ) -> Result<Answer, reqwest::Error> {
        self.send(post(path, form, cookie)).await
    }

    /// `name=value` of the cookie `name` that a successful `request` sets, or why not: for
    /// loads, which count failures instead of stopping at the first.
    pub async fn cookie_from(
        &self,
        request: Request<String>,
        name: &str,
    ) -> Result<String, String> {
        let (status, headers, body) = self
            .send(request)
            .await
            .map_err(|e| format!("request failed: {}", error_chain(&e)))?;
        match find_cookie(&headers, name) {
            Some(cookie) if (200..400).contains(&status) => Ok(cookie),
            _ => {
                let body: String = body.chars().take(160).collect();
                Err(format!("HTTP {status}, no {name} cookie; body: {body}"))
            }
        }
    }

    /// Whether GET `path` answers 2xx.
    pub async fn is_up(&self, path: &str) -> bool {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }
}

/// An error with its causes, one after the other.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

pub fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port on loopback: {e}"))
}

/// A server in its own process on `base`, its output in `log`, killed when dropped; `remote`
/// talks to it.
pub struct Process {
    pub child: Child,
    pub base: String,
    pub log: PathBuf,
    pub remote: Remote,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Process {
    /// Starts `command` serving on `base`, its stdout and stderr into `log`; ready once GET
    /// `ready_path` answers 2xx (within [`START_TIMEOUT`]).
    pub async fn start(
        mut command: Command,
        base: String,
        log: PathBuf,
        ready_path: &str,
    ) -> Result<Self, String> {
        let out = std::fs::File::create(&log).map_err(|e| format!("{}: {e}", log.display()))?;
        let err = out.try_clone().map_err(|e| e.to_string())?;
        let child = command
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .spawn()
            .map_err(|e| format!("cannot start {:?}: {e}", command.get_program()))?;
        let remote = Remote::new(&base)?;
        let process = Process {
            child,
            base,
            log,
            remote,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while !process.remote.is_up(ready_path).await {
            if Instant::now() > deadline {
                return Err(format!(
                    "{} did not become ready: {}",
                    process.base,
                    std::fs::read_to_string(&process.log).unwrap_or_default()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(process)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `request` ([`Remote::send`]); panics if the server cannot be reached.
    pub async fn send(&self, request: Request<String>) -> Answer {
        self.remote.send(request).await.unwrap()
    }

    /// A server function call as the hydrated page makes it; panics if the server cannot be
    /// reached.
    pub async fn call(&self, path: &str, form: &str, cookie: &str) -> Answer {
        self.send(post(path, form, cookie)).await
    }

    /// A sign-in attempt cookie of `username` (password [`PASSWORD`]).
    pub async fn sign_in(&self, username: &str) -> String {
        self.remote
            .cookie_from(sign_in(username, PASSWORD), "mayi_signin")
            .await
            .unwrap()
    }
}

/// `binary serve` on a free loopback port, as an operator starts it, in development mode (no
/// TLS, plain-http cookies): its database at `database_url`, its seed key `dir/seed.key`, its
/// site at `site_root`, its log `dir/{name}.log` (at its default level unless `env` says
/// otherwise), and `env` on top.
pub async fn serve(
    binary: &Path,
    name: &str,
    database_url: &str,
    dir: &Path,
    site_root: &Path,
    env: &[(&str, String)],
) -> Result<Process, String> {
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut command = Command::new(binary);
    command
        .arg("serve")
        .env_remove("MAYI_LOG")
        .env("MAYI_DATABASE_URL", database_url)
        .env("MAYI_LISTEN", format!("127.0.0.1:{port}"))
        .env("MAYI_PUBLIC_URL", &base)
        .env("MAYI_DEV", "true")
        .env("MAYI_SEED_KEY_FILE", dir.join("seed.key"))
        .env("MAYI_SITE_ROOT", site_root)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())));
    Process::start(command, base, dir.join(format!("{name}.log")), "/readyz").await
}

/// What the benches run by default: the release server binary (`MAYI_BENCH_BINARY`, default
/// `target/release/mayi-id`) and the built site (`MAYI_BENCH_SITE_ROOT`, default `target/site`)
/// in the workspace.
pub fn bench_defaults() -> (PathBuf, PathBuf) {
    let workspace = workspace();
    let path = |var: &str, default: &str| {
        std::env::var(var)
            .map(PathBuf::from)
            .unwrap_or_else(|_| workspace.join(default))
    };
    (
        path("MAYI_BENCH_BINARY", "target/release/mayi-id"),
        path("MAYI_BENCH_SITE_ROOT", "target/site"),
    )
}

/// The workspace's root folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}
