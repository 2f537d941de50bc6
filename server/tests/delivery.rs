//! The outbox worker against real peers on loopback: an SMTP server and an HTTP SMS gateway.

mod support;

use identity::testing::StoreAccess;
use std::{collections::BTreeMap, sync::Arc, time::Duration};

use identity::{
    testing::{self, ManualClock},
    Email, NewOutboxMessage, OutboxState, Store, Timestamp,
};
use server::{config::Config, delivery::Delivery};
use support::{fixtures::queue_sms, SmsGateway, SmtpServer};

fn config(pairs: &[(&str, String)]) -> Config {
    let env: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    Config::load(None, &env).unwrap()
}

async fn states(store: &Store) -> Vec<(OutboxState, i64)> {
    let mut all: Vec<_> = store
        .outbox_messages(100)
        .await
        .unwrap()
        .into_iter()
        .map(|m| (m.state, m.attempts))
        .collect();
    all.reverse();
    all
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_goes_over_smtp_and_sms_to_the_gateway() {
    let db = testing::sqlite().await;
    let smtp = SmtpServer::start(0).await;
    let gateway = SmsGateway::start().await;
    db.enqueue(
        NewOutboxMessage::email(
            &Email::parse("alice@example.org").unwrap(),
            "Your MAYI ID notice",
            "Something happened to your account.\nNot you? Tell your help desk.",
        )
        .unwrap(),
    )
    .await
    .unwrap();
    queue_sms(&db, "+420601123456", "Hello from MAYI ID").await;

    let delivery = Delivery::from_config(
        &config(&[
            ("MAYI_SMTP_URL", smtp.url()),
            ("MAYI_SMS_GATEWAY_URL", gateway.url()),
            ("MAYI_MAIL_FROM", "MAYI ID <no-reply@mayi.test>".into()),
        ]),
        db.store.outbox(),
    )
    .unwrap();
    assert_eq!(delivery.pass().await.unwrap(), 2);

    let mails = smtp.received();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].to, ["alice@example.org"]);
    assert!(mails[0].from.contains("no-reply@mayi.test"));
    assert!(
        mails[0].data.contains("Subject: Your MAYI ID notice"),
        "{}",
        mails[0].data
    );
    assert_eq!(
        gateway.received(),
        [serde_json::json!({"to": "+420601123456", "text": "Hello from MAYI ID"})]
    );
    assert_eq!(
        states(&db).await,
        [(OutboxState::Sent, 0), (OutboxState::Sent, 0)]
    );
    // Nothing is sent twice.
    assert_eq!(delivery.pass().await.unwrap(), 0);
    assert_eq!(smtp.received().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_send_is_retried_later_not_lost() {
    let db = testing::sqlite().await;
    let clock = Arc::new(ManualClock::new(Timestamp::from_unix_secs(1_800_000_000)));
    let store = db.store.clone().with_clock(clock.clone());
    let smtp = SmtpServer::start(1).await; // the first transaction gets "451 try again later"
    store
        .enqueue(
            NewOutboxMessage::email(&Email::parse("bob@example.org").unwrap(), "Notice", "Body")
                .unwrap(),
        )
        .await
        .unwrap();
    let delivery =
        Delivery::from_config(&config(&[("MAYI_SMTP_URL", smtp.url())]), store.outbox()).unwrap();
    delivery.pass().await.unwrap();
    assert_eq!(states(&store).await, [(OutboxState::Pending, 1)]);
    assert!(smtp.received().is_empty());
    // Not due yet: the backoff holds it back.
    assert_eq!(delivery.pass().await.unwrap(), 0);
    clock.advance(Duration::from_secs(3600));
    assert_eq!(delivery.pass().await.unwrap(), 1);
    assert_eq!(smtp.received().len(), 1);
    assert_eq!(states(&store).await, [(OutboxState::Sent, 1)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_channel_messages_wait_except_in_development_mode() {
    let db = testing::sqlite().await;
    queue_sms(&db, "+420601123456", "Waiting").await;
    // Production: nothing configured, nothing delivered; the message waits for a retry.
    let production = Delivery::from_config(&config(&[]), db.store.outbox()).unwrap();
    production.pass().await.unwrap();
    assert_eq!(states(&db).await, [(OutboxState::Pending, 1)]);

    let db = testing::sqlite().await;
    queue_sms(&db, "+420601123456", "Shown").await;
    // Development: written to the log instead, and done.
    let dev =
        Delivery::from_config(&config(&[("MAYI_DEV", "true".into())]), db.store.outbox()).unwrap();
    dev.pass().await.unwrap();
    assert_eq!(states(&db).await, [(OutboxState::Sent, 0)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_runs_on_postgresql_too() {
    let Some(db) = testing::postgres().await else {
        return;
    };
    let gateway = SmsGateway::start().await;
    for n in 0..3 {
        queue_sms(&db, "+420601123456", &format!("message {n}")).await;
    }
    // Two workers (two server instances) share the outbox: each message goes out once.
    let config = config(&[("MAYI_SMS_GATEWAY_URL", gateway.url())]);
    let a = Delivery::from_config(&config, db.store.outbox()).unwrap();
    let b = Delivery::from_config(&config, db.store.outbox()).unwrap();
    let (x, y) = tokio::join!(a.pass(), b.pass());
    assert_eq!(x.unwrap() + y.unwrap(), 3);
    let mut texts: Vec<String> = gateway
        .received()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect();
    texts.sort();
    assert_eq!(texts, ["message 0", "message 1", "message 2"]);
}
