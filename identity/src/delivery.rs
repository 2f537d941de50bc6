//! [`Outbox`]: what the delivery worker may do with the messages the services queued. Messages
//! are written by the services in the transaction of the change they report; this service only
//! hands them out under a lease and records how their delivery went.

use std::fmt;
use std::time::Duration;

use crate::{OutboxId, OutboxMessage, Result, Store};

/// The delivery side of the outbox. Cheap to clone.
#[derive(Clone)]
pub struct Outbox {
    store: Store,
}

impl fmt::Debug for Outbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Outbox").finish_non_exhaustive()
    }
}

impl Outbox {
    pub(crate) fn new(store: Store) -> Self {
        Self { store }
    }

    /// Claims up to `limit` due messages for `lease`: no other worker gets them until the lease
    /// runs out (then they are due again, so a crash sends twice rather than never).
    pub async fn claim(&self, limit: u32, lease: Duration) -> Result<Vec<OutboxMessage>> {
        self.store.claim_outbox(limit, lease).await
    }

    /// Records that `id` was handed to its mail server or SMS gateway.
    pub async fn mark_sent(&self, id: OutboxId) -> Result<()> {
        self.store.mark_sent(id).await
    }

    /// Records a failed try of `id`; it is tried again after a backoff, or given up after
    /// [`crate::OUTBOX_MAX_ATTEMPTS`].
    pub async fn mark_failed(&self, id: OutboxId, error: &str) -> Result<()> {
        self.store.mark_failed(id, error).await
    }

    /// How many messages wait for delivery (the `/metrics` queue depth).
    pub async fn pending_count(&self) -> Result<i64> {
        self.store.outbox_pending_count().await
    }
}
