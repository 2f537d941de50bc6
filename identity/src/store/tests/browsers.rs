//! Remembered browsers in the store (issue 13 item 5, "waiting period by trust") on both
//! backends: each `async fn` becomes `sqlite::<name>` and `postgres::<name>` through the
//! suite's `backend_tests!`.

use std::time::Duration;

use super::{clocked, new_account, T0};
use crate::testing;
use crate::time::Clock;
use crate::{SessionToken, Store, REMEMBERED_BROWSER_TTL};

on_both_backends!(
    store:
    trust_a_remembered_browser_is_recognised_only_for_its_own_account,
    trust_remembering_again_keeps_the_token_and_moves_the_expiry,
    trust_forgetting_one_or_every_browser_of_an_account_only,
    trust_expired_browsers_are_ignored_and_purged,
);

const UA: &str = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0";

async fn trust_a_remembered_browser_is_recognised_only_for_its_own_account(store: &Store) {
    let (store, _clock) = clocked(store);
    let alice = store.create_account(new_account("alice")).await.unwrap();
    let bob = store.create_account(new_account("bob")).await.unwrap();
    let (token, new) = store
        .remember_browser(alice, None, Some("192.0.2.7"), Some(UA))
        .await
        .unwrap();
    assert!(new);
    let found = store
        .remembered_browser(alice, &token)
        .await
        .unwrap()
        .expect("alice remembers it");
    assert_eq!(found.account_id, alice);
    assert_eq!(found.created_at, T0);
    assert_eq!(found.last_seen_at, T0);
    assert_eq!(found.expires_at, T0.plus(REMEMBERED_BROWSER_TTL));
    assert_eq!(found.ip.as_deref(), Some("192.0.2.7"));
    assert_eq!(found.user_agent.as_deref(), Some(UA));
    // Bob does not remember alice's browser, and an unknown token is nobody's.
    assert!(store
        .remembered_browser(bob, &token)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .remembered_browser(alice, &SessionToken::generate())
        .await
        .unwrap()
        .is_none());
    // Bob signing in fully in that browser with alice's cookie gets a token of his own: alice's
    // is never adopted by another account.
    let (bobs, new) = store
        .remember_browser(bob, Some(&token), None, Some(UA))
        .await
        .unwrap();
    assert!(new);
    assert_ne!(bobs.hash(), token.hash());
    assert!(store
        .remembered_browser(bob, &token)
        .await
        .unwrap()
        .is_none());
    assert!(store
        .remembered_browser(alice, &bobs)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.remembered_browsers(alice).await.unwrap().len(), 1);
    assert_eq!(store.remembered_browsers(bob).await.unwrap().len(), 1);
    // Only the token's hash is stored.
    let rows = testing::raw_rows(&store, "remembered_browsers")
        .await
        .join("\n");
    assert!(!rows.contains(token.as_str()), "{rows}");
}

async fn trust_remembering_again_keeps_the_token_and_moves_the_expiry(store: &Store) {
    let (store, clock) = clocked(store);
    let alice = store.create_account(new_account("alice")).await.unwrap();
    let (token, _) = store
        .remember_browser(alice, None, Some("192.0.2.7"), Some(UA))
        .await
        .unwrap();
    clock.advance(Duration::from_secs(30 * 24 * 3600));
    let (again, new) = store
        .remember_browser(alice, Some(&token), Some("198.51.100.4"), Some("Other/1.0"))
        .await
        .unwrap();
    assert!(!new);
    assert_eq!(again.hash(), token.hash());
    let browsers = store.remembered_browsers(alice).await.unwrap();
    assert_eq!(browsers.len(), 1);
    let b = &browsers[0];
    assert_eq!(b.created_at, T0);
    assert_eq!(b.last_seen_at, clock.now());
    assert_eq!(b.expires_at, clock.now().plus(REMEMBERED_BROWSER_TTL));
    assert_eq!(b.ip.as_deref(), Some("198.51.100.4"));
    assert_eq!(b.user_agent.as_deref(), Some("Other/1.0"));
    // A second browser: listed first once it is the most recent.
    clock.advance(Duration::from_secs(60));
    let (second, new) = store
        .remember_browser(alice, None, None, None)
        .await
        .unwrap();
    assert!(new);
    let browsers = store.remembered_browsers(alice).await.unwrap();
    assert_eq!(browsers.len(), 2);
    assert_eq!(
        browsers[0].id,
        store
            .remembered_browser(alice, &second)
            .await
            .unwrap()
            .unwrap()
            .id
    );
}

