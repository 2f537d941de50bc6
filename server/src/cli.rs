//! The `mayi-id` command line: `serve` (the default), `migrate`, user and token administration,
//! and `demo`. Every command validates all of its input before writing anything; a bad argument
//! gets a clear message, a non-zero exit status, and no change. Accounts, imported tokens and
//! role changes (the demo data's too) go through [`Provisioning`], which audits each one in the
//! transaction that writes it.

use std::{
    io::{IsTerminal, Read},
    path::PathBuf,
    process::ExitCode,
    sync::Arc,
};

use clap::{Parser, Subcommand, ValueEnum};
use identity::{
    Email, ImportedToken, NewAccountRequest, Password, PasswordHasher, PhoneNumber, Provisioning,
    Role, TokenKind, TotpSecret, Username,
};

use crate::{config::Config, runtime};

#[derive(Debug, Parser)]
#[command(
    name = "mayi-id",
    version,
    about = "MAYI ID: sign-in with a second factor, and a safe way back in when the phone is lost"
)]
pub struct Cli {
    /// TOML configuration file (also MAYI_CONFIG); environment variables override it.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve MAYI ID over HTTP (the default). Migrates the database first.
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage tokens (second factors).
    #[command(subcommand)]
    Token(TokenCommand),
    /// Manage the applications that sign their users in through MAYI ID (OpenID Connect).
    #[command(subcommand)]
    Client(ClientCommand),
    /// Add the demo accounts (a user and an operator, each with a known TOTP secret).
    Demo,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account. The password is read from standard input (or a prompt), never from an
    /// argument. Contacts given here are taken as confirmed: an administrator asserts them.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// An email address (repeatable).
        #[arg(long = "email", value_name = "EMAIL")]
        emails: Vec<String>,
        /// A phone number in international form, e.g. +420601123456 (repeatable).
        #[arg(long = "phone", value_name = "PHONE")]
        phones: Vec<String>,
        /// The email address Emergency Access sends its proof code to.
        #[arg(long, value_name = "EMAIL")]
        recovery_email: Option<String>,
        /// The account's role.
        #[arg(long, value_enum, default_value_t = RoleArg::User)]
        role: RoleArg,
    },
    /// Change an account's role; it takes effect on the account's next request.
    SetRole {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Bring an existing token over from another system (it is active at once).
    Import {
        #[arg(long)]
        username: String,
        #[arg(long, value_enum)]
        kind: KindArg,
        /// TOTP only: the shared secret in base32 (SHA-1, 6 digits, 30 seconds).
        #[arg(long, value_name = "BASE32")]
        secret: Option<String>,
        /// SMS only: the phone number that receives the codes.
        #[arg(long)]
        phone: Option<String>,
        /// Email only: the address that receives the codes.
        #[arg(long)]
        email: Option<String>,
        /// A name for the token, e.g. "Authenticator app".
        #[arg(long)]
        label: String,
        /// The device that holds it, e.g. "Pixel 7"; tokens on one phone share it.
        #[arg(long)]
        device: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register an application. A confidential client's secret is printed once: keep it in the
    /// application's configuration; MAYI ID keeps only a keyed hash of it.
    Create {
        /// The application's name, shown to people signing in.
        #[arg(long)]
        name: String,
        /// A redirect URI, matched exactly (repeatable): https, or http to localhost.
        #[arg(long = "redirect-uri", value_name = "URI", required = true)]
        redirect_uris: Vec<String>,
        /// A public client (a single-page or native app): no secret, PKCE required.
        #[arg(long)]
        public: bool,
        /// Run by the organisation itself: its users are not asked for consent.
        #[arg(long)]
        first_party: bool,
    },
    /// List the registered applications (never their secrets).
    List,
    /// Disable an application: no new sign-in through it; its tokens stop at once.
    Disable {
        /// The application's client_id (from `client list`).
        #[arg(long)]
        client_id: String,
    },
    /// Replace the key that signs ID tokens. The old key stays published for a day, longer
    /// than any token it signed lives.
    RotateKey,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum RoleArg {
    User,
    Operator,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::User => Role::User,
            RoleArg::Operator => Role::Operator,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum KindArg {
    Totp,
    Sms,
    Email,
}

/// Parses the command line, runs the command, and turns failures into a message and exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let config = match Config::from_process(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("mayi-id: {error}");
            return ExitCode::FAILURE;
        }
    };
    init_logging(&config);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mayi-id: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command.unwrap_or(Command::Serve), config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mayi-id: {message}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(config: &Config) {
    let filter = std::env::var("MAYI_LOG").unwrap_or_else(|_| "info".to_string());
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = if config.log_json {
        // One JSON object per line; the request's span (its id, method, route) in each.
        tracing_subscriber::fmt()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_ansi(std::io::stderr().is_terminal())
            .with_writer(std::io::stderr)
            .try_init()
    };
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
}

async fn run(command: Command, config: Config) -> Result<(), String> {
    match command {
        Command::Serve => runtime::serve(config).await,
        Command::Migrate => {
            runtime::open_store(&config).await?;
            println!("database is up to date ({})", config.database_url);
            Ok(())
        }
        Command::User(UserCommand::Create {
            username,
            display_name,
            emails,
            phones,
            recovery_email,
            role,
        }) => {
            // Everything is validated before the password is read or anything is written.
            let request = NewUserRequest::parse(
                &username,
                &display_name,
                &emails,
                &phones,
                recovery_email.as_deref(),
                role.into(),
            )?;
            let password = read_password(&request.username)?;
            let provisioning = provisioning(&config).await?;
            let username = request.username.clone();
            let id = request.create(&provisioning, password).await?;
            println!("created account {username} (id {})", id.0);
            Ok(())
        }
        Command::User(UserCommand::SetRole { username, role }) => {
            let username = Username::parse(&username).map_err(|e| e.to_string())?;
            let provisioning = provisioning(&config).await?;
            let role: Role = role.into();
            provisioning
                .set_role(&username, role)
                .await
                .map_err(|e| e.to_string())?;
            println!("{username} now has the role {}", role.as_str());
            Ok(())
        }
        Command::Token(TokenCommand::Import {
            username,
            kind,
            secret,
            phone,
            email,
            label,
            device,
        }) => {
            let import = TokenImport::parse(
                &username,
                kind,
                secret.as_deref(),
                phone.as_deref(),
                email.as_deref(),
                &label,
                &device,
            )?;
            let provisioning = provisioning(&config).await?;
            let username = import.username.clone();
            let id = import.apply(&provisioning).await?;
            println!("imported token {} for {username}", id.0);
            Ok(())
        }
        Command::Client(ClientCommand::Create {
            name,
            redirect_uris,
            public,
            first_party,
        }) => {
            // Checked before anything is opened or written.
            let new = identity::oidc::NewClient::parse(&name, &redirect_uris, public, first_party)
                .map_err(|e| format!("{e}; nothing was written"))?;
            let oidc = oidc_provider(&config).await?;
            let (client, secret) = oidc.create_client(new).await.map_err(|e| e.to_string())?;
            println!("created client {:?}", client.name);
            println!("client_id: {}", client.id);
            match secret {
                Some(secret) => {
                    println!("client_secret: {}", secret.expose());
                    println!("(shown once: MAYI ID keeps only a keyed hash of it)");
                }
                None => println!("public client: no secret; it must use PKCE (S256)"),
            }
            Ok(())
        }
        Command::Client(ClientCommand::Disable { client_id }) => {
            let oidc = oidc_provider(&config).await?;
            oidc.disable_client_from_cli(&client_id)
                .await
                .map_err(|e| e.to_string())?;
            println!("disabled client {client_id}: its sign-ins and tokens stopped");
            Ok(())
        }
        Command::Client(ClientCommand::RotateKey) => {
            let oidc = oidc_provider(&config).await?;
            let kid = oidc.rotate_signing_key().await.map_err(|e| e.to_string())?;
            println!("new signing key {kid}; the old one stays in the JWKS for a day");
            Ok(())
        }
        Command::Client(ClientCommand::List) => {
            let oidc = oidc_provider(&config).await?;
            let clients = oidc.clients().await.map_err(|e| e.to_string())?;
            if clients.is_empty() {
                println!("no clients");
            }
            for client in clients {
                let kind = if client.public {
                    "public"
                } else {
                    "confidential"
                };
                let party = if client.first_party {
                    ", first party"
                } else {
                    ""
                };
                let state = if client.disabled_at.is_some() {
                    ", disabled"
                } else {
                    ""
                };
                println!("{}  {:?} ({kind}{party}{state})", client.id, client.name);
                for uri in &client.redirect_uris {
                    println!("    {uri}");
                }
            }
            Ok(())
        }
        Command::Demo => {
            let provisioning = provisioning(&config).await?;
            demo_allowed(&provisioning, config.dev).await?;
            seed_demo(&provisioning).await
        }
    }
}

/// The provisioning service on the configured database (migrated), seed key and public URL.
async fn provisioning(config: &Config) -> Result<Provisioning, String> {
    let store = runtime::open_store(config).await?;
    let cipher = runtime::open_cipher(config)?;
    let hasher = PasswordHasher::new(None).map_err(|e| e.to_string())?;
    Ok(Provisioning::new(
        store,
        hasher,
        Arc::new(cipher),
        &config.public_url,
    ))
}

/// The OpenID Connect provider's administration on the configured database and seed key.
async fn oidc_provider(config: &Config) -> Result<identity::oidc::OidcProvider, String> {
    let store = runtime::open_store(config).await?;
    let cipher = runtime::open_cipher(config)?;
    let hasher = PasswordHasher::new(None).map_err(|e| e.to_string())?;
    let identity = identity::Identity::new(
        store,
        hasher,
        Arc::new(cipher),
        Arc::new(identity::SystemClock),
        &config.public_url,
        identity::EmergencyPolicy::default(),
    )
    .map_err(|e| e.to_string())?;
    Ok(identity.oidc)
}

/// Reads the new account's password from a prompt (asked twice) or, when input is not a
/// terminal, from the first line of standard input, and checks it as a chosen password.
fn read_password(username: &Username) -> Result<Password, String> {
    let text = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Password again: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the two passwords differ; nothing was written".into());
        }
        first
    } else {
        let mut buffer = String::new();
        std::io::stdin()
            .take(4096)
            .read_to_string(&mut buffer)
            .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        buffer.lines().next().unwrap_or("").to_string()
    };
    // PW-5: a chosen password passes the blocklist too.
    Password::choose(text, username).map_err(|e| format!("{e}; nothing was written"))
}

