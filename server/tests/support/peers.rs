//! Real delivery peers on loopback: an SMTP server and an SMS gateway (HTTP), for the tests
//! that check what `mayi-id` sends.

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc, Mutex,
    },
};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// One email as the SMTP server received it.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// A minimal SMTP server (RFC 5321 subset: EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).
/// `fail_first` transactions are answered with a temporary failure (451), to test retries.
pub struct SmtpServer {
    pub addr: SocketAddr,
    pub mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpServer {
    pub async fn start(fail_first: usize) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let failures_left = Arc::new(AtomicUsize::new(fail_first));
        let store = mails.clone();
        tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let store = store.clone();
                let failures_left = failures_left.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    let _ = write.write_all(b"220 test.local ESMTP\r\n").await;
                    let mut current = Mail::default();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let upper = line.to_ascii_uppercase();
                        let reply: &[u8] = if upper.starts_with("EHLO") {
                            b"250-test.local\r\n250 8BITMIME\r\n"
                        } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                            b"250 OK\r\n"
                        } else if upper.starts_with("RSET") {
                            current = Mail::default();
                            b"250 OK\r\n"
                        } else if upper.starts_with("MAIL FROM:") {
                            if failures_left
                                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                                    n.checked_sub(1)
                                })
                                .is_ok()
                            {
                                b"451 try again later\r\n"
                            } else {
                                current.from = line[10..].trim().to_string();
                                b"250 OK\r\n"
                            }
                        } else if upper.starts_with("RCPT TO:") {
                            current
                                .to
                                .push(line[8..].trim().trim_matches(['<', '>']).to_string());
                            b"250 OK\r\n"
                        } else if upper == "DATA" {
                            let _ = write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await;
                            let mut data = String::new();
                            while let Ok(Some(line)) = lines.next_line().await {
                                if line == "." {
                                    break;
                                }
                                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                                data.push('\n');
                            }
                            current.data = data;
                            store.lock().unwrap().push(std::mem::take(&mut current));
                            b"250 queued\r\n"
                        } else if upper.starts_with("QUIT") {
                            let _ = write.write_all(b"221 bye\r\n").await;
                            return;
                        } else {
                            b"502 not implemented\r\n"
                        };
                        if write.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Self { addr, mails }
    }

    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn received(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }
}

/// A fake SMS gateway: records every `{"to", "text"}` POSTed to `/sms`.
pub struct SmsGateway {
    pub addr: SocketAddr,
    pub messages: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl SmsGateway {
    pub async fn start() -> Self {
        use axum::{routing::post, Json, Router};
        let messages = Arc::new(Mutex::new(Vec::new()));
        let store = messages.clone();
        let app = Router::new().route(
            "/sms",
            post(move |Json(body): Json<serde_json::Value>| {
                let store = store.clone();
                async move {
                    store.lock().unwrap().push(body);
                    "accepted"
                }
            }),
        );
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, messages }
    }

    pub fn url(&self) -> String {
        format!("http://{}/sms", self.addr)
    }

    pub fn received(&self) -> Vec<serde_json::Value> {
        self.messages.lock().unwrap().clone()
    }
}