async fn trust_forgetting_one_or_every_browser_of_an_account_only(store: &Store) {
    let (store, _clock) = clocked(store);
    let alice = store.create_account(new_account("alice")).await.unwrap();
    let bob = store.create_account(new_account("bob")).await.unwrap();
    let (a1, _) = store
        .remember_browser(alice, None, None, None)
        .await
        .unwrap();
    let (a2, _) = store
        .remember_browser(alice, None, None, None)
        .await
        .unwrap();
    let (b1, _) = store.remember_browser(bob, None, None, None).await.unwrap();
    let a1_id = store
        .remembered_browser(alice, &a1)
        .await
        .unwrap()
        .unwrap()
        .id;
    let b1_id = store
        .remembered_browser(bob, &b1)
        .await
        .unwrap()
        .unwrap()
        .id;
    // Alice cannot forget bob's browser (AC-2).
    assert!(!store.forget_browser(alice, b1_id).await.unwrap());
    assert!(store.remembered_browser(bob, &b1).await.unwrap().is_some());
    assert!(store.forget_browser(alice, a1_id).await.unwrap());
    assert!(!store.forget_browser(alice, a1_id).await.unwrap());
    assert!(store
        .remembered_browser(alice, &a1)
        .await
        .unwrap()
        .is_none());
    // Remembering again with a forgotten token makes a new one.
    let (a1_again, new) = store
        .remember_browser(alice, Some(&a1), None, None)
        .await
        .unwrap();
    assert!(new);
    assert_ne!(a1_again.hash(), a1.hash());
    assert_eq!(store.forget_browsers(alice).await.unwrap(), 2);
    assert!(store
        .remembered_browser(alice, &a2)
        .await
        .unwrap()
        .is_none());
    assert!(store.remembered_browsers(alice).await.unwrap().is_empty());
    assert_eq!(store.remembered_browsers(bob).await.unwrap().len(), 1);
}

async fn trust_expired_browsers_are_ignored_and_purged(store: &Store) {
    let (store, clock) = clocked(store);
    let alice = store.create_account(new_account("alice")).await.unwrap();
    let (old, _) = store
        .remember_browser(alice, None, None, None)
        .await
        .unwrap();
    clock.advance(Duration::from_secs(24 * 3600));
    let (young, _) = store
        .remember_browser(alice, None, None, None)
        .await
        .unwrap();
    // One millisecond before the first one's expiry it still counts; at its expiry it does not.
    clock.set(T0.plus(REMEMBERED_BROWSER_TTL - Duration::from_millis(1)));
    assert!(store
        .remembered_browser(alice, &old)
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.purge_expired_browsers().await.unwrap(), 0);
    clock.set(T0.plus(REMEMBERED_BROWSER_TTL));
    assert!(store
        .remembered_browser(alice, &old)
        .await
        .unwrap()
        .is_none());
    assert_eq!(store.remembered_browsers(alice).await.unwrap().len(), 1);
    // An expired token is not brought back by a new sign-in: a fresh one is made.
    let (fresh, new) = store
        .remember_browser(alice, Some(&old), None, None)
        .await
        .unwrap();
    assert!(new);
    assert_ne!(fresh.hash(), old.hash());
    assert_eq!(store.purge_expired_browsers().await.unwrap(), 1);
    assert_eq!(store.purge_expired_browsers().await.unwrap(), 0);
    assert!(store
        .remembered_browser(alice, &young)
        .await
        .unwrap()
        .is_some());
    assert_eq!(store.remembered_browsers(alice).await.unwrap().len(), 2);
}