/// A validated `user create`.
#[derive(Debug)]
pub struct NewUserRequest {
    pub username: Username,
    request: NewAccountRequest,
}

impl NewUserRequest {
    pub fn parse(
        username: &str,
        display_name: &str,
        emails: &[String],
        phones: &[String],
        recovery_email: Option<&str>,
        role: Role,
    ) -> Result<Self, String> {
        let username = Username::parse(username).map_err(|e| e.to_string())?;
        let display_name = identity::display_name(display_name).map_err(|e| e.to_string())?;
        let recovery = recovery_email
            .map(|e| Email::parse(e).map_err(|e| e.to_string()))
            .transpose()?;
        // Contacts given here are confirmed: an administrator asserts them. The same address
        // given twice (or as --email and --recovery-email) is one contact.
        let mut request = NewAccountRequest::new(username.clone(), display_name, role);
        for email in emails {
            request.add_contact(
                Email::parse(email).map_err(|e| e.to_string())?.into(),
                false,
            );
        }
        for phone in phones {
            request.add_contact(
                PhoneNumber::parse(phone).map_err(|e| e.to_string())?.into(),
                false,
            );
        }
        if let Some(email) = recovery {
            request.add_contact(email.into(), true);
        }
        Ok(Self { username, request })
    }

    /// Creates the account with its contacts, audited (`account.created`).
    pub async fn create(
        self,
        provisioning: &Provisioning,
        password: Password,
    ) -> Result<identity::AccountId, String> {
        provisioning
            .create_account(self.request, password)
            .await
            .map_err(|e| format!("{e}; nothing was written"))
    }
}

