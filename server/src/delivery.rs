//! Delivers the outbox: email over SMTP (lettre), SMS as an HTTP POST of
//! `{"to": "+420…", "text": "…"}` to the configured gateway.
//!
//! Messages are written to the outbox in the same transaction as the change they report; this
//! worker claims due messages with a lease, sends them, and marks them sent or failed (with
//! backoff). A crash between sending and marking lets the lease expire, so the message is sent
//! again rather than lost. Any number of instances may run it: a claim is exclusive.

use std::time::Duration;

use identity::{Channel, Outbox, OutboxMessage};
use lettre::{
    message::{header::ContentType, Mailbox},
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};
use tokio::sync::watch;

use crate::config::Config;

/// How often the outbox's depth is read for `/metrics`.
const DEPTH_EVERY: Duration = Duration::from_secs(5);

/// How many messages one pass claims, and how long a claim holds.
const BATCH: u32 = 20;
const LEASE: Duration = Duration::from_secs(120);
/// The pause between passes when nothing was due.
const IDLE: Duration = Duration::from_millis(500);
/// Longest wait for an SMTP server or the SMS gateway.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);

/// Sends the outbox's mail and SMS (see the module's description).
pub struct Delivery {
    outbox: Outbox,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    mail_from: Mailbox,
    sms: Option<(reqwest::Client, String)>,
    dev: bool,
    /// Whether `/metrics` is served: only then is the outbox's depth read.
    report_depth: bool,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("smtp", &self.smtp.is_some())
            .field("sms", &self.sms.is_some())
            .field("dev", &self.dev)
            .finish_non_exhaustive()
    }
}

impl Delivery {
    pub fn from_config(config: &Config, outbox: Outbox) -> Result<Self, String> {
        let smtp = match &config.smtp_url {
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(|e| format!("MAYI_SMTP_URL {url} is not usable: {e}"))?
                    .timeout(Some(SEND_TIMEOUT))
                    .build(),
            ),
            None => None,
        };
        let mail_from: Mailbox = config.mail_from.parse().map_err(|e| {
            format!(
                "MAYI_MAIL_FROM {:?} is not an address: {e}",
                config.mail_from
            )
        })?;
        let sms = match &config.sms_gateway_url {
            Some(url) => Some((
                reqwest::Client::builder()
                    .timeout(SEND_TIMEOUT)
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| format!("cannot build the SMS gateway client: {e}"))?,
                url.expose().to_string(),
            )),
            None => None,
        };
        if !config.dev && (smtp.is_none() || sms.is_none()) {
            tracing::warn!(
                smtp = smtp.is_some(),
                sms = sms.is_some(),
                "a delivery channel is not configured: its messages stay in the outbox and are retried"
            );
        }
        Ok(Self {
            outbox,
            smtp,
            mail_from,
            sms,
            dev: config.dev,
            report_depth: config.metrics_listen.is_some(),
        })
    }

    /// Delivers until `shutdown` turns true. When metrics are served, also reports the outbox's
    /// depth (`mayi_outbox_queue_depth`) every few seconds.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let mut depth_read: Option<std::time::Instant> = None;
        loop {
            if self.report_depth && depth_read.is_none_or(|at| at.elapsed() >= DEPTH_EVERY) {
                depth_read = Some(std::time::Instant::now());
                match self.outbox.pending_count().await {
                    Ok(depth) => {
                        metrics::gauge!(crate::observe::OUTBOX_QUEUE_DEPTH).set(depth as f64)
                    }
                    Err(error) => tracing::warn!(error = %error.detail(), "outbox depth unread"),
                }
            }
            let delivered = match self.pass().await {
                Ok(count) => count,
                Err(error) => {
                    tracing::warn!(%error, "outbox pass failed");
                    0
                }
            };
            if delivered == 0 {
                tokio::select! {
                    _ = tokio::time::sleep(IDLE) => {}
                    _ = shutdown.changed() => {}
                }
            }
            if *shutdown.borrow() {
                return;
            }
        }
    }

    /// One pass: claims the due messages and tries each once. Returns how many were claimed.
    pub async fn pass(&self) -> Result<usize, String> {
        let messages = self
            .outbox
            .claim(BATCH, LEASE)
            .await
            .map_err(|e| e.detail())?;
        let count = messages.len();
        for message in messages {
            let outcome = self.deliver(&message).await;
            let channel = message.channel.as_str();
            let marked = match &outcome {
                Ok(()) => {
                    metrics::counter!(crate::observe::OUTBOX_DELIVERED, "channel" => channel)
                        .increment(1);
                    self.outbox.mark_sent(message.id).await
                }
                Err(error) => {
                    metrics::counter!(
                        crate::observe::OUTBOX_DELIVERY_FAILURES,
                        "channel" => channel
                    )
                    .increment(1);
                    tracing::warn!(id = message.id.0, channel = message.channel.as_str(), %error, "delivery failed; will retry");
                    self.outbox.mark_failed(message.id, error).await
                }
            };
            if let Err(error) = marked {
                // The lease runs out and the message is tried again: sent twice, never lost.
                tracing::warn!(id = message.id.0, error = %error.detail(), "could not record a delivery outcome");
            }
        }
        Ok(count)
    }

    async fn deliver(&self, message: &OutboxMessage) -> Result<(), String> {
        match message.channel {
            Channel::Email => match &self.smtp {
                Some(smtp) => {
                    let to: Mailbox = message
                        .recipient
                        .parse()
                        .map_err(|e| format!("bad recipient: {e}"))?;
                    let email = Message::builder()
                        .from(self.mail_from.clone())
                        .to(to)
                        .subject(message.subject.clone().unwrap_or_default())
                        .header(ContentType::TEXT_PLAIN)
                        .body(message.body.clone())
                        .map_err(|e| format!("cannot build the email: {e}"))?;
                    smtp.send(email)
                        .await
                        .map(|_| ())
                        .map_err(|e| format!("SMTP: {e}"))
                }
                None => self.dev_log(message),
            },
            Channel::Sms => match &self.sms {
                Some((client, url)) => {
                    let response = client
                        .post(url)
                        .json(&serde_json::json!({ "to": message.recipient, "text": message.body }))
                        .send()
                        .await
                        .map_err(|e| format!("SMS gateway: {}", e.without_url()))?;
                    if response.status().is_success() {
                        Ok(())
                    } else {
                        Err(format!("SMS gateway answered {}", response.status()))
                    }
                }
                None => self.dev_log(message),
            },
        }
    }

    /// Development mode with no delivery configured: the message goes to the log so that a
    /// developer can read the code. Never in production, where it waits in the outbox instead.
    fn dev_log(&self, message: &OutboxMessage) -> Result<(), String> {
        if self.dev {
            tracing::info!(
                channel = message.channel.as_str(),
                to = %message.recipient,
                subject = ?message.subject,
                body = ?message.body,
                "development mode: message not delivered, shown here instead"
            );
            Ok(())
        } else {
            Err(format!(
                "no {} delivery is configured",
                message.channel.as_str()
            ))
        }
    }
}
