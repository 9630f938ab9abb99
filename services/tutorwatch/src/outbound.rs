//! Publishes every finding a projector batch raised or changed on core NATS, at
//! `tw.out.findings.<region>.<rule>`, as the same JSON the API answers with, so other systems
//! can subscribe (e.g. `tw.out.findings.4402*.>` is not valid NATS, but
//! `tw.out.findings.440203.>` and `tw.out.findings.*.ONLINE_END_BY_2100` are).
//!
//! These are notifications: a subscriber that was away reads what it missed from the feed
//! (`GET /v1/findings?after=CURSOR`). Each message carries `Tw-Finding-Cursor` for that.

use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;
use tutorwatch_follower::Live;

use crate::api::views::FindingView;

/// The subject prefix of outbound findings.
pub(crate) const FINDINGS_SUBJECT_PREFIX: &str = "tw.out.findings";

/// The subject a finding is published on.
pub(crate) fn subject(view: &FindingView) -> String {
    format!("{FINDINGS_SUBJECT_PREFIX}.{}.{}", view.region, view.rule)
}

/// Publishes until `stop` turns true.
pub(crate) async fn run(
    nats: async_nats::Client,
    live: Arc<Live>,
    mut stop: watch::Receiver<bool>,
) {
    let mut receiver = live.subscribe();
    loop {
        let batch = tokio::select! {
            batch = receiver.recv() => batch,
            _ = stop.wait_for(|stop| *stop) => break,
        };
        match batch {
            Ok(batch) => {
                for stored in &batch.findings {
                    let view = FindingView::from(stored);
                    let Ok(payload) = serde_json::to_vec(&view) else {
                        continue;
                    };
                    let mut headers = async_nats::HeaderMap::new();
                    headers.insert("Tw-Finding-Cursor", view.cursor.as_str());
                    headers.insert("Tw-Finding-Status", view.status.as_str());
                    headers.insert("Content-Type", "application/json");
                    if let Err(error) = nats
                        .publish_with_headers(subject(&view), headers, payload.into())
                        .await
                    {
                        tracing::warn!(%error, finding = %view.id, "could not publish a finding to NATS");
                    }
                }
            }
            Err(RecvError::Lagged(missed)) => {
                tracing::warn!(
                    missed_batches = missed,
                    "outbound findings fell behind; subscribers should catch up from the feed"
                );
            }
            Err(RecvError::Closed) => break,
        }
    }
}