/// A validated `token import`.
#[derive(Debug)]
pub struct TokenImport {
    pub username: Username,
    token: ImportedToken,
}

impl TokenImport {
    pub fn parse(
        username: &str,
        kind: KindArg,
        secret: Option<&str>,
        phone: Option<&str>,
        email: Option<&str>,
        label: &str,
        device: &str,
    ) -> Result<Self, String> {
        let username = Username::parse(username).map_err(|e| e.to_string())?;
        let label = identity::token_label(label).map_err(|e| e.to_string())?;
        let device = identity::device_name(device).map_err(|e| e.to_string())?;
        let (kind, secret, target) = match (kind, secret, phone, email) {
            (KindArg::Totp, Some(secret), None, None) => (
                TokenKind::Totp,
                Some(TotpSecret::from_base32(secret).map_err(|e| e.to_string())?),
                None,
            ),
            (KindArg::Totp, None, _, _) => return Err("a TOTP token needs --secret".into()),
            (KindArg::Sms, None, Some(phone), None) => (
                TokenKind::Sms,
                None,
                Some(PhoneNumber::parse(phone).map_err(|e| e.to_string())?.into()),
            ),
            (KindArg::Sms, _, None, _) => return Err("an SMS token needs --phone".into()),
            (KindArg::Email, None, None, Some(email)) => (
                TokenKind::Email,
                None,
                Some(Email::parse(email).map_err(|e| e.to_string())?.into()),
            ),
            (KindArg::Email, _, _, None) => return Err("an email token needs --email".into()),
            _ => {
                return Err(
                    "give only the option of the token's kind: --secret for totp, --phone for sms, --email for email"
                        .into(),
                )
            }
        };
        Ok(Self {
            username,
            token: ImportedToken {
                kind,
                secret,
                target,
                label,
                device,
            },
        })
    }

    /// Imports the token, active at once, audited (`token.added`) and told to the account's
    /// confirmed contacts.
    pub async fn apply(self, provisioning: &Provisioning) -> Result<identity::TokenId, String> {
        provisioning
            .import_token(&self.username, self.token)
            .await
            .map_err(|e| e.to_string())
    }
}

/// The demo data's fixed credentials, printed in the README. For trying MAYI ID out only.
pub const DEMO_USER: (&str, &str, &str) = (
    "demo",
    "correct horse battery staple",
    "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
);
pub const DEMO_OPERATOR: (&str, &str, &str) = (
    "operator",
    "operator passphrase 2026",
    "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA",
);

/// The demo accounts' passwords and TOTP secrets are published: they must never reach a real
/// installation (issue 13). `demo` therefore runs only in development mode (`MAYI_DEV`), or on
/// a database whose only accounts (if any) are the demo ones.
async fn demo_allowed(provisioning: &Provisioning, dev: bool) -> Result<(), String> {
    if dev {
        return Ok(());
    }
    let mut demo_present = 0;
    for (username, _, _) in [DEMO_USER, DEMO_OPERATOR] {
        let name = Username::parse(username).map_err(|e| e.to_string())?;
        if provisioning
            .account_exists(&name)
            .await
            .map_err(|e| e.to_string())?
        {
            demo_present += 1;
        }
    }
    let others = provisioning
        .account_count()
        .await
        .map_err(|e| e.to_string())?
        - demo_present;
    if others > 0 {
        return Err(format!(
            "refusing to add the demo accounts: this database already holds {others} other \
             account(s), and the demo accounts' passwords and authenticator secrets are published \
             in the README, so anyone could sign in with them. Run `mayi-id demo` only on an \
             empty database, or in development mode (MAYI_DEV=true, or `dev = true` in the \
             configuration file) on a database that is not a real installation."
        ));
    }
    Ok(())
}

/// Adds the demo accounts that are missing, each with its recovery address and authenticator
/// app: through [`Provisioning`], so audited like any other.
async fn seed_demo(provisioning: &Provisioning) -> Result<(), String> {
    let demo_accounts = [
        (DEMO_USER, "Demo User", "demo@example.org", Role::User),
        (
            DEMO_OPERATOR,
            "Demo Operator",
            "operator@example.org",
            Role::Operator,
        ),
    ];
    for ((username, password, secret), display_name, email, role) in demo_accounts {
        let name = Username::parse(username).map_err(|e| e.to_string())?;
        if provisioning
            .account_exists(&name)
            .await
            .map_err(|e| e.to_string())?
        {
            println!("demo account {username} already exists; left as it is");
            continue;
        }
        let request = NewUserRequest::parse(username, display_name, &[], &[], Some(email), role)?;
        let password = Password::new(password.to_string()).map_err(|e| e.to_string())?;
        request.create(provisioning, password).await?;
        TokenImport::parse(
            username,
            KindArg::Totp,
            Some(secret),
            None,
            None,
            "Authenticator app",
            "Demo phone",
        )?
        .apply(provisioning)
        .await?;
        println!("created demo account {username} ({})", role.as_str());
    }
    Ok(())
}
